"""Hot-spot statistics: Getis-Ord Gi*, FDR classification, emerging hot spots, square bins, repeat complaints."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.special import ndtr
from scipy.stats import false_discovery_control

from govdash import district_record

# Square bins in the district's metric CRS (metres), origin at the CRS's own false origin (0, 0) unless
# given: a UTM zone's eastings (166-834 km) and northings (0-10,000 km, the south with its false northing)
# are never negative, so a bin id means the same square whatever the filter or district. The formula:
#   ix = floor((x - x0) / cell_m), iy = floor((y - y0) / cell_m), bin_id = ix * 1000000 + iy
BIN_ORIGIN_M = (0.0, 0.0)
BIN_KEY = 1_000_000

LABELS = ("hot", "cold", "not significant")
TRENDS = ("emerging hot", "persistent hot", "cooling", "new cold", "persistent cold", "none")
_NS = "not significant"


@lru_cache(maxsize=8)
def _transformer(crs: str, inverse: bool) -> Transformer:
    src, dst = ("EPSG:4326", crs) if not inverse else (crs, "EPSG:4326")
    return Transformer.from_crs(src, dst, always_xy=True)


def _metric_crs(crs: str | None) -> str:
    return crs if crs is not None else district_record.metric_crs()


def project(lon, lat, *, crs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS-84 lon/lat (degrees) to metric x/y (metres, the district CRS override or fallback by default)."""
    x, y = _transformer(_metric_crs(crs), False).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def unproject(x, y, *, crs: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`project`: metric x/y (metres) to WGS-84 lon/lat (degrees)."""
    lon, lat = _transformer(_metric_crs(crs), True).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


# --------------------------------------------------------------------------- Gi*


def _weights(xy: np.ndarray, distance_m: float | None, k: int | None) -> sparse.csr_matrix:
    """Binary spatial weights including self (w_ii = 1): distance band or k nearest neighbours."""
    n = len(xy)
    tree = cKDTree(xy)
    if distance_m is not None:
        pairs = tree.query_pairs(distance_m, output_type="ndarray")
        diag = np.arange(n)
        rows = np.concatenate([pairs[:, 0], pairs[:, 1], diag])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0], diag])
    else:
        kk = min(k + 1, n)
        _, idx = tree.query(xy, k=kk)
        idx = idx.reshape(n, kk)
        me = np.arange(n)
        # with duplicate points self may be pushed out of the k+1 nearest; put it back in the
        # last slot, which then holds a point at distance 0 too, so nothing closer is lost
        missing = ~(idx == me[:, None]).any(axis=1)
        idx[missing, -1] = me[missing]
        rows, cols = np.repeat(me, kk), idx.ravel()
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def getis_ord_gi_star(values, xy, *, distance_m: float | None = None, k: int | None = None) -> pd.DataFrame:
    """Getis-Ord Gi* z-scores with binary weights that include the feature itself.

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))), with
    W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i for binary weights), xbar and S the mean and
    population standard deviation of all n values (Getis & Ord 1995; ArcGIS Hot Spot Analysis).

    Parameters
    ----------
    values : (n,) array or Series
        Values per feature (counts, rates). Include zero-valued features of the study area
        (empty grids, empty bins): leaving them out changes the reference distribution.
    xy : (n, 2) array
        Feature points (centroids) in metres in the metric CRS.
    distance_m : float, optional
        Distance band in metres: neighbours are features at distance <= distance_m. For square
        bins of edge c, ``1.5 * c`` gives the 8 surrounding bins.
    k : int, optional
        Number of nearest neighbours besides the feature itself (better for irregular grids).
        Give exactly one of ``distance_m`` and ``k``.

    Returns
    -------
    DataFrame indexed like ``values`` with columns ``z``, ``p`` (two-sided, normal) and
    ``neighbours`` (W_i, self included). Features with no neighbour besides themselves, and all
    features when the values do not vary, get z = p = NaN: a one-feature "cluster" is not a
    spatial pattern.
    """
    if (distance_m is None) == (k is None):
        raise ValueError("give exactly one of distance_m and k")
    if k is not None and k < 1:
        raise ValueError("k must be >= 1")
    x = np.asarray(values, dtype=float)
    pts = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(x)
    if len(pts) != n:
        raise ValueError("values and xy differ in length")
    if not np.isfinite(x).all() or not np.isfinite(pts).all():
        raise ValueError("values and xy must be finite")
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(n)
    if n == 0:
        return pd.DataFrame({"z": [], "p": [], "neighbours": []}, index=index)
    w = _weights(pts, distance_m, k)
    wi = np.asarray(w.sum(axis=1)).ravel()
    lag = w @ x
    xbar = x.mean()
    s = np.sqrt(max((x * x).mean() - xbar * xbar, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = s * np.sqrt((n * wi - wi * wi) / (n - 1)) if n > 1 else np.zeros(n)
        z = (lag - xbar * wi) / denom
    z[(denom <= 0) | (wi <= 1) | ~np.isfinite(z)] = np.nan
    p = 2.0 * ndtr(-np.abs(z))
    return pd.DataFrame({"z": z, "p": p, "neighbours": wi.astype(int)}, index=index)


def bh_adjust(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries are not tests and stay NaN.

    q_(i) = min over j >= i of (m / j) p_(j), capped at 1, for p sorted ascending and m the
    number of non-NaN p-values (``scipy.stats.false_discovery_control``). Rejecting q <= alpha
    controls the false discovery rate at alpha.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = false_discovery_control(p[ok], method="bh")
    return q


def classify(z, p, alpha: float = 0.05, correction: str = "fdr_bh") -> pd.DataFrame:
    """Label features hot, cold or not significant at level ``alpha`` after multiple-testing correction.

    Parameters
    ----------
    z, p : (n,) arrays or Series
        Gi* z-scores and two-sided p-values (NaN: not tested).
    alpha : float
        Significance level (false discovery rate for ``fdr_bh``).
    correction : {"fdr_bh", "bonferroni", "none"}

    Returns
    -------
    DataFrame indexed like ``z`` with ``q`` (corrected p), ``label`` (hot / cold / not significant)
    and ``confidence`` (99, 95 or 90 for significant features: the strictest level whose
    corrected p it passes; 0 otherwise).
    """
    zz = np.asarray(z, dtype=float)
    pp = np.asarray(p, dtype=float)
    if correction == "fdr_bh":
        q = bh_adjust(pp)
    elif correction == "bonferroni":
        q = np.minimum(pp * np.count_nonzero(~np.isnan(pp)), 1.0)
    elif correction == "none":
        q = pp.copy()
    else:
        raise ValueError(f"unknown correction {correction!r}")
    sig = q <= alpha  # NaN compares False
    label = np.where(sig & (zz > 0), "hot", np.where(sig & (zz < 0), "cold", _NS))
    confidence = np.select([sig & (q <= 0.01), sig & (q <= 0.05), sig & (q <= 0.10)], [99, 95, 90], 0)
    index = z.index if isinstance(z, pd.Series) else pd.RangeIndex(len(zz))
    return pd.DataFrame({"q": q, "label": label, "confidence": confidence}, index=index)


def hot_spots(
    frame: pd.DataFrame,
    value: str,
    *,
    distance_m: float | None = None,
    k: int | None = None,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    crs: str | None = None,
) -> pd.DataFrame:
    """Adapter: Gi* and classification for a frame with WGS-84 ``lon``/``lat`` and a value column.

    Returns a copy of ``frame`` with ``z``, ``p``, ``neighbours``, ``q``, ``label``, ``confidence``
    added (see :func:`getis_ord_gi_star` and :func:`classify`; ``distance_m`` in metres).
    """
    x, y = project(frame["lon"].to_numpy(), frame["lat"].to_numpy(), crs=crs)
    gi = getis_ord_gi_star(frame[value].to_numpy(float), np.column_stack([x, y]), distance_m=distance_m, k=k)
    cl = classify(gi["z"], gi["p"], alpha=alpha, correction=correction)
    out = frame.copy()
    for name, col in [*gi.items(), *cl.items()]:
        out[name] = col.to_numpy()
    return out


def previous_period(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period of equal length just before the half-open period [start, end)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    return start - (end - start), start


def emerging(current_labels, previous_labels) -> pd.Series:
    """Compare hot-spot labels of two consecutive periods of equal length, feature by feature.

    Returns a Series named ``trend`` (indexed like ``current_labels``; Series inputs are aligned
    on their index, features missing from the previous period count as not significant):
    ``emerging hot`` (hot now, not hot before), ``persistent hot``, ``cooling`` (hot before, not
    now), ``new cold`` (cold now, not cold before), ``persistent cold``, ``none``.
    """
    cur = current_labels if isinstance(current_labels, pd.Series) else pd.Series(np.asarray(current_labels))
    if isinstance(previous_labels, pd.Series) and isinstance(current_labels, pd.Series):
        prev = previous_labels.reindex(cur.index).fillna(_NS).to_numpy()
    else:
        prev = np.asarray(previous_labels)
        if len(prev) != len(cur):
            raise ValueError("label arrays differ in length")
    now = cur.to_numpy()
    hot, cold, was_hot, was_cold = now == "hot", now == "cold", prev == "hot", prev == "cold"
    trend = np.select(
        [hot & ~was_hot, hot, cold & ~was_cold, cold, was_hot],
        ["emerging hot", "persistent hot", "new cold", "persistent cold", "cooling"],
        "none",
    )
    return pd.Series(trend, index=cur.index, name="trend")


# --------------------------------------------------------------------------- square bins


def bin_index(
    x, y, cell_m: float, *, origin: tuple[float, float] = BIN_ORIGIN_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Square-bin indices ``ix``, ``iy`` and ``bin_id`` of metric points (metres) from ``origin`` (metres).

    ix = floor((x - origin[0]) / cell_m), iy likewise, bin_id = ix * BIN_KEY + iy.
    """
    ix = np.floor((np.asarray(x, float) - origin[0]) / cell_m).astype(np.int64)
    iy = np.floor((np.asarray(y, float) - origin[1]) / cell_m).astype(np.int64)
    if len(ix) and (ix.min() < 0 or iy.min() < 0 or ix.max() >= BIN_KEY or iy.max() >= BIN_KEY):
        raise ValueError("points outside the binning extent (origin must lie south-west of the data)")
    return ix, iy, ix * BIN_KEY + iy


