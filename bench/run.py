"""Behind ``python -m govdash bench``: every page's data timed against pandas peers and the floor SQL, checked equal."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench import pages as bp
from bench import sql, views
from bench.competent import CompetentData
from bench.naive import NaiveData
from govdash import settings
from govdash.db import Database

# --- measuring ---


def rss_mb(field: str = "VmRSS") -> float:
    """Resident set size of this process now (``VmHWM``: its peak), MB.

    Why not getrusage: a child started by fork + exec inherits its parent's peak in ru_maxrss.
    """
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def stats(samples: list[float], cpu: list[float] | None = None) -> dict:
    """Median and 95th percentile (linear) in ms of wall-clock samples in seconds; median CPU time if given.

    CPU time (all threads of this process) is the figure to trust when the machine is busy:
    other processes stretch wall-clock time, not the work done.
    """
    a = np.asarray(samples, float) * 1000
    if not len(a):
        return {}
    out = {"median_ms": float(np.median(a)), "p95_ms": float(np.percentile(a, 95)), "n": len(a)}
    return {**out, "cpu_median_ms": float(np.median(cpu)) * 1000} if cpu else out


def _pair_stats(pairs: list[tuple[float, float]]) -> dict:
    return stats([w for w, _ in pairs], [c for _, c in pairs])


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def _clocked(fn, *args) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - t, time.process_time() - c


def machine() -> dict:
    """nproc, RAM, CPU model: the figures only mean something with these."""
    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    import duckdb

    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem / 2**20, 1),
        "cpu": model,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "loadavg_start": os.getloadavg()[0],
    }


# --- the database ---


def ensure_db(path: Path, cases: int, seed: int) -> dict:
    """Build the demo database at ``path`` in a child process unless it exists; return build figures."""
    info_path = path.with_suffix(".build.json")
    if path.exists():
        info = json.loads(info_path.read_text()) if info_path.exists() else {}
        return {**info, "reused": True, "db_mb": path.stat().st_size / 2**20}
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"building {cases:,}-case demo database {path} …", file=sys.stderr, flush=True)
    before = peak_rss_mb(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "govdash", "demo", "--db", str(path), "--cases", str(cases), "--seed", str(seed)],
        check=True,
        cwd=settings.PROJECT_ROOT,
    )
    info = {
        "build_s": time.perf_counter() - t,
        "cases": cases,
        "seed": seed,
        "build_peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN)
        if peak_rss_mb(resource.RUSAGE_CHILDREN) > before
        else None,
    }
    info_path.write_text(json.dumps(info))
    return {**info, "reused": False, "db_mb": path.stat().st_size / 2**20}


# --- the three ways, side by side ---


def run_pages(path: str, pages: dict, filters: dict, at, repeat: int, naive, competent=None) -> list[dict]:
    """For each view and filter: govdash warm and cold, floor warm and cold, the competent and the naive
    pandas peers; equality of headlines.

    Warm runs share one Database (DuckDB buffers warm, no result cache anywhere); a cold run opens a
    fresh Database for just that run, with the warm one closed first: DuckDB shares one instance
    (and its buffer pool) between connections to the same file in a process, so a second
    connection alone would not be cold. The OS page cache stays warm. Runs of the four ways are
    interleaved so machine noise hits them alike.
    """
    rows = []
    for page, spec in pages.items():
        for fname, f in filters.items():
            row = {"page": page, "filter": fname}
            db = Database(path)
            out = spec.govdash(db, f, at)  # first run: warms buffers, gives the result to compare
            ref = bp.headline(page, out)
            p = spec.params(db, f, at)  # page parameters for naive and floor, outside their timings
            others = {"floor": (spec.floor, db), "competent": (spec.competent, competent), "naive": (spec.naive, naive)}
            others = {
                k: (functools.partial(fn, p=p), src)
                for k, (fn, src) in others.items()
                if fn is not None and src is not None
            }
            row["equal"] = {}
            for name, (fn, src) in others.items():
                diff = bp.compare(ref, fn(src, f, at))
                row["equal"][name] = not diff
                if diff:
                    row.setdefault("differences", {})[name] = diff[:5]
            warm = {"govdash": (spec.govdash, db), **others}
            samples = {k: [] for k in warm}
            for _ in range(repeat):
                for name, (fn, src) in warm.items():
                    samples[name].append(_clocked(fn, src, f, at))
            for name, s in samples.items():
                row[{"govdash": "govdash_warm", "floor": "floor_warm"}.get(name, name)] = _pair_stats(s)
            db.close()
            cold = {"govdash": [], "floor": []}
            for _ in range(repeat):
                for name, fn in (("govdash", spec.govdash), ("floor", others.get("floor", (None,))[0])):
                    if fn is None:
                        continue
                    fresh = Database(path)
                    cold[name].append(_clocked(fn, fresh, f, at))
                    fresh.close()
            row["govdash_cold"] = _pair_stats(cold["govdash"])
            if cold["floor"]:
                row["floor_cold"] = _pair_stats(cold["floor"])
            g = row["govdash_warm"]
            for peer in ("competent", "naive"):
                if peer in row:
                    row[f"x_{peer}"] = row[peer]["median_ms"] / g["median_ms"]
                    row[f"x_{peer}_cpu"] = row[peer]["cpu_median_ms"] / g["cpu_median_ms"]
            if "floor_warm" in row:
                row["of_floor"] = g["median_ms"] / row["floor_warm"]["median_ms"]
                row["of_floor_cpu"] = g["cpu_median_ms"] / row["floor_warm"]["cpu_median_ms"]
            row["rss_mb"] = rss_mb()
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def page_summary(rows: list[dict]) -> list[dict]:
    """Per view (warm): the landing view (first filter: district, last 30 days) with its ratios, then the
    median of the filters' medians, worst p95, geometric-mean ratios, all equal?"""
    out = []
    for page in dict.fromkeys(r["page"] for r in rows):
        rs = [r for r in rows if r["page"] == page]
        med = float(np.median([r["govdash_warm"]["median_ms"] for r in rs]))
        p95 = max(r["govdash_warm"]["p95_ms"] for r in rs)
        land = rs[0]
        landing = {
            "filter": land["filter"],
            **land["govdash_warm"],
            **{k: land[k] for k in ("x_competent", "x_naive", "of_floor") if k in land},
        }
        out.append(
            {
                "page": page,
                "landing": landing,
                "median_ms": med,
                "p95_ms": p95,
                "worst_filter_median_ms": max(r["govdash_warm"]["median_ms"] for r in rs),
                "cpu_median_ms": float(np.median([r["govdash_warm"]["cpu_median_ms"] for r in rs])),
                "x_competent": _gmean(rs, "x_competent"),
                "x_competent_cpu": _gmean(rs, "x_competent_cpu"),
                "x_naive": _gmean(rs, "x_naive"),
                "of_floor": _gmean(rs, "of_floor"),
                "x_naive_cpu": _gmean(rs, "x_naive_cpu"),
                "of_floor_cpu": _gmean(rs, "of_floor_cpu"),
                "all_equal": all(all(r["equal"].values()) for r in rs),
            }
        )
    return out


