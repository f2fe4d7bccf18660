"""Walking coverage of service stations on plain arrays: minutes, shares, gaps, load and siting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.signal import fftconvolve
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from govdash import settings

THRESHOLDS = (5, 10, 15, 20)  # minutes shown on the coverage page


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """Undirected pedestrian network.

    Attributes
    ----------
    node_xy : (k, 2) float array, node positions in metres (metric CRS).
    lengths : (k, k) symmetric CSR array of edge lengths in metres; an explicit zero is an edge.
    """

    node_xy: np.ndarray
    lengths: sparse.csr_array

    @classmethod
    def from_edges(cls, node_xy, u, v, length=None) -> StreetGraph:
        """Build from edge endpoints (node indices); ``length`` in metres defaults to the straight distance.

        Self-loops are dropped; of parallel edges the shortest is kept.
        """
        xy = np.asarray(node_xy, dtype=float).reshape(-1, 2)
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        w = np.hypot(*(xy[u] - xy[v]).T) if length is None else np.asarray(length, dtype=float)
        keep = u != v
        r, c, w = np.r_[u[keep], v[keep]], np.r_[v[keep], u[keep]], np.r_[w[keep], w[keep]]
        # sort by length so np.unique keeps the shortest of parallel edges (csr would add them up)
        order = np.argsort(w, kind="stable")
        _, first = np.unique(r[order] * len(xy) + c[order], return_index=True)
        pick = order[first]
        k = len(xy)
        return cls(xy, sparse.csr_array((w[pick], (r[pick], c[pick])), shape=(k, k)))

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    def largest_component(self) -> StreetGraph:
        """The largest connected part, so cells never snap onto an isolated island of footways."""
        if self.n_nodes == 0:
            return self
        _, labels = connected_components(self.lengths, directed=False)
        keep = np.flatnonzero(labels == np.bincount(labels).argmax())
        return StreetGraph(self.node_xy[keep], sparse.csr_array(self.lengths[keep][:, keep]))


def _speed_m_per_min(walk_kmh: float | None) -> float:
    return (settings.load().walk_kmh if walk_kmh is None else walk_kmh) * 1000.0 / 60.0


def _xy(a) -> np.ndarray:
    return np.asarray(a, dtype=float).reshape(-1, 2)


def reach_m(minutes: float, *, walk_kmh: float | None = None, circuity: float | None = None) -> float:
    """Straight-line radius in metres walked in ``minutes`` (minutes × speed ÷ circuity), e.g. for siting."""
    circuity = settings.load().circuity if circuity is None else circuity
    return minutes * _speed_m_per_min(walk_kmh) / circuity


def straight_line_minutes(
    cell_xy, station_xy, *, walk_kmh: float | None = None, circuity: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each cell to its nearest station along the straight line × circuity.

    Parameters
    ----------
    cell_xy, station_xy : (n, 2), (m, 2) positions in metres (metric CRS).
    walk_kmh : walking speed in km/h; default ``settings.walk_kmh``.
    circuity : street / straight distance factor; default ``settings.circuity``.

    Returns
    -------
    minutes : (n,) float, ``inf`` when there is no station.
    nearest : (n,) int index into ``station_xy``, -1 when there is no station.
    """
    cells, stations = _xy(cell_xy), _xy(station_xy)
    circuity = settings.load().circuity if circuity is None else circuity
    if len(stations) == 0:
        return np.full(len(cells), np.inf), np.full(len(cells), -1, dtype=np.int64)
    dist, nearest = cKDTree(stations).query(cells, k=1, workers=-1)
    return dist * circuity / _speed_m_per_min(walk_kmh), nearest.astype(np.int64)


