"""Wall screen: URL state and playlist, tiles, ticker escaping, and AppTest runs of every panel (incl. failures)."""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from conftest import app_test

from govdash import settings, wall, wall_view
from govdash.filters import Filters

TOWN = "310115005"  # 陆家嘴街道


def _settings(**kw) -> settings.Settings:
    return settings.Settings(
        **{
            "rotate_seconds": 30,
            "refresh_seconds": 60,
            "wall_days": 30,
            "wall_panels": "overview,map,trend,coverage",
            **kw,
        }
    )


# --- URL state and playlist (pure) ---


def test_state_defaults_from_settings():
    st = wall.state({}, _settings())
    assert st == wall.WallState(panels=("overview", "map", "trend", "coverage"), rotate_s=30, refresh_s=60, days=30)


def test_state_from_url_keeps_known_panels_in_order():
    st = wall.state(
        {"panels": ["trend,bogus,map", "trend"], "rotate": ["12"], "refresh": ["5"], "days": ["7"]}, _settings()
    )
    assert st == wall.WallState(panels=("trend", "map"), rotate_s=12, refresh_s=5, days=7)


@pytest.mark.parametrize(
    ("raw", "rotate", "refresh"),
    [
        ({"rotate": ["0"]}, 0, 60),  # 0 turns rotation off
        ({"rotate": ["1"], "refresh": ["0"]}, 5, 2),  # clamped to the minimums
        ({"rotate": ["abc"], "refresh": ["x"]}, 30, 60),  # garbage: the settings
    ],
)
def test_state_clamps_bad_values(raw, rotate, refresh):
    st = wall.state(raw, _settings())
    assert (st.rotate_s, st.refresh_s) == (rotate, refresh)


def test_state_without_valid_panels_shows_overview():
    assert wall.state({"panels": ["nope"]}, _settings()).panels == ("overview",)


def test_wall_filters_move_with_the_data_unless_pinned():
    assert wall.wall_filters({}, date(2026, 11, 15), 30) == Filters(date(2026, 10, 17), date(2026, 11, 15))
    pinned = wall.wall_filters({"from": ["2026-01-01"], "to": ["2026-01-31"], "town": [TOWN]}, date(2026, 11, 15), 30)
    assert pinned == Filters(date(2026, 1, 1), date(2026, 1, 31), towns=(TOWN,))


def test_wall_filters_fall_back_on_bad_values():
    assert wall.wall_filters({"town": ["<script>"]}, date(2026, 11, 15), 7) == Filters(
        date(2026, 11, 9), date(2026, 11, 15)
    )


def test_first_slide_follows_the_clock():
    assert [wall.first_slide(t, 30, 4) for t in (0, 29.9, 30, 95, 120)] == [0, 0, 1, 3, 0]
    assert wall.first_slide(1000, 0, 4) == 0


def test_slide_advances_once_per_period_and_tolerates_timer_jitter():
    started = 1000.0
    # the timer fires a little late (or early): still one step per period, never a skip
    at = [started, started + 29.0, started + 30.4, started + 59.6, started + 61.0, started + 90.2, started + 120.0]
    assert [wall.slide(3, 1, started, t, 30) for t in at] == [1, 2, 2, 0, 0, 1, 2]
    assert wall.slide(1, 0, started, started + 500, 30) == 0  # one panel: no rotation
    assert wall.slide(3, 2, started, started + 500, 0) == 0  # rotation off


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 1.0), ("2", 2.0), ("1.33", 1.33), ("0.1", 0.5), ("99", 4.0), ("nan", 1.0), ("abc", 1.0)],
)
def test_scale_from_cookie(raw, expected):
    assert wall.scale(raw) == expected


def test_stale_after_two_hours():
    now = datetime(2026, 11, 15, 12, 0)
    assert not wall.is_stale(datetime(2026, 11, 15, 10, 30), now)
    assert wall.is_stale(datetime(2026, 11, 15, 9, 59), now)
    assert wall.is_stale(None, now)


