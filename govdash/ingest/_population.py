"""The population pipeline: counts at points, in raster pixels or in polygons, onto the district's 100 m surface."""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from govdash import district_record
from govdash.ingest import _coords, _plumbing, _sql
from govdash.ingest._geo import to_wgs84
from govdash.ingest._geo_sources import read_geo
from govdash.ingest._mapping import MappingError, as_text
from govdash.ingest._readers import Source, Table, ValidationError
from govdash.ingest._report import ImportReport, Progress, fill
from govdash.surface import CELL_M, cell_sums, place, points_to_cells, polygons_to_cells

COUNT_GUESS = ("count", "population", "pop", "residents", "people", "value", "人口", "常住人口", "人数", "户籍人口")
LON_GUESS, LAT_GUESS = ("lon", "lng", "longitude", "x", "经度"), ("lat", "latitude", "y", "纬度")
_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # TIFF and BigTIFF
WINDOW_ROWS = 256  # raster rows read at a time: memory stays bounded whatever the raster's size
COLUMNS = ["cell_id", "x", "y", "lon", "lat", "size_m", "residents", "grid_id", "community_id", "town_id"]


def metric_crs(con) -> str:
    """The CRS of the 100 m lattice: the district's (chosen from its units, or set; GOVDASH_METRIC_CRS overrides)."""
    return district_record.metric_crs(district_record.read_con(con))


def raster_to_cells(
    path: str | os.PathLike,
    name: str,
    to_crs: str,
    crs: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, int]:
    """Pixel counts of a GeoTIFF's first band into the 100 m cells holding each pixel's centre.

    Only the pixels within ``bounds`` (west, south, east, north, degrees: the district) are read,
    ``WINDOW_ROWS`` rows at a time, summed per cell as it goes: memory is bounded by the district's
    cells, not by the raster (a country's WorldPop file reads as fast as the district's part of it).
    The raster's own CRS is used (``crs`` when it has none). Pixels equal to nodata, or not finite,
    are empty; a negative count refuses the file. Returns the cells and the number of pixels holding people.
    """
    import rasterio
    from pyproj import Transformer
    from rasterio.windows import Window, from_bounds

    with rasterio.open(path) as ds:
        src_crs = ds.crs.to_string() if ds.crs else (crs if crs and crs.startswith("EPSG:") else None)
        if src_crs is None:
            raise ValidationError(f"{name}: the raster has no CRS: give --crs EPSG:<code>")
        tr = Transformer.from_crs(src_crs, to_crs, always_xy=True)
        whole = Window(0, 0, ds.width, ds.height)
        if bounds is not None:
            box = Transformer.from_crs("EPSG:4326", src_crs, always_xy=True).transform_bounds(*bounds, densify_pts=21)
            try:
                w = from_bounds(*box, transform=ds.transform)
                c_lo, r_lo = math.floor(w.col_off), math.floor(w.row_off)
                whole = Window(
                    c_lo, r_lo, math.ceil(w.col_off + w.width) - c_lo, math.ceil(w.row_off + w.height) - r_lo
                ).intersection(Window(0, 0, ds.width, ds.height))
            except rasterio.errors.WindowError:  # no overlap: every pixel is outside the district
                west, south, east, north = Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True).transform_bounds(
                    *ds.bounds, densify_pts=21
                )
                raise ValidationError(
                    f"{name}: the raster covers {_extent_text((west, south, east, north))}, the "
                    f"district's units {_extent_text(bounds)} (longitude, latitude): they do not "
                    "overlap; check the raster's CRS"
                ) from None
        c0, r_start, width = int(whole.col_off), int(whole.row_off), int(whole.width)
        sums: pd.DataFrame | None = None
        pixels = 0
        for r0 in range(r_start, r_start + int(whole.height), WINDOW_ROWS):
            h = min(WINDOW_ROWS, r_start + int(whole.height) - r0)
            block = ds.read(1, window=Window(c0, r0, width, h), masked=True).astype(float)
            vals = block.filled(np.nan)
            neg = np.isfinite(vals) & (vals < 0)
            if neg.any():
                rr, cc = np.argwhere(neg)[0]
                raise ValidationError(
                    f"{name}: band 1, row {r0 + rr + 1}, column {c0 + cc + 1}: {vals[rr, cc]:g} "
                    "is not a count ≥ 0 (negative pixels: is the raster's nodata value set?)"
                )
            rr, cc = np.nonzero(np.isfinite(vals) & (vals > 0))
            if not rr.size:
                continue
            pixels += rr.size
            a = ds.transform  # pixel centre -> the raster's CRS
            col, row = c0 + cc + 0.5, r0 + rr + 0.5
            px, py = a.a * col + a.b * row + a.c, a.d * col + a.e * row + a.f
            x, y = tr.transform(px, py)
            part = points_to_cells(np.asarray(x), np.asarray(y), vals[rr, cc])
            sums = part if sums is None else cell_sums(*(np.r_[sums[c], part[c]] for c in ("ix", "iy", "residents")))
            if progress:
                progress(0.05 + 0.5 * (r0 + h - r_start) / max(1, whole.height), "reading")
    return (sums if sums is not None else cell_sums(np.zeros(0), np.zeros(0), np.zeros(0))), pixels


