"""Every trend indicator on the literal database against hand computation, with the edge cases."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, FEB, JAN, build_db

from govdash import indicators, queries_trend, settings
from govdash.filters import Filters

NONE = Filters(start=date(2025, 6, 1), end=date(2025, 6, 30))  # before every case


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("ind") / "ind.duckdb")
    yield database
    database.close()


def _months(df: pd.DataFrame) -> list[int]:
    return [p.month for p in pd.to_datetime(df["period"])]


def test_totals_over_the_quarter(db):
    k = queries_trend.indicator_totals(db, ALL, AS_OF)
    # cohort Jan-Mar: A01-A06, A08, A09 (A07 was reported in December)
    assert (k["collected"], k["resolved"], k["closed"], k["closed_on_time"], k["recognised"]) == (8, 5, 6, 4, 3)
    # judged over the 7 cases due in the quarter (test_due_indicators): A06 is not yet due, A07 was due in 2025
    assert (k["due"], k["in_handling"]) == (7, 1)
    assert k["resolution_rate"] == pytest.approx(5 / 7)
    assert k["on_time_rate"] == pytest.approx(4 / 7)  # A02 closed exactly at its deadline counts
    assert k["recognition_rate"] == pytest.approx(3 / 5)  # recognised ÷ resolved
    assert (k["disputes"], k["disputes_resolved"]) == (3, 2)
    assert k["dispute_rate"] == pytest.approx(2 / 3)
    assert k["satisfaction"] == pytest.approx((90 + 80 + 60 + 100) / 4)
    # hours to close: 24, 24, 36, 48, 48, 552
    assert k["median_hours"] == pytest.approx(42.0)
    assert k["p90_hours"] == pytest.approx(48 + 0.5 * (552 - 48))
    # stock at the cutoff (31 March 12:00): A05 and A06 open, A05 overdue
    assert (k["backlog"], k["overdue_at_end"]) == (2, 1)


def test_per_month_including_a_month_without_closures(db):
    tr = queries_trend.period_indicators(db, ALL, "month", AS_OF)
    assert _months(tr) == [1, 2, 3]
    assert tr["collected"].tolist() == [3, 3, 2]
    assert tr["resolved"].tolist() == [3, 2, 0]  # A03 closed in February counts for January
    assert tr["resolution_rate"].tolist() == pytest.approx([1.0, 2 / 3, 0.0])
    assert tr["on_time_rate"][:2].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert tr["recognition_rate"][:2].tolist() == pytest.approx([2 / 3, 1 / 2])
    assert tr["dispute_rate"][:2].tolist() == pytest.approx([1.0, 1 / 2])
    assert tr["satisfaction"][:2].tolist() == pytest.approx([230 / 3, 100.0])
    assert tr["median_hours"][:2].tolist() == pytest.approx([48.0, 36.0])
    march = tr.iloc[2]  # nothing closed yet: every ratio over closed / resolved cases is 0 ÷ 0
    for key in ("on_time_rate", "recognition_rate", "dispute_rate", "satisfaction", "median_hours", "p90_hours"):
        assert math.isnan(march[key]), key
        assert indicators.fmt(march[key], key) == "—"


def test_backlog_counts_open_cases_whenever_reported(db):
    bl = queries_trend.open_backlog(db, ALL, "month", AS_OF)
    # end of Jan: A03 (closes 1 Feb) and A07 (reported in December, closes 10 Feb);
    # end of Feb: A09 (closes 5 Mar); at the cutoff 31 Mar 12:00: A05, A06
    assert _months(bl) == [1, 2, 3]
    assert bl["backlog"].tolist() == [2, 1, 2]
    by_town = queries_trend.open_backlog(db, ALL, "month", AS_OF, split="town")
    assert by_town[by_town["series"] == "T1"]["backlog"].tolist() == [1, 0, 1]
    assert by_town[by_town["series"] == "T2"]["backlog"].tolist() == [1, 1, 1]
    weekly = queries_trend.open_backlog(db, JAN, "week", AS_OF)
    # weeks from Mon 29 Dec, ends 5, 12, 19, 26 Jan, 1 Feb: A07 throughout, A02 on 12 Jan, A03 on 1 Feb
    assert weekly["backlog"].tolist() == [1, 2, 1, 1, 2]


def test_the_instant_of_closure_belongs_to_the_next_period(db):
    # A03 closes at 1 Feb 09:00: a period ending at that instant still has it open (it was closed in
    # the next one); a second later it is gone. A07 is open throughout.
    day = Filters(start=date(2026, 2, 1), end=date(2026, 2, 1))
    at = datetime(2026, 2, 1, 9)
    assert queries_trend.open_backlog(db, day, "day", at)["backlog"].tolist() == [2]
    assert queries_trend.indicator_totals(db, day, at)["backlog"] == 2
    later = datetime(2026, 2, 1, 9, 0, 1)
    assert queries_trend.open_backlog(db, day, "day", later)["backlog"].tolist() == [1]


def test_no_cases(db):
    assert queries_trend.period_indicators(db, NONE, "month", AS_OF).empty
    bl = queries_trend.open_backlog(db, NONE, "month", AS_OF)
    assert bl["backlog"].tolist() == [0]  # a month with nothing open is a zero, not a gap
    k = queries_trend.indicator_totals(db, NONE, AS_OF)
    assert (k["collected"], k["resolved"], k["backlog"]) == (0, 0, 0)
    for key in (
        "resolution_rate",
        "on_time_rate",
        "recognition_rate",
        "dispute_rate",
        "satisfaction",
        "median_hours",
        "p90_hours",
    ):
        assert indicators.fmt(k[key], key) == "—", key
    assert indicators.fmt(k["collected"], "collected") == "0"
    assert indicators.change_text(k["resolution_rate"], 0.9, "resolution_rate") == "—"


def test_progress_as_it_stood_at_an_instant(db):
    # January at 1 Feb 00:00: A03 not closed yet
    k = queries_trend.indicator_totals(db, JAN, AS_OF, as_at=datetime(2026, 2, 1))
    assert (k["collected"], k["resolved"], k["closed"], k["open"], k["overdue"]) == (3, 2, 2, 1, 1)
    assert k["resolution_rate"] == pytest.approx(2 / 3)
    assert k["median_hours"] == pytest.approx(36.0)
    assert k["satisfaction"] == pytest.approx(85.0)
    # at the data time it equals the status-based definition
    now = queries_trend.indicator_totals(db, ALL, AS_OF)
    same = queries_trend.indicator_totals(db, ALL, AS_OF, as_at=AS_OF)
    for key, value in now.items():
        assert same[key] == pytest.approx(value, nan_ok=True), key


def test_wall_compares_the_previous_period_at_the_same_age(db):
    """March (cut at AS_OF) against February (the month before) as it stood on 1 March: of the cases due in
    February (A04, A08, A09) A09 (closed 5 March) was still open then, so 1 of 3 resolved (33.3 %), not the
    2 of 3 it shows today."""
    from govdash import wall

    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    tiles = {x.key: x for x in wall.headline(db, march, AS_OF, settings.load(), "en")}
    assert tiles["resolution_rate"].value == "0.0%"
    assert tiles["resolution_rate"].change == "-33.3 pp"


def test_same_age_comparison(db):
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    # March is cut at AS_OF (lag 0), so February is taken at its own end
    assert indicators.same_age(march, FEB, AS_OF) == datetime(2026, 3, 1)
    assert indicators.same_age(FEB, JAN, AS_OF) == datetime(2026, 2, 1) + (AS_OF - datetime(2026, 3, 1))
    s = settings.load()
    cmp = indicators.headline(db, march, AS_OF, s, "en", previous=FEB).set_index("key")
    # February at 1 Mar 00:00, due A04, A08, A09: A09 (due 15 Feb) still open, so 1 of 3 resolved, 2 of 3 on time
    assert cmp.loc["resolution_rate", "previous"] == "33.3%"
    assert cmp.loc["on_time_rate", "previous"] == "66.7%"
    # March: only A05 is due (25 Mar) and still open; A06 is within its time limit, not judged
    assert cmp.loc["resolution_rate", "value"] == "0.0%"
    assert cmp.loc["resolution_rate", "change"] == "-33.3 pp"
    assert cmp.loc["collected", "change"] == f"{(2 - 3) / 3 * 100:+.1f}%"
    assert cmp.loc["on_time_rate", "value"] == "0.0%" and cmp.loc["on_time_rate", "change"] == "-66.7 pp"
    assert cmp.loc["recognition_rate", "value"] == "—"  # nothing resolved among the due: no rate
    assert bool(cmp.loc["resolution_rate", "breach"]) and bool(cmp.loc["on_time_rate", "breach"])
    assert not bool(cmp.loc["recognition_rate", "breach"])
    assert cmp.loc["collected", "year_before"] == "0"


def test_formatting_and_changes():
    assert indicators.fmt(5 / 8, "resolution_rate") == "62.5%"
    assert indicators.fmt(42.0, "median_hours") == "42.0"
    assert indicators.fmt(12345, "backlog") == "12,345"
    assert indicators.fmt(None, "satisfaction") == "—"
    assert indicators.fmt(float("nan"), "dispute_rate") == "—"
    assert indicators.change_text(0.99, 0.98, "resolution_rate") == "+1.0 pp"
    assert indicators.change_text(83.0, 82.5, "satisfaction") == "+0.5 分"  # points, never %
    assert indicators.change_text(83.0, 82.5, "satisfaction", "en") == "+0.5 pts"
    assert indicators.change_text(110, 100, "collected") == "+10.0%"
    assert indicators.change_text(5, 0, "collected") == "—"  # no base to compare with
    # a change that rounds to nothing has no sign: "-0.0 pp" would be drawn as a fall in red
    assert indicators.change_text(0.99501, 0.99502, "resolution_rate") == "0.0 pp"
    assert indicators.change_text(80.01, 80.03, "satisfaction") == "0.0 分"


def test_metric_delta_that_rounds_to_nothing_is_grey_without_arrow():
    from govdash import ui

    assert ui.delta(0.99501, 0.99502, "resolution_rate") == "0.0 pp"
    assert ui.delta(0.995, 0.985, "resolution_rate") == "+1.0 pp"
    assert ui.delta_style("0.0 pp", "normal") == {"delta_color": "off", "delta_arrow": "off"}
    assert ui.delta_style("-1.3%", "inverse") == {"delta_color": "inverse"}
    assert ui.delta_style(None, "normal") == {"delta_color": "normal"}
    assert indicators.improved(30.0, 40.0, "median_hours") is True  # lower is better
    assert indicators.improved(0.9, 0.95, "on_time_rate") is False
    assert indicators.improved(10, 5, "collected") is None


def test_breach_and_the_value_shown_at_the_boundary():
    s = replace(settings.load(), target_resolution=0.99)
    assert indicators.breach(0.98, "resolution_rate", s) and not indicators.breach(0.99, "resolution_rate", s)
    assert indicators.breach(30.0, "median_hours", s) and not indicators.breach(24.0, "median_hours", s)
    assert not indicators.breach(float("nan"), "resolution_rate", s)
    row = indicators.comparison({"resolution_rate": 0.9896}, {}, {}, s, keys=("resolution_rate",)).iloc[0]
    assert row["value"] == "98.96%" and row["breach"]  # not "99.0%" next to a missed 99.0 % target


def test_trend_table_marks_incomplete_periods(db):
    tab = indicators.trend_table(db, ALL, "month", AS_OF)
    # the window reaches back 395 days, aligned to a month start: empty months are absent from the
    # indicators but have backlog rows; March ends after the cutoff (31 Mar 12:00)
    assert pd.Timestamp(tab["period"].iloc[0]) == pd.Timestamp("2025-03-01")
    last3 = tab.tail(3)
    assert _months(last3) == [1, 2, 3] and last3["partial"].tolist() == [False, False, True]
    assert last3["backlog"].tolist() == [2, 1, 2] and last3["collected"].tolist() == [3, 3, 2]
    assert tab[tab["period"] == "2025-12-01"]["collected"].tolist() == [1]  # A07
    assert not tab["partial"].iloc[:-1].any()


def test_chart_window_and_labels():
    f = Filters(start=date(2026, 3, 2), end=date(2026, 3, 31))
    assert indicators.chart_window(f, "month").start == date(2025, 3, 1)
    assert indicators.chart_window(f, "week").start.weekday() == 0
    assert indicators.chart_window(f, "quarter").start == date(2024, 4, 1)
    long = Filters(start=date(2020, 1, 15), end=date(2026, 3, 31))
    assert indicators.chart_window(long, "month") == long  # already long enough: untouched
    assert indicators.period_label("2026-10-05", "week") == "2026-W41"
    assert indicators.period_label("2026-10-01", "quarter") == "2026Q4"
    assert indicators.month_filters("2026-02") == FEB
    assert indicators.month_filters("2024-02").end == date(2024, 2, 29)


def test_hostile_filter_values_are_plain_values(db):
    f = ALL.with_(towns=("x' OR 1=1 --",))
    assert queries_trend.indicator_totals(db, f, AS_OF)["collected"] == 0
    assert queries_trend.open_backlog(db, f, "month", AS_OF)["backlog"].tolist() == [0, 0, 0]
    assert queries_trend.period_indicators(db, f, "month", AS_OF, split="town").empty
