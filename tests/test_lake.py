"""DuckLake stores against a real PostgreSQL catalog: migration, several hosts, concurrent writers, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from literal_cases import ALL, AS_OF, build_db
from postgres_cluster import Cluster, binaries
from test_app import _open, _texts

from govdash import lake, migrate, queries, writes
from govdash.db import Database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster owned by this test run, stopped at the end."""
    bindir = binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb); .ci/run installs it")
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def tiny_db(tmp_path) -> str:
    path = tmp_path / "tiny.duckdb"
    build_db(path).close()
    return str(path)


@pytest.fixture
def pg_lake(pg_cluster, tmp_path) -> str:
    """A new, empty PostgreSQL-catalogued lake (its own database) with its data under tmp_path."""
    os.environ["GOVDASH_LAKE_DATA"] = str(tmp_path / "lake_files")
    yield f"ducklake:postgres:{pg_cluster.createdb()}"
    os.environ.pop("GOVDASH_LAKE_DATA", None)


def _insert_cases(target: str, ids: list[str]) -> None:
    """One transaction that inserts cases ``ids`` (reported 2024-06-01, town 310115005)."""
    con = lake.connect(lake.parse(target))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO data.cases (case_id, reported_at, town_id, status) "
            "SELECT unnest($ids), TIMESTAMP '2024-06-01 09:00', '310115005', 'registered'",
            {"ids": ids},
        )
        con.execute("COMMIT")
    finally:
        con.close()


# --- target names ---


