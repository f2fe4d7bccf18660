"""Every SQL statement of govdash: named query functions with bound parameters, run through Database.execute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from govdash import queries_days, settings
from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.queries_scope import in_list, scope_clause

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
    clause, scope_params = scope_clause(f.scope, "cases", alias)
    clauses.append(clause)
    params.update(scope_params)
    return " AND ".join(clauses), params


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


def trusted_window(db: Database) -> dict[str, datetime]:
    """Bound parameters ``lo``/``hi``: the earliest and latest stored time taken as data (the district's local
    time, naive: its clock plus ``FUTURE_SLACK``)."""
    return {"lo": EARLIEST, "hi": clock(db) + FUTURE_SLACK}


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
        trusted_window(db),
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


def now_in(tz: str) -> datetime:
    """The wall clock in the zone ``tz`` (an IANA name), naive, to the second (how case times are stored)."""
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def clock(db: Database) -> datetime:
    """The wall clock in the district's zone (case times are its naive local time), to the second."""
    return now_in(district_timezone(db))


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
        trusted_window(db),
    )
    if df.empty or pd.isna(df.at[0, "lo"]):
        return None
    return pd.Timestamp(df.at[0, "lo"]).date(), pd.Timestamp(df.at[0, "hi"]).date()


def unit_polygons(db: Database, *, scope: Scope | None = None) -> pd.DataFrame:
    """Every unit with its polygon (WKB, WGS-84): unit_id, level, name_zh, town_id, community_id, geom."""
    sc, params = scope_clause(scope, "units")
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


def towns(db: Database, *, scope: Scope | None = None) -> pd.DataFrame:
    """Streets/towns (those of ``scope`` only, when given)."""
    sc, params = scope_clause(scope, "units")
    return db.execute(
        f"SELECT unit_id, name_zh, name_en, kind, residents FROM units WHERE level = 'town' AND {sc} ORDER BY unit_id",
        params,
    )


def communities(
    db: Database, town_ids: list[str] | tuple[str, ...] = (), *, scope: Scope | None = None
) -> pd.DataFrame:
    sc, params = scope_clause(scope, "units")
    sql = f"SELECT unit_id, name_zh, town_id, kind, residents FROM units WHERE level = 'community' AND {sc}"
    if town_ids:
        return db.execute(sql + " AND town_id IN (SELECT unnest($t)) ORDER BY unit_id", {**params, "t": list(town_ids)})
    return db.execute(sql + " ORDER BY unit_id", params)


def grids(db: Database, community_ids: list[str] | tuple[str, ...], *, scope: Scope | None = None) -> pd.DataFrame:
    sc, params = scope_clause(scope, "units")
    return db.execute(
        "SELECT unit_id, name_zh, community_id, town_id FROM units WHERE level = 'grid' "
        f"AND community_id IN (SELECT unnest($c)) AND {sc} ORDER BY unit_id",
        {**params, "c": list(community_ids)},
    )


def unit_names(db: Database, *, scope: Scope | None = None) -> dict[str, dict[str, str]]:
    """level → {unit_id → name}, for the levels present: ids are unique per level only (community 1 ≠ street 1)."""
    sc, params = scope_clause(scope, "units")
    return _per_level(
        db.execute(f"SELECT level, unit_id, name_zh AS name FROM units WHERE {sc}", params, complete=True)
    )


def unit_labels(db: Database) -> pd.DataFrame:
    """level, unit_id, name_zh, name_en of every unit: how a URL's unit names are read (``filters.resolve_units``).
    Not limited by scope: a name outside an account's area resolves, and is then refused as out of scope."""
    return db.execute("SELECT level, unit_id, name_zh, name_en FROM units ORDER BY level, unit_id", complete=True)


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
DISPUTE_CATEGORY = "dispute"  # 矛盾纠纷: the cases of the dispute resolution rate (矛盾纠纷化解率)
JUDGED_AT = "least(coalesce(closed_at, deadline_at), deadline_at)"
_DUE = f"({JUDGED_AT} >= $p_start AND {JUDGED_AT} < $p_end)"
_DONE = "closed_at < $as_of"
# the counts of the cases due, ``{due}`` the condition of being due (one definition for a period and per period)
DUE_COUNTS = f"""
    count(*) FILTER (WHERE {{due}}) AS due,
    count(*) FILTER (WHERE {{due}} AND {_DONE} AND closed_at <= deadline_at) AS due_on_time,
    count(*) FILTER (WHERE {{due}} AND {_DONE} AND resolved) AS due_resolved,
    count(*) FILTER (WHERE {{due}} AND {_DONE} AND resolved AND recognised) AS due_recognised,
    count(*) FILTER (WHERE {{due}} AND {_DONE} AND resolved AND recognised IS NOT NULL) AS due_recognition_known,
    count(*) FILTER (WHERE {{due}} AND category = $dispute) AS due_disputes,
    count(*) FILTER (WHERE {{due}} AND category = $dispute AND {_DONE} AND resolved) AS due_disputes_resolved"""
