"""Benchmark of the trends, rankings and lifecycle page data and the monthly briefing.

Run: python -m bench.trends [--db /tmp/t1.duckdb ...] [--repeat 5]. Build the database first with
``python -m govdash demo --db /tmp/t1.duckdb --cases 1000000``. "cold" opens a new connection
for every call (the app's first visitor after a start or a file swap; the OS file cache stays
warm); "warm" repeats the call on one open connection, as the app does between cache expiries.
Streamlit's own result cache would make a repeated view instant; it is not exercised here.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np

from govdash import briefing, events, indicators, lifecycle, periods, queries, queries_trend, rankings, settings
from govdash.db import Database
from govdash.filters import default


def _page_data(db: Database, f, at, s) -> None:
    """What the trends page computes on its first view (headline, the 10-panel grid by month)."""
    indicators.headline(db, f, at, s)
    indicators.trend_table(db, f, "month", at)


STEPS = {
    "trends page: headline + month grid": lambda db, f, at, s: _page_data(db, f, at, s),
    "trend table by day, split by town": lambda db, f, at, s: indicators.trend_table(db, f, "day", at, "town"),
    "trend table by week, split by category": lambda db, f, at, s: indicators.trend_table(
        db, f, "week", at, "category"
    ),
    "open backlog per day, 1 year": lambda db, f, at, s: queries_trend.open_backlog(
        db, f.with_(start=f.end - timedelta(days=364)), "day", at
    ),
    "anomalies (category x town, 30 days + 8 weeks)": lambda db, f, at, s: briefing.anomaly_list(db, f),
    "rankings: towns (now and previous)": lambda db, f, at, s: rankings.ranking(db, f, "town", at, s),
    "rankings: departments": lambda db, f, at, s: rankings.ranking(db, f, "department", at, s),
    "lifecycle: chain + escalations + whistles + tiers + oldest overdue": lambda db, f, at, s: (
        events.chain_data(db, f),
        events.escalation_data(db, f),
        events.whistle_data(db, f),
        lifecycle.tier_data(db, f, "month", at),
        lifecycle.oldest(db, f, at, overdue_only=True, limit=50),
    ),
}


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def run(path: str, repeat: int) -> None:
    s = settings.load()
    probe = Database(path)
    n = int(probe.scalar("SELECT count(*) FROM cases"))
    at = queries.as_of(probe)
    f = default(at.date())  # the app's default view: the last 30 days
    probe.close()
    print(f"\n{path}: {n:,} cases, view {f.start} – {f.end}, median of {repeat}")
    print(f"{'step':<48} {'cold ms':>9} {'warm ms':>9} {'cold/warm':>9}")
    total_cold = total_warm = 0.0
    for name, step in STEPS.items():

        def cold(step=step):
            db = Database(path)
            step(db, f, at, s)
            db.close()

        warm_db = Database(path)
        step(warm_db, f, at, s)  # open the connection and touch the data once
        c = _median(cold, repeat)
        w = _median(lambda: step(warm_db, f, at, s), repeat)  # noqa: B023 - called within this iteration
        warm_db.close()
        total_cold, total_warm = total_cold + c, total_warm + w
        print(f"{name:<48} {c * 1000:9.0f} {w * 1000:9.0f} {c / w:9.2f}")
    print(f"{'sum':<48} {total_cold * 1000:9.0f} {total_warm * 1000:9.0f} {total_cold / total_warm:9.2f}")
    db = Database(path)
    month = periods.last_complete("month", at)
    sec = _median(lambda: briefing.build(db, month, lang="zh", s=s), repeat)
    size = len(briefing.build(db, month, lang="zh", s=s).encode("utf-8"))
    print(f"briefing {month.key()} (zh): {sec:.2f} s, {size / 1024:.0f} KB; {sec / n * 1e9:.0f} ns per case")
    db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", nargs="+", default=["/tmp/t1.duckdb"], help="demo databases to time")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    for path in args.db:
        run(path, args.repeat)


if __name__ == "__main__":
    main()
