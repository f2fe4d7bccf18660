"""Caches that survive writes (govdash.writes_log, queries_fresh, freshness), on the literal cases worked by hand,
on a file and on a DuckLake.

By hand (tests/literal_cases.py, as of 31 Mar 12:00): importing L1 (reported 30 Mar 09:00 in 甲街道 T1, open)
logs T1 from March on (open: every later month). Closing A05 (T1, reported 20 Mar, deadline 25 Mar, open) on
31 Mar 09:00 logs T1 March (its cohort and deadline) and T1 from March on (open until then, closed since); its
undo logs the same again. A month trend of Jan–Mar as of 31 Mar is cut into its whole months to February and
March: none of these writes reaches a month before March, so the first piece stays cached and equal.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from literal_cases import ALL, AS_OF, build_db
from literal_cases import CASES as ALL_CASES

from govdash import feed, freshness, indicators, ingest, migrate, queries, queries_fresh, wall
from govdash.db import Database
from govdash.filters import Filters

MAR = date(2026, 3, 1)
HEADER = "case_id,reported_at,status,closed_at,category,department_id,lon,lat,description\n"
T1 = "121.505,31.205"  # inside 甲街道 (T1), the literal database's first town box


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


L1 = _csv(f"L1,2026-03-30 09:00:00,registered,,noise,D01,{T1},路灯")
A05_CLOSED = _csv(f"A05,2026-03-20 10:00:00,closed,2026-03-31 09:00:00,noise,D01,{T1},A05 描述")
A09_RATED = _csv(f"A09,2026-02-10 10:00:00,closed,2026-03-05 10:00:00,garbage,D02,{T1},A09")


def log(db: Database) -> list[tuple]:
    df = db.execute("SELECT seq, town_id, month_from, month_to FROM case_writes ORDER BY ALL")
    return [
        (int(s), t, pd.Timestamp(a).date(), None if pd.isna(b) else pd.Timestamp(b).date())
        for s, t, a, b in df.itertuples(index=False)
    ]


def load(target: str, body: bytes, tmp_path, name: str):
    rep = ingest.run("cases", target, body, name=name, quarantine_dir=tmp_path)
    assert rep.status == "loaded", rep.summary()
    return rep


@pytest.fixture
def tiny(tmp_path) -> str:
    path = tmp_path / "tiny.duckdb"
    build_db(path).close()
    return str(path)


def _writes_are_logged(target: str, tmp_path) -> None:
    db = Database(target)
    assert log(db) == [] and not queries_fresh.logged(db)  # built by a plain writer: nothing logged yet
    load(target, L1, tmp_path, "l1.csv")
    assert log(db) == [(1, "T1", MAR, None)]
    rep = load(target, A05_CLOSED, tmp_path, "a05.csv")
    assert log(db)[1:] == [(2, "T1", MAR, MAR), (2, "T1", MAR, None)]
    load(target, A05_CLOSED, tmp_path, "a05-again.csv")  # the same rows again: nothing changed, nothing logged
    assert len(log(db)) == 3
    ingest.undo(target, rep.import_id)
    assert log(db)[3:] == [(3, "T1", MAR, MAR), (3, "T1", MAR, None)]
    assert queries_fresh.logged(db)


def test_imports_and_undo_log_the_months_and_towns_they_touch_on_a_file(tiny, tmp_path):
    _writes_are_logged(tiny, tmp_path)


def test_imports_and_undo_log_the_months_and_towns_they_touch_on_a_lake(tiny, tmp_path):
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(tiny, target)
    _writes_are_logged(target, tmp_path)


class Memo:
    """A result cache like ui's: keyed by name, version and arguments, keeps nothing of a call that raised; lists
    the periods it computed alone (``computed``) and those it was handed from a whole window (``kept``)."""

    def __init__(self, db: Database):
        self.db, self.store, self.computed, self.kept = db, {}, [], []

    def __call__(self, key, version, fn, args, kwargs):
        k = (key, version, args, tuple(sorted(kwargs.items())))
        if k not in self.store:
            self.store[k] = fn(self.db, *args, **kwargs)
            start = args[0].start if args and isinstance(args[0], Filters) else None
            (self.kept if isinstance(fn, freshness._Given) else self.computed).append(start)
        return self.store[k]

    def clear(self):
        self.computed.clear()
        self.kept.clear()


def _trend(db, memo, at=AS_OF):
    got = freshness.call(db, indicators.trend_table, (ALL, "month", at, None), {}, memo)
    pd.testing.assert_frame_equal(got, indicators.trend_table(db, ALL, "month", at))  # a hit is the new result
    return got


def _survives(target: str, tmp_path) -> None:
    db = Database(target)
    load(target, L1, tmp_path, "l1.csv")  # the log starts
    memo = Memo(db)
    first = _trend(db, memo)
    windows = indicators.period_windows(indicators.chart_window(ALL, "month"), "month")
    assert [w.start for w in windows] == [date(2025, 3 + k, 1) for k in range(10)] + [
        date(2026, 1, 1),
        date(2026, 2, 1),
        MAR,
    ]
    assert memo.computed == [] and len(memo.kept) == 13  # a first visit: one computation, kept per month
    memo.clear()
    load(target, A05_CLOSED, tmp_path, "a05.csv")  # March only: the months to February stay cached
    assert _trend(db, memo).iloc[:12].equals(first.iloc[:12])
    assert (memo.computed, memo.kept) == ([], [MAR])
    memo.clear()
    _trend(db, memo, AS_OF + timedelta(minutes=1))  # the data clock moved: March again, the months before not
    assert (memo.computed, memo.kept) == ([], [MAR])
    memo.clear()
    load(target, A09_RATED, tmp_path, "a09.csv")  # A09 (reported in February) moves from T2 to T1
    _trend(db, memo, AS_OF + timedelta(minutes=1))
    assert (memo.computed, memo.kept) == ([], [date(2026, 2, 1), MAR])


def test_a_write_in_the_current_month_leaves_the_earlier_months_cached_on_a_file(tiny, tmp_path):
    _survives(tiny, tmp_path)


def test_a_write_in_the_current_month_leaves_the_earlier_months_cached_on_a_lake(tiny, tmp_path):
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(tiny, target)
    _survives(target, tmp_path)


def test_the_data_clock_passing_a_deadline_changes_the_key(tiny, tmp_path):
    """Reported 1–24 March, cut at midnight 25 March: A05 (open, deadline 25 Mar 10:00) is overdue from 10:00."""
    db = Database(tiny)
    load(tiny, L1, tmp_path, "l1.csv")
    f = Filters(start=MAR, end=date(2026, 3, 24))
    at = [datetime(2026, 3, 25, h, 0) for h in (9, 9, 11)]
    at[1] = at[1].replace(minute=30)
    keys = [freshness.window_key(db, queries.kpis, (f, a), {})[0] for a in at]
    figures = [queries.kpis(db, f, a)["overdue"] for a in at]
    assert keys[0] == keys[1] and figures[0] == figures[1] == 0
    assert keys[2] != keys[0] and figures[2] == 1


def _from_rows(db, fn, args) -> pd.DataFrame:
    """``fn(*args)`` assembled from its periods' rows, each computed alone (freshness.PERIODIC)."""
    rows, w, period, at, args_for = freshness.PERIODIC[freshness.name(fn)](*args)
    return freshness._concat([rows(db, *args_for(p)) for p in indicators.period_windows(w, period)])


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter"])
@pytest.mark.parametrize("at", [AS_OF, datetime(2026, 2, 14, 8), datetime(2026, 3, 1, 0)], ids=["end", "feb", "mar0"])
def test_the_periods_rows_make_the_trend_table(tiny, period, at):
    db = Database(tiny)
    pd.testing.assert_frame_equal(
        _from_rows(db, indicators.trend_table, (ALL, period, at)), indicators.trend_table(db, ALL, period, at)
    )


