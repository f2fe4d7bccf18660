"""The bench-only SQL: the floor statements, the naive peer's load, the typical filter values, an import sample.

The "floor" is the best single hand-written statement per page over the base tables (no rollups,
no caches); the naive baselines start from whole tables loaded into pandas once. The statements
reuse the product's SQL fragments and filter clauses from ``govdash.queries`` so both sides count alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from govdash.db import Database
from govdash.filters import Filters
from govdash.queries import (
    CASE_COLUMNS,
    COUNTS_SQL,
    DUE_SQL,
    INDICATOR_SQL,
    LEVEL_COLUMN,
    ORDERS,
    PERIODS,
    _area,
    _attr_where,
    cutoff,
    where,
)
from govdash.queries_map import _bbox_clause, bin_frame
from govdash.queries_trend import AS_AT_KPI_SQL, AS_AT_SQL, DISPUTE_CATEGORY, TREND_SQL
from govdash.schema import IMPORT_COLUMNS

# free text and personal data stay out of the naive frame: with them 10 M cases took > 19 GB to load
TEXT_COLUMNS = ("description", "address", "complainant_name", "complainant_phone")
COLUMNS = {
    "cases": (*(c for c in CASE_COLUMNS if c not in TEXT_COLUMNS), "lon", "lat"),
    "units": (
        "unit_id",
        "level",
        "parent_id",
        "town_id",
        "community_id",
        "name_zh",
        "name_en",
        "kind",
        "area_km2",
        "residents",
        "lon",
        "lat",
        "geom",
    ),
}


def table(db: Database, table: str, start: datetime | None = None, end: datetime | None = None) -> pd.DataFrame:
    """Rows of ``cases`` (reported in [start, end) when given) or ``units``: the naive dashboard's load."""
    if start is None or end is None:
        return _whole(db.stream(f"SELECT {', '.join(COLUMNS[table])} FROM {table}"))
    return _whole(
        db.stream(
            f"SELECT {', '.join(COLUMNS[table])} FROM {table} "
            "WHERE reported_at >= $start AND reported_at < $end ORDER BY reported_at, case_id",
            {"start": start, "end": end},
        )
    )


def _whole(batches) -> pd.DataFrame:
    """Every batch of ``Database.stream`` as one frame (the naive peer loads whole tables, at any size)."""
    parts = list(batches)
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def pick(db: Database) -> dict[str, str | None]:
    """Typical filter values: the busiest town, its busiest community, the busiest category."""
    df = db.execute("""
        WITH t AS (SELECT town_id FROM cases WHERE town_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
        SELECT (SELECT town_id FROM t) AS town,
               (SELECT community_id FROM cases WHERE town_id = (SELECT town_id FROM t) AND community_id IS NOT NULL
                GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS community,
               (SELECT category FROM cases WHERE category IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
                AS category""")
    return df.iloc[0].to_dict()


def floor_overview(db: Database, f: Filters, at: datetime, trend_start: date, as_at_prev: datetime) -> pd.DataFrame:
    """Overview in one statement: indicators now and before (as it stood at ``as_at_prev``), collected per
    month since ``trend_start``, per town.

    ``part`` is now | before | month | town. (UNION ALL of four aggregates beat one scan with
    GROUPING SETS, whose holistic quantiles cost 1.6× more at 10 M cases.)
    """
    clause, params = where(f.with_(start=min(f.previous().start, trend_start)))
    day = lambda d: datetime.combine(d, datetime.min.time())  # noqa: E731
    n = INDICATOR_SQL.count(" AS ")  # the indicator columns, filled with NULL in the monthly part
    return db.execute(
        f"""
        SELECT 'now' AS part, NULL::TIMESTAMP AS period, NULL::VARCHAR AS town, {INDICATOR_SQL}
        FROM cases WHERE {clause} AND reported_at >= $now
        UNION ALL SELECT 'before', NULL, NULL, {AS_AT_KPI_SQL.replace("$as_of", "$as_at_prev")}
        FROM cases WHERE {clause} AND reported_at >= $before AND reported_at < $now
        UNION ALL SELECT 'month', date_trunc('month', reported_at), NULL, count(*), {", ".join(["NULL"] * (n - 1))}
        FROM cases WHERE {clause} AND reported_at >= $trend GROUP BY 2
        UNION ALL SELECT 'town', NULL, town_id, {COUNTS_SQL}
        FROM cases WHERE {clause} AND reported_at >= $now GROUP BY 3""",
        {
            **params,
            "as_of": at,
            "as_at_prev": as_at_prev,
            "now": day(f.start),
            "before": day(f.previous().start),
            "trend": day(trend_start),
        },
    )


