"""Benchmark of issue 21 items 3–4: the judged rates of every period in one grouped statement, and caches that
survive the live feed's writes (govdash.freshness).

Run: python -m bench.fresh --db /tmp/t200k.duckdb --db /tmp/t1m.duckdb [--repeat 3] [--rounds 10]. Build each
database first with ``python -m govdash demo --db … --cases N``. Figures are CPU seconds of this process
(``time.process_time``: DuckDB's threads included), median over ``repeat`` runs, for the whole district over
the last 30 days and the last year to the data time.

1. ``before`` / ``after``: the trends page (headline + month grid), the overview (leader.overview's reads) and the
   wall's weekly trend, with the judged rates asked once per period (the loop as it was, ``judged_per_period``)
   and from one grouped statement (indicators.judged → queries_trend.due_by_period).
2. With the feed writing (a batch of 2 new cases and 2 status changes every 5 s of data time, as
   ``python -m govdash feed``'s default rate), a warm visit of the trends page and the wall's weekly trend after
   each batch: CPU and result-cache hit rate, keyed by the database version (every write misses, as before) and by
   what each result read (freshness.call). The database is copied first; the copy is written, not the original.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench import pages
from govdash import feed, freshness, indicators, leader, queries, settings, wall
from govdash.db import Database
from govdash.filters import Filters


def judged_per_period(db, table, f, period, at):
    """indicators.judged as it was before the grouped statement: queries.due_totals once per period."""
    out = table.copy()
    for i, start in enumerate(pd.to_datetime(out["period"])):
        end = (start + indicators.STEPS[period] - pd.Timedelta(days=1)).date()
        due = queries.due_totals(db, f.with_(start=max(start.date(), f.start), end=min(end, f.end)), at)
        for key in indicators.JUDGED:
            out.loc[out.index[i], key] = due[key]
    return out


VIEWS = {
    "trends page (headline + month grid)": lambda db, f, at: pages.trends(db, f, at),
    "overview (leader.overview + towns)": lambda db, f, at: (leader.overview(db, f, at), pages.overview(db, f, at)),
    "wall weekly trend": lambda db, f, at: wall.trend_data(db, f, at),
}


def _cpu(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def windows(at) -> dict[str, Filters]:
    end = at.date()
    return {
        "district × 30 days": Filters(start=end - timedelta(days=29), end=end),
        "district × 1 year": Filters(start=end - timedelta(days=364), end=end),
    }


def grouped(path: str, repeat: int) -> None:
    db = Database(path)
    at = queries.as_of(db)
    print(f"\n{path}: {db.scalar('SELECT count(*) FROM cases'):,} cases, data time {at}")
    print(f"{'view':42} {'window':20} {'before s':>9} {'after s':>9} {'×':>6}")
    now_judged = indicators.judged
    for view, fn in VIEWS.items():
        for name, f in windows(at).items():
            fn(db, f, at)  # warm the file cache
            try:
                indicators.judged = judged_per_period
                before = _cpu(lambda: fn(db, f, at), repeat)  # noqa: B023
            finally:
                indicators.judged = now_judged
            after = _cpu(lambda: fn(db, f, at), repeat)  # noqa: B023
            print(f"{view:42} {name:20} {before:9.3f} {after:9.3f} {before / after:6.2f}")
    db.close()


class Memo:
    """A result cache as ui's: (name, version, arguments) -> result; counts hits and misses."""

    def __init__(self, db: Database, by_version: bool):
        self.db, self.by_version, self.store, self.hits, self.misses = db, by_version, {}, 0, 0

    def __call__(self, key, version, fn, args, kwargs):
        k = (key, version, args, tuple(sorted(kwargs.items())))
        if k in self.store:
            self.hits += 1
        else:
            self.misses += 1
            self.store[k] = fn(self.db, *args, **kwargs)
        return self.store[k]

    def call(self, fn, *args):
        if self.by_version:  # every result keyed by the database version, as ui.cached was
            return self(freshness.name(fn), self.db.version(), fn, args, {})
        return freshness.call(self.db, fn, args, {}, self)


def _visit(memo: Memo, f: Filters, at, s) -> None:
    """What the trends page and the wall's trend panel ask ui.cached for on a visit."""
    memo.call(indicators.headline, f, at, s, "zh")
    memo.call(indicators.trend_table, f, "month", at, None)
    memo.call(wall.trend_data, f, at)


def with_feed(path: str, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="fresh-"))
    copy = str(tmp / Path(path).name)
    shutil.copyfile(path, copy)
    try:
        db = Database(copy)
        at = feed.data_clock(db)
        s = settings.load()
        rng = np.random.default_rng(21)
        print(f"\n{path} with the feed (2 new + 2 changes per 5 s batch), {rounds} batches, warm visits:")
        print(f"{'window':20} {'keyed by':10} {'visit CPU s (median)':>21} {'hit rate':>9}")
        for name, f0 in windows(at).items():
            f = f0.with_(end=f0.end + timedelta(days=1))  # the data clock keeps running inside the period
            memos = {"version": Memo(db, True), "reads": Memo(db, False)}
            for m in memos.values():
                _visit(m, f, at, s)  # cold
                m.hits = m.misses = 0
            cpu = {k: [] for k in memos}
            t = at
            for _ in range(rounds):
                t += timedelta(seconds=5)
                feed.batch(copy, new=2, changes=2, at=t, rng=rng, span_s=5)
                for k, m in memos.items():
                    t0 = time.process_time()
                    _visit(m, f, t, s)
                    cpu[k].append(time.process_time() - t0)
            for k, m in memos.items():
                rate = m.hits / max(1, m.hits + m.misses)
                print(f"{name:20} {k:10} {statistics.median(cpu[k]):21.3f} {rate:9.0%}")
            at = t
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", action="append", required=True, help="a demo database (repeat for several)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rounds", type=int, default=10, help="feed batches in the cache test (0: skip)")
    a = p.parse_args()
    for path in a.db:
        grouped(path, a.repeat)
        if a.rounds:
            with_feed(path, a.rounds)


if __name__ == "__main__":
    main()
