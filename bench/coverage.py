"""Benchmark of the coverage engine on a synthetic district: straight-line, network (vs networkx), siting;
with ``--db``, the coverage page on a real database: deck bytes before/after the one-image surface, what-if
edits incremental vs a full walk, and siting k = 10, for the district and its largest street/town."""

from __future__ import annotations

import argparse
import time

import numpy as np

from govdash import coverage as cov
from govdash.osm import lattice_graph

BOX_M = 35_000.0  # ≈ 1,225 km², Pudong is 1,210 km²
CELL_M = 100.0
STATIONS = 1_285
WALK_KMH, CIRCUITY, MINUTES = 4.5, 1.3, 15


def _timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def district(seed: int):
    """A 100 m lattice of cells over the box, residents clustered round a few centres, random stations."""
    rng = np.random.default_rng(seed)
    c = np.arange(CELL_M / 2, BOX_M, CELL_M)
    cell_xy = np.column_stack([g.ravel() for g in np.meshgrid(c, c)])
    centres = rng.uniform(0, BOX_M, (12, 2))
    d = np.min(np.hypot(*(cell_xy[:, None, :] - centres[None]).transpose(2, 0, 1)), axis=1)
    residents = rng.poisson(250 * np.exp(-d / 2500)) * (rng.random(len(cell_xy)) < 0.8)
    stations = rng.uniform(0, BOX_M, (STATIONS, 2))
    return cell_xy, residents.astype(float), stations


def reference_networkx(graph: cov.StreetGraph, cell_xy, station_xy) -> np.ndarray:
    """networkx multi-source Dijkstra from one virtual node per station, snapped as in the engine."""
    import networkx as nx
    from scipy.spatial import cKDTree

    g = graph.lengths.tocoo()
    G = nx.Graph()
    G.add_weighted_edges_from(zip(g.row.tolist(), g.col.tolist(), g.data.tolist(), strict=False))
    tree = cKDTree(graph.node_xy)
    s_snap, s_node = tree.query(station_xy)
    c_snap, c_node = tree.query(cell_xy)
    virtual = [("station", i) for i in range(len(station_xy))]
    G.add_weighted_edges_from((v, int(n), float(s)) for v, n, s in zip(virtual, s_node, s_snap, strict=False))
    t = time.perf_counter()
    dist = nx.multi_source_dijkstra_path_length(G, virtual)
    search_s = time.perf_counter() - t
    d = np.array([dist.get(int(n), np.inf) for n in c_node])
    return search_s, (d + c_snap) / (WALK_KMH * 1000 / 60)


def _old_cells_bytes(area, threshold: float, crs: str) -> tuple[int, int]:
    """Bytes and objects of the surface as it was drawn before issue 19: ≤ 40,000 cells (blocks of s × s
    100 m cells above that), one pickable GridCellLayer per minute class with a tooltip per cell."""
    import json

    import pandas as pd
    import pydeck as pdk

    from govdash import service_circle as sc
    from govdash.maps_coverage import minute_classes

    cells = sc.click_blocks(area, max_blocks=40_000, metric_crs=crs)
    tip = (
        cells["minutes"].map(lambda m: f"{m:.1f}" if m < 999 else "—").astype(str)
        + " 分钟 · 常住人口 "
        + cells["residents"].map("{:,.0f}".format).astype(str)
    )
    layers = []
    for i, (lo, hi, rgb, _) in enumerate(minute_classes(threshold)):
        sel = ((cells["minutes"] > lo) | (lo == 0)) & (cells["minutes"] <= hi)
        data = pd.DataFrame({"lon": cells["lon"][sel].round(5), "lat": cells["lat"][sel].round(5), "tip": tip[sel]})
        layers.append(
            pdk.Layer(
                "GridCellLayer",
                data=data,
                id=f"cells_{i}",
                get_position=["lon", "lat"],
                cell_size=float(cells["size_m"].iloc[0]),
                get_fill_color=[*rgb, 235],
                extruded=False,
                pickable=True,
                auto_highlight=True,
                highlight_color=[255, 255, 255, 120],
            )
        )
    text = json.dumps(
        [json.loads(layer.to_json()) for layer in layers], ensure_ascii=False, separators=(",", ":")
    )  # as govdash.maps.Deck writes it
    return len(text.encode("utf-8")), len(cells)


