"""Tests of govdash.coverage and its adapter: hand-placed geometry in metres with exact answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from govdash import coverage as cov
from govdash.coverage_adapter import from_geodataframes, offers, points_xy
from govdash.osm import lattice_graph

KMH6 = 6.0  # 100 m per minute: minutes are metres / 100


# --- straight-line mode -------------------------------------------------------------------------


def test_station_at_origin_gives_exact_minutes():
    cells = [[0, 0], [300, 400], [0, 1000], [-600, -800]]
    minutes, nearest = cov.straight_line_minutes(cells, [[0, 0]], walk_kmh=KMH6, circuity=1.5)
    np.testing.assert_allclose(minutes, [0.0, 7.5, 15.0, 15.0])
    assert nearest.tolist() == [0, 0, 0, 0]


def test_nearest_of_two_stations():
    minutes, nearest = cov.straight_line_minutes([[100, 0], [900, 0]], [[0, 0], [1000, 0]], walk_kmh=KMH6, circuity=1.0)
    np.testing.assert_allclose(minutes, [1.0, 1.0])
    assert nearest.tolist() == [0, 1]


def test_no_station_is_infinitely_far():
    minutes, nearest = cov.straight_line_minutes([[0, 0]], np.empty((0, 2)), walk_kmh=KMH6, circuity=1.0)
    assert np.isinf(minutes).all() and nearest.tolist() == [-1]


def test_defaults_come_from_settings(monkeypatch):
    monkeypatch.setenv("GOVDASH_WALK_KMH", "3")
    monkeypatch.setenv("GOVDASH_CIRCUITY", "2")
    minutes, _ = cov.straight_line_minutes([[0, 100]], [[0, 0]])
    assert minutes[0] == pytest.approx(4.0)  # 200 m at 50 m/min
    assert cov.reach_m(4.0) == pytest.approx(100.0)


def test_reach_is_the_inverse_of_straight_line_minutes():
    assert cov.reach_m(15, walk_kmh=4.5, circuity=1.3) == pytest.approx(15 * 75 / 1.3)


# --- network mode -------------------------------------------------------------------------------


@pytest.fixture
def u_street():
    """A 'U': A(0,0) - B(0,300) - C(100,300) - D(100,0), no A-D street; E(1000,1000) is alone."""
    xy = [[0, 0], [0, 300], [100, 300], [100, 0], [1000, 1000]]
    return cov.StreetGraph.from_edges(xy, [0, 1, 2], [1, 2, 3])


def test_network_walks_around_the_u(u_street):
    minutes, nearest = cov.network_minutes(u_street, [[100, 0]], [[0, 0]], walk_kmh=KMH6)
    assert minutes[0] == pytest.approx(7.0)  # 300 + 100 + 300 m, not the 100 m straight line
    assert nearest.tolist() == [0]


def test_network_adds_both_snap_distances(u_street):
    # station 30 m off A, cell 40 m off D: 30 + 700 + 40
    minutes, _ = cov.network_minutes(u_street, [[100, -40]], [[-30, 0]], walk_kmh=KMH6)
    assert minutes[0] == pytest.approx(7.7)


def test_network_finds_which_station_is_nearest_in_one_pass(u_street):
    minutes, nearest = cov.network_minutes(u_street, [[100, -40], [0, -10]], [[-30, 0], [100, 300]], walk_kmh=KMH6)
    np.testing.assert_allclose(minutes, [3.4, 0.4])  # C->D 300 + 40; 30 + 10
    assert nearest.tolist() == [1, 0]


def test_unreachable_cell_is_inf(u_street):
    minutes, nearest = cov.network_minutes(u_street, [[1000, 990], [0, 0]], [[0, 0]], walk_kmh=KMH6)
    assert np.isinf(minutes[0]) and nearest[0] == -1
    assert minutes[1] == 0.0 and nearest[1] == 0


def test_given_lengths_and_parallel_edges_keep_the_shortest():
    g = cov.StreetGraph.from_edges([[0, 0], [100, 0]], [0, 1, 0, 0], [1, 0, 1, 0], [250.0, 400.0, 300.0, 5.0])
    assert g.lengths.toarray().tolist() == [[0.0, 250.0], [250.0, 0.0]]  # self-loop dropped
    minutes, _ = cov.network_minutes(g, [[100, 0]], [[0, 0]], walk_kmh=KMH6)
    assert minutes[0] == pytest.approx(2.5)


def test_zero_length_edge_is_an_edge():
    g = cov.StreetGraph.from_edges([[0, 0], [0, 0], [100, 0]], [0, 1], [1, 2])
    minutes, _ = cov.network_minutes(g, [[100, 0]], [[0, 0]], walk_kmh=KMH6)
    assert minutes[0] == pytest.approx(1.0)


def test_network_on_a_lattice_is_manhattan_distance():
    g = lattice_graph(7, 5, 100.0)
    rng = np.random.default_rng(1)
    stations = g.node_xy[rng.choice(g.n_nodes, 3, replace=False)]
    minutes, nearest = cov.network_minutes(g, g.node_xy, stations, walk_kmh=KMH6)
    manhattan = np.abs(g.node_xy[:, None, :] - stations[None, :, :]).sum(axis=2)
    np.testing.assert_allclose(minutes, manhattan.min(axis=1) / 100)
    np.testing.assert_allclose(manhattan[np.arange(g.n_nodes), nearest], manhattan.min(axis=1))


def test_largest_component_drops_the_island(u_street):
    g = u_street.largest_component()
    assert g.n_nodes == 4 and g.lengths.nnz == 6


# --- function-specific coverage -----------------------------------------------------------------


def test_only_stations_offering_the_function_count():
    stations = [[0, 0], [1000, 0], [3000, 0]]
    clinic = [False, True, True]
    minutes, nearest = cov.minutes_to_stations([[100, 0]], stations, offers=clinic, walk_kmh=KMH6, circuity=1.0)
    assert minutes[0] == pytest.approx(9.0) and nearest.tolist() == [1]  # index into all stations
    minutes, nearest = cov.minutes_to_stations([[100, 0]], stations, walk_kmh=KMH6, circuity=1.0)
    assert minutes[0] == pytest.approx(1.0) and nearest.tolist() == [0]


def test_function_nobody_offers_leaves_everyone_uncovered():
    minutes, nearest = cov.minutes_to_stations([[0, 0]], [[0, 0]], offers=[False], walk_kmh=KMH6)
    assert np.isinf(minutes).all() and nearest.tolist() == [-1]


def test_function_mask_in_network_mode():
    g = lattice_graph(11, 1, 100.0)
    minutes, nearest = cov.minutes_to_stations(
        [[200, 0]], [[0, 0], [1000, 0]], offers=[False, True], graph=g, walk_kmh=KMH6
    )
    assert minutes[0] == pytest.approx(8.0) and nearest.tolist() == [1]


# --- summaries ----------------------------------------------------------------------------------


def test_share_within_thresholds():
    shares = cov.share_within([3, 7, 12, 25, np.inf], [10, 20, 30, 40, 0])
    assert shares.to_dict() == pytest.approx({5: 0.1, 10: 0.3, 15: 0.6, 20: 0.6})


def test_per_unit_covered_residents_add_up_to_the_district():
    minutes = np.array([3, 20, 9, 16, 1, np.inf])
    residents = np.array([100, 50, 30, 20, 7, 3])
    units = ["t1", "t1", "t2", "t2", None, "t3"]
    table = cov.covered_by_unit(minutes, residents, units, 15)
    assert table["covered"].sum() == 137 == residents[minutes <= 15].sum()
    assert table["residents"].sum() == residents.sum()
    assert table.loc["t1", "covered"] == 100 and table.loc["t2", "share"] == pytest.approx(0.6)
    assert table.loc["t3", "share"] == 0.0
    assert cov.share_within(minutes, residents, [15]).iloc[0] == pytest.approx(137 / 210)


def test_station_load_flags_stations_far_above_the_median():
    nearest = [0, 0, 1, 2, 3, 3, -1]
    residents = [500, 400, 100, 120, 50, 60, 999]  # the unreachable cell counts for no one
    load = cov.station_load(nearest, residents, 5)
    assert load["residents"].tolist() == [900, 100, 120, 110, 0]
    assert load["flagged"].tolist() == [True, False, False, False, False]  # median 110
    assert load.loc[0, "ratio_to_median"] == pytest.approx(900 / 110)


def test_gaps_are_connected_uncovered_cells():
    # 100 m lattice, rows top to bottom (y = 400 .. 0); U = uncovered with residents, 0 = empty
    pattern = ["UU...", "U....", "...U.", "....U", "U0..U"]
    xy, res, unc = [], [], []
    for r, row in enumerate(pattern):
        for c, ch in enumerate(row):
            xy.append([c * 100, (4 - r) * 100])
            res.append({"U": 10, "0": 0, ".": 5}[ch])
            unc.append(ch in "U0")
    table, labels = cov.gaps(xy, res, unc, 100.0, neighbours=8)
    # the diagonal run (3,2)-(4,3)-(4,4) joins under 8-neighbours
    assert table["residents"].tolist() == [30, 30, 10] and table["cells"].tolist() == [3, 3, 1]
    assert labels.tolist().count(-1) == 25 - 7
    first = {tuple(p) for p, lab in zip(xy, labels, strict=False) if lab == table.loc[0, "gap"]}
    assert first in ({(0, 400), (100, 400), (0, 300)}, {(300, 200), (400, 100), (400, 0)})
    top_left = table[table["x"] < 200].iloc[0]
    assert (top_left["x"], top_left["y"]) == pytest.approx((100 / 3, 1100 / 3))
    table4, _ = cov.gaps(xy, res, unc, 100.0, neighbours=4)
    assert table4["residents"].tolist() == [30, 20, 10, 10]


def test_no_gaps():
    table, labels = cov.gaps([[0, 0]], [5], [False], 100.0)
    assert table.empty and labels.tolist() == [-1]


# --- siting -------------------------------------------------------------------------------------


@pytest.fixture
def greedy_trap():
    """Cells a=1, b=2, c=2, d=1 residents 1 km apart; candidates cover {a,b}, {c,d}, {b,c}.

    Greedy takes {b,c} (4) then one end (1) = 5; the optimum is {a,b} + {c,d} = 6.
    """
    cells = [[0, 0], [1000, 0], [2000, 0], [3000, 0]]
    return cells, [1, 2, 2, 1], [500, 0, 2500, 0, 1500, 0]


def test_greedy_takes_the_best_first(greedy_trap):
    cells, residents, cand = greedy_trap
    chosen, gains = cov.site_greedy(cells, residents, [False] * 4, np.reshape(cand, (-1, 2)), 2, 600.0)
    assert chosen.tolist() in ([2, 0], [2, 1]) and gains.tolist() == [4.0, 1.0]


def test_exact_finds_the_optimum_greedy_misses(greedy_trap):
    cells, residents, cand = greedy_trap
    chosen, gains = cov.site_exact(cells, residents, [False] * 4, np.reshape(cand, (-1, 2)), 2, 600.0)
    assert sorted(chosen.tolist()) == [0, 1] and gains.sum() == 6.0


def test_siting_keeps_existing_coverage(greedy_trap):
    cells, residents, cand = greedy_trap
    covered = [False, True, True, False]  # b and c already within reach
    for site in (cov.site_greedy, cov.site_exact):
        chosen, gains = site(cells, residents, covered, np.reshape(cand, (-1, 2)), 3, 600.0)
        assert sorted(chosen.tolist()) == [0, 1] and gains.tolist() == [1.0, 1.0]  # stops: no gain left


def test_siting_with_nothing_to_gain():
    for site in (cov.site_greedy, cov.site_exact):
        chosen, gains = site([[0, 0]], [5], [True], [[0, 0]], 2, 100.0)
        assert chosen.size == 0 and gains.size == 0


# --- adapter ------------------------------------------------------------------------------------


@pytest.fixture
def frames():
    to_lonlat = Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True)
    x0, y0 = 370_000.0, 3_450_000.0  # in Pudong
    lon, lat = to_lonlat.transform([x0, x0 + 2000], [y0, y0])
    stations = pd.DataFrame(
        {"station_id": ["s1", "s2"], "lon": lon, "lat": lat, "f_clinic": [False, True], "f_gov": [True, None]}
    )
    cells = pd.DataFrame(
        {
            "cell_id": [1, 2],
            "x": [x0 + 300, x0 + 1900],
            "y": [y0 + 400, y0],
            "residents": [10, 20],
            "town_id": ["t", "t"],
        }
    )
    return cells, stations


def test_adapter_projects_stations_and_keeps_inputs(frames):
    cells, stations = frames
    before = cells.copy()
    out = from_geodataframes(cells, stations, walk_kmh=KMH6, circuity=1.5)
    np.testing.assert_allclose(out["minutes"], [7.5, 1.5], atol=1e-6)
    assert out["station_id"].tolist() == ["s1", "s2"] and out["station"].tolist() == [0, 1]
    pd.testing.assert_frame_equal(cells, before)


def test_adapter_function_filter(frames):
    cells, stations = frames
    out = from_geodataframes(cells, stations, function="f_clinic", walk_kmh=KMH6, circuity=1.0)
    assert out["station_id"].tolist() == ["s2", "s2"]
    assert out["minutes"].iloc[0] == pytest.approx(np.hypot(1700, 400) / 100, abs=1e-6)
    assert offers(stations, "f_gov").tolist() == [True, False]
    with pytest.raises(ValueError):
        from_geodataframes(cells, stations, function="f_party; DROP TABLE cells")


def test_adapter_accepts_geodataframes(frames):
    cells, stations = frames
    gstations = gpd.GeoDataFrame(stations, geometry=gpd.points_from_xy(stations.lon, stations.lat), crs=4326)
    gcells = gpd.GeoDataFrame(
        cells[["cell_id", "residents"]], geometry=gpd.points_from_xy(cells.x, cells.y), crs=32651
    ).to_crs(3857)
    np.testing.assert_allclose(points_xy(gcells), cells[["x", "y"]].to_numpy(), atol=1e-6)
    out = from_geodataframes(gcells, gstations, walk_kmh=KMH6, circuity=1.5)
    np.testing.assert_allclose(out["minutes"], [7.5, 1.5], atol=1e-6)


def test_adapter_network_mode(frames):
    cells, stations = frames
    g = lattice_graph(30, 10, 100.0, origin=(370_000.0, 3_450_000.0))
    out = from_geodataframes(cells, stations, graph=g, walk_kmh=KMH6)
    np.testing.assert_allclose(out["minutes"], [7.0, 1.0], atol=1e-6)


def test_best_site_of_a_ring_is_on_the_ring():
    """A ring of uncovered cells: its centroid is the covered hole; the best site is a ring cell."""
    from govdash.coverage import best_site

    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ring = np.c_[1000 * np.cos(angles), 1000 * np.sin(angles)]
    residents = np.ones(24)
    residents[5] = 50  # the heaviest cell draws the site
    i = best_site(ring, residents, 200.0)  # cells are 262 m apart: each reaches only itself
    assert i == 5
    assert np.hypot(*ring[i]) == pytest.approx(1000)


def test_best_site_on_a_lattice_matches_the_pairwise_count():
    """The population surface's fast path (one convolution) picks a cell reaching as many residents
    as the best found by testing every pair; off the lattice the pairwise path is used."""
    from scipy.spatial import cKDTree

    from govdash.coverage import best_site

    rng = np.random.default_rng(3)
    ij = np.unique(rng.integers(0, 60, size=(900, 2)), axis=0)
    xy = ij * 100.0 + [350_000.0, 3_440_000.0]  # a ragged gap on a 100 m lattice, UTM-like metres
    w = rng.integers(1, 60, size=len(xy)).astype(float)
    for radius in (250.0, 865.4, 1000.0):  # 1,000 m: cells exactly on the circle count
        pairs = cKDTree(xy).sparse_distance_matrix(cKDTree(xy), radius, output_type="ndarray")
        reached = np.bincount(pairs["i"], weights=w[pairs["j"]], minlength=len(xy))
        fast = best_site(xy, w, radius, cell_size_m=100.0)
        assert reached[fast] == reached.max()
        assert fast == best_site(xy, w, radius, max_candidates=10**9)  # same cell, ties to the lowest index
    off = xy + rng.normal(0, 20, size=xy.shape)  # not a lattice: falls back to pairs, still a valid answer
    assert 0 <= best_site(off, w, 500.0, cell_size_m=100.0) < len(xy)


def test_best_site_counts_residents_within_the_radius():
    from govdash.coverage import best_site

    xy = np.array([[0.0, 0], [100, 0], [200, 0], [5000, 0]])
    assert best_site(xy, [10, 10, 10, 25], 150.0) == 1  # 30 within 150 m of the middle one beats 25 alone
    assert best_site(xy, [10, 10, 10, 35], 150.0) == 3
