"""The offline basemap (govdash.basemap) from a small literal .osm written here: roads by rank, water, clipping,
simplification, the vertex budget, and the deck layers; then on the qinhuai fixture's own extract."""

from __future__ import annotations

import json

import pytest
import shapely
import shapely.geometry

from govdash import basemap, maps

CRS = "EPSG:32651"  # UTM 51N: Pudong
BOUNDS = (121.50, 31.20, 121.52, 31.22)  # the "district": about 1.9 × 2.2 km
# id: (lon, lat)
NODES = {
    1: (121.501, 31.205),
    2: (121.510, 31.205),
    3: (121.519, 31.205),  # 1-2-3: a straight primary road, the middle node on the line
    4: (121.505, 31.201),
    5: (121.505, 31.2100),
    6: (121.50505, 31.2150),  # 4-5-6: a residential street whose last bend is 4.8 m off the line: simplified away
    7: (121.511, 31.201),
    8: (121.511, 31.219),  # 7-8: a footway: not drawn
    9: (121.600, 31.300),
    10: (121.610, 31.300),  # 9-10: a trunk road far outside the district: clipped away
    11: (121.500, 31.212),
    12: (121.520, 31.212),  # 11-12: a river (waterway=river): a line
    # a lake of 0.001° × 0.001° (about 95 m × 111 m = 1.06 ha): a closed way with natural=water
    20: (121.514, 31.214),
    21: (121.515, 31.214),
    22: (121.515, 31.215),
    23: (121.514, 31.215),
    # a pond of 0.0002° square (about 19 m × 22 m = 420 m²): under MIN_WATER_M2, left out
    30: (121.502, 31.218),
    31: (121.5022, 31.218),
    32: (121.5022, 31.2182),
    33: (121.502, 31.2182),
    # a basin with an island: a multipolygon relation (outer 0.002° square, inner 0.0005° square)
    40: (121.503, 31.2140),
    41: (121.505, 31.2140),
    42: (121.505, 31.2160),
    43: (121.503, 31.2160),
    44: (121.5038, 31.2148),
    45: (121.5043, 31.2148),
    46: (121.5043, 31.2153),
    47: (121.5038, 31.2153),
}
WAYS = [  # (id, refs, tags)
    (101, [1, 2, 3], {"highway": "primary"}),
    (102, [4, 5, 6], {"highway": "residential"}),
    (103, [7, 8], {"highway": "footway"}),
    (104, [9, 10], {"highway": "trunk"}),
    (105, [11, 12], {"waterway": "river"}),
    (106, [20, 21, 22, 23, 20], {"natural": "water"}),
    (107, [30, 31, 32, 33, 30], {"natural": "water"}),
    (108, [40, 41, 42, 43, 40], {}),
    (109, [44, 45, 46, 47, 44], {}),
]


def write_osm(path, nodes=NODES, ways=WAYS, relation: bool = True):
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='test'>"]
    lines += [f"<node id='{i}' version='1' lat='{lat}' lon='{lon}'/>" for i, (lon, lat) in nodes.items()]
    for wid, refs, tags in ways:
        lines.append(f"<way id='{wid}' version='1'>")
        lines += [f"<nd ref='{r}'/>" for r in refs]
        lines += [f"<tag k='{k}' v='{v}'/>" for k, v in tags.items()]
        lines.append("</way>")
    if relation:
        lines += [
            "<relation id='1' version='1'>",
            "<member type='way' ref='108' role='outer'/><member type='way' ref='109' role='inner'/>",
            "<tag k='type' v='multipolygon'/><tag k='landuse' v='basin'/>",
            "</relation>",
        ]
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    return write_osm(tmp_path_factory.mktemp("osm") / "city.osm")


def test_roads_by_rank_water_and_rivers_inside_the_district(extract):
    bm = basemap.read(extract, BOUNDS, metric_crs=CRS)
    # the primary road (rank 1) and the residential street (rank 4); no footway, no trunk 10 km away
    assert sorted(bm.roads["rank"]) == [1, 4]
    primary = bm.roads.loc[bm.roads["rank"] == 1, "geometry"].iloc[0]
    assert shapely.get_num_coordinates(primary) == 2  # the middle node lies on the line
    assert primary.coords[0] == NODES[1] and primary.coords[-1] == NODES[3]
    street = bm.roads.loc[bm.roads["rank"] == 4, "geometry"].iloc[0]
    assert shapely.get_num_coordinates(street) == 2  # a 4.8 m bend is under SIMPLIFY_M (12 m)
    # the lake and the basin with its island hole; the 420 m² pond is left out
    assert len(bm.water) == 2
    areas = sorted(round(p.area * 1e6, 2) for p in bm.water)  # in (0.001°)² units
    assert areas == [1.0, 3.75]  # 1 × 1; 2 × 2 − 0.5 × 0.5
    basin = max(bm.water, key=lambda p: p.area)
    assert len(basin.interiors) == 1
    assert len(bm.waterways) == 1 and bm.waterways[0].coords[0] == NODES[11]
    assert bm.dropped_ranks == () and bm.vertices == 2 + 2 + 5 + 10 + 2