def bin_centres(
    ix, iy, cell_m: float, *, crs: str | None = None, origin: tuple[float, float] = BIN_ORIGIN_M
) -> pd.DataFrame:
    """Centres of square bins: ``x``, ``y`` (metres) and ``lon``, ``lat`` (WGS-84)."""
    x = origin[0] + (np.asarray(ix, float) + 0.5) * cell_m
    y = origin[1] + (np.asarray(iy, float) + 0.5) * cell_m
    lon, lat = unproject(x, y, crs=crs)
    return pd.DataFrame({"x": x, "y": y, "lon": lon, "lat": lat})


def bin_points(
    lon, lat, *, cell_m: float, crs: str | None = None, origin: tuple[float, float] = BIN_ORIGIN_M
) -> pd.DataFrame:
    """Count WGS-84 points in square bins of edge ``cell_m`` metres (the reference for SQL binning).

    Returns one row per non-empty bin, sorted by ``bin_id``: ``bin_id``, ``ix``, ``iy``, ``x``,
    ``y`` (centre, metres), ``lon``, ``lat`` (centre, WGS-84), ``count``. Points with a missing
    coordinate are dropped.
    """
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x, y = project(lon[ok], lat[ok], crs=crs)
    _, _, bid = bin_index(x, y, cell_m, origin=origin)
    ids, counts = np.unique(bid, return_counts=True)
    ix, iy = ids // BIN_KEY, ids % BIN_KEY
    out = pd.DataFrame({"bin_id": ids, "ix": ix, "iy": iy})
    out = pd.concat([out, bin_centres(ix, iy, cell_m, crs=crs, origin=origin)], axis=1)
    out["count"] = counts.astype(np.int64)
    return out


