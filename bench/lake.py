"""Benchmark: every page's data on the DuckDB file and on DuckLakes holding the same data; feed commits on each.

Run: .venv/bin/python bench/lake.py --db FILE.duckdb --lake ducklake:sqlite:/tmp/l.sqlite
         [--lake "ducklake:postgres:dbname=… host=… port=… user=…" --lake-data /tmp/l.files] [--repeat 3]
         [--untuned ducklake:…] [--per-query] [--pages overview,map,heatmap,trends,cases] [--batches 10]
         [--feed-new 1000] [--feed-changes 0] [--commits-only] [--json out.json]
A lake is made from the file with ``govdash.migrate`` when it is empty (a PostgreSQL lake keeps its
files under ``--lake-data``). A lake given with ``--untuned TARGET`` is the state before issue 20
item 3, for the before/after figures: made without ``lake.lay_out`` (one unpartitioned file per
table, small tables' rows inline, 122,880-row groups) and read with DuckDB's defaults (no Parquet
metadata cache, cached blocks re-validated). A page's queries run in one read transaction
(``Database.one_snapshot``, as app.py runs a page); with ``--per-query`` each lake is also timed with every
query its own transaction (as before), labelled ``·per-query``. The stores take turns on every run.
Prints per page the median / p95 wall time and median CPU time on every store (warm, the bench's
typical filters), each lake ÷ the file, and with ``--batches`` the median / p95 of a live-feed batch
of ``--feed-new`` new cases and ``--feed-changes`` status changes (``feed.batch``: validation, grid
assignment, implied events, the import record and the clock in one commit; one batch first, untimed: a
store's first batch builds what it lacks once, e.g. the case summary) and of a bare 1,000-case insert
through ``db.write`` on every store; both are undone afterwards, leaving each store as it was.
``--commits-only`` times the lakes' commits alone (no pages; the file's commits copy the whole file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages as bp  # noqa: E402
from bench import views  # noqa: E402
from bench.run import stats  # noqa: E402
from govdash import db, feed, ingest, lake, migrate, queries, writes  # noqa: E402
from govdash.db import Database  # noqa: E402


def ensure_lake(file_db: str, target: str, data_root: str | None, *, untuned: bool = False) -> None:
    """Migrate ``file_db`` into ``target`` when the lake holds no tables yet (``untuned``: without ``lake.lay_out``)."""
    data = None
    if target.startswith("ducklake:postgres:") and data_root:
        data = str(Path(data_root) / target.split("dbname=")[1].split()[0])
    con = lake.connect(lake.parse(target, data))
    try:
        empty = not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'data'").fetchone()[0]
    finally:
        con.close()
    if empty and target.startswith("ducklake:postgres:") and not data_root:
        raise SystemExit("a new PostgreSQL lake needs --lake-data (where its Parquet files go)")
    if empty:
        lay_out = lake.lay_out
        if untuned:
            lake.lay_out = lambda con, alias, *, tables: None
        try:
            r = migrate.migrate(file_db, target, data_path=data)
        finally:
            lake.lay_out = lay_out
        print(f"migrated {r['rows']:,} rows into {lake.display(target)} in {r['seconds']:.1f} s", flush=True)


def page_times(
    dbs: dict[str, Database], pages: dict, filters: dict, at, repeat: int, per_query: frozenset = frozenset()
) -> dict[str, dict]:
    """Per store and page: wall / CPU samples over every filter, after one warm-up run each.

    A page's queries share one read transaction (``one_snapshot``, as in app.py) except on the stores named in
    ``per_query``. The stores take turns on every run of every page and filter, so a busy machine's ups and
    downs fall on all of them alike (the ratios hold even when the absolute times do not).
    """
    samples = {name: {page: ([], []) for page in pages} for name in dbs}
    for page, spec in pages.items():
        for f in filters.values():
            for store in dbs.values():
                spec.govdash(store, f, at)
            for _ in range(repeat):
                for name, store in dbs.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    with nullcontext() if name in per_query else store.one_snapshot():
                        spec.govdash(store, f, at)
                    samples[name][page][0].append(time.perf_counter() - t0)
                    samples[name][page][1].append(time.process_time() - c0)
    return {name: {page: stats(*s) for page, s in by_page.items()} for name, by_page in samples.items()}


SCAN_SQL = "SELECT count(*) FROM units WHERE level = 'town'"  # one scan of a small table: the fixed cost of a scan


def scan_cost(dbs: dict[str, Database], runs: int = 30) -> dict[str, dict]:
    """Per store: one query scanning one small table, alone and ``runs`` times in one transaction (wall, CPU).

    On the file this is the floor of any query; on a lake it is what the catalog adds to every table a
    query scans (the snapshot, then the table's file list, the filtered column's statistics, its delete
    files), which a page pays once per table per query.
    """
    out = {}
    for name, store in dbs.items():
        for shared in (False, True):
            wall, cpu = [], []
            with store.one_snapshot() if shared else nullcontext():
                store.scalar(SCAN_SQL)
                for _ in range(runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    store.scalar(SCAN_SQL)
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
            out[f"{name}{'·one snapshot' if shared else ''}"] = stats(wall, cpu)
    return out


def read_untuned(db: Database) -> None:
    """Read ``db`` (a lake) with DuckDB's defaults, as before ``lake.READ_SETTINGS``."""
    cur = db.connection()
    try:
        cur.execute("SET GLOBAL parquet_metadata_cache = false")
        cur.execute("SET GLOBAL validate_external_file_cache = 'VALIDATE_ALL'")
    finally:
        cur.close()


