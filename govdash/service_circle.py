"""The 15-minute service circle as the page and the CLI show it: what-if stations, figures, gaps, load, siting."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from govdash import coverage as cov
from govdash import district_record
from govdash.coverage_adapter import from_geodataframes, offers, points_xy, station_ids, transformer
from govdash.i18n import t
from govdash.schema import FUNCTIONS

GOAL = 1.0  # every resident within the threshold (15分钟服务圈)
NEARBY_M = 500.0  # "cases reported nearby" radius in metres
GAP_ROWS = 10  # gaps listed and drawn
MAX_CANDIDATES = 6_000  # siting candidates; above this they are thinned to a coarser lattice
EXACT_MAX_CANDIDATES = 1_500  # siting is solved exactly (MILP) up to this many candidates…
EXACT_MAX_K = 10  # …and this many new stations
EXACT_TIME_S = 4.0  # then greedy: siting k = 10 answers within ~5 s whatever the instance
GREEDY_BOUND = 1 - 1 / math.e  # greedy MCLP reaches at least this share of the optimum
# squares a map click can pick: ~900 m over Pudong; with ~1,300 stations the deck stays ≤ 300 kB (issue 19)
CLICK_MAX_BLOCKS = 1_500


def _transformer(metric_crs: str | None, inverse: bool = False) -> Transformer:
    crs = metric_crs or district_record.metric_crs()
    return transformer(crs, "EPSG:4326") if inverse else transformer("EPSG:4326", crs)


# --- what-if stations ---


def apply_edits(stations: pd.DataFrame, edits: Sequence[dict]) -> pd.DataFrame:
    """Stations after what-if edits, in order; ``scenario`` says "added" / "moved" (None = as is).

    Each edit is ``{"op": "add", "lon", "lat"}`` (a full doorstep station offering all 四站一室),
    ``{"op": "remove", "station_id"}`` or ``{"op": "move", "station_id", "lon", "lat"}`` (WGS-84).
    Edits naming a station that is not there (any more) are skipped. The input is not changed.
    """
    out = stations.copy()
    out["scenario"] = None
    added = 0
    for e in edits:
        op = e.get("op")
        if op == "add":
            added += 1
            row = {c: None for c in out.columns}
            row.update(
                {
                    "station_id": f"NEW-{added}",
                    "name_zh": f"新增站点{added}",
                    "level": "doorstep",
                    "lon": float(e["lon"]),
                    "lat": float(e["lat"]),
                    "scenario": "added",
                    **{f: True for f in FUNCTIONS},
                }
            )
            out = pd.concat([out, pd.DataFrame([row], columns=out.columns)], ignore_index=True)
        elif op in ("remove", "move"):
            hit = out["station_id"] == e.get("station_id")
            if not hit.any():
                continue
            if op == "remove":
                out = out[~hit].reset_index(drop=True)
            else:
                out.loc[hit, ["lon", "lat"]] = [float(e["lon"]), float(e["lat"])]
                out.loc[hit & out["scenario"].isna(), "scenario"] = "moved"
        else:
            raise ValueError(f"unknown what-if edit {op!r}")
    return out


def walk(
    cells: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    function: str | None = None,
    graph=None,
    metric_crs: str | None = None,
) -> pd.DataFrame:
    """Cells with ``minutes`` to the nearest station (offering ``function``) and its ``station_id``.

    ``metric_crs``: the district's (govdash.district_record.metric_crs), that of the cells' x/y and the graph.
    """
    return from_geodataframes(cells, stations, function=function, graph=graph, metric_crs=metric_crs)


def walk_edits(
    base_timed: pd.DataFrame,
    base: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    function: str | None = None,
    graph=None,
    metric_crs: str | None = None,
    cell_tree=None,
) -> pd.DataFrame:
    """:func:`walk` over ``stations`` (``base`` after what-if edits, ``apply_edits``), from ``base_timed``
    (:func:`walk` over ``base``) by recomputing only the cells the edits can change: those within reach of
    an added or moved station (or farther from their own than that) and those whose station was removed
    or moved (``coverage.update_straight_line``). On a street network an added station is searched from
    as far as a cell could gain, and a removed or moved one walks every cell again (``coverage.update_network``).
    ``cell_tree``: a ``scipy.spatial.cKDTree`` of the cells' x, y, reused across edits when given."""
    old_mask, new_mask = offers(base, function), offers(stations, function)
    old_keep = np.arange(len(base)) if old_mask is None else np.flatnonzero(old_mask)
    new_keep = np.arange(len(stations)) if new_mask is None else np.flatnonzero(new_mask)
    old_s, new_s = base.iloc[old_keep], stations.iloc[new_keep]
    # an old station is kept when the same id is still there at the same place
    where = pd.Series(np.arange(len(new_s)), index=new_s["station_id"].to_numpy())
    at = where.reindex(old_s["station_id"].to_numpy())
    kept = at.fillna(-1).to_numpy(np.int64)
    same = kept >= 0
    same[same] = (old_s["lon"].to_numpy(float)[same] == new_s["lon"].to_numpy(float)[kept[same]]) & (
        old_s["lat"].to_numpy(float)[same] == new_s["lat"].to_numpy(float)[kept[same]]
    )
    kept = np.where(same, kept, -1)
    position = np.full(len(base), -1, dtype=np.int64)
    position[old_keep] = np.arange(len(old_keep))
    full = base_timed["station"].to_numpy()
    before = (
        points_xy(base_timed, metric_crs=metric_crs),
        base_timed["minutes"].to_numpy(float),
        np.where(full >= 0, position[np.maximum(full, 0)], -1),
        points_xy(new_s, metric_crs=metric_crs),
        kept,
    )
    if graph is not None:
        minutes, sub, _ = cov.update_network(graph, *before)
    else:
        minutes, sub, _ = cov.update_straight_line(
            *before, cell_tree=cell_tree, reach_m=cov.reach_m(max(cov.THRESHOLDS))
        )
    nearest = np.where(sub >= 0, new_keep[np.maximum(sub, 0)] if len(new_keep) else -1, -1)
    # copy-on-write: the cells' columns are shared, not copied
    return base_timed.assign(minutes=minutes, station=nearest, station_id=station_ids(stations, nearest))


