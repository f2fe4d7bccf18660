"""Heatmap data: DuckDB bins against hand counts and a pandas reference, bounded payload, Gi* and emerging hot
spots, repeat complaints on literal rows."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from govdash import heatmap, hotspots, maps, maps_heat, queries, queries_map
from govdash.bins import frame_for
from govdash.db import Database, writer
from govdash.filters import Filters
from govdash.i18n import t

CELL = 1000.0
TOWN = (121.4, 31.1, 121.8, 31.4)  # the fixture's town; its extent fixes the bin frame
FRAME = frame_for(TOWN)  # origin 121.40, 31.10; metres per degree at 31.25°
ALL = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
D = datetime


def centre(bx: int, by: int, cell: float = CELL, dx_m: float = 0.0, dy_m: float = 0.0) -> tuple[float, float]:
    """Lon/lat of the centre of bin (bx, by), moved by dx_m, dy_m metres."""
    return (FRAME.lon0 + ((bx + 0.5) * cell + dx_m) / FRAME.mx, FRAME.lat0 + ((by + 0.5) * cell + dy_m) / FRAME.my)


# bin (20, 5) holds 3 cases in March, (21, 5) one, (20, 6) two; K07 is in February, K08 has no position
BINNED = [
    ("K01", (20, 5), D(2026, 3, 2, 8)),
    ("K02", (20, 5), D(2026, 3, 2, 9)),
    ("K03", (20, 5), D(2026, 3, 9, 8)),
    ("K04", (21, 5), D(2026, 3, 3, 8)),
    ("K05", (20, 6), D(2026, 3, 2, 8)),
    ("K06", (20, 6), D(2026, 3, 31, 23)),
    ("K07", (21, 6), D(2026, 2, 27, 8)),
    ("K08", None, D(2026, 3, 5, 8)),
]
# repeat complaints: R1-R3 noise in G1 within 24 days (grid rule); R4-R6 garbage in G1 spread over 44 days
# (no repeat); R7-R9 facility within 60 m of R7, two grids, within 8 days (radius rule)
G1, G2 = shapely.box(121.60, 31.20, 121.61, 31.21), shapely.box(121.61, 31.20, 121.62, 31.21)
EDGE = (121.61, 31.205)  # on the G1/G2 border
REPEATS = [
    ("R1", "G1", "noise", D(2026, 3, 1, 9), (121.601, 31.201)),
    ("R2", "G1", "noise", D(2026, 3, 10, 9), (121.608, 31.208)),
    ("R3", "G1", "noise", D(2026, 3, 25, 9), (121.605, 31.203)),
    ("R4", "G1", "garbage", D(2026, 2, 15, 9), (121.603, 31.203)),
    ("R5", "G1", "garbage", D(2026, 3, 5, 9), (121.603, 31.203)),
    ("R6", "G1", "garbage", D(2026, 3, 31, 9), (121.603, 31.203)),
    ("R7", "G1", "facility", D(2026, 3, 12, 9), (EDGE[0] - 20 / FRAME.mx, EDGE[1])),
    ("R8", "G2", "facility", D(2026, 3, 15, 9), (EDGE[0] + 30 / FRAME.mx, EDGE[1])),
    ("R9", "G1", "facility", D(2026, 3, 20, 9), (EDGE[0] - 20 / FRAME.mx, EDGE[1] + 50 / FRAME.my)),
]
RANDOM_N = 400


def _random_points(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "case_id": [f"X{i:04d}" for i in range(RANDOM_N)],
            "lon": rng.uniform(121.62, 121.70, RANDOM_N),
            "lat": rng.uniform(31.22, 31.30, RANDOM_N),
            "reported_at": [D(2026, 3, 1) + timedelta(hours=int(h)) for h in rng.integers(0, 720, RANDOM_N)],
        }
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("heat") / "heat.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, town_id, community_id, parent_id, name_zh, geom) VALUES "
            "('T1', 'town', 'T1', NULL, NULL, '甲镇', ?), ('C1', 'community', 'T1', 'C1', 'T1', '甲居委', ?), "
            "('G1', 'grid', 'T1', 'C1', 'C1', '甲1网格', ?), ('G2', 'grid', 'T1', 'C1', 'C1', '甲2网格', ?)",
            [shapely.box(*TOWN).wkb, shapely.box(121.6, 31.2, 121.62, 31.21).wkb, G1.wkb, G2.wkb],
        )
        rows = [(cid, *(centre(*b) if b else (None, None)), when, "G9", "noise") for cid, b, when in BINNED]
        rows += [(cid, lon, lat, when, grid, cat) for cid, grid, cat, when, (lon, lat) in REPEATS]
        rows += [(r.case_id, r.lon, r.lat, r.reported_at, "G9", "noise") for r in _random_points().itertuples()]
        con.executemany(
            "INSERT INTO cases (case_id, lon, lat, reported_at, grid_id, category, town_id) "
            "VALUES (?, ?, ?, ?, ?, ?, 'T1')",
            rows,
        )
    database = Database(path)
    assert queries_map.bin_frame(database) == FRAME  # from the units' polygons (no label points here)
    yield database
    database.close()


def _counts(df: pd.DataFrame) -> dict:
    return {(int(a), int(b)): int(n) for a, b, n in zip(df["bx"], df["by"], df["count"], strict=True)}


# --------------------------------------------------------------------------- bins


def test_bins_by_hand(db):
    box = (121.60, 31.14, 121.64, 31.17)  # only the BINNED cases fall in here
    got = _counts(queries_map.heat_bins(db, ALL, CELL, "none", box))
    assert got == {(20, 5): 3, (21, 5): 1, (20, 6): 2}
    b = queries_map.heat_bins(db, ALL, CELL, "none", box)
    lon, lat = heatmap.bin_corner(20, 5, CELL, frame=FRAME)
    row = b[(b["bx"] == 20) & (b["by"] == 5)].iloc[0]
    assert (row["lon"], row["lat"]) == pytest.approx((lon, lat))  # south-west corner, as GridCellLayer wants
    mondays = queries_map.heat_bins(db, ALL, CELL, "dow", box, 1)  # 2 and 9 March 2026 are Mondays
    assert _counts(mondays) == {(20, 5): 3, (20, 6): 1}
    assert _counts(queries_map.heat_bins(db, ALL, CELL, "hour", box, 8)) == {(20, 5): 2, (21, 5): 1, (20, 6): 1}


def test_bins_equal_a_pandas_reference(db):
    ref = _random_points()
    ref = ref[(ref["reported_at"] >= D(2026, 3, 1)) & (ref["reported_at"] < D(2026, 4, 1))]
    for cell in (250.0, 400.0, 1000.0):
        ref_bins = (
            ref.assign(
                bx=np.floor((ref["lon"] - FRAME.lon0) * FRAME.mx / cell).astype(int),
                by=np.floor((ref["lat"] - FRAME.lat0) * FRAME.my / cell).astype(int),
            )
            .groupby(["bx", "by"])
            .size()
        )
        got = queries_map.heat_bins(db, ALL, cell, "none", (121.62, 31.22, 121.70, 31.30))
        assert _counts(got) == {k: int(v) for k, v in ref_bins.items()}
        assert got["count"].sum() == len(ref)


def test_frames_give_one_scale_for_the_playback(db):
    box = (121.62, 31.22, 121.70, 31.30)
    frames = queries_map.heat_frames(db, ALL, 400.0, "hour", box)
    per_frame = [queries_map.heat_bins(db, ALL, 400.0, "hour", box, int(h)) for h in frames["frame"]]
    assert frames["cases"].tolist() == [int(b["count"].sum()) for b in per_frame]
    assert frames["max_count"].tolist() == [int(b["count"].max()) for b in per_frame]
    weekly = queries_map.heat_frames(db, ALL, 400.0, "week", box)
    assert weekly["frame"].iloc[0] == pd.Timestamp("2026-02-23")  # the Monday of the week holding 1 March
    assert heatmap.frame_label(weekly["frame"].iloc[0], "week", "en") == "2026-02-23 week"
    assert heatmap.frame_label(7, "dow", "zh") == "周日" and heatmap.frame_label(8, "hour") == "08:00–08:59"
    assert isinstance(heatmap.frame_param(weekly["frame"].iloc[0]), datetime)


# --------------------------------------------------------------------------- payload bound


def test_cell_size_bounds_the_bins():
    district = (121.455, 30.865, 121.98, 31.39)  # Pudong's box, about 50 x 58 km
    fr = frame_for(district)
    cell = heatmap.cell_size(district, frame=fr)
    finer = max(c for c in heatmap.CELLS_M if c < cell)

    def bound(c: float) -> int:
        return heatmap.bin_bound(heatmap.pad_bbox(district, c, frame=fr), c, frame=fr)

    assert bound(cell) <= heatmap.MAX_BINS < bound(finer)  # the finest squares within the bound
    # by hand: the padded box spans bins -1..51 x -1..59 of 1 km (53 x 61) and -1..41 x -1..48 of 1.25 km (43 x 50)
    assert (cell, bound(1000), bound(1250)) == (1250.0, 53 * 61, 43 * 50)
    town = (121.50, 31.20, 121.55, 31.25)  # 4.8 x 5.5 km: 3,009 padded squares of 100 m, 1,927 of 125 m
    assert heatmap.cell_size(town, frame=fr) == 125.0
    assert heatmap.cell_size(town, frame=fr, max_bins=3_009) == 100.0  # the finest squares when they fit
    assert heatmap.cell_size(district, 800, frame=fr) == 1250.0  # a wish finer than the bound allows: the bound
    assert heatmap.cell_size(district, 1600, frame=fr) == 1600.0  # a coarser wish is kept
    assert heatmap.bin_bound((121.0, 31.0, 121.0, 31.0), 100, frame=fr) == 1


def _worst_case_deck(n_bins: int, n_points: int, n_repeats: int = 0) -> int:
    """Deck JSON bytes with ``n_bins`` squares (counts of 10^9), ``n_points`` cases with long texts,
    ``n_repeats`` rings named by a long unit path and a 36-town outline: every field as long as it gets."""
    side = int(np.ceil(np.sqrt(n_bins)))
    bx, by = np.meshgrid(np.arange(1000, 1000 + side), np.arange(1000, 1000 + side))
    lon, lat = heatmap.bin_corner(bx.ravel()[:n_bins], by.ravel()[:n_bins], 100.0, frame=FRAME)
    bins = pd.DataFrame({"lon": lon + 1e-7, "lat": lat + 1e-7, "count": 999_999_999})
    points = pd.DataFrame(
        {
            "case_id": [f"GD{i:09d}" for i in range(n_points)],
            "lon": 121.5 + np.arange(n_points) * 1e-7,
            "lat": 31.1 + np.arange(n_points) * 1e-7,
            "grid_id": "310115000000",
            "category": "facility_damage",
            "subcategory": "x",
            "status": "handling",
            "reported_at": D(2026, 3, 1),
            "description": "井" * 500,
        }
    )
    repeats = pd.DataFrame(
        {
            "lon": np.full(n_repeats, 121.5),
            "lat": 31.1,
            "count": 99,
            "category": "facility_damage",
            "grid_id": "310115000000",
            "first_at": D(2026, 3, 1),
            "last_at": D(2026, 3, 30),
        }
    )
    outline = maps.unit_shapes(
        pd.DataFrame(
            {
                "unit_id": [f"T{i}" for i in range(36)],
                "geom": [shapely.Point(121.5 + i / 50, 31.1).buffer(0.05).wkb for i in range(36)],
            }
        ),
        tolerance_m=40,
    )
    deck = maps_heat.heat_deck(
        bins,
        cell_m=100.0,
        vmax=1e9,
        outline=outline,
        points=points,
        repeats=repeats,
        category_names={"facility_damage": "公共设施损坏"},
        unit_names={"310115000000": "陆家嘴街道 › 梅园一村居民委员会 › 第十二网格"},
    )
    return len(deck.to_json().encode())


def test_deck_payload_is_bounded_whatever_the_case_count():
    """The bound (issue 19: ≤ 300 KB per view): a frame has at most MAX_BINS squares (the bin size is chosen
    so, for any case count), single cases are drawn only when there are at most POINTS_MAX of them, so then
    there are at most POINTS_MAX squares too, and the repeat view draws at most REPEATS_DRAWN rings over its
    squares. Each view's worst case, with every text at its longest, stays under 300 KB."""
    assert _worst_case_deck(heatmap.MAX_BINS, 0) < 300_000
    assert _worst_case_deck(heatmap.POINTS_MAX, heatmap.POINTS_MAX) < 300_000
    assert _worst_case_deck(heatmap.MAX_BINS, 0, heatmap.REPEATS_DRAWN) < 300_000
    with pytest.raises(ValueError):
        _worst_case_deck(10, heatmap.POINTS_MAX + 1)


