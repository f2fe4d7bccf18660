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
import time
from pathlib import Path

from govdash import db, writes
from govdash.db import writer

TAIL_SHARE = 0.10  # rewrite once the rows appended since the last rewrite exceed this share of all cases…
TAIL_MIN = 200_000  # …and this many: a tail this small costs a few ms per query, a rewrite seconds
# the rewrite's sort may hold this much and spills the rest beside the file: it can run inside an
# app server (an upload on the admin page). 10 M cases: 33 s, peak RSS 1.2 GB (unbounded: 34 s, 7.9 GB)
REWRITE_MEMORY = "1GB"


def recluster(path: str | os.PathLike) -> dict:
    """Rewrite the file at ``path`` with every table copied and cases in ``CLUSTER_ORDER``.

    ``path`` must not be open in another process: the import subsystem's private copy (inside
    ``db.replacing_writer``) or a file no app holds; a live database goes through ``optimize``.
    The new file is built beside it and renamed over it: on any error ``path`` is left as it was.
    Returns ``{"rows", "seconds", "mb_before", "mb_after"}``.
    """
    t0, before = time.perf_counter(), Path(path).stat().st_size
    with db.write_private(path, fresh=True) as con:
        rows = _sorted_copy(con)
    return _figures(path, rows, t0, before)


def _sorted_copy(con) -> int:
    """Copy every table of the attached ``src`` into the new file, cases in ``CLUSTER_ORDER``; the cases copied."""
    con.execute(f"SET memory_limit = '{REWRITE_MEMORY}'")  # a constant of ours, not user input; spills beside
    for table in writes.source_tables(con, "src"):
        writes.copy_table(con, "src", table)
    rows = writes.case_rows(con)
    writes.set_clustered_rows(con, rows)
    return rows


def _figures(path, rows: int, t0: float, before: int) -> dict:
    return {
        "rows": rows,
        "seconds": time.perf_counter() - t0,
        "mb_before": before / 2**20,
        "mb_after": Path(path).stat().st_size / 2**20,
    }


def tail(con) -> int:
    """Cases appended (or removed) since the table was last written in order."""
    return abs(writes.case_rows(con) - writes.clustered_rows(con))


def due(con) -> bool:
    """Whether the appended tail is worth a rewrite (``TAIL_SHARE`` of the cases and ``TAIL_MIN`` rows)."""
    return tail(con) >= max(TAIL_MIN, TAIL_SHARE * writes.case_rows(con))


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
    except db.WriteError as exc:
        return {"error": exc.reason}


def optimize(db_path: str | os.PathLike) -> dict:
    """Rewrite a live database in order beside running apps: one ``db.write`` of a fresh file.

    Raises db.DatabaseMissing when there is no database at ``db_path``.
    """
    t0 = time.perf_counter()
    before = Path(db_path).stat().st_size if Path(db_path).is_file() else 0
    with db.write(db_path, create=False, fresh=True) as con:
        rows = _sorted_copy(con)
    return _figures(db_path, rows, t0, before)
