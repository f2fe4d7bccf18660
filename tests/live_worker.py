"""Processes for tests/test_live_import.py and bench/live_import.py: a batch importer and a reader.

``python tests/live_worker.py write DB FILE...`` imports each file with ``ingest.run`` (one
snapshot swap per file) and prints ``start i`` / ``done i inserted`` lines as it goes.
``python tests/live_worker.py read DB SECONDS OUT`` queries DB continuously from one process for
SECONDS (or until ``OUT.stop`` exists) and writes what it saw to OUT as JSON.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import date
from pathlib import Path

from govdash import ingest, queries
from govdash.db import Database
from govdash.filters import Filters

PREFIX = "LV"  # case ids of the generated batches
ALL_TIME = Filters(start=date(2000, 1, 1), end=date(2100, 12, 31))


COUNT_SQL = "SELECT count(*) FILTER (WHERE starts_with(case_id, $p)) AS live, count(*) AS total FROM cases"


def counts(db: Database) -> tuple[int, int]:
    """Generated cases and all cases."""
    row = db.execute(COUNT_SQL, {"p": PREFIX}).iloc[0]
    return int(row["live"]), int(row["total"])


def write(db: str, files: list[str]) -> None:
    for i, path in enumerate(files):
        print(f"start {i}", flush=True)
        rep = ingest.run("cases", db, path, mapping="govdash", user="live-test")
        if rep.status != "loaded":
            raise SystemExit(rep.summary())
        print(f"done {i} {rep.inserted}", flush=True)


def read_loop(db: Database, stop: threading.Event, seen: list, errors: list, latencies: list) -> None:
    """Query until ``stop``: the live-case count, the headline indicators and a page of cases."""
    at = None
    while not stop.is_set():
        try:
            t0 = time.perf_counter()
            live, _ = counts(db)
            latencies.append(time.perf_counter() - t0)
            seen.append(live)
            at = at or queries.as_of(db)
            t0 = time.perf_counter()
            queries.kpis(db, ALL_TIME, at)
            queries.cases_page(db, ALL_TIME, limit=20)
            latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # a reader must never fail: the test reports every exception
            errors.append(repr(exc))


def read(db_path: str, seconds: float, out: str, threads: int = 2) -> None:
    db = Database(db_path)
    stop = threading.Event()
    seen: list[list[int]] = [[] for _ in range(threads)]
    errors: list[str] = []
    latencies: list[float] = []
    workers = [threading.Thread(target=read_loop, args=(db, stop, seen[i], errors, latencies)) for i in range(threads)]
    for w in workers:
        w.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not Path(out + ".stop").exists():
        time.sleep(0.05)
    stop.set()
    for w in workers:
        w.join()
    final = counts(db)[0]
    Path(out).write_text(
        json.dumps(
            {"seen": seen, "errors": errors[:20], "n_errors": len(errors), "queries": len(latencies), "final": final}
        )
    )


if __name__ == "__main__":
    mode, db_arg, *rest = sys.argv[1:]
    if mode == "write":
        write(db_arg, rest)
    else:
        read(db_arg, float(rest[0]), rest[1])