@pytest.mark.parametrize("at", [AS_OF, datetime(2026, 2, 14, 8), datetime(2026, 3, 2, 0)], ids=["end", "feb", "mar"])
def test_the_weeks_rows_make_the_walls_weekly_trend(tiny, at):
    db = Database(tiny)
    pd.testing.assert_frame_equal(_from_rows(db, wall.trend_data, (ALL, at)), wall.trend_data(db, ALL, at))


def test_the_periods_rows_make_the_trend_tables_on_qinhuai(tmp_path):
    from test_own_district import build

    from tests.districts import qinhuai

    db = Database(build(qinhuai(tmp_path / "files"), tmp_path))
    f = Filters(start=date(2026, 5, 1), end=date(2026, 5, 31))
    for at in (datetime(2026, 5, 18, 12), datetime(2026, 6, 1, 0), datetime(2026, 5, 31, 23)):
        for period in ("day", "week", "month"):
            whole = indicators.trend_table(db, f, period, at)
            pd.testing.assert_frame_equal(_from_rows(db, indicators.trend_table, (f, period, at)), whole)
        pd.testing.assert_frame_equal(_from_rows(db, wall.trend_data, (f, at)), wall.trend_data(db, f, at))
    # qinhuai's 24 cases: imported in one commit, every street's months from May on (some are still open)
    assert {(t, m) for _, t, m, _ in log(db)} == {("1", date(2026, 5, 1)), ("2", date(2026, 5, 1))}


