"""The coverage page in AppTest: figures equal govdash.service_circle on the same database, what-if, siting, map."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import app_test

from govdash import indicators, queries, queries_map
from govdash import service_circle as sc
from govdash.db import Database
from govdash.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

DECK_MAX_BYTES = 330_000  # the budget of the district's deck (issue 19: ≤ 300 kB a view); demo: 0.30 MB
# (the minutes surface 67 kB, ~1,300 click squares 105 kB, ~1,300 stations 130 kB)


@pytest.fixture
def page(app_env, monkeypatch):
    """The coverage page at the district scope, 15 minutes, straight-line mode."""
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "15")
    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    at = app_test()
    at.run()
    at.switch_page("pages/coverage.py").run()
    _ok(at)
    assert at.session_state["filters"].towns == ()
    return at


@pytest.fixture(scope="module")
def district(demo_db):
    """Cells, stations and towns of the demo database, read directly (not through the page)."""
    db = Database(demo_db)
    return queries_map.cells(db), queries_map.stations(db), queries.towns(db)


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metrics(at) -> dict[str, tuple[str, str]]:
    """share, covered, uncovered, stations: (value, delta) as shown ("" when there is no delta)."""
    shown = [(m.value, m.delta) for m in at.metric][:4]  # then the 居村 coverage (tests/test_stations_pages.py)
    assert len(shown) == 4, shown
    return dict(zip(("share", "covered", "uncovered", "stations"), shown, strict=True))


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _covered(at) -> int:
    return _number(_metrics(at)["covered"][0])


def _pct(share: float) -> str:
    return indicators.fmt(share, "coverage_share")  # as pages/coverage.py shows it


def _direct(district, threshold: float = 15, function: str | None = None, edits=()) -> dict:
    """District figures computed with govdash.service_circle, not the page."""
    cells, stations, _ = district
    return sc.district(sc.walk(cells, sc.apply_edits(stations, edits), function=function), threshold)


def _deck(at) -> tuple[str, dict]:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    text = charts[0].proto.json
    return text, json.loads(text)


def test_page_shows_the_district_share(page, district):
    shown, want = _metrics(page), _direct(district)
    assert "全区" in page.metric[0].label and "15" in page.metric[0].label
    assert shown["share"][0] == _pct(want["share"])
    assert shown["share"][1] == f"{(want['share'] - 1) * 100:+.1f} pp 距100%目标"
    assert (_number(shown["covered"][0]), _number(shown["uncovered"][0])) == (want["covered"], want["uncovered"])
    assert _number(shown["stations"][0]) == len(district[1])
    assert all(delta == "" for _, delta in list(shown.values())[1:])  # no what-if yet: no change shown
    assert page.session_state["cov_edits"] == []
    by_town = page.dataframe[0].value
    assert by_town["covered"].sum() == want["covered"] and by_town["residents"].sum() == want["residents"]


def test_one_town_counts_its_own_residents_and_stations(app_env, district, monkeypatch):
    """Issue 18: "计入服务站" stayed at the district's count under a one-town filter. Residents of the town walk
    to any station (across its border too); the stations counted are the town's own."""
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "15")
    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    town = "310115005"  # 陆家嘴街道, named in the link as the README does
    at = app_test()
    at.query_params["town"] = "陆家嘴街道"
    at.run()
    at.switch_page("pages/coverage.py").run()
    _ok(at)
    assert at.session_state["filters"].towns == (town,)
    cells, stations, _ = district
    want = sc.district(sc.in_area(sc.walk(cells, stations), (town,)), 15)
    shown = _metrics(at)
    assert _number(shown["stations"][0]) == int((stations["town_id"] == town).sum()) < len(stations)
    assert (_number(shown["covered"][0]), _number(shown["uncovered"][0])) == (want["covered"], want["uncovered"])


