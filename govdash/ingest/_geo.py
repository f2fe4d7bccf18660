"""The stations and units pipeline: WGS-84 points or valid polygons, placed in the unit hierarchy, upserted by id."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from govdash import district_record, schema
from govdash.ingest import _coords, _plumbing, _sql
from govdash.ingest._cases import assign_units
from govdash.ingest._geo_sources import (
    KINDS,
    LEVELS,
    GeoMapping,
    GeoTable,
    load_geo_mapping,
    map_fields,
    read_geo,
    resolve_columns,
)
from govdash.ingest._mapping import MappingError
from govdash.ingest._readers import Table, ValidationError
from govdash.ingest._report import ImportReport, Issue, Progress, any_failed, fill


def _transform(geoms: np.ndarray, fn) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(fn(xy[:, 0], xy[:, 1])))


def to_wgs84(geoms: np.ndarray, crs: str | None, file_crs=None) -> np.ndarray:
    """Geometries to WGS-84: ``crs`` ('wgs84' | 'gcj02' | 'bd09' | 'EPSG:n') wins, else the file's CRS."""
    if crs is not None:
        return geoms if crs == "wgs84" else _transform(geoms, lambda x, y: _coords.to_wgs84(x, y, crs))
    if file_crs is None or file_crs.to_epsg() == 4326 or "CRS84" in str(file_crs):
        return geoms
    import geopandas as gpd

    return np.asarray(gpd.GeoSeries(geoms, crs=file_crs).to_crs(4326).array, dtype=object)


def polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """2-D valid (multi)polygons: (geometries, missing mask, not-polygonal mask, repaired mask).

    Invalid rings are repaired with shapely.make_valid; of a repair that yields a collection, the
    polygonal parts are kept.
    """
    g = shapely.force_2d(np.asarray(geoms, dtype=object))
    missing = shapely.is_missing(g) | shapely.is_empty(g)
    bad = ~missing & ~shapely.is_valid(g)
    g = np.where(bad, shapely.make_valid(g), g)
    for i in np.flatnonzero(shapely.get_type_id(g) == 7):  # GeometryCollection: few, after a repair
        parts = [p for p in shapely.get_parts(g[i]) if shapely.get_type_id(p) in (3, 6)]
        g[i] = shapely.union_all(parts) if parts else None
    not_poly = ~missing & ~np.isin(shapely.get_type_id(g), (3, 6))
    return g, missing, not_poly, bad & ~not_poly


def point_checks(lon, lat, present: np.ndarray, zero: np.ndarray, bbox) -> list[Issue]:
    """Coordinate rules of a station (WGS-84 degrees): missing, not numbers, (0, 0) (``zero``, as given), swapped,
    outside the units' extent plus a margin."""
    finite = (np.isfinite(np.asarray(lon, float)) & np.isfinite(np.asarray(lat, float))) | zero
    inside, swapped = _coords.placed(lon, lat, finite, bbox)
    return [
        ("coords", "coords_missing", "no coordinates", ~present),
        ("coords", "coords_invalid", "coordinates not numbers", present & ~finite),
        ("coords", "coords_zero", "coordinates are (0, 0)", zero),
        ("coords", "coords_swapped", "latitude and longitude swapped", swapped),
        ("coords", "coords_outside", "outside the district", finite & ~zero & ~inside & ~swapped),
    ]


def unit_frame(units: pd.DataFrame, level: str) -> pd.DataFrame:
    """Polygons of one level as assign_units wants them (unit_id, community_id, town_id, geom)."""
    u = units[units["level"] == level]
    com = u["unit_id"] if level == "community" else u["community_id"]
    return pd.DataFrame(
        {"unit_id": u["unit_id"], "community_id": com, "town_id": u["town_id"], "geom": u["geom"]}
    ).reset_index(drop=True)


