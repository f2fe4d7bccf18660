"""Every SQL statement of govdash: named query functions with bound parameters, run through Database.execute."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from govdash.db import Database
from govdash.filters import Filters

# identifiers that may appear in SQL text come only from these allow-lists
_FILTER_COLUMNS = {"towns": "town_id", "communities": "community_id", "grids": "grid_id",
                   "categories": "category", "channels": "channel", "departments": "department_id"}
PERIODS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
SPLITS = {"town": "town_id", "department": "department_id", "category": "category",
          "channel": "channel", "tier": "tier"}
LEVEL_COLUMN = {"town": "town_id", "community": "community_id", "grid": "grid_id"}

# one definition of each indicator, shared by every query (see README: indicator definitions)
INDICATOR_SQL = """
    count(*) AS collected,
    count(*) FILTER (WHERE resolved) AS resolved,
    count(*) FILTER (WHERE status = 'closed') AS closed,
    count(*) FILTER (WHERE status = 'closed' AND closed_at <= deadline_at) AS closed_on_time,
    count(*) FILTER (WHERE recognised) AS recognised,
    count(*) FILTER (WHERE status <> 'closed') AS open,
    count(*) FILTER (WHERE status <> 'closed' AND deadline_at < $as_of) AS overdue,
    median(epoch(closed_at - reported_at) / 3600.0) AS median_hours,
    quantile_cont(epoch(closed_at - reported_at) / 3600.0, 0.9) AS p90_hours,
    avg(satisfaction) AS satisfaction
"""


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add rate columns; a zero denominator gives NaN (shown as "—"), never an error."""
    out = df.copy()
    den = lambda c: out[c].where(out[c] > 0)  # noqa: E731
    out["resolution_rate"] = out["resolved"] / den("collected")
    out["on_time_rate"] = out["closed_on_time"] / den("closed")
    out["recognition_rate"] = out["recognised"] / den("resolved")
    return out


def where(f: Filters, *, alias: str = "") -> tuple[str, dict]:
    """SQL WHERE clause and parameters for a filter (cases counted by the day they were reported)."""
    p = f"{alias}." if alias else ""
    clauses = [f"{p}reported_at >= $start", f"{p}reported_at < $end_excl"]
    params: dict = {"start": datetime.combine(f.start, datetime.min.time()),
                    "end_excl": datetime.combine(f.end + timedelta(days=1), datetime.min.time())}
    for name, column in _FILTER_COLUMNS.items():
        values = getattr(f, name)
        if values:
            clauses.append(f"{p}{column} IN (SELECT unnest(${name}))")
            params[name] = list(values)
    return " AND ".join(clauses), params


# --- metadata and options ---

def meta(db: Database) -> dict[str, str]:
    """The meta table as a dict (synthetic flag, as_of, seed…)."""
    df = db.execute("SELECT key, value FROM meta")
    return dict(zip(df["key"], df["value"]))


def as_of(db: Database) -> datetime:
    """The time indicators are computed at: the demo's fixed 'now', else the newest update."""
    m = meta(db)
    if "as_of" in m:
        return datetime.fromisoformat(m["as_of"])
    latest = db.scalar("SELECT max(greatest(reported_at, coalesce(updated_at, reported_at))) FROM cases")
    return pd.Timestamp(latest).to_pydatetime() if latest is not None else datetime.now()


def data_as_of(db: Database) -> datetime | None:
    """Newest reported or updated time in the cases table ("data as of")."""
    v = db.scalar("SELECT max(greatest(reported_at, coalesce(updated_at, reported_at))) FROM cases")
    return None if v is None or pd.isna(v) else pd.Timestamp(v).to_pydatetime()


def date_range(db: Database) -> tuple[date, date] | None:
    df = db.execute("SELECT min(reported_at)::DATE AS lo, max(reported_at)::DATE AS hi FROM cases")
    if df.empty or pd.isna(df.at[0, "lo"]):
        return None
    return pd.Timestamp(df.at[0, "lo"]).date(), pd.Timestamp(df.at[0, "hi"]).date()