def _gmean(rows: list[dict], key: str) -> float | None:
    return float(np.exp(np.mean(np.log([r[key] for r in rows])))) if all(key in r for r in rows) else None


def _line(r: dict) -> str:
    g, c = r["govdash_warm"], r["govdash_cold"]
    f, n, k = r.get("floor_warm", {}), r.get("naive", {}), r.get("competent", {})
    eq = (
        "—"
        if not r["equal"]
        else ("yes" if all(r["equal"].values()) else "NO " + ",".join(k for k, v in r["equal"].items() if not v))
    )
    num = lambda d, k: f"{d[k]:8.0f}" if d else f"{'—':>8}"  # noqa: E731
    ratio = lambda k, w: format(r[k], f"{w}.{2 if 'floor' in k else 1}f") if k in r else f"{'—':>{w}}"  # noqa: E731
    return (
        f"{r['page']:<13} {r['filter']:<23}{num(g, 'median_ms')}{num(g, 'p95_ms')}{num(c, 'median_ms')}"
        f"{num(g, 'cpu_median_ms')}{num(f, 'median_ms')}{num(k, 'median_ms')}{num(n, 'median_ms')} "
        f"{ratio('x_competent', 7)} {ratio('x_naive', 7)} {ratio('of_floor', 7)} {ratio('x_competent_cpu', 7)} "
        f"{ratio('x_naive_cpu', 7)} {ratio('of_floor_cpu', 7)}  {eq}"
    )


