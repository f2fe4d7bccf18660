"""Every SQL statement of govdash: named query functions with bound parameters, run through Database.execute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from govdash import schema, settings
from govdash.bins import BinFrame, frame_for
from govdash.db import Database
from govdash.filters import Filters
from govdash.schema import IMPORT_COLUMNS

# identifiers that may appear in SQL text come only from these allow-lists
_FILTER_COLUMNS = {
    "towns": "town_id",
    "communities": "community_id",
    "grids": "grid_id",
    "categories": "category",
    "channels": "channel",
    "departments": "department_id",
}
PERIODS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
SPLITS = {
    "town": "town_id",
    "department": "department_id",
    "category": "category",
    "channel": "channel",
    "tier": "tier",
}
LEVEL_COLUMN = {"town": "town_id", "community": "community_id", "grid": "grid_id"}

# one definition of each indicator, shared by every query (see README: indicator definitions)
_INDICATOR_COLUMNS = """
    count(*) AS collected,
    count(*) FILTER (WHERE resolved) AS resolved,
    count(*) FILTER (WHERE status = 'closed') AS closed,
    count(*) FILTER (WHERE status = 'closed' AND closed_at <= deadline_at) AS closed_on_time,
    count(*) FILTER (WHERE recognised) AS recognised,
    count(*) FILTER (WHERE status <> 'closed') AS open,
    count(*) FILTER (WHERE status <> 'closed' AND deadline_at < $as_of) AS overdue,
    count(*) FILTER (WHERE status = 'closed' AND deadline_at IS NOT NULL) AS closed_due,
    count(*) FILTER (WHERE resolved AND recognised IS NOT NULL) AS recognition_known,
    count(*) FILTER (WHERE status <> 'closed' AND deadline_at IS NOT NULL) AS open_due,
    {median} AS median_hours,
    {p90} AS p90_hours,
    avg(satisfaction) AS satisfaction
"""
_HOURS = "quantile_cont(epoch(closed_at - reported_at) / 3600.0, [0.5, 0.9])"
INDICATOR_SQL = _INDICATOR_COLUMNS.format(median=f"{_HOURS}[1]", p90=f"{_HOURS}[2]")
# why one list quantile: DuckDB computes the two identical aggregates once, one selection pass
# instead of two (≈1.8× faster at 10 M cases); values are bit-identical to median / quantile_cont(0.9)
# the same columns without the quantiles, for views that show only counts and rates: the exact
# quantiles are most of an indicator query's cost (one sort-like pass per group)
COUNTS_SQL = _INDICATOR_COLUMNS.format(median="NULL::DOUBLE", p90="NULL::DOUBLE")


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add rate columns; a zero denominator gives NaN (shown as "—"), never an error.

    Honest on partial data: the on-time rate counts closed cases that have a deadline, the recognition
    rate resolved cases whose recognition is recorded, and overdue is unknown (NaN) while open cases
    exist and none has a deadline: a file without deadlines or recognition shows "—", not 0 %, and the
    ranking score re-weights the other indicators.
    """
    out = df.copy()
    den = lambda c: out[c].where(out[c] > 0)  # noqa: E731
    out["resolution_rate"] = out["resolved"] / den("collected")
    out["on_time_rate"] = out["closed_on_time"] / den("closed_due")
    out["recognition_rate"] = out["recognised"] / den("recognition_known")
    unknown = (out["open"].fillna(0) > 0) & (out["open_due"].fillna(0) == 0)
    out["overdue"] = out["overdue"].astype(float).where(~unknown)
    return out


def where(f: Filters, *, alias: str = "") -> tuple[str, dict]:
    """SQL WHERE clause and parameters for a filter (cases counted by the day they were reported)."""
    p = f"{alias}." if alias else ""
    clauses = [f"{p}reported_at >= $start", f"{p}reported_at < $end_excl"]
    params: dict = {
        "start": datetime.combine(f.start, datetime.min.time()),
        "end_excl": datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    }
    for name, column in _FILTER_COLUMNS.items():
        values = getattr(f, name)
        if values:
            clause, values_params = in_list(f"{p}{column}", name, values)
            clauses.append(clause)
            params.update(values_params)
    clause, scope_params = scope_clause(f"{p}town_id", f.scope)
    clauses.append(clause)
    params.update(scope_params)
    return " AND ".join(clauses), params


def scope_clause(column: str, scope: tuple[str, ...] | None, name: str = "scope") -> tuple[str, dict]:
    """Keep rows whose ``column`` is one of an account's streets/towns (``Filters.scope``).

    ``None`` (an unrestricted account) gives ``true``; an empty scope gives ``false``: an account
    allowed nowhere, or a selection outside its area, sees nothing rather than everything.
    """
    if scope is None:
        return "true", {}
    if not scope:
        return "false", {}
    return in_list(column, name, scope)