def test_one_community_opened_by_an_unrestricted_user_shows_its_own_share(app_env, district, monkeypatch):
    """Issue 18: a 居村 opened from the filter (no account limit) showed its town's coverage. Its figures are its
    own residents' (cells whose community is the 居村, picked here directly) and its own stations."""
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "15")
    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    cells, stations, _ = district
    town = "310115005"  # 陆家嘴街道
    timed = sc.walk(cells, stations)
    mine = timed[timed["town_id"] == town]
    # the 居村 of the town whose share differs most from the town's: a wrong area cannot pass by chance
    by_com = mine.groupby("community_id").apply(
        lambda g: g.loc[g["minutes"] <= 15, "residents"].sum() / g["residents"].sum(), include_groups=False
    )
    whole = mine.loc[mine["minutes"] <= 15, "residents"].sum() / mine["residents"].sum()
    com = (by_com - whole).abs().idxmax()
    at = app_test()
    at.query_params["town"] = town  # the filter bar picks a 居村 within its street/town
    at.query_params["community"] = com
    at.run()
    at.switch_page("pages/coverage.py").run()
    _ok(at)
    assert at.session_state["filters"].communities == (com,)
    own = timed[timed["community_id"] == com]
    covered = float(own.loc[own["minutes"] <= 15, "residents"].sum())
    shown = _metrics(at)
    assert (_number(shown["covered"][0]), _number(shown["uncovered"][0])) == (
        round(covered),
        round(float(own["residents"].sum()) - covered),
    )
    assert shown["share"][0] == _pct(by_com[com]) != _pct(whole)
    assert "所选居村" in at.metric[0].label
    assert _number(shown["stations"][0]) == int((stations["community_id"] == com).sum())
    # the 居村 coverage is the 居村's own (one 居村, with its station), not its town's 31
    units = {m.label: m.value for m in at.metric}
    assert units[t("cov_units_with_station", "zh")] == f"{int((stations['community_id'] == com).any())} / 1"
    # the outline drawn is the 居村's, and the table lists the 居村, not its town
    db = Database(app_env)
    try:
        name = queries.communities(db).set_index("unit_id").loc[com, "name_zh"]
    finally:
        db.close()
    assert at.dataframe[0].value["community"].tolist() == [name]


def test_five_minutes_lowers_the_share(page, district):
    fifteen = _covered(page)
    page.radio(key="cov_threshold").set_value(5).run()
    _ok(page)
    want = _direct(district, 5)
    assert "5分钟" in page.metric[0].label
    assert _metrics(page)["share"][0] == _pct(want["share"])
    assert _covered(page) == want["covered"] < fifteen
    assert want["share"] < _direct(district, 15)["share"]


def test_a_function_counts_fewer_stations_and_covers_fewer(page, district):
    every = _metrics(page)
    page.selectbox(key="cov_function").set_value("f_clinic").run()
    _ok(page)
    shown, want = _metrics(page), _direct(district, function="f_clinic")
    clinics = sc.counted(district[1], "f_clinic")
    assert _number(shown["stations"][0]) == clinics <= _number(every["stations"][0])
    assert shown["share"][0] == _pct(want["share"])
    assert _number(shown["covered"][0]) == want["covered"] <= _number(every["covered"][0])


