"""queries_trend.due_by_period: every period's cases due in one grouped statement, equal to queries.due_totals of
each period's own filter (the per-period statements it replaced), on the literal cases worked by hand and on the
qinhuai fixture district.

By hand (tests/literal_cases.py + A10, A11 and B01 below, as of 31 Mar 12:00), months of 2026:
  Jan: A01 A02 A03 due; on time A01 A02; resolved all 3; recognised A01 A02 of 3 known; dispute A02 resolved
  Feb: A04 A08 A09 due; on time A04 A08; resolved A08 A09; recognised A08 of 2 known; disputes A04 (no) A08 (yes)
  Mar: A05 (open, overdue) and A10 (closed 2 Mar before its 3 Mar deadline) due; on time, resolved, recognised A10
  A06 (deadline 2 Apr) and A11 (5 Apr) are not due by the cutoff; A07 (Dec 2025) is before the window.
  B01 is reported 20 Feb with a deadline of 10 Jan (a typo'd deadline before the report): judged in January, but
  not yet reported by January's end, so January's own filter does not count it, nor does the grouped statement.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, CASES, build_db
from test_due_indicators import A10, A11

from govdash import indicators, queries, queries_trend
from govdash.filters import Filters

B01 = ("B01", "T1", "noise", "D01", "community", datetime(2026, 2, 20, 9), datetime(2026, 1, 10, 9))
B01 += (datetime(2026, 2, 21, 9), True, True, 70.0)
COUNTS = ["due", "due_on_time", "due_resolved", "due_recognised", "due_recognition_known"]
COUNTS += ["due_disputes", "due_disputes_resolved"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("dueby") / "dueby.duckdb", cases=[*CASES, A10, A11, B01])
    yield database
    database.close()


def per_period(db, f: Filters, period: str, at: datetime) -> dict:
    """The statements the grouped one replaced: ``due_totals`` once per period, each cut to ``f``'s dates."""
    out = {}
    start = pd.Timestamp(f.start)
    first = {
        "day": start,
        "week": start - pd.Timedelta(days=start.day_of_week),
        "month": start.replace(day=1),
        "quarter": start.replace(day=1, month=3 * ((start.month - 1) // 3) + 1),
    }[period]
    p = first
    while p.date() <= f.end:
        end = (p + indicators.STEPS[period] - pd.Timedelta(days=1)).date()
        g = f.with_(start=max(p.date(), f.start), end=min(end, f.end))
        if queries.cutoff(g, at) > datetime.combine(g.start, datetime.min.time()):
            out[p] = queries.due_totals(db, g, at)
        p = p + indicators.STEPS[period]
    return out


def test_months_worked_by_hand(db):
    got = queries_trend.due_by_period(db, ALL, "month", AS_OF).set_index("period")
    jan, feb, mar = (pd.Timestamp(2026, m, 1) for m in (1, 2, 3))
    assert got.index.tolist() == [jan, feb, mar]
    assert got.loc[jan, COUNTS].tolist() == [3, 2, 3, 2, 3, 1, 1]
    assert got.loc[feb, COUNTS].tolist() == [3, 2, 2, 1, 2, 2, 1]
    assert got.loc[mar, COUNTS].tolist() == [2, 1, 1, 1, 1, 0, 0]
    assert got.loc[mar, "resolution_rate"] == 0.5
    assert math.isnan(got.loc[mar, "dispute_rate"])  # no dispute due: "—"


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter"])
@pytest.mark.parametrize(
    "f, at",
    [
        (ALL, AS_OF),
        (Filters(start=date(2026, 1, 7), end=date(2026, 3, 17)), AS_OF),  # cut mid-week and mid-month
        (ALL, datetime(2026, 2, 21, 12)),  # the data time mid-period: later periods have nothing due
        (Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), towns=("T2",)), AS_OF),
        (Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), categories=("dispute",)), AS_OF),
    ],
    ids=["q1", "cut", "early", "town", "category"],
)
def test_equal_to_each_periods_own_due_totals(db, period, f, at):
    got = queries_trend.due_by_period(db, f, period, at).set_index("period")
    want = {p: row for p, row in per_period(db, f, period, at).items() if row["due"]}
    assert got.index.tolist() == list(want)
    for p, row in want.items():
        for key in [*COUNTS, *indicators.JUDGED, "recognition_rate"]:
            assert got.loc[p, key] == pytest.approx(row[key], nan_ok=True), (p, key)


def test_the_trend_table_is_judged_from_the_grouped_statement(db):
    table = indicators.trend_table(db, ALL, "month", AS_OF).set_index("period")
    for p, row in per_period(db, ALL, "month", AS_OF).items():
        for key in indicators.JUDGED:
            assert table.loc[p, key] == pytest.approx(row[key], nan_ok=True), (p, key)


def test_equal_on_the_qinhuai_district(tmp_path):
    import duckdb
    from test_own_district import build

    from govdash.db import Database
    from tests.districts import qinhuai

    path = build(qinhuai(tmp_path / "files"), tmp_path)

    con = duckdb.connect(path)  # give its cases deadlines: 1 day after the report, every third one before it
    con.execute(
        "UPDATE cases SET deadline_at = reported_at + to_hours(CASE WHEN hash(case_id) % 3 = 0 THEN -2 ELSE 24 END), "
        "resolved = hash(case_id) % 2 = 0"
    )
    con.close()
    qdb = Database(path)
    lo, hi = qdb.execute("SELECT min(reported_at)::DATE AS lo, max(reported_at)::DATE AS hi FROM cases").iloc[0]
    lo, hi = pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
    f = Filters(start=lo, end=hi)
    at = datetime.combine(hi, datetime.min.time()) + pd.Timedelta(hours=12)
    for period in ("day", "week", "month"):
        got = queries_trend.due_by_period(qdb, f, period, at).set_index("period")
        want = {p: row for p, row in per_period(qdb, f, period, at).items() if row["due"]}
        assert got.index.tolist() == list(want) and len(want) > (period != "month")
        for p, row in want.items():
            assert got.loc[p, COUNTS].tolist() == [row[k] for k in COUNTS], (period, p)
    qdb.close()
