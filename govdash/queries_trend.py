"""Reads over time: trends, rankings, the open backlog, the case lifecycle, survey scores, the wall's live feed."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from govdash import queries_days, schema
from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.queries import (
    DISPUTE_CATEGORY,
    DUE_COUNTS,
    INDICATOR_SQL,
    JUDGED_AT,
    PERIODS,
    SPLITS,
    _attr_where,
    _rates,
    cutoff,
    due_rates,
    due_totals,
    scope_clause,
    where,
)
from govdash.schema import IMPORT_COLUMNS
from govdash.writes_days import HOURS

# --- trends and rankings ---
# Issue 4: trends, backlog, rankings, lifecycle, anomalies, survey. Flows (collected, resolved…)
# count a case in the period it was reported, like INDICATOR_SQL; stocks (open, overdue) are
# taken from timestamps at an instant, so a past month sees its own month-end state.

TREND_SQL = (
    INDICATOR_SQL
    + """,
    count(*) FILTER (WHERE category = $dispute) AS disputes,
    count(*) FILTER (WHERE category = $dispute AND resolved) AS disputes_resolved
"""
)
_OPEN_AT = "reported_at < $t AND (closed_at IS NULL OR closed_at >= $t)"  # open at instant $t
# TREND_SQL with every case's progress as it stood at instant $as_of (closed before it), from timestamps
AS_AT_KPI_SQL = """
    count(*) AS collected,
    count(*) FILTER (WHERE resolved AND closed_at < $as_of) AS resolved,
    count(*) FILTER (WHERE closed_at < $as_of) AS closed,
    count(*) FILTER (WHERE closed_at < $as_of AND closed_at <= deadline_at) AS closed_on_time,
    count(*) FILTER (WHERE resolved AND recognised AND closed_at < $as_of) AS recognised,
    count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= $as_of) AS open,
    count(*) FILTER (WHERE (closed_at IS NULL OR closed_at >= $as_of) AND deadline_at < $as_of) AS overdue,
    count(*) FILTER (WHERE closed_at < $as_of AND deadline_at IS NOT NULL) AS closed_due,
    count(*) FILTER (WHERE resolved AND recognised IS NOT NULL AND closed_at < $as_of) AS recognition_known,
    count(*) FILTER (WHERE (closed_at IS NULL OR closed_at >= $as_of) AND deadline_at IS NOT NULL) AS open_due,
    (quantile_cont(epoch(closed_at - reported_at) / 3600.0, [0.5, 0.9]) FILTER (WHERE closed_at < $as_of))[1]
        AS median_hours,  -- one list quantile for both, as in INDICATOR_SQL: same values, one pass
    (quantile_cont(epoch(closed_at - reported_at) / 3600.0, [0.5, 0.9]) FILTER (WHERE closed_at < $as_of))[2]
        AS p90_hours,
    avg(satisfaction) FILTER (WHERE closed_at < $as_of) AS satisfaction
"""
AS_AT_SQL = (
    AS_AT_KPI_SQL
    + """,
    count(*) FILTER (WHERE category = $dispute) AS disputes,
    count(*) FILTER (WHERE category = $dispute AND resolved AND closed_at < $as_of) AS disputes_resolved
"""
)
TIMELINE_COLUMNS = (
    "case_id",
    "reported_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "deadline_at",
    "town_id",
    "community_id",
    "grid_id",
    "category",
    "subcategory",
    "channel",
    "department_id",
    "tier",
    "status",
    "resolved",
    "recognised",
    "satisfaction",
    "key_difficult",
    "description",
    "address",
)


def _with_rates(df: pd.DataFrame) -> pd.DataFrame:
    out = _rates(df)
    out["dispute_rate"] = out["disputes_resolved"] / out["disputes"].where(out["disputes"] > 0)
    return out


def period_indicators(db: Database, f: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Counts and rates per period of reporting (and per ``split`` series), incl. dispute resolution."""
    unit = PERIODS[period]
    clause, params = where(f)
    series = f", {SPLITS[split]} AS series" if split else ""
    df = db.execute(
        f"SELECT date_trunc('{unit}', reported_at) AS period{series}, {TREND_SQL} "
        f"FROM cases WHERE {clause} GROUP BY ALL ORDER BY ALL",
        {**params, "as_of": at, "dispute": DISPUTE_CATEGORY},
        complete=True,
    )
    return _with_rates(df)


