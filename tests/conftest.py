"""Shared fixtures: a small deterministic demo database (session-wide) and AppTest pointed at it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_CASES = 20_000
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """Path of a 20k-case demo database built once per test session."""
    from govdash import demo
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(path, cases=DEMO_CASES, seed=DEMO_SEED)
    return str(path)


@pytest.fixture
def app_env(demo_db, monkeypatch):
    """Environment for AppTest runs: the demo database, Chinese UI."""
    monkeypatch.setenv("GOVDASH_DB", demo_db)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    return demo_db


def app_test():
    """A fresh AppTest of app.py with a generous timeout (first runs load caches)."""
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
