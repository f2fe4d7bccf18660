"""In chromium: clicking a street/town on the grid map drills down and filters the app (URL, sidebar, ranking);
a case description that is markup shows as text in the heatmap's case tooltip."""

from __future__ import annotations

import math
import shutil
from datetime import date
from urllib.parse import parse_qs, urlparse

import duckdb
import numpy as np
import pytest
import shapely

from govdash import maps, queries
from govdash.db import Database
from govdash.filters import Filters

from .conftest import VIEWPORT, Server, wait_for_app

pytestmark = pytest.mark.browser
DECK = '[data-testid="stDeckGlJsonChart"]'
MAP_HEIGHT_PX = 600  # pages/map.py draws the map this high and fits the view to it


def _largest_town_pixel_offset(db_path: str) -> tuple[str, str, float, float]:
    """The biggest town's id and name, and the pixel offset of a point inside it from the map centre."""
    db = Database(db_path)
    geoms = queries.unit_geometries(db, "town")
    shapes = maps.unit_shapes(geoms, tolerance_m=maps.SIMPLIFY_M["town"])
    view = maps.view_for_bbox(maps.shapes_bbox(shapes), height_px=MAP_HEIGHT_PX)
    polys = [shapely.Polygon(p[0]) for p in shapes["polygon"]]
    i = int(np.argmax([p.area for p in polys]))
    pt = polys[i].representative_point()
    x, y = maps._merc_px(np.array([pt.x, view.longitude]), np.array([pt.y, view.latitude]), view.zoom)
    uid = shapes["unit_id"].iat[i]
    names = queries.unit_names(db)["town"]
    db.close()
    return uid, names[uid], float(x[0] - x[1]), float(y[0] - y[1])


def test_click_a_town_drills_down_and_filters(server, page, demo_db):
    uid, name, dx, dy = _largest_town_pixel_offset(demo_db)
    with server.explain():
        page.goto(server.url + "/map")
        wait_for_app(page)
        deck = page.locator(DECK).first
        deck.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(2000)  # deck.gl draws after the element mounts
        box = deck.bounding_box()
        assert box and math.isclose(box["height"], MAP_HEIGHT_PX, abs_tol=2)
        page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
        page.wait_for_function(f"() => location.search.includes('town={uid}')", timeout=30_000)
        wait_for_app(page)
        main = page.locator('[data-testid="stMain"]').inner_text()
        # the breadcrumb leads back up, the ranking now lists the town's communities, the sidebar filter is set
        assert f"全区\n›\n{name}" in main or ("全区" in main and name in main)
        assert "排名 · 居村" in main
        assert name in page.locator('[data-testid="stSidebar"]').inner_text()
        q = parse_qs(urlparse(page.url).query)
        assert q.get("town") == [uid] and "community" not in q  # one click, one level: no runaway reruns
        page.get_by_role("button", name="全区").click()
        page.wait_for_function("() => !location.search.includes('town=')", timeout=30_000)
        wait_for_app(page)
        assert "排名 · 街镇" in page.locator('[data-testid="stMain"]').inner_text()


XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def xss_server(demo_db, tmp_path_factory, browser):
    """The demo with one case whose description is markup, served on its own port."""
    path = tmp_path_factory.mktemp("xss") / "xss.duckdb"
    shutil.copy(demo_db, path)
    with duckdb.connect(str(path)) as con:
        # a case alone in its grid on its day, so the map shows it as a single dot
        cid, grid, com, town, day = con.execute(
            "SELECT any_value(case_id), grid_id, any_value(community_id), any_value(town_id), reported_at::DATE "
            "FROM cases WHERE lon IS NOT NULL GROUP BY grid_id, reported_at::DATE HAVING count(*) = 1 "
            "ORDER BY 1 LIMIT 1"
        ).fetchone()
        con.execute("UPDATE cases SET description = ? WHERE case_id = ?", [XSS, cid])
        lon, lat = con.execute("SELECT lon, lat FROM cases WHERE case_id = ?", [cid]).fetchone()
    s = Server(str(path), tmp_path_factory.mktemp("xss_log") / "server.log")
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.goto(s.url + "/")
    wait_for_app(pg)
    context.close()
    yield s, str(path), dict(case=cid, grid=grid, community=com, town=town, day=str(day), lon=lon, lat=lat)
    s.stop()


def test_case_tooltip_shows_markup_as_text(xss_server, page):
    server, path, c = xss_server
    db = Database(path)
    day = date.fromisoformat(c["day"])
    area = maps.unit_shapes(
        queries.unit_geometries(
            db,
            "grid",
            Filters(start=day, end=day, towns=(c["town"],), communities=(c["community"],), grids=(c["grid"],)),
        ),
        tolerance_m=maps.SIMPLIFY_M["grid"],
    )
    db.close()
    view = maps.view_for_bbox(maps.shapes_bbox(area), height_px=MAP_HEIGHT_PX)
    x, y = maps._merc_px(np.array([c["lon"], view.longitude]), np.array([c["lat"], view.latitude]), view.zoom)
    url = f"/heatmap?from={c['day']}&to={c['day']}&town={c['town']}&community={c['community']}&grid={c['grid']}"
    with server.explain():
        page.goto(server.url + url)
        wait_for_app(page)
        deck = page.locator(DECK).first
        deck.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(2000)
        box = deck.bounding_box()
        cx, cy = box["x"] + box["width"] / 2 + float(x[0] - x[1]), box["y"] + box["height"] / 2 + float(y[0] - y[1])
        tip = page.locator(".deck-tooltip")
        for dx, dy in [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)]:  # within the dot's few pixels
            page.mouse.move(cx + dx, cy + dy)
            page.wait_for_timeout(400)
            if tip.count() and XSS in tip.first.inner_text():
                break
        assert XSS in tip.first.inner_text()  # shown as text…
        assert tip.first.locator("img").count() == 0  # …and never as an element
        assert not page.evaluate("() => !!document.querySelector('img[src=\"x\"]')")