def feed_commits(target: str, n: int, batches: int, changes: int = 0) -> dict:
    """``batches`` live-feed batches of ``n`` new cases and ``changes`` status changes on ``target``, timed after
    one untimed; then undone, newest first."""
    ro = Database(target)
    try:
        t0 = feed.data_clock(ro)
    finally:
        ro.close()
    rng, samples, cpu, ids = np.random.default_rng(20), [], [], []
    try:
        for b in range(batches + 1):
            w0, c0 = time.perf_counter(), time.process_time()
            rep = feed.batch(target, new=n, changes=changes, at=t0 + timedelta(seconds=5 * (b + 1)), rng=rng)
            if b:
                samples.append(time.perf_counter() - w0)
                cpu.append(time.process_time() - c0)
            ids.append(rep.import_id)
    finally:
        for import_id in reversed(ids):
            ingest.undo(target, import_id, user="bench")
        with db.write(target, create=False) as con:  # undo leaves the clock where the feed moved it
            writes.set_as_of(con, t0)
    return stats(samples, cpu) | {"cpu_p95_ms": float(np.percentile(cpu, 95)) * 1000}


def insert_commits(target: str, n: int, batches: int) -> dict:
    """``batches`` writes of ``n`` new cases each (copies of existing rows under new ids) through ``db.write``:
    on the file a private copy folded in and swapped, on a lake one transaction; removed again afterwards."""
    samples, cpu = [], []
    try:
        for b in range(batches):
            t0, c0 = time.perf_counter(), time.process_time()
            with db.write(target, create=False) as con:
                con.execute(
                    "INSERT INTO cases SELECT * REPLACE ('BL' || $b || '-' || case_id AS case_id) "
                    "FROM cases WHERE NOT starts_with(case_id, 'BL') LIMIT $n",
                    {"b": b, "n": n},
                )
            samples.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    finally:
        with db.write(target, create=False) as con:
            con.execute("DELETE FROM cases WHERE starts_with(case_id, 'BL')")  # leave the store as found
    return stats(samples, cpu) | {"cpu_p95_ms": float(np.percentile(cpu, 95)) * 1000}


def ratio_table(stores: dict[str, dict], pages: list[str]) -> list[str]:
    """Lines: per page, each store's median / p95 / CPU and each lake ÷ the file (wall, CPU)."""
    names = list(stores)
    head = (
        f"{'page':<10}"
        + "".join(f"{n[:24]:>26}" for n in names)
        + "".join(f"{'÷file ' + n[:8]:>16}" for n in names[1:])
    )
    lines = [head, f"{'':<10}" + "".join(f"{'median / p95 / cpu ms':>26}" for _ in names)]
    for p in pages:
        f = stores[names[0]][p]
        row = f"{p:<10}" + "".join(
            f"{stores[n][p]['median_ms']:>10.0f}{stores[n][p]['p95_ms']:>8.0f}{stores[n][p]['cpu_median_ms']:>8.0f}"
            for n in names
        )
        for n in names[1:]:
            s = stores[n][p]
            row += f"{s['median_ms'] / f['median_ms']:>9.2f}/{s['cpu_median_ms'] / f['cpu_median_ms']:<6.2f}"
        lines.append(row)
    for n in names[1:]:
        r = [stores[n][p]["median_ms"] / stores[names[0]][p]["median_ms"] for p in pages]
        c = [stores[n][p]["cpu_median_ms"] / stores[names[0]][p]["cpu_median_ms"] for p in pages]
        lines.append(
            f"{n}: geometric mean ÷ file: wall {float(np.exp(np.mean(np.log(r)))):.2f}, "
            f"CPU {float(np.exp(np.mean(np.log(c)))):.2f}"
        )
    return lines


