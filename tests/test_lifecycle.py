"""Case lifecycle: funnel and stage times, escalation-tier shares, open and overdue cases, timelines."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db

from govdash import catalogue, lifecycle, queries_trend


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("life") / "life.duckdb")
    yield database
    database.close()


def test_funnel_counts_and_stage_hours(db):
    fun = lifecycle.funnel_data(db, ALL).set_index("stage")
    # 8 reported; A06 never dispatched; A05 handled, not closed; A04 closed unresolved; A03, A09 not recognised
    assert fun["count"].tolist() == [8, 7, 7, 6, 3]
    assert fun["share"].tolist() == pytest.approx([1, 7 / 8, 7 / 8, 6 / 8, 3 / 8])
    assert fun.loc["dispatched", "median_hours"] == pytest.approx(1.0)
    # dispatched → handled: 21, 21, 23 (A05), 33, 45, 45, 549
    assert fun.loc["handled", "median_hours"] == pytest.approx(33.0)
    assert fun.loc["closed", "median_hours"] == pytest.approx(2.0)
    assert np.isnan(fun.loc["recognised", "median_hours"])  # recognition has no timestamp
    assert queries_trend.lifecycle_stages(db, ALL)["total_median"] == pytest.approx(42.0)


def test_funnel_without_cases():
    fun = lifecycle.funnel({"registered": 0})
    assert fun["count"].tolist() == [0] * 5 and fun["share"].isna().all()


def test_tier_shares_per_month(db):
    shares = lifecycle.tier_shares(queries_trend.period_indicators(db, ALL, "month", AS_OF, "tier"))
    assert shares[["community", "street", "district"]].iloc[0].tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    assert shares[["community", "street", "district"]].iloc[1].tolist() == pytest.approx([0, 2 / 3, 1 / 3])
    assert shares.iloc[2][["community", "street", "district"]].isna().all()  # March: nothing closed yet


@pytest.mark.parametrize(
    "at, open_ids, overdue_ids",
    [
        (AS_OF, ["A05", "A06"], ["A05"]),
        (datetime(2026, 3, 25, 10), ["A05"], []),  # A05's deadline exactly: not overdue yet
        (datetime(2026, 3, 25, 10, 0, 1), ["A05"], ["A05"]),
        (datetime(2026, 2, 11), ["A09"], []),  # a past instant: A07 closed on 10 Feb
        (datetime(2026, 1, 31), ["A07", "A03"], ["A07"]),  # oldest first
    ],
)
def test_open_and_overdue_at_an_instant(db, at, open_ids, overdue_ids):
    assert queries_trend.open_cases(db, ALL, at)["case_id"].tolist() == open_ids
    assert queries_trend.open_cases(db, ALL, at, overdue_only=True)["case_id"].tolist() == overdue_ids


def test_oldest_with_names_and_ages(db):
    df = lifecycle.oldest(db, ALL, AS_OF, lang="en")
    a05 = df.set_index("case_id").loc["A05"]
    assert a05["age_days"] == pytest.approx(11 + 2 / 24)  # 20 Mar 10:00 → 31 Mar 12:00
    assert a05["overdue_days"] == pytest.approx(6 + 2 / 24)
    assert (a05["town"], a05["department"], a05["stage"]) == ("甲街道", "Urban", "handling")
    assert df.set_index("case_id").loc["A06", "stage"] == "registered" and np.isnan(
        df.set_index("case_id").loc["A06", "overdue_days"]
    )
    table = lifecycle.open_table(df, "zh")
    assert "complainant" not in " ".join(table.columns) and len(table) == 2


def test_timeline_of_a_case(db):
    row = queries_trend.case_timeline(db, "A03").iloc[0]
    ev = lifecycle.timeline(row)
    assert ev["event"].tolist() == ["registered", "dispatched", "deadline", "handled", "closed"]
    assert ev["hours"].tolist() == pytest.approx([0, 1, 24, 46, 48])
    open_case = lifecycle.timeline(queries_trend.case_timeline(db, "A06").iloc[0], at=AS_OF)
    assert open_case["event"].tolist() == ["registered", "now", "deadline"]  # not due until 2 April
    assert open_case["time"].iloc[1] == pd.Timestamp(AS_OF)
    fields = lifecycle.case_fields(queries_trend.case_timeline(db, "A09").iloc[0], catalogue.read(db), "en")
    assert "<script>" in fields.iloc[-1, 1]  # raw text: Streamlit's table shows it as text, never as HTML
    assert "complainant_name" not in queries_trend.case_timeline(db, "A09").columns