def network_minutes(
    graph: StreetGraph, cell_xy, station_xy, *, walk_kmh: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each cell to its nearest station along the street graph, all stations in one pass.

    Stations and cells snap to their nearest graph node; both snap distances are walked
    (straight, no circuity). One Dijkstra runs from one virtual node per station, joined
    to its snap node by an edge of the snap length, so the search also says which station
    is nearest.

    Parameters
    ----------
    graph : the pedestrian network, metres.
    cell_xy, station_xy : (n, 2), (m, 2) positions in metres, same CRS as ``graph``.
    walk_kmh : walking speed in km/h; default ``settings.walk_kmh``.

    Returns
    -------
    minutes : (n,) float, ``inf`` where no station can be reached.
    nearest : (n,) int index into ``station_xy``, -1 where unreachable.
    """
    cells, stations = _xy(cell_xy), _xy(station_xy)
    n, m, k = len(cells), len(stations), graph.n_nodes
    if m == 0 or k == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    tree = cKDTree(graph.node_xy)
    s_snap, s_node = tree.query(stations, workers=-1)
    c_snap, c_node = tree.query(cells, workers=-1)
    # virtual station nodes k..k+m-1, with directed edges into the network only
    g = graph.lengths.tocoo()
    rows = np.r_[g.row, k + np.arange(m)]
    cols = np.r_[g.col, s_node]
    full = sparse.csr_array((np.r_[g.data, s_snap], (rows, cols)), shape=(k + m, k + m))
    dist, _, source = dijkstra(
        full, directed=True, indices=np.arange(k, k + m), min_only=True, return_predecessors=True
    )
    minutes = (dist[c_node] + c_snap) / _speed_m_per_min(walk_kmh)
    src = source[c_node].astype(np.int64)
    nearest = np.where(np.isfinite(minutes) & (src >= k), src - k, -1)
    return minutes, nearest


def minutes_to_stations(
    cell_xy,
    station_xy,
    *,
    offers=None,
    graph: StreetGraph | None = None,
    walk_kmh: float | None = None,
    circuity: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to the nearest station, or to the nearest station offering a function.

    Parameters
    ----------
    cell_xy, station_xy : (n, 2), (m, 2) positions in metres.
    offers : (m,) bool, stations that offer the chosen function (e.g. ``f_clinic``); None = all.
    graph : street graph for network mode; None = straight-line mode.
    walk_kmh, circuity : see :func:`straight_line_minutes` (circuity is unused on a graph).

    Returns
    -------
    minutes : (n,) float; nearest : (n,) int index into the full ``station_xy`` (-1 = none).
    """
    stations = _xy(station_xy)
    keep = np.arange(len(stations)) if offers is None else np.flatnonzero(np.asarray(offers, dtype=bool))
    if graph is None:
        minutes, sub = straight_line_minutes(cell_xy, stations[keep], walk_kmh=walk_kmh, circuity=circuity)
    else:
        minutes, sub = network_minutes(graph, cell_xy, stations[keep], walk_kmh=walk_kmh)
    return minutes, np.where(sub >= 0, keep[np.maximum(sub, 0)] if len(keep) else -1, -1)


def update_straight_line(
    cell_xy,
    minutes,
    nearest,
    new_xy,
    kept,
    *,
    walk_kmh: float | None = None,
    circuity: float | None = None,
    cell_tree: cKDTree | None = None,
    reach_m: float = 1_500.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight-line minutes after stations were added, moved or removed, recomputing only the cells whose
    answer can change; equal to :func:`straight_line_minutes` over ``new_xy`` (but for exact ties).

    Parameters
    ----------
    cell_xy : (n, 2) cell positions in metres; minutes, nearest : their answer before the change.
    new_xy : (m', 2) the stations after the change, in metres.
    kept : (m,) for every station before the change, its index in ``new_xy`` when it is still there at the
        same place; -1 when it was removed or moved (a moved station is a removed one plus a new one).
    cell_tree : ``cKDTree(cell_xy)``, reused across calls when given.
    reach_m : the search radius around a new station; any value is exact (cells farther from their station
        than this are checked one by one), the default is about the 20-minute reach.

    Returns
    -------
    minutes, nearest (index into ``new_xy``, -1 for none) and ``changed``: the cells recomputed.
    """
    cells, stations = _xy(cell_xy), _xy(new_xy)
    kept = np.asarray(kept, dtype=np.int64)
    speed = _speed_m_per_min(walk_kmh)
    circuity = settings.load().circuity if circuity is None else circuity
    minutes = np.array(minutes, dtype=float)
    old = np.asarray(nearest, dtype=np.int64)
    nearest = np.where(old >= 0, kept[np.maximum(old, 0)] if len(kept) else -1, -1)
    dist = minutes * speed / circuity
    changed = np.zeros(len(cells), dtype=bool)
    # cells whose station went: the nearest of every station there is now
    lost = np.flatnonzero((old >= 0) & (nearest < 0))
    if len(lost):
        if len(stations):
            d, j = cKDTree(stations).query(cells[lost], k=1, workers=-1)
            dist[lost], nearest[lost] = d, j
        else:
            dist[lost], nearest[lost] = np.inf, -1
        changed[lost] = True
    # new places (added or moved to): only cells within reach_m of one, or farther than reach_m from their own
    fresh = np.setdiff1d(np.arange(len(stations)), kept[kept >= 0])
    if len(fresh) and len(cells):
        tree = cell_tree if cell_tree is not None else cKDTree(cells)
        far = np.flatnonzero(dist > reach_m)
        for f, near in zip(fresh, tree.query_ball_point(stations[fresh], r=reach_m), strict=True):
            near = np.union1d(np.asarray(near, dtype=np.int64), far)
            d = np.sqrt(((cells[near] - stations[f]) ** 2).sum(axis=1))
            better = d < dist[near]
            hit = near[better]
            dist[hit], nearest[hit], changed[hit] = d[better], f, True
    minutes[changed] = dist[changed] * circuity / speed
    return minutes, nearest, changed


def update_network(
    graph: StreetGraph, cell_xy, minutes, nearest, new_xy, kept, *, walk_kmh: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`network_minutes` after stations were added (``kept`` as in :func:`update_straight_line`),
    searching the street graph only from the new stations and only as far as a cell could gain: one
    Dijkstra per new station, stopped at the longest walk any reachable cell now has (all of the graph
    when some cell reaches no station). When a station was removed or moved, its cells may have to walk
    to any other, so every cell is walked again (one pass from every station).

    Returns minutes, nearest (index into ``new_xy``) and ``changed``, the cells whose answer changed.
    """
    cells, stations = _xy(cell_xy), _xy(new_xy)
    kept = np.asarray(kept, dtype=np.int64)
    minutes, old = np.array(minutes, dtype=float), np.asarray(nearest, dtype=np.int64)
    if (kept < 0).any() or graph.n_nodes == 0:
        m, n = network_minutes(graph, cells, stations, walk_kmh=walk_kmh)
        return m, n, (m != minutes) | (n != np.where(old >= 0, kept[np.maximum(old, 0)], -1))
    speed = _speed_m_per_min(walk_kmh)
    nearest = np.where(old >= 0, kept[np.maximum(old, 0)], -1)
    changed = np.zeros(len(cells), dtype=bool)
    fresh = np.setdiff1d(np.arange(len(stations)), kept)
    if not len(fresh) or not len(cells):
        return minutes, nearest, changed
    tree = cKDTree(graph.node_xy)
    c_snap, c_node = tree.query(cells, workers=-1)
    s_snap, s_node = tree.query(stations[fresh], workers=-1)
    dist = minutes * speed  # metres walked now (inf where no station is reached)
    for f, snap, node in zip(fresh, s_snap, s_node, strict=True):
        # a cell can gain only if the new station's node is nearer than its walk now, in a straight line
        # too (a street is never shorter): search no farther than the longest such walk
        room = dist - c_snap - snap
        near = np.flatnonzero(np.hypot(*(graph.node_xy[c_node] - graph.node_xy[node]).T) < room)
        if not len(near):
            continue
        limit = float(room[near].max())
        reach = dijkstra(
            graph.lengths, directed=False, indices=int(node), limit=limit if np.isfinite(limit) else np.inf
        )
        d = reach[c_node[near]] + c_snap[near] + snap
        better = d < dist[near]
        hit = near[better]
        dist[hit], nearest[hit], changed[hit] = d[better], f, True
    minutes[changed] = dist[changed] / speed
    return minutes, nearest, changed


def share_within(minutes, residents, thresholds: Sequence[float] = THRESHOLDS) -> pd.Series:
    """Share (0-1) of residents within each threshold in minutes; NaN when there are no residents."""
    minutes, residents = np.asarray(minutes, dtype=float), np.asarray(residents, dtype=float)
    total = residents.sum()
    shares = [residents[minutes <= t].sum() / total if total > 0 else np.nan for t in thresholds]
    return pd.Series(shares, index=pd.Index(list(thresholds), name="minutes"), name="share")


def covered_by_unit(minutes, residents, unit_ids, threshold: float) -> pd.DataFrame:
    """Residents, covered residents (within ``threshold`` minutes) and share per unit id.

    Cells without a unit form their own row (NaN id), so the rows always add up to the district.
    """
    minutes, residents = np.asarray(minutes, dtype=float), np.asarray(residents, dtype=float)
    frame = pd.DataFrame(
        {
            "unit_id": np.asarray(unit_ids, dtype=object),
            "residents": residents,
            "covered": np.where(minutes <= threshold, residents, 0.0),
        }
    )
    out = frame.groupby("unit_id", dropna=False, sort=True)[["residents", "covered"]].sum()
    out["share"] = out["covered"] / out["residents"].where(out["residents"] > 0)
    return out


def station_load(nearest, residents, m: int, *, factor: float = 2.0) -> pd.DataFrame:
    """Residents whose nearest station each station is; ``flagged`` when above ``factor`` × the median.

    Parameters
    ----------
    nearest : (n,) int station index per cell, -1 for none (not counted).
    residents : (n,) residents per cell.
    m : number of stations (rows of the result, index = station index).
    """
    nearest, residents = np.asarray(nearest), np.asarray(residents, dtype=float)
    ok = nearest >= 0
    load = np.bincount(nearest[ok], weights=residents[ok], minlength=m)
    median = float(np.median(load)) if m else 0.0
    return pd.DataFrame(
        {
            "residents": load,
            "ratio_to_median": load / median if median > 0 else np.nan,
            "flagged": load > factor * median,
        },
        index=pd.RangeIndex(m, name="station"),
    )


def best_site(
    cell_xy, residents, radius_m: float, *, max_candidates: int = 4_000, cell_size_m: float | None = None
) -> int:
    """Index of the cell from which most residents lie within ``radius_m`` metres (straight line).

    Where to put one station to close a gap: unlike the gap's centroid, which for a ring or a
    crescent of uncovered cells can fall on covered ground, it is always one of the gap's cells.
    When the cells lie on a square lattice of ``cell_size_m`` metres (the population surface),
    every cell is tried at once by one convolution with a disc; otherwise, above
    ``max_candidates`` cells every k-th cell is tried (all cells still count as residents).
    """
    xy, residents = _xy(cell_xy), np.asarray(residents, dtype=float)
    if len(xy) == 0:
        raise ValueError("no cells")
    ij = _lattice(xy, cell_size_m) if cell_size_m else None
    if ij is not None:
        return _best_on_lattice(ij, residents, radius_m / cell_size_m)
    step = max(1, -(-len(xy) // max_candidates))
    candidates = np.arange(0, len(xy), step)
    pairs = cKDTree(xy[candidates]).sparse_distance_matrix(cKDTree(xy), radius_m, output_type="ndarray")
    reached = np.bincount(pairs["i"], weights=residents[pairs["j"]], minlength=len(candidates))
    return int(candidates[int(np.argmax(reached))])


def _lattice(xy: np.ndarray, size: float) -> np.ndarray | None:
    """Integer (column, row) of each point on a square lattice of ``size`` metres; None when off it."""
    ij = np.rint((xy - xy.min(axis=0)) / size)
    if np.abs(ij * size + xy.min(axis=0) - xy).max() > 1e-3 * size:
        return None
    return ij.astype(np.int64)


def _best_on_lattice(ij: np.ndarray, residents: np.ndarray, radius_cells: float) -> int:
    """``best_site`` on lattice indices: residents within the radius of every cell by one FFT convolution."""
    r = int(np.floor(radius_cells + 1e-9))
    d = np.arange(-r, r + 1)
    disc = ((d[:, None] ** 2 + d[None, :] ** 2) <= radius_cells**2 + 1e-9).astype(float)
    grid = np.zeros(tuple(ij.max(axis=0) + 1))
    np.add.at(grid, (ij[:, 0], ij[:, 1]), residents)
    reached = fftconvolve(grid, disc, mode="same")[ij[:, 0], ij[:, 1]]
    return int(np.argmax(np.round(reached, 6)))  # rounding: FFT noise must not break ties by chance


def gaps(cell_xy, residents, uncovered, cell_size_m: float, *, neighbours: int = 8) -> tuple[pd.DataFrame, np.ndarray]:
    """Groups of uncovered residents: connected parts of uncovered populated cells on the lattice.

    Parameters
    ----------
    cell_xy : (n, 2) cell centres in metres on a regular lattice of spacing ``cell_size_m``.
    residents : (n,) residents per cell; cells with none are not part of a gap.
    uncovered : (n,) bool, cells beyond the threshold.
    neighbours : 4 (edges) or 8 (edges and corners).

    Returns
    -------
    table : one row per gap, largest first (``gap`` 0 is the largest): residents, cells, and the
        residents-weighted centroid ``x``, ``y`` in metres.
    labels : (n,) int gap of each cell, -1 outside gaps.
    """
    xy, residents = _xy(cell_xy), np.asarray(residents, dtype=float)
    labels = np.full(len(xy), -1, dtype=np.int64)
    sel = np.flatnonzero(np.asarray(uncovered, dtype=bool) & (residents > 0))
    cols = ["gap", "residents", "cells", "x", "y"]
    if len(sel) == 0:
        return pd.DataFrame(columns=cols), labels
    ij = np.rint((xy[sel] - xy[sel].min(axis=0)) / cell_size_m).astype(np.int64) + 1
    width = ij[:, 1].max() + 2
    key = ij[:, 0] * width + ij[:, 1]
    order = np.argsort(key)
    skey = key[order]
    offsets = [(1, 0), (0, 1)] + ([(1, 1), (1, -1)] if neighbours == 8 else [])
    a, b = [], []
    for di, dj in offsets:  # half of the neighbourhood: the graph is undirected
        pos = np.searchsorted(skey, key + di * width + dj).clip(max=len(skey) - 1)
        hit = skey[pos] == key + di * width + dj
        a.append(np.flatnonzero(hit))
        b.append(order[pos[hit]])
    a, b = np.concatenate(a), np.concatenate(b)
    adj = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(len(sel), len(sel)))
    _, comp = connected_components(adj, directed=False)
    w = residents[sel]
    pop = np.bincount(comp, weights=w)
    rank = np.empty_like(pop, dtype=np.int64)
    rank[np.argsort(-pop, kind="stable")] = np.arange(len(pop))
    labels[sel] = rank[comp]
    table = pd.DataFrame(
        {
            "gap": np.arange(len(pop)),
            "residents": np.bincount(rank[comp], weights=w),
            "cells": np.bincount(rank[comp]),
            "x": np.bincount(rank[comp], weights=w * xy[sel, 0]) / np.bincount(rank[comp], weights=w),
            "y": np.bincount(rank[comp], weights=w * xy[sel, 1]) / np.bincount(rank[comp], weights=w),
        }
    )
    return table, labels


def _coverage_matrix(cell_xy, residents, covered, candidate_xy, radius_m):
    """Candidates × still-uncovered populated cells within ``radius_m``, and those cells' residents."""
    xy, residents = _xy(cell_xy), np.asarray(residents, dtype=float)
    open_ = np.flatnonzero(~np.asarray(covered, dtype=bool) & (residents > 0))
    cand = _xy(candidate_xy)
    if len(open_) == 0 or len(cand) == 0:
        return sparse.csr_array((len(cand), len(open_))), residents[open_]
    hits = cKDTree(xy[open_]).query_ball_point(cand, r=radius_m, workers=-1)
    rows = np.repeat(np.arange(len(cand)), [len(h) for h in hits])
    cols = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=len(rows))
    a = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(cand), len(open_)))
    return a, residents[open_]


def _greedy(
    a: sparse.csr_array, w: np.ndarray, k: int, among=None, progress: Callable[[float], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    allowed = np.ones(a.shape[0], dtype=bool) if among is None else np.isin(np.arange(a.shape[0]), among)
    left = w.copy()
    chosen, gains = [], []
    for step in range(k):
        if progress is not None:
            progress(step / k)
        gain = np.where(allowed, a @ left, -1.0)
        best = int(np.argmax(gain)) if len(gain) else -1
        if best < 0 or gain[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(gain[best]))
        allowed[best] = False
        left[a[[best]].indices] = 0.0
    return np.array(chosen, dtype=np.int64), np.array(gains, dtype=float)


def site_greedy(
    cell_xy,
    residents,
    covered,
    candidate_xy,
    k: int,
    radius_m: float,
    *,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Add up to ``k`` stations, each time the candidate covering the most still-uncovered residents.

    Greedy maximal covering (MCLP) with existing stations kept: coverage is a monotone
    submodular function, so the greedy total is at least (1 - 1/e) ≈ 63 % of the optimum
    (Nemhauser, Wolsey & Fisher 1978). Stops early when no candidate adds anyone.

    Parameters
    ----------
    cell_xy : (n, 2) cell centres in metres; residents : (n,) per cell.
    covered : (n,) bool, cells already within reach of an existing station.
    candidate_xy : (c, 2) candidate sites in metres.
    radius_m : straight-line service radius in metres (minutes × speed / circuity).
    progress : called with the share done (0–1) before each station is chosen.

    Returns
    -------
    chosen : candidate indices in the order added; gains : residents newly covered by each.
    """
    a, w = _coverage_matrix(cell_xy, residents, covered, candidate_xy, radius_m)
    return _greedy(a, w, k, progress=progress)


def site_exact(
    cell_xy, residents, covered, candidate_xy, k: int, radius_m: float, *, time_limit_s: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal maximal covering (MCLP) as a MILP solved by HiGHS; for small instances.

    max Σ wᵢ yᵢ  s.t.  yᵢ ≤ Σ_{j covers i} xⱼ,  Σ xⱼ ≤ k,  x binary,  0 ≤ y ≤ 1.
    Parameters as :func:`site_greedy`. Returns the chosen candidates ordered by marginal gain
    and that gain (candidates the solver picked that add no one are left out); the gains add
    up to the optimal residents newly covered.

    Raises
    ------
    RuntimeError when HiGHS finds no proven optimum within ``time_limit_s``.
    """
    a, w = _coverage_matrix(cell_xy, residents, covered, candidate_xy, radius_m)
    c, n = a.shape
    if c == 0 or n == 0 or k <= 0:
        return np.array([], dtype=np.int64), np.array([], dtype=float)
    # variables: x (c candidates) then y (n cells); y_i - Σ_j a_ji x_j <= 0
    link = sparse.hstack([-a.T, sparse.eye_array(n)], format="csr")
    budget = sparse.csr_array(np.r_[np.ones(c), np.zeros(n)][None, :])
    res = milp(
        c=np.r_[np.zeros(c), -w],
        constraints=[LinearConstraint(link, -np.inf, 0.0), LinearConstraint(budget, 0, k)],
        integrality=np.r_[np.ones(c), np.zeros(n)],
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.status != 0:
        raise RuntimeError(f"MCLP not solved to optimality: {res.message}")
    picked = np.flatnonzero(res.x[:c] > 0.5)
    return _greedy(a, w, len(picked), among=picked)
