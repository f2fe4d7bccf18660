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
    for b in range(4):
        _insert_cases(target, [f"S{b}-{i}" for i in range(200)])
    con = lake.connect(lake.parse(target))
    before, fingerprint = writes.lake_files(con), writes.table_fingerprint(con, "data", "cases")
    con.close()
    assert before == 4  # one per commit (the 9 migrated cases are held inline by the catalog)
    assert main(["optimize", "--db", target]) == 0
    assert "4 → 1 data files" in capsys.readouterr().out
    con = lake.connect(lake.parse(target))
    try:
        assert writes.table_fingerprint(con, "data", "cases") == fingerprint  # the same rows
        (path,) = con.execute("SELECT data_file FROM ducklake_list_files('data', 'cases')").fetchone()
        stored = con.execute(
            "SELECT case_id FROM read_parquet($p, file_row_number = true) ORDER BY file_row_number", {"p": path}
        ).fetchall()
        ordered = con.execute(f"SELECT case_id FROM data.cases ORDER BY {queries.CLUSTER_ORDER}").fetchall()
    finally:
        con.close()
    assert stored == ordered  # the merged file holds the cases in area order, as layout.py orders the file
    _insert_cases(target, ["late"])  # a small commit after the first optimize, then another optimize
    assert main(["optimize", "--db", target]) == 0
    assert Database(target).scalar("SELECT count(*) FROM cases") == 9 + 4 * 200 + 1