# how long each period of PERIODS is, as an SQL interval (the end of a period judged in ``due_by_period``)
PERIOD_LENGTH = {"day": "1 day", "week": "7 days", "month": "1 month", "quarter": "3 months", "year": "1 year"}


def due_by_period(db: Database, f: Filters, period: str, at: datetime) -> pd.DataFrame:
    """``queries.due_totals`` of every ``period`` from ``f.start`` to ``cutoff(f, at)`` in one grouped statement.

    A case falls in the period its judged instant (deadline, or closing when earlier) starts; each period is
    cut to ``f``'s dates and the cutoff, and only cases reported before its (cut) end count, exactly as
    ``due_totals`` of that period's own filter. One row per ``period`` with a case due (columns DUE_COUNTS
    and the judged rates); the caller gives a period without a row no rate.
    """
    unit = PERIODS[period]
    attr, params = _attr_where(f)
    p_end = cutoff(f, at)
    df = queries_days.due_by_period(db, f, period, p_end, at) if queries_days.usable(db, f) else None
    if df is None:
        df = _due_by_period(db, f, unit, attr, params, p_end, at)
    rates = ["on_time_rate", "resolution_rate", "recognition_rate", "dispute_rate"]
    return pd.DataFrame([due_rates(row) for row in df.to_dict("records")], columns=[*df.columns, *rates])


def _due_by_period(db: Database, f: Filters, unit: str, attr: str, params: dict, p_end: datetime, at: datetime):
    """due_by_period's counts over the cases (any filter)."""
    judged_in = f"date_trunc('{unit}', {JUDGED_AT})"
    return db.execute(
        f"SELECT {judged_in} AS period, {DUE_COUNTS.format(due='true')} FROM cases "
        f"WHERE {JUDGED_AT} >= $p_start AND {JUDGED_AT} < $p_end AND {attr} "
        f"AND reported_at < least({judged_in} + INTERVAL '{PERIOD_LENGTH[unit]}', $p_end) "
        "GROUP BY 1 ORDER BY 1",
        {
            **params,
            "p_start": datetime.combine(f.start, datetime.min.time()),
            "p_end": p_end,
            "as_of": at,
            "dispute": DISPUTE_CATEGORY,
        },
        complete=True,
    )


def closed_by_tier(db: Database, f: Filters, period: str) -> pd.DataFrame:
    """Closed cases per ``period`` of reporting and tier (``period``, ``series``, ``closed``), for every period with
    a case reported in it: lifecycle's tier shares (counts only, no median: read from the summary when it can)."""
    if queries_days.usable(db, f):
        return queries_days.closed_by_tier(db, f, period)
    clause, params = where(f)
    return db.execute(
        f"SELECT date_trunc('{PERIODS[period]}', reported_at) AS period, tier AS series, "
        f"count(*) FILTER (WHERE status = 'closed') AS closed FROM cases WHERE {clause} GROUP BY ALL ORDER BY ALL",
        params,
        complete=True,
    )


def split_indicators(db: Database, f: Filters, split: str, at: datetime) -> pd.DataFrame:
    """Counts and rates per town / department / category / channel / tier (column ``key``)."""
    clause, params = where(f)
    df = db.execute(
        f"SELECT {SPLITS[split]} AS key, {TREND_SQL} FROM cases WHERE {clause} GROUP BY 1 ORDER BY 1",
        {**params, "as_of": at, "dispute": DISPUTE_CATEGORY},
    )
    return _with_rates(df)


