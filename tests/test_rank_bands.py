"""Rank bands (issue 18 item 4): units whose case-mix adjusted scores cannot be told apart share one rank.

Worked by hand: four units of 500 cases in one category, A and B failing at the same true rate with
different luck (4 and 6 unresolved), D at 10, C clearly worse (20). District rate 40 ÷ 2,000 = 0.02, so
every unit expects E = 10: SR 0.4, 0.6, 2.0, 1.0, m = 1; X² = (36 + 16 + 100 + 0) ÷ 10 = 15.2 > 7.81
(chi-square, 3 df, 5 %): they differ. v = (0.36 + 0.16 + 1 + 0) ÷ 4 - 1 ÷ 10 = 0.28, β = α = 1 ÷ 0.28 = 25/7.
Posterior ratio (O + 25/7) ÷ (10 + 25/7) = (7 O + 25) ÷ 95: A 53/95, B 67/95, C 165/95, D 95/95; posterior
sd √(O + 25/7) ÷ (95/7) = √(7 (7 O + 25)) ÷ 95: A √371 ÷ 95, B √469 ÷ 95, C √1155 ÷ 95, D √665 ÷ 95.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from math import sqrt

import numpy as np
import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db

from govdash import casemix, queries, rankings, settings
from govdash.db import Database
from govdash.filters import Filters

BY_CAT = pd.DataFrame(
    {"key": list("ABCD"), "category": "x", "unresolved": [4, 6, 20, 10], "collected": [500, 500, 500, 500]}
)
RATIO = {"A": 53 / 95, "B": 67 / 95, "C": 165 / 95, "D": 1.0}
SD = {"A": sqrt(371) / 95, "B": sqrt(469) / 95, "C": sqrt(1155) / 95, "D": sqrt(665) / 95}


def test_posterior_ratios_and_deviations_by_hand():
    r, sd = casemix.posterior(np.array([4, 6, 20, 10]), np.array([10, 10, 10, 10]))
    assert r == pytest.approx([RATIO[k] for k in "ABCD"])
    assert sd == pytest.approx([SD[k] for k in "ABCD"])
    # units alike within chance tie with no spread: nothing to tell them apart by
    r, sd = casemix.posterior(np.array([19, 21]), np.array([20, 20]))
    assert r == pytest.approx([1.0, 1.0]) and sd.tolist() == [0.0, 0.0]


def test_adjusted_values_carry_their_deviation():
    out = casemix.adjust(BY_CAT).set_index("key")
    # resolution = 1 - 0.02 r, its sd 0.02 × the ratio's
    assert out["resolution_rate"].to_dict() == pytest.approx({k: 1 - 0.02 * RATIO[k] for k in "ABCD"})
    assert out["resolution_rate_sd"].to_dict() == pytest.approx({k: 0.02 * SD[k] for k in "ABCD"})


def _scored(by_cat: pd.DataFrame, target: float = 0.99) -> pd.DataFrame:
    adj = casemix.adjust(by_cat)
    stats = pd.DataFrame(
        {
            "key": adj["key"],
            "collected": by_cat.groupby("key")["collected"].sum().to_numpy(),
            "resolution_rate": adj["resolution_rate"],
            "sd_resolution_rate": adj["resolution_rate_sd"],
        }
    )
    return rankings.composite(stats, {"resolution_rate": target}, {"resolution_rate": 1.0}).set_index("key")


def test_identical_true_rates_share_a_band_and_a_worse_unit_is_below():
    out = _scored(BY_CAT)
    # one component: score = value ÷ 0.99, interval ± 1.39 × 0.02 sd ÷ 0.99
    for k in "ABCD":
        score, half = (1 - 0.02 * RATIO[k]) / 0.99, 1.39 * 0.02 * SD[k] / 0.99
        assert out.loc[k, ["score", "score_lo", "score_hi"]].tolist() == pytest.approx(
            [score, score - half, score + half]
        )
    # A 0.99883 [0.99314, 1.00452] leads band 1; B's top 1.00226 and D's 0.99752 reach 0.99314: band 1;
    # C's top 0.98506 does not: band 2
    assert out.loc["A", "score_lo"] == pytest.approx(0.99314, abs=1e-5)
    assert out.loc["D", "score_hi"] == pytest.approx(0.99752, abs=1e-5)
    assert out.loc["C", "score_hi"] == pytest.approx(0.98506, abs=1e-5)
    assert out["rank"].to_dict() == {"A": 1, "B": 1, "C": 2, "D": 1}
    # by places the same data read A 1, B 2, D 3, C 4: B and D "lost" places to luck alone
    assert out["score"].rank(ascending=False).to_dict() == {"A": 1, "B": 2, "C": 4, "D": 3}


def test_bands_follow_the_band_leader_not_the_neighbour():
    scored = pd.DataFrame(
        {
            "key": list("PQRS"),
            "eligible": True,
            "score": [1.0, 0.99, 0.97, 0.965],
            "score_lo": [0.98, 0.975, 0.96, 0.955],
            "score_hi": [1.02, 1.005, 0.979, 0.975],
        }
    )
    # R reaches Q's interval (0.979 ≥ 0.975) but not P's, the band's leader (0.979 < 0.98): R opens band 2
    assert rankings.bands(scored).tolist() == [1, 1, 2, 2]
    # a unit not eligible has no band; zero-wide intervals: equal scores share one, others each their own
    flat = pd.DataFrame({"key": list("XYZ"), "eligible": [True, True, False], "score": [0.9, 0.9, 0.8]})
    flat["score_lo"] = flat["score_hi"] = flat["score"]
    assert rankings.bands(flat).tolist()[:2] == [1, 1] and np.isnan(rankings.bands(flat).iloc[2])


def test_lists_take_whole_bands_only():
    ranked = pd.DataFrame(
        {"key": list("ABCDEFGH"), "eligible": True, "score": np.linspace(1.0, 0.9, 8), "rank": [1, 1, 2, 2, 2, 3, 4, 4]}
    )
    red, black = rankings.red_black(ranked, 2)
    assert red["key"].tolist() == ["A", "B"] and black["key"].tolist() == ["H", "G"]
    # at most 3: the red list still stops at band 1 (band 2 would make 5); the black list takes bands 4 and 3
    red, black = rankings.red_black(ranked, 3)
    assert red["key"].tolist() == ["A", "B"] and black["key"].tolist() == ["H", "G", "F"]
    # a first band of 3 with room for 2: no red list rather than two of three picked by chance
    red, black = rankings.red_black(ranked.assign(rank=[1, 1, 1, 2, 2, 2, 3, 3]), 2)
    assert red.empty and black["key"].tolist() == ["H", "G"]


def test_lists_against_the_district_name_only_units_apart_from_it():
    ranked = pd.DataFrame(
        {
            "key": list("ABCDEF"),
            "eligible": True,
            "rank": [1, 1, 1, 2, 2, 2],
            "score": [1.05, 1.04, 1.01, 0.99, 0.97, 0.94],
            "score_lo": [1.02, 1.035, 0.99, 0.98, 0.95, 0.93],
            "score_hi": [1.08, 1.045, 1.03, 1.0, 0.99, 0.95],
        }
    )
    # district 1.0: A and B lie wholly above (B the surer: its lower end is higher), E and F wholly below
    # (F the surer); C and D reach 1.0 and are on neither list
    red, black = rankings.red_black(ranked, 5, district=1.0)
    assert red["key"].tolist() == ["B", "A"] and black["key"].tolist() == ["F", "E"]
    assert [len(x) for x in rankings.red_black(ranked, 1, district=1.0)] == [1, 1]
    # every interval reaching the district: nobody is named
    assert all(x.empty for x in rankings.red_black(ranked.assign(score_lo=0.9, score_hi=1.1), 5, district=1.0))


def _dept_cases(unresolved: dict[str, int], n: int = 500) -> list[tuple]:
    """``n`` literal noise cases per department, closed after 24 h within a 72 h deadline, the first
    ``unresolved[d]`` of them not resolved."""
    rows = []
    for d, bad in unresolved.items():
        for i in range(n):
            rep = datetime(2026, 1, 2, 8) + timedelta(hours=i)
            ok = i >= bad
            rows.append(
                (
                    f"{d}-{i:03d}",
                    "T1",
                    "noise",
                    d,
                    "community",
                    rep,
                    rep + timedelta(hours=72),
                    rep + timedelta(hours=24),
                )
                + (ok, True if ok else None, 90.0)
            )
    return rows


def test_department_bands_from_the_database(tmp_path):
    # three departments, 500 cases each; D01 and D02 fail at the same true rate (4 and 6 by luck), D03 at 20
    db = build_db(tmp_path / "bands.duckdb", cases=_dept_cases({"D01": 4, "D02": 6, "D03": 20}))
    s = settings.load()
    try:
        out = rankings.ranking(db, ALL, "department", AS_OF, s).set_index("key")
        raw = rankings.ranking(db, ALL, "department", AS_OF, replace(s, ranking_method="raw")).set_index("key")
    finally:
        db.close()
    assert out["rank"].to_dict() == {"D01": 1, "D02": 1, "D03": 2}
    # the district: resolution 1 - 30/1500 = 0.98, all on time, recognised, 90 points, 24 h, no disputes:
    # (0.25 × 0.98/0.99 + 0.25 × 1 + 0.10 × 1/0.99 + 0.15 × 90/80 + 0.15 × 24/24) ÷ 0.90 = 1.01915
    whole = (0.25 * 0.98 / 0.99 + 0.25 + 0.10 / 0.99 + 0.15 * 90 / 80 + 0.15) / 0.90
    assert out["district_score"].tolist() == pytest.approx([whole] * 3) and whole == pytest.approx(1.01915, abs=1e-5)
    # D01 (4 of 500) lies wholly above the district, D03 (20) wholly below; D02 (6) reaches it: on neither list
    # (D02's score_lo 1.01913 < 1.01915: the three ratios: β = 1 ÷ (1.52/3 - 0.1), r = (O + β) ÷ (10 + β))
    assert out.loc["D01", "score_lo"] > whole > out.loc["D02", "score_lo"] and out.loc["D03", "score_hi"] < whole
    assert out["list"].to_dict() == {"D01": "red", "D02": "", "D03": "black"}
    # the other components tie (identical cases): only resolution spreads the scores
    assert out.loc["D03", "score_hi"] < out.loc["D01", "score_lo"]
    view = rankings.display_table(out.reset_index(), "department", "zh")
    assert view["档次"].tolist() == [1, 1, 2] and view["得分区间"].str.contains("–").all()
    assert raw["rank"].to_dict() == {"D01": 1, "D02": 2, "D03": 3}  # raw rates: each score its own place


def test_bands_on_the_qinhuai_fixture_district_by_hand(tmp_path):
    """A district that is not the demo (tests/districts.py): 街道 1 has 6 of its 12 cases still in handling
    (unresolved), 街道 2 none; each has 4 cases in each of 3 categories, 2 of town 1's 4 open in each; every
    closed case took 20 h; no deadlines, ratings or recognition.

    Category rates 2/8 = 0.25, so E = 3 for each town; O = 6, 0: m = 1, v = (3 + 3) ÷ 6 - 1 ÷ 3 = 2/3,
    β = α = 1.5 (X² = 3 + 3 = 6 > 3.84). Ratios 7.5/4.5 and 1.5/4.5; resolution 1 - 0.25 r = 0.58333, 0.91667,
    sd 0.25 √7.5 ÷ 4.5, 0.25 √1.5 ÷ 4.5. Score over resolution (0.25, ÷ 0.99) and hours (0.15, 24/20 capped at
    1.2), weights renormalised over 0.40; the district's: resolution 0.75."""
    from districts import qinhuai
    from test_own_district import build

    fx = qinhuai(tmp_path / "files")
    db_ = Database(build(fx, tmp_path))
    try:
        at = queries.as_of(db_)
        f = Filters(start=date(2000, 1, 1), end=at.date())
        out = rankings.ranking(db_, f, "town", at, replace(settings.load(), ranking_min_cases=1)).set_index("key")
    finally:
        db_.close()

    def score(resolution: float) -> float:
        return (0.25 * resolution / 0.99 + 0.15 * 1.2) / 0.40

    half = {k: 1.39 * 0.25 * (0.25 * sqrt(o) / 4.5) / 0.99 / 0.40 for k, o in (("1", 7.5), ("2", 1.5))}
    assert out.loc["1", "score"] == pytest.approx(score(1 - 0.25 * 7.5 / 4.5))
    assert out.loc["2", "score"] == pytest.approx(score(1 - 0.25 * 1.5 / 4.5))
    for k in ("1", "2"):
        lo, hi = out.loc[k, "score"] - half[k], out.loc[k, "score"] + half[k]
        assert out.loc[k, ["score_lo", "score_hi"]].tolist() == pytest.approx([lo, hi])
    # 0.9518 (town 1's top) < 0.9690 (town 2's bottom): two bands; the district 0.9235 lies below town 2's
    # interval (red) and inside town 1's (not black: 6 open cases of 12 cannot prove it worse than 0.25)
    assert out["district_score"].iloc[0] == pytest.approx(score(0.75))
    assert out["rank"].to_dict() == {"2": 1, "1": 2}
    assert out["list"].to_dict() == {"2": "red", "1": ""}


def test_the_bar_chart_draws_each_interval_and_the_district():
    from govdash import charts

    ranked = pd.DataFrame(
        {
            "key": list("AB"),
            "label": ["甲", "乙"],
            "eligible": True,
            "rank": [1, 2],
            "score": [1.02, 0.97],
            "score_lo": [1.0, 0.95],
            "score_hi": [1.05, 0.98],
            "list": ["red", "black"],
            "district_score": 0.99,
        }
    )
    fig = charts.ranking_bars(ranked, "label")
    err = fig.data[0].error_x
    assert list(err.array) == pytest.approx([0.03, 0.01]) and list(err.arrayminus) == pytest.approx([0.02, 0.02])
    assert [s.x0 for s in fig.layout.shapes] == pytest.approx([1.0, 0.99])  # target 1.000, the district dotted
    assert fig.layout.xaxis.range[0] == pytest.approx(0.93)  # the lowest whisker in view
    # each score written right of its whisker's end, not under it
    assert list(fig.data[1].x) == [1.05, 0.98] and [x.strip() for x in fig.data[1].text] == ["1.020", "0.970"]
