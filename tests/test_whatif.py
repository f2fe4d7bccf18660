"""What-if edits recompute only the cells they can change, and the answer equals a full recompute
(issue 19 item 2): on a literal lattice worked by hand, and on the demo with adds, removals and moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govdash import coverage as cov
from govdash import queries, queries_map
from govdash import service_circle as sc
from govdash.db import Database

SPEED = 4.5 * 1000 / 60  # metres per minute at 4.5 km/h
CIRC = 1.3

# a 10 × 10 lattice of 100 m cells, centres at 50, 150, …, 950 m
CELLS = np.array([(50.0 + 100 * i, 50.0 + 100 * j) for j in range(10) for i in range(10)])
STATIONS = np.array([(50.0, 50.0), (950.0, 950.0), (50.0, 950.0)])  # SW, NE and NW corners


def _minutes(metres):
    return np.asarray(metres, float) * CIRC / SPEED


def _full(new_xy):
    return cov.straight_line_minutes(CELLS, new_xy, walk_kmh=4.5, circuity=CIRC)


def _update(new_xy, kept, reach_m=250.0):
    m0, n0 = _full(STATIONS)
    return cov.update_straight_line(CELLS, m0, n0, new_xy, kept, walk_kmh=4.5, circuity=CIRC, reach_m=reach_m)


def test_adding_a_station_recomputes_only_the_cells_it_serves():
    # a fourth station at the SE corner cell (950, 50): before it, that cell is 900 m from SW and NE
    new = np.vstack([STATIONS, [(950.0, 50.0)]])
    minutes, nearest, changed = _update(new, kept=[0, 1, 2])
    assert minutes[9] == 0.0 and nearest[9] == 3  # cell (950, 50) is row 0, column 9
    # by hand: (850, 50) was 800 m from SW, now 100 m from the new station
    assert minutes[8] == pytest.approx(_minutes(100)) and nearest[8] == 3
    # the SW corner's own cell is untouched
    assert minutes[0] == 0.0 and nearest[0] == 0 and not changed[0]
    # only cells now nearer the new station than their own were recomputed: the SE triangle
    d_new = np.hypot(*(CELLS - (950, 50)).T)
    d_old = np.min(np.hypot(*(CELLS[:, None] - STATIONS[None]).transpose(2, 0, 1)), axis=1)
    assert (changed == (d_new < d_old)).all() and 0 < changed.sum() < len(CELLS) // 2
    want_m, want_n = _full(new)
    np.testing.assert_allclose(minutes, want_m, rtol=1e-12)
    assert (nearest == want_n).all()


def test_removing_and_moving_equal_a_full_recompute():
    # NE removed; NW moved to the centre (a removal plus a new station at index 1 of the new list)
    new = np.array([(50.0, 50.0), (550.0, 450.0)])
    minutes, nearest, changed = _update(new, kept=[0, -1, -1])
    want_m, want_n = _full(new)
    np.testing.assert_allclose(minutes, want_m, rtol=1e-12)
    assert (nearest == want_n).all()
    # by hand: the NE corner cell (950, 950) now walks to the centre station: 400 × √(1 + 1.5625) m
    assert minutes[99] == pytest.approx(_minutes(np.hypot(400, 500)))
    assert changed[99] and not changed[0]


@pytest.mark.parametrize("reach_m", [50.0, 250.0, 5_000.0])
def test_any_search_radius_is_exact(reach_m):
    """Cells farther from their station than the radius are checked one by one, so the radius only
    changes how many cells are looked at, never the answer."""
    new = np.vstack([STATIONS[[0, 2]], [(450.0, 650.0), (850.0, 150.0)]])
    minutes, nearest, _ = _update(new, kept=[0, -1, 1], reach_m=reach_m)
    want_m, want_n = _full(new)
    np.testing.assert_allclose(minutes, want_m, rtol=1e-12)
    assert (nearest == want_n).all()


def test_removing_every_station_leaves_no_station():
    minutes, nearest, changed = _update(np.zeros((0, 2)), kept=[-1, -1, -1])
    assert np.isinf(minutes).all() and (nearest == -1).all() and changed.all()


@pytest.fixture(scope="module")
def demo(demo_db):
    db = Database(demo_db)
    return queries_map.cells(db), queries_map.stations(db), queries.towns(db)


@pytest.mark.parametrize("function", [None, "f_clinic"])
def test_demo_edits_equal_a_full_walk(demo, function):
    cells, base, _ = demo
    gap = cells.sort_values("residents").iloc[-1]  # somewhere populated
    some = base.sample(4, random_state=7)["station_id"].tolist()
    edits = [
        {"op": "add", "lon": float(gap["lon"]) + 0.004, "lat": float(gap["lat"]) - 0.003},
        {"op": "remove", "station_id": some[0]},
        {"op": "move", "station_id": some[1], "lon": float(gap["lon"]) - 0.01, "lat": float(gap["lat"])},
        {"op": "add", "lon": 121.9, "lat": 30.9},
    ]
    walked = sc.BaseWalk(cells, base, function=function)
    base_full = sc.walk(cells, base, function=function)
    pd.testing.assert_frame_equal(walked.timed(cells, base), base_full)
    for n in range(1, len(edits) + 1):
        stations = sc.apply_edits(base, edits[:n])
        got, want = walked.after(cells, base, stations), sc.walk(cells, stations, function=function)
        np.testing.assert_allclose(got["minutes"], want["minutes"], rtol=1e-12)
        # the same nearest station, or one at the very same place (a tie the k-d tree breaks its own way)
        where = stations[["lon", "lat"]].to_numpy()
        a, b = got["station"].to_numpy(), want["station"].to_numpy()
        assert ((a == b) | (where[a] == where[b]).all(axis=1)).all()
        assert (a == b).mean() > 0.999
        assert sc.district(got, 15) == sc.district(want, 15)


def test_no_edit_is_the_base_walk(demo):
    cells, base, _ = demo
    walked = sc.BaseWalk(cells, base)
    pd.testing.assert_frame_equal(walked.after(cells, base, sc.apply_edits(base, [])), sc.walk(cells, base))


# --- on a street network ---


def _lattice_case():
    from govdash.osm import lattice_graph

    g = lattice_graph(12, 9, 100.0)  # 1,100 m × 800 m of streets every 100 m
    rng = np.random.default_rng(11)
    cells = rng.uniform([0, 0], [1100, 800], (300, 2))
    stations = np.array([(30.0, 20.0), (1080.0, 790.0)])
    return g, cells, stations


def test_network_add_searches_only_as_far_as_a_cell_gains():
    g, cells, stations = _lattice_case()
    m0, n0 = cov.network_minutes(g, cells, stations, walk_kmh=4.5)
    new = np.vstack([stations, [(540.0, 410.0), (1000.0, 60.0)]])
    minutes, nearest, changed = cov.update_network(g, cells, m0, n0, new, [0, 1], walk_kmh=4.5)
    want_m, want_n = cov.network_minutes(g, cells, new, walk_kmh=4.5)
    np.testing.assert_allclose(minutes, want_m, rtol=1e-12)
    assert (nearest == want_n).all()
    assert (changed == (want_n >= 2)).all() and 0 < changed.sum() < len(cells)
    # by hand: a cell on the node (500, 400) walks only the new station's snap, straight: √(40² + 10²) m
    at, _ = cov.update_network(g, [[500.0, 400.0]], [99.0], [0], new, [0, 1], walk_kmh=4.5)[:2]
    assert at[0] == pytest.approx(np.hypot(40, 10) / SPEED)


def test_network_removal_walks_every_cell_again():
    g, cells, stations = _lattice_case()
    m0, n0 = cov.network_minutes(g, cells, stations, walk_kmh=4.5)
    new = np.array([(1080.0, 790.0), (100.0, 700.0)])  # the first removed, one added
    minutes, nearest, _ = cov.update_network(g, cells, m0, n0, new, [-1, 0], walk_kmh=4.5)
    want_m, want_n = cov.network_minutes(g, cells, new, walk_kmh=4.5)
    np.testing.assert_array_equal(minutes, want_m)
    assert (nearest == want_n).all()


def test_base_walk_on_a_network_equals_a_full_walk():
    from govdash.osm import lattice_graph

    crs = "EPSG:32651"
    g = lattice_graph(30, 20, 100.0, origin=(370_000.0, 3_450_000.0))
    x, y = np.meshgrid(370_050 + 100 * np.arange(29), 3_450_050 + 100 * np.arange(19))
    cells = pd.DataFrame({"x": x.ravel(), "y": y.ravel(), "size_m": 100.0, "residents": 10.0})
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        [370_100, 372_800], [3_450_100, 3_451_800]
    )
    base = pd.DataFrame({"station_id": ["A", "B"], "lon": lon, "lat": lat})
    walked = sc.BaseWalk(cells, base, graph=g, metric_crs=crs)
    a_lon, a_lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(371_500, 3_451_000)
    for edits in ([{"op": "add", "lon": a_lon, "lat": a_lat}], [{"op": "remove", "station_id": "A"}]):
        stations = sc.apply_edits(base, edits)
        got, want = walked.after(cells, base, stations), sc.walk(cells, stations, graph=g, metric_crs=crs)
        np.testing.assert_allclose(got["minutes"], want["minutes"], rtol=1e-12)
        assert (got["station"].to_numpy() == want["station"].to_numpy()).all()