# --------------------------------------------------------------------------- repeat complaints


def _grid_edges(cat: np.ndarray, grid: np.ndarray, t: np.ndarray, m: int, window: np.int64) -> np.ndarray:
    """Edges between time-consecutive cases of one category and grid that share a qualifying window.

    Cases are sorted by (category, grid, time). A window is m consecutive cases of one group
    spanning <= window; two consecutive cases are linked when some window holds both.
    """
    n = len(t)
    if n < m:
        return np.empty((0, 2), np.int64)
    i = np.arange(n - m + 1)
    j = i + m - 1
    same = (cat[i] == cat[j]) & (grid[i] == grid[j])
    start = i[same & (t[j] - t[i] <= window)]
    # edge e joins e and e+1; window at s covers edges s .. s+m-2
    cover = np.zeros(n + 1, np.int64)
    np.add.at(cover, start, 1)
    np.add.at(cover, start + m - 1, -1)
    e = np.flatnonzero(np.cumsum(cover)[: n - 1] > 0)
    return np.column_stack([e, e + 1])


def _radius_edges(
    cat: np.ndarray, x: np.ndarray, y: np.ndarray, t: np.ndarray, m: int, window: np.int64, radius_m: float
) -> np.ndarray:
    """Edges anchor -> member: same category, within radius_m, reported within window after the anchor.

    An anchor qualifies when it and its members number >= m. Time is scaled so that the window
    equals the radius; the cylinder (radius r, half-height r) lies inside the sphere of radius
    r*sqrt(2), so one kd-tree pair query finds all candidates, then the exact test filters them.
    """
    ok = np.isfinite(x) & np.isfinite(y)
    scale = radius_m / float(window) if window > 0 else 0.0
    out = []
    for c in np.unique(cat[ok]):
        idx = np.flatnonzero(ok & (cat == c))
        if len(idx) < m:
            continue
        tz = (t[idx] - t[idx].min()).astype(float) * scale
        tree = cKDTree(np.column_stack([x[idx], y[idx], tz]))
        pr = tree.query_pairs(radius_m * np.sqrt(2.0) * (1 + 1e-9) + 1e-9, output_type="ndarray")
        if not len(pr):
            continue
        a, b = idx[pr[:, 0]], idx[pr[:, 1]]
        dt = t[b] - t[a]
        near = (np.hypot(x[a] - x[b], y[a] - y[b]) <= radius_m) & (np.abs(dt) <= window)
        a, b, dt = a[near], b[near], dt[near]
        # orient anchor -> later case; equal times link both ways
        src = np.concatenate([np.where(dt >= 0, a, b), b[dt == 0]])
        dst = np.concatenate([np.where(dt >= 0, b, a), a[dt == 0]])
        n_members = np.bincount(src, minlength=len(t)) + 1
        keep = n_members[src] >= m
        out.append(np.column_stack([src[keep], dst[keep]]))
    return np.concatenate(out) if out else np.empty((0, 2), np.int64)