HEADER = (
    f"{'':<37}{'— govdash ms —':^32}{'floor':>8}{'compet':>8}{'naive':>8} {'wall-clock ratios':^23} "
    f"{'cpu ratios':^23}\n"
    f"{'view':<13} {'filter':<23}{'median':>8}{'p95':>8}{'cold':>8}{'cpu':>8}{'median':>8}{'median':>8}"
    f"{'median':>8} {'comp÷gd':>7} {'naiv÷gd':>7} {'gd÷flr':>7} {'comp÷gd':>7} {'naiv÷gd':>7} {'gd÷flr':>7}"
    "  equal"
)


# --- decks, import, coverage, sessions ---


def deck_figures(path: str, pages: dict, filters: dict, at) -> list[dict]:
    """Build each page's deck (map, heatmap, coverage) from its data as the page does; time and JSON bytes."""
    db = Database(path)
    out = []
    for page, spec in pages.items():
        if spec.deck is None:
            continue
        for fname, f in filters.items():
            data = spec.govdash(db, f, at)
            t, payload = _timed(lambda data=data, spec=spec: spec.deck(data).to_json())
            out.append({"deck": page, "filter": fname, "build_ms": t * 1000, "bytes": len(payload.encode())})
    db.close()
    return out


def import_figure(path: str, rows: int) -> dict:
    """Rows per second of a case import (govdash.ingest.run): ``rows`` new cases into a copy of the database."""
    if rows <= 0 or importlib.util.find_spec("govdash.ingest") is None:
        return {"skipped": "no govdash.ingest" if rows > 0 else "--import-rows 0"}
    from govdash import ingest

    with tempfile.TemporaryDirectory(dir=Path(path).parent) as tmp:
        db = Database(path)
        sample = sql.sample(db, rows)
        db.close()
        sample = sample.assign(case_id="BENCH" + sample["case_id"].astype(str))
        csv = Path(tmp) / "import.csv"
        sample.to_csv(csv, index=False)
        copy = Path(tmp) / "copy.duckdb"
        shutil.copyfile(path, copy)
        try:
            t, rep = _timed(
                lambda: ingest.run("cases", copy, csv, in_place=True, mapping="govdash", on_error="quarantine")
            )
        except Exception as exc:  # noqa: BLE001 - report whatever the importer does, never fail the bench
            return {"rows": len(sample), "error": f"{type(exc).__name__}: {exc}"[:300]}
        return {
            "rows": len(sample),
            "seconds": t,
            "rows_per_s": len(sample) / t,
            "status": rep.status,
            "inserted": rep.inserted,
            "failed": rep.failed,
            "csv_mb": csv.stat().st_size / 2**20,
        }


class SharedResults:
    """What the app's result cache does for concurrent sessions (``st.cache_data``: one lock per key, the others
    wait and read the result), keyed by view, filter and database version. Pessimistic for the app under the feed:
    its windowed figures are keyed by what they read (govdash.freshness), which a write elsewhere leaves alone."""

    def __init__(self) -> None:
        self.values: dict[tuple, object] = {}
        self.locks: dict[tuple, threading.Lock] = {}
        self.guard = threading.Lock()
        self.computed = 0

    def get(self, key: tuple, compute):
        if key in self.values:
            return self.values[key]
        with self.guard:
            lock = self.locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.values:  # another session may have computed it while this one waited
                self.values[key] = compute()
                self.computed += 1
        return self.values[key]