def test_adding_a_station_in_the_largest_gap_and_undo(page, district):
    cells, stations, towns = district
    initial = _metrics(page)
    base = _covered(page)
    timed = sc.walk(cells, stations)
    gaps, rank = sc.gap_table(timed, 15, towns)
    # the add inputs default to the largest gap's best site: pressing add closes part of that gap
    lon_in, lat_in = page.number_input(key="cov_add_lon"), page.number_input(key="cov_add_lat")
    site = (round(gaps["lon"].iloc[0], 5), round(gaps["lat"].iloc[0], 5))
    assert (lon_in.value, lat_in.value) == site
    page.button(key="cov_add").click().run()
    _ok(page)
    edits = page.session_state["cov_edits"]
    assert edits == [{"op": "add", "lon": site[0], "lat": site[1]}]
    after = sc.walk(cells, sc.apply_edits(stations, edits))
    in_gap = rank == 1
    closed = float(timed["residents"][in_gap & (after["minutes"].to_numpy() <= 15)].sum())
    # not "+0", and at least nearly what a station on the gap's most populous cell would close
    cell = timed[in_gap].sort_values(["residents", "cell_id"], ascending=[False, True]).iloc[0]
    densest = sc.walk(
        cells, sc.apply_edits(stations, [{"op": "add", "lon": float(cell["lon"]), "lat": float(cell["lat"])}])
    )
    assert closed >= 0.9 * float(timed["residents"][in_gap & (densest["minutes"].to_numpy() <= 15)].sum()) > 0
    want = _direct(district, edits=edits)
    shown = _metrics(page)
    assert _covered(page) == want["covered"] >= base + cell["residents"] > base
    assert shown["covered"][1].startswith(f"+{want['covered'] - base:,.0f} ")
    assert shown["uncovered"][1].startswith(f"-{want['covered'] - base:,.0f} ")
    assert shown["stations"][1].startswith("+1 ")
    page.button(key="cov_undo").click().run()
    _ok(page)
    assert page.session_state["cov_edits"] == []
    assert _metrics(page) == initial  # the original figures, no change shown


def test_removing_a_station_never_raises_coverage(page, district):
    cells, stations, _ = district
    base = _covered(page)
    # picked by street/town, then station: every town with a station is offered
    assert len(page.selectbox(key="cov_station_town").options) == stations["town_id"].nunique()
    # a station some residents rely on (its removal lowers coverage), found directly
    load = sc.load(sc.walk(cells, stations), stations).sort_values(["residents", "station_id"], ascending=[False, True])
    gone = next(
        s for s in load["station_id"] if _direct(district, edits=[{"op": "remove", "station_id": s}])["covered"] < base
    )
    town = stations.set_index("station_id").loc[gone, "town_id"]
    page.selectbox(key="cov_station_town").set_value(town).run()
    in_town = stations[stations["town_id"] == town]
    assert page.selectbox(key="cov_station_id").options == in_town["name_zh"].tolist()
    page.selectbox(key="cov_station_id").set_value(gone).run()
    page.button(key="cov_remove").click().run()
    _ok(page)
    assert page.session_state["cov_edits"] == [{"op": "remove", "station_id": gone}]
    want = _direct(district, edits=[{"op": "remove", "station_id": gone}])
    shown = _metrics(page)
    assert _covered(page) == want["covered"] < base
    assert shown["covered"][1].startswith("-") and shown["uncovered"][1].startswith("+")
    assert shown["stations"][1].startswith("-1 ")
    # removing a second one (the first in the list) does not raise it either
    page.selectbox(key="cov_station_id").select_index(0).run()
    page.button(key="cov_remove").click().run()
    _ok(page)
    assert len(page.session_state["cov_edits"]) == 2
    assert _covered(page) == _direct(district, edits=page.session_state["cov_edits"])["covered"] <= want["covered"]


def test_siting_proposes_k_sites_and_adopting_them_adds_their_gains(page, district):
    cells, stations, towns = district
    base = _covered(page)
    assert not page.get("slider")  # the siting form only in its tab
    page.session_state["cov_tab"] = t("tab_siting", "zh")
    page.run()
    page.slider(key="cov_k").set_value(3).run()
    page.button(key="cov_propose").click().run()
    _ok(page)
    rows = page.session_state["cov_siting"]["rows"]
    gains = rows["gain"].to_numpy()
    assert len(rows) == 3 and (gains > 0).all() and (np.diff(gains) <= 0).all()
    want, method = sc.propose(sc.walk(cells, stations), 15, 3)
    pd.testing.assert_frame_equal(rows, want)
    assert page.session_state["cov_siting"]["method"] == method
    gained = float(gains.sum())
    assert any(f"(+{gained:,.0f})" in m.value for m in page.markdown)
    _no_expression_props(_deck(page)[1], expect={"proposals", "reach", "stations"})
    page.button(key="cov_adopt").click().run()
    _ok(page)
    added = next(layer for layer in _deck(page)[1]["layers"] if layer["id"] == "stations_added")
    assert len(added["data"]) == 3 and added["getRadius"] > 5  # the what-if stations, drawn larger
    edits = page.session_state["cov_edits"]
    assert [e["op"] for e in edits] == ["add"] * 3
    assert _covered(page) == base + gained == _direct(district, edits=edits)["covered"]
    assert _metrics(page)["covered"][1].startswith(f"+{gained:,.0f} ")
    assert _metrics(page)["stations"][1].startswith("+3 ")