def repeat_complaints(
    df: pd.DataFrame, *, min_count: int = 3, window_days: float = 30, radius_m: float = 100, crs: str | None = None
) -> pd.DataFrame:
    """Places where the same category is reported again and again: a root cause not fixed.

    Same-category cases form a repeat cluster when at least ``min_count`` of them fall within
    ``window_days`` (last minus first report <= window) either inside one grid, or within
    ``radius_m`` metres of the earliest of them. Overlapping windows (sharing a case, by either
    rule) merge into one cluster.

    Parameters
    ----------
    df : DataFrame
        Columns ``case_id``, ``category``, ``grid_id``, ``reported_at`` (datetime), ``lon``,
        ``lat`` (WGS-84; may be missing, then only the grid rule applies).

    Returns
    -------
    DataFrame, one row per cluster, sorted by category and first report: ``cluster_id`` (0..),
    ``category``, ``grid_id`` (grid holding most members), ``n_grids``, ``rule`` (grid, radius
    or grid+radius), ``count``, ``first_at``, ``last_at``, ``lon``, ``lat`` (member centroid,
    WGS-84), ``case_ids`` (list, in report order).
    """
    if min_count < 2:
        raise ValueError("min_count must be >= 2")
    cols = [
        "cluster_id",
        "category",
        "grid_id",
        "n_grids",
        "rule",
        "count",
        "first_at",
        "last_at",
        "lon",
        "lat",
        "case_ids",
    ]
    d = df[["case_id", "category", "grid_id", "reported_at", "lon", "lat"]]
    d = d[d["category"].notna() & d["reported_at"].notna()]
    d = d.sort_values(["category", "grid_id", "reported_at"], kind="stable", na_position="last")
    d = d.reset_index(drop=True)
    n = len(d)
    if n == 0:
        return pd.DataFrame(columns=cols)
    cat = pd.factorize(d["category"])[0]
    grid = pd.factorize(d["grid_id"], use_na_sentinel=True)[0]
    grid = np.where(grid < 0, -1 - np.arange(n), grid)  # a missing grid never matches another
    t = d["reported_at"].to_numpy("datetime64[ns]").astype(np.int64)
    window = np.int64(pd.Timedelta(days=window_days).value)
    x, y = project(d["lon"].to_numpy(float), d["lat"].to_numpy(float), crs=crs)

    eg = _grid_edges(cat, grid, t, min_count, window)
    er = _radius_edges(cat, x, y, t, min_count, window, radius_m)
    edges = np.concatenate([eg, er])
    if not len(edges):
        return pd.DataFrame(columns=cols)
    g = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    member = np.zeros(n, bool)
    member[edges.ravel()] = True
    by_rule = {}
    for name, e in (("grid", eg), ("radius", er)):
        flag = np.zeros(n, bool)
        flag[comp[e[:, 0]]] = True
        by_rule[name] = flag

    m = d[member].assign(_c=comp[member], _t=t[member])
    m = m.sort_values(["_c", "_t"], kind="stable")
    grp = m.groupby("_c", sort=False)
    out = grp.agg(
        category=("category", "first"),
        count=("case_id", "size"),
        first_at=("reported_at", "min"),
        last_at=("reported_at", "max"),
        lon=("lon", "mean"),
        lat=("lat", "mean"),
        n_grids=("grid_id", "nunique"),
        case_ids=("case_id", list),
    )
    # the grid with most members; ties go to the grid reported first
    top = (
        m.dropna(subset=["grid_id"])
        .groupby(["_c", "grid_id"], sort=False)
        .size()
        .reset_index(name="k")
        .sort_values(["_c", "k"], ascending=[True, False], kind="stable")
        .drop_duplicates("_c")
        .set_index("_c")["grid_id"]
    )
    out["grid_id"] = top.reindex(out.index)
    comps = out.index.to_numpy()
    g_flag, r_flag = by_rule["grid"][comps], by_rule["radius"][comps]
    out["rule"] = np.where(g_flag & r_flag, "grid+radius", np.where(g_flag, "grid", "radius"))
    out = out.sort_values(["category", "first_at"], kind="stable").reset_index(drop=True)
    out["cluster_id"] = np.arange(len(out))
    return out[cols]
