"""Soak: the live feed and an importer write one lake while app processes serve page queries, for a set time.

Run: .venv/bin/python bench/soak.py --lake "ducklake:postgres:dbname=… host=… port=… user=…" [--seconds 150]
         [--apps 3] [--sessions 20] [--feed-every 5] [--feed-new 20] [--import-every 10] [--import-rows 200]
     .venv/bin/python bench/soak.py --pg --from data/govdash.duckdb …   (a private PostgreSQL cluster, as the tests
                                                                       start one, with the file migrated into it)
Two writers — ``feed.batch`` (new cases and status changes, merged by case id, with the clock; one
commit) and ``ingest.run`` of CSV files of new cases — and ``--apps`` app processes, each serving its
share of ``--sessions`` sessions (threads running the bench's page computations on one shared
``Database``, as a Streamlit server does), all at once. Afterwards the lake is checked against what the
writers say they committed: every committed import recorded once (none missing, none unknown), every
imported case id present exactly once, the feed's new cases equal to the sum of its reports, no case id
twice. Commit-to-visible: for each snapshot committed during the run (its time from the catalog), how
long until a query started in an app process reads a snapshot at least as new (each process asks every
``PROBE_S``), and how long until a session's next page read it (sessions look before every page).
Prints the figures and writes them as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import threading
import time
import types
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("overview", "map", "heatmap", "trends", "cases", "wall·overview")
PROBE_S = 0.25  # how often each app process asks which snapshot a new query would read


def _write(out: Path, name: str, doc: dict) -> None:
    (out / f"{name}.json").write_text(json.dumps(doc, default=str))


def feeder(target: str, seconds: float, every: float, new: int, changes: int, out: str) -> None:
    """The live feed: one batch every ``every`` seconds, its data clock moving on by as much."""
    from govdash import feed
    from govdash.db import Database

    ro = Database(target)
    t0 = feed.data_clock(ro)
    ro.close()
    rng, reports, errors = np.random.default_rng(1), [], []
    start = time.monotonic()
    b = 0
    while time.monotonic() - start < seconds:
        b += 1
        at = t0 + timedelta(seconds=every * b)
        try:
            rep = feed.batch(target, new=new, changes=changes, at=at, rng=rng, span_s=every)
        except Exception as exc:  # counted, and the feed goes on (as feed.run does)
            errors.append(f"feed batch {b}: {exc}")
        else:
            if rep is not None:
                reports.append({"import_id": rep.import_id, "inserted": rep.inserted, "updated": rep.updated})
        time.sleep(max(0.0, start + every * b - time.monotonic()))
    _write(Path(out), "feed", {"reports": reports, "errors": errors})


def importer(target: str, seconds: float, every: float, rows: int, out: str) -> None:
    """An import of ``rows`` new cases (a CSV file, ids SOAK…) every ``every`` seconds."""
    from govdash import feed, ingest
    from govdash.db import Database

    ro = Database(target)
    t0 = feed.data_clock(ro)
    points = ro.execute(  # real places of the district, one per row (one point for all would be refused)
        "SELECT lon, lat FROM cases WHERE lon IS NOT NULL ORDER BY case_id LIMIT $n", {"n": rows}
    ).to_numpy()
    ro.close()
    header = "case_id,reported_at,status,lon,lat,description\n"
    committed, imports, errors = [], [], []
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        n += 1
        ids = [f"SOAK{n:05d}-{i:04d}" for i in range(rows)]
        when = f"{t0 - timedelta(minutes=5):%Y-%m-%d %H:%M:%S}"
        body = header + "".join(
            f"{i},{when},registered,{lon},{lat},x\n" for i, (lon, lat) in zip(ids, points, strict=True)
        )
        try:
            rep = ingest.run("cases", target, body.encode(), name=f"soak-{n}.csv", quarantine_dir=out, user="soak")
        except Exception as exc:  # counted: nothing of a failed import may be in the lake
            errors.append(f"import {n}: {exc}")
        else:
            if rep.status == "loaded":
                committed += ids
                imports.append(rep.import_id)
            else:
                errors.append(f"import {n}: {rep.status}: {rep.summary()}")
        time.sleep(max(0.0, start + every * n - time.monotonic()))
    _write(Path(out), "import", {"ids": committed, "imports": imports, "errors": errors})


def app(target: str, seconds: float, sessions: int, index: int, out: str, pages: tuple[str, ...] = PAGES) -> None:
    """One app process: ``sessions`` threads running page computations on one shared ``Database``."""
    from bench import pages as bp
    from bench import views
    from govdash import queries
    from govdash.db import Database

    db = Database(target)
    registry = views.registry()
    filters = list(bp.typical_filters(db).values())
    seen: dict[int, float] = {}  # snapshot id -> first time (epoch s) a session of this process read it
    probed: dict[int, float] = {}  # … and first time a query started then would read it (polled every PROBE_S)
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {p: [] for p in pages}
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def session(k: int) -> None:
        rng = random.Random(index * 1000 + k)
        while time.monotonic() < deadline:
            try:
                page, f = rng.choice(pages), rng.choice(filters)
                t0 = time.perf_counter()
                with db.one_snapshot():  # as app.py runs a page: its reads share one snapshot
                    _, snap = db.version()  # what ui.cached keys on before every page
                    now = time.time()
                    with lock:
                        seen.setdefault(snap, now)
                    registry[page].govdash(db, f, queries.as_of(db))
                with lock:
                    latencies[page].append(time.perf_counter() - t0)
            except Exception as exc:  # counted
                with lock:
                    errors.append(f"app {index} session {k}: {type(exc).__name__}: {exc}"[:500])

    def probe() -> None:
        while time.monotonic() < deadline:
            try:
                probed.setdefault(db.version()[1], time.time())
            except Exception as exc:  # counted
                with lock:
                    errors.append(f"app {index} probe: {type(exc).__name__}: {exc}"[:500])
            time.sleep(PROBE_S)

    threads = [threading.Thread(target=session, args=(k,)) for k in range(sessions)]
    threads.append(threading.Thread(target=probe))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    _write(Path(out), f"app{index}", {"seen": seen, "probed": probed, "latencies": latencies, "errors": errors})


def _counts(db) -> dict:
    """What the checks compare before and after: imports recorded, the feed's cases (FD…), the newest snapshot."""
    return {
        "imports": set(db.execute("SELECT import_id FROM imports", max_rows=10**7)["import_id"]),
        "feed_cases": int(db.scalar("SELECT count(*) FROM cases WHERE starts_with(case_id, 'FD')")),
        "snapshot": db.version()[1],
    }


