"""Shared fixtures: a small deterministic demo database (session-wide) and AppTest pointed at it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_CASES = 20_000
DEMO_SEED = 7


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="save the browser tests' screenshots in DIR (docs/screenshots to refresh the README's); "
        "by default they go to a temporary folder and the tree stays clean",
    )


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


@pytest.fixture
def navigation_mode(monkeypatch):
    """Run app.py around every page, as the server does once ``st.navigation`` has been called.

    With a ``pages/`` folder next to app.py, Streamlit starts every process in its legacy
    multipage mode and AppTest resets to it before each run, so ``switch_page`` would first
    execute the page file alone (ui.lang() then leaves that mode and reruns through app.py;
    tests/browser covers that path on a fresh server). This keeps each run a single pass.
    AppTest modules use it with ``pytestmark = pytest.mark.usefixtures("navigation_mode")``.
    """
    from streamlit.runtime import pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(pages_manager.PagesManager, "__init__", init)


def app_test():
    """A fresh AppTest of app.py with a generous timeout (first runs load caches)."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


# --- the pages of app.py (AppTest and browser smoke tests iterate over them) ---

# app.py builds another navigation under these guards; the query string that selects it
MODE_GUARDS = {"wall_mode": {"mode": "wall"}}


@dataclass(frozen=True)
class AppPage:
    """One ``st.Page`` entry of app.py: its file, URL path, default flag and the query its navigation needs."""

    path: str
    url_path: str
    default: bool = False
    query: tuple[tuple[str, str], ...] = ()

    def url(self) -> str:
        """Path and query string that open this page, e.g. ``/trends`` or ``/?mode=wall``."""
        path = "/" if self.default else f"/{self.url_path}"
        return path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")


def app_pages() -> list[AppPage]:
    """The ``st.Page("pages/...", url_path=...)`` entries of app.py, read from its syntax tree."""
    import ast

    def guard(test) -> dict:
        names = {
            n.attr if isinstance(n, ast.Attribute) else n.id
            for n in ast.walk(test)
            if isinstance(n, (ast.Attribute, ast.Name))
        }
        return next((q for name, q in MODE_GUARDS.items() if name in names), {})

    out = []

    def visit(node, query: dict) -> None:
        if isinstance(node, ast.If):
            inner = {**query, **guard(node.test)}
            for child in node.body:
                visit(child, inner)
            for child in node.orelse:
                visit(child, query)
            return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Page"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            path = node.args[0].value
            if kw.get("visibility") == "hidden" and not kw.get("default"):  # another path to a listed page
                return
            default = bool(kw.get("default", False))
            # the default page answers at "/" whatever its url_path: tests name it by its script
            name = Path(path).stem if default else kw.get("url_path") or Path(path).stem
            out.append(AppPage(path, name, default, tuple(query.items())))
        for child in ast.iter_child_nodes(node):
            visit(child, query)

    visit(ast.parse((ROOT / "app.py").read_text(encoding="utf-8")), {})
    return out


def pytest_generate_tests(metafunc):
    """Parametrize any test taking ``app_page`` over every page of app.py, so new pages are covered."""
    if "app_page" in metafunc.fixturenames:
        pages = app_pages()
        metafunc.parametrize("app_page", pages, ids=[p.url_path for p in pages])


def pytest_configure(config):
    """With ``-n N``, schedule by ``xdist_group`` so the browser tests share one server and one chromium."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