def _no_expression_props(spec: dict, expect: set[str]) -> None:
    """Only accessors (get*) may be pydeck expressions ("@@=…"); units are plain deck.gl strings."""
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert expect <= set(layers), sorted(layers)
    for lid, layer in layers.items():
        for prop, value in layer.items():
            if isinstance(value, str) and value.startswith("@@="):
                assert prop.startswith("get"), (lid, prop, value)
            if prop.endswith("Units"):
                assert value in ("pixels", "meters", "common"), (lid, prop, value)
    assert layers["stations"]["radiusUnits"] == "pixels"


def test_the_check_catches_unquoted_units():
    """pydeck turns a bare string into an expression: radius_units="pixels" is sent as "@@=pixels"."""
    import pydeck as pdk

    bad = pdk.Layer(
        "ScatterplotLayer",
        data=[{"lon": 121.5, "lat": 31.2}],
        id="stations",
        get_position=["lon", "lat"],
        radius_units="pixels",
    )
    with pytest.raises(AssertionError, match="radiusUnits"):
        _no_expression_props(json.loads(pdk.Deck(layers=[bad]).to_json()), expect={"stations"})


def test_map_layers_have_no_accidental_expressions(page):
    _no_expression_props(_deck(page)[1], expect={"surface", "click", "gaps", "stations"})
    page.session_state["cov_tab"] = t("tab_gaps", "zh")
    page.run()
    _no_expression_props(_deck(page)[1], expect={"gaps", "gap_labels"})


def test_the_gaps_are_numbered_on_the_map_while_their_table_is_shown(page, district):
    """Issue 19: the page's first view rings the gaps without their numbers (a text layer is one more program in
    the map's first frame) and sends no gap table; the gaps tab shows the table and numbers each ring with its
    row's rank."""
    cells, stations, towns = district
    gaps, _ = sc.gap_table(sc.walk(cells, stations), 15, towns)

    def shown(at):
        layers = {layer["id"]: layer for layer in _deck(at)[1]["layers"]}
        tables = [df.value for df in at.dataframe if "max_minutes" in df.value.columns]
        return layers, tables

    layers, tables = shown(page)
    assert "gap_labels" not in layers and tables == []
    rings = layers["gaps"]["data"]
    assert [(r["lon"], r["lat"]) for r in rings] == list(zip(gaps["lon"], gaps["lat"], strict=True))
    assert [r["tip"].split(" · ")[0] for r in rings] == [f"缺口 {i}" for i in range(1, len(gaps) + 1)]
    page.session_state["cov_tab"] = t("tab_gaps", "zh")
    page.run()
    _ok(page)
    layers, (table,) = shown(page)
    labels = layers["gap_labels"]["data"]
    ranks = [str(i) for i in range(1, len(gaps) + 1)]
    assert [r["label"] for r in labels] == ranks == table["gap"].astype(str).tolist()
    assert [(r["lon"], r["lat"]) for r in labels] == [(r["lon"], r["lat"]) for r in rings]
    assert table["uncovered"].tolist() == gaps["residents"].tolist()