def locate_stations(lon, lat, given: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """community_id / town_id of each station: as given, else from the grid, community or town polygon holding it."""
    out = pd.DataFrame(
        {"community_id": given.get("community_id"), "town_id": given.get("town_id")}, index=given.index
    ).astype("str")
    for level in ("grid", "community"):
        todo = out["community_id"].isna().to_numpy(bool)
        polys = unit_frame(units, level)
        if todo.any() and len(polys):
            got = assign_units(np.where(todo, lon, np.nan), np.where(todo, lat, np.nan), polys)
            got.index = out.index
            out["community_id"] = out["community_id"].fillna(got["community_id"])
            out["town_id"] = out["town_id"].fillna(got["town_id"].where(todo))
    comms = units[units["level"] == "community"]  # ids repeat across levels: a community id names a community
    town_of = dict(zip(comms["unit_id"], comms["town_id"], strict=True))
    out["town_id"] = out["town_id"].fillna(out["community_id"].map(town_of).astype("str"))
    todo, towns = out["town_id"].isna().to_numpy(bool), unit_frame(units, "town")
    if todo.any() and len(towns):  # in a street/town but in none of its communities
        got = assign_units(np.where(todo, lon, np.nan), np.where(todo, lat, np.nan), towns)
        out["town_id"] = out["town_id"].fillna(got["town_id"].set_axis(out.index))
    return out


def unit_hierarchy(stage: pd.DataFrame, ok: np.ndarray, known: pd.DataFrame):
    """parent_id, town_id and community_id of each unit, level by level.

    A parent is a unit one level up, in the file (rows still valid) or already in the database;
    a community or grid without one goes to the unit of that level holding its interior point.
    A given parent of a level not imported at all yet (neither in the file nor in the database) is
    pending: the row keeps its parent id, its town/community ids stay empty until that level arrives
    (``_sql`` links them). Returns the three columns and the masks of rows whose given parent is
    unknown, of rows with none found, and of rows whose parent is pending.
    """
    n = len(stage)
    parent = np.full(n, None, dtype=object)
    if "parent_id" in stage:
        given = stage["parent_id"].notna().to_numpy(bool)
        parent[given] = stage["parent_id"].to_numpy(dtype=object)[given]
    town, com = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    unknown, orphan, pending = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    ids, lv = stage["unit_id"].to_numpy(dtype=object), stage["level"].to_numpy(dtype=object)
    inner = shapely.point_on_surface(stage["geom"].to_numpy(dtype=object))
    for rank, level in enumerate(schema.UNIT_LEVELS):
        rows = np.flatnonzero(ok & (lv == level))
        if level == "town":
            parent[rows], town[rows] = None, ids[rows]
            continue
        up = schema.UNIT_LEVELS[rank - 1]
        done = np.flatnonzero(ok & (lv == up) & ~unknown & ~orphan)
        pool = pd.concat(
            [
                pd.DataFrame(
                    {"unit_id": ids[done], "town_id": town[done], "geom": stage["geom"].to_numpy(dtype=object)[done]}
                ),
                known.loc[known["level"] == up, ["unit_id", "town_id", "geom"]],
            ],
            ignore_index=True,
        )
        pool = pool.drop_duplicates("unit_id")  # the file's version of a unit wins
        town_of = dict(zip(pool["unit_id"], pool["town_id"], strict=True))
        given = np.array([parent[i] is not None for i in rows], dtype=bool)
        unknown[rows[given]] = [parent[i] not in town_of for i in rows[given]]
        if not (lv == up).any() and not (known["level"] == up).any():  # the level above comes later
            pending[rows[given]], unknown[rows[given]] = unknown[rows[given]], False
        need = rows[~given]
        if need.size and len(pool):
            tree = shapely.STRtree(pool["geom"].to_numpy(dtype=object))
            pi, gi = tree.query(inner[need], predicate="within")
            first = pd.Series(gi).groupby(pi).min()
            parent[need[first.index.to_numpy()]] = pool["unit_id"].to_numpy()[first.to_numpy()]
        orphan[need] = [parent[i] is None for i in need]
        fine = rows[~unknown[rows] & ~orphan[rows] & ~pending[rows]]
        town[fine] = [town_of[parent[i]] for i in fine]  # None under a pending community: linked with it
        com[fine] = ids[fine] if level == "community" else parent[fine]
    return parent, town, com, unknown, orphan, pending


def residents_in(polys: np.ndarray, cells: pd.DataFrame) -> np.ndarray:
    """Residents of the population cells whose centre lies in each polygon (NaN when there are no cells)."""
    if cells.empty:
        return np.full(len(polys), np.nan)
    pts = shapely.points(cells["lon"].to_numpy(float), cells["lat"].to_numpy(float))
    pi, gi = shapely.STRtree(polys).query(pts, predicate="within")
    return np.bincount(gi, weights=cells["residents"].to_numpy(float)[pi], minlength=len(polys))


def area_km2(polys: np.ndarray, crs: str) -> np.ndarray:
    """Areas in km² of WGS-84 polygons, measured in the metric CRS ``crs`` (the district's)."""
    import geopandas as gpd

    return gpd.GeoSeries(polys, crs=4326).to_crs(crs).area.to_numpy(float) / 1e6


def district_crs(ctx: dict, polys: np.ndarray, ok: np.ndarray) -> tuple[str, list[str]]:
    """The metric CRS to measure these units in, and notes for the report.

    A district whose CRS is 'auto' and not chosen yet gets the UTM zone of its units (these and those
    already stored): ``ctx['district']`` is replaced by the record to write with the import. A CRS
    that distorts the district's scale by more than 1 % is noted (the setting's override, or one set by hand).
    """
    d = ctx["district"]
    shapes = np.concatenate([np.asarray(polys, dtype=object)[ok], ctx["units"]["geom"].to_numpy(dtype=object)])
    shapes = shapes[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))] if len(shapes) else shapes
    notes = []
    if not len(shapes):
        return district_record.metric_crs(d), notes
    if d.crs_auto and not d.metric_crs:
        chosen = district_record.choose_crs(shapes)
        ctx["district"] = d = replace(d, metric_crs=chosen)
        notes.append(f"metric CRS of the district: {chosen} (the UTM zone of its units)")
    crs = district_record.metric_crs(d)
    off = district_record.distortion(crs, tuple(shapely.total_bounds(shapes)))
    if off > district_record.DISTORTION_LIMIT:
        notes.append(
            f"warning: the metric CRS {crs} distorts this district's scale by {off:.1%} (more than "
            f"{district_record.DISTORTION_LIMIT:.0%}): areas and walking minutes will be wrong; use its UTM "
            f"zone {district_record.choose_crs(shapes)} (init --crs, or unset GOVDASH_METRIC_CRS)"
        )
    return crs, notes


