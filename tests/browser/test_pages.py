"""Every page of app.py in a real chromium at 1920×1080: no exception, maps and charts drawn, offline, screenshots."""

from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import VIEWPORT, is_local, wait_for_app

pytestmark = pytest.mark.browser

DECK = '[data-testid="stDeckGlJsonChart"]'
PLOTLY = '[data-testid="stPlotlyChart"]'
# what a page must draw at least: (deck.gl maps, plotly charts); any other chart a page shows must draw too
EXPECT = {"overview": (0, 2), "map": (1, 0), "heatmap": (1, 0), "trends": (0, 1)}
TOWN, TOWN_NAME = "310115005", "陆家嘴街道"
FILTERED = "/trends?town=310115005&from=2026-01-01&to=2026-06-30"


def _looks_drawn(png: bytes) -> bool:
    """True when the inside of a map shows drawn features: several colours, none covering ~all of it.
    A blank WebGL canvas (or an empty grey container) is one flat colour."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = img.size
    img = img.crop((w // 20, h // 20, w - w // 20, h - h // 20)).resize((160, 120))  # no borders or corners
    counts = img.getcolors(maxcolors=160 * 120)
    return len(counts) > 8 and max(n for n, _ in counts) < 0.98 * 160 * 120


def _wait_drawn(locator, timeout_s: float = 45.0) -> bool:
    """Poll the element's pixels until it looks drawn; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if _looks_drawn(locator.screenshot(timeout=max(1.0, min(15.0, deadline - time.monotonic())) * 1000)):
                return True
        except PlaywrightTimeout:  # the tab is busy (e.g. deck.gl digesting a large layer)
            break
        time.sleep(0.5)
    return False


def _exceptions(pg) -> list[str]:
    return [e.inner_text()[:500] for e in pg.locator('[data-testid="stException"]').all()]


def render(pg, url: str, shot: Path | None = None, expect: tuple[int, int] = (0, 0), titled: bool = True) -> None:
    """Load ``url``, wait for the run to finish, check it, and save a screenshot to the file ``shot``."""
    pg.goto(url)
    wait_for_app(pg)
    assert not _exceptions(pg), _exceptions(pg)
    assert pg.locator('[data-testid="stMain"]').inner_text().strip(), f"{url} shows nothing"
    if titled:
        assert pg.locator('[data-testid="stMain"] h1').count() >= 1, f"no page title on {url}"
    decks, plots = pg.locator(DECK), pg.locator(PLOTLY)
    assert decks.count() >= expect[0], f"expected a map on {url}"
    assert plots.count() >= expect[1], f"expected {expect[1]} charts on {url}"
    for i in range(decks.count()):
        decks.nth(i).locator("canvas").first.wait_for(state="attached", timeout=60_000)
    for i in range(plots.count()):
        plots.nth(i).locator(".main-svg").first.wait_for(state="attached", timeout=60_000)
        assert plots.nth(i).locator("g.trace").count() > 0, f"plotly chart {i} on {url} has no trace"
    for i in range(decks.count()):
        assert _wait_drawn(decks.nth(i)), f"map {i} on {url} stayed blank"
    wait_for_app(pg)  # a chart may have triggered a rerun (selection state)
    assert not _exceptions(pg), _exceptions(pg)
    external = sorted({u for u in pg.requests if not is_local(u)})
    assert not external, f"requests to the internet from {url}: {external}"
    if shot:
        png = pg.screenshot(path=str(shot))
        from PIL import Image

        assert Image.open(io.BytesIO(png)).size == (VIEWPORT["width"], VIEWPORT["height"])


def test_page(server, page, app_page, screenshots):
    url = server.url + app_page.url()
    # pages under a mode (the wall screen) draw their own chrome instead of a Streamlit title
    with server.explain():
        render(
            page,
            url,
            screenshots / f"{app_page.url_path}.png",
            EXPECT.get(app_page.url_path, (0, 0)),
            titled=not app_page.query,
        )


def test_page_filtered_to_a_town(server, page, app_page):
    """Every page with a street/town and a category filter from the URL: still drawn, no exception."""
    url = server.url + app_page.url()
    url += ("&" if "?" in url else "?") + f"town={TOWN}&cat=noise&from=2025-12-01&to=2026-11-15"
    with server.explain():
        render(page, url, None, EXPECT.get(app_page.url_path, (0, 0)), titled=not app_page.query)


def test_filters_in_the_url(server, page, screenshots):
    with server.explain():
        render(page, server.url + FILTERED, screenshots / "trends-filtered.png", EXPECT["trends"])
    # the view keeps its filters in the URL, so a copied link reproduces it
    q = parse_qs(urlparse(page.url).query)
    assert (q.get("town"), q.get("from"), q.get("to")) == ([TOWN], ["2026-01-01"], ["2026-06-30"])
    assert TOWN_NAME in page.locator('[data-testid="stSidebar"]').inner_text()


def test_map_drills_down_from_the_url(server, page, screenshots):
    with server.explain():
        render(page, server.url + f"/map?town={TOWN}", screenshots / "map-town.png", EXPECT["map"])
    assert parse_qs(urlparse(page.url).query).get("town") == [TOWN]


def test_language_in_the_url(server, page):
    with server.explain():
        render(page, server.url + "/trends?lang=en")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "Resolution trends"


def test_deep_link_on_a_fresh_server(fresh_server, page):
    """A copied link is often the first request after a restart. While a pages/ folder sits next to app.py,
    Streamlit starts in legacy multipage mode and would run pages/trends.py without app.py (ui.lang() leaves
    that mode and reruns, so wait for the filter bar rather than for the first run to end)."""
    from playwright.sync_api import expect

    page.goto(fresh_server.url + FILTERED)
    with fresh_server.explain():
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(TOWN_NAME, timeout=90_000)
        wait_for_app(page)
        assert not _exceptions(page), _exceptions(page)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "办结趋势"


def test_coverage_directory_tab_loads_when_clicked(server, page):
    """The station directory is computed only while its tab is open: a click reruns the page and shows it."""
    from govdash.i18n import t

    with server.explain():
        render(page, server.url + "/coverage", None, (1, 0))
        # a column of the directory alone, near its left edge: the grid draws only the columns in view, and the
        # directory (with the stations' services) is wider than the screen
        header = page.locator('th[role="columnheader"]', has_text=t("fn_set", "zh"))  # 四站一室, the functions
        assert header.count() == 0
        page.get_by_role("tab", name=t("tab_directory", "zh")).click()
        # the grid draws on a canvas; its header cells exist for screen readers
        header.first.wait_for(state="attached", timeout=60_000)
        wait_for_app(page)
        assert not _exceptions(page), _exceptions(page)
        assert page.locator('[role="tabpanel"] [data-testid="stDataFrame"]').last.is_visible()
