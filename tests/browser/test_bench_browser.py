"""The browser benchmark's measuring functions on a literal database, so bench/browser.py cannot rot unnoticed.

Only that a visit is measured (drawn, bytes and CPU counted) is checked, never how long it took.
"""

from __future__ import annotations

import pytest

from bench import browser as bench
from tests.literal_cases import build_db

from .conftest import Server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def literal_server(tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp("bench_browser")
    build_db(folder / "literal.duckdb").close()
    s = Server(str(folder / "literal.duckdb"), folder / "server.log")
    yield s
    s.stop()


def _measured(visit: bench.Visit, page: str, mode: str) -> bench.Visit:
    assert (visit.page, visit.mode) == (page, mode)
    assert visit.drawn_s > 0
    assert visit.ws_bytes > 1000  # at least the page's element tree came over the socket
    assert visit.server_cpu_s > 0  # the server ran the page's script
    assert visit.browser_cpu_s > 0  # chromium (a child of this process) drew it
    return visit


def test_new_session_and_in_app_visits_are_measured(literal_server, browser):
    trends = bench.PAGES_BY_NAME["trends"]
    pid = literal_server.proc.pid
    with literal_server.explain():
        _measured(bench.new_session(browser, literal_server.url, trends, server_pid=pid), "trends", "new")
        context = browser.new_context(viewport=bench.VIEWPORT)
        context.add_init_script(bench.MARK_DRAWN)
        try:
            tab = bench.Tab(context, literal_server.url)
            assert _measured(tab.visit(trends, server_pid=pid), "trends", "in-app").programs == 0  # no WebGL
            first = tab.page
            # the next page in the same tab, its map counted drawn once WebGL has drawn in its canvas; its layers'
            # programs counted: the units' fill and their outlines, and the labels' text (the literal district
            # has no stations, and its labels need no leader lines)
            assert _measured(tab.visit(bench.PAGES_BY_NAME["map"], server_pid=pid), "map", "in-app").programs == 3
            assert tab.page is first and tab.page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=stDeckGlJsonChart] canvas')].some(c => c.__drawn)"
            )
        finally:
            context.close()
    table = bench.table([bench.Visit("trends", "in-app", 0.5, 0.1, 0.2, 40_000, 0.05, 3)], (trends,))
    want = ["trends", "in-app", "0.50", "1.0", "0.50", "0.10", "0.20", "40", "0.05", "3"]
    assert table.splitlines()[-1].split() == want
    gl = bench.gl_pids()  # chromium's GPU process (software WebGL and compositing) is told apart
    assert gl and gl <= set(bench.browser_cpu())
