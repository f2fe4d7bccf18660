"""Your own district (issue 16): init, import units level by level, cases, stations, then every page, on two
districts that are not Pudong (tests/districts.py), with the answers known by construction."""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import pytest
from conftest import app_pages, app_test

from govdash import cli, district_record
from tests.districts import qinhuai, riverton

PLURAL = {"town": "towns", "community": "communities", "grid": "grids"}
# the README's "Your own district" mappings for these two exports
MAPPINGS = {
    "riverton": """
name = "Riverton 311"
timezone = "America/Los_Angeles"
time_format = "%m/%d/%Y %I:%M:%S %p"
[columns]
case_id = "Unique Key"
reported_at = "Created Date"
closed_at = "Closed Date"
status = "Status"
category = "Complaint Type"
[coords]
lon = "Longitude"
lat = "Latitude"
[values.status]
Open = "registered"
Closed = "resolved"
[checks]
warn = ["category_unknown", "coords_missing"]
""",
    "qinhuai": """
name = "秦淮 12345"
timezone = "Asia/Shanghai"
time_format = "%d/%m/%Y %H:%M"
[columns]
case_id = "工单编号"
reported_at = "来电时间"
closed_at = "办结时间"
category = "诉求分类"
status = "办理状态"
[coords]
lon = "经度"
lat = "纬度"
crs = "gcj02"
[values.status]
"已办结" = "resolved"
"办理中" = "handling"
[checks]
warn = ["category_unknown"]
""",
}
STATIONS = """
name = "服务站"
crs = "gcj02"
[columns]
station_id = "编码"
name_zh = "名称"
lon = "经度"
lat = "纬度"
"""
NAMES = {"riverton": ("里弗顿", "Riverton"), "qinhuai": ("秦淮区", "Qinhuai")}


def run(*argv) -> int:
    return cli.main([str(a) for a in argv])


def build(fx, folder, *, crs_env=None) -> str:
    """The README's commands, in-process: init, units per level (top first), cases, stations."""
    db = folder / f"{fx.name}.duckdb"
    zh, en = NAMES[fx.name]
    assert run("init", "--db", db, "--name", zh, "--name-en", en, "--timezone", fx.timezone) == 0
    for level in fx.levels:
        assert run("import", "units", fx.files[PLURAL[level]], "--db", db, "--level", level) == 0
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPINGS[fx.name], encoding="utf-8")
    assert run("import", "cases", fx.files["cases"], "--db", db, "--mapping", mapping) == 0
    stations = []
    if fx.name == "qinhuai":
        (folder / "stations.toml").write_text(STATIONS, encoding="utf-8")
        stations = ["--mapping", folder / "stations.toml"]
    assert run("import", "stations", fx.files["stations"], "--db", db, *stations) == 0
    if "population" in fx.files:  # census blocks (riverton); qinhuai's communities carry their residents
        assert run("import", "population", fx.files["population"], "--db", db) == 0
    return str(db)


