"""Shared import plumbing: the input, the connection, the one write transaction, undo, the swap beside readers."""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from govdash import export, settings
from govdash.db import exists, replacing_writer, retrying, side_folder, writer
from govdash.ingest import _coords, _sql
from govdash.ingest._readers import Source, Table, ValidationError, open_source
from govdash.ingest._report import ImportReport, quarantine_csv, quarantine_rows


def now(tz: str | None = None) -> datetime:
    """Wall-clock time in the district's zone ``tz`` (default: settings' timezone), naive, to the second: cases
    store naive local times of their district."""
    return datetime.now(ZoneInfo(tz or settings.load().timezone)).replace(tzinfo=None, microsecond=0)


def begin(file, *, name: str | None, crs: str | None, on_error: str, max_mb: float | None) -> tuple[Source, str | None]:
    """Check the options and open the input (refused unread over ``max_mb``): (source, normalised crs or None)."""
    if on_error not in {"reject", "quarantine"}:
        raise ValueError("on_error is 'reject' or 'quarantine'")
    try:
        crs = _coords.normalise_crs(crs) if crs is not None else None
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    limit = int((settings.load().max_upload_mb if max_mb is None else max_mb) * 2**20)
    return open_source(file, name=name, max_bytes=limit), crs


def quarantine_folder(db_path, given=None) -> Path:
    """Where an import's quarantined rows go as CSV: ``given``, else ``quarantine/`` beside the database
    (beside a SQLite lake's catalog; ``data/quarantine`` for a PostgreSQL lake: ``db.side_folder``)."""
    return Path(given) if given else side_folder(db_path) / "quarantine"


@contextmanager
def session(db_path, dry_run: bool):
    """The writer connection on ``db_path`` (a dry run rolls its writes back), or for a dry run without a file
    an empty in-memory database."""
    with writer(db_path if exists(db_path) or not dry_run else ":memory:") as con:
        # half the import's memory cap, so DuckDB spills to disk before the process reaches it
        con.execute(f"SET memory_limit = '{max(64, int(settings.load().import_memory_mb) // 2)}MB'")
        yield con


@contextmanager
def staged(con, stage):
    """``stage`` (an Arrow table) registered as `import_rows` on ``con`` for the length of the block."""
    con.register("import_rows", stage)  # zero-copy scans
    try:
        yield
    finally:
        con.unregister("import_rows")


