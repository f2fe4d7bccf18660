"""Coordinates: WGS-84, GCJ-02 (Amap, Tencent), BD-09 (Baidu) and any EPSG CRS; the district's extent."""

from __future__ import annotations

import re

import numpy as np
import shapely
from numpy.typing import ArrayLike

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 obfuscation formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# rough box of mainland China; outside it GCJ-02 equals WGS-84 (the formula's own convention)
_CHINA = (72.004, 0.8293, 137.8347, 55.8271)
_TOL_DEG = 1e-7  # ~1 cm: stop the inverse iteration below this
_MAX_ITER = 30


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def in_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where a point (degrees) lies in the box where GCJ-02 applies."""
    lon, lat = _arrays(lon, lat)
    x0, y0, x1, y1 = _CHINA
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84 in degrees at a WGS-84 point (zero outside China)."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sq) * np.pi)
    dlon = dlon * 180.0 / (_A / sq * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 degrees to GCJ-02 degrees (identity outside China; NaN stays NaN)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration (the map is a small offset)."""
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITER):
        flon, flat = forward(wlon, wlat)
        elon, elat = flon - lon, flat - lat
        wlon, wlat = wlon - elon, wlat - elat
        err = np.maximum(np.abs(elon), np.abs(elat))
        if not np.any(err >= _TOL_DEG):  # also true when all NaN
            break
    return wlon, wlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 degrees to WGS-84 degrees by iteration to < 1e-7 degree (round trip < 1 cm)."""
    return _invert(wgs84_to_gcj02, *_arrays(lon, lat))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 degrees to BD-09 degrees (Baidu's published formula)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 degrees to GCJ-02 degrees by iteration to < 1e-7 degree."""
    return _invert(gcj02_to_bd09, *_arrays(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 degrees to BD-09 degrees."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 degrees to WGS-84 degrees."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_EPSG = re.compile(r"^epsg:\d{4,6}$")


def normalise_crs(crs: str | None) -> str:
    """Return 'wgs84', 'gcj02', 'bd09' or 'EPSG:n'; raise ValueError for anything else."""
    key = (crs or "wgs84").strip().lower().replace("-", "").replace("_", "")
    if key in {"wgs84", "epsg:4326", "4326"}:
        return "wgs84"
    if key in {"gcj02", "gcj", "amap", "tencent"}:
        return "gcj02"
    if key in {"bd09", "bd09ll", "baidu"}:
        return "bd09"
    if _EPSG.match(key):
        return key.upper()
    raise ValueError(f"unknown CRS {crs!r}: use wgs84, gcj02, bd09 or EPSG:<code>")


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``crs`` to WGS-84 (lon, lat) degrees.

    Parameters
    ----------
    x, y : array-like
        Longitude/latitude degrees for 'wgs84', 'gcj02', 'bd09'; easting/northing (or the CRS's
        own axis order, always_xy) for an 'EPSG:n' CRS.
    crs : str
        'wgs84' | 'gcj02' | 'bd09' | 'EPSG:n'.
    """
    crs = normalise_crs(crs)
    x, y = _arrays(x, y)
    if crs == "wgs84":
        return x.copy(), y.copy()
    if crs == "gcj02":
        return gcj02_to_wgs84(x, y)
    if crs == "bd09":
        return bd09_to_wgs84(x, y)
    from pyproj import Transformer  # lazy: pyproj loads its database on first use
    from pyproj.exceptions import CRSError

    try:
        tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except CRSError as exc:
        raise ValueError(f"unknown CRS {crs!r}") from exc
    lon, lat = tr.transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat)
    return np.where(bad, np.nan, lon), np.where(bad, np.nan, lat)


# --- the district's extent: where coordinates may plausibly fall ---

BBOX_MARGIN = 0.01  # degrees (~1 km) around the units' extent still counted as in the district


def extent(geoms) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the polygons (units of any level) in degrees; None when there are none
    (a district without units yet: any valid coordinate is in it)."""
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return None
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    return float(x0), float(y0), float(x1), float(y1)


def placed(lon, lat, valid: np.ndarray, bbox) -> tuple[np.ndarray, np.ndarray]:
    """Masks of points inside ``bbox`` plus the margin, and of points inside it once lat and lon are swapped
    (``bbox`` None: every valid point is inside, none swapped)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    if bbox is None:
        return valid.copy(), np.zeros(len(valid), bool)
    x0, y0, x1, y1 = bbox[0] - BBOX_MARGIN, bbox[1] - BBOX_MARGIN, bbox[2] + BBOX_MARGIN, bbox[3] + BBOX_MARGIN
    with np.errstate(invalid="ignore"):
        inside = valid & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        swapped = valid & ~inside & (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    return inside, swapped


FAR_MARGIN = 0.1  # degrees (~10 km): the least slack around the district for a unit's boundary


def far_outside(geoms, known) -> np.ndarray:
    """Mask of geometries lying wholly beyond the district's extent plus a margin (missing ones: False).

    The extent is that of the units already in the database (``known``; margin: the larger of FAR_MARGIN
    and half its larger side); with none, that of the middle half of the file's own unit centres
    (margin: the larger of FAR_MARGIN and its larger side), so one stray polygon cannot stretch it.
    """
    geoms, known = np.asarray(geoms, dtype=object), np.asarray(known, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(known):
        x0, y0, x1, y1 = extent(known)
        margin = max(FAR_MARGIN, 0.5 * max(x1 - x0, y1 - y0))
    else:
        if present.sum() < 3:  # too few to tell a stray one
            return np.zeros(len(geoms), bool)
        c = shapely.centroid(geoms[present])
        (x0, x1), (y0, y1) = np.quantile(shapely.get_x(c), [0.25, 0.75]), np.quantile(shapely.get_y(c), [0.25, 0.75])
        margin = max(FAR_MARGIN, x1 - x0, y1 - y0)
    near = shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    out = np.zeros(len(geoms), bool)
    out[present] = ~shapely.intersects(geoms[present], near)
    return out
