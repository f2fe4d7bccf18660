"""Benchmark: batch imports beside continuously querying readers (snapshot swap, db.replacing_writer).

Run: .venv/bin/python bench/live_import.py [--base-cases 20000] [--rows 100000] [--batch 10000] [--readers 10]
Prints import rows/s alone and beside the readers, the readers' query latency (p50 / p95 / max),
how long a finished batch took to become visible to them, and reader errors (must be 0).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sql  # noqa: E402
from govdash import demo, ingest, queries  # noqa: E402
from govdash.db import Database  # noqa: E402
from govdash.filters import Filters  # noqa: E402

ALL_TIME = Filters(start=date(2000, 1, 1), end=date(2100, 12, 31))
COUNT = "SELECT count(*) FILTER (WHERE starts_with(case_id, 'LV')) FROM cases"


def batches(base: Path, out: Path, rows: int, size: int) -> list[Path]:
    db = Database(base)
    template = sql.sample(db, size)
    db.close()
    files = []
    for b in range(rows // size):
        path = out / f"b{b:03d}.parquet"
        template.assign(case_id=[f"LV{b:03d}{j:06d}" for j in range(size)]).to_parquet(path, index=False)
        files.append(path)
    return files


def run(base: Path, files: list[Path], work: Path, readers: int) -> dict:
    live = work / f"live{readers}.duckdb"
    shutil.copyfile(base, live)
    db = Database(live)
    stop = threading.Event()
    lat: list[float] = []
    errors: list[str] = []
    seen_at: dict[int, float] = {}  # live-case count -> first time a reader saw it

    def reader() -> None:
        at = queries.as_of(db)
        while not stop.is_set():
            try:
                t0 = time.perf_counter()
                n = int(db.scalar(COUNT))
                seen_at.setdefault(n, time.perf_counter())
                queries.kpis(db, ALL_TIME, at)
                queries.cases_page(db, ALL_TIME, limit=20)
                lat.append(time.perf_counter() - t0)
            except Exception as exc:  # counted and reported: a reader must never fail
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for th in threads:
        th.start()
    done_at: dict[int, float] = {}
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        rep = ingest.run("cases", live, f, mapping="govdash")
        assert rep.status == "loaded", rep.summary()
        done_at[(i + 1) * rep.inserted] = time.perf_counter()
    seconds = time.perf_counter() - t0
    time.sleep(1.0)
    stop.set()
    for th in threads:
        th.join()
    final = int(db.scalar(COUNT))
    db.close()
    visible = [max(0.0, seen_at[n] - t) for n, t in done_at.items() if n in seen_at]  # swap happens before return
    return {
        "rows_s": final / seconds,
        "final": final,
        "errors": len(errors),
        "lat": np.array(lat),
        "visible": np.array(visible),
        "file_mb": live.stat().st_size / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-cases", type=int, default=20_000, help="cases in the starting demo database")
    ap.add_argument("--rows", type=int, default=100_000, help="cases to import")
    ap.add_argument("--batch", type=int, default=10_000, help="cases per import (one snapshot swap each)")
    ap.add_argument("--readers", type=int, default=10, help="reader threads querying continuously")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base.duckdb"
        demo.build(base, cases=args.base_cases, seed=7)
        files = batches(base, work, args.rows, args.batch)
        alone = run(base, files, work, 0)
        busy = run(base, files, work, args.readers)
    print(
        f"{args.rows:,} cases in batches of {args.batch:,} onto a {args.base_cases:,}-case demo database "
        f"(file {busy['file_mb']:.0f} MB at the end)"
    )
    print(f"import alone:                 {alone['rows_s']:8,.0f} rows/s")
    print(
        f"import beside {args.readers} readers:      {busy['rows_s']:8,.0f} rows/s "
        f"({busy['rows_s'] / alone['rows_s']:.2f} of alone)"
    )
    lat = busy["lat"] * 1000
    if len(lat):
        print(
            f"reader round (count + kpis + page): {len(lat):,} rounds, p50 {np.percentile(lat, 50):.0f} ms, "
            f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms"
        )
    if len(busy["visible"]):
        print(
            f"a committed batch was seen by a reader after: median {np.median(busy['visible']) * 1000:.0f} ms, "
            f"max {busy['visible'].max() * 1000:.0f} ms"
        )
    print(f"reader errors: {busy['errors']}; final count {busy['final']:,} (expected {args.rows:,})")


if __name__ == "__main__":
    main()