DUE_SQL = (
    DUE_COUNTS.format(due=_DUE)
    + """,
    count(*) FILTER (WHERE reported_at >= $p_start AND (closed_at IS NULL OR closed_at >= $p_end)
                     AND deadline_at >= $p_end) AS in_handling
"""
)


def due_totals(db: Database, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """按期办结率, 解决率, 基层认可率 and 矛盾纠纷化解率 over the cases due in the filter period, and the cases in
    handling.

    Due in the period (up to ``cutoff(f, at)``): its deadline falls in it, or it was closed in it before
    the deadline; each case is judged in one period only. 按期办结率 = closed by the deadline ÷ due;
    解决率 = resolved ÷ due; 基层认可率 = recognised ÷ resolved of those; 矛盾纠纷化解率 = disputes resolved ÷
    disputes due. ``in_handling``:
    cases reported in the period, neither closed nor due by its end (judged in a later period). With
    ``as_at`` the cases' progress is taken as it stood then (the same-age comparison). Rates are NaN
    when no case is due.
    """
    attr, params = _attr_where(f)
    start = datetime.combine(f.start, datetime.min.time())
    end = cutoff(f, at)
    state = at if as_at is None else as_at
    if queries_days.usable(db, f):  # the summary's whole days and the few cases an instant cuts
        counts = queries_days.due_counts(db, f, start, end, state)
        if counts is not None:
            return due_rates({**counts, "in_handling": queries_days.in_handling(db, f, start, end)})
    df = db.execute(
        f"SELECT {DUE_SQL} FROM cases WHERE reported_at < $p_end AND {attr}",
        {
            **params,
            "p_start": start,
            "p_end": end,
            "as_of": at if as_at is None else as_at,
            "dispute": DISPUTE_CATEGORY,
        },
    )
    return due_rates(df.iloc[0].to_dict())


def due_rates(out: dict) -> dict:
    """``out`` (DUE_COUNTS of one period) with its judged rates; NaN where no case is due."""
    due = out["due"] or float("nan")
    known = out["due_recognition_known"] or float("nan")  # no recognition recorded: "—", not 0 %
    return {
        **out,
        "on_time_rate": out["due_on_time"] / due,
        "resolution_rate": out["due_resolved"] / due,
        "recognition_rate": out["due_recognised"] / known,
        "dispute_rate": out["due_disputes_resolved"] / (out["due_disputes"] or float("nan")),
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
        clause, scope_params = scope_clause(f.scope, "units", "u", "area_scope")
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
    if queries_days.usable(db, f):
        return queries_days.collected_by_period(db, f, period)
    clause, params = where(f)
    return db.execute(
        f"SELECT date_trunc('{PERIODS[period]}', reported_at) AS period, count(*) AS collected "
        f"FROM cases WHERE {clause} GROUP BY 1 ORDER BY 1",
        params,
    )


def case_count(db: Database, f: Filters) -> int:
    if queries_days.usable(db, f):
        return queries_days.case_count(db, f)
    clause, params = where(f)
    return int(db.scalar(f"SELECT count(*) FROM cases WHERE {clause}", params))


def _attr_where(f: Filters) -> tuple[str, dict]:
    """Like ``where`` but without the reporting-date window (for stocks at an instant)."""
    clauses, params = ["true"], {}
    for name, column in _FILTER_COLUMNS.items():
        if getattr(f, name):
            clause, values_params = in_list(column, name, getattr(f, name))  # a scan filter: see in_list
            clauses.append(clause)
            params.update(values_params)
    clause, scope_params = scope_clause(f.scope, "cases")
    clauses.append(clause)
    params.update(scope_params)
    return " AND ".join(clauses), params


def cutoff(f: Filters, at: datetime) -> datetime:
    """The instant a filter's period ends: midnight after ``f.end``, or ``at`` when earlier."""
    return min(datetime.combine(f.end + timedelta(days=1), datetime.min.time()), at)


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


def case_detail(db: Database, case_id: str, *, scope: Scope | None = None) -> pd.DataFrame:
    """Every column of one case; empty when it lies outside ``scope``."""
    sc, params = scope_clause(scope, "cases")
    return db.execute(f"SELECT * FROM cases WHERE case_id = $id AND {sc}", {**params, "id": case_id})


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
    "must_report",
    "key_status",
    "key_owner",
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