def test_hot_spot_deck_draws_the_most_significant_within_the_bound():
    """Gi* may run on 40,000 squares; the deck carries at most SPOTS_DRAWN of the significant ones, the largest
    |z| first, and stays under 300 KB with every text at its longest."""
    n = maps_heat.SPOTS_DRAWN + 500
    lon, lat = heatmap.bin_corner(np.arange(n) % 200, np.arange(n) // 200, 250.0, frame=FRAME)
    z = np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * (3.0 + np.arange(n) / 100)  # |z| grows with the row
    spots = pd.DataFrame(
        {
            "lon": lon + 1e-7,
            "lat": lat + 1e-7,
            "count": 999_999_999,
            "z": z,
            "q": 0.000123456,
            "label": np.where(z > 0, "hot", "cold"),
            "trend": np.where(np.arange(n) % 3 == 0, "emerging hot", ""),
        }
    )
    spots.loc[0, "label"] = "not significant"  # never drawn
    deck = maps_heat.hot_spot_deck(spots, cell_m=250.0, lang="en")
    drawn = json.loads(deck.to_json())["layers"][0]["data"]
    assert len(drawn) == maps_heat.SPOTS_DRAWN
    # rows 1..n-1 are significant (2,299), |z| growing with the row: the 499 weakest, rows 1..499, are left out
    tips = {d["tip"].split("z = ")[1].split(" ")[0] for d in drawn}
    assert f"{z[500]:.2f}" in tips and f"{z[499]:.2f}" not in tips and f"{z[n - 1]:.2f}" in tips
    assert len(deck.to_json().encode()) + 25_000 < 300_000  # with a 36-town outline (~25 KB, see above)


def test_deck_payload_on_the_demo(demo_db):
    db = Database(demo_db)
    rng = queries.date_range(db)
    f = Filters(start=rng[0], end=rng[1])
    towns = maps.unit_shapes(queries.unit_geometries(db, "town"), tolerance_m=maps.SIMPLIFY_M["town"])
    bbox = maps.shapes_bbox(towns)
    fr = queries_map.bin_frame(db)
    cell = heatmap.cell_size(bbox, frame=fr)
    box = heatmap.pad_bbox(bbox, cell, frame=fr)
    bins = queries_map.heat_bins(db, f, cell, "none", box)
    assert 0 < len(bins) <= heatmap.bin_bound(box, cell, frame=fr) <= heatmap.MAX_BINS
    deck = maps_heat.heat_deck(bins, cell_m=cell, vmax=float(bins["count"].max()), bbox=bbox, outline=towns)
    assert len(deck.to_json().encode()) < 300_000
    assert bins["count"].sum() == queries.case_count(db, f)  # every case of the 20k demo lands in a square
    db.close()


# --------------------------------------------------------------------------- hot spots


def _lattice(side: int = 15, cell: float = 500.0) -> pd.DataFrame:
    bx, by = np.meshgrid(np.arange(100, 100 + side), np.arange(200, 200 + side))
    return pd.DataFrame({"bx": bx.ravel(), "by": by.ravel()})


def _with_block(grid: pd.DataFrame, blocks: list[tuple[int, int]], high: int = 20) -> pd.DataFrame:
    out = grid.assign(count=1)
    for x0, y0 in blocks:
        inside = out["bx"].between(x0, x0 + 2) & out["by"].between(y0, y0 + 2)
        out.loc[inside, "count"] = high
    return out


def test_emerging_hot_spot_found_where_injected():
    grid = _lattice()
    now = _with_block(grid, [(103, 203), (110, 210)])  # A (new) and B (old)
    before = _with_block(grid, [(110, 210)])
    spots = heatmap.hot_spot_bins(now, grid, 500.0, before, frame=FRAME)
    a = spots["bx"].between(103, 105) & spots["by"].between(203, 205)
    b = spots["bx"].between(110, 112) & spots["by"].between(210, 212)
    assert (spots.loc[a, "label"] == "hot").all() and (spots.loc[a, "trend"] == "emerging hot").all()
    assert (spots.loc[b, "label"] == "hot").all() and (spots.loc[b, "trend"] == "persistent hot").all()
    # anything else hot touches a block (its 3 x 3 neighbourhood holds block squares)
    near = lambda x0, y0: spots["bx"].between(x0 - 1, x0 + 3) & spots["by"].between(y0 - 1, y0 + 3)  # noqa: E731
    assert not ((spots["label"] == "hot") & ~near(103, 203) & ~near(110, 210)).any()
    assert not ((spots["trend"] == "emerging hot") & ~near(103, 203)).any()
    assert (spots.loc[spots["label"] == "hot", "q"] <= heatmap.ALPHA).all()
    clusters = heatmap.spot_clusters(spots, 500.0, frame=FRAME)
    assert len(clusters) == 2 and set(clusters["label"]) == {"hot"}
    assert sorted(clusters["emerging"].tolist()) == [False, True]
    table = heatmap.hot_spot_table(clusters, "en")
    assert sorted(table["Kind"]) == ["emerging hot spot", "hot spot"]


def test_hot_spots_on_the_demo_page_data(demo_db):
    db = Database(demo_db)
    rng = queries.date_range(db)
    f = Filters(start=rng[1] - timedelta(days=89), end=rng[1])
    towns = maps.unit_shapes(queries.unit_geometries(db, "town"), tolerance_m=maps.SIMPLIFY_M["town"])
    bbox = maps.shapes_bbox(towns)
    fr = queries_map.bin_frame(db)
    cell = heatmap.cell_size(bbox, 800, frame=fr)
    box = heatmap.pad_bbox(bbox, cell, frame=fr)
    grid = heatmap.lattice(towns, cell, frame=fr)
    bins = queries_map.heat_bins(db, f, cell, "none", box)
    spots = heatmap.hot_spot_bins(
        bins, grid, cell, queries_map.heat_bins(db, f.previous(), cell, "none", box), frame=fr
    )
    assert spots["count"].sum() == bins["count"].sum()
    assert len(spots) >= len(grid) and (spots["count"] == 0).sum() > 0  # empty squares take part
    hot, cold = spots[spots["label"] == "hot"], spots[spots["label"] == "cold"]
    assert len(hot) > 0 and (hot["z"] > 0).all() and (hot["q"] <= 0.05).all() and (cold["z"] < 0).all()
    assert spots.loc[spots["count"].idxmax(), "label"] == "hot"  # the busiest square is in a hot spot
    names = queries_map.unit_paths(db)["grid"]
    grids = maps.unit_shapes(queries.unit_geometries(db, "grid"), tolerance_m=8)
    clusters = heatmap.spot_clusters(spots, cell, grids, names, frame=fr)
    assert clusters["bins"].sum() == len(hot) + len(cold)
    assert clusters["place"].str.contains(" · ").all()  # "street/town · grid"
    assert "α = 0.05" in t("hot_spot_explain", "zh") and "Benjamini-Hochberg" in t("hot_spot_explain", "en")
    db.close()


def test_lattice_keeps_squares_whose_centre_is_inside():
    corners = [(10, 10, -250, -250), (12, 10, 249, -250), (12, 12, 249, 249), (10, 12, -250, 249), (10, 10, -250, -250)]
    square = pd.DataFrame({"polygon": [[[list(centre(x, y, 500.0, dx, dy)) for x, y, dx, dy in corners]]]})
    got = heatmap.lattice(square, 500.0, frame=FRAME)
    assert sorted(zip(got["bx"], got["by"], strict=True)) == [(x, y) for x in (10, 11, 12) for y in (10, 11, 12)]


# --------------------------------------------------------------------------- repeat complaints


def test_repeat_complaints_on_literal_rows(db):
    rows = queries_map.repeat_candidates(db, ALL)
    rows = rows[rows["case_id"].str.startswith("R")]
    assert rows["case_id"].tolist() == ["R1", "R5", "R2", "R7", "R8", "R9", "R3", "R6"]  # March, by time
    found = hotspots.repeat_complaints(rows)
    assert [(r.category, r.rule, r.case_ids) for r in found.itertuples()] == [
        ("facility", "radius", ["R7", "R8", "R9"]),
        ("noise", "grid", ["R1", "R2", "R3"]),
    ]
    table = heatmap.repeat_table(found, {"noise": "噪声扰民"}, {"G1": "甲镇 · 甲1网格"}, "zh")
    assert table.iloc[0].tolist() == ["噪声扰民", "甲镇 · 甲1网格", 3, "03-01 – 03-25", "同网格"]
    assert heatmap.top_repeats(found, 1)["category"].tolist() == ["noise"]  # ties: most recent first