_TYPE_NAMES = np.array(
    [
        "Point",
        "LineString",
        "LinearRing",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "",
    ],
    dtype=object,
)


def _geom_text(g: np.ndarray) -> pd.Series:
    return pd.Series(_TYPE_NAMES[shapely.get_type_id(g)], dtype="str")  # missing: id -1 -> ""


def _stations(gt: GeoTable, out: pd.DataFrame, src: dict, m: GeoMapping, crs: str | None, ctx: dict, bad: np.ndarray):
    """Station rows: WGS-84 points, coordinate rules, community / town by point-in-polygon."""
    issues = []
    if "lon" in out and "lat" in out:
        x, y = out["lon"].to_numpy(float), out["lat"].to_numpy(float)
        present = (src["lon"].notna() | src["lat"].notna()).to_numpy(bool)
        src["coords"] = src["lon"].fillna("") + ", " + src["lat"].fillna("")
        zero = (x == 0) & (y == 0)
        ok = np.isfinite(x) & np.isfinite(y) & ~zero
        lon, lat = _coords.to_wgs84(np.where(ok, x, np.nan), np.where(ok, y, np.nan), crs or m.crs or "wgs84")
    elif gt.geoms is not None:
        g = to_wgs84(gt.geoms, crs or m.crs, gt.crs)
        present = ~(shapely.is_missing(g) | shapely.is_empty(g))
        not_point = present & (shapely.get_type_id(g) != 0)
        issues.append(("geometry", "geometry_not_point", "not a point", not_point))
        src["geometry"] = _geom_text(g)
        pts = np.where(not_point, None, g)
        lon, lat = shapely.get_x(pts), shapely.get_y(pts)
        zero, present = (lon == 0) & (lat == 0), present & ~not_point
        src["coords"] = pd.Series(lon).astype("str") + ", " + pd.Series(lat).astype("str")
        lon, lat = np.where(zero, np.nan, lon), np.where(zero, np.nan, lat)
    else:
        raise MappingError(
            "stations need coordinates: lon and lat columns (经度, 纬度; or map them), "
            "or a GeoJSON / GeoPackage / Shapefile of points"
        )
    issues += point_checks(lon, lat, present, zero, _coords.extent(ctx["units"]["geom"]))
    stage = out.drop(columns=["lon", "lat"], errors="ignore")
    stage["lon"], stage["lat"] = lon, lat
    where = locate_stations(lon, lat, out, ctx["units"])
    stage["community_id"], stage["town_id"] = where["community_id"], where["town_id"]
    located = np.isfinite(lon)
    warns = [
        (
            "coords",
            "outside_units",
            "in no community or grid: kept with empty unit ids",
            located & stage["community_id"].isna().to_numpy(bool),
        )
    ]
    return stage, issues, warns