@pytest.fixture(scope="module", params=["riverton", "qinhuai"])
def district(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    fx = {"riverton": riverton, "qinhuai": qinhuai}[request.param](folder / "files")
    return fx, build(fx, folder)


def _read(db: str, sql: str, params=()):
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def test_the_district_record_and_its_crs_from_the_data(district):
    fx, db = district
    con = duckdb.connect(db, read_only=True)
    try:
        d = district_record.read_con(con)
    finally:
        con.close()
    assert (d.name_zh, d.name_en) == NAMES[fx.name]
    assert d.timezone == fx.timezone and not d.synthetic
    assert d.metric_crs == f"EPSG:{fx.epsg}"  # the units' UTM zone, chosen on the first import


def test_unit_areas_within_one_percent_of_geodesic(district):
    fx, db = district
    got = _read(db, "SELECT level || ':' || unit_id AS key, area_km2 FROM units")
    areas = dict(zip(got["key"], got["area_km2"], strict=True))
    assert set(areas) == set(fx.area_km2)
    for key, geodesic in fx.area_km2.items():
        assert areas[key] == pytest.approx(geodesic, rel=0.01), key


def test_levels_present_and_keys_per_level(district):
    fx, db = district
    units = _read(db, "SELECT level, unit_id, parent_id, town_id, community_id, name_zh FROM units")
    assert tuple(lv for lv in ("town", "community", "grid") if lv in set(units["level"])) == fx.levels
    if fx.name == "qinhuai":  # community 1 and 2 repeat street ids 1 and 2: four units, none overwritten
        one = units[units["unit_id"] == "1"].set_index("level")
        assert one.loc["town", "name_zh"] == "秦淮街道" and one.loc["community", "name_zh"] == "秦淮东社区"
        assert one.loc["community", "parent_id"] == "1" and one.loc["community", "town_id"] == "1"
        grid = units[(units["level"] == "grid") & (units["unit_id"] == "3-01")].iloc[0]
        assert (grid["parent_id"], grid["community_id"], grid["town_id"]) == ("3", "3", "2")
        assert len(units[units["level"] == "town"]) == 2 and len(units[units["level"] == "community"]) == 4


def test_point_cases_land_in_the_lowest_level_present(district):
    fx, db = district
    got = _read(
        db,
        "SELECT town_id, count(*) AS n, count(community_id) AS c, count(grid_id) AS g FROM cases "
        "WHERE lon IS NOT NULL GROUP BY 1",
    )
    per_town = dict(zip(got["town_id"], got["n"], strict=True))
    # the located cases alternate between the two towns: none rejected as "outside the district"
    assert sum(per_town.values()) == fx.located_cases
    assert per_town == {t: fx.located_cases // 2 for t in fx.cases_by_town}
    assert (got["c"] == got["n"]).all()  # every point also in a community
    assert (got["g"] == (got["n"] if "grid" in fx.levels else 0)).all()


def test_population_lands_in_the_units_it_was_drawn_in(district):
    fx, db = district
    if "population" not in fx.files:
        pytest.skip("no population file")
    cells = _read(db, "SELECT community_id, sum(residents) AS n, min(size_m) AS s FROM cells GROUP BY 1")
    got = dict(zip(cells["community_id"], cells["n"], strict=True))
    want = {k.split(":", 1)[1]: v for k, v in fx.residents.items() if k.startswith("community:")}
    for cid, people in want.items():  # spread over 100 m cells of the district's own UTM zone
        assert got[cid] == pytest.approx(people, rel=0.02), cid


def test_walking_distances_in_metres(district):
    from scipy.sparse.csgraph import dijkstra

    from govdash import osm

    fx, db = district
    con = duckdb.connect(db, read_only=True)
    try:
        crs = district_record.metric_crs(district_record.read_con(con))
    finally:
        con.close()
    g = osm.read_osm(fx.files["network"], metric_crs=crs)
    lengths = g.lengths.tocoo().data
    assert lengths.size and np.allclose(lengths, fx.lattice_m, rtol=1e-3)  # 500 m streets are 500 m
    # corner to corner of the lattice: (cols - 1 + rows - 1) blocks
    cols, rows = (13, 9) if fx.name == "riverton" else (17, 9)
    xy = g.node_xy
    a, b = np.argmin(xy.sum(axis=1)), np.argmax(xy.sum(axis=1))
    dist = dijkstra(g.lengths, indices=a)[b]
    assert dist == pytest.approx((cols - 1 + rows - 1) * fx.lattice_m, rel=1e-3)


def _blob(node, out: list[bytes]) -> list[bytes]:
    proto = getattr(node, "proto", None)
    if proto is not None:
        out.append(proto.SerializeToString())
    for child in getattr(node, "children", {}).values():
        _blob(child, out)
    return out


def _every_page(monkeypatch, db: str, lang: str, network: str | None = None) -> dict[str, bytes]:
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    monkeypatch.setenv("GOVDASH_WALL_LANG", lang)
    if network:
        monkeypatch.setenv("GOVDASH_NETWORK_FILE", network)
    shown = {}
    for page in app_pages():
        at = app_test()
        for k, v in dict(page.query).items():
            at.query_params[k] = v
        at.run()
        if not at.exception and not page.default:
            at.switch_page(page.path).run()
        assert not at.exception, (page.url_path, [e.value for e in at.exception])
        shown[page.url_path] = b"".join(_blob(at._tree, []))
    return shown


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_on_the_district_with_nothing_of_pudong(district, lang, monkeypatch, navigation_mode):
    fx, db = district
    shown = _every_page(monkeypatch, db, lang, str(fx.files["network"]))
    name = NAMES[fx.name][0 if lang == "zh" else 1]
    for page, blob in shown.items():
        for word in ("浦东", "Pudong"):
            assert word.encode() not in blob, (page, word)
    assert name.encode() in shown["overview"] and name.encode() in shown["wall"]


def test_an_empty_district_says_how_to_import_on_every_page(tmp_path, monkeypatch, navigation_mode):
    db = tmp_path / "empty.duckdb"
    assert run("init", "--db", db, "--name", "新区", "--name-en", "Newtown", "--crs", "EPSG:32650") == 0
    shown = _every_page(monkeypatch, str(db), "en")
    for page, blob in shown.items():
        if page != "admin":
            assert b"has no data yet" in blob and b"import" in blob, page
        assert b"Pudong" not in blob
    con = duckdb.connect(str(db), read_only=True)
    try:
        d = district_record.read_con(con)
    finally:
        con.close()
    assert (d.name_zh, d.name_en, d.metric_crs, d.crs_auto) == ("新区", "Newtown", "EPSG:32650", False)


def test_init_refuses_what_it_cannot_use(tmp_path, capsys):
    db = tmp_path / "d.duckdb"
    assert run("init", "--db", db, "--name", "X", "--timezone", "Mars/Olympus") == 2
    assert run("init", "--db", db, "--name", "X", "--crs", "EPSG:4326") == 2  # degrees, not metres
    assert not db.exists()
    assert run("init", "--db", db, "--name", "X") == 0
    assert run("init", "--db", db, "--name", "Y") == 2  # never over an existing district
    err = capsys.readouterr().err
    assert "Mars/Olympus" in err and "not a projected CRS" in err and "already exists" in err


def test_a_crs_that_distorts_is_warned_about(tmp_path, monkeypatch):
    from govdash import ingest

    fx = riverton(tmp_path / "files")
    bounds = (-118.33, 34.04, -118.26, 34.08)
    assert district_record.distortion(f"EPSG:{fx.epsg}", bounds) < 0.001  # inside its own zone
    assert district_record.distortion("EPSG:32651", bounds) > 0.4  # the demo's zone: 46 % (areas 2.1x)
    monkeypatch.setenv("GOVDASH_METRIC_CRS", "EPSG:32651")  # an explicit override of the district's own
    db = tmp_path / "d.duckdb"
    assert run("init", "--db", db, "--name", "Riverton") == 0
    rep = ingest.run("units", db, fx.files["towns"], level="town")
    assert rep.status == "loaded"
    assert any("distorts" in n and "EPSG:32611" in n for n in rep.notes), rep.notes


def test_a_unit_that_is_its_own_parent_is_a_row_error(tmp_path):
    from govdash import ingest

    fx = riverton(tmp_path / "files")
    db = tmp_path / "d.duckdb"
    assert run("init", "--db", db, "--name", "Riverton") == 0
    feats = json.loads(fx.files["communities"].read_text())
    feats["features"][0]["properties"]["parent"] = feats["features"][0]["properties"]["code"]  # B1-S of B1-S
    bad = tmp_path / "self.geojson"
    bad.write_text(json.dumps(feats))
    assert ingest.run("units", db, fx.files["towns"], level="town").status == "loaded"
    rep = ingest.run("units", db, bad, level="community")
    assert rep.status == "rejected"
    assert list(rep.errors["rule"]) == ["parent_self"] and list(rep.errors["row"]) == [1]  # the first feature


# --- honest indicators on partial data (issue 16 item 8) ---


def test_no_deadlines_and_no_recognition_are_dashes_not_zeros(tmp_path, capsys):
    from literal_cases import ALL, AS_OF, CASES, build_db

    from govdash import queries, rankings, settings

    # the literal cases without deadlines and without recognition: a city export that has neither
    bare = [(*c[:6], None, c[7], c[8], None, c[10]) for c in CASES]
    db = build_db(tmp_path / "bare.duckdb", cases=bare)
    k = queries.kpis(db, ALL, AS_OF)
    assert math.isnan(k["on_time_rate"]) and math.isnan(k["recognition_rate"]) and math.isnan(k["overdue"])
    assert k["resolution_rate"] == pytest.approx(5 / 8)  # still known: A01-A03, A08, A09 of the 8 in 2026
    assert run("kpi", "--db", db.path, "--from", "2026-01-01", "--to", "2026-03-31", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["on_time_rate"] is None and out["recognition_rate"] is None and out["overdue"] is None
    # the ranking score drops them and re-weights the rest
    s = settings.load()
    stats = queries.unit_stats(db, ALL, "town", AS_OF)
    targets, weights = rankings.score_settings(s)
    scored = rankings.composite(stats.assign(dispute_rate=np.nan), targets, weights, cap=s.score_cap, min_cases=1)
    t1 = scored.set_index("unit_id").loc["T1"]
    assert math.isnan(t1["ratio_on_time_rate"]) and math.isnan(t1["ratio_recognition_rate"])
    parts = {
        "resolution_rate": t1["ratio_resolution_rate"],
        "satisfaction": t1["ratio_satisfaction"],
        "median_hours": t1["ratio_median_hours"],
    }
    expect = sum(weights[key] * v for key, v in parts.items()) / sum(weights[key] for key in parts)
    assert t1["score"] == pytest.approx(expect)


def test_partial_deadlines_count_only_cases_that_have_one(tmp_path):
    from literal_cases import ALL, AS_OF, CASES, build_db

    from govdash import queries

    # A01 (on time) and A03 (late) lose their deadlines: of the six other closed cases reported in 2026
    # with one (A02, A04, A08 on time; A09 late), 3 of 4 are on time, not 3 of 6
    part = [(*c[:6], None if c[0] in ("A01", "A03") else c[6], *c[7:]) for c in CASES]
    db = build_db(tmp_path / "part.duckdb", cases=part)
    k = queries.kpis(db, ALL, AS_OF)
    assert k["on_time_rate"] == pytest.approx(3 / 4)


def test_the_admin_page_warns_of_a_distorting_crs(district, monkeypatch, navigation_mode):
    fx, db = district
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", "en")
    admin = next(p for p in app_pages() if p.url_path == "admin")
    at = app_test()
    at.run()
    at.switch_page(admin.path).run()
    assert not at.exception
    assert not at.warning and any(f"EPSG:{fx.epsg}" in c.value for c in at.caption)
    monkeypatch.setenv("GOVDASH_METRIC_CRS", "EPSG:32651" if fx.name == "riverton" else "EPSG:32611")
    at = app_test()
    at.run()
    at.switch_page(admin.path).run()
    assert any("distorts this district's scale" in w.value for w in at.warning)


def test_map_levels_follow_the_levels_present():
    from literal_cases import ALL

    from govdash import drill
    from govdash.filters import Filters

    two = ("town", "community")
    assert drill.levels(ALL, two) == ("town", "community")
    assert drill.levels(ALL.with_(towns=("B1",)), two) == ("community",)
    assert drill.levels(ALL.with_(towns=("B1",), communities=("B1-S",)), two) == ("community",)  # deepest present
    assert drill.levels(ALL.with_(towns=("1",)), ("town",)) == ("town",)
    assert drill.levels(Filters(start=ALL.start, end=ALL.end)) == ("town", "community", "grid")


def test_judged_recognition_without_recognition_recorded_is_a_dash(tmp_path):
    from literal_cases import ALL, AS_OF, CASES, build_db

    from govdash import queries

    db = build_db(tmp_path / "norec.duckdb", cases=[(*c[:9], None, c[10]) for c in CASES])
    due = queries.due_totals(db, ALL, AS_OF)
    assert due["due_resolved"] > 0 and math.isnan(due["recognition_rate"])
    assert not math.isnan(due["on_time_rate"])  # deadlines are there: still judged


def _page(monkeypatch, db: str, url_path: str, query: dict):
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    page = next(p for p in app_pages() if p.url_path == url_path)
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_names_are_looked_up_per_level_where_ids_repeat(district, monkeypatch, navigation_mode):
    """qinhuai's community 1 is 秦淮东社区 wherever a community is meant, street 1 秦淮街道 where the street is."""
    from datetime import date

    from govdash import drill, queries, queries_map
    from govdash.db import Database
    from govdash.filters import Filters

    fx, db = district
    if fx.name != "qinhuai":
        pytest.skip("ids repeat across levels in qinhuai only")
    con = Database(db)
    try:
        names = queries.unit_names(con)
        paths = queries_map.unit_paths(con)
    finally:
        con.close()
    assert names["town"]["1"] == "秦淮街道" and names["community"]["1"] == "秦淮东社区"
    assert names["community"]["3"] == "夫子东社区" and names["grid"]["3-01"] == "第1网格"
    assert paths["community"]["1"] == "秦淮街道 · 秦淮东社区" and paths["town"]["2"] == "夫子庙街道"
    day = date(2026, 1, 1)
    f = Filters(start=day, end=day, towns=("1",), communities=("1",))
    assert [label for label, _ in drill.crumbs(f, names)] == ["全区", "秦淮街道", "秦淮东社区"]

    # the map page's breadcrumb, drilled down to street 1 › community 1
    at = _page(monkeypatch, db, "map", {"town": "1", "community": "1"})
    shown = [b.label for b in at.button] + [m.value for m in at.markdown]
    assert "秦淮街道" in shown and "**秦淮东社区**" in shown

    # the cases page: each case's street and community by its own level's name
    want = _read(
        db,
        "SELECT c.case_id, t.name_zh AS town, m.name_zh AS community FROM cases c "
        "JOIN units t ON t.level = 'town' AND t.unit_id = c.town_id "
        "JOIN units m ON m.level = 'community' AND m.unit_id = c.community_id",
    )
    span = _read(db, "SELECT min(reported_at)::DATE AS a, max(reported_at)::DATE AS b FROM cases").iloc[0]
    at = _page(monkeypatch, db, "cases", {"from": f"{span['a']:%Y-%m-%d}", "to": f"{span['b']:%Y-%m-%d}"})
    table = at.dataframe[0].value
    got = table.merge(want, left_on=table.columns[0], right_on="case_id", suffixes=("", "_want"))
    assert len(got) and len(got) == len(table)
    town, community = table.columns[2], table.columns[3]
    assert (got[town] == got["town_want"]).all() and (got[community] == got["community_want"]).all()
    assert "秦淮东社区" in set(got[community])


def test_heat_bins_are_square_metres_in_the_district(district, monkeypatch, navigation_mode):
    """A bin of N metres is N metres wide and tall (geodesic, pyproj.Geod) across the district, not at Pudong's
    latitude only; every located case lands in a bin; the heatmap page draws."""
    from pyproj import Geod

    from govdash import heatmap, queries, queries_map
    from govdash.db import Database
    from govdash.filters import Filters

    fx, db = district
    con = Database(db)
    try:
        frame = queries_map.bin_frame(con)
        west, south, east, north = queries.units_bounds(con)
        span = _read(db, "SELECT min(reported_at)::DATE AS a, max(reported_at)::DATE AS b FROM cases").iloc[0]
        bins = queries_map.heat_bins(con, Filters(start=span["a"], end=span["b"]), 100.0)
    finally:
        con.close()
    assert int(bins["count"].sum()) == fx.located_cases
    geod = Geod(ellps="WGS84")
    for cell in (100.0, 1000.0):
        (bx0, bx1), (by0, by1) = heatmap.bin_ix([west, east], [south, north], cell, frame=frame)
        for bx, by in ((bx0, by0), (bx1, by0), (bx0, by1), (bx1, by1), ((bx0 + bx1) // 2, (by0 + by1) // 2)):
            (lon0, lon1), (lat0, lat1) = heatmap.bin_corner([bx, bx + 1], [by, by + 1], cell, frame=frame)
            width = geod.inv(lon0, lat0, lon1, lat0)[2]
            height = geod.inv(lon0, lat0, lon0, lat1)[2]
            assert width == pytest.approx(cell, rel=0.01) and height == pytest.approx(cell, rel=0.01), (cell, bx, by)
    at = _page(monkeypatch, db, "heatmap", {"from": f"{span['a']:%Y-%m-%d}", "to": f"{span['b']:%Y-%m-%d}"})
    assert len(at.get("deck_gl_json_chart")) >= 1


def test_a_lower_level_imported_before_its_parents_is_linked_when_they_arrive(district, tmp_path):
    """qinhuai's communities, then its grids, then its streets: the communities wait with their parent ids
    (a parent_pending warning each, not an error) and end linked as when imported top-down; undoing the
    streets makes them wait again."""
    import pandas as pd

    from govdash import ingest

    fx, top_down = district
    if fx.name != "qinhuai":
        pytest.skip("three levels in qinhuai")
    db = tmp_path / "bottom_up.duckdb"
    assert run("init", "--db", db, "--name", "秦淮区", "--timezone", fx.timezone) == 0
    rep = ingest.run("units", db, fx.files["communities"], level="community")
    assert rep.status == "loaded" and rep.errors.empty
    assert sorted(rep.warnings.loc[rep.warnings["rule"] == "parent_pending", "row"]) == [1, 2, 3, 4]
    cols = "level, unit_id, parent_id, town_id, community_id"
    waiting = _read(str(db), f"SELECT {cols} FROM units ORDER BY ALL")
    assert waiting["parent_id"].tolist() == ["1", "1", "2", "2"] and waiting["town_id"].isna().all()
    assert ingest.run("units", db, fx.files["grids"], level="grid").status == "loaded"
    streets = ingest.run("units", db, fx.files["towns"], level="town")
    assert streets.status == "loaded" and streets.warnings.empty
    want = _read(top_down, f"SELECT {cols} FROM units ORDER BY ALL")
    got = _read(str(db), f"SELECT {cols} FROM units ORDER BY ALL")
    pd.testing.assert_frame_equal(got, want)
    assert ingest.undo(db, streets.import_id)["removed"] == 2
    again = _read(str(db), f"SELECT {cols} FROM units WHERE level <> 'town' ORDER BY ALL")
    assert again["town_id"].isna().all() and (again["parent_id"].notna()).all()


def test_the_map_page_draws_the_districts_streets_as_its_basemap(district, monkeypatch, navigation_mode):
    """Issue 19 item 6: the district's own OSM extract (a lattice of residential streets: riverton 13 × 9, qinhuai
    17 × 9 nodes) is drawn under the map as one feature of its east-west and north-south streets; no tile server."""
    fx, db = district
    monkeypatch.setenv("GOVDASH_NETWORK_FILE", str(fx.files["network"]))
    at = _page(monkeypatch, db, "map", {})
    deck = at.get("deck_gl_json_chart")[0].proto.json
    layers = {layer["id"]: layer for layer in json.loads(deck)["layers"]}
    (feature,) = layers["basemap_lines"]["data"]["features"]
    cols = {"riverton": 13, "qinhuai": 17}[fx.name]
    assert len(feature["geometry"]["coordinates"]) == 9 + cols
    assert "basemap_water" not in layers and "http" not in deck
