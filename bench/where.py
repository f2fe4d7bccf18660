"""Where each view's CPU goes: per view and filter, govdash's CPU and wall time (best of ``--repeat`` warm runs) and
its costliest statements by calling function. Quicker than ``python -m govdash bench`` (no peers, no cold runs).

``python -m bench.where --db FILE [--pages overview,trends] [--filters district·30d,district·365d] [--repeat 2]
[--top 3]``
"""

from __future__ import annotations

import argparse
import collections
import os
import time
import traceback

from bench import pages as bp
from bench import views
from govdash import db as gdb
from govdash import queries

_LOG: list[tuple[str, float]] = []


def _traced(execute):
    """``Database.execute`` that records each statement's CPU under its chain of govdash/bench callers."""

    def run(self, sql, *args, **kwargs):
        c = time.process_time()
        out = execute(self, sql, *args, **kwargs)
        frames = traceback.extract_stack(limit=8)[:-1]
        chain = "<".join(
            fr.name for fr in reversed(frames) if "/govdash/" in fr.filename and not fr.filename.endswith("db.py")
        )
        _LOG.append((chain[:80] or "?", time.process_time() - c))
        return out

    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--pages", default="")
    ap.add_argument("--filters", default="")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--top", type=int, default=3, help="costliest statement chains shown per view")
    args = ap.parse_args(argv)
    gdb.Database.execute = _traced(gdb.Database.execute)
    db = gdb.Database(args.db, timeout_s=3600)  # a loaded machine stretches wall time past the app's limit
    at = queries.as_of(db)
    present = bool(db.scalar("SELECT count(*) FROM meta WHERE key = 'case_days'"))
    print(f"{args.db}: {int(db.scalar('SELECT count(*) FROM cases')):,} cases; case summary present: {present}")
    print(f"load average {os.getloadavg()[0]:.1f}; CPU = this process, all threads, best of {args.repeat} warm runs")
    filters = bp.typical_filters(db)
    wanted = set(filter(None, args.filters.split(",")))
    pages = set(filter(None, args.pages.split(",")))
    for name, spec in views.registry().items():
        if pages and name not in pages:
            continue
        for fname, f in filters.items():
            if wanted and fname not in wanted:
                continue
            spec.govdash(db, f, at)  # warm
            best = None
            for _ in range(args.repeat):
                _LOG.clear()
                t, c = time.perf_counter(), time.process_time()
                spec.govdash(db, f, at)
                run = (time.process_time() - c, time.perf_counter() - t, list(_LOG))
                best = run if best is None or run[0] < best[0] else best
            cpu, wall, log = best
            by = collections.defaultdict(float)
            for chain, c in log:
                by[chain] += c
            top = " | ".join(f"{k} {v * 1000:.0f}" for k, v in sorted(by.items(), key=lambda kv: -kv[1])[: args.top])
            print(f"{name:<18} {fname:<23} CPU {cpu * 1000:6.0f} ms  wall {wall * 1000:6.0f} ms  {top}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
