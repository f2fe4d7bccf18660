"""Satisfaction survey spread between towns and governance index progress on literal tables."""

from __future__ import annotations

import pandas as pd
import pytest
from literal_cases import build_db

from govdash import queries_trend, survey


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("sv") / "sv.duckdb")
    yield database
    database.close()


def test_spread_between_towns(db):
    scores = queries_trend.survey_scores(db)
    assert survey.latest_quarter(scores, "2026-02-15") == "2026Q1"
    assert survey.latest_quarter(scores, "2025-12-31") == "2025Q4"
    assert survey.latest_quarter(scores, "2025-01-01") is None
    m = survey.matrix(scores, "2026Q1")
    assert list(m.index) == ["甲街道", "乙镇"] and list(m.columns) == ["convenience", "safety"]
    assert m.loc["乙镇", "safety"] == 68.0
    sp = survey.spread(scores).set_index(["quarter", "dimension"])
    conv = sp.loc[("2026Q1", "convenience")]
    assert (conv["min"], conv["median"], conv["max"], conv["range"]) == (72.0, 77.0, 82.0, 10.0)
    assert (conv["min_town"], conv["max_town"]) == ("乙镇", "甲街道")
    overall = sp.loc[("2025Q4", "overall")]  # town means 78 and 74
    assert (overall["min"], overall["max"], overall["range"]) == (74.0, 78.0, 4.0)
    table = survey.spread_table(sp.reset_index().query("quarter == '2026Q1'"), "en")
    assert table.iloc[0, 0] == "Overall"


def test_governance_progress(db):
    g = survey.governance_progress(queries_trend.governance_scores(db))
    assert g["subdomain"].tolist() == ["overall", "progress", "social_order"]
    assert g.set_index("subdomain").loc["overall", "change"] == pytest.approx(1.5)
    assert g.set_index("subdomain").loc["social_order", "change"] == pytest.approx(-1.0)
    assert pd.isna(g.set_index("subdomain").loc["progress", "previous"])
    assert survey.governance_progress(pd.DataFrame(columns=["year", "subdomain", "score"])).empty