def session_worker(path: str, n: int, rounds: int, conn) -> None:
    """Child process: ``n`` threads each act as one browser session, computing every page and its
    charts/decks for a filter of their own, ``rounds`` times; report latencies and peak RSS. Twice: each
    session computing alone (no result shared: the worst case), then sharing results as the app's cache
    does (``SharedResults``)."""
    import streamlit  # noqa: F401 - the app server has it loaded: count its memory too

    from govdash import charts, indicators, queries

    db = Database(path)  # shared, as ui.database() shares it (st.cache_resource)
    at = queries.as_of(db)
    filters = list(bp.typical_filters(db).values())
    pages = views.registry()
    errors: list[str] = []
    peak = [rss_mb()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    def view(name: str, spec, f) -> None:
        out = spec.govdash(db, f, at)
        if spec.deck is not None:
            spec.deck(out).to_json()
        elif name == "overview":
            charts.trend_lines(out["monthly"], "collected").to_json()
        elif name == "trends":
            charts.indicator_grid(out["table"], list(indicators.TREND_KEYS), cols=5).to_json()

    def session(i: int, lat: dict, shared: SharedResults | None) -> None:
        for r in range(rounds):
            k = (i + r) % len(filters)
            for name, spec in pages.items():
                try:
                    if shared is None:
                        t, _ = _timed(view, name, spec, filters[k])
                    else:
                        key = (name, k, db.version())
                        t, _ = _timed(shared.get, key, lambda: view(name, spec, filters[k]))  # noqa: B023
                    lat[name].append(t)
                except Exception as exc:  # noqa: BLE001
                    errors.append(f"{name}: {type(exc).__name__}: {exc}"[:200])

    def phase(shared: SharedResults | None) -> tuple[dict, float]:
        lat: dict[str, list[float]] = {p: [] for p in pages}
        t0 = time.perf_counter()
        threads = [threading.Thread(target=session, args=(i, lat, shared)) for i in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return lat, time.perf_counter() - t0

    mon = threading.Thread(target=sample, daemon=True)
    mon.start()
    lat, wall = phase(None)
    shared = SharedResults()
    lat_shared, wall_shared = phase(shared)
    stop.set()
    conn.send(
        {
            "sessions": n,
            "rounds": rounds,
            "wall_s": wall,
            "peak_rss_mb": max(peak[0], rss_mb("VmHWM")),
            "requests": sum(len(v) for v in lat.values()),
            "errors": errors[:10],
            "pages": {p: stats(v) for p, v in lat.items()},
            "shared": {
                "wall_s": wall_shared,
                "computed": shared.computed,
                "pages": {p: stats(v) for p, v in lat_shared.items()},
            },
        }
    )
    conn.close()


def sessions_figure(path: str, n: int, rounds: int) -> dict:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # a fresh interpreter: its RSS is the server's, not the bench's
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=session_worker, args=(path, n, rounds, child))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


class Feeding:
    """``python -m govdash feed`` writing a copy of the database every ``every`` seconds, for as long as the block
    runs (issue 21: the pages timed while the feed writes). The copy is deleted afterwards; the original is never
    written. ``batches``: the feed's batches reported by the end."""

    def __init__(self, path: Path, every: float):
        self.every, self.dir = every, Path(tempfile.mkdtemp(prefix="govdash_feed_"))
        self.path = self.dir / path.name
        shutil.copyfile(path, self.path)
        self.batches, self.failed, self.seconds, self.proc = 0, 0, [], None

    def __enter__(self) -> Feeding:
        log = open(self.dir / "feed.log", "w")  # noqa: SIM115 - the child writes it until stopped
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "govdash", "feed", "--db", str(self.path), "--every", str(self.every)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=settings.PROJECT_ROOT,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=120)
        text = (self.dir / "feed.log").read_text(errors="replace")
        # the feed's lines: "<data time> +N new, M changed (S s)" or "<data time> batch failed: …"
        self.seconds = [float(m) for m in re.findall(r" changed \(([0-9.]+) s\)", text)]
        self.batches, self.failed = len(self.seconds), text.count(" batch failed: ")
        shutil.rmtree(self.dir, ignore_errors=True)

    def figures(self) -> dict:
        """Batches written while timed, failed ones, and the median and slowest batch in seconds."""
        med = float(np.median(self.seconds)) if self.seconds else None
        return {
            "every_s": self.every,
            "batches": self.batches,
            "failed": self.failed,
            "median_s": med,
            "max_s": max(self.seconds, default=None),
        }


