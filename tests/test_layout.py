"""The database file's layout: cases clustered by month and area, rewritten without losing a row."""

from __future__ import annotations

import shutil
from datetime import timedelta

import duckdb
import pytest

from govdash import feed, layout, queries, writes
from govdash.cli import main
from govdash.db import Database, writer
from govdash.filters import Filters


def _copy(demo_db, tmp_path) -> str:
    path = tmp_path / "d.duckdb"
    shutil.copyfile(demo_db, path)
    return str(path)


def _tables(path) -> dict:
    """Every table's rows, sorted, and the cases' ids in storage order."""
    with duckdb.connect(path, read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out = {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').df() for n in names}
        out["_stored"] = con.execute("SELECT case_id FROM cases").df()["case_id"].tolist()
        out["_clustered"] = (
            con.execute(f"SELECT case_id FROM cases ORDER BY {queries.CLUSTER_ORDER}").df()["case_id"].tolist()
        )
    return out


def _shuffle(path) -> None:
    """Store the cases in a random order, as imports in arrival order would leave them."""
    with writer(path) as con:
        con.execute("CREATE TEMP TABLE s AS SELECT * FROM cases ORDER BY hash(case_id)")
        con.execute("DELETE FROM cases")
        con.execute("INSERT INTO cases SELECT * FROM s")


def test_the_demo_is_written_in_area_order(demo_db):
    t = _tables(demo_db)
    assert t["_stored"] == t["_clustered"]
    with duckdb.connect(demo_db, read_only=True) as con:
        assert writes.clustered_rows(con) == writes.case_rows(con) and not layout.due(con)


def test_recluster_keeps_every_row_and_stores_cases_in_order(demo_db, tmp_path):
    path = _copy(demo_db, tmp_path)
    _shuffle(path)
    before = _tables(path)
    assert before["_stored"] != before["_clustered"]
    r = layout.recluster(path)
    after = _tables(path)
    assert after["_stored"] == after["_clustered"] == before["_clustered"]
    assert r["rows"] == len(before["cases"]) > 10_000
    assert set(after) == set(before)
    for name in before:
        if name != "meta" and not name.startswith("_"):
            assert after[name].equals(before[name]), name
    meta = after["meta"].set_index("key")["value"]
    assert meta["clustered_rows"] == str(r["rows"]) and meta.drop("clustered_rows").equals(
        before["meta"].set_index("key")["value"].drop("clustered_rows")
    )
    with writer(path) as con, pytest.raises(duckdb.ConstraintException):  # the key still holds
        con.execute("INSERT INTO cases (case_id, reported_at) SELECT case_id, reported_at FROM cases LIMIT 1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]


def test_an_import_rewrites_the_file_once_its_tail_is_large(demo_db, tmp_path, monkeypatch):
    path = _copy(demo_db, tmp_path)
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute("SELECT * EXCLUDE (import_id, updated_at) FROM cases ORDER BY case_id LIMIT 40").df()
        n = writes.case_rows(con)
    new = rows.assign(case_id="NEW-" + rows["case_id"])
    monkeypatch.setattr(layout, "TAIL_MIN", 100)
    monkeypatch.setattr(layout, "TAIL_SHARE", 0.0)
    rep = feed.write_cases(path, new.iloc[:20], name="a.parquet")  # a tail of 20 < 100: appended only
    assert rep.status == "loaded" and not any("area order" in note for note in rep.notes)
    t = _tables(path)
    assert t["_stored"] != t["_clustered"] and t["_stored"][-20:] == new["case_id"].iloc[:20].tolist()
    monkeypatch.setattr(layout, "TAIL_MIN", 40)
    rep = feed.write_cases(path, new.iloc[20:], name="b.parquet")  # 40 appended: rewritten in order
    assert any("area order" in note for note in rep.notes), rep.notes
    t = _tables(path)
    assert t["_stored"] == t["_clustered"] and len(t["_stored"]) == n + 40
    with duckdb.connect(path, read_only=True) as con:
        assert writes.clustered_rows(con) == n + 40 and not layout.due(con)


def test_a_failed_rewrite_leaves_the_file_as_it_was(demo_db, tmp_path, monkeypatch):
    path = _copy(demo_db, tmp_path)
    _shuffle(path)
    before = _tables(path)
    real = writes.copy_table

    def failing(con, source, table):
        if table == "cases":
            raise duckdb.IOException("disk full")
        real(con, source, table)

    monkeypatch.setattr(writes, "copy_table", failing)
    monkeypatch.setattr(layout, "TAIL_MIN", 0)
    monkeypatch.setattr(layout, "TAIL_SHARE", 0.0)
    assert layout.maybe_recluster(path) == {"error": "IOException: disk full"}
    after = _tables(path)
    assert after["_stored"] == before["_stored"]
    assert all(after[k].equals(before[k]) for k in before if not k.startswith("_"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]


def test_optimize_beside_a_running_reader(demo_db, tmp_path, capsys):
    path = _copy(demo_db, tmp_path)
    _shuffle(path)
    reader = Database(path)
    at = queries.as_of(reader)
    f = Filters(start=at.date() - timedelta(days=364), end=at.date(), towns=(queries.towns(reader)["unit_id"][0],))
    want = queries.kpis(reader, f, at)
    assert main(["optimize", "--db", path]) == 0
    assert "area order" in capsys.readouterr().out
    assert queries.kpis(reader, f, at) == pytest.approx(want, nan_ok=True)  # the reader reopened the new file
    reader.close()
    t = _tables(path)
    assert t["_stored"] == t["_clustered"]
    assert main(["optimize", "--db", str(tmp_path / "none.duckdb")]) == 2
