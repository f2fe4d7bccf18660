"""Copying a database file into a DuckLake (or a lake into a file), verified row for row."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from govdash import db, lake, schema, writes, writes_days


class MigrateError(RuntimeError):
    """The copy could not be made or did not verify; the target is left as it was."""


def _attach(
    con: duckdb.DuckDBPyConnection, target: str, alias: str, *, read_only: bool, data_path: str | None = None
) -> None:
    if lake.is_lake(target):
        lake.attach(con, lake.parse(target, data_path), alias, read_only=read_only)
    else:
        db.attach(con, target, alias, read_only=read_only)


def fingerprints(
    con: duckdb.DuckDBPyConnection, alias: str, columns: dict[str, list[str]] | None = None
) -> dict[str, tuple[int, int]]:
    """Per table of the attached database ``alias``: (rows, order-free hash of every row's every column, or of the
    columns ``columns`` names for it: a source made before a column was added has only its own to compare)."""
    out = {}
    for table in writes.source_tables(con, alias):
        out[table] = writes.table_fingerprint(con, alias, table, (columns or {}).get(table))
    return out


def migrate(source: str, target: str, *, data_path: str | None = None) -> dict:
    """Copy every table of ``source`` into ``target`` (cases in ``queries.CLUSTER_ORDER``) and verify it.

    Either side is a DuckDB file or a lake (``ducklake:…``). The target must hold no data: a new
    file, a new lake or a lake with only empty tables. The copy is one transaction on the target,
    checked before it commits (row counts and a hash per table), and a file target is written
    beside its name and renamed at the end: a failure or a mismatch leaves the target as it was.
    Returns ``{"tables": {name: (rows, hash)}, "rows", "seconds"}``.
    """
    t0 = time.perf_counter()
    if not lake.is_lake(source) and not Path(source).is_file():
        raise MigrateError(f"no database at {source}")
    to_file = not lake.is_lake(target)
    if to_file and Path(target).exists():
        raise MigrateError(f"{target} exists: migrate into a new file")
    if to_file:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    dest = str(Path(target).with_name(f".{Path(target).name}.migrate.tmp")) if to_file else target
    if to_file:
        for p in (Path(dest), Path(f"{dest}.wal")):
            p.unlink(missing_ok=True)
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
    try:
        _attach(con, source, "src", read_only=True)
        _attach(con, dest, "dst", read_only=False, data_path=data_path)
        con.execute("USE dst")
        busy = [t for t in writes.source_tables(con, "dst") if writes.table_fingerprint(con, "dst", t)[0]]
        if busy:
            raise MigrateError(f"{target} already holds data (tables {', '.join(busy)}): migrate into an empty one")
        con.execute("BEGIN TRANSACTION")
        if not to_file:
            lake.lay_out(con, "dst", tables=False)
        schema.create(con)
        if not to_file:
            lake.lay_out(con, "dst", tables=True)
        own = {t: writes.table_columns(con, "src", t) for t in writes.source_tables(con, "src")}
        for table in own:
            writes.copy_table(con, "src", table)
        # checked before the commit (on the source's own columns): a copy that does not match is rolled back
        want, got = fingerprints(con, "src", own), fingerprints(con, "dst", own)
        wrong = {t: (v, got.get(t)) for t, v in want.items() if got.get(t) != v}
        wrong.update({t: (None, v) for t, v in got.items() if t not in want and v[0]})
        if wrong:
            con.execute("ROLLBACK")
            raise MigrateError(f"copy does not match its source (source, copy): {wrong}")
        if writes_days.present(con) and set(schema.ADDED_SUMMARY_COLUMNS) - set(own.get("case_days", ())):
            writes_days.rebuild(con)  # a summary made before the ranking's columns: whole again in the copy
        con.execute("COMMIT")
        if to_file:
            con.execute("USE memory")
            con.execute("DETACH dst")
            with open(dest, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(dest, target)
    finally:
        con.close()
        if to_file:
            for p in (Path(dest), Path(f"{dest}.wal")):
                p.unlink(missing_ok=True)
    return {"tables": want, "rows": sum(n for n, _ in want.values()), "seconds": time.perf_counter() - t0}
