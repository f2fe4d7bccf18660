"""Case-mix adjustment (issue 18 item 4): indirect standardisation and empirical-Bayes shrinkage worked by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db
from scipy.stats import chi2

from govdash import casemix, rankings, settings

# two units, two categories: x fails at 10 of 50 (0.2), y at 4 of 40 (0.1) over the district
BY_CAT = pd.DataFrame(
    {
        "key": ["A", "A", "B", "B"],
        "category": ["x", "y", "x", "y"],
        "unresolved": [2, 3, 8, 1],
        "collected": [10, 30, 40, 10],
    }
)


def test_indirect_standardisation_by_hand():
    out = casemix.standardise(BY_CAT, "unresolved", "collected").set_index("key")
    # A expects 10 × 0.2 + 30 × 0.1 = 5 and has 5; B expects 40 × 0.2 + 10 × 0.1 = 9 and has 9
    assert out.loc["A", ["observed", "expected", "exposure"]].tolist() == pytest.approx([5, 5, 40])
    assert out.loc["B", ["observed", "expected", "exposure"]].tolist() == pytest.approx([9, 9, 50])
    assert out["ratio"].tolist() == pytest.approx([1.0, 1.0])  # raw rates 0.125 and 0.18: all case mix


def test_shrinkage_by_hand():
    # m = 40 ÷ 40 = 1; SR 0.5 and 1.5; v = (20 × 0.25 + 20 × 0.25) ÷ 40 - 1 ÷ 20 = 0.2; β = 5 = α
    assert casemix.shrink(np.array([10, 30]), np.array([20, 20])) == pytest.approx([15 / 25, 35 / 25])
    # X² = 100 ÷ 20 + 100 ÷ 20 = 10 against the 95 % quantile of chi-square with 1 df (3.84)
    assert casemix.differ(np.array([10, 30]), np.array([20, 20])) and chi2.ppf(0.95, 1) < 10
    # within chance (X² = 0.05 + 0.05 = 0.1): the units tie at m
    assert casemix.shrink(np.array([19, 21]), np.array([20, 20])) == pytest.approx([1.0, 1.0])
    # a unit expecting nothing takes m
    assert casemix.shrink(np.array([10, 30, 0]), np.array([20, 20, 0])) == pytest.approx([0.6, 1.4, 1.0])


def test_adjusted_rates_by_hand():
    by_cat = BY_CAT.assign(late=0, closed_due=0)
    out = casemix.adjust(by_cat).set_index("key")
    # district failure rate 14 ÷ 90; both standardised ratios 1 (they tie): both adjusted to 1 - 14/90
    assert out["resolution_rate"].tolist() == pytest.approx([1 - 14 / 90] * 2)
    assert out["on_time_rate"].isna().all()  # nothing due anywhere
    # hours as means: A's 2 cases took 10 h each, B's 2 took 30 h (one category): B ÷ A far beyond chance
    hours = pd.DataFrame(
        {"key": ["A", "B"], "category": ["x", "x"], "hours": [20.0, 60.0], "closed": [2, 2], "hours_sq": [200, 1800]}
    )
    adj = casemix.adjust(hours, levels={"median_hours": 18.0}).set_index("key")
    # mean 20 h, variance 500 - 400 = 100: unit 5 h; O = 4, 12; E = 8, 8; X² = 2 + 2 = 4 > 3.84
    # m = 1, v = (8 × 0.25 + 8 × 0.25) ÷ 16 - 1 ÷ 8 = 0.125, β = 8: A (4 + 8) ÷ 16, B (12 + 8) ÷ 16
    assert adj["median_hours_ratio"].tolist() == pytest.approx([0.75, 1.25])
    assert adj["median_hours"].tolist() == pytest.approx([13.5, 22.5])


def test_the_adjusted_ranking_scores_adjusted_values_and_shows_raw_ones(tmp_path):
    db = build_db(tmp_path / "lit.duckdb")
    s = replace(settings.load(), ranking_min_cases=1, ranking_list_size=1)
    raw = rankings.ranking(db, ALL, "town", AS_OF, replace(s, ranking_method="raw")).set_index("key")
    adj = rankings.ranking(db, ALL, "town", AS_OF, s).set_index("key")
    assert adj["resolution_rate"].tolist() == pytest.approx(raw["resolution_rate"].tolist(), nan_ok=True)
    assert "adjusted_resolution_rate" in adj
    # eight cases cannot tell T1 and T2 apart on any rate: they tie, and neither is on a list
    assert adj.loc["T1", "score"] == pytest.approx(adj.loc["T2", "score"])
    assert adj.loc["T1", "rank"] == adj.loc["T2", "rank"] == 1
    assert set(adj["list"]) == {""}
