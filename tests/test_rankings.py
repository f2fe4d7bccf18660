"""Rankings (红黑榜): the composite score on literal figures, movement, lists, and the database adapter."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db

from govdash import rankings, settings

TARGETS = {
    "resolution_rate": 0.99,
    "on_time_rate": 1.0,
    "dispute_rate": 0.95,
    "satisfaction": 80.0,
    "median_hours": 24.0,
}
WEIGHTS = {"resolution_rate": 2.0, "on_time_rate": 1.0, "dispute_rate": 1.0, "satisfaction": 1.0, "median_hours": 1.0}
STATS = pd.DataFrame(
    {
        "key": ["A", "B", "C"],
        "collected": [100, 100, 10],
        "resolution_rate": [0.99, 0.891, 1.0],
        "on_time_rate": [1.0, 0.9, 1.0],
        "dispute_rate": [0.95, np.nan, np.nan],  # B and C had no disputes
        "satisfaction": [88.0, 80.0, 90.0],
        "median_hours": [12.0, 48.0, 0.0],  # lower is better: target ÷ value; 0 h → the cap
    }
)


def test_composite_by_hand():
    out = rankings.composite(STATS, TARGETS, WEIGHTS, cap=1.2, min_cases=30).set_index("key")
    # A: 1, 1, 1, 88/80 = 1.1, 24/12 = 2 → capped 1.2; weights 2,1,1,1,1
    assert out.loc["A", "ratio_median_hours"] == pytest.approx(1.2)
    assert out.loc["A", "score"] == pytest.approx((2 * 1 + 1 + 1 + 1.1 + 1.2) / 6)
    # B: 0.9, 0.9, no dispute (dropped, weights renormalised), 1.0, 0.5
    assert np.isnan(out.loc["B", "ratio_dispute_rate"])
    assert out.loc["B", "score"] == pytest.approx((2 * 0.9 + 0.9 + 1.0 + 0.5) / 5)
    # C: scored but too few cases to be ranked
    assert out.loc["C", "score"] == pytest.approx((2 * 1 / 0.99 + 1 + 90 / 80 + 1.2) / 5)
    assert not out.loc["C", "eligible"] and np.isnan(out.loc["C", "rank"])
    assert (out.loc["A", "rank"], out.loc["B", "rank"]) == (1, 2)


def test_equal_scores_share_a_rank_and_missing_data_is_unranked():
    stats = pd.DataFrame({"key": ["X", "Y", "Z"], "collected": [50, 50, 50], "resolution_rate": [0.99, 0.99, np.nan]})
    out = rankings.composite(stats, {"resolution_rate": 0.99}, {"resolution_rate": 1.0}, min_cases=1)
    assert out["rank"].tolist()[:2] == [1, 1]
    assert np.isnan(out["score"].iloc[2]) and not out["eligible"].iloc[2]


def test_movement_and_lists():
    now = rankings.composite(STATS, TARGETS, WEIGHTS, min_cases=30)
    before = now.assign(rank=now["rank"].map({1: 2, 2: 1}))
    moved = rankings.with_movement(now, before).set_index("key")
    assert (moved.loc["A", "movement"], moved.loc["B", "movement"]) == (1, -1)  # A up one place
    assert np.isnan(moved.loc["C", "movement"])
    red, black = rankings.red_black(moved.reset_index(), 5)
    # two ranked units: one each, never on both lists
    assert red["key"].tolist() == ["A"] and black["key"].tolist() == ["B"]


def test_no_movement_from_or_to_a_period_where_every_unit_ties():
    # departments the case-mix check finds alike all share rank 1; the next window spreads them 1..4:
    # nobody moved 3 places, the ranking only started to discriminate
    keys = list("ABCD")
    tied = pd.DataFrame({"key": keys, "rank": [1.0, 1.0, 1.0, 1.0]})
    spread = pd.DataFrame({"key": keys, "rank": [1.0, 2.0, 3.0, 4.0]})
    for now, before in ((spread, tied), (tied, spread)):
        moved = rankings.with_movement(now, before)
        assert not moved["movement_known"].any()
        assert [
            rankings.movement_text(m, "zh", k) for m, k in zip(moved["movement"], moved["movement_known"], strict=True)
        ] == ["—"] * 4
    moved = rankings.with_movement(spread, spread.assign(rank=[2.0, 1.0, 3.0, 4.0]))
    assert moved["movement_known"].all() and moved["movement"].tolist() == [1.0, -1.0, 0.0, 0.0]
    assert rankings.movement_text(1.0, "zh", True) == "▲1"


def test_red_and_black_lists_on_many_units():
    stats = pd.DataFrame(
        {"key": list("ABCDEFG"), "collected": 100, "resolution_rate": [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93]}
    )
    out = rankings.composite(stats, {"resolution_rate": 0.99}, {"resolution_rate": 1.0})
    red, black = rankings.red_black(out, 2)
    assert red["key"].tolist() == ["A", "B"]
    assert black["key"].tolist() == ["G", "F"]  # worst first


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("rank") / "rank.duckdb")
    yield database
    database.close()


def test_ranking_of_towns_from_the_database(db):
    s = replace(settings.load(), ranking_min_cases=1, ranking_list_size=1, ranking_method="raw")
    out = rankings.ranking(db, ALL.with_(towns=("T1",)), "town", AS_OF, s).set_index("key")
    # every town is ranked although the filter selects T1; 丙镇 (T3) has no case and is unranked
    assert list(out.index) == ["T1", "T2", "T3"] and not out.loc["T3", "eligible"]
    t1 = [0.6 / 0.99, 0.75, (2 / 3) / 0.99, 0.5 / 0.95, (230 / 3) / 80, 24 / 42]
    t2 = [(2 / 3) / 0.99, 0.5, 0.5 / 0.99, 1 / 0.95, 1.2, 24 / 288]  # satisfaction 100/80 capped at 1.2
    w = [0.25, 0.25, 0.10, 0.10, 0.15, 0.15]
    assert out.loc["T1", "score"] == pytest.approx(np.dot(w, t1))
    assert out.loc["T2", "score"] == pytest.approx(np.dot(w, t2))
    assert (out.loc["T1", "rank"], out.loc["T2", "rank"]) == (1, 2)
    assert (out.loc["T1", "list"], out.loc["T2", "list"]) == ("red", "black")
    # the previous 90 days (3 Oct – 31 Dec) hold only A07 (T2): T2 ranked first then, T1 unranked
    assert out.loc["T2", "prev_rank"] == 1 and np.isnan(out.loc["T1", "prev_rank"])


def test_ranking_of_departments_and_click_filter(db):
    s = replace(settings.load(), ranking_min_cases=2)
    out = rankings.ranking(db, ALL, "department", AS_OF, s)
    assert set(out["key"]) == {"D01", "D02", "D03"}
    assert out.set_index("key").loc["D03", "collected"] == 1 and not out.set_index("key").loc["D03", "eligible"]
    f = ALL.with_(communities=("C1",))
    assert rankings.filter_to(f, "town", "T2") == ALL.with_(towns=("T2",))
    assert rankings.filter_to(ALL, "department", "D02").departments == ("D02",)
    view = rankings.display_table(out, "department", "zh", selected=("D02",))
    assert any(str(v).startswith("● ") for v in view.iloc[:, 2])
    with pytest.raises(ValueError):
        rankings.ranking(db, ALL, "grid", AS_OF, s)


def test_the_list_column_names_the_lists_as_the_method_does(db):
    """Under the banded (adjusted) method the lists are 红榜/黑榜, as the cards above the table say; by place
    (raw) they are 靠前/靠后 (排名前五位/后五位). Worked by hand: the column shows the units on a list, by its name."""
    s = replace(settings.load(), ranking_min_cases=2)
    out = rankings.ranking(db, ALL, "department", AS_OF, s).assign(list=["red", None, "black"])
    for method, red, black in (("adjusted", "红榜", "黑榜"), ("raw", "靠前", "靠后")):
        col = rankings.display_table(out, "department", "zh", method=method)["榜单"].tolist()
        assert col == [red, "", black], method
