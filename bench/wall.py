"""Wall-screen soak: a day of refreshes, compressed, with a live feed writing; RSS and time per refresh.

Run: python -m bench.wall [--db PATH] [--cases 500000] [--refresh 60] [--hours 24] [--write-every 1]
                          [--apptest 100]

Part 1 repeats the computation one refresh of the wall does (headline tiles, ticker, map, latest
cases, trend, coverage fingerprint, and building the HTML, deck and figure JSON), with no cache:
the feed writes between refreshes, so a real wall misses its cache every time. Part 2 reruns the
page itself in AppTest (Streamlit caches included) after feed writes, for the server's memory.
The database is a copy; a feed batch (``feed.batch``: copy, import, atomic swap) runs before
every ``--write-every``-th refresh and is timed separately.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govdash import demo, feed, queries, queries_trend, settings, wall, wall_view  # noqa: E402
from govdash.db import Database  # noqa: E402


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def refresh(db: Database, s: settings.Settings, lang: str = "zh") -> int:
    """What one refresh of the overview computes and sends; returns the bytes of markup and JSON built."""
    at = queries.as_of(db)
    f = wall.wall_filters({}, at.date(), s.wall_days)
    out = wall_view.tiles_html(wall.headline(db, f, at, s, lang), lang)
    out += wall_view.ticker_html(wall.ticker(db, f, at, lang), lang)
    out += wall_view.header_html(
        lang=lang, now=queries.clock(db), data_time=queries.data_as_of(db), stale=False, period=""
    )
    m = wall.map_data(db, f, at)
    out += wall_view.wall_map(m["stats"], m["geoms"], m["bins"], m["recent"], lang=lang).to_json()
    out += wall_view.lagging_html(m["stats"], lang) + wall_view.latest_html(wall.latest_cases(db, f, 5), lang)
    out += wall_view.trend_figure(wall.trend_data(db, f, at), target=s.target_resolution, lang=lang).to_json()
    queries_trend.coverage_inputs_version(db)  # coverage itself is cached by this fingerprint
    return len(out)


def soak(path: str, s: settings.Settings, n: int, write_every: int) -> None:
    rng = np.random.default_rng(1)
    db = Database(path)
    s_cov = time.perf_counter()
    summary = wall.coverage_data(db, s)
    print(
        f"coverage (once per cells/stations version): {time.perf_counter() - s_cov:.2f} s, "
        f"{summary['share'] * 100:.1f} % within {summary['minutes']} min"
    )
    refresh(db, s)  # warm-up: imports, first file reads
    gc.collect()
    rss0 = rss_mb()
    times, writes, sizes = [], [], []
    clock = feed.data_clock(db)
    t_start = time.perf_counter()
    for i in range(n):
        if write_every and i % write_every == 0:
            clock += timedelta(seconds=s.refresh_seconds)
            w0 = time.perf_counter()
            feed.batch(
                path,
                new=max(1, round(20 * s.refresh_seconds / 60)),
                changes=10,
                at=clock,
                rng=rng,
                span_s=s.refresh_seconds,
            )
            writes.append(time.perf_counter() - w0)
        t0 = time.perf_counter()
        sizes.append(refresh(db, s))
        times.append(time.perf_counter() - t0)
        if (i + 1) % max(1, n // 10) == 0:
            print(f"  {i + 1:>5}/{n} refreshes  rss {rss_mb():7.1f} MB  last {times[-1] * 1000:6.0f} ms", flush=True)
    total = time.perf_counter() - t_start
    gc.collect()
    rss1 = rss_mb()
    ms = np.array(times) * 1000
    print(f"refreshes: {n} (= {n * s.refresh_seconds / 3600:.1f} h at {s.refresh_seconds} s) in {total:.0f} s")
    tenth = max(1, n // 10)
    first, last = np.median(ms[:tenth]), np.median(ms[-tenth:])
    print(
        f"time per refresh: median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
        f"max {ms.max():.0f} ms; first 10 % {first:.0f} ms, last 10 % {last:.0f} ms (ratio {last / first:.2f})"
    )
    print(f"refresh duty at {s.refresh_seconds} s: {np.median(ms) / 1000 / s.refresh_seconds * 100:.1f} % of one core")
    if writes:
        print(
            f"feed writes: {len(writes)}, median {statistics.median(writes):.2f} s, max {max(writes):.2f} s "
            f"(copy + import + swap); cases now {int(db.scalar('SELECT count(*) FROM cases')):,}"
        )
    print(f"markup and JSON per refresh: {statistics.median(sizes) / 1024:.0f} KB")
    print(
        f"RSS: start {rss0:.1f} MB, end {rss1:.1f} MB, growth {rss1 - rss0:+.1f} MB "
        f"({(rss1 - rss0) / max(n, 1) * 1024:+.1f} KB per refresh)"
    )
    db.close()


def apptest_soak(path: str, runs: int) -> None:
    """Rerun the wall page in AppTest (Streamlit's caches included), a feed write before each run."""
    os.environ["GOVDASH_DB"] = path
    from streamlit.testing.v1 import AppTest

    rng = np.random.default_rng(2)
    db = Database(path)
    clock = feed.data_clock(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["mode"] = "wall"
    at.query_params["panels"] = "overview"
    at.run()
    gc.collect()
    rss0, times = rss_mb(), []
    for i in range(runs):
        clock += timedelta(seconds=60)
        feed.batch(path, new=20, changes=10, at=clock, rng=rng, span_s=60)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
        if (i + 1) % max(1, runs // 5) == 0:
            print(f"  {i + 1:>4}/{runs} page runs  rss {rss_mb():7.1f} MB", flush=True)
    gc.collect()
    rss1 = rss_mb()
    print(
        f"AppTest page runs: {runs}, median {statistics.median(times) * 1000:.0f} ms; "
        f"RSS start {rss0:.1f} MB, end {rss1:.1f} MB, growth {rss1 - rss0:+.1f} MB"
    )
    db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="database to copy (default: build a demo with --cases)")
    p.add_argument("--cases", type=int, default=500_000)
    p.add_argument("--refresh", type=int, default=settings.load().refresh_seconds, help="refresh interval, s")
    p.add_argument("--hours", type=float, default=24.0, help="hours of wall time to compress")
    p.add_argument("--write-every", type=int, default=1, help="a feed batch before every k-th refresh (0: none)")
    p.add_argument("--apptest", type=int, default=100, help="AppTest page runs in part 2 (0: skip)")
    a = p.parse_args()
    os.environ["GOVDASH_REFRESH_SECONDS"] = str(a.refresh)
    s = settings.load()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "wall.duckdb")
        if a.db:
            shutil.copyfile(a.db, path)
        else:
            t0 = time.perf_counter()
            demo.build(path, cases=a.cases)
            print(f"built a {a.cases:,}-case demo in {time.perf_counter() - t0:.0f} s")
        print(f"database {os.path.getsize(path) / 2**20:.0f} MB; {os.cpu_count()} cores")
        n = max(1, round(a.hours * 3600 / a.refresh))
        print(f"part 1: {n} refreshes without cache, a feed batch before every {a.write_every}")
        soak(path, s, n, a.write_every)
        if a.apptest:
            print(f"part 2: the page in AppTest, {a.apptest} runs")
            apptest_soak(path, a.apptest)


if __name__ == "__main__":
    main()
