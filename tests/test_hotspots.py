"""Tests of govdash.hotspots: Gi*, BH correction, emerging hot spots, square bins, repeat complaints."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from govdash.hotspots import (
    BIN_ORIGIN_M,
    bh_adjust,
    bin_index,
    bin_points,
    classify,
    emerging,
    getis_ord_gi_star,
    hot_spots,
    previous_period,
    repeat_complaints,
)

CRS = "EPSG:32651"


def _lattice(blocks=((6, 6),), side=15, cell=100.0, high=20.0):
    """side x side cells of ``cell`` metres, value 1, and 3x3 blocks of ``high`` at (row, col) corners."""
    r, c = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    r, c = r.ravel(), c.ravel()
    values = np.ones(side * side)
    masks = [(r >= r0) & (r < r0 + 3) & (c >= c0) & (c < c0 + 3) for r0, c0 in blocks]
    for m in masks:
        values[m] = high
    return values, np.column_stack([c * cell, r * cell]), masks


def _dense_gi(values, xy, w):
    """Gi* straight from the formula with a dense weight matrix."""
    n = len(values)
    xbar = values.mean()
    s = math.sqrt((values**2).sum() / n - xbar**2)
    wi = w.sum(axis=1)
    s1 = (w**2).sum(axis=1)
    return (w @ values - xbar * wi) / (s * np.sqrt((n * s1 - wi**2) / (n - 1)))


# --------------------------------------------------------------------------- Gi*


def test_lattice_cluster_found_and_nothing_else():
    values, xy, (block,) = _lattice()
    gi = getis_ord_gi_star(values, xy, distance_m=110)  # rook neighbours + self
    labels = classify(gi["z"], gi["p"], alpha=0.05)["label"].to_numpy()
    assert (labels[block] == "hot").all()
    assert (labels[~block] == "not significant").all()


def test_lattice_centre_z_by_hand():
    values, xy, _ = _lattice()
    gi = getis_ord_gi_star(values, xy, distance_m=110)
    centre = 7 * 15 + 7
    n, xbar = 225, (216 * 1 + 9 * 20) / 225  # = 1.76
    s = math.sqrt((216 * 1 + 9 * 400) / n - xbar**2)
    w_i, lag = 5, 5 * 20  # self and 4 rook neighbours, all in the block
    z = (lag - xbar * w_i) / (s * math.sqrt((n * w_i - w_i**2) / (n - 1)))
    assert gi.loc[centre, "z"] == pytest.approx(z)
    assert z == pytest.approx(11.0536, abs=1e-4)
    assert gi.loc[centre, "neighbours"] == 5
    assert gi.loc[0, "neighbours"] == 3  # a corner cell


def test_distance_band_matches_dense_formula():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 2000, (300, 2))
    values = rng.gamma(2.0, 3.0, 300)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    expected = _dense_gi(values, xy, (d <= 250).astype(float))
    got = getis_ord_gi_star(pd.Series(values, index=range(100, 400)), xy, distance_m=250)
    assert list(got.index) == list(range(100, 400))
    lonely = got["neighbours"].to_numpy() == 1
    np.testing.assert_allclose(got["z"].to_numpy()[~lonely], expected[~lonely], rtol=1e-10)
    assert got["z"][lonely].isna().all()


def test_knn_matches_dense_formula():
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 2000, (200, 2))
    values = rng.poisson(5, 200).astype(float)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    w = np.zeros_like(d)
    nearest = np.argsort(d, axis=1)[:, :7]  # self + 6
    np.put_along_axis(w, nearest, 1.0, axis=1)
    got = getis_ord_gi_star(values, xy, k=6)
    np.testing.assert_allclose(got["z"], _dense_gi(values, xy, w), rtol=1e-10)
    assert (got["neighbours"] == 7).all()


def test_knn_keeps_self_among_duplicate_points():
    xy = np.array([[0, 0], [0, 0], [0, 0], [5000, 0]], float)
    gi = getis_ord_gi_star(np.array([1.0, 2.0, 3.0, 4.0]), xy, k=1)
    assert gi["neighbours"].tolist() == [2, 2, 2, 2]


def test_constant_values_and_bad_arguments():
    xy = np.array([[0, 0], [100, 0], [200, 0]], float)
    gi = getis_ord_gi_star(np.ones(3), xy, distance_m=150)
    assert gi["z"].isna().all()
    assert (classify(gi["z"], gi["p"])["label"] == "not significant").all()
    with pytest.raises(ValueError):
        getis_ord_gi_star(np.ones(3), xy)
    with pytest.raises(ValueError):
        getis_ord_gi_star(np.ones(3), xy, distance_m=100, k=2)


# --------------------------------------------------------------------------- BH and labels


def test_bh_adjust_literal():
    # sorted 0.005 0.01 0.029 0.039 0.5 -> m/i p = 0.025 0.025 0.048333 0.04875 0.5
    q = bh_adjust([0.01, 0.039, 0.029, 0.005, 0.5])
    np.testing.assert_allclose(q, [0.025, 0.04875, 0.029 * 5 / 3, 0.025, 0.5])
    # step-up: the later, smaller m/i p caps the earlier one (0.06 -> 0.0315)
    np.testing.assert_allclose(bh_adjust([0.02, 0.021, 0.5]), [0.0315, 0.0315, 0.5])
    # NaN is not a test: m = 2
    np.testing.assert_allclose(bh_adjust([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])
    np.testing.assert_allclose(bh_adjust([0.9, 0.8]), [0.9, 0.9])


def test_bh_adjust_six_p_values_by_hand():
    # sorted 0.001 0.008 0.039 0.041 0.042 0.60; (m / i) p with m = 6:
    #   6 * 0.001 = 0.006, 3 * 0.008 = 0.024, 2 * 0.039 = 0.078, 1.5 * 0.041 = 0.0615, 1.2 * 0.042 = 0.0504, 0.60
    # step-up (running minimum from the largest p down): 0.006 0.024 0.0504 0.0504 0.0504 0.60
    p = [0.042, 0.001, 0.60, 0.039, 0.008, 0.041]
    q = bh_adjust(p)
    np.testing.assert_allclose(q, [0.0504, 0.006, 0.60, 0.0504, 0.024, 0.0504])
    # at alpha 0.05 only the two smallest are discoveries, though four raw p-values are below 0.05
    out = classify([1.0] * 6, p, alpha=0.05)
    assert out["label"].tolist() == [
        "not significant",
        "hot",
        "not significant",
        "not significant",
        "hot",
        "not significant",
    ]
    # at 0.051 the three tied at 0.0504 join them
    assert (classify([1.0] * 6, p, alpha=0.051)["label"] == "hot").sum() == 5


def test_classify_labels_and_confidence():
    z = [3.3, -2.4, 1.0, np.nan]
    p = [0.001, 0.02, 0.3, np.nan]
    out = classify(z, p, alpha=0.05)  # q = 0.003, 0.03, 0.3
    np.testing.assert_allclose(out["q"], [0.003, 0.03, 0.3, np.nan])
    assert out["label"].tolist() == ["hot", "cold", "not significant", "not significant"]
    assert out["confidence"].tolist() == [99, 95, 0, 0]
    strict = classify(z, p, alpha=0.05, correction="bonferroni")  # q = 0.003, 0.06, 0.9
    assert strict["label"].tolist() == ["hot", "not significant", "not significant", "not significant"]


def test_emerging_hot_spot_where_injected():
    a, b, c = (2, 2), (10, 10), (2, 10)
    prev_v, xy, _ = _lattice(blocks=(a, c))
    cur_v, _, (in_a, in_b) = _lattice(blocks=(a, b))
    in_c = _lattice(blocks=(c,))[2][0]

    def labels(v):
        gi = getis_ord_gi_star(v, xy, distance_m=110)
        return classify(gi["z"], gi["p"])["label"]

    trend = emerging(labels(cur_v), labels(prev_v)).to_numpy()
    assert (trend[in_b] == "emerging hot").all()
    assert (trend[in_a] == "persistent hot").all()
    assert (trend[in_c] == "cooling").all()
    assert (trend[~(in_a | in_b | in_c)] == "none").all()


def test_emerging_aligns_series_and_colds():
    cur = pd.Series(["cold", "hot", "not significant", "cold"], index=["g1", "g2", "g3", "g4"])
    prev = pd.Series(["cold", "hot", "hot"], index=["g1", "g2", "g3"])  # g4 unseen before
    assert emerging(cur, prev).tolist() == ["persistent cold", "persistent hot", "cooling", "new cold"]


def test_previous_period_equal_length():
    assert previous_period("2024-03-01", "2024-03-31") == (pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-01"))


def test_hot_spots_adapter_on_lon_lat():
    values, xy, (block,) = _lattice()
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xy[:, 0] + 380_000, xy[:, 1] + 3_450_000)
    frame = pd.DataFrame({"grid_id": [f"g{i}" for i in range(225)], "lon": lon, "lat": lat, "cases": values})
    out = hot_spots(frame, "cases", distance_m=110, crs=CRS)
    assert list(out.columns[:4]) == ["grid_id", "lon", "lat", "cases"]
    assert set(out.loc[block, "label"]) == {"hot"}
    assert set(out.loc[~block, "label"]) == {"not significant"}


# --------------------------------------------------------------------------- square bins


def test_bin_index_literal():
    assert BIN_ORIGIN_M == (0.0, 0.0)  # the CRS's false origin: UTM coordinates are never negative
    x0, y0 = 380_000.0, 3_768_000.0  # riverton's corner in UTM 11N
    ix, iy, bid = bin_index([x0 + 250.0, x0], [y0 + 99.9, y0 + 100.0], 100.0, origin=(x0, y0))
    assert ix.tolist() == [2, 0] and iy.tolist() == [0, 1]
    assert bid.tolist() == [2_000_000, 1]
    ix, iy, _ = bin_index([x0 + 250.0], [y0 + 99.9], 100.0)
    assert (ix.tolist(), iy.tolist()) == ([3_802], [37_680])
    with pytest.raises(ValueError):
        bin_index([x0 - 1.0], [y0], 100.0, origin=(x0, y0))


def test_bin_counts_equal_plain_python_reference():
    rng = np.random.default_rng(5)
    lon = np.concatenate([rng.uniform(121.50, 121.53, 400), [121.5, np.nan]])
    lat = np.concatenate([rng.uniform(31.20, 31.23, 400), [31.2, 31.2]])
    got = bin_points(lon, lat, cell_m=250.0, crs=CRS)
    tr = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    ref = Counter()
    for lo, la in zip(lon.tolist(), lat.tolist(), strict=True):
        if math.isnan(lo) or math.isnan(la):
            continue
        x, y = tr.transform(lo, la)
        ref[math.floor(x / 250.0) * 1_000_000 + math.floor(y / 250.0)] += 1  # from the CRS's origin
    assert dict(zip(got["bin_id"].tolist(), got["count"].tolist(), strict=True)) == dict(ref)
    assert got["count"].sum() == 401
    # each centre lies in its own bin
    _, _, back = bin_index(got["x"], got["y"], 250.0)
    assert (back == got["bin_id"].to_numpy()).all()
    cx, cy = tr.transform(got["lon"].to_numpy(), got["lat"].to_numpy())
    np.testing.assert_allclose(cx, got["x"], atol=1e-3)
    np.testing.assert_allclose(cy, got["y"], atol=1e-3)


# --------------------------------------------------------------------------- repeat complaints


def _case_rows():
    # at lat 31.2 one degree of longitude is ~95.2 km: 0.0003 deg ~ 29 m, 0.005 deg ~ 476 m
    rows = [
        # 3 noise cases in G1 spanning exactly 30 days, ~476 m apart: grid rule only
        ("n1", "noise", "G1", "2024-01-01 08:00", 121.500, 31.2),
        ("n2", "noise", "G1", "2024-01-15 09:00", 121.505, 31.2),
        ("n3", "noise", "G1", "2024-01-31 08:00", 121.510, 31.2),
        # 3 garbage cases at one spot in G2 spanning 31 days: neither rule
        ("g1", "garbage", "G2", "2024-01-01 08:00", 121.600, 31.2),
        ("g2", "garbage", "G2", "2024-01-16 08:00", 121.600, 31.2),
        ("g3", "garbage", "G2", "2024-02-01 08:00", 121.600, 31.2),
        # 3 parking cases within 57 m across grids G3/G4 in 8 days: radius rule only
        ("p1", "parking", "G3", "2024-03-01 10:00", 121.7000, 31.2),
        ("p2", "parking", "G3", "2024-03-05 10:00", 121.7003, 31.2),
        ("p3", "parking", "G4", "2024-03-09 10:00", 121.7006, 31.2),
        ("p4", "parking", "G4", "2024-03-09 11:00", 121.7040, 31.2),  # ~380 m away: not a member
        ("x1", "noise", "G3", "2024-03-03 10:00", 121.7001, 31.2),  # other category, same spot
        # 3 stall cases at one spot in G5 within 10 days: both rules
        ("s1", "stall", "G5", "2024-04-01 10:00", 121.8, 31.1),
        ("s2", "stall", "G5", "2024-04-05 10:00", 121.8, 31.1),
        ("s3", "stall", "G5", "2024-04-10 10:00", 121.8, 31.1),
    ]
    df = pd.DataFrame(rows, columns=["case_id", "category", "grid_id", "reported_at", "lon", "lat"])
    return df.assign(reported_at=pd.to_datetime(df["reported_at"]))


def test_repeat_complaints_literal_rows():
    df = _case_rows()
    out = repeat_complaints(df.sample(frac=1, random_state=1), crs=CRS)  # input order must not matter
    assert out["cluster_id"].tolist() == [0, 1, 2]
    assert out["category"].tolist() == ["noise", "parking", "stall"]
    assert out["rule"].tolist() == ["grid", "radius", "grid+radius"]
    assert out["case_ids"].tolist() == [["n1", "n2", "n3"], ["p1", "p2", "p3"], ["s1", "s2", "s3"]]
    assert out["grid_id"].tolist() == ["G1", "G3", "G5"]
    assert out["n_grids"].tolist() == [1, 2, 1]
    assert out["count"].tolist() == [3, 3, 3]
    noise = out.iloc[0]
    assert noise["first_at"] == pd.Timestamp("2024-01-01 08:00")
    assert noise["last_at"] == pd.Timestamp("2024-01-31 08:00")
    assert noise["lon"] == pytest.approx(121.505) and noise["lat"] == pytest.approx(31.2)


def test_repeat_window_is_inclusive_and_chains():
    df = _case_rows()
    assert repeat_complaints(df, window_days=29, crs=CRS)["category"].tolist() == ["parking", "stall"]
    # a fourth garbage case 20 days after g2 makes g2..g4 a window and pulls nothing else in
    extra = pd.DataFrame([("g4", "garbage", "G2", pd.Timestamp("2024-02-05"), 121.600, 31.2)], columns=df.columns)
    out = repeat_complaints(pd.concat([df, extra]), crs=CRS)
    assert out.loc[out["category"] == "garbage", "case_ids"].tolist() == [["g2", "g3", "g4"]]
    # min_count 4: only chains of four remain (none here)
    assert repeat_complaints(df, min_count=4, crs=CRS).empty


def test_repeat_complaints_missing_coordinates_and_empty():
    df = _case_rows()
    df.loc[df["category"] == "parking", ["lon", "lat"]] = np.nan
    assert "parking" not in repeat_complaints(df, crs=CRS)["category"].tolist()
    assert repeat_complaints(df.iloc[:0], crs=CRS).empty
