"""The database file's physical layout: cases clustered by month and area (queries.CLUSTER_ORDER).

Why: DuckDB skips whole row groups (122,880 rows) whose min/max cannot match a filter. Stored in
order of reporting, every row group of a month holds every street/town, so a view of one town
still reads the whole period; clustered by month, town and community it reads that area's few
row groups (a town over a year at 10 M cases: 2.5–3× faster; district views unchanged).
Imports append rows at the end in arrival order; once the appended tail is large enough to
matter, the file is rewritten in order (``maybe_recluster``), or on demand (``optimize``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

from govdash import queries
from govdash.db import attach, replacing_writer, writer

TAIL_SHARE = 0.10    # rewrite once the rows appended since the last rewrite exceed this share of all cases…
TAIL_MIN = 200_000   # …and this many: a tail this small costs a few ms per query, a rewrite seconds
# the rewrite's sort may hold this much and spills the rest beside the file: it can run inside an
# app server (an upload on the admin page). 10 M cases: 33 s, peak RSS 1.2 GB (unbounded: 34 s, 7.9 GB)
REWRITE_MEMORY = "1GB"


def recluster(path: str | os.PathLike) -> dict:
    """Rewrite the file at ``path`` with every table copied and cases in ``CLUSTER_ORDER``.

    ``path`` must not be open in another process (a private copy inside ``db.replacing_writer``,
    or a file no app holds). The new file is built beside it and renamed over it: on any error
    ``path`` is left as it was. Returns ``{"rows", "seconds", "mb_before", "mb_after"}``.
    """
    path = Path(path)
    fresh = path.with_name(f".{path.name}.cluster.tmp")
    spill = Path(f"{fresh}.spill")
    t0, before = time.perf_counter(), path.stat().st_size
    for p in (fresh, Path(f"{fresh}.wal")):
        p.unlink(missing_ok=True)
    try:
        with writer(fresh) as con:
            con.execute(f"SET memory_limit = '{REWRITE_MEMORY}'")  # a constant of ours, not user input
            con.execute("SET temp_directory = $d", {"d": str(spill)})
            attach(con, path, "src", read_only=True)
            con.execute("BEGIN TRANSACTION")
            for table in queries.source_tables(con, "src"):
                queries.copy_table(con, "src", table)
            rows = queries.case_rows(con)
            queries.set_clustered_rows(con, rows)
            con.execute("COMMIT")
            con.execute("DETACH src")
            con.execute("CHECKPOINT")
        with open(fresh, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(fresh, path)
    finally:
        for p in (fresh, Path(f"{fresh}.wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
    return {"rows": rows, "seconds": time.perf_counter() - t0, "mb_before": before / 2**20,
            "mb_after": path.stat().st_size / 2**20}


def tail(con) -> int:
    """Cases appended (or removed) since the table was last written in order."""
    return abs(queries.case_rows(con) - queries.clustered_rows(con))


def due(con) -> bool:
    """Whether the appended tail is worth a rewrite (``TAIL_SHARE`` of the cases and ``TAIL_MIN`` rows)."""
    return tail(con) >= max(TAIL_MIN, TAIL_SHARE * queries.case_rows(con))


def maybe_recluster(path: str | os.PathLike, *, due_now: bool | None = None) -> dict | None:
    """``recluster(path)`` when ``due``; the figures of the rewrite, or None.

    Called after every loaded case import, which passes ``due_now`` as it found it on its own
    connection. A failed rewrite (disk full) leaves the file, with the import in it, as it was:
    the error is returned as ``{"error": ...}`` instead of raised.
    """
    if due_now is None:
        with writer(path) as con:
            due_now = due(con)
    if not due_now:
        return None
    try:
        return recluster(path)
    except (OSError, duckdb.Error) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def optimize(db_path: str | os.PathLike) -> dict:
    """Rewrite a live database in order beside running apps (through ``db.replacing_writer``)."""
    if not Path(db_path).is_file():
        raise FileNotFoundError(db_path)
    with replacing_writer(db_path) as tmp:
        return recluster(tmp)
