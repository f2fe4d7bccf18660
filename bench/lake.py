"""Benchmark: every page's data on the DuckDB file and on a DuckLake holding the same data, and 1,000-case commits.

Run: .venv/bin/python bench/lake.py --db FILE.duckdb [--lake ducklake:sqlite:/tmp/lake.sqlite] [--repeat 5]
The lake is made from the file with ``govdash.migrate`` when it is empty. Prints per page the
median / p95 wall time and median CPU time on both stores (warm, the bench's typical filters), the
lake ÷ file ratio, and the p95 of a 1,000-case commit on the lake (a transaction, as the feed's).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages as bp  # noqa: E402
from bench.run import stats  # noqa: E402
from govdash import lake, migrate, queries  # noqa: E402
from govdash.db import Database  # noqa: E402


def page_times(db: Database, pages: dict, filters: dict, at, repeat: int) -> dict[str, dict]:
    """Per page: wall / CPU samples over every filter, after one warm-up run each."""
    out = {}
    for page, spec in pages.items():
        wall, cpu = [], []
        for f in filters.values():
            spec.govdash(db, f, at)
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                spec.govdash(db, f, at)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        out[page] = stats(wall, cpu)
    return out


def commit_times(target: str, n: int, batches: int) -> dict:
    """``batches`` commits of ``n`` new cases each on the lake (copies of existing rows with new ids)."""
    con = lake.connect(lake.parse(target))
    samples = []
    try:
        for b in range(batches):
            t0 = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "INSERT INTO data.cases SELECT * REPLACE ('BL' || $b || '-' || case_id AS case_id) "
                "FROM data.cases WHERE NOT starts_with(case_id, 'BL') LIMIT $n",
                {"b": b, "n": n},
            )
            con.execute("COMMIT")
            samples.append(time.perf_counter() - t0)
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM data.cases WHERE starts_with(case_id, 'BL')")  # leave the lake as found
        con.execute("COMMIT")
    finally:
        con.close()
    return stats(samples)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="DuckDB file (e.g. one built by python -m govdash demo)")
    p.add_argument("--lake", default=None, help="lake target (default: ducklake:sqlite:<db>.lake.sqlite)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--pages", default="overview,map,heatmap,trends,cases")
    p.add_argument("--commits", type=int, default=20, help="1,000-case commits to time (0: skip)")
    args = p.parse_args()
    target = args.lake or f"ducklake:sqlite:{args.db}.lake.sqlite"
    con = lake.connect(lake.parse(target))  # creates an empty lake when there is none
    try:
        empty = not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'data'").fetchone()[0]
    finally:
        con.close()
    if empty:
        r = migrate.migrate(args.db, target)
        print(f"migrated {r['rows']:,} rows into {target} in {r['seconds']:.1f} s")
    file_db, lake_db = Database(args.db), Database(target)
    at, filters = queries.as_of(file_db), bp.typical_filters(file_db)
    pages = {k: v for k, v in bp.registry().items() if k in args.pages.split(",")}
    both = {
        "file": page_times(file_db, pages, filters, at, args.repeat),
        "lake": page_times(lake_db, pages, filters, at, args.repeat),
    }
    print(f"{int(file_db.scalar('SELECT count(*) FROM cases')):,} cases; {len(filters)} filters × {args.repeat} runs")
    print(
        f"{'page':<10}{'file median':>12}{'p95':>8}{'cpu':>8}{'lake median':>13}{'p95':>8}{'cpu':>8}"
        f"{'lake÷file':>11}{'cpu':>7}"
    )
    for page in pages:
        f, k = both["file"][page], both["lake"][page]
        print(
            f"{page:<10}{f['median_ms']:>12.0f}{f['p95_ms']:>8.0f}{f['cpu_median_ms']:>8.0f}{k['median_ms']:>13.0f}"
            f"{k['p95_ms']:>8.0f}{k['cpu_median_ms']:>8.0f}{k['median_ms'] / f['median_ms']:>11.2f}"
            f"{k['cpu_median_ms'] / f['cpu_median_ms']:>7.2f}"
        )
    ratios = [both["lake"][p]["median_ms"] / both["file"][p]["median_ms"] for p in pages]
    print(f"geometric mean lake ÷ file: {float(np.exp(np.mean(np.log(ratios)))):.2f}")
    if args.commits:
        c = commit_times(target, 1000, args.commits)
        print(
            f"1,000-case commit on the lake: median {c['median_ms']:.0f} ms, p95 {c['p95_ms']:.0f} ms "
            f"({c['n']} commits)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
