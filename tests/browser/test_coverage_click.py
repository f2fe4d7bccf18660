"""In chromium: clicking the coverage map adds a what-if station where clicked and the covered count changes
(issue 19: 13 clicks on the old map of tens of thousands of cells returned an empty selection)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from govdash import district_record, maps, queries, queries_map
from govdash import service_circle as sc
from govdash.coverage import reach_m
from govdash.db import Database

from .conftest import Server, wait_for_app

pytestmark = pytest.mark.browser
DECK = '[data-testid="stDeckGlJsonChart"]'
MINUTES = 15  # the page's default threshold (settings.walk_minutes)


def _target(db_path: str) -> dict:
    """The click square with the most residents beyond the threshold, away from stations and gap rings; its
    pixel offset from the map's centre, and the covered count after a station at its centre (computed here
    with govdash.service_circle, not by the page)."""
    db = Database(db_path)
    cells, stations, towns = queries_map.cells(db), queries_map.stations(db), queries.towns(db)
    crs = district_record.metric_crs(district_record.read(db))
    db.close()
    timed = sc.walk(cells, stations, metric_crs=crs)
    before = sc.district(timed, MINUTES)["covered"]
    blocks = sc.click_blocks(timed, metric_crs=crs)
    gaps, _ = sc.gap_table(timed, MINUTES, towns, metric_crs=crs)
    size = float(blocks["size_m"].iloc[0])
    centres = np.column_stack([blocks["lon"].round(5), blocks["lat"].round(5)])  # as the layer sends them
    m_per_deg = np.array([111_320 * math.cos(math.radians(float(cells["lat"].mean()))), 110_540])
    far = blocks["minutes"].to_numpy() > MINUTES + 3
    clear = np.ones(len(blocks), bool)
    for g in gaps.itertuples():  # gap rings are pickable along their stroke: keep off them
        d = np.hypot(*((centres - [g.lon, g.lat]) * m_per_deg).T)
        radius = min(250 + 0.5 * 100 * math.sqrt(g.cells), 2500)
        clear &= np.abs(d - radius) > 150
    ranked = np.flatnonzero(far & clear)
    i = int(ranked[np.argmax(blocks["residents"].to_numpy()[ranked])])
    lon, lat = centres[i]
    edit = {"op": "add", "lon": round(lon, 5), "lat": round(lat, 5)}
    after = sc.district(sc.walk(cells, sc.apply_edits(stations, [edit]), metric_crs=crs), MINUTES)["covered"]
    bbox = (float(cells["lon"].min()), float(cells["lat"].min()), float(cells["lon"].max()), float(cells["lat"].max()))
    view = maps.view_for_bbox(bbox, width_px=860, height_px=690)  # as pages/coverage.py fits the map
    x, y = maps._merc_px(np.array([lon, view.longitude]), np.array([lat, view.latitude]), view.zoom)
    assert reach_m(MINUTES) > size / math.sqrt(2)  # the new station covers its own square, corners too
    return {"dx": float(x[0] - x[1]), "dy": float(y[0] - y[1]), "before": before, "after": after, "edit": edit}


def _covered(pg) -> str:
    metric = pg.locator('[data-testid="stMetric"]').filter(has_text="覆盖人口").filter(has_not_text="未覆盖")
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text()


@pytest.fixture(scope="module")
def qinhuai_server(tmp_path_factory, browser):
    """The qinhuai fixture district (Nanjing, UTM 50N) with its communities' residents as the population."""
    from tests.districts import qinhuai
    from tests.test_own_district import build, run

    folder = tmp_path_factory.mktemp("browser-qinhuai-coverage")
    fx = qinhuai(folder / "files")
    path = build(fx, folder)
    assert run("import", "population", fx.files["communities"], "--db", path) == 0
    s = Server(path, folder / "server.log")
    yield s, path
    s.stop()


@pytest.fixture(params=["demo", "qinhuai"])
def district(request, demo_db):
    if request.param == "demo":
        return request.param, request.getfixturevalue("server"), demo_db
    return request.param, *request.getfixturevalue("qinhuai_server")


def test_click_on_the_coverage_map_adds_a_station(district, page, screenshots):
    name, server, db_path = district
    want = _target(db_path)
    assert want["after"] > want["before"]
    with server.explain():
        page.goto(server.url + "/coverage")
        wait_for_app(page)
        deck = page.locator(DECK).first
        deck.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(3000)  # deck.gl draws after the element mounts
        page.screenshot(path=str(screenshots / f"coverage-click-{name}-before.png"))
        assert _covered(page) == f"{want['before']:,.0f}"
        box = deck.bounding_box()
        x, y = box["x"] + box["width"] / 2 + want["dx"], box["y"] + box["height"] / 2 + want["dy"]
        assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]
        page.mouse.move(x, y)
        tip = page.locator(".deck-tooltip")
        tip.first.wait_for(state="visible", timeout=10_000)
        assert re.search(r"≈\d+\.\d 分钟 · 常住人口 [\d,]+", tip.first.inner_text()), tip.first.inner_text()
        shown = "(v) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].some(e => e.innerText === v)"
        page.mouse.click(x, y)
        try:
            page.wait_for_function(shown, arg=f"{want['after']:,.0f}", timeout=20_000)
        except PlaywrightTimeout:
            # under the suite's load the first click was lost in 2 of 3 CI runs (6 Dec): the hover's highlight redrew
            # the map and the press waited past deck.gl's tap limit (the squares no longer highlight; a press then
            # took 34-64 ms to handle under load 7, was up to 203 ms). A person clicks again; a second loss fails
            page.mouse.move(x, y)
            tip.first.wait_for(state="visible", timeout=10_000)
            page.mouse.click(x, y)
            page.wait_for_function(shown, arg=f"{want['after']:,.0f}", timeout=60_000)
        wait_for_app(page)
        assert _covered(page) == f"{want['after']:,.0f}"
        main = page.locator('[data-testid="stMain"]').inner_text()
        assert f"+{want['after'] - want['before']:,.0f} 假设分析变化" in main
        assert "+1 假设分析变化" in main  # one station more counted
        page.wait_for_timeout(2000)
        page.screenshot(path=str(screenshots / f"coverage-click-{name}-after.png"))