def failure(file: str, exc: BaseException) -> ValidationError:
    """One line for a writer's failure (disk full, a constraint the database enforces, a lost file)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        why = "no space left on device while writing"
    elif isinstance(exc, OSError):
        why = f"cannot write ({exc.strerror or type(exc).__name__})"
    else:
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        why = f"the database refused the import ({text})"
    return ValidationError(f"{file}: {why}; nothing was loaded")


WRITER_ERRORS = (OSError, duckdb.Error)


def write(
    con,
    kind: str,
    rep: ImportReport,
    table: Table,
    bad: np.ndarray,
    *,
    columns: list[str],
    crs: str | None,
    user: str | None,
    qdir: Path,
    dry_run: bool = False,
    also=None,
) -> None:
    """Everything that changes the database, in one transaction on the staged `import_rows`; fills in the counts.

    The upsert (with what undo needs), the failed rows into quarantine (and a CSV in ``qdir``) and the
    import's record either all happen or none does; the CSV is removed again on failure. A dry run
    runs the very same statements, with the same constraints, and rolls them back. A writer error
    (disk full, constraint) is raised as a one-line ValidationError.
    """
    tz = _sql.district_timezone(con)  # import times in the district's zone, as its cases' times
    started = now(tz)
    import_id = f"imp-{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    prior = _sql.import_same_file(con, rep.sha256)
    csv_path = None
    con.execute("BEGIN TRANSACTION")
    try:
        for k, v in _sql.apply(con, kind, import_id, started, columns).items():
            setattr(rep, k, v)
        if also is not None:  # a write of this import's (a units import choosing the CRS; new catalogue entries)
            also(con, import_id)
        if rep.failed:
            qrows = quarantine_rows(table, bad, rep.errors, import_id, rep.file)
            con.register("import_bad", qrows)
            try:
                _sql.import_quarantine(con)
            finally:
                con.unregister("import_bad")
            if not dry_run:
                rep.quarantined = len(qrows)
                qdir.mkdir(parents=True, exist_ok=True)
                csv_path = qdir / f"{import_id}.csv"
                csv_path.write_bytes(export.to_csv_bytes(quarantine_csv(table, bad, rep.errors)))
        _sql.import_record(
            con,
            {
                "import_id": import_id,
                "kind": kind,
                "file_name": rep.file,
                "sha256": rep.sha256,
                "mapping": rep.mapping,
                "crs": crs,
                "on_error": rep.on_error,
                "rows_read": rep.rows,
                "inserted": rep.inserted,
                "updated": rep.updated,
                "unchanged": rep.unchanged,
                "quarantined": rep.quarantined,
                "outside_units": rep.outside_units,
                "warnings": len(rep.warnings),
                "started_at": started,
                "finished_at": now(tz),
                "user_name": user,
            },
        )
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException as exc:
        with suppress(duckdb.Error):  # a failed COMMIT (a lake's lost race) has ended the transaction already
            con.execute("ROLLBACK")
        if csv_path is not None:
            csv_path.unlink(missing_ok=True)
        rep.import_id, rep.status, rep.quarantine_csv = None, "rejected", None
        if isinstance(exc, WRITER_ERRORS):
            raise failure(rep.file, exc) from exc
        raise
    if dry_run:
        rep.status = "dry_run"
        return
    rep.import_id, rep.status = import_id, "loaded"
    rep.quarantine_csv = str(csv_path) if csv_path else None
    if prior:
        rep.notes.append(f"the same file was imported before as {', '.join(prior)}")


def undo_in(path: str | os.PathLike, import_id: str, *, user: str | None = None) -> dict[str, int]:
    """Undo a loaded import of any kind in ``path`` (a file no other process has open), in one transaction.

    Refused (ValidationError) for an unknown or undone import, and while a later, still-loaded import
    changed the same rows: undo that first.
    """
    with writer(path) as con:
        found = _sql.import_kind(con, import_id)
        if found is None:
            raise ValidationError(f"no import {import_id!r}")
        kind, status = found
        if status != "loaded":
            raise ValidationError(f"import {import_id} is already {status}")
        later = _sql.blockers(con, kind, import_id)
        if later:
            raise ValidationError(f"later imports changed the same {kind}; undo them first: {', '.join(later)}")
        con.execute("BEGIN TRANSACTION")
        try:
            out = _sql.undo(con, kind, import_id, now(_sql.district_timezone(con)), user)
            con.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
    return out


class _NoWrite(Exception):
    """Raised inside the private copy's block to leave the live file as it was (rejected file)."""

    def __init__(self, rep: ImportReport):
        super().__init__("nothing to write")
        self.rep = rep


def live(db_path: str | os.PathLike, work: Callable[[str], ImportReport], name: str) -> ImportReport:
    """``work(copy)`` on a private copy of ``db_path`` swapped in atomically when it loaded something.

    Readers see the file as it was until the import commits, then the whole import at once; a
    process killed midway, or an import that loads nothing, leaves the live file untouched.
    Imports are serialised by the writer lock (db.replacing_writer). A dry run works on the copy too,
    so it meets every constraint the import would. Writer errors name the file ``name``.

    On a lake there is no copy: ``work`` runs on the lake, its one transaction commits a snapshot, and
    a commit that lost a race with another writer (DuckLake's conflict check) is run again from the
    start (``db.retrying``), so concurrent writers lose and double nothing.
    """

    def once() -> ImportReport:
        with replacing_writer(db_path) as tmp:
            rep = work(tmp)
            if rep.status != "loaded":
                raise _NoWrite(rep)
        return rep

    try:
        return retrying(db_path, once)
    except _NoWrite as stop:
        return stop.rep
    except WRITER_ERRORS as exc:  # the private copy, its checkpoint or the swap: the live file is as it was
        raise failure(name, exc) from exc