def towns(db: Database) -> pd.DataFrame:
    return db.execute("SELECT unit_id, name_zh, name_en, kind, residents FROM units WHERE level = 'town' ORDER BY unit_id")


def communities(db: Database, town_ids: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    sql = "SELECT unit_id, name_zh, town_id, kind, residents FROM units WHERE level = 'community'"
    if town_ids:
        return db.execute(sql + " AND town_id IN (SELECT unnest($t)) ORDER BY unit_id", {"t": list(town_ids)})
    return db.execute(sql + " ORDER BY unit_id")


def grids(db: Database, community_ids: list[str] | tuple[str, ...]) -> pd.DataFrame:
    return db.execute("SELECT unit_id, name_zh, community_id, town_id FROM units WHERE level = 'grid' "
                      "AND community_id IN (SELECT unnest($c)) ORDER BY unit_id", {"c": list(community_ids)})


def unit_names(db: Database) -> dict[str, str]:
    df = db.execute("SELECT unit_id, name_zh FROM units")
    return dict(zip(df["unit_id"], df["name_zh"]))


def categories(db: Database) -> pd.DataFrame:
    return db.execute("SELECT DISTINCT category FROM categories ORDER BY category")


def category_labels(db: Database) -> pd.DataFrame:
    """Category and subcategory labels (zh/en)."""
    return db.execute("SELECT category, subcategory, name_zh, name_en, department_id, deadline_days "
                      "FROM categories ORDER BY category, subcategory")


def departments(db: Database) -> pd.DataFrame:
    return db.execute("SELECT department_id, name_zh, name_en FROM departments ORDER BY department_id")


# --- indicators ---

def kpis(db: Database, f: Filters, at: datetime) -> dict:
    """Headline indicators for a filter; rates are NaN when their denominator is 0."""
    clause, params = where(f)
    df = db.execute(f"SELECT {INDICATOR_SQL} FROM cases WHERE {clause}", {**params, "as_of": at})
    return _rates(df).iloc[0].to_dict()


def unit_stats(db: Database, f: Filters, level: str, at: datetime) -> pd.DataFrame:
    """Indicators per unit of ``level`` (town/community/grid) for units inside the filter's area."""
    col = LEVEL_COLUMN[level]
    clause, params = where(f, alias="c")
    area_clause, area_params = _area(f, level)
    sql = f"""
        WITH s AS (SELECT c.{col} AS unit_id, {INDICATOR_SQL} FROM cases c WHERE {clause} GROUP BY 1)
        SELECT u.unit_id, u.name_zh, u.name_en, u.kind, u.parent_id, u.town_id, u.residents, u.area_km2,
               u.lon, u.lat, s.* EXCLUDE (unit_id)
        FROM units u LEFT JOIN s USING (unit_id)
        WHERE u.level = $level {area_clause}
        ORDER BY u.unit_id
    """
    df = db.execute(sql, {**params, **area_params, "as_of": at, "level": level})
    for c in ("collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue"):
        df[c] = df[c].fillna(0).astype(int)
    df = _rates(df)
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
    return "".join(f" AND {c}" for c in clauses), params


def unit_geometries(db: Database, level: str, f: Filters | None = None) -> pd.DataFrame:
    """unit_id, name_zh and WKB polygon (WGS-84) of every unit of ``level`` in the filter's area."""
    area_clause, area_params = _area(f, level) if f is not None else ("", {})
    return db.execute(f"SELECT u.unit_id, u.name_zh, u.geom FROM units u WHERE u.level = $level {area_clause} "
                      "ORDER BY u.unit_id", {"level": level, **area_params})


def trend(db: Database, f: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Indicators per period (by reported day), optionally split by town/department/category/channel/tier."""
    unit = PERIODS[period]
    clause, params = where(f)
    split_sql = f", {SPLITS[split]} AS series" if split else ""
    group = "1, 2" if split else "1"
    df = db.execute(f"SELECT date_trunc('{unit}', reported_at) AS period{split_sql}, {INDICATOR_SQL} "
                    f"FROM cases WHERE {clause} GROUP BY {group} ORDER BY {group}", {**params, "as_of": at})
    return _rates(df)


def backlog(db: Database, f: Filters, period: str) -> pd.DataFrame:
    """Open cases at the end of each period (reported before the period end, not closed by then)."""
    unit = PERIODS[period]
    clause, params = where(f)
    sql = f"""
        WITH ends AS (
            SELECT DISTINCT date_trunc('{unit}', reported_at) AS period,
                   date_trunc('{unit}', reported_at) + INTERVAL 1 {unit} AS period_end
            FROM cases WHERE {clause})
        SELECT e.period, count(c.case_id) AS backlog
        FROM ends e LEFT JOIN cases c
          ON c.reported_at < e.period_end AND (c.closed_at IS NULL OR c.closed_at >= e.period_end)
         AND {where(f, alias='c')[0]}
        GROUP BY 1 ORDER BY 1
    """
    return db.execute(sql, params)


# --- cases ---

CASE_COLUMNS = ("case_id", "reported_at", "town_id", "community_id", "grid_id", "category", "subcategory",
                "channel", "department_id", "tier", "status", "resolved", "recognised", "deadline_at",
                "closed_at", "satisfaction", "description", "address", "complainant_name", "complainant_phone")
ORDERS = {"newest": "reported_at DESC, case_id", "oldest": "reported_at, case_id",
          "overdue": "deadline_at, case_id"}


def case_count(db: Database, f: Filters) -> int:
    clause, params = where(f)
    return int(db.scalar(f"SELECT count(*) FROM cases WHERE {clause}", params))


def cases_page(db: Database, f: Filters, *, offset: int = 0, limit: int = 100, order: str = "newest",
               columns: tuple[str, ...] = CASE_COLUMNS) -> pd.DataFrame:
    """One page of filtered cases."""
    cols = ", ".join(c for c in columns if c in CASE_COLUMNS)
    clause, params = where(f)
    return db.execute(f"SELECT {cols} FROM cases WHERE {clause} ORDER BY {ORDERS[order]} LIMIT $limit OFFSET $offset",
                      {**params, "limit": int(limit), "offset": int(offset)}, max_rows=limit)


def case_detail(db: Database, case_id: str) -> pd.DataFrame:
    return db.execute("SELECT * FROM cases WHERE case_id = $id", {"id": case_id})


# --- stations and population ---

def stations(db: Database, town_ids: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    sql = ("SELECT station_id, name_zh, level, community_id, town_id, lon, lat, f_party, f_gov, f_culture, "
           "f_joint, f_clinic, opening_hours, extended_hours, floor_area_m2 FROM stations")
    if town_ids:
        return db.execute(sql + " WHERE town_id IN (SELECT unnest($t)) ORDER BY station_id", {"t": list(town_ids)})
    return db.execute(sql + " ORDER BY station_id")


def cells(db: Database) -> pd.DataFrame:
    return db.execute("SELECT cell_id, x, y, lon, lat, size_m, residents, grid_id, community_id, town_id "
                      "FROM cells ORDER BY cell_id", max_rows=10_000_000)


# --- heatmap ---

# local equirectangular metres around a fixed origin: error < 0.5 % across the district, and
# the bin arithmetic stays in SQL so only aggregated bins leave the database
BIN_ORIGIN = (121.30, 30.70)
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * 0.8563  # cos(31.1°)
FRAMES = {"none": "0", "hour": "hour(reported_at)", "dow": "isodow(reported_at)",
          "week": "date_trunc('week', reported_at)", "month": "date_trunc('month', reported_at)"}


def heat_bins(db: Database, f: Filters, cell_m: float, frame: str = "none") -> pd.DataFrame:
    """Case counts in square bins of ``cell_m`` metres (lon/lat of each bin's south-west corner), per frame."""
    clause, params = where(f)
    sql = f"""
        SELECT {FRAMES[frame]} AS frame,
               floor((lon - $lon0) * $mx / $cell) AS bx, floor((lat - $lat0) * $my / $cell) AS by,
               count(*) AS count
        FROM cases WHERE {clause} AND lon IS NOT NULL
        GROUP BY ALL
    """
    df = db.execute(sql, {**params, "lon0": BIN_ORIGIN[0], "lat0": BIN_ORIGIN[1], "mx": M_PER_DEG_LON,
                          "my": M_PER_DEG_LAT, "cell": float(cell_m)}, max_rows=2_000_000)
    df["lon"] = BIN_ORIGIN[0] + df["bx"] * cell_m / M_PER_DEG_LON
    df["lat"] = BIN_ORIGIN[1] + df["by"] * cell_m / M_PER_DEG_LAT
    return df


def case_points(db: Database, f: Filters, limit: int = 5000) -> pd.DataFrame:
    """Individual filtered cases for drawing as points (only used when the set is small)."""
    clause, params = where(f)
    return db.execute(f"SELECT case_id, lon, lat, category, subcategory, status, reported_at, description "
                      f"FROM cases WHERE {clause} AND lon IS NOT NULL ORDER BY reported_at DESC LIMIT $limit",
                      {**params, "limit": int(limit)}, max_rows=limit)


def district_outline(db: Database) -> pd.DataFrame:
    return db.execute("SELECT unit_id, geom FROM units WHERE level = 'town'")


# --- import ---
# Writes run on a writable connection from govdash.db.writer inside one transaction held by
# govdash.ingest; the staged rows arrive as a registered Arrow table named `import_rows`.

IMPORT_COLUMNS = ("channel", "category", "subcategory", "description", "complainant_name", "complainant_phone",
                  "address", "lon", "lat", "grid_id", "community_id", "town_id", "reported_at", "dispatched_at",
                  "handled_at", "closed_at", "deadline_at", "department_id", "tier", "status", "resolved",
                  "recognised", "satisfaction", "repeat_of", "key_difficult")  # what an import may set
IMPORT_COUNTS = ("rows_read", "inserted", "updated", "unchanged", "quarantined", "outside_units", "warnings")


def _import_columns(columns) -> list[str]:
    cols = [c for c in columns if c in IMPORT_COLUMNS]
    if len(cols) != len([c for c in columns if c != "case_id"]):
        raise ValueError(f"not importable case columns: {sorted(set(columns) - set(IMPORT_COLUMNS) - {'case_id'})}")
    return cols


def import_context(con) -> dict[str, pd.DataFrame]:
    """What validation needs from the database: grid polygons, categories, departments."""
    return {
        "grids": con.execute("SELECT unit_id, coalesce(community_id, parent_id) AS community_id, town_id, geom "
                             "FROM units WHERE level = 'grid' AND geom IS NOT NULL ORDER BY unit_id").df(),
        "categories": con.execute("SELECT category, max(deadline_days) AS deadline_days "
                                  "FROM categories GROUP BY category").df(),
        "departments": con.execute("SELECT department_id, name_zh, name_en FROM departments").df(),
    }


def _diff_select(cols: list[str]) -> str:
    changed = " OR ".join(f"r.{c} IS DISTINCT FROM c.{c}" for c in cols) or "false"
    return (f"SELECT r.case_id, CASE WHEN c.case_id IS NULL THEN 'insert' WHEN {changed} THEN 'update' "
            f"ELSE 'same' END AS op FROM import_rows r LEFT JOIN cases c ON c.case_id = r.case_id")


def import_preview(con, columns) -> dict[str, int]:
    """Count what an import would insert / update / leave unchanged (dry run; writes nothing)."""
    df = con.execute(f"SELECT op, count(*) AS n FROM ({_diff_select(_import_columns(columns))}) GROUP BY op").df()
    got = dict(zip(df["op"], df["n"].astype(int)))
    return {"inserted": got.get("insert", 0), "updated": got.get("update", 0), "unchanged": got.get("same", 0)}


def import_apply(con, import_id: str, at, columns) -> dict[str, int]:
    """Upsert `import_rows` into cases by case_id, keeping prior images in case_versions."""
    cols = _import_columns(columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE import_diff AS {_diff_select(cols)}")
    counts = import_preview(con, columns)
    vcols = ", ".join(IMPORT_COLUMNS)
    con.execute(f"INSERT INTO case_versions (import_id, op, case_id, {vcols}, prior_import_id, prior_updated_at) "
                f"SELECT $id, d.op, d.case_id, {', '.join('c.' + c for c in IMPORT_COLUMNS)}, c.import_id, c.updated_at "
                f"FROM import_diff d LEFT JOIN cases c ON c.case_id = d.case_id WHERE d.op <> 'same'",
                {"id": import_id})
    sets = ", ".join(f"{c} = r.{c}" for c in cols)
    con.execute(f"UPDATE cases SET {sets}, import_id = $id, updated_at = $at FROM import_rows r, import_diff d "
                f"WHERE cases.case_id = r.case_id AND d.case_id = r.case_id AND d.op = 'update'",
                {"id": import_id, "at": at})
    names = ", ".join(cols)
    con.execute(f"INSERT INTO cases (case_id, {names}, import_id, updated_at) "
                f"SELECT r.case_id, {', '.join('r.' + c for c in cols)}, $id, $at "
                f"FROM import_rows r JOIN import_diff d ON d.case_id = r.case_id WHERE d.op = 'insert'",
                {"id": import_id, "at": at})
    con.execute("DROP TABLE import_diff")
    return counts


def import_quarantine(con) -> None:
    """Copy the registered `import_bad` rows (import_id, file_name, source_row, reasons, record) to quarantine."""
    con.execute("INSERT INTO quarantine (import_id, file_name, source_row, reasons, record) "
                "SELECT import_id, file_name, source_row, reasons, record FROM import_bad")


def import_record(con, rec: dict) -> None:
    """Insert one row into imports; `seq` orders imports for undo."""
    keys = ("import_id", "kind", "file_name", "sha256", "mapping", "crs", "on_error", *IMPORT_COUNTS,
            "started_at", "finished_at", "user_name")
    con.execute(f"INSERT INTO imports (seq, status, {', '.join(keys)}) "
                f"SELECT coalesce(max(seq), 0) + 1, 'loaded', {', '.join('$' + k for k in keys)} FROM imports",
                {k: rec.get(k) for k in keys})


def import_list(con, limit: int = 100) -> pd.DataFrame:
    """Most recent imports first."""
    return con.execute("SELECT * FROM imports ORDER BY seq DESC LIMIT $limit", {"limit": int(limit)}).df()


def import_blockers(con, import_id: str) -> list[str]:
    """Later imports, still loaded, that changed cases this import changed (undo those first)."""
    df = con.execute("""
        SELECT DISTINCT j.import_id, j.seq FROM case_versions v
        JOIN case_versions w ON w.case_id = v.case_id AND w.import_id <> v.import_id
        JOIN imports j ON j.import_id = w.import_id
        WHERE v.import_id = $id AND j.status = 'loaded'
          AND j.seq > (SELECT seq FROM imports WHERE import_id = $id)
        ORDER BY j.seq DESC""", {"id": import_id}).df()
    return df["import_id"].tolist()


def import_undo(con, import_id: str, at, user: str | None) -> dict[str, int]:
    """Remove the cases an import inserted and restore the prior images of those it updated."""
    n = con.execute("SELECT count(*) FILTER (WHERE op = 'insert'), count(*) FILTER (WHERE op = 'update') "
                    "FROM case_versions WHERE import_id = $id", {"id": import_id}).fetchone()
    con.execute("DELETE FROM cases WHERE case_id IN "
                "(SELECT case_id FROM case_versions WHERE import_id = $id AND op = 'insert')", {"id": import_id})
    sets = ", ".join(f"{c} = v.{c}" for c in IMPORT_COLUMNS)
    con.execute(f"UPDATE cases SET {sets}, import_id = v.prior_import_id, updated_at = v.prior_updated_at "
                f"FROM case_versions v WHERE v.import_id = $id AND v.op = 'update' AND cases.case_id = v.case_id",
                {"id": import_id})
    con.execute("UPDATE imports SET status = 'undone', undone_at = $at, undone_by = $user WHERE import_id = $id",
                {"id": import_id, "at": at, "user": user})
    return {"removed": int(n[0]), "restored": int(n[1])}


def import_status(con, import_id: str) -> str | None:
    row = con.execute("SELECT status FROM imports WHERE import_id = $id", {"id": import_id}).fetchone()
    return None if row is None else row[0]
