"""Every page and the wall in a real chromium on the two fixture districts that are not Pudong (issue 16 item 10).

One server per district (module fixture): riverton (Los Angeles, two levels, no grids, attribute-located
cases) and qinhuai (Nanjing, three levels, GCJ-02). Each page, in both languages, must finish its run
with no exception or error box and nothing of Pudong in its visible text; the wall's clock ticks in the
district's own zone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import app_pages

from tests.districts import qinhuai, riverton
from tests.test_own_district import NAMES, build

from .conftest import VIEWPORT, Server, wait_for_app

pytestmark = pytest.mark.browser
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module", params=["riverton", "qinhuai"])
def district(request, tmp_path_factory, browser):
    folder = tmp_path_factory.mktemp(f"browser-{request.param}")
    fx = {"riverton": riverton, "qinhuai": qinhuai}[request.param](folder / "files")
    db = build(fx, folder)
    s = Server(db, folder / "server.log", env={"GOVDASH_NETWORK_FILE": str(fx.files["network"])})
    yield fx, s
    s.stop()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def _visit(pg, server: Server, url: str) -> str:
    pg.goto(server.url + url)
    wait_for_app(pg, timeout_s=120)
    with server.explain():
        boxes = [e.inner_text()[:300] for e in pg.locator(ERRORS).all()]
        assert not boxes, (url, boxes)
    return pg.locator("body").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_and_the_wall_with_nothing_of_pudong(district, tab, lang):
    fx, server = district
    name = NAMES[fx.name][0 if lang == "zh" else 1]
    seen = {}
    for page in app_pages():
        url = page.url()
        url += ("&" if "?" in url else "?") + f"lang={lang}"
        text = _visit(tab, server, url)
        for word in ("浦东", "Pudong"):
            assert word not in text, (url, word)
        seen[page.url_path] = text
    assert name in seen["overview"] and name in seen["wall"], name


def test_the_wall_clock_ticks_in_the_districts_zone(district, tab):
    fx, server = district
    _visit(tab, server, "/?mode=wall&lang=en")
    tab.wait_for_function("() => /\\d\\d:\\d\\d:\\d\\d/.test(document.querySelector('.wall-clock-time').textContent)")
    shown = re.search(r"(\d\d):(\d\d)", tab.locator(".wall-clock-time").first.inner_text())
    now = datetime.now(ZoneInfo(fx.timezone))
    on_screen = now.replace(hour=int(shown[1]), minute=int(shown[2]), second=0, microsecond=0)
    # the same minute as the district's clock (or the next, over a minute's turn), not the browser's zone
    gap = min(
        abs(on_screen - now.replace(second=0, microsecond=0) + d)
        for d in (timedelta(days=-1), timedelta(0), timedelta(days=1))
    )
    assert gap <= timedelta(minutes=2), (fx.timezone, shown[0], f"{now:%H:%M}")
