"""Thin adapter from cell and station (Geo)DataFrames to the coverage core's arrays, and back."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import Transformer

from govdash import district_record
from govdash.coverage import StreetGraph, minutes_to_stations
from govdash.schema import FUNCTIONS


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str, thread: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def transformer(src: str, dst: str) -> Transformer:
    """``src`` → ``dst`` (x/lon first): made once per pair and thread (40 ms each: a what-if edit must not
    pay it), never shared between threads."""
    return _transformer(src, dst, threading.get_ident())


def points_xy(frame: pd.DataFrame, *, metric_crs: str | None = None) -> np.ndarray:
    """(n, 2) positions in metres of a frame's rows.

    Taken from, in order: columns ``x``, ``y`` (already metres in ``metric_crs``); a
    GeoDataFrame's geometry (any CRS; polygons by centroid); columns ``lon``, ``lat`` (WGS-84).
    """
    crs = metric_crs or district_record.metric_crs()
    if {"x", "y"} <= set(frame.columns):
        return frame[["x", "y"]].to_numpy(dtype=float)
    if getattr(frame, "crs", None) is not None:
        geom = frame.geometry.to_crs(crs)
        pts = geom if (geom.geom_type == "Point").all() else geom.centroid
        return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    x, y = transformer("EPSG:4326", crs).transform(
        frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    )
    return np.column_stack([x, y])


def offers(stations: pd.DataFrame, function: str | None) -> np.ndarray | None:
    """Bool mask of stations offering ``function`` (one of ``schema.FUNCTIONS``); None for any station."""
    if function is None:
        return None
    if function not in FUNCTIONS:
        raise ValueError(f"unknown station function {function!r}; expected one of {FUNCTIONS}")
    return stations[function].fillna(False).to_numpy(dtype=bool)


def from_geodataframes(
    cells: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    function: str | None = None,
    graph: StreetGraph | None = None,
    walk_kmh: float | None = None,
    circuity: float | None = None,
    metric_crs: str | None = None,
) -> pd.DataFrame:
    """Walking minutes from every cell to its nearest station (offering ``function``).

    Parameters
    ----------
    cells : cell_id, x, y (metres), residents, unit ids...; or a GeoDataFrame of cells.
    stations : station_id, lon, lat (WGS-84), f_* booleans; or a GeoDataFrame.
    function : e.g. ``"f_clinic"``: only stations offering it count; None = all stations.
    graph : street graph in ``metric_crs`` for network mode; None = straight-line mode.
    walk_kmh, circuity, metric_crs : default from settings.

    Returns
    -------
    A copy of ``cells`` with ``minutes`` (float, inf when none reachable), ``station``
    (positional index into ``stations``, -1 for none) and ``station_id`` (None for none).
    """
    minutes, nearest = minutes_to_stations(
        points_xy(cells, metric_crs=metric_crs),
        points_xy(stations, metric_crs=metric_crs),
        offers=offers(stations, function),
        graph=graph,
        walk_kmh=walk_kmh,
        circuity=circuity,
    )
    out = cells.copy()
    out["minutes"] = minutes
    out["station"] = nearest
    out["station_id"] = station_ids(stations, nearest)
    return out


def station_ids(stations: pd.DataFrame, nearest: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """The ``station_id`` of each cell's nearest station (positions into ``stations``; -1 → missing), taken
    from the column's own array (100,000 cells in milliseconds, not a round trip through Python objects)."""
    if "station_id" not in stations:
        return np.where(nearest >= 0, nearest, -1)
    ids = stations["station_id"].astype("str").array
    if not len(ids):
        return pd.array([None] * len(nearest), dtype="str")
    return ids.take(np.where(nearest >= 0, nearest, -1), allow_fill=True)
