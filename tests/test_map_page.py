"""The grid map as a filter: drill-down rules (govdash.drill) and the page's state in AppTest."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import app_test

from govdash import drill
from govdash.filters import Filters

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

F = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), categories=("noise",))
NAMES = {"town": {"T1": "甲镇", "T2": "乙镇", "T3": "丙镇"}, "community": {"C1": "甲居委"}, "grid": {"G1": "甲1网格"}}
TOWN = "310115005"  # 陆家嘴街道 in the demo


# --------------------------------------------------------------------------- drill


def test_levels_follow_the_selection():
    assert drill.levels(F) == ("town", "community", "grid")
    assert drill.levels(F.with_(towns=("T1",))) == ("community", "grid")
    assert drill.levels(F.with_(towns=("T1",), communities=("C1",))) == ("grid",)
    assert drill.levels(F.with_(towns=("T1",), communities=("C1",), grids=("G1",))) == ("grid",)


def test_select_narrows_and_keeps_other_filters():
    town = drill.select(F, "town", "T1")
    assert (town.towns, town.communities, town.grids, town.categories) == (("T1",), (), (), ("noise",))
    com = drill.select(F, "community", "C1", town_id="T1")  # from the district-wide community level
    assert (com.towns, com.communities) == (("T1",), ("C1",))
    grid = drill.select(com, "grid", "G1", town_id="T1", parent_id="C1")
    assert (grid.towns, grid.communities, grid.grids) == (("T1",), ("C1",), ("G1",))
    assert drill.select(grid, "grid", "G1", town_id="T1", parent_id="C1").grids == ()  # clicking again clears
    assert drill.area(grid) == com  # the map keeps showing the grid's siblings
    with pytest.raises(ValueError):
        drill.select(F, "street", "T1")


def test_up_and_breadcrumb():
    grid = F.with_(towns=("T1",), communities=("C1",), grids=("G1",))
    assert drill.up(grid) == F.with_(towns=("T1",), communities=("C1",))
    assert drill.up(drill.up(drill.up(grid))) == F
    trail = drill.crumbs(grid, NAMES, "zh")
    assert [label for label, _ in trail] == ["全区", "甲镇", "甲居委", "甲1网格"]
    assert [back for _, back in trail] == [F, F.with_(towns=("T1",)), F.with_(towns=("T1",), communities=("C1",)), grid]
    many = drill.crumbs(F.with_(towns=("T1", "T2", "T3")), NAMES, "en")
    assert [label for label, _ in many] == ["District", "3 Street/town"]
    assert drill.crumbs(F.with_(towns=("T1", "T2")), NAMES)[1][0] == "甲镇、乙镇"


def test_ranking_worst_first_with_selection_marked():
    stats = pd.DataFrame(
        {
            "unit_id": ["G1", "G2", "G3", "G4", "G5"],
            "town_id": "T1",
            "parent_id": "C1",
            "name_zh": ["一", "二", "三", "四", "五"],
            "resolution_rate": [0.98, 0.90, np.nan, 0.95, 0.0],
            "collected": [50, 10, 0, 20, 1],
            "residents": [100, 200, 300, 400, 500],
        }
    )
    table = drill.ranking(stats, "resolution_rate", lang="zh", selected="G4")
    # lowest rate first; G5's 0 % rests on one case: after the ranked units, unnumbered; no data last
    assert table["unit_id"].tolist() == ["G2", "G4", "G1", "G5", "G3"]
    assert table["#"].tolist() == ["1", "▶ 2", "3", "—", "—"]
    assert table["解决率 (%)"].tolist() == ["90.0%", "95.0%", "98.0%", "0.0%", "—"]
    counts = drill.ranking(stats, "collected", lang="en")
    assert counts["unit_id"].tolist() == ["G1", "G4", "G2", "G5", "G3"]  # most cases first
    assert "Cases collected (cases)" in counts.columns and "Cases collected" not in counts.columns


# --------------------------------------------------------------------------- the page in AppTest


def _map_page(app_env):
    at = app_test()
    at.run()
    at.switch_page("pages/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _qp(at, key: str) -> list[str]:
    v = at.query_params.get(key, [])
    return [v] if isinstance(v, str) else list(v)


def _main_text(at) -> str:
    return "\n".join(str(e.value) for k in ("markdown", "caption") for e in at.get(k)) + "\n".join(
        e.proto.body for e in at.get("html")
    )


def test_selecting_a_town_shows_its_communities_and_filters_the_app(app_env):
    at = _map_page(app_env)
    assert at.session_state["map_level"] == "town"
    assert "**全区**" in _main_text(at) and "排名 · 街镇" in _main_text(at)
    f = at.session_state["filters"]
    # what a click on the map does (pages/map.py: go(drill.select(...))), then the rerun
    at.session_state["pending_filters"] = drill.select(f, "town", TOWN)
    at.session_state["map_level_next"] = "community"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["filters"].towns == (TOWN,)
    assert _qp(at, "town") == [TOWN]  # the URL carries the selection
    assert at.session_state["map_level"] == "community"
    text = _main_text(at)
    assert "**陆家嘴街道**" in text and "排名 · 居村" in text
    crumb = [b for b in at.button if b.label == "全区"]
    assert crumb, "the breadcrumb leads back to the district"
    with duckdb.connect(app_env, read_only=True) as con:
        n = con.execute("SELECT count(*) FROM units WHERE level = 'community' AND town_id = ?", [TOWN]).fetchone()[0]
    assert len(at.dataframe[0].value) == n  # the ranking lists the town's communities
    crumb[0].click().run()
    assert not at.exception
    assert at.session_state["filters"].towns == () and "town" not in at.query_params
    assert at.session_state["map_level"] == "town"


def test_grid_selection_is_marked_in_the_ranking(app_env):
    at = _map_page(app_env)
    with duckdb.connect(app_env, read_only=True) as con:
        grid, com = con.execute(
            "SELECT unit_id, community_id FROM units WHERE level = 'grid' AND town_id = ? ORDER BY unit_id LIMIT 1",
            [TOWN],
        ).fetchone()
    f = at.session_state["filters"]
    at.session_state["pending_filters"] = drill.select(f, "grid", grid, town_id=TOWN, parent_id=com)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["map_level"] == "grid"
    assert (_qp(at, "community"), _qp(at, "grid")) == ([com], [grid])
    ranking = at.dataframe[0].value
    assert ranking["#"].str.startswith("▶").sum() == 1
    assert len(at.get("html")) >= 1 and "linear-gradient" in _main_text(at)  # the legend


def test_median_hours_are_computed_when_chosen(app_env):
    """The map leaves the per-unit quantiles out until the indicator shown needs them."""
    at = _map_page(app_env)
    ranking = at.dataframe[0].value
    assert not any("小时" in c for c in ranking.columns)
    at.selectbox(key="map_indicator").set_value("median_hours").run()
    assert not at.exception, [e.value for e in at.exception]
    ranking = at.dataframe[0].value
    hours = ranking[[c for c in ranking.columns if "小时" in c][0]]
    assert hours.str.fullmatch(r"\d+(\.\d)?").all(), hours.tolist()  # a value for every town, no "—"
