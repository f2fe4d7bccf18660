"""Reads for maps: stations, population cells, heatmap bins and points, unit outlines, the station directory."""

from __future__ import annotations

import pandas as pd

from govdash.bins import BinFrame, frame_for
from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.queries import (
    LEVEL_COLUMN,
    _per_level,
    scope_clause,
    unit_levels,
    units_bounds,
    units_extent,
    where,
)
from govdash.queries_scope import scopes_clause

# --- stations and population ---


def stations(db: Database, town_ids: list[str] | tuple[str, ...] = (), *, within: tuple = ()) -> pd.DataFrame:
    """Stations (of ``town_ids``; inside each Scope of ``within``, e.g. an account's and a view's unit, to
    count a unit's own stations). Without ``within`` not limited by an account's scope: they are public service
    points, and residents near a border walk to the neighbouring town's station, so coverage needs them all."""
    sc, params = scopes_clause(within, "places", name="within")
    sql = (
        "SELECT station_id, name_zh, level, community_id, town_id, lon, lat, f_party, f_gov, f_culture, "
        f"f_joint, f_clinic, opening_hours, extended_hours, floor_area_m2 FROM stations WHERE {sc}"
    )
    if town_ids:
        return db.execute(
            sql + " AND town_id IN (SELECT unnest($t)) ORDER BY station_id", {**params, "t": list(town_ids)}
        )
    return db.execute(sql + " ORDER BY station_id", params)


def cells(db: Database, *, scope: Scope | None = None, area: Scope | None = None) -> pd.DataFrame:
    """Population cells of the account's ``scope`` and of the unit a view is opened for (``area``)."""
    sc, params = scopes_clause((scope, area), "places")
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


def unlocated(db: Database, f: Filters, level: str | None = None) -> int:
    """Filtered cases without a point (located by a unit's name or code, issue 16 item 4): all of them
    (``level`` None: drawn on no point map), or those without a unit at ``level`` (named by a higher level's
    unit: counted there, in none of this level's units)."""
    clause, params = where(f)
    unit = "" if level is None else f" AND town_id IS NOT NULL AND {LEVEL_COLUMN[level]} IS NULL"
    return int(db.scalar(f"SELECT count(*) FROM cases WHERE {clause} AND (lon IS NULL OR lat IS NULL){unit}", params))


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
    ``grid_id`` is the unit of the lowest level present (a district without grids: its communities, or towns).
    """
    clause, params = where(f)
    unit = LEVEL_COLUMN[(unit_levels(db) or ("grid",))[-1]]
    return db.execute(
        f"SELECT case_id, category, {unit} AS grid_id, reported_at, lon, lat FROM cases WHERE {clause} "
        f"ORDER BY reported_at, case_id LIMIT $limit",
        {**params, "limit": int(limit) + 1},
        max_rows=limit,
    )


def unit_paths(db: Database, *, scope: Scope | None = None) -> dict[str, dict[str, str]]:
    """level → {unit_id → "street/town · unit"} (a town: its name), for places listed outside their town's context."""
    sc, params = scope_clause(scope, "units", "u")
    return _per_level(
        db.execute(
            "SELECT u.level, u.unit_id, CASE WHEN u.level = 'town' THEN u.name_zh ELSE t.name_zh || ' · ' || u.name_zh "
            f"END AS name FROM units u LEFT JOIN units t ON t.unit_id = u.town_id AND t.level = 'town' WHERE {sc}",
            params,
            complete=True,
        )
    )


def district_outline(db: Database, *, scope: Scope | None = None) -> pd.DataFrame:
    sc, params = scope_clause(scope, "units")
    return db.execute(f"SELECT unit_id, geom FROM units WHERE level = 'town' AND {sc}", params)


# --- coverage: station directory and cases near stations ---
# Restored (issue 8): removed from the bench section by an overlapping edit while pages/coverage.py
# still calls them; now also limited to an account's streets/towns (scope).


def station_directory(
    db: Database, town_ids: list[str] | tuple[str, ...] = (), *, scope: Scope | None = None
) -> pd.DataFrame:
    """Stations with their service items counted by tier (baseline / basic / quality) and in all."""
    sc, scope_params = scope_clause(scope, "places", "s")
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
    sc, scope_params = scope_clause(f.scope, "places", name="station_scope")
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