def in_list(column: str, name: str, values) -> tuple[str, dict]:
    """``column IN ($name_0, $name_1, …)`` with one bound parameter per value.

    Why not ``IN (SELECT unnest($name))``: that is a semi-join DuckDB applies after reading every
    projected column; a literal IN list becomes a scan filter, read first and used to skip the
    rest (one town over a year at 10 M cases: case page 8 s → 0.15 s, indicators 2–3× faster).
    """
    keys = [f"{name}_{i}" for i in range(len(values))]
    return f"{column} IN ({', '.join('$' + k for k in keys)})", dict(zip(keys, values, strict=True))


# --- metadata and options ---


def meta(db: Database) -> dict[str, str]:
    """The meta table as a dict (synthetic flag, as_of, seed…)."""
    df = db.execute("SELECT key, value FROM meta")
    return dict(zip(df["key"], df["value"], strict=False))


# Stored times outside [EARLIEST, clock + FUTURE_SLACK] are not data (a typo'd 9999-12-31, a 0001-01-01
# placeholder, a clock gone wrong): the data's bounds and "as of" ignore them, so one such row can move
# no default period and overflow no date arithmetic (importers reject them; older files may hold them)
EARLIEST = datetime(1900, 1, 1)
FUTURE_SLACK = timedelta(days=1)
_CLOCK_TZ = ZoneInfo("Asia/Shanghai")  # case times are Shanghai local time without a zone


def trusted_window(now: datetime | None = None) -> dict[str, datetime]:
    """Bound parameters ``lo``/``hi``: the earliest and latest stored time taken as data (local, naive)."""
    now = now or datetime.now(_CLOCK_TZ).replace(tzinfo=None)
    return {"lo": EARLIEST, "hi": now + FUTURE_SLACK}


def _latest_time(db: Database) -> datetime | None:
    """The newest trusted case event (reported, dispatched, handled or closed): when the data stands.

    Not ``updated_at``: that is when a row was imported, which says nothing of the extract's own date.
    """
    v = db.scalar(
        "SELECT max(greatest("
        + ", ".join(
            f"CASE WHEN {c} BETWEEN $lo AND $hi THEN {c} END"
            for c in ("reported_at", "dispatched_at", "handled_at", "closed_at")
        )
        + ")) FROM cases",
        trusted_window(),
    )
    return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()


def unit_levels(db: Database) -> tuple[str, ...]:
    """The unit levels present, top first (a district may have one, two or three)."""
    got = set(db.execute("SELECT DISTINCT level FROM units")["level"])
    return tuple(lv for lv in ("town", "community", "grid") if lv in got)


def units_extent(db: Database) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the units' label points in degrees; None without units."""
    df = db.execute("SELECT min(lon) AS w, min(lat) AS s, max(lon) AS e, max(lat) AS n FROM units")
    if df.empty or pd.isna(df.at[0, "w"]):
        return None
    return tuple(float(df.at[0, c]) for c in ("w", "s", "e", "n"))


def district_timezone(db: Database) -> str:
    """The district's time zone: its record's (table `district`, when the database has one), else settings'."""
    has = db.scalar(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'data' "
        "AND table_name = 'district' AND column_name = 'timezone'"
    )
    return (db.scalar("SELECT max(timezone) FROM district") if has else None) or settings.load().timezone


def clock(db: Database) -> datetime:
    """The wall clock in the district's zone (case times are its naive local time), to the second."""
    return datetime.now(ZoneInfo(district_timezone(db))).replace(tzinfo=None, microsecond=0)


AS_OF_MODES = ("auto", "data", "clock")
HISTORICAL = timedelta(days=1)  # data whose newest event is older than this is a historical extract


def as_of(db: Database) -> datetime:
    """The instant overdue, backlog and "open for" are computed at (setting ``as_of``).

    ``clock``: the district's wall clock. ``data``: the newest case event. ``auto``: the time the data declares
    (meta 'as_of': the demo's fixed now, moved by the feed), else the newest case event when that is more than a
    day before the clock (a historical extract, whose open cases are not overdue by the years since), else the
    clock.
    """
    mode = settings.load().as_of
    if mode not in AS_OF_MODES:
        raise ValueError(f"GOVDASH_AS_OF must be one of {', '.join(AS_OF_MODES)}, not {mode!r}")
    declared = meta(db).get("as_of")
    if mode == "auto" and declared:
        return datetime.fromisoformat(declared)
    now = clock(db)
    data = None if mode == "clock" else _latest_time(db)
    if data is None:
        return now
    return data if mode == "data" or data < now - HISTORICAL else now


def data_as_of(db: Database) -> datetime | None:
    """Newest trusted case event ("data as of")."""
    return _latest_time(db)


def date_range(db: Database) -> tuple[date, date] | None:
    """First and last day of trusted report times (see ``trusted_window``)."""
    df = db.execute(
        "SELECT min(reported_at)::DATE AS lo, max(reported_at)::DATE AS hi FROM cases "
        "WHERE reported_at BETWEEN $lo AND $hi",
        trusted_window(),
    )
    if df.empty or pd.isna(df.at[0, "lo"]):
        return None
    return pd.Timestamp(df.at[0, "lo"]).date(), pd.Timestamp(df.at[0, "hi"]).date()


