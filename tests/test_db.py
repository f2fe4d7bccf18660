"""The one door to the database: the read cap and time limit, and the one write helper (db.write)."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import duckdb
import pytest

from govdash import db, writes
from govdash.db import Database, QueryTimeout, TooManyRows
from tests.literal_cases import CASES, build_db


@pytest.fixture
def small(tmp_path) -> str:
    """The literal cases database (nine cases), closed again."""
    path = str(tmp_path / "d.duckdb")
    build_db(path).close()
    return path


def _digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _count(path, sql="SELECT count(*) FROM cases") -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


# --- reads: cap, truncated, time limit ---


def test_execute_returns_at_most_the_cap_and_says_when_it_cut(small):
    d = Database(small, max_rows=4)
    sql = "SELECT range AS i FROM range($n) ORDER BY i"
    for n, rows, cut in ((3, [0, 1, 2], False), (4, [0, 1, 2, 3], False), (5, [0, 1, 2, 3], True)):
        df = d.execute(sql, {"n": n})
        assert df["i"].tolist() == rows and df.attrs["truncated"] is cut, n
    df = d.execute(sql, {"n": 10}, max_rows=7)  # a call's own cap
    assert df["i"].tolist() == list(range(7)) and df.attrs["truncated"]
    d.close()


def test_execute_reads_only_the_cap_plus_one(small):
    """Ten billion rows: fetched whole this would run past the 30 s limit; cut at cap + 1 it takes moments."""
    d = Database(small, max_rows=5, timeout_s=30)
    df = d.execute("SELECT range AS i FROM range(10000000000)")
    assert len(df) == 5 and df.attrs["truncated"]
    cap = 5_000  # more than one of DuckDB's 2,048-row vectors
    df = d.execute("SELECT range AS i FROM range(10000000000)", max_rows=cap)
    assert df["i"].tolist() == list(range(cap)) and df.attrs["truncated"]
    d.close()


def test_a_result_that_must_be_whole_raises_instead_of_cutting(small):
    d = Database(small, max_rows=3)
    assert len(d.execute("SELECT * FROM range(3)", complete=True)) == 3
    with pytest.raises(TooManyRows, match="more than 3 rows"):
        d.execute("SELECT * FROM range(4)", complete=True)
    d.close()


def test_a_query_past_the_time_limit_raises_query_timeout(small):
    d = Database(small, timeout_s=0.2)
    t0 = time.perf_counter()
    with pytest.raises(QueryTimeout, match="0.2 s"):
        d.execute("SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range < 0")
    assert time.perf_counter() - t0 < 20  # interrupted, not run to the end (hours)
    assert d.scalar("SELECT count(*) FROM cases") == len(CASES)  # the database still answers
    d.close()


def test_stream_returns_every_row_in_batches(small):
    d = Database(small, max_rows=10)
    parts = list(d.stream("SELECT range AS i FROM range(10000)", batch_rows=2048))
    assert len(parts) >= 5 and sum(map(len, parts)) == 10_000
    assert [i for p in parts for i in p["i"]] == list(range(10_000))
    empty = list(d.stream("SELECT case_id FROM cases WHERE false"))
    assert len(empty) == 1 and empty[0].empty and list(empty[0].columns) == ["case_id"]
    d.close()


# --- writes: one transaction, all or nothing ---


def test_write_commits_the_block_and_readers_see_it_at_their_next_query(small):
    reader = Database(small)
    before = reader.scalar("SELECT count(*) FROM cases")
    with db.write(small, create=False) as con:
        con.execute("DELETE FROM cases WHERE case_id = 'A01'")
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == before - 1  # inside: seen
        assert reader.scalar("SELECT count(*) FROM cases") == before  # outside: not yet
    assert reader.scalar("SELECT count(*) FROM cases") == before - 1
    reader.close()
    assert sorted(p.name for p in os.scandir(os.path.dirname(small))) == ["d.duckdb", "d.duckdb.lock"]


def test_the_block_runs_in_one_transaction_the_caller_does_not_manage(small):
    with pytest.raises(db.WriteError, match="TransactionException"), db.write(small) as con:
        con.execute("BEGIN TRANSACTION")  # already in one


def test_an_error_in_the_block_rolls_back_and_leaves_the_file_byte_identical(small):
    before = _digest(small)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.write(small) as con:
        con.execute("DELETE FROM cases")
        raise Boom  # the caller's own exception comes through unchanged
    assert _digest(small) == before and _count(small) == len(CASES)
    assert not [p for p in os.listdir(os.path.dirname(small)) if p.startswith(".")]


def test_a_constraint_error_is_one_line_and_the_file_untouched(small):
    before = _digest(small)
    with pytest.raises(db.WriteError) as err, db.write(small) as con:
        con.execute("INSERT INTO cases (case_id, reported_at) SELECT case_id, reported_at FROM cases LIMIT 1")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{small}: not written, left as it was: ConstraintException")
    assert isinstance(err.value.__cause__, duckdb.ConstraintException)
    assert _digest(small) == before


def test_a_full_disk_is_one_line_and_the_file_untouched(small, monkeypatch):
    before = _digest(small)

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(db.shutil, "copyfile", full)
    with pytest.raises(db.WriteError, match=r"OSError: \[Errno 28\] No space left on device$"), db.write(small) as con:
        con.execute("DELETE FROM cases")
    assert _digest(small) == before


def test_a_missing_database_is_not_created_when_create_is_false(tmp_path):
    with pytest.raises(db.DatabaseMissing), db.write(tmp_path / "none.duckdb", create=False):
        pass
    assert list(tmp_path.iterdir()) == []  # not even a lock file
    with db.write(tmp_path / "new.duckdb") as con:  # create=True (the default) makes it, with its tables
        writes.set_clustered_rows(con, 0)
    assert _count(tmp_path / "new.duckdb", "SELECT count(*) FROM cases") == 0


def test_a_fresh_write_replaces_the_file_whole_with_the_old_one_as_src(small):
    with db.write(small, fresh=True) as con:
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 0  # a new, empty database
        con.execute("INSERT INTO cases SELECT * FROM src.cases WHERE case_id IN ('A01', 'A02')")
    assert _count(small) == 2


def test_writers_queue_on_the_lock(small):
    """Two writers at once: the second starts from the first's result, so neither change is lost."""
    inside = threading.Event()

    def first():
        with db.write(small) as con:
            con.execute("DELETE FROM cases WHERE case_id = 'A01'")
            inside.set()
            time.sleep(0.5)

    t = threading.Thread(target=first)
    t.start()
    inside.wait(10)
    with db.write(small) as con:
        con.execute("DELETE FROM cases WHERE case_id = 'A02'")
    t.join()
    assert _count(small) == len(CASES) - 2