class BaseWalk:
    """The walk over the stations as they are, kept (a page keeps one per session and ``key``) so that each
    what-if recomputes only the cells its edits change (:func:`walk_edits`); only arrays are held."""

    def __init__(
        self, cells: pd.DataFrame, base: pd.DataFrame, *, function=None, graph=None, metric_crs=None, key=None
    ):
        timed = walk(cells, base, function=function, graph=graph, metric_crs=metric_crs)
        self.key, self.function, self.graph, self.metric_crs = key, function, graph, metric_crs
        self.minutes, self.station = timed["minutes"].to_numpy(), timed["station"].to_numpy()
        # the cells' tree, built with the walk (as the page opens) so the first edit is as quick as the next
        self._tree = None if graph is not None else cKDTree(points_xy(cells, metric_crs=metric_crs))

    def timed(self, cells: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
        """:func:`walk` over ``base`` (the cells and stations this walk was made from)."""
        return cells.assign(minutes=self.minutes, station=self.station, station_id=station_ids(base, self.station))

    def after(self, cells: pd.DataFrame, base: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
        """:func:`walk` over ``stations`` (``base`` after edits), recomputing only the cells the edits change."""
        timed = self.timed(cells, base)
        if "scenario" in stations and stations["scenario"].isna().all() and len(stations) == len(base):
            return timed  # no edit changes anything
        return walk_edits(
            timed,
            base,
            stations,
            function=self.function,
            graph=self.graph,
            metric_crs=self.metric_crs,
            cell_tree=self._tree,
        )


def counted(stations: pd.DataFrame, function: str | None = None) -> int:
    """Number of stations that count: all, or those offering ``function``."""
    mask = offers(stations, function)
    return len(stations) if mask is None else int(mask.sum())


def counted_by_level(stations: pd.DataFrame, function: str | None = None) -> dict[str, int]:
    """Stations that count (``counted``), per level: ``{"doorstep": 家门口服务站, "centre": 街镇服务中心}``; a
    what-if's added station is a doorstep station. The two are named apart wherever stations are counted."""
    mask = offers(stations, function)
    kept = stations if mask is None else stations[mask]
    level = kept["level"] if "level" in kept.columns else pd.Series("doorstep", index=kept.index)
    centres = int(level.eq("centre").sum())
    return {"doorstep": len(kept) - centres, "centre": centres}


def stations_text(counts: dict[str, int], lang: str = "zh") -> str:
    """ "家门口服务站 1,285 · 街镇服务中心 36": the stations counted, each kind by its name (``counted_by_level``)."""
    return t("stations_by_level", lang).format(doorstep=counts["doorstep"], centre=counts["centre"])


def own_stations(stations: pd.DataFrame, towns: Sequence[str] = (), communities: Sequence[str] = ()) -> pd.DataFrame:
    """The stations of a unit's view: those in ``towns`` (all when none) and ``communities`` (any when none),
    and stations added in a what-if (they sit where the view clicked). A unit's "stations counted" are these,
    while its residents may walk to any station, across a border too."""
    keep = pd.Series(True, index=stations.index)
    if towns:
        keep &= stations["town_id"].isin(list(towns))
    if communities:
        keep &= stations["community_id"].isin(list(communities))
    if "scenario" in stations.columns:
        keep |= stations["scenario"].eq("added")
    return stations[keep]


def in_area(timed: pd.DataFrame, towns: Sequence[str] = (), communities: Sequence[str] = ()) -> pd.DataFrame:
    """Cells of the selected streets/towns (all when none is selected) and of the selected 居村 in them (a 居村's
    view: its own residents, not its town's)."""
    keep = timed["town_id"].isin(list(towns)) if towns else pd.Series(True, index=timed.index)
    if communities:
        keep &= timed["community_id"].isin(list(communities))
    return timed if keep.all() else timed[keep]


# --- figures ---


def district(timed: pd.DataFrame, threshold: float) -> dict:
    """Residents, covered (within ``threshold`` minutes), uncovered, share and the share per THRESHOLDS."""
    res = timed["residents"].to_numpy(dtype=float)
    covered = float(res[timed["minutes"].to_numpy() <= threshold].sum())
    total = float(res.sum())
    shares = cov.share_within(timed["minutes"], res)
    return {
        "residents": total,
        "covered": covered,
        "uncovered": total - covered,
        "share": covered / total if total > 0 else float("nan"),
        "shares": {int(k): float(v) for k, v in shares.items()},
    }


def by_unit(timed: pd.DataFrame, threshold: float, units: pd.DataFrame, level: str = "town") -> pd.DataFrame:
    """unit_id, name_zh, residents, covered, share per street/town or community, lowest share first."""
    column = {"town": "town_id", "community": "community_id"}[level]
    table = cov.covered_by_unit(timed["minutes"], timed["residents"], timed[column], threshold)
    table = table.rename_axis("unit_id").reset_index()
    names = dict(zip(units["unit_id"], units["name_zh"], strict=True))
    table.insert(1, "name_zh", table["unit_id"].map(names).fillna(table["unit_id"]).astype(object))
    return table.sort_values(["share", "unit_id"], na_position="last", kind="stable").reset_index(drop=True)


def report(timed: pd.DataFrame, threshold: float, towns: pd.DataFrame) -> dict:
    """District figures and per street/town rows: the one source of what the CLI and the page print."""
    rows = by_unit(timed, threshold, towns, "town")
    return {
        "minutes": threshold,
        **district(timed, threshold),
        "towns": [
            {
                "unit_id": r.unit_id,
                "name_zh": r.name_zh,
                "residents": float(r.residents),
                "covered": float(r.covered),
                "share": None if pd.isna(r.share) else float(r.share),
            }
            for r in rows.itertuples()
        ],
    }


def without_population(
    units: pd.DataFrame,
    stations: pd.DataFrame,
    threshold: float,
    *,
    metric_crs: str,
    function: str | None = None,
    graph=None,
    towns: Sequence[str] = (),
) -> dict:
    """Coverage when there is no population: the share of the area within ``threshold`` minutes, and each
    community (居村; street/town when there are none) with its stations and its area within reach.

    ``units``: unit_id, level, name_zh, town_id, community_id, geom (WKB, WGS-84). Every 100 m cell whose
    centre lies in a unit weighs the same, so shares are shares of area (1 cell = 0.01 km²).
    """
    import shapely

    from govdash import surface

    crs = metric_crs
    polys = units.assign(geom=shapely.from_wkb([bytes(g) for g in units["geom"]]))
    timed = in_area(
        walk(surface.area_cells(polys, crs), stations, function=function, graph=graph, metric_crs=crs), towns
    )
    level = "community" if (units["level"] == "community").any() else "town"
    rows = by_unit(timed, threshold, units[units["level"] == level], level)
    rows = rows[rows["unit_id"].notna()]
    mask = offers(stations, function)
    counted_ = stations if mask is None else stations[mask]
    per = counted_.groupby(f"{level}_id").size()
    mine = units[(units["level"] == level) & (units["town_id"].isin(list(towns)) if towns else True)]
    table = pd.DataFrame({"unit_id": mine["unit_id"], "name_zh": mine["name_zh"]}).merge(
        rows[["unit_id", "share"]], on="unit_id", how="left"
    )
    table["stations"] = table["unit_id"].map(per).fillna(0).astype(int)
    table["has_station"] = table["stations"] > 0
    table["area_km2"] = (
        table["unit_id"].map(timed.groupby(f"{level}_id").size()).fillna(0) * (surface.CELL_M / 1000) ** 2
    )
    cells = len(timed)
    near = float((timed["minutes"].to_numpy() <= threshold).sum())
    return {
        "level": level,
        "area_km2": cells * (surface.CELL_M / 1000) ** 2,
        "share": near / cells if cells else float("nan"),
        "with_station": int(table["has_station"].sum()),
        "units": len(table),
        "table": table.sort_values(["has_station", "share", "unit_id"], na_position="first", kind="stable").reset_index(
            drop=True
        ),
    }


# --- load, gaps and the station directory ---


def load(
    timed: pd.DataFrame,
    stations: pd.DataFrame,
    function: str | None = None,
    *,
    towns: pd.DataFrame | None = None,
    factor: float = 2.0,
) -> pd.DataFrame:
    """Residents whose nearest counted station each station is; ``flagged`` above ``factor`` × the median.

    Only stations offering ``function`` count (and share the median). ``timed`` must come from
    :func:`walk` on the same ``stations``, over the whole district so border cells are not lost.
    With ``towns`` (unit_id, name_zh) a ``town`` name column is added.
    """
    mask = offers(stations, function)
    keep = np.arange(len(stations)) if mask is None else np.flatnonzero(mask)
    position = np.full(len(stations), -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))
    nearest = timed["station"].to_numpy()
    sub = np.where(nearest >= 0, position[np.maximum(nearest, 0)], -1)
    table = cov.station_load(sub, timed["residents"], len(keep), factor=factor)
    cols = [c for c in ("station_id", "name_zh", "level", "town_id", "lon", "lat", "scenario") if c in stations]
    out = pd.concat([stations.iloc[keep][cols].reset_index(drop=True), table.reset_index(drop=True)], axis=1)
    if towns is not None:
        out.insert(1, "town", out["town_id"].map(dict(zip(towns["unit_id"], towns["name_zh"], strict=True))))
    return out


def gap_table(
    timed: pd.DataFrame, threshold: float, towns: pd.DataFrame, *, top: int = GAP_ROWS, metric_crs: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``top`` largest groups of residents beyond the threshold (8-connected cells), largest first.

    Returns rank (1 = largest), residents, cells, area_km2, farthest minutes, the street/town holding
    most of its residents and where one station would close most of it (lon, lat WGS-84: the centre of
    the gap's cell with most of its residents within the threshold's straight-line reach,
    ``coverage.best_site``); and per cell its rank (0 outside the listed gaps).
    """
    size = float(timed["size_m"].iloc[0]) if len(timed) else 100.0
    xy = points_xy(timed, metric_crs=metric_crs)
    table, labels = cov.gaps(xy, timed["residents"], timed["minutes"].to_numpy() > threshold, size)
    table = table.head(top)
    rank = np.where((labels >= 0) & (labels < top), labels + 1, 0)
    if table.empty:
        return pd.DataFrame(
            columns=["rank", "residents", "cells", "area_km2", "max_minutes", "town", "lon", "lat"]
        ), rank
    site = np.array(
        [
            xy[members][
                cov.best_site(
                    xy[members], timed["residents"].to_numpy(float)[members], cov.reach_m(threshold), cell_size_m=size
                )
            ]
            for members in (np.flatnonzero(labels == g) for g in table["gap"])
        ]
    )
    lon, lat = _transformer(metric_crs, inverse=True).transform(site[:, 0], site[:, 1])
    frame = pd.DataFrame(
        {
            "rank": rank,
            "town_id": timed["town_id"].to_numpy(),
            "residents": timed["residents"].to_numpy(float),
            "minutes": timed["minutes"].to_numpy(),
        }
    )
    frame = frame[frame["rank"] > 0]
    main_town = (
        frame.groupby(["rank", "town_id"])["residents"]
        .sum()
        .reset_index()
        .sort_values("residents", ascending=False, kind="stable")
        .drop_duplicates("rank")
        .set_index("rank")["town_id"]
    )
    far = frame.groupby("rank")["minutes"].max()
    names = dict(zip(towns["unit_id"], towns["name_zh"], strict=True))
    ranks = table["gap"].to_numpy() + 1
    out = pd.DataFrame(
        {
            "rank": ranks,
            "residents": table["residents"].to_numpy(),
            "cells": table["cells"].to_numpy(),
            "area_km2": table["cells"].to_numpy() * size**2 / 1e6,
            "max_minutes": far.reindex(ranks).to_numpy(),
            "town": [names.get(main_town.get(r), main_town.get(r)) for r in ranks],
            "lon": lon,
            "lat": lat,
        }
    )
    return out, rank


def directory(
    items: pd.DataFrame,
    station_load: pd.DataFrame,
    nearby: pd.DataFrame | None,
    towns: pd.DataFrame,
    function: str | None = None,
) -> pd.DataFrame:
    """The station directory (queries_map.station_directory) with its street/town name, residents served
    (0 for a station removed in the what-if) and cases nearby (0 without ``nearby``); only stations offering
    ``function``."""
    out = items if function is None else items[items[function].fillna(False).astype(bool)]
    out = out.merge(station_load[["station_id", "residents", "flagged"]], on="station_id", how="left")
    if nearby is not None:
        out = out.merge(nearby, on="station_id", how="left")
    else:
        out["cases_nearby"] = 0
    out.insert(3, "town", out["town_id"].map(dict(zip(towns["unit_id"], towns["name_zh"], strict=True))))
    out["cases_nearby"] = out["cases_nearby"].fillna(0).astype(int)
    out["residents"] = out["residents"].fillna(0.0)
    out["flagged"] = out["flagged"].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


def visible(
    stations: pd.DataFrame,
    station_load: pd.DataFrame,
    cells: pd.DataFrame,
    function: str | None = None,
    *,
    margin_deg: float = 0.01,
) -> pd.DataFrame:
    """Stations to draw over ``cells``: those offering ``function`` within the cells' box (WGS-84,
    ``margin_deg`` wider, so neighbours serving border cells show), with residents served."""
    mask = offers(stations, function)
    out = stations if mask is None else stations[mask]
    if len(cells):
        inside = out["lon"].between(cells["lon"].min() - margin_deg, cells["lon"].max() + margin_deg) & out[
            "lat"
        ].between(cells["lat"].min() - margin_deg, cells["lat"].max() + margin_deg)
        out = out[inside]
    return out.merge(station_load[["station_id", "residents"]], on="station_id", how="left")


# --- siting ---


def candidates(
    timed: pd.DataFrame, threshold: float, *, max_candidates: int = MAX_CANDIDATES, metric_crs: str | None = None
) -> np.ndarray:
    """Candidate sites in metres: centres of populated cells beyond the threshold.

    Above ``max_candidates`` only cells on a coarser lattice (every s-th row and column) are kept.
    """
    far = timed[(timed["minutes"] > threshold) & (timed["residents"] > 0)]
    xy = points_xy(far, metric_crs=metric_crs)
    if len(xy) <= max_candidates:
        return xy
    size = float(far["size_m"].iloc[0])
    step = math.ceil(math.sqrt(len(xy) / max_candidates))
    ij = np.floor((xy - xy.min(axis=0)) / size + 0.5).astype(np.int64)
    return xy[((ij % step) == step // 2).all(axis=1)]


def propose(
    timed: pd.DataFrame,
    threshold: float,
    k: int,
    *,
    exact: bool | None = None,
    metric_crs: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Up to ``k`` new stations covering the most residents now beyond the threshold, existing ones kept.

    Maximal covering on straight-line reach (``coverage.reach_m``), also in network mode. Exact
    (MILP, HiGHS) when ``exact`` or, if None, when the instance is small; otherwise greedy, whose
    total is at least 1 − 1/e ≈ 63 % of the optimum. A MILP that hits its time limit falls back
    to greedy.

    ``progress(share, stage)`` is told how far it has come (0–1) and the stage: "candidates", "exact"
    (the MILP, one step) or "greedy" (a step per station).

    Returns
    -------
    rank, lon, lat (WGS-84), gain (residents newly covered by that station), cumulative; and the
    method used, "exact" or "greedy".
    """
    say = progress or (lambda share, stage: None)
    say(0.0, "candidates")
    xy = points_xy(timed, metric_crs=metric_crs)
    res = timed["residents"].to_numpy(float)
    covered = timed["minutes"].to_numpy() <= threshold
    cand = candidates(timed, threshold, metric_crs=metric_crs)
    radius = cov.reach_m(threshold)
    if exact is None:
        exact = len(cand) <= EXACT_MAX_CANDIDATES and k <= EXACT_MAX_K
    method = "greedy"
    if exact:
        say(0.1, "exact")
        try:
            chosen, gains = cov.site_exact(xy, res, covered, cand, k, radius, time_limit_s=EXACT_TIME_S)
            method = "exact"
        except RuntimeError:
            exact = False
    if not exact:
        say(0.1, "greedy")
        chosen, gains = cov.site_greedy(
            xy, res, covered, cand, k, radius, progress=lambda share: say(0.1 + 0.9 * share, "greedy")
        )
    say(1.0, method)
    lon, lat = (
        _transformer(metric_crs, inverse=True).transform(cand[chosen, 0], cand[chosen, 1])
        if len(chosen)
        else (np.array([]), np.array([]))
    )
    return pd.DataFrame(
        {"rank": np.arange(1, len(chosen) + 1), "lon": lon, "lat": lat, "gain": gains, "cumulative": np.cumsum(gains)}
    ), method


# --- map ---


def click_blocks(
    timed: pd.DataFrame, *, max_blocks: int = CLICK_MAX_BLOCKS, metric_crs: str | None = None
) -> pd.DataFrame:
    """The squares a map click picks: lon, lat of the centre (WGS-84), size_m, minutes, residents.

    Square blocks of s × s lattice cells (s = 1 while the cells in view fit in ``max_blocks``, as in a
    street/town; larger over the district) holding populated cells, with their residents-weighted mean
    minutes and their residents; at most ``max_blocks`` of them, so the map's selection stays within what
    Streamlit's deck chart answers. A click adds a station at the block's centre.
    """
    xy = points_xy(timed, metric_crs=metric_crs)
    size = float(timed["size_m"].iloc[0]) if len(timed) else 100.0
    res = timed["residents"].to_numpy(float)
    minutes = np.minimum(timed["minutes"].to_numpy(float), 999.0)  # inf (no station) stays far, not NaN
    origin = xy.min(axis=0) - size / 2 if len(xy) else np.zeros(2)
    step = max(1, math.ceil(math.sqrt(len(timed) / max_blocks))) if len(timed) else 1
    while True:  # partly filled blocks along the edges: grow until the count fits
        block = np.floor((xy - origin) / (size * step)).astype(np.int64)
        w = np.maximum(res, 1e-9)
        frame = (
            pd.DataFrame({"bx": block[:, 0], "by": block[:, 1], "wm": w * minutes, "w": w, "residents": res})
            .groupby(["bx", "by"], sort=True)
            .sum()
        )
        if len(frame) <= max_blocks:
            break
        step += 1
    centre = origin + (frame.index.to_frame().to_numpy() + 0.5) * size * step
    lon, lat = _transformer(metric_crs, inverse=True).transform(centre[:, 0], centre[:, 1])
    return pd.DataFrame(
        {
            "lon": np.asarray(lon, float),
            "lat": np.asarray(lat, float),
            "size_m": size * step,
            "minutes": frame["wm"].to_numpy() / frame["w"].to_numpy(),
            "residents": frame["residents"].to_numpy(),
        }
    )