def test_district_map_is_one_image_and_a_few_thousand_squares(page, district):
    """Issue 19: the minutes surface is one PNG, not tens of thousands of cells; the objects a click can pick
    stay within what Streamlit's deck chart answers; the district's deck is small."""
    import base64
    import io

    from PIL import Image

    text, spec = _deck(page)
    assert len(text.encode("utf-8")) <= DECK_MAX_BYTES
    layers = {layer["id"]: layer for layer in spec["layers"]}
    surface = layers["surface"]
    assert surface["@@type"] == "BitmapLayer" and not surface.get("pickable")
    head, _, body = surface["image"].partition(",")
    assert head == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(body)))
    assert image.mode == "P" and max(image.size) <= 1_400
    west, south, east, north = surface["bounds"]
    cells = district[0]
    assert west <= cells["lon"].min() < cells["lon"].max() <= east
    assert south <= cells["lat"].min() < cells["lat"].max() <= north
    click = layers["click"]
    assert click["pickable"] and 0 < len(click["data"]) <= sc.CLICK_MAX_BLOCKS < len(cells)
    pickable = sum(len(layer.get("data") or []) for layer in spec["layers"] if layer.get("pickable"))
    assert pickable <= sc.CLICK_MAX_BLOCKS + len(district[1]) + 2 * sc.GAP_ROWS
    # stations by kind, a layer each with its own style: each row only a position and a tooltip
    centre = (district[1]["level"] == "centre").sum()
    assert len(layers["stations"]["data"]) == len(district[1]) - centre and "stations_added" not in layers
    assert len(layers["stations_centres"]["data"]) == centre > 0
    assert {k for layer in ("stations", "stations_centres") for row in layers[layer]["data"] for k in row} == {
        "lon",
        "lat",
        "tip",
    }


def test_picking_a_square_adds_a_station_at_its_centre(page, district):
    """The map's selection (as the browser sends it) adds a what-if station at the picked square's centre."""
    spec = _deck(page)[1]
    click = next(layer for layer in spec["layers"] if layer["id"] == "click")
    obj = click["data"][len(click["data"]) // 2]
    base = _covered(page)
    page.session_state["cov_map_0"] = {"selection": {"indices": {"click": [0]}, "objects": {"click": [obj]}}}
    page.run()
    _ok(page)
    (edit,) = page.session_state["cov_edits"]
    assert edit == {"op": "add", "lon": obj["lon"], "lat": obj["lat"]}  # the disc's centre, its square's
    assert _covered(page) == _direct(district, edits=[edit])["covered"] >= base
    page.run()  # the same selection again on a rerun adds nothing more
    assert len(page.session_state["cov_edits"]) == 1


def test_the_directory_counts_cases_only_when_its_tab_opens(page, district):
    def directory(at):
        return [df.value for df in at.dataframe if "cases_nearby" in df.value.columns]

    assert directory(page) == []
    page.session_state["cov_tab"] = t("tab_directory", "zh")
    page.run()
    _ok(page)
    (listing,) = directory(page)
    assert len(listing) == len(district[1]) and listing["cases_nearby"].sum() > 0


def test_the_doorstep_stations_and_the_centres_are_named_apart(page, district):
    """Issue 19 item 3: "计入服务站 1,321" was 1,285 doorstep stations and 36 street/town centres, said nowhere."""
    stations = district[1]
    doorstep, centres = int((stations["level"] == "doorstep").sum()), int((stations["level"] == "centre").sum())
    assert (doorstep, centres) == (1285, 36)  # the demo: one per 居村 and ten extras; one centre per 街镇
    assert _number(_metrics(page)["stations"][0]) == doorstep + centres
    captions = [c.value for c in page.caption]
    assert "家门口服务站 1,285 · 街镇服务中心 36" in captions


def test_the_siting_k_survives_a_visit_to_another_tab(page):
    """The siting form is drawn only in its tab, and a widget not drawn is forgotten: the page keeps k."""
    page.session_state["cov_tab"] = t("tab_siting", "zh")
    page.run()
    page.slider(key="cov_k").set_value(12).run()
    page.session_state["cov_tab"] = t("tab_load", "zh")
    page.run()
    assert not page.get("slider")
    page.session_state["cov_tab"] = t("tab_siting", "zh")
    page.run()
    _ok(page)
    assert page.slider(key="cov_k").value == 12