# per (unit, category): the events and exposures govdash.casemix standardises (one definition each, as INDICATOR_SQL)
CASEMIX_SQL = f"""
    count(*) AS collected,
    count(*) FILTER (WHERE resolved IS NOT TRUE) AS unresolved,
    count(*) FILTER (WHERE status = 'closed' AND deadline_at IS NOT NULL) AS closed_due,
    count(*) FILTER (WHERE status = 'closed' AND deadline_at IS NOT NULL AND NOT closed_at <= deadline_at) AS late,
    count(*) FILTER (WHERE resolved AND recognised IS NOT NULL) AS recognition_known,
    count(*) FILTER (WHERE resolved AND recognised = false) AS unrecognised,
    count(*) FILTER (WHERE category = $dispute) AS disputes,
    count(*) FILTER (WHERE category = $dispute AND resolved IS NOT TRUE) AS disputes_unresolved,
    count(closed_at) AS closed,
    coalesce(sum({HOURS}), 0) AS hours,
    coalesce(sum(({HOURS}) ** 2), 0) AS hours_sq,
    count(satisfaction) AS rated,
    coalesce(sum(100 - satisfaction), 0) AS shortfall,
    coalesce(sum((100 - satisfaction) ** 2), 0) AS shortfall_sq
"""


def split_by_category(db: Database, f: Filters, split: str) -> pd.DataFrame:
    """CASEMIX_SQL per town / department (column ``key``) and category, for the case-mix adjusted ranking."""
    if split == "town" and queries_days.casemix_usable(db, f):
        return queries_days.split_by_category(db, f)
    clause, params = where(f)
    return db.execute(
        f"SELECT {SPLITS[split]} AS key, category, {CASEMIX_SQL} FROM cases WHERE {clause} GROUP BY ALL ORDER BY ALL",
        {**params, "dispute": DISPUTE_CATEGORY},
        complete=True,
    )


def median_hours(db: Database, f: Filters) -> float:
    """Median hours from report to close over the filter's closed cases (NaN without any)."""
    clause, params = where(f)
    df = db.execute(
        f"SELECT median(epoch(closed_at - reported_at) / 3600.0) AS h FROM cases WHERE {clause} "
        "AND closed_at IS NOT NULL",
        params,
    )
    return float(df["h"].iloc[0]) if len(df) and df["h"].iloc[0] is not None else float("nan")


