"""Reads from the case summary (govdash.queries_days) equal the queries over the cases they stand in for, on the
literal cases (values worked by hand) and on the qinhuai district; filters the summary cannot answer ask the cases.

By hand (tests/literal_cases.py):
- January as of 31 Mar (period end 1 Feb 00:00): A01 (closed 6 Jan, before its deadline), A02 (closed at its
  deadline 12 Jan, a dispute) and A03 (deadline 31 Jan 09:00, closed late on 1 Feb) are due; A07's deadline
  (25 Dec) is December's. Due 3, on time 2 (A01, A02), resolved 3, recognised 2 (A03 not), recognition known 3,
  disputes due 1 and resolved 1. As they stood at 31 Jan 12:00 (same-age comparison), A03 was not yet closed:
  on time 2, resolved 2, recognised 2, known 2.
- January with the data time at 31 Jan 12:00 (the period cut mid-day): A03 judged at 09:00 that day is due and
  still open: due 3, on time 2, resolved 2.
- Open at 1 Feb 00:00: A03 (closed 1 Feb 09:00) and A07 (closed 10 Feb), both past their deadlines: backlog 2,
  overdue 2. At 1 Feb 10:00 (mid-day): A07 only: 1 and 1.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, CASES, JAN, D, build_db
from test_case_days import assert_in_step

from govdash import indicators, lifecycle, queries, queries_days, queries_trend, schema, writes_days
from govdash.db import Database, writer
from govdash.filters import Filters, Scope


def _with_summary(path, cases=CASES) -> Database:
    build_db(path, cases).close()
    with writer(path) as con:
        writes_days.rebuild(con)
    return Database(path)


@pytest.fixture
def db(tmp_path) -> Database:
    return _with_summary(tmp_path / "tiny.duckdb")


def _raw(monkeypatch, fn, *args):
    with monkeypatch.context() as m:
        m.setattr(queries_days, "usable", lambda db, f: False)
        m.setattr(queries_days, "casemix_usable", lambda db, f: False)
        return fn(*args)


def _equal(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == b[k] or (pd.isna(a[k]) and pd.isna(b[k])), k
    else:
        assert a == b


def _reads(db: Database, f: Filters, at: datetime):
    prev = f.previous()
    yield queries.due_totals, (db, f, at)
    yield queries.due_totals, (db, prev, at, indicators.same_age(f, prev, at))
    for period in ("day", "week", "month"):
        yield queries_trend.due_by_period, (db, indicators.chart_window(f, period), period, at)
        yield queries_trend.open_backlog, (db, indicators.chart_window(f, period), period, at)
    yield queries_trend.stock, (db, f, at)
    yield queries.collected_by_period, (db, f, "month")
    yield queries.case_count, (db, f)
    yield lifecycle.tier_data, (db, f, "month", at)
    yield queries_trend.split_by_category, (db, f, "town")


def _all_equal(db, monkeypatch, filters, instants):
    for f in filters:
        assert queries_days.usable(db, f)
        for at in instants:
            for fn, args in _reads(db, f, at):
                _equal(fn(*args), _raw(monkeypatch, fn, *args))


def test_january_by_hand(db):
    got = queries.due_totals(db, JAN, AS_OF)
    assert [got[k] for k in queries_days.DUE_KEYS] == [3, 2, 3, 2, 3, 1, 1]
    then = queries.due_totals(db, JAN, AS_OF, datetime(2026, 1, 31, 12))
    assert [then[k] for k in ("due", "due_on_time", "due_resolved", "due_recognised", "due_recognition_known")] == [
        3,
        2,
        2,
        2,
        2,
    ]
    cut = queries.due_totals(db, JAN, datetime(2026, 1, 31, 12))  # the cases judged on the cut day, from the cases
    assert (cut["due"], cut["due_on_time"], cut["due_resolved"]) == (3, 2, 2)
    assert queries_trend.stock(db, JAN, AS_OF) == {"backlog": 2, "overdue_at_end": 2}
    # open at the end of each month of January's chart (to January): December A07; January A03 and A07
    months = queries_trend.open_backlog(db, indicators.chart_window(JAN, "month"), "month", AS_OF)
    assert months.set_index("period")["backlog"].loc["2025-11-01":].tolist() == [0, 1, 2]
    feb1 = Filters(start=date(2026, 1, 1), end=date(2026, 2, 1))
    assert queries_trend.stock(db, feb1, datetime(2026, 2, 1, 10)) == {"backlog": 1, "overdue_at_end": 1}


def test_equal_to_the_queries_over_cases(db, monkeypatch):
    filters = [
        Filters(start=date(2026, 1, 1), end=date(2026, 3, 31)),
        JAN,
        Filters(start=date(2026, 2, 1), end=date(2026, 2, 28), towns=("T1",)),
        Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), categories=("dispute", "garbage")),
        Filters(start=date(2025, 12, 1), end=date(2026, 3, 31), scope=Scope(towns=("T2",))),
    ]
    instants = [AS_OF, datetime(2026, 1, 31, 12), datetime(2026, 2, 1, 10), datetime(2026, 2, 10, 10), D(2026, 3, 1)]
    _all_equal(db, monkeypatch, filters, instants)


def test_filters_the_summary_cannot_answer_ask_the_cases(db):
    assert not queries_days.usable(db, JAN.with_(communities=("C1",)))
    assert not queries_days.usable(db, JAN.with_(channels=("hotline_12345",)))
    assert not queries_days.usable(db, JAN.with_(departments=("D01",)))
    assert not queries_days.usable(db, JAN.with_(scope=Scope(departments=("D01",))))
    assert queries_days.usable(db, JAN.with_(towns=("T1",), categories=("noise",)))


def test_a_database_without_the_summary_asks_the_cases(tmp_path):
    path = tmp_path / "plain.duckdb"
    build_db(path).close()
    db = Database(path)
    assert not queries_days.usable(db, JAN)
    assert queries.due_totals(db, JAN, AS_OF)["due"] == 3


def test_a_case_judged_before_it_was_reported_asks_the_cases(tmp_path, monkeypatch):
    """Z1 (reported 20 Jan, deadline 18 Jan, open) is judged on 18 Jan: January's due count is 4, from the cases."""
    z1 = ("Z1", "T1", "noise", "D01", "community", D(2026, 1, 20, 10), D(2026, 1, 18, 10), None, None, None, None)
    db = _with_summary(tmp_path / "z.duckdb", [*CASES, z1])
    assert queries_days.due_counts(db, JAN, D(2026, 1, 1), D(2026, 2, 1), AS_OF) is None
    assert queries.due_totals(db, JAN, AS_OF)["due"] == 4
    _all_equal(db, monkeypatch, [JAN], [AS_OF, datetime(2026, 1, 20, 12)])