def floor_due(db: Database, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """The judged rates' counts over the cases due in f's period (the product's DUE_SQL, one statement of its
    own beside each page's: the cases due are not a slice of the reported period)."""
    attr, params = _attr_where(f)
    return (
        db.execute(
            f"SELECT {DUE_SQL} FROM cases WHERE reported_at < $p_end AND {attr}",
            {
                **params,
                "p_start": datetime.combine(f.start, datetime.min.time()),
                "p_end": cutoff(f, at),
                "as_of": as_at or at,
                "dispute": DISPUTE_CATEGORY,
            },
        )
        .iloc[0]
        .to_dict()
    )


def floor_due_by_month(db: Database, w: Filters, at: datetime) -> pd.DataFrame:
    """The trend table's judged counts per month, one statement: each case in the month it is judged in (the
    earlier of its closure and its deadline), within w's dates and before the cutoff; reported before its
    month's end; state as at ``at`` (indicators.judged asks queries.due_totals once per month)."""
    attr, params = _attr_where(w)
    judged = "least(coalesce(closed_at, deadline_at), deadline_at)"
    done = "closed_at < $as_of"
    return db.execute(
        f"""
        WITH j AS (
            SELECT *, date_trunc('month', {judged}) AS period FROM cases
            WHERE {judged} >= $w_start AND {judged} < $w_end AND {attr})
        SELECT period, count(*) AS due,
            count(*) FILTER (WHERE {done} AND closed_at <= deadline_at) AS due_on_time,
            count(*) FILTER (WHERE {done} AND resolved) AS due_resolved,
            count(*) FILTER (WHERE category = $dispute) AS due_disputes,
            count(*) FILTER (WHERE category = $dispute AND {done} AND resolved) AS due_disputes_resolved
        FROM j WHERE reported_at < least(period + INTERVAL 1 MONTH, $w_end) GROUP BY period""",
        {
            **params,
            "w_start": datetime.combine(w.start, datetime.min.time()),
            "w_end": cutoff(w, at),
            "as_of": at,
            "dispute": DISPUTE_CATEGORY,
        },
    )


def floor_map(db: Database, f: Filters, at: datetime, level: str, quantiles: bool = True) -> pd.DataFrame:
    """Units of ``level`` in the filter's area with their indicators and polygons, one statement."""
    clause, params = where(f, alias="c")
    area_clause, area_params = _area(f, level)
    columns = INDICATOR_SQL if quantiles else COUNTS_SQL
    return db.execute(
        f"""
        WITH s AS (SELECT c.{LEVEL_COLUMN[level]} AS unit_id, {columns} FROM cases c WHERE {clause} GROUP BY 1)
        SELECT u.unit_id, u.name_zh, u.residents, u.lon, u.lat, u.geom, s.* EXCLUDE (unit_id)
        FROM units u LEFT JOIN s USING (unit_id) WHERE u.level = $level {area_clause} ORDER BY u.unit_id""",
        {**params, **area_params, "as_of": at, "level": level},
    )


def floor_heat(db: Database, f: Filters, cell_m: float, bbox) -> pd.DataFrame:
    """Case counts per square bin of ``cell_m`` metres inside ``bbox`` (as ``heat_bins``), then one row
    whose ``total`` counts every filtered case (as ``case_count``), one statement."""
    clause, params = where(f)
    box_sql, box_params = _bbox_clause(bbox)
    return db.execute(
        f"""
        SELECT floor((lon - $lon0) * $mx / $cell)::BIGINT AS bx, floor((lat - $lat0) * $my / $cell)::BIGINT AS by,
               count(*) AS count, NULL::BIGINT AS total
        FROM cases WHERE {clause} AND lon IS NOT NULL AND lat IS NOT NULL{box_sql} GROUP BY ALL
        UNION ALL SELECT NULL, NULL, NULL, count(*) FROM cases WHERE {clause}
        ORDER BY total NULLS FIRST""",
        {**params, **box_params, **bin_frame(db).params(), "cell": float(cell_m)},
        complete=True,
    )


def floor_trends(
    db: Database,
    f: Filters,
    at: datetime,
    period: str,
    *,
    prev: Filters,
    yb: Filters,
    as_at_prev: datetime,
    as_at_yb: datetime,
    window: Filters,
) -> pd.DataFrame:
    """The trends page in one statement: ``indicator_totals`` of f (part now), of prev and yb as they
    stood at ``as_at_*``, their stocks at each cutoff (part stock: s0..s5 = backlog, overdue_at_end of
    now, prev, yb), ``period_indicators`` over ``window`` (part period) and ``open_backlog`` (part backlog)."""
    unit = PERIODS[period]
    clause, params = where(f)
    attr = clause.split(" AND ", 2)[2]  # the list filters and scope, without where()'s two date bounds
    del params["start"], params["end_excl"]
    day = lambda d: datetime.combine(d, datetime.min.time())  # noqa: E731
    # a 365-day period's previous period is the year before (as the page, computed once; part prev serves both)
    own_yb = yb != prev
    for key, g in (("f", f), ("p", prev), ("y", yb), ("w", window)):
        if key != "y" or own_yb:
            params |= {f"{key}0": day(g.start), f"{key}1": day(g.end + timedelta(days=1))}
    params |= {
        "as_of": at,
        "dispute": DISPUTE_CATEGORY,
        "as_at_prev": as_at_prev,
        "tn": cutoff(f, at),
        "tp": cutoff(prev, at),
        "ty": cutoff(yb, at),
        "tw": cutoff(window, at),
        "first": day(window.start),
    } | ({"as_at_yb": as_at_yb} if own_yb else {})
    null = lambda n: ", ".join(["NULL"] * n)  # noqa: E731
    k = TREND_SQL.count(" AS ")  # the indicator columns of each part
    stocks = ", ".join(
        f"count(*) FILTER (WHERE reported_at < ${t} AND (closed_at IS NULL OR closed_at >= ${t}){d})"
        for t in ("tn", "tp", "ty")
        for d in ("", f" AND deadline_at < ${t}")
    )
    yb_part = (
        ""
        if not own_yb
        else f"""
        UNION ALL SELECT 'yb', NULL, {AS_AT_SQL.replace("$as_of", "$as_at_yb")}, {null(7)}
        FROM a WHERE reported_at >= $y0 AND reported_at < $y1"""
    )
    return db.execute(
        f"""
        WITH a AS (SELECT * FROM cases WHERE {attr}),
        ev AS (SELECT date_trunc('{unit}', greatest(reported_at, $first)) AS period, count(*) AS n
               FROM a WHERE reported_at < $tw GROUP BY 1
               UNION ALL SELECT date_trunc('{unit}', greatest(closed_at, reported_at, $first)), -count(*)
               FROM a WHERE reported_at < $tw AND closed_at < $tw GROUP BY 1),
        p AS (SELECT period FROM generate_series(date_trunc('{unit}', $first::TIMESTAMP),
                                                 $tw::TIMESTAMP - INTERVAL 1 MICROSECOND, INTERVAL 1 {unit}) g(period)),
        bl AS (SELECT p.period, (sum(coalesce(sum(ev.n), 0)) OVER (ORDER BY p.period))::BIGINT AS backlog
               FROM p LEFT JOIN ev USING (period) GROUP BY p.period)
        SELECT 'now' AS part, NULL::TIMESTAMP AS period, {TREND_SQL}, NULL::BIGINT AS backlog,
               {", ".join(f"NULL::BIGINT AS s{i}" for i in range(6))}
        FROM a WHERE reported_at >= $f0 AND reported_at < $f1
        UNION ALL SELECT 'prev', NULL, {AS_AT_SQL.replace("$as_of", "$as_at_prev")}, {null(7)}
        FROM a WHERE reported_at >= $p0 AND reported_at < $p1
        {yb_part}
        UNION ALL SELECT 'period', date_trunc('{unit}', reported_at), {TREND_SQL}, {null(7)}
        FROM a WHERE reported_at >= $w0 AND reported_at < $w1 GROUP BY 2
        UNION ALL SELECT 'stock', NULL, {null(k + 1)}, {stocks} FROM a WHERE reported_at < $tn
        UNION ALL SELECT 'backlog', period, {null(k)}, backlog, {null(6)} FROM bl""",
        params,
        complete=True,
    )


def floor_cases(db: Database, f: Filters, limit: int) -> pd.DataFrame:
    """The newest ``limit`` filtered cases, then one row whose ``total`` counts them all, one statement.

    (A scalar count subquery in the select list made DuckDB give up its top-N: 30× slower.)
    """
    clause, params = where(f)
    blanks = ", ".join("NULL" for _ in CASE_COLUMNS)
    return db.execute(
        f"""
        SELECT * FROM (SELECT NULL::BIGINT AS total, {", ".join(CASE_COLUMNS)} FROM cases WHERE {clause}
                       ORDER BY {ORDERS["newest"]} LIMIT $limit)
        UNION ALL SELECT count(*), {blanks} FROM cases WHERE {clause}
        ORDER BY total NULLS FIRST, {ORDERS["newest"]}""",
        {**params, "limit": int(limit)},
        max_rows=limit + 1,
    )


def sample(db: Database, n: int) -> pd.DataFrame:
    """The newest ``n`` cases with every importable column (an import file for the bench)."""
    return db.execute(
        f"SELECT case_id, {', '.join(IMPORT_COLUMNS)} FROM cases ORDER BY reported_at DESC, case_id LIMIT $n",
        {"n": int(n)},
        max_rows=int(n),
    )