def test_parse_targets(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVDASH_LAKE_DATA", raising=False)
    s = lake.parse(f"ducklake:sqlite:{tmp_path}/cat.sqlite")
    assert (s.kind, s.catalog, s.data_path) == ("sqlite", f"{tmp_path}/cat.sqlite", f"{tmp_path}/cat.sqlite.files/")
    p = lake.parse("ducklake:postgres:dbname=g host=h port=5", data_path="/srv/lake")
    assert (p.kind, p.catalog, p.data_path) == ("postgres", "dbname=g host=h port=5", "/srv/lake/")
    monkeypatch.setenv("GOVDASH_LAKE_DATA", "/mnt/shared/lake")
    assert lake.parse("ducklake:postgres:dbname=g").data_path == "/mnt/shared/lake/"
    assert not lake.is_lake("data/govdash.duckdb")
    for bad in ("ducklake:", "ducklake:mysql:x", "ducklake:sqlite:", "ducklake:postgres"):
        with pytest.raises(lake.LakeError, match="expected ducklake:sqlite:FILE"):
            lake.parse(bad)


# --- migration ---


def test_migrate_file_to_sqlite_lake_and_back(tiny_db, tmp_path):
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    there = migrate.migrate(tiny_db, target)
    assert there["tables"]["cases"][0] == 9  # literal_cases.CASES
    back = migrate.migrate(target, str(tmp_path / "back.duckdb"))
    assert back["tables"] == there["tables"]  # rows and hash of every table, round trip
    figures = [str(queries.kpis(Database(p), ALL, AS_OF)) for p in (tiny_db, target, str(tmp_path / "back.duckdb"))]
    assert figures[0] == figures[1] == figures[2]
    assert queries.kpis(Database(target), ALL, AS_OF)["collected"] == 8  # literal_cases: all but A07 (2025)


def test_migrate_refuses_a_lake_with_data_and_an_existing_file(tiny_db, tmp_path):
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(tiny_db, target)
    snap = Database(target).version()
    with pytest.raises(migrate.MigrateError, match="already holds data"):
        migrate.migrate(tiny_db, target)
    assert Database(target).version() == snap  # nothing committed
    with pytest.raises(migrate.MigrateError, match="exists"):
        migrate.migrate(target, tiny_db)


def test_migrate_cli_into_postgres_lake(tiny_db, pg_lake, capsys):
    from govdash.cli import main

    assert main(["migrate", "--db", tiny_db, "--to", pg_lake]) == 0
    assert "cases" in capsys.readouterr().out
    assert Database(pg_lake).scalar("SELECT count(*) FROM cases") == 9


# --- several hosts, several writers ---


def test_two_hosts_see_each_others_commits(tiny_db, pg_lake):
    migrate.migrate(tiny_db, pg_lake)
    host_a, host_b = Database(pg_lake), Database(pg_lake)
    v0 = host_a.version()
    assert host_a.scalar("SELECT count(*) FROM cases") == host_b.scalar("SELECT count(*) FROM cases") == 9
    _insert_cases(pg_lake, ["L1", "L2"])
    assert host_b.scalar("SELECT count(*) FROM cases") == 11  # the next query, no reopen
    assert host_a.scalar("SELECT count(*) FROM cases") == 11
    assert host_a.version() == host_b.version() != v0  # cache keys move with the snapshot


def test_a_page_reads_one_snapshot_while_another_host_commits(tiny_db, pg_lake):
    migrate.migrate(tiny_db, pg_lake)
    db = Database(pg_lake)
    v0 = db.version()
    with db.one_snapshot():
        assert db.scalar("SELECT count(*) FROM cases") == 9
        _insert_cases(pg_lake, ["P1", "P2", "P3"])  # another host commits mid-page
        assert db.scalar("SELECT count(*) FROM cases") == 9  # the page's later queries: the same snapshot
        assert db.version() == v0  # and the same cache key
        with db.one_snapshot():  # a nested block joins the outer one
            assert db.scalar("SELECT count(*) FROM cases WHERE case_id LIKE 'P%'") == 0
        out: list[int] = []
        seen = threading.Thread(target=lambda: out.append(db.scalar("SELECT count(*) FROM cases")))
        seen.start()
        seen.join()
        assert out == [12]  # another session (thread) is not held at the page's snapshot
    assert db.scalar("SELECT count(*) FROM cases") == 12  # the next page sees the commit
    assert db.version() != v0


def test_a_failed_query_ends_the_shared_snapshot_and_the_page_goes_on(tiny_db, pg_lake):
    migrate.migrate(tiny_db, pg_lake)
    db = Database(pg_lake)
    with db.one_snapshot():
        assert db.scalar("SELECT count(*) FROM cases") == 9
        with pytest.raises(Exception, match="no_such_column"):
            db.scalar("SELECT no_such_column FROM cases")
        _insert_cases(pg_lake, ["F1"])
        assert db.scalar("SELECT count(*) FROM cases") == 10  # on its own now: the newest snapshot
    assert db.scalar("SELECT count(*) FROM cases") == 10


def test_one_snapshot_leaves_a_file_as_it_is(tiny_db):
    db = Database(tiny_db)
    with db.one_snapshot():
        assert db.scalar("SELECT count(*) FROM cases") == 9
        assert getattr(db._pinned, "cur", None) is None  # no transaction held on a file: swaps are seen as before


def test_concurrent_writers_lose_and_double_nothing(tiny_db, pg_lake):
    migrate.migrate(tiny_db, pg_lake)
    batches = {w: [[f"W{w}-{b}-{i}" for i in range(25)] for b in range(6)] for w in (1, 2)}
    errors = []

    def writer(w: int) -> None:
        try:
            for ids in batches[w]:
                _insert_cases(pg_lake, ids)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in batches]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    db = Database(pg_lake)
    written = {i for bs in batches.values() for ids in bs for i in ids}
    got = db.execute("SELECT case_id, count(*) AS n FROM cases WHERE case_id LIKE 'W%' GROUP BY case_id")
    assert set(got["case_id"]) == written and (got["n"] == 1).all()
    assert db.scalar("SELECT count(*) FROM cases") == 9 + 2 * 6 * 25


WRITER = """
import sys
from govdash import lake
con = lake.connect(lake.parse(sys.argv[1]))
for b in range(1000):
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO data.cases (case_id, reported_at, town_id) SELECT 'K' || $b || '-' || i, "
                "TIMESTAMP '2024-06-01', '310115005' FROM range(20000) t(i)", {"b": b})
    print("committing", b, flush=True)
    con.execute("COMMIT")
"""


def test_writer_killed_mid_commit_leaves_the_previous_snapshot(tiny_db, pg_lake):
    migrate.migrate(tiny_db, pg_lake)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, pg_lake], stdout=subprocess.PIPE, text=True, env=env)
    try:
        for _ in range(3):  # two batches committed, the third one's COMMIT under way
            assert proc.stdout.readline().startswith("committing")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    db = Database(pg_lake)
    n = db.scalar("SELECT count(*) FROM cases WHERE case_id LIKE 'K%'")
    assert n in (40_000, 60_000)  # whole batches only: two, or three if the commit finished before the kill
    per_batch = db.execute(
        "SELECT split_part(case_id, '-', 1) AS b, count(*) AS n FROM cases WHERE case_id LIKE 'K%' GROUP BY b"
    )
    assert (per_batch["n"] == 20_000).all()
    _insert_cases(pg_lake, ["after"])  # the lake takes the next writer
    assert db.scalar("SELECT count(*) FROM cases WHERE case_id = 'after'") == 1


