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

``PIECES``: a result assembled from windowed pieces (the trend table: its whole past periods, then the current
one), each cached apart, so a write in the current period recomputes the current period only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd

from govdash import indicators, queries, queries_fresh
from govdash.db import Database
from govdash.filters import Filters

# qualified name -> position of the data time ``at`` among the arguments after ``db`` (the filter comes first)
WINDOWED = {
    "govdash.indicators.period_rows": 2,  # (f, period, at, split): without a split
    "govdash.queries.kpis": 1,  # (f, at)
    "govdash.queries.due_totals": 1,  # (f, at, as_at): without as_at
    "govdash.queries_trend.indicator_totals": 1,  # (f, at, as_at): without as_at
}
_ONLY_WITHOUT = {"govdash.indicators.period_rows": 3, "govdash.queries.due_totals": 2}
_ONLY_WITHOUT["govdash.queries_trend.indicator_totals"] = 2


def name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def window_key(db: Database, fn, args: tuple, kwargs: dict) -> tuple[tuple, int] | None:
    """``(key, i)`` for a windowed call ``fn(db, *args, **kwargs)``: the key replacing the database version, ``i``
    the position of ``at`` in ``args`` (left out of the key). None: key it by the version (not windowed, a split
    or an ``as_at``, or no write log)."""
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
    towns = tuple(sorted(f.towns)) or None  # a finer filter or a scope reads less: keyed by its streets/towns
    return (
        queries_fresh.written(db, f.start, f.end, towns),
        queries.cutoff(f, at),
        queries_fresh.clock_passed(db, f, at),
    ), i


# results assembled from windowed pieces: qualified name -> (pieces of the arguments, how the pieces combine)
def _trend_pieces(f: Filters, period: str, at: datetime, split: str | None = None):
    if split is not None:
        return None
    return [(indicators.period_rows, (w, period, at)) for w in indicators.trend_pieces(f, period, at)]


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty] or parts[:1]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


PIECES: dict[str, tuple[Callable, Callable]] = {"govdash.indicators.trend_table": (_trend_pieces, _concat)}


def pieces(fn, args: tuple, kwargs: dict):
    """``(calls, combine)`` when ``fn(*args)`` is assembled from windowed calls, else None."""
    entry = PIECES.get(name(fn))
    if entry is None or kwargs:
        return None
    calls = entry[0](*args)
    return None if calls is None else (calls, entry[1])


def call(db: Database, fn, args: tuple, kwargs: dict, memo: Callable[[str, tuple, Callable, tuple, dict], object]):
    """``fn(db, *args, **kwargs)`` through ``memo(name, version, fn, args, kwargs)`` (a cache keyed by its first
    two arguments and ``args``): pieces apart, windowed calls by what they read, any other by the version."""
    split = pieces(fn, args, kwargs)
    if split is not None:
        calls, combine = split
        return combine([call(db, g, a, {}, memo) for g, a in calls])
    win = window_key(db, fn, args, kwargs)
    if win is None:
        return memo(name(fn), db.version(), fn, args, kwargs)
    key, i = win
    return memo(name(fn), ("window", key), _with_at(fn, i, args[i]), (*args[:i], *args[i + 1 :]), kwargs)


class _with_at:
    """``fn`` with the data time put back at position ``i`` (the cache key leaves it out)."""

    def __init__(self, fn, i: int, at: datetime):
        self.fn, self.i, self.at = fn, i, at
        self.__module__, self.__qualname__ = fn.__module__, fn.__qualname__

    def __call__(self, db, *args, **kwargs):
        return self.fn(db, *args[: self.i], self.at, *args[self.i :], **kwargs)