# --- reading a table or GIS file ---


def _pick(columns, wanted: str | None, guesses: tuple[str, ...], what: str, name: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise MappingError(f"{name}: no column {wanted!r}; the file has: {', '.join(map(str, columns))}")
        return wanted
    lower = {str(c).lower(): c for c in columns}
    hit = next((lower[g] for g in guesses if g in lower), None)
    if hit is None:
        raise MappingError(
            f"{name}: no {what} column (tried {', '.join(guesses)}; --column names it); "
            f"the file has: {', '.join(map(str, columns))}"
        )
    return hit


def _features(src: Source, crs: str | None, to_crs: str, column: str | None, encoding: str | None):
    """Counts and metric geometries of a CSV / Excel / GeoJSON / GeoPackage / Shapefile: (table, geoms, src text,
    counts, row issues, column labels)."""
    import geopandas as gpd

    gt = read_geo(src, "stations", encoding=encoding)
    frame = gt.table.frame
    count_col = _pick(frame.columns, column, COUNT_GUESS, "count", src.name)
    text = {"count": as_text(frame[count_col])}
    people = pd.to_numeric(text["count"].str.replace(",", "", regex=False), errors="coerce").to_numpy(float)
    issues = [
        ("count", "value_invalid", "not a count ≥ 0", (text["count"].notna() & ~(people >= 0)).to_numpy(bool)),
        ("count", "value_missing", "no count", text["count"].isna().to_numpy(bool)),
    ]
    labels = {"count": count_col}
    if gt.geoms is not None:
        g = to_wgs84(gt.geoms, crs, gt.crs)
        text["geometry"] = pd.Series(shapely.get_type_id(g), dtype="str")
        kind = shapely.get_type_id(g)
        missing = shapely.is_missing(g) | shapely.is_empty(g)
        usable = np.isin(kind, (0, 3, 4, 6))  # points, polygons and their multi forms
        issues += [
            ("geometry", "geometry_missing", "no geometry", missing),
            ("geometry", "geometry_not_supported", "not a point or polygon", ~missing & ~usable),
        ]
        g = np.where(missing | ~usable, None, shapely.make_valid(np.where(missing | ~usable, None, g)))
        metric = np.asarray(gpd.GeoSeries(g, crs=4326).to_crs(to_crs).array, dtype=object)
    else:
        lon_col = _pick(frame.columns, None, LON_GUESS, "longitude (or x)", src.name)
        lat_col = _pick(frame.columns, None, LAT_GUESS, "latitude (or y)", src.name)
        labels["coords"] = f"{lon_col}/{lat_col}"
        text["coords"] = as_text(frame[lon_col]).fillna("") + ", " + as_text(frame[lat_col]).fillna("")
        x = pd.to_numeric(as_text(frame[lon_col]), errors="coerce").to_numpy(float)
        y = pd.to_numeric(as_text(frame[lat_col]), errors="coerce").to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        present = (frame[lon_col].notna() | frame[lat_col].notna()).to_numpy(bool)
        issues += [
            ("coords", "coords_missing", "no coordinates", ~present),
            ("coords", "coords_invalid", "coordinates not numbers", present & ~ok),
        ]
        lon, lat = _coords.to_wgs84(np.where(ok, x, np.nan), np.where(ok, y, np.nan), crs or "wgs84")
        metric = np.asarray(gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(to_crs).array, dtype=object)
    return gt.table, metric, text, people, issues, labels


def _spread(metric: np.ndarray, people: np.ndarray, ok: np.ndarray) -> pd.DataFrame:
    kind = shapely.get_type_id(metric)
    pts = ok & (kind == 0)
    polys = ok & np.isin(kind, (3, 6))
    multi = ok & (kind == 4)  # a multipoint's count is shared by its points
    parts = [
        points_to_cells(shapely.get_x(metric[pts]), shapely.get_y(metric[pts]), people[pts]),
        polygons_to_cells(metric[polys], people[polys]),
    ]
    if multi.any():
        each = shapely.get_num_geometries(metric[multi])
        flat = shapely.get_parts(metric[multi])
        parts.append(points_to_cells(shapely.get_x(flat), shapely.get_y(flat), np.repeat(people[multi] / each, each)))
    both = pd.concat(parts, ignore_index=True)
    return cell_sums(both["ix"].to_numpy(), both["iy"].to_numpy(), both["residents"].to_numpy())


def _extent_text(b) -> str:
    return f"{b[0]:.4f}, {b[1]:.4f} – {b[2]:.4f}, {b[3]:.4f}"


# --- the pipeline ---


def import_file(
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
    column: str | None = None,
    level: str | None = None,
) -> ImportReport:
    """Replace the population surface of ``db_path`` (a file no other process has open) from ``file``.

    ``file`` holds counts at points (CSV / Excel with lon/lat columns, GeoJSON, GeoPackage, zipped
    Shapefile), counts in polygons (census blocks, communities: spread over the 100 m cells by area)
    or a GeoTIFF raster of people per pixel (WorldPop, GHS-POP). ``column`` names the count column
    (default: guessed). The cells whose centre lies in a unit are kept, numbered on the 100 m lattice
    of the district's metric CRS; the residents of every unit that followed the old surface follow the
    new one. Other options as for ``govdash.ingest.run``; a mapping or a level does not apply.
    """
    if mapping is not None or level is not None:
        raise ValidationError("a population import takes no mapping and no level (--column names the count column)")
    t0 = time.perf_counter()
    src, crs = _plumbing.begin(file, name=name, crs=crs, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    say(0.05, "reading")
    raster = src.head(4)[:4] in _TIFF
    with _plumbing.session(db_path, dry_run) as con:
        to_crs = metric_crs(con)
        units = _sql.context(con, "population")["units"]
        if units.empty:
            raise ValidationError(
                f"{src.name}: the database has no units: import the boundaries first "
                "(python -m govdash import units FILE)"
            )
        units["geom"] = shapely.from_wkb([bytes(b) for b in units["geom"]])
        rep = ImportReport(file=src.name, sha256=src.sha256, mapping="raster" if raster else "auto", on_error=on_error)
        if raster:
            cells, rep.rows = _raster(src, to_crs, crs, _coords.extent(units["geom"]), say)
            table, bad = Table(pd.DataFrame(), np.zeros(0, np.int64), "tiff"), np.zeros(0, bool)
        else:
            table, metric, text, people, issues, labels = _features(src, crs, to_crs, column, encoding)
            rep.rows = len(table.frame) + len(table.malformed)
            bad = fill(rep, table, issues, [], text, lambda f: labels.get(f, f))
            if rep.failed and on_error == "reject":
                rep.seconds = time.perf_counter() - t0
                return rep
            cells = _spread(metric, people, ~bad)
        say(0.6, "placing")
        total = float(cells["residents"].sum())
        placed = place(cells, units, to_crs)
        kept = float(placed["residents"].sum())
        if total > 0 and kept == 0:
            from pyproj import Transformer

            xs, ys = (cells["ix"].to_numpy(float) + 0.5) * CELL_M, (cells["iy"].to_numpy(float) + 0.5) * CELL_M
            lon, lat = Transformer.from_crs(to_crs, "EPSG:4326", always_xy=True).transform(xs, ys)
            covers = _extent_text((np.min(lon), np.min(lat), np.max(lon), np.max(lat)))
            raise ValidationError(
                f"{src.name}: no resident falls inside the district: the file covers {covers}, "
                f"the district's units {_extent_text(_coords.extent(units['geom']))} "
                "(longitude, latitude); check the file's CRS"
            )
        if total > kept + 0.5:
            rep.notes.append(f"{total - kept:,.0f} of {total:,.0f} residents lie outside every unit and were left out")
        rep.notes.append(f"{kept:,.0f} residents on {len(placed):,} cells of {CELL_M:.0f} m ({to_crs})")
        stage = pa.Table.from_pandas(placed[COLUMNS], preserve_index=False)
        with _plumbing.staged(con, stage):
            say(0.8, "checking the write" if dry_run else "writing")
            qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
            _plumbing.write(
                con, "population", rep, table, bad, columns=COLUMNS, crs=crs, user=user, qdir=qdir, dry_run=dry_run
            )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep


def _raster(src: Source, to_crs: str, crs: str | None, bounds, say: Progress) -> tuple[pd.DataFrame, int]:
    """A GeoTIFF's cells within ``bounds`` (read from its path, or from a temporary copy of an upload)."""
    if src.path is not None:
        return _read_raster(src.path, src.name, to_crs, crs, bounds, say)
    with tempfile.TemporaryDirectory(prefix="govdash-raster-") as tmp:
        path = Path(tmp) / "upload.tif"
        with src.open() as fh:
            path.write_bytes(fh.read())
        return _read_raster(path, src.name, to_crs, crs, bounds, say)


def _read_raster(path, name, to_crs, crs, bounds, say):
    try:
        return raster_to_cells(path, name, to_crs, crs, bounds, say)
    except ValidationError:
        raise
    except Exception as exc:  # GDAL's errors, plainly
        msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ValidationError(f"{name}: not a readable GeoTIFF: {msg}") from exc