# --- every page on a lake shows what it shows on the file ---


@pytest.fixture(scope="module")
def demo_lake(demo_db, pg_cluster, tmp_path_factory) -> str:
    """The session's demo database migrated into a PostgreSQL-catalogued lake."""
    target = f"ducklake:postgres:{pg_cluster.createdb()}"
    migrate.migrate(demo_db, target, data_path=str(tmp_path_factory.mktemp("demo_lake")))
    return target


def _figures(at) -> dict:
    """What a page showed: metrics, texts, chart specs, map layers and tables."""
    return {
        "texts": _texts(at),
        "metrics": [(m.label, m.value, m.delta) for m in at.metric],
        "plotly": [e.proto.spec for e in at.get("plotly_chart")],
        "deck": [e.proto.json for e in at.get("deck_gl_json_chart")],
        "tables": [e.value.to_csv() for e in at.dataframe],
    }


@pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page
@pytest.mark.parametrize("url_path", ["overview", "trends", "map", "cases"])
def test_page_shows_the_same_figures_on_a_lake(url_path, demo_db, demo_lake, monkeypatch):
    from conftest import app_pages

    page = next(p for p in app_pages() if p.url_path == url_path and not p.query)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    shown = {}
    for store, target in (("file", demo_db), ("lake", demo_lake)):
        monkeypatch.setenv("GOVDASH_DB", target)
        shown[store] = _figures(_open(page))
    assert shown["file"]["metrics"] or shown["file"]["plotly"] or shown["file"]["tables"]
    for key in shown["file"]:
        assert shown["lake"][key] == shown["file"][key], key


def test_optimize_merges_small_commits_in_area_order(tiny_db, tmp_path, capsys):
    from govdash.cli import main

    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(tiny_db, target)
    con = lake.connect(lake.parse(target))
    migrated = writes.lake_files(con)
    con.close()
    assert migrated == 4  # one file per month of the 9 cases (Dec 2025, Jan-Mar 2026): no rows held inline
    for b in range(4):
        _insert_cases(target, [f"S{b}-{i}" for i in range(200)])  # June 2024: a new month, a file per commit
    con = lake.connect(lake.parse(target))
    before, fingerprint = writes.lake_files(con), writes.table_fingerprint(con, "data", "cases")
    con.close()
    assert before == migrated + 4
    assert main(["optimize", "--db", target]) == 0
    assert f"{before} → {migrated + 1} data files" in capsys.readouterr().out
    con = lake.connect(lake.parse(target))
    try:
        assert writes.table_fingerprint(con, "data", "cases") == fingerprint  # the same rows
        (path,) = con.execute(
            "SELECT data_file FROM ducklake_list_files('data', 'cases') WHERE data_file LIKE '%year=2024/month=6/%'"
        ).fetchone()
        stored = con.execute(
            "SELECT case_id FROM read_parquet($p, file_row_number = true) ORDER BY file_row_number", {"p": path}
        ).fetchall()
        ordered = con.execute(
            f"SELECT case_id FROM data.cases WHERE reported_at < '2025-01-01' ORDER BY {queries.CLUSTER_ORDER}"
        ).fetchall()
    finally:
        con.close()
    assert len(stored) == 800 and stored == ordered  # the merged file holds its month in area order
    _insert_cases(target, ["late"])  # a small commit after the first optimize, then another optimize
    assert main(["optimize", "--db", target]) == 0
    assert Database(target).scalar("SELECT count(*) FROM cases") == 9 + 4 * 200 + 1


def test_a_lake_keeps_a_file_per_month_and_a_month_reads_only_its_own(tiny_db, tmp_path):
    """Issue 20 item 3: cases partitioned by month, filters pushed down to the catalog's file list."""
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(tiny_db, target)
    feb = "reported_at >= TIMESTAMP '2026-02-01' AND reported_at < TIMESTAMP '2026-03-01'"
    want = Database(tiny_db).scalar(f"SELECT count(*) FROM cases WHERE {feb}")  # on the file, independently
    con = lake.connect(lake.parse(target))
    try:
        folders = sorted(
            Path(p).parent.name + "/" + Path(p).parent.parent.name
            for (p,) in con.execute("SELECT data_file FROM ducklake_list_files('data', 'cases')").fetchall()
        )
        assert folders == ["month=1/year=2026", "month=12/year=2025", "month=2/year=2026", "month=3/year=2026"]
        options = dict(con.execute("SELECT option_name, value FROM data.options()").fetchall())
        assert options["parquet_row_group_size"] == str(lake.LAKE_OPTIONS["parquet_row_group_size"])
        assert con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone()[0] is True
        plan = con.execute(f"EXPLAIN ANALYZE SELECT count(*) FROM data.cases WHERE {feb}").fetchall()[0][1]
        got = con.execute(f"SELECT count(*) FROM data.cases WHERE {feb}").fetchone()[0]
    finally:
        con.close()
    assert "Total Files Read: 1" in plan, plan  # February's file only: the other months are never opened
    assert got == want > 0