# --- issue 15: permissions and leftovers of killed writers ---


def test_a_write_keeps_the_files_mode(small):
    os.chmod(small, 0o600)
    with db.write(small) as con:
        con.execute("DELETE FROM cases WHERE case_id = 'A01'")
    assert os.stat(small).st_mode & 0o777 == 0o600
    with db.write(small, fresh=True) as con:  # a new file (the re-sort, the demo) too
        con.execute("INSERT INTO cases SELECT * FROM src.cases")
    assert os.stat(small).st_mode & 0o777 == 0o600


def test_a_killed_writers_leftovers_are_cleared_by_the_next_write(small, tmp_path):
    """Names as a killed writer leaves them: its copy, log and spill folder, and the re-sort's file built
    beside the import's private copy (``..d.duckdb.<pid>.<thread>.tmp.cluster.tmp``, a double dot)."""
    left = [
        tmp_path / ".d.duckdb.11.22.tmp",
        tmp_path / ".d.duckdb.11.22.tmp.wal",
        tmp_path / "..d.duckdb.11.22.tmp.cluster.tmp",
        tmp_path / "..d.duckdb.11.22.tmp.33.44.tmp",
    ]
    for p in left:
        p.write_bytes(b"x" * 1000)
    for d in (tmp_path / ".d.duckdb.11.22.tmp.spill", tmp_path / "..d.duckdb.11.22.tmp.cluster.tmp.spill"):
        d.mkdir()
        (d / "duckdb_temp_block-1.block").write_bytes(b"x")
    (tmp_path / ".other.duckdb.11.22.tmp").write_bytes(b"another database's: not ours to remove")
    with db.write(small) as con:
        con.execute("DELETE FROM cases WHERE case_id = 'A01'")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.duckdb.11.22.tmp", "d.duckdb", "d.duckdb.lock"]


def test_the_accounts_file_keeps_its_mode_across_a_sign_in(tmp_path):
    from govdash import accounts

    file = str(tmp_path / "accounts.duckdb")
    accounts.add(file, "wangli", "correct horse", "analyst")
    os.chmod(file, 0o600)
    assert accounts.sign_in(file, "wangli", "correct horse").ok
    assert os.stat(file).st_mode & 0o777 == 0o600


def test_a_failed_write_on_the_command_line_is_one_line_and_the_file_untouched(small, monkeypatch, capsys):
    from govdash.cli import main

    before = _digest(small)
    real = writes.copy_table

    def full(con, source, table):
        if table == "cases":
            raise duckdb.IOException("Could not write file: No space left on device")
        real(con, source, table)

    monkeypatch.setattr(writes, "copy_table", full)
    assert main(["optimize", "--db", small]) == 1
    err = capsys.readouterr().err
    assert err == f"{small}: not written, left as it was: IOException: Could not write file: No space left on device\n"
    assert _digest(small) == before