def indicator_totals(db: Database, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """Every indicator over the whole filter period, plus open and overdue cases at its end (``cutoff``).

    With ``as_at``, the cases' progress is taken as it stood at that instant (closed before it),
    so an earlier period can be compared at the same age as the current one.
    """
    clause, params = where(f)
    sql = TREND_SQL if as_at is None else AS_AT_SQL
    df = db.execute(
        f"SELECT {sql} FROM cases WHERE {clause}",
        {**params, "as_of": at if as_at is None else as_at, "dispute": DISPUTE_CATEGORY},
    )
    out = _with_rates(df).iloc[0].to_dict()
    return {**out, **stock(db, f, at), **due_totals(db, f, at, as_at)}


def stock(db: Database, f: Filters, at: datetime) -> dict:
    """在办（全部） ``backlog`` and 超期在办（全部） ``overdue_at_end``: the filter's cases open at its period's end
    (``cutoff``: now while the period runs), whenever reported, and those of them past their deadline. The one
    definition of both on the overview, the trends page and the wall (issue 19 item 3)."""
    if queries_days.usable(db, f):
        return queries_days.stock(db, f, cutoff(f, at))
    attr, params = _attr_where(f)
    df = db.execute(
        f"SELECT count(*) AS backlog, count(*) FILTER (WHERE deadline_at < $t) AS overdue_at_end "
        f"FROM cases WHERE {_OPEN_AT} AND {attr}",
        {**params, "t": cutoff(f, at)},
    )
    return {k: int(v) for k, v in df.iloc[0].to_dict().items()}


def open_backlog(db: Database, f: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Open cases at the end of each period from the filter's start to its end, whenever they were reported.

    A case is open at instant t when reported before t and not closed before t. The last period
    ends at ``cutoff(f, at)``. Computed as cumulative arrivals minus cumulative closures
    (arrivals before the first period fall into it), one pass over the cases; periods without
    any event still get a row. Cases closed before the first period are left out of the pass:
    they would add one arrival and one closure to it (why: at 10 M cases a 13-month window
    then aggregates ~5.7 M rows instead of all 10 M, 180 → 60 ms).
    """
    unit = PERIODS[period]
    attr, params = _attr_where(f)
    key = SPLITS[split] if split else "'all'"
    t = cutoff(f, at)
    first = datetime.combine(f.start, datetime.min.time())
    # every series with a case before t gets rows, also one whose cases all closed before the window
    series = (
        f"SELECT DISTINCT {key} AS series FROM cases WHERE reported_at < $t AND {attr}"
        if split
        else "SELECT DISTINCT series FROM c"
    )
    sql = f"""
        WITH c AS (SELECT {key} AS series, reported_at AS r, closed_at AS cl FROM cases
                   WHERE reported_at < $t AND (closed_at IS NULL OR closed_at >= $first) AND {attr}),
        ev AS (
            SELECT series, date_trunc('{unit}', greatest(r, $first)) AS period, count(*) AS n FROM c GROUP BY ALL
            UNION ALL
            SELECT series, date_trunc('{unit}', greatest(cl, r, $first)), -count(*) FROM c WHERE cl < $t GROUP BY ALL),
        p AS (SELECT period FROM generate_series(date_trunc('{unit}', $first::TIMESTAMP),
                                                 $t::TIMESTAMP - INTERVAL 1 MICROSECOND, INTERVAL 1 {unit}) g(period)),
        s AS ({series}),
        net AS (SELECT series, period, sum(n) AS n FROM ev GROUP BY ALL)
        SELECT p.period, s.series,
               sum(coalesce(net.n, 0)) OVER (PARTITION BY s.series ORDER BY p.period)::BIGINT AS backlog
        FROM p CROSS JOIN s LEFT JOIN net ON net.period = p.period AND net.series IS NOT DISTINCT FROM s.series
        ORDER BY s.series, p.period
    """
    if t <= first:
        return pd.DataFrame({"period": pd.Series(dtype="datetime64[us]"), "backlog": pd.Series(dtype="int64")})
    if not split and queries_days.usable(db, f):
        return queries_days.open_backlog(db, f, period, t, first)
    df = db.execute(sql, {**params, "t": t, "first": first}, complete=True)
    if df.empty:  # nothing ever reported in the selection: zero backlog in every period
        periods = db.execute(
            f"SELECT period FROM generate_series(date_trunc('{unit}', $first::TIMESTAMP), "
            f"$t::TIMESTAMP - INTERVAL 1 MICROSECOND, INTERVAL 1 {unit}) g(period)",
            {"first": first, "t": t},
        )
        df = periods.assign(series="all", backlog=0)
    return df if split else df.drop(columns="series")


def open_cases(
    db: Database, f: Filters, at: datetime, *, overdue_only: bool = False, limit: int = 20, most_overdue: bool = False
) -> pd.DataFrame:
    """Cases open at the filter period's end (``cutoff``), oldest first (``most_overdue``: longest overdue first),
    with age and days overdue."""
    attr, params = _attr_where(f)
    overdue = " AND deadline_at < $t" if overdue_only else ""
    order = "greatest(deadline_at, reported_at), case_id" if most_overdue else "reported_at, case_id"
    sql = f"""
        SELECT case_id, reported_at, deadline_at, town_id, community_id, category, subcategory, channel,
               department_id, tier, key_difficult,
               CASE WHEN handled_at < $t THEN 'handling' WHEN dispatched_at < $t THEN 'dispatched'
                    ELSE 'registered' END AS stage,
               epoch($t - reported_at) / 86400.0 AS age_days,
               CASE WHEN deadline_at < $t THEN epoch($t - greatest(deadline_at, reported_at)) / 86400.0
                    END AS overdue_days  -- never longer than the case is old (a 0001 deadline)
        FROM cases WHERE {_OPEN_AT} AND {attr}{overdue}
        ORDER BY {order} LIMIT $limit
    """
    return db.execute(sql, {**params, "t": cutoff(f, at), "limit": int(limit)}, max_rows=limit)


def overdue_per_unit(db: Database, f: Filters, at: datetime, level: str) -> pd.DataFrame:
    """unit_id, overdue: per street/town (``level`` "town") or 居村 ("community"), the cases ``open_cases`` lists
    with ``overdue_only`` (open and past their deadline at the period's end), counted in the database."""
    attr, params = _attr_where(f)
    column = {"town": "town_id", "community": "community_id"}[level]
    return db.execute(
        f"""SELECT {column} AS unit_id, count(*) AS overdue FROM cases
            WHERE {_OPEN_AT} AND {attr} AND deadline_at < $t GROUP BY 1 ORDER BY 1""",
        {**params, "t": cutoff(f, at)},
        complete=True,
    )


def case_timeline(db: Database, case_id: str, *, scope: Scope | None = None) -> pd.DataFrame:
    """One case's lifecycle times and attributes (no personal data: no complainant name or phone)."""
    cols = ", ".join(f"c.{c}" for c in TIMELINE_COLUMNS)
    sc, params = scope_clause(scope, "cases", "c")
    return db.execute(
        f"SELECT {cols}, k.name_zh AS subcategory_zh, k.name_en AS subcategory_en FROM cases c "
        "LEFT JOIN categories k ON k.category = c.category AND k.subcategory = c.subcategory "
        f"WHERE c.case_id = $id AND {sc}",
        {**params, "id": case_id},
    )


def lifecycle_stages(db: Database, f: Filters) -> dict:
    """How far the cases reported in the period got, and median / P90 hours between stages."""
    clause, params = where(f)
    h = "epoch({b} - {a}) / 3600.0"
    legs = {
        "dispatch": ("reported_at", "dispatched_at"),
        "handle": ("dispatched_at", "handled_at"),
        "close": ("handled_at", "closed_at"),
        "total": ("reported_at", "closed_at"),
    }
    stats = ", ".join(
        f"median({h.format(a=a, b=b)}) AS {k}_median, quantile_cont({h.format(a=a, b=b)}, 0.9) AS {k}_p90"
        for k, (a, b) in legs.items()
    )
    sql = f"""
        SELECT count(*) AS registered,
               count(*) FILTER (WHERE dispatched_at IS NOT NULL OR handled_at IS NOT NULL OR status <> 'registered')
                   AS dispatched,
               count(*) FILTER (WHERE handled_at IS NOT NULL OR status IN ('handling', 'closed')) AS handled,
               count(*) FILTER (WHERE status = 'closed') AS closed,
               count(*) FILTER (WHERE resolved) AS resolved,
               count(*) FILTER (WHERE resolved AND recognised) AS recognised,
               {stats}
        FROM cases WHERE {clause}
    """
    return db.execute(sql, params).iloc[0].to_dict()


def daily_counts(db: Database, f: Filters, keys: tuple[str, ...] = ("category", "town")) -> pd.DataFrame:
    """Cases per reporting day and series (``keys`` from SPLITS; columns named by their SQL column)."""
    cols = ", ".join(SPLITS[k] for k in keys)
    clause, params = where(f)
    days = (f.end - f.start).days + 1  # at most one row per day and combination of the keys' values
    return db.execute(
        f"SELECT reported_at::DATE AS date, {cols}, count(*) AS count FROM cases WHERE {clause} "
        "GROUP BY ALL ORDER BY ALL",
        params,
        max_rows=max(days, 1) * _series_bound(db, keys),
        complete=True,
    )


def _series_bound(db: Database, keys: tuple[str, ...]) -> int:
    """How many combinations of the ``keys``' values there can be (each with NULL), from the catalogues."""
    n = {
        "town": "SELECT count(*) FROM units WHERE level = 'town'",
        "department": "SELECT count(*) FROM departments",
        "category": "SELECT count(*) FROM (SELECT category FROM categories UNION SELECT category FROM category_names)",
        "channel": "SELECT count(*) FROM channels",
    }
    bound = 1
    for k in keys:
        size = len(schema.TIERS) if k == "tier" else int(db.scalar(n[k]) or 0)
        bound *= size + 1  # why + 1: NULL, and imported values outside the catalogue fall into one more series
    return bound


def survey_scores(db: Database, *, scope: Scope | None = None) -> pd.DataFrame:
    """The satisfaction survey: score per street/town, quarter ('2026Q3') and dimension."""
    sc, params = scope_clause(scope, "survey", "s")
    return db.execute(
        "SELECT s.town_id, coalesce(u.name_zh, s.town_id) AS name_zh, s.quarter, s.dimension, s.score "
        "FROM satisfaction_survey s LEFT JOIN units u ON u.unit_id = s.town_id AND u.level = 'town' "
        f"WHERE {sc} ORDER BY s.quarter, s.town_id, s.dimension",
        params,
    )


def governance_scores(db: Database) -> pd.DataFrame:
    """The social governance index: score per year and sub-domain ('overall' and 'progress' included)."""
    return db.execute("SELECT year, subdomain, score FROM governance_index ORDER BY year, subdomain")


# --- wall screen and live feed ---
# Issue 7. The feed reads these under the writer lock and writes through govdash.ingest; the demo
# clock (meta 'as_of') is set by govdash.writes.


def coverage_inputs_version(db: Database) -> tuple:
    """A fingerprint of the cells and stations tables: changes only when either's content changes (a cache key)."""
    df = db.execute(
        "SELECT (SELECT count(*) FROM cells) AS n_cells, "
        "(SELECT bit_xor(hash(cell_id, x, y, residents)) FROM cells) AS h_cells, "
        "(SELECT count(*) FROM stations) AS n_stations, "
        "(SELECT bit_xor(hash(station_id, lon, lat, f_party, f_gov, f_culture, f_joint, f_clinic)) "
        "FROM stations) AS h_stations"
    )
    return tuple(None if pd.isna(v) else int(v) for v in df.iloc[0])


def feed_templates(db: Database, since: datetime, n: int, salt: int) -> pd.DataFrame:
    """``n`` cases reported since ``since`` (a pseudo-random pick by ``salt``): models for new feed cases."""
    return db.execute(
        "SELECT channel, category, subcategory, description, complainant_name, complainant_phone, "
        "address, lon, lat, department_id, tier FROM cases WHERE reported_at >= $since "
        "AND lon IS NOT NULL ORDER BY hash(case_id, $salt) LIMIT $n",
        {"since": since, "n": int(n), "salt": int(salt)},
        max_rows=n,
    )


def feed_open_cases(db: Database, n: int, salt: int) -> pd.DataFrame:
    """``n`` open cases (a pseudo-random pick by ``salt``) with every importable column, for status changes."""
    return db.execute(
        f"SELECT case_id, {', '.join(IMPORT_COLUMNS)} FROM cases WHERE status <> 'closed' "
        "ORDER BY hash(case_id, $salt) LIMIT $n",
        {"n": int(n), "salt": int(salt)},
        max_rows=n,
    )