# --- writes on a lake: the batch, not the database (no copy, no lock; conflicts retried) ---

CSV_HEADER = "case_id,reported_at,status,category,department_id,lon,lat,description\n"


def _csv(ids: list[str], reported: str = "2026-03-30 09:00:00") -> bytes:
    """Cases inside 甲街道 (T1: the literal database's first town box, 121.50–121.51 E)."""
    return (CSV_HEADER + "".join(f"{i},{reported},registered,noise,D01,121.505,31.205,路灯\n" for i in ids)).encode()


def test_an_import_commits_on_the_lake_and_undo_takes_it_back(tiny_db, pg_lake, tmp_path):
    from govdash import ingest

    migrate.migrate(tiny_db, pg_lake)
    host_a, host_b = Database(pg_lake), Database(pg_lake)  # two app processes sharing the catalog
    before = host_b.version()
    rep = ingest.run("cases", pg_lake, _csv(["L1", "L2", "L3"]), name="three.csv", quarantine_dir=tmp_path)
    assert (rep.status, rep.inserted) == ("loaded", 3), rep.summary()
    assert host_b.version() != before  # a new snapshot, seen at the next query
    assert host_a.scalar("SELECT count(*) FROM cases WHERE case_id LIKE 'L%'") == 3
    assert host_b.scalar("SELECT town_id FROM cases WHERE case_id = 'L2'") == "T1"
    assert ingest.listing(pg_lake)["import_id"].tolist()[0] == rep.import_id
    assert ingest.undo(pg_lake, rep.import_id) == {"removed": 3, "restored": 0}
    assert host_a.scalar("SELECT count(*) FROM cases") == 9
    assert host_b.scalar("SELECT status FROM imports WHERE import_id = $id", {"id": rep.import_id}) == "undone"


def test_a_rejected_file_leaves_the_lake_at_its_snapshot(tiny_db, pg_lake, tmp_path):
    from govdash import ingest

    migrate.migrate(tiny_db, pg_lake)
    reader = Database(pg_lake)
    before = reader.version()
    bad = _csv(["R1"]) + b"R2,not a time,registered,noise,D01,121.505,31.205,x\n"
    rep = ingest.run("cases", pg_lake, bad, name="bad.csv", on_error="reject", quarantine_dir=tmp_path)
    assert rep.status == "rejected" and rep.errors[["row", "field"]].values.tolist() == [[3, "reported_at"]]
    assert reader.version() == before and reader.scalar("SELECT count(*) FROM cases") == 9


def test_db_write_on_a_lake_commits_whole_or_not_at_all(tiny_db, pg_lake):
    from govdash import db as store

    migrate.migrate(tiny_db, pg_lake)
    reader = Database(pg_lake)
    with pytest.raises(RuntimeError), store.write(pg_lake) as con:
        con.execute("DELETE FROM cases")
        raise RuntimeError("a validation error half way")
    assert reader.scalar("SELECT count(*) FROM cases") == 9
    with pytest.raises(store.WriteError, match="migrate"), store.write(pg_lake, fresh=True):
        pass
    with pytest.raises(store.WriteError, match="not written"), store.write(pg_lake) as con:
        con.execute("INSERT INTO no_such_table VALUES (1)")
    with store.write(pg_lake) as con:
        writes.set_as_of(con, AS_OF)
        con.execute("DELETE FROM cases WHERE case_id = 'A01'")
    assert reader.scalar("SELECT count(*) FROM cases") == 8 and queries.as_of(reader) == AS_OF


def test_a_password_never_reaches_a_message():
    shown = lake.display("ducklake:postgres:dbname=gov host=10.0.0.5 password=s3cret user=app")
    assert "s3cret" not in shown and shown.endswith("password=*** user=app")