def test_the_extract_is_clipped_to_the_district_and_a_margin(extract):
    # a district covering only the western half: the primary road is cut 2 % of the width beyond it
    west = (121.50, 31.20, 121.51, 31.22)
    bm = basemap.read(extract, west, metric_crs=CRS)
    primary = bm.roads.loc[bm.roads["rank"] == 1, "geometry"].iloc[0]
    assert primary.bounds[2] == pytest.approx(121.51 + 0.0002, abs=1e-6)
    assert all(p.bounds[0] < 121.5102 for p in bm.water)  # the lake at 121.514 is outside


def test_minor_roads_go_first_when_over_the_vertex_budget(extract):
    # water and rivers (17 coordinates) and the primary road (2) fit in 20; the residential street does not
    bm = basemap.read(extract, BOUNDS, metric_crs=CRS, budget=20)
    assert sorted(bm.roads["rank"]) == [1] and bm.dropped_ranks == (4,)
    assert bm.vertices <= 20


def test_an_extract_outside_the_district_is_an_error_naming_it(extract, tmp_path):
    far = (116.30, 39.90, 116.40, 40.00)  # Beijing
    with pytest.raises(ValueError, match="city.osm: no roads or water"):
        basemap.read(extract, far, metric_crs=CRS)
    with pytest.raises(FileNotFoundError):
        basemap.read(tmp_path / "missing.osm", BOUNDS, metric_crs=CRS)
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1' lat='x'", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.osm"):
        basemap.read(bad, BOUNDS, metric_crs=CRS)


def test_layers_are_a_few_unpickable_objects_under_the_map(extract):
    bm = basemap.read(extract, BOUNDS, metric_crs=CRS)
    layers = basemap.layers(bm)
    spec = [json.loads(json.dumps(layer, default=lambda o: o.__dict__)) for layer in layers]
    assert [layer.id for layer in layers] == ["basemap_water", "basemap_lines"]
    assert all(layer.pickable is False for layer in layers)
    water, lines = layers[0].data["features"], layers[1].data["features"]
    assert len(water) == 1 and water[0]["geometry"]["type"] == "MultiPolygon"
    # one feature each: the river, then the residential rank, then the primary road on top
    assert [f["properties"]["width"] for f in lines] == [2.0, basemap.ROAD_WIDTH_PX[4], basemap.ROAD_WIDTH_PX[1]]
    assert spec


def test_the_map_draws_the_basemap_under_its_units(extract):
    """maps.choropleth(base=...): the basemap's layers first, the units' fill lighter so the roads show."""
    import pandas as pd

    bm = basemap.read(extract, BOUNDS, metric_crs=CRS)
    box = shapely.box(*BOUNDS)
    tips = ("cases_per_1000", "resolution_rate", "on_time_rate", "overdue", "satisfaction")
    stats = pd.DataFrame({"unit_id": ["T1"], "name_zh": ["甲街道"], "collected": [3], **{k: [1.0] for k in tips}})
    geoms = pd.DataFrame({"unit_id": ["T1"], "geom": [box.wkb]})
    plain, _ = maps.choropleth(stats, geoms, "collected")
    deck, _ = maps.choropleth(stats, geoms, "collected", base=basemap.layers(bm))
    ids = [layer.id for layer in deck.layers]
    assert ids[:2] == ["basemap_water", "basemap_lines"] and ids[2] == maps.LAYER_UNITS
    units = lambda d: next(layer for layer in d.layers if layer.id == maps.LAYER_UNITS)  # noqa: E731
    assert units(deck).data[0]["fill"][3] == maps.FILL_ALPHA_OVER_BASE < units(plain).data[0]["fill"][3]


def test_qinhuai_streets_become_its_basemap(tmp_path):
    """The qinhuai fixture's own extract (tests/districts.py: a 17 × 9 lattice of residential streets 500 m apart,
    UTM 50N): 9 east-west and 17 north-south streets, each a straight line of two coordinates once simplified."""
    from districts import qinhuai

    fx = qinhuai(tmp_path)
    towns = json.loads(fx.files["towns"].read_text(encoding="utf-8"))["features"]
    bounds = shapely.total_bounds([shapely.geometry.shape(f["geometry"]) for f in towns])  # its two streets' area
    bm = basemap.read(fx.files["network"], tuple(bounds), metric_crs=f"EPSG:{fx.epsg}")
    assert len(bm.roads) == 9 + 17 and set(bm.roads["rank"]) == {4}
    assert all(shapely.get_num_coordinates(g) == 2 for g in bm.roads["geometry"])
    assert not bm.water and not bm.waterways


