"""The judged rates as officials use them (docs/indicators.md), one test per definition, on the literal cases.

Each case is judged once, in the period it falls due in: the period of its deadline, or of its closure
when it was closed before the deadline. Worked by hand from tests/literal_cases.py (as of 31 Mar 12:00):

case  deadline        closed          judged in   on time  resolved  recognised
A01   Jan 8           Jan 6           Jan         yes      yes       yes
A02   Jan 12 10:00    Jan 12 10:00    Jan         yes (at the deadline)  yes  yes
A03   Jan 31 09:00    Feb 1 09:00     Jan         no       yes       no
A04   Feb 5           Feb 4 21:00     Feb         yes      no        —
A05   Mar 25          open            Mar         no       no        —
A06   Apr 2           open            not yet (in handling at the end of March)
A07   Dec 25 2025     Feb 10          Dec 2025    no       yes       yes
A08   Feb 22          Feb 21          Feb         yes      yes       yes
A09   Feb 15          Mar 5           Feb         no       yes       no
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, FEB, JAN, build_db

from govdash import queries
from govdash.filters import Filters

MAR = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("due") / "due.duckdb")
    yield database
    database.close()


@pytest.mark.parametrize("f, due", [(JAN, 3), (FEB, 3), (MAR, 1), (ALL, 7)], ids=["jan", "feb", "mar", "q1"])
def test_a_case_is_due_once_in_the_period_of_its_deadline_or_earlier_closure(db, f, due):
    assert queries.due_totals(db, f, AS_OF)["due"] == due
    # A03 (deadline 31 Jan, closed 1 Feb) is judged in January only; A07 (due 2025) in no 2026 month
    months = sum(queries.due_totals(db, m, AS_OF)["due"] for m in (JAN, FEB, MAR))
    assert months == queries.due_totals(db, ALL, AS_OF)["due"]


@pytest.mark.parametrize(
    "f, on_time, rate",
    [(JAN, 2, 2 / 3), (FEB, 2, 2 / 3), (MAR, 0, 0.0), (ALL, 4, 4 / 7)],
    ids=["jan", "feb", "mar", "q1"],
)
def test_on_time_rate_is_closed_by_the_deadline_over_the_cases_due(db, f, on_time, rate):
    k = queries.due_totals(db, f, AS_OF)
    assert k["due_on_time"] == on_time  # A02, closed exactly at its deadline, is on time
    assert k["on_time_rate"] == pytest.approx(rate)


@pytest.mark.parametrize(
    "f, resolved, rate",
    [(JAN, 3, 1.0), (FEB, 2, 2 / 3), (MAR, 0, 0.0), (ALL, 5, 5 / 7)],
    ids=["jan", "feb", "mar", "q1"],
)
def test_resolution_rate_is_resolved_over_the_cases_due(db, f, resolved, rate):
    k = queries.due_totals(db, f, AS_OF)
    assert k["due_resolved"] == resolved  # A03 and A09, resolved after their deadline, count as resolved
    assert k["resolution_rate"] == pytest.approx(rate)


@pytest.mark.parametrize(
    "f, recognised, rate", [(JAN, 2, 2 / 3), (FEB, 1, 1 / 2), (ALL, 3, 3 / 5)], ids=["jan", "feb", "q1"]
)
def test_recognition_rate_is_recognised_over_the_resolved_cases_due(db, f, recognised, rate):
    k = queries.due_totals(db, f, AS_OF)
    assert k["due_recognised"] == recognised
    assert k["recognition_rate"] == pytest.approx(rate)


@pytest.mark.parametrize(
    "f, disputes, resolved", [(JAN, 1, 1), (FEB, 2, 1), (MAR, 0, 0), (ALL, 3, 2)], ids=["jan", "feb", "mar", "q1"]
)
def test_dispute_rate_is_disputes_resolved_over_the_disputes_due(db, f, disputes, resolved):
    # disputes: A02 (due 12 Jan, resolved), A04 (closed 4 Feb unresolved), A08 (closed 21 Feb, resolved)
    k = queries.due_totals(db, f, AS_OF)
    assert (k["due_disputes"], k["due_disputes_resolved"]) == (disputes, resolved)
    assert k["dispute_rate"] == pytest.approx(resolved / disputes if disputes else float("nan"), nan_ok=True)


def test_a_case_within_its_time_limit_is_in_handling_not_judged(db):
    mar = queries.due_totals(db, MAR, AS_OF)
    assert mar["in_handling"] == 1  # A06, due 2 April
    assert (mar["due"], mar["due_resolved"]) == (1, 0)  # only A05, overdue since 25 March
    # the 2 April deadline passed: A06 is judged (and missed) in April; nothing is in handling any more
    apr = queries.due_totals(db, Filters(start=date(2026, 4, 1), end=date(2026, 4, 30)), datetime(2026, 5, 1))
    assert (apr["due"], apr["due_on_time"], apr["in_handling"]) == (1, 0, 0)


def test_a_rate_no_case_is_due_for_is_missing(db):
    k = queries.due_totals(db, Filters(start=date(2025, 6, 1), end=date(2025, 6, 30)), AS_OF)
    assert k["due"] == 0
    assert all(math.isnan(k[r]) for r in ("on_time_rate", "resolution_rate", "recognition_rate"))
    assert math.isnan(queries.due_totals(db, MAR, AS_OF)["recognition_rate"])  # nothing resolved among the due


def test_an_earlier_period_is_judged_as_it_stood_then(db):
    # February as at 1 March: A09 (due 15 Feb) still open, so 1 of 3 resolved; as at 31 March, 2 of 3
    then = queries.due_totals(db, FEB, AS_OF, as_at=datetime(2026, 3, 1))
    assert (then["due"], then["due_resolved"], then["due_on_time"]) == (3, 1, 2)
    assert queries.due_totals(db, FEB, AS_OF)["due_resolved"] == 2


def test_filters_apply_to_the_cases_due(db):
    t2 = queries.due_totals(db, ALL.with_(towns=("T2",)), AS_OF)
    assert (t2["due"], t2["due_resolved"], t2["in_handling"]) == (2, 2, 1)  # A08, A09; A06 in handling
    noise = queries.due_totals(db, ALL.with_(categories=("noise",)), AS_OF)
    assert (noise["due"], noise["due_on_time"]) == (2, 1)  # A01 on time, A05 overdue


# --- the trend charts (trends page, wall) judge the rates per period as the tiles do ---

# A10 (reported 25 Feb, deadline 3 Mar, closed resolved 2 Mar) is reported in February but due in March.
# By hand, March as at 31 March 12:00:
#   reported in March: A05, A06, A11 (all open)    解决率 0/3 = 0 %, 按期办结率 — (none closed)
#   due in March:      A05 (overdue), A10 (on time) 解决率 1/2 = 50 %, 按期办结率 1/2 = 50 %
# February: reported A04 A08 A09 A10, 3 resolved = 75 %; due A04 A08 A09, 2 resolved = 2/3.
A10 = ("A10", "T1", "noise", "D01", "community", datetime(2026, 2, 25, 10), datetime(2026, 3, 3, 10))
A10 += (datetime(2026, 3, 2, 10), True, True, 90.0)
# A11: a dispute reported 28 March, due 5 April, still open: March's 矛盾纠纷化解率 over the disputes reported
# would be 0/1 (a false 未达标); over the disputes due it is "—" (none due in March).
A11 = ("A11", "T2", "dispute", "D03", "street", datetime(2026, 3, 28, 9), datetime(2026, 4, 5, 9), None, None)
A11 += (None, None)


@pytest.fixture(scope="module")
def db10(tmp_path_factory):
    from literal_cases import CASES

    database = build_db(tmp_path_factory.mktemp("due10") / "due10.duckdb", cases=[*CASES, A10, A11])
    yield database
    database.close()


def test_trend_rates_are_judged_over_each_periods_cases_due_counts_by_day_reported(db10):
    from govdash import indicators, queries_trend

    reported = queries_trend.period_indicators(db10, ALL, "month", AS_OF).set_index("period")
    table = indicators.trend_table(db10, ALL, "month", AS_OF).set_index("period")
    mar, feb, jan = (pd.Timestamp(2026, m, 1) for m in (3, 2, 1))
    assert reported.loc[mar, "resolution_rate"] == 0.0  # the plunge the charts used to show
    assert table.loc[mar, "resolution_rate"] == pytest.approx(0.5)
    assert table.loc[mar, "on_time_rate"] == pytest.approx(0.5)
    assert reported.loc[feb, "resolution_rate"] == pytest.approx(0.75)
    assert table.loc[feb, "resolution_rate"] == pytest.approx(2 / 3)
    assert table.loc[jan, "resolution_rate"] == 1.0
    # counts stay by day reported: A10 is collected in February
    assert table.loc[[jan, feb, mar], "collected"].tolist() == [3, 4, 3]
    # 矛盾纠纷化解率 over the disputes due: January A02 1/1, February A04 (unresolved) and A08 1/2, March none
    assert reported.loc[mar, "dispute_rate"] == 0.0  # A11, reported and open: the false 未达标
    assert table.loc[[jan, feb], "dispute_rate"].tolist() == pytest.approx([1.0, 0.5])
    assert math.isnan(table.loc[mar, "dispute_rate"])  # "—", never judged against the target
    # each month's point is the month's tile (queries.due_totals over the same dates)
    for m, f in ((jan, JAN), (feb, FEB), (mar, MAR)):
        tile = queries.due_totals(db10, f, AS_OF)
        for key in indicators.JUDGED:
            assert table.loc[m, key] == pytest.approx(tile[key], nan_ok=True), (m, key)


def test_wall_weekly_trend_is_judged_over_each_weeks_cases_due(db10):
    from govdash import wall

    df = wall.trend_data(db10, ALL, AS_OF).set_index("period")
    # week of 16 March: A05 reported (open), nothing due: no rate, not 0 %
    assert math.isnan(df.loc[pd.Timestamp(2026, 3, 16), "resolution_rate"])
    # week of 23 March: A06 reported (in handling); A05 due 25 March, open: 0 of 1
    assert df.loc[pd.Timestamp(2026, 3, 23), "resolution_rate"] == 0.0
    # week of 16 February: A08 reported and due (closed 21 Feb, before its 22 Feb deadline) -> 1 of 1
    assert df.loc[pd.Timestamp(2026, 2, 16), "on_time_rate"] == 1.0
    assert df.loc[pd.Timestamp(2026, 2, 23), "collected"] == 1  # A10 (25 Feb) counts by its report
