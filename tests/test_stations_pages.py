"""Stations at work and the property red/black list on the coverage and rankings pages (issue 18 items 3, 4):
on the demo, on a fixture district without these tables, and on one that imported them."""

from __future__ import annotations

import json
import re

import pytest
from conftest import app_test
from test_own_district import build

from govdash import ingest
from govdash.i18n import t
from tests.districts import riverton

pytestmark = pytest.mark.usefixtures("navigation_mode")


def _open(page: str, query: dict | None = None):
    at = app_test()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _tab(at, key: str, lang: str = "zh"):
    at.session_state["cov_tab"] = t(key, lang)
    at.run()
    _ok(at)
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_coverage_on_the_demo_reports_both_coverages_and_stations_at_work(app_env):
    at = _open("pages/coverage.py")
    shown = _metrics(at)
    assert shown[t("cov_community_share", "zh")] == "100.0%"  # every demo 居村 has its doorstep station
    _tab(at, "tab_operations")
    shown = _metrics(at)
    assert int(shown[t("ops_services", "zh")].replace(",", "")) > 1000
    below, stations = shown[t("ops_below", "zh")].replace(",", "").split(" / ")
    assert 0 < int(below) < int(stations) == 1321
    busiest = next(df.value for df in at.dataframe if "tier" in df.value.columns and "services" in df.value.columns)
    assert len(busiest) == 10 and busiest["services"].is_monotonic_decreasing
    assert not any("（1）" in n for n in busiest["name"])  # real item names
    _tab(at, "tab_directory")
    listing = next(df.value for df in at.dataframe if "cases_nearby" in df.value.columns)
    assert {"services", "use_ratio", "hours", "meetings"} <= set(listing.columns) and listing["services"].sum() > 0


def test_rankings_on_the_demo_have_the_property_list_and_say_the_method(app_env):
    at = _open("pages/rankings.py")
    captions = " ".join(c.value for c in at.caption)
    assert t("casemix_method", "zh") in captions
    # the method (bands of ±1.39 sd, the district's score the lists compare with) and the fewest cases
    assert "名次按档" in captions and "±1.39 个标准差" in captions and "受理少于 30 件不排名" in captions
    assert re.search(r"全区水平（1\.\d{3}）", captions)
    at.session_state["rank_level"] = "property"
    at.run()
    _ok(at)
    heads = " ".join(s.value for s in at.subheader)
    assert t("prop_red", "zh") in heads and t("prop_black", "zh") in heads
    table = at.dataframe[0].value
    assert len(table) == 24 and table[t("prop_households", "zh")].min() > 0
    assert "每千户投诉" in " ".join(c.value for c in at.caption)


@pytest.fixture(scope="module")
def plain_riverton(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riverton_ops")
    fx = riverton(folder / "files")
    return fx, build(fx, folder), folder


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_district_without_these_tables_says_what_to_import(plain_riverton, monkeypatch, lang):
    _, db, _ = plain_riverton
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    at = _tab(_open("pages/coverage.py", {"from": "2026-03-01", "to": "2026-03-31"}), "tab_operations", lang)
    assert t("ops_none", lang) in [i.value for i in at.info]
    assert _metrics(at)[t("cov_community_share", lang)] == "50.0%"  # S1 in B1-S, S2 in B2-N: 2 of 4
    at = _open("pages/rankings.py", {"from": "2026-03-01", "to": "2026-03-31"})
    at.session_state["rank_level"] = "property"
    at.run()
    _ok(at)
    assert t("prop_none", lang) in [i.value for i in at.info]


def test_a_fixture_districts_gaps_and_siting_open_with_their_tabs(plain_riverton, monkeypatch):
    """Issue 19: the gaps' table and their numbers on the map, and the siting form, only in their own tabs."""
    from govdash import queries, queries_map
    from govdash import service_circle as sc
    from govdash.db import Database

    fx, db, _ = plain_riverton
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", "en")
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "15")
    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    d = Database(db)
    crs = f"EPSG:{fx.epsg}"  # the district's own UTM zone, chosen at import
    cells, stations = queries_map.cells(d), queries_map.stations(d)
    gaps, _ = sc.gap_table(sc.walk(cells, stations, metric_crs=crs), 15, queries.towns(d), metric_crs=crs)
    assert len(gaps)  # riverton's far blocks are beyond a 15-minute walk

    def labels(at):
        (chart,) = at.get("deck_gl_json_chart")
        return [layer for layer in json.loads(chart.proto.json)["layers"] if layer["id"] == "gap_labels"]

    at = _open("pages/coverage.py")
    assert labels(at) == [] and not at.get("slider")
    at = _tab(at, "tab_gaps", "en")
    (table,) = [df.value for df in at.dataframe if "max_minutes" in df.value.columns]
    assert table["uncovered"].tolist() == gaps["residents"].tolist()
    assert [r["label"] for r in labels(at)[0]["data"]] == [str(i) for i in range(1, len(gaps) + 1)]
    at = _tab(at, "tab_siting", "en")
    assert at.slider(key="cov_k").value == 5 and labels(at) == []