def _units(gt: GeoTable, out: pd.DataFrame, src: dict, m: GeoMapping, crs: str | None, ctx: dict, bad: np.ndarray):
    """Unit rows: valid WGS-84 polygons, parents, area (km²), residents, label point, WKB."""
    if gt.geoms is None:
        raise ValidationError("boundaries need GeoJSON, GeoPackage or a zipped Shapefile")
    g = to_wgs84(gt.geoms, crs or m.crs, gt.crs)
    b = shapely.bounds(g)
    if np.isfinite(b).any() and (np.nanmax(np.abs(b[:, [0, 2]])) > 180 or np.nanmax(np.abs(b[:, [1, 3]])) > 90):
        raise ValidationError(
            "coordinates are not longitude/latitude degrees: the file's CRS is missing or "
            "wrong; give --crs EPSG:<code> (e.g. EPSG:32651 for UTM 51N metres)"
        )
    polys, missing, not_poly, repaired = polygons(g)
    src["geometry"] = _geom_text(g)
    far = _coords.far_outside(np.where(missing | not_poly, None, polys), ctx["units"]["geom"].to_numpy(dtype=object))
    issues = [
        ("geometry", "geometry_missing", "no geometry", missing),
        ("geometry", "geometry_not_polygon", "not a polygon", not_poly),
        ("geometry", "geometry_outside", "far outside the district (its units' extent; check the CRS)", far),
    ]
    bad = bad | missing | not_poly | far
    stage = out.copy()
    stage["geom"] = polys
    parent, town, com, unknown, orphan, pending = unit_hierarchy(stage, ~bad, ctx["units"])
    own = np.array([p is not None and p == i for p, i in zip(parent, stage["unit_id"], strict=True)], dtype=bool)
    issues += [
        (
            "parent_id",
            "parent_self",
            "its own parent: no unit one level up has this id (import the level above first, or fix the parent column)",
            unknown & own,
        ),
        (
            "parent_id",
            "parent_unknown",
            "parent not a valid unit one level up (in the file or database)",
            unknown & ~own,
        ),
        ("parent_id", "parent_missing", "no parent given and no unit one level up contains it", orphan),
    ]
    stage["parent_id"], stage["town_id"], stage["community_id"] = (
        pd.Series(v, index=stage.index, dtype="str") for v in (parent, town, com)
    )
    crs_m, ctx["notes"] = district_crs(ctx, polys, ~bad)
    stage["area_km2"] = area_km2(polys, crs_m)
    counted = residents_in(polys, ctx["cells"])
    given = stage["residents"].to_numpy(float) if "residents" in stage else np.full(len(stage), np.nan)
    stage["residents"] = pd.array(np.round(np.where(np.isfinite(given), given, counted)), dtype="Int64")
    label = shapely.point_on_surface(polys)
    stage["lon"], stage["lat"] = shapely.get_x(label), shapely.get_y(label)
    stage["geom"] = pd.Series(list(shapely.to_wkb(polys)), index=stage.index, dtype=object)
    warns = [
        ("geometry", "geometry_repaired", "invalid polygon repaired (shapely.make_valid)", repaired),
        (
            "parent_id",
            "parent_pending",
            "parent's level not imported yet: loaded with its parent id, linked when that level is imported",
            pending,
        ),
    ]
    return stage, issues, warns


