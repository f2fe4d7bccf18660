"""In chromium: the grid map with the offline basemap of a street extract drawn under it (issue 19 item 6) still
drills down on a click (a deck of thousands of objects would stop Streamlit's selection), makes no outside
request, and the map is drawn."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from govdash import queries
from govdash.db import Database

from .conftest import Server, is_local, wait_for_app
from .test_map_click import DECK, MAP_HEIGHT_PX, _largest_town_pixel_offset

pytestmark = pytest.mark.browser


def _street_lattice(path, bounds, n: int = 120) -> str:
    """An .osm of n × n nodes over ``bounds``, jittered ~15 m, every tenth street primary: 240 long ways."""
    w, s, e, north = bounds
    lon, lat = np.linspace(w, e, n), np.linspace(s, north, n)
    rng = np.random.default_rng(7)
    nid = lambda i, j: 1 + j * n + i  # noqa: E731
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='test'>"]
    for j in range(n):
        for i in range(n):
            x, y = lon[i] + rng.normal(0, 1.5e-4), lat[j] + rng.normal(0, 1.5e-4)
            lines.append(f"<node id='{nid(i, j)}' version='1' lat='{y:.7f}' lon='{x:.7f}'/>")
    way = 1
    for k in range(n):
        kind = "primary" if k % 10 == 0 else "residential"
        for refs in ([nid(i, k) for i in range(n)], [nid(k, j) for j in range(n)]):
            nds = "".join(f"<nd ref='{r}'/>" for r in refs)
            lines.append(f"<way id='{way}' version='1'>{nds}<tag k='highway' v='{kind}'/></way>")
            way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def base_server(demo_db, tmp_path_factory, browser):
    db = Database(demo_db)
    bounds = queries.units_bounds(db)
    db.close()
    folder = tmp_path_factory.mktemp("basemap")
    network = _street_lattice(folder / "streets.osm", bounds)
    s = Server(demo_db, folder / "server.log", env={"GOVDASH_NETWORK_FILE": network})
    yield s
    s.stop()


def test_a_click_through_the_basemap_drills_down(base_server, page, demo_db):
    uid, name, dx, dy = _largest_town_pixel_offset(demo_db)
    with base_server.explain():
        page.goto(base_server.url + "/map")
        deck = page.locator(DECK).first
        deck.wait_for(timeout=120_000)  # a fresh server: the first run reads the extract
        wait_for_app(page)
        main = page.locator('[data-testid="stMain"]')
        assert "GOVDASH_NETWORK_FILE" in main.inner_text()  # the basemap's note: it is drawn
        deck.locator("canvas").first.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(3000)  # deck.gl draws after the element mounts
        box = deck.bounding_box()
        assert box and math.isclose(box["height"], MAP_HEIGHT_PX, abs_tol=2)
        x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
        page.mouse.move(x, y)  # the town's tooltip: the deck is drawn and picks through the basemap
        tip = page.locator(".deck-tooltip")
        tip.first.wait_for(state="visible", timeout=60_000)
        assert name in tip.first.inner_text()
        page.mouse.click(x, y)
        page.wait_for_function(f"() => location.search.includes('town={uid}')", timeout=60_000)
        wait_for_app(page)
        assert name in page.locator('[data-testid="stSidebar"]').inner_text()
        assert parse_qs(urlparse(page.url).query).get("town") == [uid]
    assert not [u for u in page.requests if not is_local(u)]