def test_equal_on_qinhuai(tmp_path, monkeypatch):
    from test_own_district import build

    from tests.districts import qinhuai

    db = Database(build(qinhuai(tmp_path / "files"), tmp_path))
    towns = tuple(db.execute("SELECT unit_id FROM units WHERE level = 'town' ORDER BY 1")["unit_id"][:1])
    may = Filters(start=date(2026, 5, 1), end=date(2026, 5, 31))
    instants = [datetime(2026, 5, 18, 12), datetime(2026, 6, 1, 0), datetime(2026, 5, 31, 23)]
    _all_equal(db, monkeypatch, [may, may.with_(towns=towns)], instants)


def test_a_summary_made_before_the_ranking_read_it(tmp_path, monkeypatch):
    """A file whose summary lacks the case-mix columns: the ranking asks the cases (the other reads keep the
    summary); its next write adds the columns and rebuilds the summary, and the ranking reads it again."""
    path = tmp_path / "old.duckdb"
    _with_summary(path).close()
    with writer(path) as con:  # as a file of the version before them (create() runs first: drop them after it)
        for column in schema.ADDED_SUMMARY_COLUMNS:
            con.execute(f"ALTER TABLE case_days DROP COLUMN {column}")
    old = Database(path)
    assert queries_days.usable(old, JAN) and not queries_days.casemix_usable(old, JAN)
    raw = _raw(monkeypatch, queries_trend.split_by_category, old, JAN, "town")
    _equal(queries_trend.split_by_category(old, JAN, "town"), raw)
    old.close()
    with writer(path):  # any write: the columns come back and the summary is rebuilt in its transaction
        pass
    db = Database(path)
    assert_in_step(db)
    assert queries_days.casemix_usable(db, ALL)
    got = queries_trend.split_by_category(db, ALL, "town")
    _equal(got, _raw(monkeypatch, queries_trend.split_by_category, db, ALL, "town"))
    assert got["collected"].sum() == 8  # A01–A09 but A07 (December)