def run(
    target: str,
    *,
    seconds: float = 150.0,
    apps: int = 3,
    sessions: int = 20,
    feed_every: float = 5.0,
    feed_new: int = 20,
    feed_changes: int = 20,
    import_every: float = 10.0,
    import_rows: int = 200,
    pages: tuple[str, ...] = PAGES,
    out: str | None = None,
) -> dict:
    """Run the soak on ``target`` (a lake with data); returns the figures and the checks' findings."""
    from govdash import lake
    from govdash.db import Database

    work = Path(out or tempfile.mkdtemp(prefix="govdash-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db = Database(target)
    before = _counts(db)
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no DuckDB state shared with this one
    share = [sessions // apps + (1 if i < sessions % apps else 0) for i in range(apps)]
    procs = [
        ctx.Process(target=feeder, args=(target, seconds, feed_every, feed_new, feed_changes, str(work))),
        ctx.Process(target=importer, args=(target, seconds, import_every, import_rows, str(work))),
        *(ctx.Process(target=app, args=(target, seconds, share[i], i, str(work), pages)) for i in range(apps)),
    ]
    started = time.time()
    # A spawned child re-imports the parent's __main__ first: inside a test run that can be a script an
    # earlier test executed (Streamlit's AppTest runs app.py as __main__), which the child would run
    # again. The children need only this module, so they start from a bare __main__.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for p in procs:
            p.start()
    finally:
        sys.modules["__main__"] = main
    for p in procs:
        p.join(timeout=seconds + 600)
    crashed = [p.exitcode for p in procs if p.exitcode != 0]
    for p in procs:
        if p.is_alive():
            p.kill()
    ended = time.time()
    results = {f.stem: json.loads(f.read_text()) for f in work.glob("*.json") if f.stem != "soak"}
    fed, imp = (
        results.get("feed", {"reports": [], "errors": []}),
        results.get("import", {"ids": [], "imports": [], "errors": []}),
    )
    apps_out = [results[k] for k in sorted(results) if k.startswith("app")]
    errors = fed["errors"] + imp["errors"] + [e for a in apps_out for e in a["errors"]]
    errors += [f"a process ended with exit code {c}" for c in crashed]
    errors += [f"app {i}: no result" for i in range(apps) if f"app{i}" not in results]

    after = _counts(db)
    committed = {r["import_id"] for r in fed["reports"]} | set(imp["imports"])
    new_imports = after["imports"] - before["imports"]
    found = db.execute(
        "SELECT case_id, count(*) AS n FROM cases WHERE starts_with(case_id, 'SOAK') GROUP BY case_id", max_rows=10**7
    )
    counts = dict(zip(found["case_id"], found["n"], strict=True))
    doubled_anywhere = int(
        db.scalar("SELECT count(*) FROM (SELECT case_id FROM cases GROUP BY case_id HAVING count(*) > 1)")
    )
    fed_inserted = sum(r["inserted"] for r in fed["reports"])
    checks = {
        "imports_missing": len(committed - new_imports),
        "imports_unknown": len(new_imports - committed),
        "import_cases_lost": sum(1 for i in imp["ids"] if i not in counts),
        "import_cases_unknown": sum(1 for i in counts if i not in set(imp["ids"])),
        "feed_cases_lost": max(0, fed_inserted - (after["feed_cases"] - before["feed_cases"])),
        "feed_cases_unknown": max(0, after["feed_cases"] - before["feed_cases"] - fed_inserted),
        "doubled": doubled_anywhere,
    }
    # commit-to-visible: snapshots committed during the run, from the catalog's own record of their times
    con = lake.connect(lake.parse(target), read_only=True)
    try:
        snaps = con.execute(
            "SELECT snapshot_id, epoch(snapshot_time) FROM ducklake_snapshots('data') "
            "WHERE snapshot_id > $s ORDER BY snapshot_id",
            {"s": before["snapshot"]},
        ).fetchall()
    finally:
        con.close()

    def delays(key: str) -> dict:
        """Commit-to-visible over the run's snapshots, as the app processes' ``key`` observations saw them."""
        firsts = sorted((int(s), t) for a in apps_out for s, t in a[key].items())
        out, unseen = [], 0
        for snap, t_commit in snaps:
            t_seen = min((t for s, t in firsts if s >= snap), default=None)
            if t_seen is None:
                unseen += 1
            else:
                out.append(max(0.0, t_seen - t_commit))
        return {
            "median": float(np.median(out)) * 1000 if out else None,
            "p95": float(np.percentile(out, 95)) * 1000 if out else None,
            "unseen_at_end": unseen,
        }

    lat = {p: [x for a in apps_out for x in a["latencies"].get(p, [])] for p in pages}
    out_doc = {
        "target": lake.display(target),
        "seconds": round(ended - started, 1),
        "apps": apps,
        "sessions": sessions,
        "feed_batches": len(fed["reports"]),
        "feed_inserted": fed_inserted,
        "feed_updated": sum(r["updated"] for r in fed["reports"]),
        "imports": len(imp["imports"]),
        "imported_cases": len(imp["ids"]),
        "page_queries": sum(len(v) for v in lat.values()),
        "page_ms": {
            p: {"n": len(v), "median": float(np.median(v)) * 1000, "p95": float(np.percentile(v, 95)) * 1000}
            for p, v in lat.items()
            if v
        },
        "snapshots": len(snaps),
        "commit_to_visible_ms": delays("probed"),  # a query started then reads the commit
        "commit_to_next_page_ms": delays("seen"),  # a session's next page read it
        "errors": errors,
        "checks": checks,
        "lost": checks["imports_missing"] + checks["import_cases_lost"] + checks["feed_cases_lost"],
        "doubled": checks["doubled"]
        + checks["imports_unknown"]
        + checks["import_cases_unknown"]
        + checks["feed_cases_unknown"],
    }
    _write(work, "soak", out_doc)
    db.close()
    return out_doc


def report(r: dict) -> str:
    """The soak's figures as lines of text."""
    c2v, c2p = r["commit_to_visible_ms"], r["commit_to_next_page_ms"]
    lines = [
        f"{r['target']}: {r['seconds']} s, {r['apps']} app processes, {r['sessions']} sessions",
        f"writers: {r['feed_batches']} feed batches ({r['feed_inserted']} new, {r['feed_updated']} changed), "
        f"{r['imports']} imports ({r['imported_cases']} cases); {r['snapshots']} snapshots",
        f"errors: {len(r['errors'])}; lost rows: {r['lost']}; doubled rows: {r['doubled']} ({r['checks']})",
        f"commit-to-visible: median {c2v['median'] or float('nan'):.0f} ms, p95 {c2v['p95'] or float('nan'):.0f} ms "
        f"({c2v['unseen_at_end']} snapshots not read before the end); to a session's next page: median "
        f"{c2p['median'] or float('nan'):.0f} ms, p95 {c2p['p95'] or float('nan'):.0f} ms",
        f"page queries: {r['page_queries']}",
    ]
    lines += [
        f"  {p:<14} n {v['n']:>5}  median {v['median']:>7.0f} ms  p95 {v['p95']:>7.0f} ms"
        for p, v in r["page_ms"].items()
    ]
    lines += [f"  error: {e}" for e in r["errors"][:20]]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lake", default=None, help="a lake with data (ducklake:postgres:… for several hosts)")
    p.add_argument("--pg", action="store_true", help="start a private PostgreSQL cluster and migrate --from into it")
    p.add_argument("--from", dest="source", default=None, help="DuckDB file to migrate into the --pg lake")
    p.add_argument("--seconds", type=float, default=150.0)
    p.add_argument("--apps", type=int, default=3)
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--feed-every", type=float, default=5.0)
    p.add_argument("--feed-new", type=int, default=20)
    p.add_argument("--feed-changes", type=int, default=20)
    p.add_argument("--import-every", type=float, default=10.0)
    p.add_argument("--import-rows", type=int, default=200)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    cluster = None
    if args.pg:
        from govdash import migrate

        sys.path.insert(0, str(ROOT / "tests"))
        from postgres_cluster import Cluster, binaries

        if not args.source or binaries() is None:
            raise SystemExit("--pg needs --from FILE and PostgreSQL (/usr/lib/postgresql/*/bin/initdb)")
        cluster = Cluster(binaries()).start()
        args.lake = f"ducklake:postgres:{cluster.createdb()}"
        r = migrate.migrate(args.source, args.lake, data_path=str(cluster.root / "files"))
        print(f"migrated {r['rows']:,} rows in {r['seconds']:.1f} s", flush=True)
    if not args.lake:
        raise SystemExit("give --lake TARGET or --pg --from FILE")
    try:
        r = run(
            args.lake,
            seconds=args.seconds,
            apps=args.apps,
            sessions=args.sessions,
            feed_every=args.feed_every,
            feed_new=args.feed_new,
            feed_changes=args.feed_changes,
            import_every=args.import_every,
            import_rows=args.import_rows,
        )
    finally:
        if cluster is not None:
            cluster.stop()
    print(report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1, default=str))
    return 0 if not r["errors"] and not r["lost"] and not r["doubled"] else 1


if __name__ == "__main__":
    # Run from the module imported by name: the children start from a bare __main__ (run), so the functions
    # they run must be found as bench.soak.feeder …, not as this script's __main__.feeder.
    from bench import soak

    sys.exit(soak.main())
