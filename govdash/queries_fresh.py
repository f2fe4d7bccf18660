"""Reads that say whether a cached figure is still right (govdash.freshness): the write log over the months and
streets/towns a filter reads, and the case times the data clock has passed within it."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from govdash.db import Database
from govdash.filters import Filters
from govdash.queries import JUDGED_AT, _attr_where, cutoff


def logged(db: Database) -> bool:
    """Whether the database keeps a write log with anything in it (a file made before it has none)."""
    has = db.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'case_writes' AND database_name = current_database()"
    )
    return bool(has) and bool(db.scalar("SELECT count(*) > 0 FROM case_writes"))


def written(db: Database, first: date, last: date, towns: tuple[str, ...] | None) -> tuple:
    """The commits that can have changed a figure over the months from ``first`` to ``last`` of the streets/towns
    ``towns`` (None: the whole district, cases without a street/town included): how many spans, the last
    commit's ``seq`` and wall-clock time. Equal before and after a write only if the write touched none of them."""
    month = lambda d: date(d.year, d.month, 1)  # noqa: E731
    where = "" if towns is None else " AND (town_id IN (SELECT unnest($towns)))"
    df = db.execute(
        "SELECT count(*) AS n, max(seq) AS seq, max(written_at) AS at FROM case_writes "
        f"WHERE month_from <= $last AND (month_to IS NULL OR month_to >= $first){where}",
        {"first": month(first), "last": month(last)} | ({} if towns is None else {"towns": list(towns)}),
    )
    n, seq, at = df.iloc[0]
    return int(n), None if n == 0 else int(seq), None if n == 0 else str(at)


# the cases whose figures the data clock can still move without a write: open ones, and those closed at or after it
_MOVING = "(status <> 'closed' OR closed_at >= $at)"
# The cases a window reads, in disjoint parts each bounded on one stored time, so that DuckDB skips the row groups
# outside it (cases are stored by month; an OR over two columns reads every row). Reported in [start, end):
_REPORTED_IN = "reported_at >= $start AND reported_at < $end"
# judged on or after start: by a deadline on or after it, or, without a deadline, by a closing on or after it
_JUDGED_FROM = (
    f"deadline_at >= $start AND {JUDGED_AT} >= $start",
    "deadline_at IS NULL AND closed_at >= $start",
)


def clock_passed(db: Database, f: Filters, at: datetime) -> tuple[int, int]:
    """Of the cases reported in ``f`` or falling due in it (before its cutoff) that are open or closed at or after
    ``at``: how many are past their deadline at ``at``, and how many are closed at or after it. Between writes
    these change only when the data clock passes one of those times, the only way a windowed figure depends on
    ``at`` (or on an ``as_at``) beyond its cutoff."""
    attr, params = _attr_where(f)
    counts = "count(*) FILTER (WHERE deadline_at < $at) AS overdue, count(*) FILTER (WHERE closed_at >= $at) AS closed"
    df = db.execute(
        "SELECT sum(overdue) AS overdue, sum(closed) AS closed FROM ("
        + " UNION ALL ".join(
            f"SELECT {counts} FROM cases WHERE {part} AND {attr} AND {_MOVING}"
            for part in (_REPORTED_IN, *(f"reported_at < $start AND reported_at < $end AND {j}" for j in _JUDGED_FROM))
        )
        + ")",
        {**params, "at": at, "end": cutoff(f, at), "start": datetime.combine(f.start, datetime.min.time())},
    )
    return int(df["overdue"].iloc[0] or 0), int(df["closed"].iloc[0] or 0)


def written_each(db: Database, spans: list[tuple[date, date]], towns: tuple[str, ...] | None) -> list[tuple]:
    """``written`` of each (first, last) day span of ``spans``, in one statement."""
    month = lambda d: date(d.year, d.month, 1)  # noqa: E731
    where = "" if towns is None else " AND c.town_id IN (SELECT unnest($towns))"
    df = db.execute(
        "WITH w AS (SELECT unnest($k) AS k, unnest($first) AS first, unnest($last) AS last) "
        "SELECT w.k, count(c.seq) AS n, max(c.seq) AS seq, max(c.written_at) AS at FROM w LEFT JOIN case_writes c "
        f"ON c.month_from <= w.last AND (c.month_to IS NULL OR c.month_to >= w.first){where} GROUP BY w.k ORDER BY w.k",
        {
            "k": list(range(len(spans))),
            "first": [month(a) for a, _ in spans],
            "last": [month(b) for _, b in spans],
        }
        | ({} if towns is None else {"towns": list(towns)}),
        complete=True,
    )
    return [
        (int(n), None if n == 0 else int(s), None if n == 0 else str(a)) for _, n, s, a in df.itertuples(index=False)
    ]


def clock_each(db: Database, f: Filters, unit: str, at: datetime) -> dict:
    """``clock_passed`` by ``unit`` period of ``f`` (date_trunc), in one statement: per period start, the counts
    over the cases reported in it and over those falling due in it (a case relevant to a period is in one or both)."""
    attr, params = _attr_where(f)
    bounds = {"start": datetime.combine(f.start, datetime.min.time()), "end": cutoff(f, at)}
    counts = "count(*) FILTER (WHERE deadline_at < $at), count(*) FILTER (WHERE closed_at >= $at)"
    attr += f" AND {_MOVING}"
    df = db.execute(
        f"SELECT date_trunc('{unit}', reported_at) AS p, 'reported' AS by, {counts} FROM cases "
        f"WHERE {_REPORTED_IN} AND {attr} GROUP BY 1 "
        f"UNION ALL SELECT date_trunc('{unit}', judged), 'due', count(*) FILTER (WHERE o), count(*) FILTER (WHERE c) "
        "FROM ("
        + " UNION ALL ".join(
            f"SELECT {JUDGED_AT} AS judged, deadline_at < $at AS o, closed_at >= $at AS c FROM cases "
            f"WHERE {j} AND {JUDGED_AT} < $end AND reported_at < $end AND {attr}"
            for j in _JUDGED_FROM
        )
        + ") GROUP BY 1",
        {**params, **bounds, "at": at},
        complete=True,
    )
    out: dict = {}
    for p, by, overdue, closed in df.itertuples(index=False):
        out.setdefault(pd.Timestamp(p), {})[by] = (int(overdue), int(closed))
    return out