def test_the_feed_and_imports_write_at_once_with_nothing_lost(demo_db, pg_cluster, tmp_path):
    """Issue 20's done-when in small: the live feed and two imports commit concurrently on one lake."""
    from datetime import timedelta

    import numpy as np

    from govdash import feed, ingest

    target = f"ducklake:postgres:{pg_cluster.createdb()}"
    migrate.migrate(demo_db, target, data_path=str(tmp_path / "files"))
    reader = Database(target)
    cases_before = reader.scalar("SELECT count(*) FROM cases")
    t0 = feed.data_clock(reader)
    errors, reports = [], []
    lon, lat = reader.execute("SELECT lon, lat FROM cases WHERE lon IS NOT NULL LIMIT 1").iloc[0]

    def feeding():
        try:
            rng = np.random.default_rng(7)
            for b in range(4):
                reports.append(feed.batch(target, new=10, changes=3, at=t0 + timedelta(minutes=b + 1), rng=rng))
        except Exception as exc:  # reported below
            errors.append(exc)

    def importing(w: int):
        try:
            for b in range(3):
                ids = [f"IMP{w}-{b}-{i}" for i in range(15)]
                body = CSV_HEADER + "".join(f"{i},{t0:%Y-%m-%d %H:%M:%S},registered,,,{lon},{lat},x\n" for i in ids)
                rep = ingest.run("cases", target, body.encode(), name=f"w{w}-{b}.csv", quarantine_dir=tmp_path)
                assert rep.status == "loaded" and rep.inserted == 15, rep.summary()
                reports.append(rep)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=feeding), *(threading.Thread(target=importing, args=(w,)) for w in (1, 2))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    got = reader.execute("SELECT case_id, count(*) AS n FROM cases WHERE case_id LIKE 'IMP%' GROUP BY case_id")
    assert len(got) == 2 * 3 * 15 and (got["n"] == 1).all()
    assert reader.scalar("SELECT count(*) FROM cases") == cases_before + 90 + 4 * 10
    ids = [r.import_id for r in reports]
    assert len(ids) == 4 + 6 and len(set(ids)) == len(ids)
    assert reader.scalar("SELECT count(*) FROM imports WHERE import_id IN (SELECT unnest($ids))", {"ids": ids}) == 10
    assert queries.as_of(reader) == t0 + timedelta(minutes=4)


def test_a_feed_batch_and_its_clock_are_one_commit_on_a_lake(demo_db, tmp_path):
    """Readers never see a batch without its clock: one snapshot per batch, holding both."""
    from datetime import timedelta

    import numpy as np

    from govdash import feed

    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(demo_db, target)
    reader = Database(target)
    (_, snap0), cases0, t0 = reader.version(), reader.scalar("SELECT count(*) FROM cases"), feed.data_clock(reader)
    at = t0 + timedelta(minutes=1)
    rep = feed.batch(target, new=7, changes=3, at=at, rng=np.random.default_rng(3))
    assert (rep.inserted, rep.updated) == (7, 3)
    assert reader.version() == ("lake", snap0 + 1)  # one commit
    assert reader.scalar("SELECT count(*) FROM cases") == cases0 + 7 and queries.as_of(reader) == at
    con = lake.connect(lake.parse(target))
    try:  # the snapshot before the batch holds neither the cases nor the clock
        old = con.execute(
            "SELECT count(*) FROM data.cases AT (VERSION => $v) WHERE import_id = $i", {"v": snap0, "i": rep.import_id}
        ).fetchone()[0]
        clock = con.execute(
            "SELECT value FROM data.meta AT (VERSION => $v) WHERE key = 'as_of'", {"v": snap0}
        ).fetchone()[0]
    finally:
        con.close()
    assert old == 0 and clock == t0.isoformat(sep=" ")


def test_a_short_soak_loses_and_doubles_nothing(demo_db, pg_cluster, tmp_path):
    """bench/soak.py for a few seconds: the feed and an importer write while app processes read."""
    sys.path.insert(0, str(ROOT))
    from bench import soak

    target = f"ducklake:postgres:{pg_cluster.createdb()}"
    migrate.migrate(demo_db, target, data_path=str(tmp_path / "files"))
    r = soak.run(
        target,
        seconds=5,
        apps=2,
        sessions=3,
        feed_every=1,
        feed_new=5,
        feed_changes=3,
        import_every=1,
        import_rows=20,
        pages=("overview", "cases"),
        out=str(tmp_path / "soak"),
    )
    assert r["errors"] == [] and r["lost"] == 0 and r["doubled"] == 0, soak.report(r)
    assert r["feed_batches"] >= 1 and r["imports"] >= 1 and r["page_queries"] >= 1, soak.report(r)
    assert Database(target).scalar("SELECT count(*) FROM cases WHERE starts_with(case_id, 'SOAK')") == (
        20 * r["imports"]
    )
    assert r["snapshots"] == r["feed_batches"] + r["imports"]  # one commit each (the feed's clock included)
