"""Reads for stations at work: services delivered, busiest items, 三会, opening hours kept, 居村 coverage."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from govdash.db import Database
from govdash.filters import Filters
from govdash.queries_scope import scope_clause

# a record outside the standard hours 08:30-17:00 on a weekday, or on a weekend: 错时延时 kept
OUT_OF_HOURS = "(isodow(served_at) >= 6 OR served_at::TIME < TIME '08:30' OR served_at::TIME >= TIME '17:00')"


def _period(f: Filters) -> dict:
    return {
        "start": datetime.combine(f.start, datetime.min.time()),
        "end_excl": datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    }


def _station_area(f: Filters, alias: str = "s") -> tuple[str, dict]:
    """The stations of the filter's streets/towns within the account's area."""
    sc, params = scope_clause(f.scope, "places", alias, "station_scope")
    if f.towns:
        return f"{sc} AND {alias}.town_id IN (SELECT unnest($station_towns))", {
            **params,
            "station_towns": list(f.towns),
        }
    return sc, params


def has_table(db: Database, table: str) -> bool:
    """Whether ``table`` exists and holds a row (a file made before it, or a district that imported none: False)."""
    found = db.execute(
        "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = $t AND database_name = current_database()",
        {"t": table},
    )
    if not int(found["n"].iloc[0]):
        return False
    return bool(len(db.execute(f"SELECT 1 FROM {table} LIMIT 1")))  # table: a name of ours, not user input


def station_activity(db: Database, f: Filters) -> pd.DataFrame:
    """Per station of the area, over the filter period: service records, residents served, records out of
    standard hours, weeks with an out-of-hours record, weeks in the period, and 三会 held by type."""
    area, params = _station_area(f)
    sql = f"""
        WITH s AS (SELECT station_id FROM stations s WHERE {area}),
        v AS (
            SELECT station_id, count(*) AS services, sum(residents) AS served_residents,
                   count(*) FILTER (WHERE {OUT_OF_HOURS}) AS out_of_hours,
                   count(DISTINCT date_trunc('week', served_at)) FILTER (WHERE {OUT_OF_HOURS}) AS weeks_kept
            FROM station_services WHERE served_at >= $start AND served_at < $end_excl
              AND station_id IN (SELECT station_id FROM s) GROUP BY 1),
        m AS (
            SELECT station_id, count(*) FILTER (WHERE type = 'hearing') AS hearing,
                   count(*) FILTER (WHERE type = 'coordination') AS coordination,
                   count(*) FILTER (WHERE type = 'review') AS review
            FROM station_meetings WHERE held_on >= $start::DATE AND held_on < $end_excl::DATE
              AND station_id IN (SELECT station_id FROM s) GROUP BY 1)
        SELECT s.station_id, coalesce(v.services, 0) AS services,
               coalesce(v.served_residents, 0) AS served_residents,
               coalesce(v.out_of_hours, 0) AS out_of_hours, coalesce(v.weeks_kept, 0) AS weeks_kept,
               coalesce(m.hearing, 0) AS hearing, coalesce(m.coordination, 0) AS coordination,
               coalesce(m.review, 0) AS review
        FROM s LEFT JOIN v USING (station_id) LEFT JOIN m USING (station_id) ORDER BY s.station_id
    """
    out = db.execute(sql, {**params, **_period(f)})
    for c in out.columns[1:]:
        out[c] = out[c].astype(int)
    return out


def busiest_items(db: Database, f: Filters, n: int = 10) -> pd.DataFrame:
    """The ``n`` items served most in the period at the area's stations: item, names, tier, department,
    records and residents served (an item outside the catalogue is named by itself)."""
    area, params = _station_area(f, "st")
    sql = f"""
        SELECT v.item, coalesce(i.name_zh, v.item) AS name_zh, coalesce(i.name_en, i.name_zh, v.item) AS name_en,
               any_value(v.tier) AS tier, any_value(i.department_id) AS department_id,
               count(*) AS services, sum(v.residents) AS served_residents
        FROM station_services v JOIN stations st ON st.station_id = v.station_id
        LEFT JOIN service_items i ON i.item_id = v.item
        WHERE v.served_at >= $start AND v.served_at < $end_excl AND {area}
        GROUP BY v.item, i.name_zh, i.name_en ORDER BY services DESC, v.item LIMIT $n
    """
    return db.execute(sql, {**params, **_period(f), "n": int(n)})


def services_by_tier(db: Database, f: Filters) -> pd.DataFrame:
    """Service records and residents served per tier in the period at the area's stations."""
    area, params = _station_area(f, "st")
    sql = f"""
        SELECT v.tier, count(*) AS services, sum(v.residents) AS served_residents
        FROM station_services v JOIN stations st ON st.station_id = v.station_id
        WHERE v.served_at >= $start AND v.served_at < $end_excl AND {area}
        GROUP BY 1 ORDER BY 1
    """
    return db.execute(sql, {**params, **_period(f)})


def community_coverage(db: Database, f: Filters) -> pd.DataFrame:
    """Per 居村 of the area: its street/town, residents and the doorstep stations inside it (居村 coverage:
    the documents' "覆盖全区" means every 居村 has one)."""
    sc, params = scope_clause(f.scope, "units", "u")
    towns = " AND u.town_id IN (SELECT unnest($t))" if f.towns else ""
    coms = " AND u.unit_id IN (SELECT unnest($c))" if f.communities else ""  # a 居村's view: its own row
    sql = f"""
        SELECT u.unit_id AS community_id, u.name_zh, u.town_id, u.residents,
               count(s.station_id) AS stations
        FROM units u LEFT JOIN stations s ON s.community_id = u.unit_id AND s.level = 'doorstep'
        WHERE u.level = 'community' AND {sc}{towns}{coms}
        GROUP BY ALL ORDER BY u.unit_id
    """
    extra = {**({"t": list(f.towns)} if f.towns else {}), **({"c": list(f.communities)} if f.communities else {})}
    return db.execute(sql, {**params, **extra})