_ARROW = {
    "lon": pa.float64(),
    "lat": pa.float64(),
    "floor_area_m2": pa.float64(),
    "area_km2": pa.float64(),
    "residents": pa.int32(),
    "geom": pa.binary(),
    **{f: pa.bool_() for f in (*schema.FUNCTIONS, "extended_hours")},
}


def _arrow(stage: pd.DataFrame) -> pa.Table:
    fields = [pa.field(c, _ARROW.get(c, pa.string())) for c in stage.columns]
    return pa.Table.from_pandas(stage, schema=pa.schema(fields), preserve_index=False)


def _quarantined(gt: GeoTable, bad: np.ndarray) -> Table:
    """The source table with the failed rows' geometry as WKT, to be fixed and re-imported."""
    table = gt.table
    if gt.geoms is None or not bad.any():
        return table
    wkt = np.full(len(bad), None, dtype=object)
    wkt[bad] = shapely.to_wkt(gt.geoms[bad], rounding_precision=7)
    return Table(table.frame.assign(geometry=wkt), table.rows, table.format, malformed=table.malformed)


def import_file(
    kind: str,
    db_path: str | os.PathLike,
    file,
    *,
    mapping=None,
    crs: str | None = None,
    encoding: str | None = None,
    on_error: str = "reject",
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    max_mb: float | None = None,
    quarantine_dir: str | os.PathLike | None = None,
    level: str | None = None,
) -> ImportReport:
    """Import service stations or unit boundaries into ``db_path``, a file no other process has open.

    ``kind`` is 'stations' (CSV / Excel with coordinates, or GeoJSON / GeoPackage / zipped Shapefile
    of points) or 'units' (GeoJSON / GeoPackage / zipped Shapefile of polygons); ``mapping`` a
    GeoMapping, a TOML path, or None to guess column names; ``level`` (units only) the level of
    every unit instead of a column. Other options as for ``govdash.ingest.run``. Rows are upserted
    by id (importing the same file twice changes nothing), in one transaction.
    """
    t0 = time.perf_counter()
    if kind not in KINDS:
        raise ValueError("kind is 'stations' or 'units'")
    if level is not None and level not in LEVELS[kind]:
        raise ValidationError(f"level is one of {', '.join(LEVELS[kind])}")
    src, crs = _plumbing.begin(file, name=name, crs=crs, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    m = load_geo_mapping(mapping, kind)
    say(0.05, "reading")
    gt = read_geo(src, kind, encoding=encoding)
    table = gt.table
    cols = resolve_columns(table.frame.columns, m)
    out, text, issues = map_fields(table.frame, cols, m, level)
    rep = ImportReport(
        file=src.name,
        sha256=src.sha256,
        mapping=m.name,
        on_error=on_error,
        rows=len(table.frame) + len(table.malformed),
    )

    def label(fld: str) -> str:
        if fld == "coords":
            return "/".join(cols[k] for k in ("lon", "lat") if k in cols) or "coords"
        return cols.get(fld, fld)

    say(0.30, "checking")
    with _plumbing.session(db_path, dry_run) as con:
        ctx = _sql.context(con, kind)
        ctx["units"]["geom"] = shapely.from_wkb([bytes(b) for b in ctx["units"]["geom"]])
        ctx["district"] = known = district_record.read_con(con)
        stage, more, warns = (_stations if kind == "stations" else _units)(
            gt, out, text, m, crs, ctx, any_failed(issues, len(out))
        )
        bad = fill(rep, table, issues + more, warns, text, label, warn_failed=False)
        rep.notes += ctx.get("notes", [])
        rep.outside_units = len(rep.warnings[rep.warnings["rule"] == "outside_units"]) if kind == "stations" else 0
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        keep = stage.loc[~bad].reset_index(drop=True)
        with _plumbing.staged(con, _arrow(keep)):
            say(0.70, "checking the write" if dry_run else "writing")
            qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
            chosen = ctx["district"] if ctx["district"] != known else None
            _plumbing.write(
                con,
                kind,
                rep,
                _quarantined(gt, bad),
                bad,
                columns=list(keep.columns),
                crs=crs or m.crs,
                user=user,
                qdir=qdir,
                dry_run=dry_run,
                also=(lambda c, _id: district_record.write(c, chosen)) if chosen else None,
            )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep
