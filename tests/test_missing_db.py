"""A missing database is an error, never a new demo (issue 15 item 3)."""

from __future__ import annotations

import shutil

import pytest
from conftest import app_test

from govdash import db, demo, ui
from govdash.db import Database


@pytest.fixture
def no_demo(monkeypatch):
    """Fail the test if anything builds a demo."""

    def refuse(*args, **kwargs):
        raise AssertionError("a demo was built")

    monkeypatch.setattr(demo, "build", refuse)


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def test_a_database_deleted_under_a_running_app_is_an_error_not_a_new_demo(demo_db, tmp_path, monkeypatch, no_demo):
    path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("GOVDASH_DB", str(path))
    monkeypatch.setenv("GOVDASH_LANG", "en")
    at = app_test().run()
    assert not at.exception and not at.error
    path.unlink()
    at.run()
    assert not at.exception
    assert f"No database at `{path}`" in _errors(at) and "no demo" in _errors(at)
    assert not path.exists()
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    at = app_test().run()  # a new session, same server process: the same answer, in Chinese
    assert "找不到数据库" in _errors(at) and not path.exists()


def test_a_configured_path_that_is_not_there_is_an_error(tmp_path, monkeypatch, no_demo):
    path = tmp_path / "typo.duckdb"
    monkeypatch.setenv("GOVDASH_DB", str(path))
    at = app_test().run()
    assert not at.exception and "找不到数据库" in _errors(at)
    assert list(tmp_path.iterdir()) == []


def test_the_default_path_builds_the_demo_only_on_a_first_start(tmp_path, monkeypatch):
    path = tmp_path / "govdash.duckdb"
    monkeypatch.setattr(ui, "DEMO_PATH", path)
    built = []
    monkeypatch.setattr(demo, "build", lambda p, **kw: built.append(p) or path.write_bytes(b""))
    assert ui.may_build_demo(str(path))  # never there, the default: the demo is built
    (tmp_path / "govdash.duckdb.lock").write_bytes(b"")  # a writer (the demo build, an import) was here
    assert not ui.may_build_demo(str(path))
    assert not ui.may_build_demo(str(tmp_path / "other.duckdb"))


def test_a_database_gone_under_a_running_database_says_so(demo_db, tmp_path):
    path = tmp_path / "d.duckdb"
    shutil.copyfile(demo_db, path)
    d = Database(path)
    assert d.scalar("SELECT count(*) FROM cases") > 0
    path.unlink()
    with pytest.raises(db.DatabaseMissing, match="no database at"):
        d.execute("SELECT 1")
    assert not path.exists()
    d.close()