def commits_only(targets: list[str], args) -> int:
    """``--commits-only``: each lake's insert and feed commits, with the load average before and after."""
    doc = {}
    for target in targets:
        load = [round(x, 2) for x in os.getloadavg()]
        store = Database(target)
        n = int(store.scalar("SELECT count(*) FROM cases"))
        store.close()
        doc[target] = {
            "cases": n,
            "insert": insert_commits(target, 1000, args.batches),
            "feed": feed_commits(target, args.feed_new, args.batches, args.feed_changes),
            "load": [load, [round(x, 2) for x in os.getloadavg()]],
        }
        feed_kind = f"feed batch of {args.feed_new} new, {args.feed_changes} changed"
        for kind, c in (("1,000-case insert", doc[target]["insert"]), (feed_kind, doc[target]["feed"])):
            print(
                f"{lake.display(target)}, {n:,} cases, {kind} ({c['n']} timed): "
                f"wall median {c['median_ms']:.0f} / p95 {c['p95_ms']:.0f} ms, "
                f"CPU median {c['cpu_median_ms']:.0f} / p95 {c['cpu_p95_ms']:.0f} ms"
            )
        print(f"load average (1, 5, 15 min) before / after: {doc[target]['load']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="DuckDB file (e.g. one built by python -m govdash demo)")
    p.add_argument("--lake", action="append", default=[], help="lake target (repeatable)")
    p.add_argument("--lake-data", default=None, help="folder for new PostgreSQL lakes' files (one per database)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pages", default="overview,map,heatmap,trends,cases")
    p.add_argument("--batches", type=int, default=0, help="feed batches and inserts to time per store (0: skip)")
    p.add_argument("--feed-new", type=int, default=1000, help="new cases per feed batch")
    p.add_argument("--feed-changes", type=int, default=0, help="status changes per feed batch")
    p.add_argument("--commits-only", action="store_true", help="time the lakes' commits only (needs --batches)")
    p.add_argument(
        "--untuned", action="append", default=[], help="a lake made and read as before the read tuning (repeatable)"
    )
    p.add_argument("--per-query", action="store_true", help="also time each lake with a transaction per query")
    p.add_argument("--timeout", type=float, default=30.0, help="time limit of one query, s (a busy machine: more)")
    p.add_argument("--json", default=None, help="write the figures here too")
    args = p.parse_args()
    targets = args.lake or [f"ducklake:sqlite:{args.db}.lake.sqlite"]
    untuned = set(args.untuned)
    for target in [*targets, *args.untuned]:
        ensure_lake(args.db, target, args.lake_data, untuned=target in untuned)
    if args.commits_only:
        return commits_only(targets, args)
    file_db = Database(args.db, timeout_s=args.timeout)
    at, filters = queries.as_of(file_db), bp.typical_filters(file_db)
    pages = {k: v for k, v in views.registry().items() if k in args.pages.split(",")}
    label = {args.db: "file"}
    for target in [*targets, *args.untuned]:
        label[target] = target.split(":")[1] + ("·untuned" if target in untuned else "")
    dbs = {"file": file_db} | {label[t]: Database(t, timeout_s=args.timeout) for t in [*targets, *args.untuned]}
    for t in untuned:
        read_untuned(dbs[label[t]])
    per_query = frozenset(f"{label[t]}·per-query" for t in targets if args.per_query)
    dbs |= {f"{label[t]}·per-query": Database(t, timeout_s=args.timeout) for t in targets if args.per_query}
    scans = scan_cost({k: v for k, v in dbs.items() if k not in per_query})
    for k, v in scans.items():
        print(f"one scan of a small table on {k}: median {v['median_ms']:.1f} ms, CPU {v['cpu_median_ms']:.1f} ms")
    stores = page_times(dbs, pages, filters, at, args.repeat, per_query)
    n_cases = int(file_db.scalar("SELECT count(*) FROM cases"))
    file_db.close()
    print(f"{n_cases:,} cases; {len(filters)} filters × {args.repeat} runs; ms")
    print("\n".join(ratio_table(stores, list(pages))))
    commits = {}
    for target in [args.db, *targets] if args.batches else []:
        commits[label[target]] = {
            "insert": insert_commits(target, 1000, args.batches),
            "feed": feed_commits(target, args.feed_new, args.batches, args.feed_changes),
        }
        for kind, c in commits[label[target]].items():
            print(
                f"1,000-case {kind} on {label[target]}: median {c['median_ms']:.0f}, p95 {c['p95_ms']:.0f} ms "
                f"(CPU median {c['cpu_median_ms']:.0f} ms)"
            )
    if args.json:
        doc = {"cases": n_cases, "pages": stores, "scan": scans, "commits": commits}
        Path(args.json).write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