def unit_polygons(db: Database, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every unit with its polygon (WKB, WGS-84): unit_id, level, name_zh, town_id, community_id, geom."""
    sc, params = scope_clause("town_id", scope)
    return db.execute(
        "SELECT unit_id, level, name_zh, town_id, community_id, geom FROM units "
        f"WHERE geom IS NOT NULL AND {sc} ORDER BY level, unit_id",
        params,
    )


def units_bounds(db: Database) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of every unit's polygon, degrees; None without units."""
    import shapely

    df = db.execute("SELECT geom FROM units WHERE geom IS NOT NULL")
    if df.empty:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(shapely.from_wkb([bytes(g) for g in df["geom"]]))
    return float(x0), float(y0), float(x1), float(y1)


def towns(db: Database, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Streets/towns (those of ``scope`` only, when given)."""
    sc, params = scope_clause("town_id", scope)
    return db.execute(
        f"SELECT unit_id, name_zh, name_en, kind, residents FROM units WHERE level = 'town' AND {sc} ORDER BY unit_id",
        params,
    )


def communities(
    db: Database, town_ids: list[str] | tuple[str, ...] = (), *, scope: tuple[str, ...] | None = None
) -> pd.DataFrame:
    sc, params = scope_clause("town_id", scope)
    sql = f"SELECT unit_id, name_zh, town_id, kind, residents FROM units WHERE level = 'community' AND {sc}"
    if town_ids:
        return db.execute(sql + " AND town_id IN (SELECT unnest($t)) ORDER BY unit_id", {**params, "t": list(town_ids)})
    return db.execute(sql + " ORDER BY unit_id", params)


def grids(
    db: Database, community_ids: list[str] | tuple[str, ...], *, scope: tuple[str, ...] | None = None
) -> pd.DataFrame:
    sc, params = scope_clause("town_id", scope)
    return db.execute(
        "SELECT unit_id, name_zh, community_id, town_id FROM units WHERE level = 'grid' "
        f"AND community_id IN (SELECT unnest($c)) AND {sc} ORDER BY unit_id",
        {**params, "c": list(community_ids)},
    )


def unit_names(db: Database, *, scope: tuple[str, ...] | None = None) -> dict[str, dict[str, str]]:
    """level → {unit_id → name}, for the levels present: ids are unique per level only (community 1 ≠ street 1)."""
    sc, params = scope_clause("town_id", scope)
    return _per_level(
        db.execute(f"SELECT level, unit_id, name_zh AS name FROM units WHERE {sc}", params, complete=True)
    )


def _per_level(df: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Rows of (level, unit_id, name) as level → {unit_id → name}."""
    return {lv: dict(zip(g["unit_id"], g["name"], strict=True)) for lv, g in df.groupby("level", sort=False)}


def category_names(db: Database) -> pd.DataFrame:
    """The category catalogue: ``category``, ``name_zh``, ``name_en``, by code."""
    return db.execute("SELECT category, name_zh, name_en FROM category_names ORDER BY category")


def channels(db: Database) -> pd.DataFrame:
    """The channel catalogue: ``channel``, ``name_zh``, ``name_en``, in the catalogue's order of codes."""
    return db.execute("SELECT channel, name_zh, name_en FROM channels ORDER BY channel")


def category_labels(db: Database) -> pd.DataFrame:
    """Category and subcategory labels (zh/en)."""
    return db.execute(
        "SELECT category, subcategory, name_zh, name_en, department_id, deadline_days "
        "FROM categories ORDER BY category, subcategory"
    )


def departments(db: Database) -> pd.DataFrame:
    return db.execute("SELECT department_id, name_zh, name_en FROM departments ORDER BY department_id")


# --- indicators ---


def kpis(db: Database, f: Filters, at: datetime) -> dict:
    """Indicators of the cases reported in the filter period (the cohort: rankings and maps compare units by
    it); rates are NaN when their denominator is 0. The leader's judged rates are ``due_totals``."""
    clause, params = where(f)
    df = db.execute(f"SELECT {INDICATOR_SQL} FROM cases WHERE {clause}", {**params, "as_of": at})
    return _rates(df).iloc[0].to_dict()


# The judged rates as officials use them (docs/indicators.md): a case is judged once, in the period
# it falls due in: the period of its deadline, or of its closure when closed before the deadline; a case
# still within its time limit is not yet judged. State (closed, resolved) as it stood at $as_of; the
# period ends at $p_end (``cutoff``).
_JUDGED_AT = "least(coalesce(closed_at, deadline_at), deadline_at)"
_DUE = f"({_JUDGED_AT} >= $p_start AND {_JUDGED_AT} < $p_end)"
_DONE = "closed_at < $as_of"
DUE_SQL = f"""
    count(*) FILTER (WHERE {_DUE}) AS due,
    count(*) FILTER (WHERE {_DUE} AND {_DONE} AND closed_at <= deadline_at) AS due_on_time,
    count(*) FILTER (WHERE {_DUE} AND {_DONE} AND resolved) AS due_resolved,
    count(*) FILTER (WHERE {_DUE} AND {_DONE} AND resolved AND recognised) AS due_recognised,
    count(*) FILTER (WHERE {_DUE} AND {_DONE} AND resolved AND recognised IS NOT NULL) AS due_recognition_known,
    count(*) FILTER (WHERE reported_at >= $p_start AND (closed_at IS NULL OR closed_at >= $p_end)
                     AND deadline_at >= $p_end) AS in_handling
"""


def due_totals(db: Database, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """按期办结率, 解决率 and 基层认可率 over the cases due in the filter period, and the cases in handling.

    Due in the period (up to ``cutoff(f, at)``): its deadline falls in it, or it was closed in it before
    the deadline; each case is judged in one period only. 按期办结率 = closed by the deadline ÷ due;
    解决率 = resolved ÷ due; 基层认可率 = recognised ÷ resolved of those. ``in_handling``:
    cases reported in the period, neither closed nor due by its end (judged in a later period). With
    ``as_at`` the cases' progress is taken as it stood then (the same-age comparison). Rates are NaN
    when no case is due.
    """
    attr, params = _attr_where(f)
    start = datetime.combine(f.start, datetime.min.time())
    end = cutoff(f, at)
    df = db.execute(
        f"SELECT {DUE_SQL} FROM cases WHERE reported_at < $p_end AND {attr}",
        {**params, "p_start": start, "p_end": end, "as_of": at if as_at is None else as_at},
    )
    out = df.iloc[0].to_dict()
    due = out["due"] or float("nan")
    known = out["due_recognition_known"] or float("nan")  # no recognition recorded: "—", not 0 %
    return {
        **out,
        "on_time_rate": out["due_on_time"] / due,
        "resolution_rate": out["due_resolved"] / due,
        "recognition_rate": out["due_recognised"] / known,
    }


def unit_stats(db: Database, f: Filters, level: str, at: datetime, quantiles: bool = True) -> pd.DataFrame:
    """Indicators per unit of ``level`` (town/community/grid) for units inside the filter's area.

    ``quantiles=False`` leaves median and p90 hours empty (NaN) and costs about half as much.
    """
    col = LEVEL_COLUMN[level]
    clause, params = where(f, alias="c")
    area_clause, area_params = _area(f, level)
    sql = f"""
        WITH s AS (SELECT c.{col} AS unit_id, {INDICATOR_SQL if quantiles else COUNTS_SQL}
                   FROM cases c WHERE {clause} GROUP BY 1)
        SELECT u.unit_id, u.name_zh, u.name_en, u.kind, u.parent_id, u.town_id, u.residents, u.area_km2,
               u.lon, u.lat, s.* EXCLUDE (unit_id)
        FROM units u LEFT JOIN s USING (unit_id)
        WHERE u.level = $level {area_clause}
        ORDER BY u.unit_id
    """
    df = db.execute(sql, {**params, **area_params, "as_of": at, "level": level})
    for c in (
        "collected",
        "resolved",
        "closed",
        "closed_on_time",
        "recognised",
        "open",
        "overdue",
        "closed_due",
        "recognition_known",
        "open_due",
    ):
        df[c] = df[c].fillna(0).astype(int)
    df = _rates(df)
    df["cases_per_1000"] = df["collected"] / df["residents"].where(df["residents"] > 0) * 1000
    return df


def busiest_units(db: Database, f: Filters, level: str, n: int = 10) -> pd.DataFrame:
    """The ``n`` units of ``level`` in the filter's area with most cases, most first (ties by id):
    ``unit_id``, ``collected``, ``residents``, ``cases_per_1000``.

    A count per unit, not ``unit_stats``: its rates and medians over a year of the district's
    grids cost ~150 ms at 10 M cases, for a table that shows only counts.
    """
    clause, params = where(f, alias="c")
    area_clause, area_params = _area(f, level)
    df = db.execute(
        f"""
        WITH s AS (SELECT c.{LEVEL_COLUMN[level]} AS unit_id, count(*) AS collected FROM cases c
                   WHERE {clause} GROUP BY 1)
        SELECT u.unit_id, coalesce(s.collected, 0) AS collected, u.residents
        FROM units u LEFT JOIN s USING (unit_id) WHERE u.level = $level {area_clause}
        ORDER BY collected DESC, u.unit_id LIMIT $n""",
        {**params, **area_params, "level": level, "n": int(n)},
    )
    df["cases_per_1000"] = df["collected"] / df["residents"].where(df["residents"] > 0) * 1000
    return df


def _area(f: Filters, level: str) -> tuple[str, dict]:
    """Restrict units to the filter's selected area (towns → communities → grids)."""
    clauses, params = [], {}
    if f.towns:
        clauses.append("u.town_id IN (SELECT unnest($area_towns))")
        params["area_towns"] = list(f.towns)
    if f.communities and level in ("community", "grid"):
        clauses.append("u.community_id IN (SELECT unnest($area_communities))")
        params["area_communities"] = list(f.communities)
    if f.grids and level == "grid":
        clauses.append("u.unit_id IN (SELECT unnest($area_grids))")
        params["area_grids"] = list(f.grids)
    if f.scope is not None:
        clause, scope_params = scope_clause("u.town_id", f.scope, "area_scope")
        clauses.append(clause)
        params.update(scope_params)
    return "".join(f" AND {c}" for c in clauses), params


def unit_geometries(db: Database, level: str, f: Filters | None = None) -> pd.DataFrame:
    """unit_id, name_zh and WKB polygon (WGS-84) of every unit of ``level`` in the filter's area."""
    area_clause, area_params = _area(f, level) if f is not None else ("", {})
    return db.execute(
        f"SELECT u.unit_id, u.name_zh, u.geom FROM units u WHERE u.level = $level {area_clause} ORDER BY u.unit_id",
        {"level": level, **area_params},
    )


def trend(db: Database, f: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Indicators per period (by reported day), optionally split by town/department/category/channel/tier."""
    unit = PERIODS[period]
    clause, params = where(f)
    split_sql = f", {SPLITS[split]} AS series" if split else ""
    group = "1, 2" if split else "1"
    df = db.execute(
        f"SELECT date_trunc('{unit}', reported_at) AS period{split_sql}, {INDICATOR_SQL} "
        f"FROM cases WHERE {clause} GROUP BY {group} ORDER BY {group}",
        {**params, "as_of": at},
    )
    return _rates(df)


def collected_by_period(db: Database, f: Filters, period: str) -> pd.DataFrame:
    """Cases collected per period (by reported day): ``period``, ``collected``.

    For charts that show only the count: ``trend`` computes every indicator, and its medians
    are most of its cost (13 months at 10 M cases: 0.1 s here against 0.5 s).
    """
    clause, params = where(f)
    return db.execute(
        f"SELECT date_trunc('{PERIODS[period]}', reported_at) AS period, count(*) AS collected "
        f"FROM cases WHERE {clause} GROUP BY 1 ORDER BY 1",
        params,
    )


def case_count(db: Database, f: Filters) -> int:
    clause, params = where(f)
    return int(db.scalar(f"SELECT count(*) FROM cases WHERE {clause}", params))


# --- cases ---

CASE_COLUMNS = (
    "case_id",
    "reported_at",
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
    "deadline_at",
    "closed_at",
    "satisfaction",
    "description",
    "address",
    "complainant_name",
    "complainant_phone",
)
ORDERS = {"newest": "reported_at DESC, case_id", "oldest": "reported_at, case_id", "overdue": "deadline_at, case_id"}


def cases_page(
    db: Database,
    f: Filters,
    *,
    offset: int = 0,
    limit: int = 100,
    order: str = "newest",
    columns: tuple[str, ...] = CASE_COLUMNS,
) -> pd.DataFrame:
    """One page of filtered cases."""
    cols = ", ".join(c for c in columns if c in CASE_COLUMNS)
    clause, params = where(f)
    return db.execute(
        f"SELECT {cols} FROM cases WHERE {clause} ORDER BY {ORDERS[order]} LIMIT $limit OFFSET $offset",
        {**params, "limit": int(limit), "offset": int(offset)},
        max_rows=limit,
    )


def case_detail(db: Database, case_id: str, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every column of one case; empty when it lies outside ``scope``."""
    sc, params = scope_clause("town_id", scope)
    return db.execute(f"SELECT * FROM cases WHERE case_id = $id AND {sc}", {**params, "id": case_id})


# --- stations and population ---


def stations(db: Database, town_ids: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Stations (of ``town_ids``). Not limited by an account's scope: they are public service points, and
    residents near a border walk to the neighbouring town's station, so coverage needs them all."""
    sql = (
        "SELECT station_id, name_zh, level, community_id, town_id, lon, lat, f_party, f_gov, f_culture, "
        "f_joint, f_clinic, opening_hours, extended_hours, floor_area_m2 FROM stations"
    )
    if town_ids:
        return db.execute(sql + " WHERE town_id IN (SELECT unnest($t)) ORDER BY station_id", {"t": list(town_ids)})
    return db.execute(sql + " ORDER BY station_id")


def cells(db: Database, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    sc, params = scope_clause("town_id", scope)
    return db.execute(
        "SELECT cell_id, x, y, lon, lat, size_m, residents, grid_id, community_id, town_id "
        f"FROM cells WHERE {sc} ORDER BY cell_id",
        params,
        complete=True,
    )


# --- heatmap ---

# local equirectangular metres around the district (govdash.bins): the bin arithmetic stays in SQL so only
# aggregated bins leave the database
_BIN_FRAMES: dict[tuple, BinFrame] = {}


def bin_frame(db: Database) -> BinFrame:
    """The district's bin frame (origin, metres per degree) from its units' extent; kept per database version."""
    key = (db.path, db.version())
    if key not in _BIN_FRAMES:
        _BIN_FRAMES.clear()  # one database file per process in the app; an old version is never asked again
        _BIN_FRAMES[key] = frame_for(units_extent(db) or units_bounds(db))
    return _BIN_FRAMES[key]


FRAMES = {
    "none": "0",
    "hour": "hour(reported_at)",
    "dow": "isodow(reported_at)",
    "week": "date_trunc('week', reported_at)",
    "month": "date_trunc('month', reported_at)",
}


def _bbox_clause(bbox: tuple[float, float, float, float] | None) -> tuple[str, dict]:
    """Keep cases inside a lon/lat box (WGS-84): the box bounds the number of bins whatever the data."""
    if bbox is None:
        return "", {}
    return (
        " AND lon BETWEEN $bx0 AND $bx1 AND lat BETWEEN $by0 AND $by1",
        {"bx0": bbox[0], "by0": bbox[1], "bx1": bbox[2], "by1": bbox[3]},
    )


def heat_bins(
    db: Database,
    f: Filters,
    cell_m: float,
    frame: str = "none",
    bbox: tuple[float, float, float, float] | None = None,
    frame_value=None,
) -> pd.DataFrame:
    """Case counts in square bins of ``cell_m`` metres (lon/lat of each bin's south-west corner), per frame.

    ``bbox`` (lon0, lat0, lon1, lat1) keeps cases inside the box, so at most
    ``ceil(width / cell_m + 1) * ceil(height / cell_m + 1)`` bins come back per frame;
    ``frame_value`` keeps one frame (e.g. hour 8, or the Monday of one week).
    """
    clause, params = where(f)
    box_sql, box_params = _bbox_clause(bbox)
    frame_sql = FRAMES[frame]
    if frame_value is not None:
        box_sql += f" AND {frame_sql} = $frame_value"
        box_params["frame_value"] = frame_value
    sql = f"""
        SELECT {frame_sql} AS frame,
               floor((lon - $lon0) * $mx / $cell)::BIGINT AS bx, floor((lat - $lat0) * $my / $cell)::BIGINT AS by,
               count(*) AS count
        FROM cases WHERE {clause} AND lon IS NOT NULL AND lat IS NOT NULL{box_sql}
        GROUP BY ALL ORDER BY ALL
    """
    fr = bin_frame(db)
    df = db.execute(sql, {**params, **box_params, **fr.params(), "cell": float(cell_m)})
    df["lon"] = fr.lon0 + df["bx"] * cell_m / fr.mx
    df["lat"] = fr.lat0 + df["by"] * cell_m / fr.my
    return df


def heat_frames(
    db: Database, f: Filters, cell_m: float, frame: str, bbox: tuple[float, float, float, float] | None = None
) -> pd.DataFrame:
    """One row per playback frame: ``frame``, ``cases`` and ``max_count`` (largest bin of the frame).

    The maximum over all frames fixes the colour scale of the playback.
    """
    clause, params = where(f)
    box_sql, box_params = _bbox_clause(bbox)
    sql = f"""
        WITH b AS (
            SELECT {FRAMES[frame]} AS frame, floor((lon - $lon0) * $mx / $cell) AS bx,
                   floor((lat - $lat0) * $my / $cell) AS by, count(*) AS n
            FROM cases WHERE {clause} AND lon IS NOT NULL AND lat IS NOT NULL{box_sql} GROUP BY ALL)
        SELECT frame, sum(n)::BIGINT AS cases, max(n)::BIGINT AS max_count FROM b GROUP BY frame ORDER BY frame
    """
    return db.execute(sql, {**params, **box_params, **bin_frame(db).params(), "cell": float(cell_m)})


def case_points(db: Database, f: Filters, limit: int = 5000) -> pd.DataFrame:
    """Individual filtered cases for drawing as points (only used when the set is small): the newest
    ``limit``, ``attrs["truncated"]`` when there are more; the complainant's name comes along so that
    masking can take it out of the description (access.mask_frame)."""
    clause, params = where(f)
    return db.execute(
        f"SELECT case_id, lon, lat, grid_id, category, subcategory, status, reported_at, description, "
        f"complainant_name "
        f"FROM cases WHERE {clause} AND lon IS NOT NULL ORDER BY reported_at DESC LIMIT $limit",
        {**params, "limit": int(limit) + 1},
        max_rows=limit,
    )


def repeat_candidates(db: Database, f: Filters, *, limit: int = 500_000) -> pd.DataFrame:
    """The filtered cases as repeat-complaint detection needs them (at most ``limit`` rows, oldest first).

    A SQL pre-filter (window counts per grid and per square) cost more than detecting on all
    rows in numpy, so every filtered case comes back; ``attrs["truncated"]`` when there were more.
    """
    clause, params = where(f)
    return db.execute(
        f"SELECT case_id, category, grid_id, reported_at, lon, lat FROM cases WHERE {clause} "
        f"ORDER BY reported_at, case_id LIMIT $limit",
        {**params, "limit": int(limit) + 1},
        max_rows=limit,
    )


def unit_paths(db: Database, *, scope: tuple[str, ...] | None = None) -> dict[str, dict[str, str]]:
    """level → {unit_id → "street/town · unit"} (a town: its name), for places listed outside their town's context."""
    sc, params = scope_clause("u.town_id", scope)
    return _per_level(
        db.execute(
            "SELECT u.level, u.unit_id, CASE WHEN u.level = 'town' THEN u.name_zh ELSE t.name_zh || ' · ' || u.name_zh "
            f"END AS name FROM units u LEFT JOIN units t ON t.unit_id = u.town_id AND t.level = 'town' WHERE {sc}",
            params,
            complete=True,
        )
    )


def district_outline(db: Database, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    sc, params = scope_clause("town_id", scope)
    return db.execute(f"SELECT unit_id, geom FROM units WHERE level = 'town' AND {sc}", params)


# --- trends and rankings ---
# Issue 4: trends, backlog, rankings, lifecycle, anomalies, survey. Flows (collected, resolved…)
# count a case in the period it was reported, like INDICATOR_SQL; stocks (open, overdue) are
# taken from timestamps at an instant, so a past month sees its own month-end state.

DISPUTE_CATEGORY = "dispute"  # 矛盾纠纷: numerator and denominator of the dispute resolution rate
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


def _attr_where(f: Filters) -> tuple[str, dict]:
    """Like ``where`` but without the reporting-date window (for stocks at an instant)."""
    clauses, params = ["true"], {}
    for name, column in _FILTER_COLUMNS.items():
        if getattr(f, name):
            clause, values_params = in_list(column, name, getattr(f, name))  # a scan filter: see in_list
            clauses.append(clause)
            params.update(values_params)
    clause, scope_params = scope_clause("town_id", f.scope)
    clauses.append(clause)
    params.update(scope_params)
    return " AND ".join(clauses), params


def cutoff(f: Filters, at: datetime) -> datetime:
    """The instant a filter's period ends: midnight after ``f.end``, or ``at`` when earlier."""
    return min(datetime.combine(f.end + timedelta(days=1), datetime.min.time()), at)


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


def split_indicators(db: Database, f: Filters, split: str, at: datetime) -> pd.DataFrame:
    """Counts and rates per town / department / category / channel / tier (column ``key``)."""
    clause, params = where(f)
    df = db.execute(
        f"SELECT {SPLITS[split]} AS key, {TREND_SQL} FROM cases WHERE {clause} GROUP BY 1 ORDER BY 1",
        {**params, "as_of": at, "dispute": DISPUTE_CATEGORY},
    )
    return _with_rates(df)


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
    attr, aparams = _attr_where(f)
    t = cutoff(f, at)
    stock = db.execute(
        f"SELECT count(*) AS backlog, count(*) FILTER (WHERE deadline_at < $t) AS overdue_at_end "
        f"FROM cases WHERE {_OPEN_AT} AND {attr}",
        {**aparams, "t": t},
    )
    return {**out, **stock.iloc[0].to_dict(), **due_totals(db, f, at, as_at)}


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
    df = db.execute(sql, {**params, "t": t, "first": first}, complete=True)
    if df.empty:  # nothing ever reported in the selection: zero backlog in every period
        periods = db.execute(
            f"SELECT period FROM generate_series(date_trunc('{unit}', $first::TIMESTAMP), "
            f"$t::TIMESTAMP - INTERVAL 1 MICROSECOND, INTERVAL 1 {unit}) g(period)",
            {"first": first, "t": t},
        )
        df = periods.assign(series="all", backlog=0)
    return df if split else df.drop(columns="series")


def open_cases(db: Database, f: Filters, at: datetime, *, overdue_only: bool = False, limit: int = 20) -> pd.DataFrame:
    """Cases open at the filter period's end (``cutoff``), oldest first, with age and days overdue."""
    attr, params = _attr_where(f)
    overdue = " AND deadline_at < $t" if overdue_only else ""
    sql = f"""
        SELECT case_id, reported_at, deadline_at, town_id, community_id, category, subcategory, channel,
               department_id, tier, key_difficult,
               CASE WHEN handled_at < $t THEN 'handling' WHEN dispatched_at < $t THEN 'dispatched'
                    ELSE 'registered' END AS stage,
               epoch($t - reported_at) / 86400.0 AS age_days,
               CASE WHEN deadline_at < $t THEN epoch($t - greatest(deadline_at, reported_at)) / 86400.0
                    END AS overdue_days  -- never longer than the case is old (a 0001 deadline)
        FROM cases WHERE {_OPEN_AT} AND {attr}{overdue}
        ORDER BY reported_at, case_id LIMIT $limit
    """
    return db.execute(sql, {**params, "t": cutoff(f, at), "limit": int(limit)}, max_rows=limit)


def case_timeline(db: Database, case_id: str, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One case's lifecycle times and attributes (no personal data: no complainant name or phone)."""
    cols = ", ".join(f"c.{c}" for c in TIMELINE_COLUMNS)
    sc, params = scope_clause("c.town_id", scope)
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
        "category": "SELECT count(DISTINCT category) FROM categories",
        "channel": "SELECT count(*) FROM channels",
    }
    bound = 1
    for k in keys:
        size = len(schema.TIERS) if k == "tier" else int(db.scalar(n[k]) or 0)
        bound *= size + 1  # why + 1: NULL, and imported values outside the catalogue fall into one more series
    return bound


def survey_scores(db: Database, *, scope: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The satisfaction survey: score per street/town, quarter ('2026Q3') and dimension."""
    sc, params = scope_clause("s.town_id", scope)
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


# --- physical layout (govdash.layout) ---
# Cases are stored in this order: a street/town's and a community's cases of one month sit in a few
# row groups, so DuckDB skips the others' when a view filters by area (a town over a year at 10 M
# cases: map 54 → 22 ms, trends 242 → 88 ms; district-wide views unchanged).
CLUSTER_ORDER = "date_trunc('month', reported_at), town_id, community_id, reported_at, case_id"


# --- case export ---

EXPORT_COLUMNS = (
    "case_id",
    "reported_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "deadline_at",
    "status",
    "resolved",
    "recognised",
    "satisfaction",
    "channel",
    "category",
    "subcategory",
    "department_id",
    "tier",
    "town_id",
    "community_id",
    "grid_id",
    "lon",
    "lat",
    "address",
    "description",
    "repeat_of",
    "key_difficult",
)  # the native layout: data/mappings/govdash.toml reads it back
PERSONAL_COLUMNS = ("complainant_name", "complainant_phone")


def cases_export(
    db: Database, f: Filters, *, personal: bool = False, batch_rows: int = 100_000
) -> Iterator[pd.DataFrame]:
    """Every filtered case (oldest first) in the native column layout, in batches of about ``batch_rows``
    (no row cap: an export is whole); complainants only when ``personal``. The first batch carries the columns."""
    cols = ", ".join(EXPORT_COLUMNS + (PERSONAL_COLUMNS if personal else ()))
    clause, params = where(f)
    return db.stream(
        f"SELECT {cols} FROM cases WHERE {clause} ORDER BY {ORDERS['oldest']}", params, batch_rows=batch_rows
    )


# --- coverage: station directory and cases near stations ---
# Restored (issue 8): removed from the bench section by an overlapping edit while pages/coverage.py
# still calls them; now also limited to an account's streets/towns (scope).


def station_directory(
    db: Database, town_ids: list[str] | tuple[str, ...] = (), *, scope: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Stations with their service items counted by tier (baseline / basic / quality) and in all."""
    sc, scope_params = scope_clause("s.town_id", scope)
    area = f"WHERE {sc}" + (" AND s.town_id IN (SELECT unnest($t))" if town_ids else "")
    sql = f"""
        SELECT s.station_id, s.name_zh, s.level, s.town_id, s.community_id, s.lon, s.lat,
               s.f_party, s.f_gov, s.f_culture, s.f_joint, s.f_clinic,
               s.opening_hours, s.extended_hours, s.floor_area_m2,
               count(i.item_id) FILTER (WHERE i.tier = 'baseline') AS baseline,
               count(i.item_id) FILTER (WHERE i.tier = 'basic') AS basic,
               count(i.item_id) FILTER (WHERE i.tier = 'quality') AS quality,
               count(i.item_id) AS items
        FROM stations s
        LEFT JOIN station_items si ON si.station_id = s.station_id
        LEFT JOIN service_items i ON i.item_id = si.item_id
        {area}
        GROUP BY ALL ORDER BY s.station_id
    """
    return db.execute(sql, {**scope_params, **({"t": list(town_ids)} if town_ids else {})})


def station_cases_nearby(db: Database, f: Filters, radius_m: float = 500.0) -> pd.DataFrame:
    """station_id, cases_nearby: filtered cases reported within ``radius_m`` metres of each station.

    Stations are those of the filter's streets/towns; cases match the filter's period, categories,
    channels and departments wherever they lie in the account's area (``f.scope``), so a station
    on a town border counts both sides. Distances are local equirectangular metres; a join on
    square bins of ``radius_m`` (each station looks in its own and the 8 neighbouring bins) keeps
    it to nearby pairs.
    """
    clause, params = where(f.with_(towns=(), communities=(), grids=()), alias="c")
    sc, scope_params = scope_clause("town_id", f.scope, "station_scope")
    area = f"WHERE {sc}" + (" AND town_id IN (SELECT unnest($station_towns))" if f.towns else "")
    sql = f"""
        WITH s AS (
            SELECT station_id, lon, lat,
                   floor((lon - $lon0) * $mx / $r)::BIGINT AS sx, floor((lat - $lat0) * $my / $r)::BIGINT AS sy
            FROM stations {area}),
        k AS (SELECT s.*, sx + dx AS kx, sy + dy AS ky FROM s, range(-1, 2) a(dx), range(-1, 2) b(dy)),
        c AS (
            SELECT c.lon, c.lat, floor((c.lon - $lon0) * $mx / $r)::BIGINT AS kx,
                   floor((c.lat - $lat0) * $my / $r)::BIGINT AS ky
            FROM cases c WHERE {clause} AND c.lon IS NOT NULL)
        SELECT k.station_id, count(*) AS cases_nearby
        FROM k JOIN c ON c.kx = k.kx AND c.ky = k.ky
        WHERE ((c.lon - k.lon) * $mx) ** 2 + ((c.lat - k.lat) * $my) ** 2 <= $r * $r
        GROUP BY 1 ORDER BY 1
    """
    extra = {**scope_params, **({"station_towns": list(f.towns)} if f.towns else {})}
    return db.execute(sql, {**params, **extra, **bin_frame(db).params(), "r": float(radius_m)})