# --- on the map page (AppTest): the demo with the literal extract above, and the fixture districts' own ---


def _deck_layers(at) -> dict[str, dict]:
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    return {layer["id"]: layer for layer in json.loads(decks[0].proto.json)["layers"]}


def test_the_map_page_draws_the_demos_basemap_and_toggles_it(app_env, extract, monkeypatch, navigation_mode):
    from conftest import app_test

    monkeypatch.setenv("GOVDASH_NETWORK_FILE", str(extract))
    at = app_test()
    at.run()
    at.switch_page("pages/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    layers = _deck_layers(at)
    assert list(layers)[:3] == ["basemap_water", "basemap_lines", maps.LAYER_UNITS]  # under the units
    lines = layers["basemap_lines"]["data"]["features"]
    # the river, the residential street, the primary road and the trunk road (inside the demo's bounds, 121.60 E)
    widths = [2.0, *(basemap.ROAD_WIDTH_PX[r] for r in (4, 1, 0))]
    assert [(f["geometry"]["type"], f["properties"]["width"]) for f in lines] == [
        ("MultiLineString", w) for w in widths
    ]
    assert any("GOVDASH_NETWORK_FILE" in c.value for c in at.caption)
    at.toggle(key="map_basemap").set_value(False).run()
    assert not at.exception
    assert not {"basemap_water", "basemap_lines"} & set(_deck_layers(at))


def test_without_a_network_file_there_is_no_basemap_toggle(app_env, monkeypatch, navigation_mode):
    from conftest import app_test

    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    at = app_test()
    at.run()
    at.switch_page("pages/map.py").run()
    assert not at.exception
    assert "map_basemap" not in [t.key for t in at.toggle]
    assert "basemap_lines" not in _deck_layers(at)


def test_an_extract_of_another_city_is_a_warning_not_an_error(app_env, tmp_path, monkeypatch, navigation_mode):
    from conftest import app_test

    far = {i: (lon - 5.2, lat + 8.7) for i, (lon, lat) in NODES.items()}  # the same extract in Beijing
    monkeypatch.setenv("GOVDASH_NETWORK_FILE", str(write_osm(tmp_path / "beijing.osm", far)))
    at = app_test()
    at.run()
    at.switch_page("pages/map.py").run()
    assert not at.exception
    assert any("beijing" in w.value and "无法读取底图" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "basemap_lines" not in _deck_layers(at)


def test_an_extract_is_read_once_and_kept_on_disk(extract, tmp_path, monkeypatch):
    """basemap.cached_read: the second call reads the kept file, not the extract; another district, a changed
    extract or a broken cache file is read again; the basemap is the same either way."""
    import os

    direct = basemap.read(extract, BOUNDS, metric_crs=CRS)
    calls = []
    real = basemap._read
    monkeypatch.setattr(basemap, "_read", lambda path: calls.append(path) or real(path))
    first = basemap.cached_read(extract, BOUNDS, metric_crs=CRS, folder=tmp_path)
    (kept,) = tmp_path.glob("*.json")
    again = basemap.cached_read(extract, BOUNDS, metric_crs=CRS, folder=tmp_path)
    assert len(calls) == 1
    for a in (first, again):
        assert list(a.roads["rank"]) == list(direct.roads["rank"]) and a.dropped_ranks == direct.dropped_ranks
        assert all(x.equals(y) for x, y in zip(a.roads["geometry"], direct.roads["geometry"], strict=True))
        assert [w.wkb for w in a.water] == [w.wkb for w in direct.water]
        assert [w.wkb for w in a.waterways] == [w.wkb for w in direct.waterways]
    basemap.cached_read(extract, (121.50, 31.20, 121.51, 31.22), metric_crs=CRS, folder=tmp_path)  # another district
    assert len(calls) == 2 and len(list(tmp_path.glob("*.json"))) == 2
    kept.write_text("{not json", encoding="utf-8")  # a broken cache file
    assert basemap.cached_read(extract, BOUNDS, metric_crs=CRS, folder=tmp_path).vertices == direct.vertices
    assert len(calls) == 3
    os.utime(extract, ns=(extract.stat().st_atime_ns, extract.stat().st_mtime_ns + 10**9))  # a new extract
    basemap.cached_read(extract, BOUNDS, metric_crs=CRS, folder=tmp_path)
    assert len(calls) == 4