# --- tiles and ticker (pure) ---


def test_tiles_arrows_targets_and_direction():
    now = {
        "collected": 110,
        "resolution_rate": 0.98,
        "on_time_rate": 1.0,
        "recognition_rate": 0.9904,
        "satisfaction": 81.0,
        "overdue_at_end": 4,
        "backlog": 50,
    }
    before = {
        "collected": 100,
        "resolution_rate": 0.99,
        "on_time_rate": 0.95,
        "recognition_rate": 0.9903,
        "satisfaction": 82.0,
        "overdue_at_end": 5,
    }
    tiles = {t.key: t for t in wall.tiles(now, before, _settings(), "zh")}
    assert (tiles["collected"].value, tiles["collected"].change, tiles["collected"].arrow) == ("110", "+10.0%", "▲")
    assert tiles["collected"].better is None and tiles["collected"].met is None  # a count: neutral, no target
    r = tiles["resolution_rate"]
    assert (r.value, r.change, r.arrow, r.better, r.met, r.target) == (
        "98.0%",
        "-1.0 pp",
        "▼",
        False,
        False,
        "目标 ≥99.0%",
    )
    assert tiles["on_time_rate"].met is True and tiles["on_time_rate"].better is True
    # +0.01 pp rounds to 0.0: no arrow, neutral
    assert (tiles["recognition_rate"].arrow, tiles["recognition_rate"].better) == ("", None)
    assert tiles["recognition_rate"].change == "持平"
    o = tiles["overdue_at_end"]
    assert (o.value, o.arrow, o.better, o.note) == ("4", "▼", True, "在办（全部） 50")  # fewer overdue is better


def test_tiles_without_data_show_dashes():
    empty = {k: float("nan") for k in wall.TILES}
    tiles = wall.tiles(empty, empty, _settings(), "en")
    assert [t.value for t in tiles] == ["—"] * len(wall.TILES)
    assert all(t.arrow == "" and t.met is None for t in tiles)


def test_ticker_items_order_and_text():
    overdue = pd.DataFrame(
        {
            "case_id": ["A1", "A2"],
            "town_id": ["T1", "T2"],
            "category": ["noise", "noise"],
            "tier": ["district", "community"],
            "overdue_days": [1.5, 12.0],
        }
    )
    spikes = pd.DataFrame({"text": ["5月1日起 甲镇 噪声扰民"]})
    items = wall.ticker_items(overdue, spikes, {"T1": "甲镇", "T2": "乙镇"}, "zh", {"noise": "噪声扰民"})
    assert [i["kind"] for i in items] == ["spike", "overdue", "overdue"]
    assert items[0]["text"] == "异常 5月1日起 甲镇 噪声扰民"
    assert items[1]["text"] == "超期 12.0天 · 乙镇 · 噪声扰民 · 社区 · A2"


def test_ticker_html_escapes_case_text():
    out = wall_view.ticker_html([{"kind": "overdue", "text": '<img src=x onerror="alert(1)">'}], "zh")
    assert "<img" not in out and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in out
    assert "暂无数据" in wall_view.ticker_html(None, "zh")  # the query failed
    assert "No overdue cases or anomalies" in wall_view.ticker_html([], "en")  # nothing to report


def test_latest_html_escapes_names():
    cases = pd.DataFrame(
        {
            "case_id": ["X<1>"],
            "reported_at": [pd.Timestamp("2026-11-15 23:54")],
            "name_zh": ["<b>镇</b>"],
            "name_en": [None],
            "category": ["noise"],
            "status": ["registered"],
        }
    )
    out = wall_view.latest_html(cases, "zh")
    assert "&lt;b&gt;镇&lt;/b&gt;" in out and 'data-case="X&lt;1&gt;"' in out and "23:54" in out


