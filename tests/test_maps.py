"""Map builders: colour scales and legends, lean polygons, tooltips that never carry markup, no basemap by default."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import shapely

from govdash import maps, maps_heat

XSS = "<img src=x onerror=alert(1)>"


def _deck_json(deck) -> tuple[str, dict]:
    text = deck.to_json()
    return text, json.loads(text)


# --------------------------------------------------------------------------- colours and legends


def test_diverging_scale_is_centred_on_the_target():
    values = pd.Series([0.90, 0.945, 0.99, 1.00, np.nan])
    colours, legend = maps.color_scale(values, "resolution_rate", target=0.99)
    assert tuple(colours[0]) == maps.DIVERGING[0]  # furthest below: full red
    assert tuple(colours[2]) == maps.DIVERGING[2]  # at the target: neutral
    assert tuple(colours[3]) == maps.DIVERGING[-1]  # furthest above: full blue
    assert tuple(colours[4]) == maps.NO_DATA
    # 94.5 % is half way from the worst unit to the target (each side stretched on its own): stop 1 of 0-4
    assert np.allclose(colours[1], maps.DIVERGING[1], atol=1)
    assert (legend["kind"], legend["min"], legend["mid"], legend["max"]) == ("diverging", 0.90, 0.99, 1.00)
    positions = [p for p, _ in legend["stops"]]
    assert positions[0] == 0 and positions[-1] == 1 and positions == sorted(positions)
    assert (0.9, maps.DIVERGING[2]) in [(round(p, 6), c) for p, c in legend["stops"]]  # the target's stop


def test_rates_on_few_cases_are_not_coloured():
    stats = pd.DataFrame({"resolution_rate": [0.0, 0.9, np.nan], "collected": [1, 5, 0], "satisfaction": 80.0})
    assert maps.shown_values(stats, "resolution_rate").tolist()[:2] == [pytest.approx(np.nan, nan_ok=True), 0.9]
    assert maps.shown_values(stats, "satisfaction").tolist() == [80.0, 80.0, 80.0]  # no base: as it is


def test_sequential_scale_without_target_and_constant_values():
    colours, legend = maps.color_scale(pd.Series([10, 20, 30]), "collected")
    assert tuple(colours[0]) == maps.SEQUENTIAL[0] and tuple(colours[2]) == maps.SEQUENTIAL[-1]
    assert (legend["kind"], legend["mid"]) == ("sequential", None)
    colours, _ = maps.color_scale(pd.Series([5.0, 5.0]), "collected")
    assert (colours == np.array(maps.SEQUENTIAL[0], np.uint8)).all()


def test_legend_html_has_units_target_and_escapes_text():
    _, legend = maps.color_scale(pd.Series([0.90, 1.0]), "resolution_rate", target=0.99)
    out = maps.legend_html(legend, "resolution_rate", lang="zh")
    assert "解决率 (%)" in out and "目标 99.0%" in out and "90.0%" in out and "100.0%" in out
    assert "linear-gradient" in out
    assert XSS not in maps.legend_html(legend, "resolution_rate", title=XSS)
    en = maps.legend_html(maps.color_scale(pd.Series([1, 9]), "cases_per_1000")[1], "cases_per_1000", lang="en")
    assert "per 1,000 residents" in en and "brighter = more" in en


def test_density_colours_fixed_by_vmax():
    a = maps_heat.density_colours(np.array([4]), vmax=16)
    b = maps_heat.density_colours(np.array([4, 16, 1]), vmax=16)
    assert a[0] == b[0]  # the same count gets the same colour whatever else is in the frame
    assert b[1][:3] == list(maps.SEQUENTIAL[-1])


# --------------------------------------------------------------------------- polygons


def _wkb_frame(geoms: dict) -> pd.DataFrame:
    return pd.DataFrame({"unit_id": list(geoms), "geom": [g.wkb for g in geoms.values()]})


def test_unit_shapes_simplify_round_and_keep_parts_and_holes():
    # a 1 km square whose edges wobble by ~0.5 m at 200 vertices
    t = np.linspace(0, 1, 50, endpoint=False)
    edge = 0.009
    wobble = 0.0000045 * np.sin(np.arange(50))
    ring = np.concatenate(
        [
            np.column_stack([121.5 + t * edge, 31.2 + wobble]),
            np.column_stack([121.5 + edge + wobble, 31.2 + t * edge]),
            np.column_stack([121.5 + edge - t * edge, 31.2 + edge + wobble]),
            np.column_stack([121.5 + wobble, 31.2 + edge - t * edge]),
        ]
    )
    noisy = shapely.Polygon(ring)
    two = shapely.MultiPolygon([shapely.box(121.6, 31.2, 121.61, 31.21), shapely.box(121.62, 31.2, 121.63, 31.21)])
    holed = shapely.box(121.7, 31.2, 121.72, 31.22).difference(shapely.box(121.705, 31.205, 121.71, 31.21))
    out = maps.unit_shapes(_wkb_frame({"A": noisy, "B": two, "C": holed}), tolerance_m=5)
    assert out["unit_id"].tolist() == ["A", "B", "B", "C"]
    assert len(out["polygon"][0][0]) == 5  # the square's 4 corners (+ closing point)
    assert len(out["polygon"][3]) == 2  # outer ring and its hole
    coords = np.concatenate([np.asarray(r) for p in out["polygon"] for r in p])
    assert np.allclose(coords, np.round(coords, 5))
    assert maps.shapes_bbox(out) == (121.5, 31.2, 121.72, 31.22)
    raw = maps.unit_shapes(_wkb_frame({"A": noisy}))
    assert len(raw["polygon"][0][0]) == 201  # no tolerance: every vertex kept


def test_view_for_bbox_fits_the_box():
    bbox = (121.45, 30.86, 121.98, 31.39)
    v = maps.view_for_bbox(bbox, width_px=900, height_px=600, pad=0)
    x, y = maps._merc_px(np.array([bbox[0], bbox[2]]), np.array([bbox[1], bbox[3]]), v.zoom)
    # the limiting side fills the map, to within the zoom's rounding to 0.01 (0.35 %)
    assert 0.99 <= max(abs(x[1] - x[0]) / 900, abs(y[1] - y[0]) / 600) <= 1.01


# --------------------------------------------------------------------------- decks


def _stats() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": ["T1", "T2"],
            "name_zh": [XSS, "乙镇"],
            "town_id": ["T1", "T2"],
            "parent_id": [None, None],
            "lon": [121.505, 121.515],
            "lat": [31.205, 31.205],
            "area_km2": [1.0, 1.0],
            "collected": [10, 0],
            "cases_per_1000": [1.0, 0.0],
            "resolution_rate": [0.9, np.nan],
            "on_time_rate": [1.0, np.nan],
            "overdue": [1, 0],
            "satisfaction": [80.0, np.nan],
        }
    )


def test_choropleth_tooltip_is_text_and_markup_stays_text():
    geoms = _wkb_frame(
        {"T1": shapely.box(121.50, 31.20, 121.51, 31.21), "T2": shapely.box(121.51, 31.20, 121.52, 31.21)}
    )
    deck, legend = maps.choropleth(_stats(), geoms, "resolution_rate", target=0.99, selected="T1")
    text, spec = _deck_json(deck)
    # deck.gl shows a "text" tooltip with innerText: nothing in it is ever parsed as HTML
    assert deck._tooltip["text"] == "{tip}" and "html" not in deck._tooltip
    assert "<img" not in text and "\\u003cimg" in text
    units = next(layer for layer in spec["layers"] if layer["id"] == maps.LAYER_UNITS)
    assert units["pickable"] and not units.get("autoHighlight")  # a hover must not redraw: clicks were lost
    tip = units["data"][0]["tip"]
    assert tip.startswith(XSS + "\n解决率: 90.0%") and "受理工单: 10" in tip
    assert units["data"][1]["tip"].startswith("乙镇\n解决率: —")
    assert units["data"][0]["town_id"] == "T1"
    assert [layer["id"] for layer in spec["layers"]] == [maps.LAYER_UNITS, "selected", "labels"]
    assert spec["mapStyle"] == "__MAP_STYLE__" and "mapProvider" not in spec  # no basemap request at all
    assert legend["mid"] == 0.99


def test_tile_url_becomes_a_raster_map_style():
    deck = maps_heat.heat_deck(
        pd.DataFrame({"lon": [], "lat": [], "count": []}),
        cell_m=100,
        vmax=1,
        tile_url="http://tiles.local/{z}/{x}/{y}.png",
    )
    style = deck.to_json() and json.loads(deck.to_json())["mapStyle"]
    assert style.startswith("data:application/json")
    from urllib.parse import unquote

    body = json.loads(unquote(style.split(",", 1)[1]))
    assert body["sources"]["tiles"]["tiles"] == ["http://tiles.local/{z}/{x}/{y}.png"]


def test_case_points_tooltip_escaped_in_json():
    points = pd.DataFrame(
        {
            "case_id": ["K1"],
            "lon": [121.5],
            "lat": [31.2],
            "grid_id": ["G1"],
            "category": ["noise"],
            "subcategory": ["x"],
            "status": ["closed"],
            "reported_at": [datetime(2026, 3, 1, 8, 30)],
            "description": [XSS],
        }
    )
    bins = pd.DataFrame({"lon": [121.49], "lat": [31.19], "count": [1]})
    deck = maps_heat.heat_deck(bins, cell_m=100, vmax=1, points=points, category_names={"noise": "噪声扰民"})
    text, spec = _deck_json(deck)
    assert "<img" not in text and "&lt;img" not in text
    case = next(layer for layer in spec["layers"] if layer["id"] == maps.LAYER_CASES)["data"][0]
    assert case["tip"] == f"K1 · 2026-03-01 08:30\n噪声扰民 · 已办结\n{XSS}"
    assert "html" not in deck._tooltip


def test_station_tooltip_lists_functions():
    stations = pd.DataFrame(
        {
            "station_id": ["S1"],
            "name_zh": ["甲站"],
            "level": ["doorstep"],
            "lon": [121.5],
            "lat": [31.2],
            "f_party": [True],
            "f_gov": [False],
            "f_culture": [True],
            "f_joint": [False],
            "f_clinic": [True],
            "opening_hours": ["9:00-17:00"],
        }
    )
    layer = maps.station_layer(stations, "zh")
    assert layer.data[0]["tip"] == "甲站 · 家门口服务站\n党建服务站、文化服务站、卫生室\n开放时间: 9:00-17:00"