def page_figures(db_path: str, repeat: int = 5) -> None:
    """The coverage page's map payload, what-if and siting on a real database (the page's own calls)."""
    import json

    from govdash import district_record, maps_coverage, queries, queries_map
    from govdash import service_circle as sc
    from govdash.db import Database

    db = Database(db_path)
    crs = district_record.metric_crs(district_record.read(db))
    cells, towns, base = queries_map.cells(db), queries.towns(db), queries_map.stations(db)
    walked = sc.BaseWalk(cells, base, metric_crs=crs)
    timed = walked.timed(cells, base)
    biggest = timed.groupby("town_id")["residents"].sum().idxmax()
    name = dict(zip(towns["unit_id"], towns["name_zh"], strict=True)).get(biggest, biggest)
    print(f"{db_path}: {len(cells):,} cells of {cells['size_m'].iloc[0]:.0f} m, {len(base):,} stations, {crs}")
    for label, area in (("district", timed), (f"street/town {name}", sc.in_area(timed, (biggest,)))):
        load = sc.load(timed, base, towns=towns)
        gaps, _ = sc.gap_table(area, MINUTES, towns, metric_crs=crs)
        blocks = sc.click_blocks(area, metric_crs=crs)
        t = time.perf_counter()
        deck, _ = maps_coverage.coverage_map(
            area,
            MINUTES,
            sc.visible(base, load, area),
            blocks=blocks,
            metric_crs=crs,
            gaps=gaps,
            width_px=860,
            height_px=690,
        )
        text = deck.to_json()
        build_s = time.perf_counter() - t
        layers = {
            layer["id"]: len(json.dumps(layer, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            for layer in json.loads(text)["layers"]
        }
        old_bytes, old_cells = _old_cells_bytes(area, MINUTES, crs)
        new_total = len(text.encode("utf-8"))
        before = new_total - layers["surface"] - layers["click"] + old_bytes
        print(
            f"  {label}: deck {new_total / 1e3:,.0f} kB (built in {build_s:.2f} s; was {before / 1e3:,.0f} kB with "
            f"{old_cells:,} cell objects): surface image {layers['surface'] / 1e3:,.0f} kB (was "
            f"{old_bytes / 1e3:,.0f} kB), {len(blocks):,} click squares of {blocks['size_m'].iloc[0]:.0f} m "
            f"{layers['click'] / 1e3:,.0f} kB, stations {layers.get('stations', 0) / 1e3:,.0f} kB, "
            f"pickable objects {len(blocks) + len(sc.visible(base, load, area)):,}"
        )
    # what-if: one edit of each kind, incremental vs a full walk (best of ``repeat``)
    gap = timed.loc[timed["minutes"].idxmax()]
    victim = base["station_id"].iloc[len(base) // 2]
    for edit in (
        {"op": "add", "lon": float(gap["lon"]), "lat": float(gap["lat"])},
        {"op": "remove", "station_id": victim},
        {"op": "move", "station_id": victim, "lon": float(gap["lon"]), "lat": float(gap["lat"])},
    ):
        stations = sc.apply_edits(base, [edit])
        s_inc, got = _timed(lambda s=stations: walked.after(cells, base, s), repeat)
        s_full, want = _timed(lambda s=stations: sc.walk(cells, s, metric_crs=crs), repeat)
        diff = float(np.max(np.abs(got["minutes"].to_numpy() - want["minutes"].to_numpy())))
        # a nearest station may differ only between stations at one place (the tree breaks ties its own way)
        other = np.flatnonzero(got["station"].to_numpy() != want["station"].to_numpy())
        where = stations[["lon", "lat"]].to_numpy()
        tied = bool((where[got["station"].to_numpy()[other]] == where[want["station"].to_numpy()[other]]).all())
        print(
            f"  what-if {edit['op']}: incremental {s_inc * 1e3:.0f} ms vs full walk {s_full * 1e3:.0f} ms "
            f"(best of {repeat}; target ≤ 1 s); minutes max diff {diff:.1e}, nearest station differs in "
            f"{len(other)} cells{' (co-located stations: a tie)' if len(other) and tied else ''}"
        )
    s_base, _ = _timed(lambda: sc.BaseWalk(cells, base, metric_crs=crs), repeat)
    print(f"  base walk with its cell tree (once per page view): {s_base * 1e3:.0f} ms")
    # siting k = 10 as the page runs it (exact when small, else greedy), district and the biggest town
    for label, area in (("district", timed), (f"street/town {name}", sc.in_area(timed, (biggest,)))):
        steps: list[float] = []
        s_site, (rows, method) = _timed(
            lambda a=area, seen=steps: sc.propose(a, MINUTES, 10, metric_crs=crs, progress=lambda v, _: seen.append(v))
        )
        print(
            f"  siting k=10 {label}: {s_site:.2f} s ({method}, {len(sc.candidates(area, MINUTES, metric_crs=crs)):,} "
            f"candidates; target ≤ 5 s), +{rows['gain'].sum():,.0f} residents, {len(steps)} progress updates"
        )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lattice", type=int, default=450, help="nodes per side of the street lattice")
    ap.add_argument("--no-reference", action="store_true", help="skip the networkx comparison")
    ap.add_argument("--exact-all", action="store_true", help="also solve the MILP over every candidate (~40 s)")
    ap.add_argument("--db", help="a govdash database: measure the coverage page on it instead")
    args = ap.parse_args()
    if args.db:
        page_figures(args.db)
        return

    cell_xy, residents, stations = district(args.seed)
    populated = residents > 0
    print(
        f"district: {len(cell_xy):,} cells ({populated.sum():,} populated, {residents.sum():,.0f} residents), "
        f"{len(stations):,} stations, {BOX_M / 1000:.0f}×{BOX_M / 1000:.0f} km"
    )

    # straight line
    s, (minutes, nearest) = _timed(
        lambda: cov.straight_line_minutes(cell_xy, stations, walk_kmh=WALK_KMH, circuity=CIRCUITY), repeat=5
    )
    share = cov.share_within(minutes, residents)
    print(
        f"straight-line: {s:.3f} s (best of 5; target ≤ 1 s); within 5/10/15/20 min: "
        + " / ".join(f"{v:.1%}" for v in share)
    )
    s_gap, (table, _) = _timed(lambda: cov.gaps(cell_xy, residents, minutes > MINUTES, CELL_M))
    s_load, load = _timed(lambda: cov.station_load(nearest, residents, len(stations)))
    print(
        f"gaps: {s_gap:.3f} s, {len(table):,} gaps, largest {table['residents'].iloc[0]:,.0f} residents "
        f"in {table['cells'].iloc[0]} cells; station load: {s_load:.4f} s, {load['flagged'].sum()} flagged"
    )

    # network
    n = args.lattice
    spacing = BOX_M / (n - 1)
    graph = lattice_graph(n, n, spacing)
    s_net, (net_min, _) = _timed(lambda: cov.network_minutes(graph, cell_xy, stations, walk_kmh=WALK_KMH), repeat=3)
    print(
        f"network: lattice {n}×{n} = {graph.n_nodes:,} nodes, {graph.lengths.nnz // 2:,} edges, "
        f"{spacing:.1f} m; one pass from {len(stations):,} stations: {s_net:.3f} s (best of 3; target ≤ 5 s)"
    )
    # what-if on the network: one station added in the middle, searched only as far as a cell could gain
    nearest_net = cov.network_minutes(graph, cell_xy, stations, walk_kmh=WALK_KMH)[1]
    added = np.vstack([stations, [(BOX_M / 2, BOX_M / 2)]])
    s_inc, (inc_min, _, changed) = _timed(
        lambda: cov.update_network(
            graph, cell_xy, net_min, nearest_net, added, np.arange(len(stations)), walk_kmh=WALK_KMH
        ),
        repeat=3,
    )
    s_all, (all_min, _) = _timed(lambda: cov.network_minutes(graph, cell_xy, added, walk_kmh=WALK_KMH), repeat=3)
    print(
        f"network what-if, one station added: incremental {s_inc:.3f} s vs full {s_all:.3f} s (best of 3; "
        f"target ≤ 1 s), {changed.sum():,} cells changed, minutes max abs diff {np.max(np.abs(inc_min - all_min)):.1e}"
    )
    if not args.no_reference:
        t = time.perf_counter()
        search_s, ref_min = reference_networkx(graph, cell_xy, stations)
        total_s = time.perf_counter() - t
        diff = np.max(np.abs(ref_min - net_min))
        print(
            f"networkx multi_source_dijkstra_path_length: search {search_s:.3f} s "
            f"(with graph build and snapping {total_s:.3f} s); ratio networkx search / ours = "
            f"{search_s / s_net:.1f}×; minutes max abs diff {diff:.2e}"
        )

    # siting: candidates at the populated cells beyond the threshold
    radius = cov.reach_m(MINUTES, walk_kmh=WALK_KMH, circuity=CIRCUITY)
    covered = minutes <= MINUTES
    candidates = cell_xy[~covered & populated]
    s_site, (_, gains) = _timed(lambda: cov.site_greedy(cell_xy, residents, covered, candidates, 10, radius))
    before = residents[covered].sum() / residents.sum()
    print(
        f"siting greedy k=10 over {len(candidates):,} candidates, radius {radius:.0f} m: {s_site:.3f} s; "
        f"+{gains.sum():,.0f} residents, coverage {before:.1%} -> {before + gains.sum() / residents.sum():.1%}; "
        f"gains " + ", ".join(f"{g:,.0f}" for g in gains)
    )
    # exact on a thinned candidate set (every 500 m) so the MILP stays small
    grid = candidates[(np.floor(candidates / CELL_M) % 5 == 2).all(axis=1)]
    s_g, (_, g_gain) = _timed(lambda: cov.site_greedy(cell_xy, residents, covered, grid, 10, radius))
    s_x, (_, x_gain) = _timed(lambda: cov.site_exact(cell_xy, residents, covered, grid, 10, radius))
    print(
        f"siting k=10 over {len(grid):,} candidates on a 500 m grid: greedy {s_g:.3f} s +{g_gain.sum():,.0f}; "
        f"exact MILP (HiGHS) {s_x:.3f} s +{x_gain.sum():,.0f}; greedy/optimum {g_gain.sum() / x_gain.sum():.2%}"
    )

    if args.exact_all:
        s_x, (_, x_gain) = _timed(lambda: cov.site_exact(cell_xy, residents, covered, candidates, 10, radius))
        print(
            f"exact MILP over all {len(candidates):,} candidates: {s_x:.1f} s +{x_gain.sum():,.0f}; "
            f"greedy/optimum {gains.sum() / x_gain.sum():.2%}"
        )


if __name__ == "__main__":
    main()