def test_town_status_thresholds():
    s = wall.town_status(pd.Series([0, 1, wall.OVERDUE_RED - 1, wall.OVERDUE_RED, None]))
    assert s.tolist() == [0, 1, 1, 2, 0]


def test_scope_text():
    f = Filters(date(2026, 10, 17), date(2026, 11, 15), towns=(TOWN,), categories=("noise",))
    assert wall.scope_text(f, {TOWN: "陆家嘴街道"}, "zh") == "2026-10-17 – 2026-11-15 · 陆家嘴街道 · 另有1项筛选"


# --- the page in AppTest ---


@pytest.fixture(autouse=True)
def _fresh_caches():
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _run(query: dict):
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def _html(at) -> str:
    """The wall's own markup (st.html), without the stylesheet and script."""
    bodies = (e.proto.body for e in at.get("html"))
    return "\n".join(b for b in bodies if not b.lstrip().startswith(("<style", "<script")))


def _tiles(body: str) -> int:
    return len(re.findall(r'class="wall-tile(?: met| miss)?"', body))


def _nodata(at) -> int:
    return len(re.findall(r'class="wall wall-nodata"', _html(at)))


@pytest.mark.parametrize(
    ("panel", "decks", "plots"), [("overview", 1, 1), ("map", 1, 0), ("trend", 0, 1), ("coverage", 0, 1)]
)
def test_every_panel_renders(app_env, panel, decks, plots):
    at = _run({"mode": "wall", "panels": panel})
    assert not at.exception, [e.value for e in at.exception]
    body = _html(at)
    assert _nodata(at) == 0, body[:2000]
    assert _tiles(body) == len(wall.TILES)
    assert "wall-ticker" in body and "wall-clock-time" in body and "数据截至" in body and "演示数据" in body
    assert (len(at.get("deck_gl_json_chart")), len(at.get("plotly_chart"))) == (decks, plots)
    assert at.session_state["lang"] == "zh"  # Chinese by default on the wall


def test_english_on_request(app_env):
    at = _run({"mode": "wall", "panels": "trend", "lang": "en"})
    assert not at.exception
    body = _html(at)
    assert "Data as of" in body and "Resolution rate" in body and "数据截至" not in body


def test_a_failing_query_shows_no_data_in_its_panel_only(app_env, monkeypatch):
    from govdash import queries_trend

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(queries_trend, "period_indicators", broken)
    at = _run({"mode": "wall", "panels": "overview"})
    assert not at.exception, [e.value for e in at.exception]
    assert _nodata(at) == 1  # the trend panel
    assert len(at.get("plotly_chart")) == 0 and len(at.get("deck_gl_json_chart")) == 1
    assert _tiles(_html(at)) == len(wall.TILES)


def test_a_failing_ticker_and_tiles_show_no_data(app_env, monkeypatch):
    from govdash import queries_trend

    def broken(*args, **kwargs):
        raise RuntimeError("no")

    monkeypatch.setattr(queries_trend, "indicator_totals", broken)
    monkeypatch.setattr(queries_trend, "open_cases", broken)  # the ticker
    monkeypatch.setattr(queries_trend, "overdue_per_unit", broken)  # the map's status
    at = _run({"mode": "wall", "panels": "map"})
    assert not at.exception, [e.value for e in at.exception]
    body = _html(at)
    assert _tiles(body) == 0
    assert _nodata(at) == 3  # tiles, map, lagging list
    assert "wall-ticker-label calm" in body and "暂无数据" in body


def test_an_empty_selection_shows_no_data(app_env):
    at = _run({"mode": "wall", "panels": "trend", "town": TOWN, "from": "2001-01-01", "to": "2001-01-31"})
    assert not at.exception
    assert _nodata(at) == 1


@pytest.mark.parametrize(
    "lang, words", [("zh", "本区没有这个编码或名称"), ("en", "no street/town of this district has")]
)
def test_an_unknown_town_is_named_on_the_wall_not_silently_ignored(app_env, lang, words):
    at = _run({"mode": "wall", "panels": "trend", "town": "陆家嘴", "lang": lang})
    assert not at.exception
    body = _html(at)
    assert "wall-notice" in body and words in body and "town=陆家嘴" in body


