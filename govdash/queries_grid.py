"""Reads for grid management: grid workers, patrol coverage, 主动发现率 (cases found on patrol) and workloads."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from govdash.db import Database
from govdash.filters import Filters
from govdash.indicators import GRID_KEYS
from govdash.queries import LEVEL_COLUMN, _area, where
from govdash.schema import PATROL_CHANNELS


def _period(f: Filters) -> dict:
    return {
        "p_start": datetime.combine(f.start, datetime.min.time()),
        "p_end": datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    }


def recorded(db: Database) -> dict[str, int]:
    """How many grid workers and patrols the database holds (0 for a file made before their tables)."""
    have = set(
        db.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND table_name IN ('grid_workers', 'patrols')"
        )["table_name"]
    )
    out = {"workers": 0, "patrols": 0}
    if "grid_workers" in have:
        out["workers"] = int(db.execute("SELECT count(*) AS n FROM grid_workers")["n"].iloc[0])
    if "patrols" in have:
        out["patrols"] = int(db.execute("SELECT count(*) AS n FROM patrols")["n"].iloc[0])
    return out


def patrol_days(db: Database, f: Filters, at: datetime) -> list[date]:
    """The days of the filter's period on which patrols can have been recorded: from the first patrol on record
    (or the period's start, if later) to the as-of day ``at`` (or the period's end, if earlier)."""
    first = db.execute("SELECT CAST(min(started_at) AS DATE) AS d FROM patrols")["d"].iloc[0]
    if first is None or pd.isna(first):
        return []
    lo, hi = max(f.start, pd.Timestamp(first).date()), min(f.end, at.date())
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def daily_coverage(db: Database, f: Filters, at: datetime) -> pd.DataFrame:
    """Per day of ``patrol_days``: day, grids (in the filter's area), patrolled (grids with at least one patrol
    started that day) and share (patrolled ÷ grids)."""
    days = patrol_days(db, f, at)
    area, area_params = _area(f, "grid")
    grids = int(
        db.execute(f"SELECT count(*) AS n FROM units u WHERE u.level = 'grid' {area}", area_params)["n"].iloc[0]
    )
    got = db.execute(
        f"""SELECT CAST(p.started_at AS DATE) AS day, count(DISTINCT p.grid_id) AS patrolled
        FROM patrols p JOIN units u ON u.level = 'grid' AND u.unit_id = p.grid_id {area}
        WHERE p.started_at >= $p_start AND p.started_at < $p_end GROUP BY 1""",
        {**area_params, **_period(f)},
    )
    patrolled = pd.Series(got["patrolled"].to_numpy(), index=[pd.Timestamp(d).date() for d in got["day"]])
    out = pd.DataFrame({"day": days, "grids": grids})
    out["patrolled"] = patrolled.reindex(days).fillna(0).astype(int).to_numpy()
    out["share"] = out["patrolled"] / grids if grids else np.nan
    return out


def unpatrolled(db: Database, f: Filters, at: datetime, days: int) -> pd.DataFrame:
    """Grids of the filter's area with no patrol on the ``days`` days up to and including the as-of day ``at``
    (never patrolled first, then the longest unpatrolled): grid_id, name_zh, community_id, town_id,
    last_patrol (a time, or NaT) and days_since (whole days from the last patrol's day to ``at``'s day)."""
    area, area_params = _area(f, "grid")
    since = datetime.combine(at.date() - timedelta(days=int(days) - 1), datetime.min.time())  # the first of the days
    # the recent days first (a slice of the time-ordered patrols), then the last patrol of the few grids left:
    # a year of patrols grouped per grid cost 14× more (318 → 22 ms CPU at 2.2 M patrols)
    df = db.execute(
        f"""WITH recent AS (SELECT DISTINCT grid_id FROM patrols WHERE started_at >= $since AND started_at <= $at),
        idle AS (SELECT u.unit_id AS grid_id, u.name_zh, u.community_id, u.town_id FROM units u
                 WHERE u.level = 'grid' {area} AND NOT EXISTS (SELECT 1 FROM recent r WHERE r.grid_id = u.unit_id)),
        last AS (SELECT grid_id, max(started_at) AS last_patrol FROM patrols
                 WHERE started_at < $since AND started_at <= $at AND grid_id IN (SELECT grid_id FROM idle) GROUP BY 1)
        SELECT i.*, l.last_patrol FROM idle i LEFT JOIN last l USING (grid_id)
        ORDER BY last_patrol NULLS FIRST, grid_id""",
        {**area_params, "at": at, "since": since},
    )
    last = pd.to_datetime(df["last_patrol"])
    df["days_since"] = (pd.Timestamp(at.date()) - last.dt.normalize()).dt.days.astype("Int64")
    return df


def unit_work(db: Database, f: Filters, level: str, at: datetime) -> pd.DataFrame:
    """Grid work per unit of ``level`` in the filter's area over its period.

    Columns: unit_id; collected and patrol_found (cases, and those whose channel is a patrol channel,
    ``schema.PATROL_CHANNELS``) and patrol_found_rate (主动发现率 = patrol_found ÷ collected); grids,
    grid_days (grids × ``patrol_days``) and patrolled_days (grid-days with a patrol), patrol_coverage
    (patrolled_days ÷ grid_days); workers (on duty), reports (issues reported on patrols),
    reports_per_worker; residents and residents_per_worker (NaN where no worker is on duty).
    """
    col = LEVEL_COLUMN[level]
    area, area_params = _area(f, level)
    grid_area, grid_params = _area(f, "grid")
    clause, params = where(f, alias="c")
    n_days = len(patrol_days(db, f, at))
    df = db.execute(
        f"""
        WITH g AS (SELECT u.unit_id AS grid_id, u.{"unit_id" if level == "grid" else col} AS unit_id, u.residents
                   FROM units u
                   WHERE u.level = 'grid' {grid_area}),
        p AS (SELECT grid_id, count(DISTINCT CAST(started_at AS DATE)) AS patrolled_days,
                     sum(issues_reported) AS reports
              FROM patrols WHERE started_at >= $p_start AND started_at < $p_end GROUP BY 1),
        w AS (SELECT grid_id, count(*) FILTER (WHERE on_duty) AS workers FROM grid_workers GROUP BY 1),
        per AS (SELECT g.unit_id, count(*) AS grids, sum(coalesce(p.patrolled_days, 0)) AS patrolled_days,
                       sum(coalesce(p.reports, 0)) AS reports, sum(coalesce(w.workers, 0)) AS workers,
                       sum(g.residents) AS grid_residents
                FROM g LEFT JOIN p USING (grid_id) LEFT JOIN w USING (grid_id) GROUP BY 1),
        c AS (SELECT c.{col} AS unit_id, count(*) AS collected,
                     count(*) FILTER (WHERE c.channel IN (SELECT unnest($patrol_channels))) AS patrol_found
              FROM cases c WHERE {clause} GROUP BY 1)
        SELECT u.unit_id, coalesce(c.collected, 0) AS collected, coalesce(c.patrol_found, 0) AS patrol_found,
               coalesce(per.grids, 0) AS grids, coalesce(per.patrolled_days, 0) AS patrolled_days,
               coalesce(per.reports, 0) AS reports, coalesce(per.workers, 0) AS workers,
               coalesce(per.grid_residents, u.residents) AS residents
        FROM units u LEFT JOIN per USING (unit_id) LEFT JOIN c USING (unit_id)
        WHERE u.level = $level {area}
        ORDER BY u.unit_id""",
        {
            **area_params,
            **grid_params,
            **params,
            **_period(f),
            "level": level,
            "patrol_channels": list(PATROL_CHANNELS),
        },
    )
    for c in ("collected", "patrol_found", "grids", "patrolled_days", "reports", "workers"):
        df[c] = df[c].astype(int)
    den = lambda c: df[c].where(df[c] > 0).astype(float)  # noqa: E731
    df["patrol_found_rate"] = df["patrol_found"] / den("collected")
    df["grid_days"] = df["grids"] * n_days
    df["patrol_coverage"] = df["patrolled_days"] / den("grid_days")
    df["reports_per_worker"] = df["reports"] / den("workers")
    df["residents_per_worker"] = df["residents"].astype(float) / den("workers")
    return df


def map_stats(db: Database, f: Filters, level: str, at: datetime, quantiles: bool = False) -> pd.DataFrame:
    """``queries.unit_stats`` with the grid-work columns of ``unit_work`` beside it (the map's grid indicators)."""
    from govdash.queries import unit_stats

    work = unit_work(db, f, level, at)
    return unit_stats(db, f, level, at, quantiles).merge(
        work[["unit_id", "patrol_found", "workers", "reports", *GRID_KEYS]], on="unit_id", how="left"
    )


def workers(db: Database, f: Filters) -> pd.DataFrame:
    """Every grid worker of the filter's area with the period's work, most reports first: worker_id, name, role,
    on_duty, grid_id, grid_name, town_id, patrols, hours (on patrol), route_km, reports (issues reported),
    grid_residents and residents_per_worker (the grid's residents ÷ its workers on duty; NaN when off duty)."""
    area, area_params = _area(f, "grid")
    return db.execute(
        f"""
        WITH n AS (SELECT grid_id, count(*) FILTER (WHERE on_duty) AS on_duty_workers FROM grid_workers GROUP BY 1),
        p AS (SELECT worker_id, count(*) AS patrols, sum(epoch(ended_at - started_at)) / 3600.0 AS hours,
                     sum(route_m) / 1000.0 AS route_km, sum(issues_reported) AS reports
              FROM patrols WHERE started_at >= $p_start AND started_at < $p_end GROUP BY 1)
        SELECT w.worker_id, w.name, w.role, w.on_duty, w.grid_id, u.name_zh AS grid_name, u.town_id,
               coalesce(p.patrols, 0) AS patrols, coalesce(p.hours, 0) AS hours,
               coalesce(p.route_km, 0) AS route_km, coalesce(p.reports, 0) AS reports,
               u.residents AS grid_residents,
               CASE WHEN w.on_duty AND n.on_duty_workers > 0 THEN u.residents / n.on_duty_workers END
                   AS residents_per_worker
        FROM grid_workers w JOIN units u ON u.level = 'grid' AND u.unit_id = w.grid_id {area}
        LEFT JOIN n ON n.grid_id = w.grid_id LEFT JOIN p ON p.worker_id = w.worker_id
        ORDER BY reports DESC, patrols DESC, w.worker_id""",
        {**area_params, **_period(f)},
    )
