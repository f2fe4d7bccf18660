"""One door for imports of every kind (cases, stations, units) on a live database: run, list, undo, quarantine."""

from __future__ import annotations

import json
import os
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from govdash import ingest, ingest_geo, queries
from govdash.db import Database, replacing_writer, writer
from govdash.geo_sources import parse_geo_mapping
from govdash.ingest import REPORT_COLUMNS, ImportReport
from govdash.mapping import MappingError, builtin_mappings, parse_mapping
from govdash.readers import ValidationError

KINDS = ("cases", *ingest_geo.KINDS)
UPLOAD_TYPES = ("csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "json", "xml", "geojson", "gpkg", "zip")


def builtin(kind: str) -> list[str]:
    """Names of the shipped mappings for ``kind`` (cases only: govdash, open311, 12345)."""
    return list(builtin_mappings()) if kind == "cases" else []


def mapping_from_text(kind: str, text: str | bytes, name: str = "uploaded"):
    """A mapping of ``kind`` from TOML text (an uploaded mapping file); raises MappingError."""
    try:
        doc = tomllib.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{name}: {exc}") from exc
    stem = Path(name).stem
    return parse_mapping(doc, stem) if kind == "cases" else parse_geo_mapping(doc, kind, stem)


def run(kind: str, db_path: str | os.PathLike, file, **options) -> ImportReport:
    """Import ``file`` as ``kind`` into ``db_path`` while the dashboard reads it.

    Options are those of ``ingest.import_cases`` (and ``level`` for units). Writes go to a private
    copy swapped in atomically (db.replacing_writer), so the running app never blocks the import
    and sees all of it or none. Raises ValidationError when the file cannot be imported.
    """
    if kind == "cases":
        options.pop("level", None)
        return ingest.import_live(db_path, file, **options)
    if kind in ingest_geo.KINDS:
        return ingest_geo.import_geo(kind, db_path, file, **options)
    raise ValidationError(f"cannot import {kind!r}: one of {', '.join(KINDS)}")


@contextmanager
def _reading(db: Database | str | os.PathLike):
    """A cursor on ``db`` (the app's Database, so it reopens a replaced file) or on a path, read-only."""
    own = not isinstance(db, Database)
    if own and not Path(db).is_file():
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
    """Recorded imports, newest first (empty when there is no database yet)."""
    if not isinstance(db, Database) and not Path(db).is_file():
        return pd.DataFrame(columns=["import_id", "kind", "file_name", "status"])
    with _reading(db) as con:
        return queries.import_list(con, limit)


def undo(db_path: str | os.PathLike, import_id: str, *, user: str | None = None) -> dict[str, int]:
    """Undo a loaded import of any kind beside running readers; ValidationError when refused.

    Everything, the lookup of the import's kind included, happens on the private copy that
    replaces the live file (db.replacing_writer): nothing here opens the file the app holds.
    """
    if not Path(db_path).is_file():
        raise ValidationError(f"no import {import_id!r}")
    with replacing_writer(db_path) as tmp:
        with writer(tmp) as con:
            found = queries.import_kind(con, import_id)
        if found is None:
            raise ValidationError(f"no import {import_id!r}")
        if found[0] == "cases":
            return ingest.undo_import(tmp, import_id, user=user)
        return ingest_geo.undo_file(tmp, import_id, user=user)


def quarantine_frame(db: Database | str | os.PathLike, import_id: str) -> pd.DataFrame:
    """The rows an import held back, as they were in the file, with ``_row`` and ``_reasons`` in front."""
    with _reading(db) as con:
        q = queries.quarantine_rows(con, import_id)
    records = pd.DataFrame.from_records([json.loads(r) if r else {} for r in q["record"]], index=q.index)
    return pd.concat([q[["source_row", "reasons"]].set_axis(["_row", "_reasons"], axis=1), records], axis=1)


def report_frame(rep: ImportReport) -> pd.DataFrame:
    """Errors then warnings of a report in one table with an ``outcome`` column (error | warning)."""
    parts = [df.assign(outcome=kind) for kind, df in (("error", rep.errors), ("warning", rep.warnings)) if len(df)]
    if not parts:
        return pd.DataFrame(columns=["outcome", *REPORT_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["outcome", *REPORT_COLUMNS]]


def outcome_counts(rep: ImportReport) -> dict[str, int]:
    """Source rows by outcome: read, inserted, updated, unchanged, failed, quarantined; and the warnings."""
    return {"rows_read": rep.rows, "inserted": rep.inserted, "updated": rep.updated, "unchanged": rep.unchanged,
            "failed": rep.failed, "quarantined": rep.quarantined, "warnings": len(rep.warnings)}