def test_the_wall_opened_by_a_towns_name_is_that_towns(app_env):
    """The README's link ``town=陆家嘴街道``: the wall for 陆家嘴 (its name in the header, its coverage)."""
    from govdash import queries_map
    from govdash.db import Database

    at = _run({"mode": "wall", "panels": "coverage", "town": "陆家嘴街道"})
    assert not at.exception
    body = _html(at)
    assert "wall-notice" not in body and "陆家嘴街道" in body
    db = Database(app_env)
    try:
        own = len(queries_map.stations(db, (TOWN,)))
        total = len(queries_map.stations(db))
    finally:
        db.close()
    shown = [  # the doorstep stations and the street/town centres, named apart (issue 19 item 3)
        int(re.search(re.escape(wall.label(k, "zh")) + r" <b>([\d,]+)</b>", body).group(1).replace(",", ""))
        for k in ("wall_doorstep", "wall_centres")
    ]
    assert sum(shown) == own < total and shown[1] == 1  # the town's own centre


def test_rotation_keeps_mode_language_and_filters(app_env):
    query = {"mode": "wall", "panels": "map,trend", "rotate": "10", "town": TOWN, "lang": "en"}
    at = _run(query)
    assert not at.exception

    def current() -> str:
        bar = next(e.proto.body for e in at.get("html") if "wall-playbar" in e.proto.body)
        return re.search(r'<span class="on">([^<]+)</span>', bar).group(1)

    first = current()
    assert first in ("Map", "Trend")
    at.session_state["wall_started"] -= 10.5  # one rotation period later
    at.run()
    assert not at.exception
    assert current() != first
    at.session_state["wall_started"] -= 10.0
    at.run()
    assert current() == first
    for k, v in query.items():
        assert at.query_params[k] in (v, [v]), k
    assert "陆家嘴街道" in _html(at) and "Data as of" in _html(at)


def test_setting_boots_into_the_wall(app_env, monkeypatch):
    monkeypatch.setenv("GOVDASH_WALL", "1")
    monkeypatch.setenv("GOVDASH_WALL_PANELS", "trend")
    at = _run({})
    assert not at.exception
    assert "wall-tiles" in _html(at) and len(at.get("plotly_chart")) == 1
    at = _run({"mode": "app"})  # the URL can still ask for the pages
    assert "wall-tiles" not in _html(at)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_every_town_is_named_on_the_wall_map_inside_its_view(demo_db, scale):
    """Issue 19 item 5: the wall map named no town. Every street/town (36 in the demo) is named at 24 px on a
    1080p screen (48 px at 4K), the red ones with their 超期在办（全部） count, and no name is pushed out of the map."""
    import json

    from govdash import maps, queries
    from govdash.db import Database

    db = Database(demo_db)
    try:
        at = queries.as_of(db)
        m = wall.map_data(db, wall.wall_filters({}, at.date(), 30), at)
    finally:
        db.close()
    size = wall_view.MAP_DESIGN_PX["overview"]
    deck = wall_view.wall_map(m["stats"], m["geoms"], m["bins"], m["recent"], size_px=size, scale=scale)
    spec = json.loads(deck.to_json())
    texts = [layer for layer in spec["layers"] if layer["@@type"] == "TextLayer"]
    assert texts and all(layer["getSize"] == 24 * scale for layer in texts)
    shown = [row["label"] for layer in texts for row in layer["data"]]
    red = m["stats"][m["stats"]["status"] >= 2]
    want = {
        maps.short_name(r.name_zh) + (f" {r.overdue}" if r.unit_id in set(red["unit_id"]) else "")
        for r in m["stats"].itertuples()
    }
    assert len(shown) == len(m["stats"]) == 36 and set(shown) == want
    view = spec["initialViewState"]
    cx, cy = maps._merc_px([view["longitude"]], [view["latitude"]], view["zoom"])
    for layer in texts:
        for row in layer["data"]:
            x, y = maps._merc_px([row["lon"]], [row["lat"]], view["zoom"])
            assert abs(x[0] - cx[0]) <= size[0] * scale / 2 and abs(y[0] - cy[0]) <= size[1] * scale / 2, row


