"""The 100 m population surface: counts at points or in polygons onto lattice cells, cells placed in the units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

CELL_M = 100.0  # edge of a population cell, metres in the metric CRS (the demo's surface too)
CELL_ROW = 1_000_000  # cell_id = row * CELL_ROW + column of the 100 m lattice (as govdash.district numbers them)


# --- onto the lattice (arrays in metres in, per-cell sums out) ---


def cell_sums(ix: np.ndarray, iy: np.ndarray, people: np.ndarray) -> pd.DataFrame:
    """Residents per lattice cell (ix, iy), summed; cells with none left out."""
    df = pd.DataFrame({"ix": ix.astype(np.int64), "iy": iy.astype(np.int64), "residents": people.astype(float)})
    out = df.groupby(["ix", "iy"], sort=False, as_index=False)["residents"].sum()
    return out[out["residents"] > 0]


def points_to_cells(x: np.ndarray, y: np.ndarray, people: np.ndarray) -> pd.DataFrame:
    """Counts at points (metres) into the 100 m cells holding them."""
    return cell_sums(np.floor(x / CELL_M), np.floor(y / CELL_M), people)


def polygons_to_cells(polys: np.ndarray, people: np.ndarray) -> pd.DataFrame:
    """Residents of polygons (metres) spread over the 100 m cells by the share of each polygon's area in each cell."""
    parts = []
    for poly, n in zip(polys, people, strict=True):
        if n <= 0 or poly is None or poly.area <= 0:
            continue
        x0, y0, x1, y1 = poly.bounds
        cols = np.arange(np.floor(x0 / CELL_M), np.ceil(x1 / CELL_M))
        rows = np.arange(np.floor(y0 / CELL_M), np.ceil(y1 / CELL_M))
        gx, gy = (a.ravel() for a in np.meshgrid(cols, rows))
        boxes = shapely.box(gx * CELL_M, gy * CELL_M, (gx + 1) * CELL_M, (gy + 1) * CELL_M)
        share = shapely.area(shapely.intersection(boxes, poly)) / poly.area
        keep = share > 0
        parts.append((gx[keep], gy[keep], n * share[keep]))
    if not parts:
        return cell_sums(np.zeros(0), np.zeros(0), np.zeros(0))
    return cell_sums(*(np.concatenate(p) for p in zip(*parts, strict=True)))


def place(cells: pd.DataFrame, units: pd.DataFrame, crs: str) -> pd.DataFrame:
    """Cells (ix, iy, residents) with centre, lon/lat and the units holding the centre; cells outside every unit
    are left out.

    Residents become integers by rounding the running sum in unit order, so every grid, community and
    street/town keeps its total within one resident and the district its total exactly.
    """
    from pyproj import Transformer

    x, y = (cells["ix"].to_numpy(float) + 0.5) * CELL_M, (cells["iy"].to_numpy(float) + 0.5) * CELL_M
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    pts = shapely.points(lon, lat)
    out = pd.DataFrame(
        {
            "cell_id": cells["iy"].to_numpy(np.int64) * CELL_ROW + cells["ix"].to_numpy(np.int64),
            "x": x,
            "y": y,
            "lon": lon,
            "lat": lat,
            "size_m": CELL_M,
            "raw": cells["residents"].to_numpy(float),
        }
    )
    ids = {c: np.full(len(out), None, dtype=object) for c in ("grid_id", "community_id", "town_id")}
    # the lowest level first: a grid names its community and street/town, a community its street/town
    for level, own, above in (
        ("grid", "grid_id", ("community_id", "town_id")),
        ("community", "community_id", ("town_id",)),
        ("town", "town_id", ()),
    ):
        u = units[units["level"] == level].reset_index(drop=True)
        todo = np.flatnonzero(np.array([v is None for v in ids[own]], dtype=bool))
        if not len(u) or not todo.size:
            continue
        pi, gi = shapely.STRtree(u["geom"].to_numpy(dtype=object)).query(pts[todo], predicate="intersects")
        first = pd.Series(gi).groupby(pi).min()  # a centre on a shared edge goes to the first unit
        rows, hit = todo[first.index.to_numpy()], first.to_numpy()
        ids[own][rows] = u["unit_id"].to_numpy(dtype=object)[hit]
        for col in above:
            empty = np.array([v is None for v in ids[col][rows]], dtype=bool)
            ids[col][rows[empty]] = u[col].to_numpy(dtype=object)[hit[empty]]
    for col, v in ids.items():
        out[col] = pd.Series(v, index=out.index, dtype="str")
    inside = out[["grid_id", "community_id", "town_id"]].notna().any(axis=1)
    out = (
        out[inside]
        .sort_values(["town_id", "community_id", "grid_id", "cell_id"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )
    run = np.round(np.cumsum(out["raw"].to_numpy()))
    out["residents"] = np.diff(run, prepend=0.0).astype(np.int64)
    return out[out["residents"] > 0].drop(columns="raw").sort_values("cell_id").reset_index(drop=True)


def area_cells(units: pd.DataFrame, crs: str) -> pd.DataFrame:
    """Every 100 m cell whose centre lies in a unit, one "resident" each: the district's area as a surface
    (coverage by area when there is no population). ``units``: level, unit_id, town_id, community_id, geom
    (shapely, WGS-84)."""
    import geopandas as gpd

    if units.empty:
        return place(cell_sums(np.zeros(0), np.zeros(0), np.zeros(0)), units, crs)
    x0, y0, x1, y1 = gpd.GeoSeries(units["geom"].to_numpy(dtype=object), crs=4326).to_crs(crs).total_bounds
    ix, iy = np.meshgrid(
        np.arange(np.floor(x0 / CELL_M), np.ceil(x1 / CELL_M)), np.arange(np.floor(y0 / CELL_M), np.ceil(y1 / CELL_M))
    )
    return place(pd.DataFrame({"ix": ix.ravel(), "iy": iy.ravel(), "residents": 1.0}), units, crs)