def test_a_feed_batch_of_new_cases_leaves_the_earlier_months_cached(demo_db, tmp_path):
    import shutil

    path = str(tmp_path / "demo.duckdb")
    shutil.copyfile(demo_db, path)
    db = Database(path)
    assert log(db) == [(1, None, date(1, 1, 1), None)]  # the demo build: every month and street/town
    at = feed.data_clock(db)
    f = Filters(start=at.date() - timedelta(days=29), end=at.date() + timedelta(days=1))  # the clock runs in it
    memo = Memo(db)
    freshness.call(db, indicators.trend_table, (f, "month", at, None), {}, memo)
    current = indicators.period_windows(indicators.chart_window(f, "month"), "month")[-1].start
    for b, changes in enumerate((0, 3)):
        at += timedelta(minutes=1)
        memo.clear()
        feed.batch(path, new=5, changes=changes, at=at, rng=np.random.default_rng(b), span_s=30)
        got = freshness.call(db, indicators.trend_table, (f, "month", at, None), {}, memo)
        pd.testing.assert_frame_equal(got, indicators.trend_table(db, f, "month", at))
        weekly = freshness.call(db, wall.trend_data, (f, at), {}, Memo(db))
        pd.testing.assert_frame_equal(weekly, wall.trend_data(db, f, at))
        spans = [s for s in log(db) if s[0] == b + 2]
        assert spans  # every batch is logged
        # a month is computed again only when the batch changed a case counted in it
        again = memo.computed + memo.kept
        assert current in again
        for m in again:
            assert m == current or any(a <= m and (to is None or to >= m) for _, _, a, to in spans)
        if changes == 0:
            assert again == [current]  # new cases only: the current month alone


def test_the_headline_keeps_the_earlier_periods_across_a_write_and_the_clock(tiny, tmp_path):
    """March's headline compares with February and March 2025 as they stood at the same age: neither is touched
    by closing A05 (March) nor by the data clock moving a minute (no February case's time falls in it)."""
    from govdash import settings

    db, s = Database(tiny), settings.load()
    load(tiny, L1, tmp_path, "l1.csv")
    f = Filters(start=MAR, end=date(2026, 3, 31))
    memo = Memo(db)

    def headline(at):
        got = freshness.call(db, indicators.headline, (f, at, s, "zh"), {}, memo)
        pd.testing.assert_frame_equal(got, indicators.headline(db, f, at, s, "zh"))

    headline(AS_OF)
    assert sorted(memo.computed) == [date(2025, 3, 1), date(2026, 2, 1), MAR]
    for minutes, change in enumerate((lambda: load(tiny, A05_CLOSED, tmp_path, "a05.csv"), lambda: None), 1):
        memo.clear()
        change()
        headline(AS_OF + timedelta(minutes=minutes))
        assert memo.computed == [MAR]
    memo.clear()
    headline(AS_OF + timedelta(minutes=2))  # nothing written, the clock where it was: all three cached
    assert memo.computed == []