def test_the_wall_opened_for_one_community_draws_that_community(app_env):
    """Issue 18: ``?mode=wall&community=…`` drew the town's outline. The map is the 居村's own polygon, named,
    with its own overdue count (the open overdue cases whose community it is, counted here from the cases)."""
    import json

    import shapely

    from govdash import queries, queries_trend
    from govdash.db import Database

    db = Database(app_env)
    try:
        at_ = queries.as_of(db)
        coms = queries.communities(db, (TOWN,))
        com, name = coms["unit_id"].iloc[0], coms["name_zh"].iloc[0]
        f = wall.wall_filters({"community": [com]}, at_.date(), 30)
        m = wall.map_data(db, f, at_)
        town_geom = queries.unit_geometries(db, "town", Filters(start=f.start, end=f.end, towns=(TOWN,)))
        stock = queries_trend.open_cases(db, f.with_(communities=()), at_, overdue_only=True, limit=100_000)
    finally:
        db.close()
    assert m["geoms"]["unit_id"].tolist() == [com]
    assert (m["level"], m["cell_m"]) == ("community", wall.COMMUNITY_CELL_M)  # density cells finer than the 居村
    assert m["stats"][["unit_id", "name_zh"]].values.tolist() == [[com, name]]
    assert m["stats"]["overdue"].iloc[0] == int((stock["community_id"] == com).sum())
    ours = shapely.from_wkb(bytes(m["geoms"]["geom"].iloc[0]))
    town = shapely.from_wkb(bytes(town_geom["geom"].iloc[0]))
    assert ours.area < 0.5 * town.area and town.buffer(1e-6).contains(ours)
    # through the app: the wall's map draws one outline, the 居村's, and names it
    page = _run({"mode": "wall", "panels": "map", "community": com})
    assert not page.exception
    spec = json.loads(page.get("deck_gl_json_chart")[0].proto.json)
    outline = next(layer for layer in spec["layers"] if layer["id"] == "towns")
    assert len(outline["data"]) == 1
    labels = [row["label"] for layer in spec["layers"] if layer["@@type"] == "TextLayer" for row in layer["data"]]
    assert any(label.startswith(name[:2]) for label in labels)
    density = [layer for layer in spec["layers"] if layer["id"].startswith("density")]
    assert all(layer["cellSize"] == wall.COMMUNITY_CELL_M for layer in density)
    assert "居村态势" in _html(page)


def test_the_wall_density_is_one_layer_per_colour_step_with_every_cell_once():
    """Cells at 0, (3/11)² and all of vmax fall on steps 0, 3 and 11 of the square-root scale (worked by hand):
    three layers, each holding its cell's corner to 4 decimals and coloured as density_rgba colours that count."""
    vmax = 121.0
    bins = pd.DataFrame({"lon": [121.500001, 121.6, 121.7], "lat": [31.2, 31.25, 31.300049], "count": [0, 9, 121]})
    layers = wall_view.density_layers(bins, vmax, 500.0)
    assert [layer.id for layer in layers] == ["density_0", "density_3", "density_11"]
    cells = [[row["p"] for row in layer.data] for layer in layers]
    assert cells == [[[121.5, 31.2]], [[121.6, 31.25]], [[121.7, 31.3]]]
    assert [layer.get_fill_color for layer in layers] == wall_view.density_rgba(np.array([0.0, 9.0, 121.0]), vmax)
    assert all(layer.cell_size == 500.0 for layer in layers)