# --- the command ---


def main(args, *, default_dir: Path) -> int:
    """Run the bench for the parsed arguments of ``python -m govdash bench`` (govdash/cli/bench.py)."""
    from govdash import queries

    info = machine()
    path = Path(args.db) if args.db else default_dir / f"demo_c{args.cases}_s{args.seed}.duckdb"
    build = ensure_db(path, args.cases, args.seed)
    db = Database(path)
    at = queries.as_of(db)
    n_cases = int(db.scalar("SELECT count(*) FROM cases"))
    filters = bp.typical_filters(db)
    t, _ = _timed(lambda: bp.static_lookups(db))
    shell = {"static_lookups_ms": t * 1000}
    db.close()
    pages = views.registry()
    if args.pages:
        pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}
    print(f"{info['cpu']} · {info['nproc']} cores · {info['ram_gb']} GB · load {info['loadavg_start']:.1f}")
    print(
        f"database {path}: {n_cases:,} cases, {build['db_mb']:.0f} MB"
        + (f", built in {build['build_s']:.1f} s" if build.get("build_s") else "")
        + (f" (peak RSS {build['build_peak_rss_mb']:.0f} MB)" if build.get("build_peak_rss_mb") else "")
        + (" (reused)" if build.get("reused") else "")
    )
    print(f"static lookups (shell, cached per database version): {shell['static_lookups_ms']:.0f} ms")
    rss0 = rss_mb()
    naive, competent, naive_info = None, None, {"skipped": True}
    if not args.no_naive:
        db = Database(path, timeout_s=3600)  # SELECT * of 10 M cases takes longer than a page query may
        t, naive = _timed(lambda: NaiveData.load(db))
        db.close()
        naive_info = {"load_s": t, "rss_added_mb": rss_mb() - rss0}
        print(
            f"naive: loaded {len(naive.cases):,} cases into pandas in {t:.1f} s, +{naive_info['rss_added_mb']:.0f} MB"
        )
        t, competent = _timed(CompetentData.load, naive)
        naive_info["competent_prepare_s"] = t
        print(f"competent peer: the same frame, its time arrays prepared in {t:.2f} s")
    stack = contextlib.ExitStack()
    feeding = stack.enter_context(Feeding(path, args.feed)) if args.feed > 0 else None
    if feeding is not None:  # the pages (and sessions) read the copy the feed writes; the peers hold the original
        time.sleep(max(3 * args.feed, 10.0))  # its first batches are written before the timings start
        print(f"feed: a batch every {args.feed:g} s into {feeding.path}; peers equal only by chance from here")
    timed = str(feeding.path) if feeding is not None else str(path)
    with stack:
        rows, summary, decks, sess = _timed_parts(args, timed, pages, filters, at, naive, competent)
    if feeding is not None:
        f = feeding.figures()
        print(
            f"feed: {f['batches']} batches while timed ({f['failed']} failed), "
            f"median {f['median_s']} s, slowest {f['max_s']} s"
        )
    imp = import_figure(str(path), args.import_rows)
    if "rows_per_s" in imp:
        print(
            f"import: {imp['rows']:,} rows in {imp['seconds']:.1f} s = {imp['rows_per_s']:,.0f} rows/s "
            f"({imp['status']})"
        )
    else:
        print(f"import: {imp}")
    result = {
        "machine": {**info, "loadavg_end": os.getloadavg()[0]},
        "database": {"path": str(path), **build, "cases": n_cases},
        "as_of": str(at),
        "filters": {k: v.to_params() for k, v in filters.items()},
        "repeat": args.repeat,
        "shell": shell,
        "naive": naive_info,
        "rows": rows,
        "pages": summary,
        "decks": decks,
        "import": imp,
        "sessions": sess,
        "feed": feeding.figures() if feeding is not None else None,
        "bench_peak_rss_mb": peak_rss_mb(),
    }
    print(f"bench process peak RSS {result['bench_peak_rss_mb']:.0f} MB")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
        print(f"wrote {args.out}")
    return 0 if feeding is not None or all(s["all_equal"] for s in summary) else 1