def _clock_by_hand(cases: pd.DataFrame, f: Filters, at: datetime) -> tuple[int, int]:
    """clock_passed's definition, applied row by row: reported in the window or due in it (before its cutoff),
    open or closed at or after ``at``; how many are past their deadline, and how many closed at or after ``at``."""
    start, cut = pd.Timestamp(f.start), pd.Timestamp(queries.cutoff(f, at))
    judged = cases[["closed_at", "deadline_at"]].min(axis=1)  # least(coalesce(closed, deadline), deadline)
    inside = (cases.reported_at < cut) & ((cases.reported_at >= start) | (judged >= start))
    moving = (cases.status != "closed") | (cases.closed_at >= at)
    rows = cases[inside & moving]
    return int((rows.deadline_at < at).sum()), int((rows.closed_at >= at).sum())


@pytest.mark.parametrize(
    "start,end",
    [(date(2026, m, 1), date(2026, m, 28)) for m in (1, 2, 3)],
)
def test_the_clock_reads_count_what_the_clock_can_still_move(tmp_path, start, end):
    """Against the definition worked row by row, at instants across each window, with two cases reported in
    February and due in March: B1 closed on 10 Mar after its deadline of 3 Mar, B2 still open (deadline 2 Mar), B3
    without a deadline, judged by its closing on 8 Mar."""
    d = datetime
    late = [
        ("B1", "T1", "noise", "D01", "community", d(2026, 2, 26, 10), d(2026, 3, 3, 10), d(2026, 3, 10), True, 1, 90),
        ("B2", "T2", "noise", "D01", "community", d(2026, 2, 27, 9), d(2026, 3, 2, 9), None, None, None, None),
        ("B3", "T2", "noise", "D01", "community", d(2026, 2, 25, 9), None, d(2026, 3, 8, 9), True, None, None),
    ]
    build_db(tmp_path / "late.duckdb", cases=[*ALL_CASES, *late]).close()
    db = Database(tmp_path / "late.duckdb")
    cases = db.execute("SELECT reported_at, deadline_at, closed_at, status FROM cases")
    f = Filters(start=start, end=end)
    for at in pd.date_range(datetime.combine(start, datetime.min.time()), AS_OF, freq="61h"):
        at = at.to_pydatetime()
        assert queries_fresh.clock_passed(db, f, at) == _clock_by_hand(cases, f, at), at
        each = queries_fresh.clock_each(db, f, "month", at)
        month = pd.Timestamp(start)
        reported = cases[(cases.reported_at >= month) & (cases.reported_at < pd.Timestamp(queries.cutoff(f, at)))]
        assert each.get(month, {}).get("reported", (0, 0)) == _clock_by_hand(reported, f, at), at
        judged = cases[["closed_at", "deadline_at"]].min(axis=1)
        cut = pd.Timestamp(queries.cutoff(f, at))
        due = cases[(judged >= month) & (judged < cut) & (cases.reported_at < cut)]
        assert each.get(month, {}).get("due", (0, 0)) == _clock_by_hand(due, f, at), at


def test_a_remembered_clock_read_is_read_again_after_a_write(tiny, tmp_path):
    """The clock keys are remembered per store version. Closing A05 (March, deadline 25 Mar, overdue) at 31 Mar
    09:00, before the data time, takes it out of what the clock can move: one overdue fewer after the write."""
    db = Database(tiny)
    f = Filters(start=MAR, end=date(2026, 3, 31))
    before = freshness._remembered(db, queries_fresh.clock_passed, f, AS_OF)
    assert before == freshness._remembered(db, queries_fresh.clock_passed, f, AS_OF)
    load(tiny, A05_CLOSED, tmp_path, "a05.csv")
    after = freshness._remembered(db, queries_fresh.clock_passed, f, AS_OF)
    assert after == (before[0] - 1, before[1]) == queries_fresh.clock_passed(db, f, AS_OF)