def test_imports_through_the_one_door_then_the_pages_show_them(tmp_path, monkeypatch):
    """Companies, estates (a bad row rejects the file, nothing written), services and meetings, then the pages."""
    fx = riverton(tmp_path / "files")
    db = build(fx, tmp_path)
    files = {
        "property_companies": "company_id,name\nP1,Acme Property\nP2,Best Homes\n",
        "estates": "estate_id,name,community_id,households,lon,lat,company\n"
        "E1,Oak Court,B1-S,800,,,P1\nE2,Elm Park,B2-N,600,,,P2\nE3,Pine Row,B2-N,300,,,P9\n",
        "station_services": "station,item,tier,at,count\n"
        "S1,Legal advice,基本民生,2026-03-02 18:30,3\nS1,Legal advice,basic,2026-03-03 10:00,2\n"
        "S2,Library,quality,2026-03-07 10:00,5\n",
        "station_meetings": "type,station_id,date,topic,attendance\n听证会,S1,2026-03-10,Parking,20\n",
    }
    paths = {}
    for kind, text in files.items():
        paths[kind] = tmp_path / f"{kind}.csv"
        paths[kind].write_text(text, encoding="utf-8")
    assert ingest.run("property_companies", db, paths["property_companies"]).inserted == 2
    rep = ingest.run("estates", db, paths["estates"])
    assert rep.status == "rejected" and rep.inserted == 0
    assert rep.errors[["row", "field", "rule"]].values.tolist() == [[4, "company", "reference_unknown"]]
    paths["estates"].write_text(files["estates"].replace("P9", "P2"), encoding="utf-8")
    assert ingest.run("estates", db, paths["estates"]).inserted == 3
    services = ingest.run("station_services", db, paths["station_services"])
    assert services.inserted == 3 and ingest.run("station_meetings", db, paths["station_meetings"]).inserted == 1

    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", "en")
    month = {"from": "2026-03-01", "to": "2026-03-31"}
    at = _tab(_open("pages/coverage.py", month), "tab_operations", "en")
    shown = _metrics(at)
    assert shown[t("ops_services", "en")] == "3" and shown[t("ops_served_residents", "en")] == "10"
    busiest = next(df.value for df in at.dataframe if "tier" in df.value.columns and "services" in df.value.columns)
    assert busiest[["name", "services"]].values.tolist() == [["Legal advice", 2], ["Library", 1]]
    at = _open("pages/rankings.py", month)
    at.session_state["rank_level"] = "property"
    at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert sorted(table[t("prop_company", "en")]) == ["Acme Property", "Best Homes"]
    assert sorted(table[t("prop_households", "en")]) == [800, 900]
    assert ingest.undo(db, services.import_id) == {"removed": 3, "restored": 0}