def _timed_parts(args, timed: str, pages: dict, filters: dict, at, naive, competent) -> tuple:
    """The pages against their peers and the floor, the decks and the concurrent sessions, on ``timed``."""
    print(HEADER)
    rows = run_pages(timed, pages, filters, at, args.repeat, naive, competent)
    summary = page_summary(rows)
    print("\nlanding view per page (warm; ratios: peer ÷ govdash, govdash ÷ floor)")
    for s in summary:
        g = s["landing"]
        ratios = " · ".join(
            f"{name} {g[k]:.{2 if k == 'of_floor' else 1}f}×"
            for name, k in (("competent", "x_competent"), ("naive", "x_naive"), ("floor", "of_floor"))
            if k in g
        )
        print(
            f"  {s['page']:<18} {g['filter']:<13} median {g['median_ms']:6.0f} ms · p95 {g['p95_ms']:6.0f} ms · "
            f"CPU {g['cpu_median_ms']:6.0f} ms" + (f" · {ratios}" if ratios else "")
        )
    print("\nper view (warm, median of the filters' medians; p95 = worst filter's p95; ratios: geometric mean)")
    for s in summary:
        peers = (
            " · ".join(
                f"{s[k]:.1f}× faster than {name} (CPU {s[k + '_cpu']:.1f}×)"
                for name, k in (("competent", "x_competent"), ("naive", "x_naive"))
                if s[k]
            )
            or "no pandas peer"
        )
        fl = f"{s['of_floor']:.2f}× floor (CPU {s['of_floor_cpu']:.2f}×)" if s["of_floor"] else "no floor"
        print(
            f"  {s['page']:<18} median {s['median_ms']:6.0f} ms · p95 {s['p95_ms']:6.0f} ms · "
            f"CPU {s['cpu_median_ms']:6.0f} ms · worst filter {s['worst_filter_median_ms']:6.0f} ms · {peers} · "
            f"{fl} · equal: {s['all_equal']}"
        )
    decks = deck_figures(timed, pages, filters, at)
    for d in decks:
        print(f"  deck {d['deck']:<8} {d['filter']:<23} {d['bytes'] / 1024:8.0f} KB  built in {d['build_ms']:.0f} ms")
    sess = sessions_figure(timed, args.sessions, args.session_rounds) if args.sessions > 0 else {}
    if sess:
        print(
            f"sessions: {sess['sessions']} concurrent × {sess['rounds']} rounds, "
            f"{sess['requests']} page computations in {sess['wall_s']:.1f} s; "
            f"server peak RSS {sess['peak_rss_mb']:.0f} MB; errors {len(sess['errors'])}"
        )
        sh = sess.get("shared", {})
        if sh:
            print(f"  then sharing results as the app's cache does: {sh['computed']} computed in {sh['wall_s']:.1f} s")
        for p, s in sess["pages"].items():
            if s:
                both = sh.get("pages", {}).get(p)
                print(
                    f"  under load {p:<9} median {s['median_ms']:7.0f} ms · p95 {s['p95_ms']:7.0f} ms"
                    + (f" · shared: median {both['median_ms']:7.0f} ms · p95 {both['p95_ms']:7.0f} ms" if both else "")
                )
    return rows, summary, decks, sess
