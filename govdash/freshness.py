"""Caches that survive writes (issue 21 item 4): a windowed result is keyed by what it read, not by the version of
the whole database, so a feed batch that changes the current month leaves last month's figures cached.

A windowed read (``WINDOWED``) reads the cases of one filter's period: reported in it, falling due in it, or open
at an instant in it, in its streets/towns. Its key is, instead of the database version:
- the write log over those months and streets/towns (queries_fresh.written; govdash.writes_log records every
  commit's span of months per street/town, in the commit, on a file and on a lake alike);
- the period's cutoff (``queries.cutoff``: its end, or the data time when earlier);
- the case times the data clock has passed within it (queries_fresh.clock_passed): between writes, the only
  way these reads depend on the data time ``at`` beyond the cutoff is which deadlines and closings lie before it.
Both are equal before and after a write only when the result is, so a hit returns what a new computation would;
the data time itself is left out of the key. A database without a write log (a file made before it) keys by
its version, as before.

``PERIODIC``: a result made of one row per period (the trend table, the wall's weekly trend), each period's row
cached apart under its own key, so a feed batch recomputes the periods it touched (the current one, and the month
a changed case was reported in), not the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd

from govdash import indicators, queries, queries_fresh, queries_trend, wall
from govdash.db import Database
from govdash.filters import Filters

# qualified name -> position of the data time ``at`` among the arguments after ``db`` (the filter comes first)
WINDOWED = {
    "govdash.indicators.period_rows": 2,  # (f, period, at, split): without a split
    "govdash.queries.kpis": 1,  # (f, at)
    "govdash.queries.due_totals": 1,  # (f, at, as_at): without as_at
    "govdash.queries_trend.indicator_totals": 1,  # (f, at, as_at): without as_at
    "govdash.wall.week_rows": 1,  # (w, at)
}
_ONLY_WITHOUT = {"govdash.indicators.period_rows": 3}  # a split: its series come from cases outside the window
# the state "as it stood at" an earlier instant (the same-age comparison): its position; the clock is read there
AS_AT = {"govdash.queries.due_totals": 2, "govdash.queries_trend.indicator_totals": 2}


def name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def window_key(db: Database, fn, args: tuple, kwargs: dict, *, probe: bool = False) -> tuple[tuple, dict] | None:
    """``(key, drop)`` for a windowed call ``fn(db, *args, **kwargs)``: the key replacing the database version, and
    the arguments left out of it by position (the data time ``at``, an ``as_at``). None: key it by the version
    (not windowed, a split, or no write log)."""
    n = name(fn)
    if n not in WINDOWED or kwargs or not args or not isinstance(args[0], Filters):
        return None
    i = WINDOWED[n]
    extra = _ONLY_WITHOUT.get(n)
    if len(args) <= i or (extra is not None and len(args) > extra and args[extra] is not None):
        return None
    f, at = args[0], args[i]
    if not isinstance(at, datetime) or not queries_fresh.logged(db):
        return None
    drop = {i: at}
    j = AS_AT.get(n)
    if j is not None and len(args) > j:
        drop[j] = args[j]
    if probe:  # whether the call is windowed, without its key
        return (), drop
    towns = tuple(sorted(f.towns)) or None  # a finer filter or a scope reads less: keyed by its streets/towns
    clock = _remembered(db, queries_fresh.clock_passed, f, drop.get(j) or at)
    return (queries_fresh.written(db, f.start, f.end, towns), queries.cutoff(f, at), clock), drop


# results made of one row per period: qualified name -> the rows function, its window, period and data time, and
# its arguments for a window ``w``
def _trend_rows(f: Filters, period: str, at: datetime, split: str | None = None):
    if split is not None:
        return None
    return indicators.period_rows, indicators.chart_window(f, period), period, at, lambda w: (w, period, at)


def _wall_rows(f: Filters, at: datetime):
    return wall.week_rows, wall.trend_window(f), "week", at, lambda w: (w, at)


PERIODIC: dict[str, Callable] = {"govdash.indicators.trend_table": _trend_rows, "govdash.wall.trend_data": _wall_rows}


class _Missing(Exception):
    """Raised inside the cache to learn that a key is not there (a cache keeps no result of a raising call)."""


def _absent(db, *args, **kwargs):
    raise _Missing


class _Given:
    """A result already computed, handed to the cache under its own key."""

    def __init__(self, fn, value):
        self.value, self.__module__, self.__qualname__ = value, fn.__module__, fn.__qualname__

    def __call__(self, db, *args, **kwargs):
        return self.value


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in parts if not p.empty] or parts[:1]
    return pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)


def _periodic(db: Database, fn, args: tuple, kwargs: dict, memo) -> pd.DataFrame | None:
    """``fn(*args)`` made of one cached row per period, each keyed by what that period read (None: not so made).

    Periods whose row is cached are taken as they are; each run of consecutive missing periods (all of them on a
    first visit) is computed in one go over its dates and kept apart per period."""
    entry = PERIODIC.get(name(fn))
    spec = None if entry is None or kwargs else entry(*args)
    if spec is None:
        return None
    rows, w, period, at, args_for = spec
    windows = indicators.period_windows(w, period)
    if not windows or window_key(db, rows, args_for(w), {}, probe=True) is None:
        return None
    drop = {WINDOWED[name(rows)]: at}
    towns = tuple(sorted(w.towns)) or None
    written = queries_fresh.written_each(db, [(p.start, p.end) for p in windows], towns)
    clock = _remembered(db, queries_fresh.clock_each, w, queries.PERIODS[period], at)  # by the rows' period starts
    calls = []
    for p, wr in zip(windows, written, strict=True):
        passed = clock.get(pd.Timestamp(indicators.period_start(p.start, period)), {})
        key = (wr, queries.cutoff(p, at), tuple(sorted(passed.items())))
        calls.append((("periods", key), _drop(args_for(p), drop)))
    got: list = []
    for version, a in calls:
        try:
            got.append(memo(name(rows), version, _absent, a, {}))
        except _Missing:
            got.append(None)
    missing = [k for k, g in enumerate(got) if g is None]
    runs: list[list[int]] = []
    for k in missing:  # consecutive missing periods: one computation over them, kept per period
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    for run in runs:
        span = windows[run[0]].with_(end=windows[run[-1]].end)
        whole = rows(db, *args_for(span))
        starts = pd.to_datetime(whole["period"]) if len(whole) else pd.Series(dtype="datetime64[ns]")
        for k in run:
            p_start = pd.Timestamp(indicators.period_start(windows[k].start, period))
            part = whole.loc[(starts == p_start).to_numpy()].reset_index(drop=True)
            got[k] = memo(name(rows), calls[k][0], _Given(rows, part), calls[k][1], {})
    return _concat(got)


_CLOCKS: dict[tuple, object] = {}  # (store, version, read, arguments) -> the clock read's result
_CLOCKS_KEPT = 1024


def _remembered(db: Database, read, *args):
    """``read(db, *args)`` (a clock read of queries_fresh) remembered per store and version.

    Why: the clock reads scan a window's open cases (30–140 ms CPU at 10 M cases), and every page view asks them to
    key its results. Their result depends only on the data and the arguments (the data time among them), so while
    the store's version and the data time stand still (a declared or data-derived data time, between writes) the
    key of a cached figure is found without reading the cases again.
    """
    key = (db.path, db.version(), read.__name__, args)
    if key not in _CLOCKS:
        if len(_CLOCKS) >= _CLOCKS_KEPT:
            _CLOCKS.clear()  # cheap to recompute; a bound, not a policy
        _CLOCKS[key] = read(db, *args)
    return _CLOCKS[key]


def _drop(args: tuple, drop: dict) -> tuple:
    return tuple(a for k, a in enumerate(args) if k not in drop)


def _headline(db: Database, memo, f: Filters, at: datetime, s, lang: str = "zh", previous: Filters | None = None):
    """``indicators.headline`` from its three windowed ``indicator_totals``, each cached by what it read."""
    now, before, year = (
        call(db, queries_trend.indicator_totals, c, {}, memo) for c in indicators.headline_totals(f, at, previous)
    )
    return indicators.comparison(now, before, year, s, lang, indicators.HEADLINE_KEYS)


COMPOSED: dict[str, Callable] = {"govdash.indicators.headline": _headline}


def call(db: Database, fn, args: tuple, kwargs: dict, memo: Callable[[str, tuple, Callable, tuple, dict], object]):
    """``fn(db, *args, **kwargs)`` through ``memo(name, version, fn, args, kwargs)`` (a cache keyed by its first
    two arguments and ``args``, that keeps no result of a call that raised): one row per period apart, windowed
    calls by what they read, any other by the version."""
    if name(fn) in COMPOSED and queries_fresh.logged(db):
        return COMPOSED[name(fn)](db, memo, *args, **kwargs)
    out = _periodic(db, fn, args, kwargs, memo)
    if out is not None:
        return out
    win = window_key(db, fn, args, kwargs)
    if win is None:
        return memo(name(fn), db.version(), fn, args, kwargs)
    key, drop = win
    return memo(name(fn), ("window", key), _with(fn, drop), _drop(args, drop), kwargs)


class _with:
    """``fn`` with the arguments the cache key leaves out (``drop``: position -> value) put back."""

    def __init__(self, fn, drop: dict):
        self.fn, self.drop = fn, drop
        self.__module__, self.__qualname__ = fn.__module__, fn.__qualname__

    def __call__(self, db, *args, **kwargs):
        full, rest = [], iter(args)
        for k in range(len(args) + len(self.drop)):
            full.append(self.drop[k] if k in self.drop else next(rest))
        return self.fn(db, *full, **kwargs)
