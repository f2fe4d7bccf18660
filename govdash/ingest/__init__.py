"""Imports of every kind (cases, stations, units, population, workers, patrols) into a live database: run, undo."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pandas as pd

from govdash.db import Database, replacing_writer
from govdash.db import exists as db_exists
from govdash.ingest import _cases, _events, _geo, _grid_work, _plumbing, _population, _records, _sql
from govdash.ingest._geo_sources import parse_geo_mapping
from govdash.ingest._mapping import Mapping, MappingError, builtin_mappings, parse_mapping, toml_doc
from govdash.ingest._readers import ValidationError
from govdash.ingest._report import REPORT_COLUMNS, ImportReport, outcome_counts, report_frame

__all__ = [
    "KINDS",
    "UPLOAD_TYPES",
    "REPORT_COLUMNS",
    "ImportReport",
    "Mapping",
    "MappingError",
    "ValidationError",
    "builtin",
    "takes_mapping",
    "mapping_from_text",
    "run",
    "listing",
    "undo",
    "quarantine_frame",
    "report_frame",
    "outcome_counts",
]

# kind -> pipeline(db_path, file, **options) writing a file no other process has open; a new kind adds a line
_PIPELINES: dict[str, Callable[..., ImportReport]] = {
    "cases": _cases.import_file,
    "stations": partial(_geo.import_file, "stations"),
    "units": partial(_geo.import_file, "units"),
    "population": _population.import_file,
    "events": _events.import_file,  # a case event log (流转记录) beside the case file
    "workers": partial(_grid_work.import_file, "workers"),
    "patrols": partial(_grid_work.import_file, "patrols"),
    **{kind: partial(_records.import_file, kind) for kind in _records.KINDS},
}
KINDS = tuple(_PIPELINES)
UPLOAD_TYPES = ("csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "json", "xml", "geojson", "gpkg", "zip", "tif", "tiff")


def takes_mapping(kind: str) -> bool:
    """Whether an import of ``kind`` takes a mapping (population and the record kinds find their columns by name)."""
    return kind != "population" and kind not in _records.KINDS


def builtin(kind: str) -> list[str]:
    """Names of the shipped mappings for ``kind`` (cases: govdash, open311, 12345; events: govdash, 12345)."""
    if kind == "events":
        return list(_events.builtin())
    return list(builtin_mappings()) if kind == "cases" else []


def mapping_from_text(kind: str, text: str | bytes, name: str = "uploaded"):
    """A mapping of ``kind`` from TOML text (an uploaded mapping file); raises MappingError."""
    if kind == "population" or kind in _records.KINDS:
        raise MappingError(f"a {kind} import takes no mapping: its columns are found by name")
    if kind == "events":
        return _events.parse(text, name)
    doc = toml_doc(text, name)
    stem = Path(name).stem
    if kind in _grid_work.KINDS:
        return _grid_work.parse_work_mapping(doc, kind, stem)
    return parse_mapping(doc, stem) if kind == "cases" else parse_geo_mapping(doc, kind, stem)


def run(
    kind: str, db_path: str | os.PathLike, file, *, in_place: bool = False, isolated: bool = False, **options
) -> ImportReport:
    """Import ``file`` as ``kind`` into ``db_path`` while the dashboard reads it.

    Parameters
    ----------
    kind : 'cases' | 'events' (a case event log, 流转记录: each case named gets the file's events as its log) |
        'stations' | 'units' | 'population' (counts at points, in polygons or a GeoTIFF's pixels,
        onto the 100 m surface, replacing it; ``column=`` names the count column) | 'workers' (grid workers:
        id, name, grid, role 网格员/协管员/公益员, on duty) | 'patrols' (id, worker, grid, start, end, route
        metres, points visited, issues reported)
    file : path, bytes or binary file object (an upload; ``name=`` names it)
    in_place : ``db_path`` is already a private copy no other process has open (inside
        db.replacing_writer, as the feed writes): write it directly
    isolated : run in a spawned child process whose memory is capped (settings.import_memory_mb), as
        the admin page does: a decompression bomb ends the child, never the web server
    options :
        mapping : a Mapping / GeoMapping, a TOML path or, for cases, a shipped name (govdash, open311,
            12345); None picks the shipped one fitting the columns (cases) or guesses column names
        crs : the coordinates' CRS: 'wgs84' | 'gcj02' | 'bd09' | 'EPSG:n' (default: the mapping's,
            else the file's, else wgs84); converted to WGS-84
        encoding : text encoding; None detects UTF-8 (with or without BOM), UTF-16 (BOM) or GBK/GB18030
        on_error : 'reject' loads nothing when any row fails; 'quarantine' loads the valid rows and keeps
            the others with their reasons in the ``quarantine`` table and a CSV in ``quarantine_dir``
            (default: a ``quarantine`` folder beside the database)
        dry_run : validate and count, write nothing
        level : units only: the level of every unit ('town' | 'community' | 'grid'), instead of a column
        user, progress (a callable(fraction, text)), name, max_mb (size limit, default
        settings.max_upload_mb; bigger files are refused unread)

    Writes go to a private copy swapped in atomically (db.replacing_writer), so the running app never
    blocks the import and sees all of it or none; a rejected import leaves the file untouched.
    Raises ValidationError (or its subclass MappingError) when the file as a whole cannot be imported.
    """
    pipeline = _PIPELINES.get(kind)
    if pipeline is None:
        raise ValidationError(f"cannot import {kind!r}: one of {', '.join(KINDS)}")
    if isolated:
        from govdash.ingest import _child  # lazy: the child runs this module as __main__

        return _child.run(kind, db_path, file, in_place=in_place, **options)
    if in_place:
        return pipeline(db_path, file, **options)
    # named before the pipeline runs on the private copy, whose folder is not the database's
    options["quarantine_dir"] = _plumbing.quarantine_folder(db_path, options.get("quarantine_dir"))
    name = options.get("name") or (Path(str(file)).name if isinstance(file, (str, os.PathLike)) else "upload")
    return _plumbing.live(db_path, lambda tmp: pipeline(tmp, file, **options), name)


@contextmanager
def _reading(db: Database | str | os.PathLike):
    """A cursor on ``db`` (the app's Database, so it reopens a replaced file) or on a path, read-only."""
    own = not isinstance(db, Database)
    if own and not db_exists(db):
        raise ValidationError(f"no database at {db}")
    handle = Database(db) if own else db
    con = handle.connection()
    try:
        yield con
    finally:
        con.close()
        if own:
            handle.close()


def listing(db: Database | str | os.PathLike, limit: int = 100) -> pd.DataFrame:
    """Recorded imports of every kind, newest first (empty when there is no database yet)."""
    if not isinstance(db, Database) and not db_exists(db):
        return pd.DataFrame(columns=["import_id", "kind", "file_name", "status"])
    with _reading(db) as con:
        return _sql.import_list(con, limit)


def undo(
    db_path: str | os.PathLike, import_id: str, *, user: str | None = None, in_place: bool = False
) -> dict[str, int]:
    """Undo a loaded import of any kind beside running readers: removed / restored counts.

    Everything, the lookup of the import's kind included, happens on the private copy that
    replaces the live file (db.replacing_writer): nothing here opens the file the app holds.
    Raises ValidationError for an unknown or undone import, or while a later import changed its rows.
    """
    if not db_exists(db_path):
        raise ValidationError(f"no import {import_id!r}")
    if in_place:
        return _plumbing.undo_in(db_path, import_id, user=user)
    with replacing_writer(db_path) as tmp:
        return _plumbing.undo_in(tmp, import_id, user=user)


def quarantine_frame(db: Database | str | os.PathLike, import_id: str) -> pd.DataFrame:
    """The rows an import held back, as they were in the file, with ``_row`` and ``_reasons`` in front."""
    with _reading(db) as con:
        q = _sql.quarantine_rows(con, import_id)
    records = pd.DataFrame.from_records([json.loads(r) if r else {} for r in q["record"]], index=q.index)
    return pd.concat([q[["source_row", "reasons"]].set_axis(["_row", "_reasons"], axis=1), records], axis=1)
