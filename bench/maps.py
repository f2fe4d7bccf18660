"""Benchmark of the grid map and heatmap data paths; run: python -m bench.maps --db /tmp/m1.duckdb [--db10 PATH].

Figures: map page preparation (unit_stats + geometries + deck build) per level, cold (new connection, shapes
not cached) and warm (connection open, simplified shapes cached as ui.unit_shapes does), median of repeats;
deck JSON bytes; heat bins and playback frames; Gi* on the district's bins and grids; repeat complaints.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pydeck

from govdash import heatmap, hotspots, maps, maps_heat, queries, queries_map
from govdash.db import Database
from govdash.filters import Filters


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time in seconds of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def scale_up(src: str, dst: str, factor: int) -> None:
    """A ``factor`` times larger copy of a demo: each case repeated with a new id, 7 minutes later and ~10 m off."""
    if Path(dst).exists():
        return
    shutil.copy(src, dst)
    con = duckdb.connect(dst)
    con.execute("CREATE TEMP TABLE base AS SELECT * FROM cases")
    for k in range(1, factor):
        con.execute(
            "INSERT INTO cases SELECT * REPLACE (case_id || '-' || $k AS case_id, "
            "reported_at + to_minutes(7 * $k) AS reported_at, lon + (($k * 37) % 11 - 5) * 1e-4 AS lon, "
            "lat + (($k * 53) % 11 - 5) * 1e-4 AS lat) FROM base",
            {"k": k},
        )
    con.close()


def map_page(path: str, repeat: int) -> None:
    db = Database(path)
    n = db.scalar("SELECT count(*) FROM cases")
    hi = queries.date_range(db)[1]
    f = Filters(start=hi - timedelta(days=29), end=hi)
    at = queries.as_of(db)
    print(f"\n== {path}: {n:,} cases; period {f.start} – {f.end} ==")
    for level in ("town", "community", "grid"):

        def cold(level=level):
            fresh = Database(path)
            stats = queries.unit_stats(fresh, f, level, at)
            shapes = maps.unit_shapes(queries.unit_geometries(fresh, level), tolerance_m=maps.SIMPLIFY_M[level])
            deck, _ = maps.choropleth(stats, shapes, "resolution_rate", target=0.99)
            fresh.close()
            return deck.to_json()

        shapes = maps.unit_shapes(queries.unit_geometries(db, level), tolerance_m=maps.SIMPLIFY_M[level])

        def warm(level=level, shapes=shapes):
            stats = queries.unit_stats(db, f, level, at)
            deck, _ = maps.choropleth(stats, shapes, "resolution_rate", target=0.99)
            return deck.to_json()

        t_cold, _ = timed(cold, repeat)
        t_warm, spec = timed(warm, repeat)
        t_stats, _ = timed(lambda level=level: queries.unit_stats(db, f, level, at), repeat)
        raw = maps.unit_shapes(queries.unit_geometries(db, level))
        v_raw, v_simple = (sum(len(r) for p in s["polygon"] for r in p) for s in (raw, shapes))
        pydeck_bytes = len(
            pydeck.Deck.to_json(
                maps.choropleth(queries.unit_stats(db, f, level, at), shapes, "resolution_rate", target=0.99)[0]
            )
        )
        print(
            f"map {level:<9} units {len(shapes):>5}  cold {t_cold * 1000:7.0f} ms  warm {t_warm * 1000:6.0f} ms "
            f"(unit_stats {t_stats * 1000:5.0f} ms)  deck {len(spec.encode()) / 1e6:5.2f} MB "
            f"(pydeck's own JSON {pydeck_bytes / 1e6:5.2f} MB)  vertices {v_raw:,} → {v_simple:,}"
        )

    towns = maps.unit_shapes(queries.unit_geometries(db, "town"), tolerance_m=maps.SIMPLIFY_M["town"])
    bbox = maps.shapes_bbox(towns)
    frame = queries_map.bin_frame(db)
    cell = heatmap.cell_size(bbox, frame=frame)
    box = heatmap.pad_bbox(bbox, cell, frame=frame)
    everything = Filters(start=queries.date_range(db)[0], end=hi)
    for name, ff in (("30 days", f), ("all", everything)):
        t_bins, bins = timed(lambda ff=ff: queries_map.heat_bins(db, ff, cell, "none", box), repeat)
        deck = maps_heat.heat_deck(bins, cell_m=cell, vmax=float(bins["count"].max()), bbox=bbox, outline=towns)
        bound = heatmap.bin_bound(box, cell, frame=frame)
        print(
            f"heat {name:<8} cell {cell:.0f} m  bins {len(bins):>6,} (bound {bound:,})  "
            f"cases {int(bins['count'].sum()):>10,}  query {t_bins * 1000:6.0f} ms  "
            f"deck {len(deck.to_json()) / 1e6:5.2f} MB"
        )
    for frame in ("hour", "week", "month"):
        t_fr, frames = timed(lambda fr=frame: queries_map.heat_frames(db, everything, cell, fr, box), repeat)
        first = heatmap.frame_param(frames["frame"].iloc[len(frames) // 2])
        t_one, one = timed(lambda fr=frame, v=first: queries_map.heat_bins(db, everything, cell, fr, box, v), repeat)
        print(
            f"playback {frame:<5} frames {len(frames):>4}  vmax {int(frames['max_count'].max()):>6,}  "
            f"frames query {t_fr * 1000:6.0f} ms  one frame {t_one * 1000:5.0f} ms ({len(one):,} bins)"
        )

    grid = heatmap.lattice(towns, cell, frame=frame)
    bins = queries_map.heat_bins(db, f, cell, "none", box)
    before = queries_map.heat_bins(db, f.previous(), cell, "none", box)
    t_gi, spots = timed(lambda: heatmap.hot_spot_bins(bins, grid, cell, before, frame=frame), repeat)
    print(
        f"Gi* + BH + emerging on the district's {len(spots):,} squares of {cell:.0f} m: {t_gi * 1000:.0f} ms "
        f"(hot {int((spots['label'] == 'hot').sum()):,}, emerging {int((spots['trend'] == 'emerging hot').sum()):,})"
    )
    stats = queries.unit_stats(db, f, "grid", at).dropna(subset=["lon", "lat"])
    t_grid, out = timed(lambda: hotspots.hot_spots(stats, "collected", k=8), repeat)
    print(
        f"Gi* + BH on the district's {len(stats):,} grids (k = 8): {t_grid * 1000:.0f} ms "
        f"(hot {int((out['label'] == 'hot').sum()):,})"
    )
    t_rep, rows = timed(lambda: queries_map.repeat_candidates(db, f), repeat)
    t_det, reps = timed(lambda: hotspots.repeat_complaints(rows), repeat)
    print(
        f"repeat complaints, 30 days: read {len(rows):,} cases {t_rep * 1000:.0f} ms, detect {t_det * 1000:.0f} ms, "
        f"{len(reps):,} clusters"
    )
    db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--db", default="/tmp/m1.duckdb", help="demo with 1 M cases (python -m govdash demo --cases 1000000)"
    )
    p.add_argument("--db10", default=None, help="10 M-case copy to create from --db (x10) and measure too")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    map_page(a.db, a.repeat)
    if a.db10:
        t0 = time.perf_counter()
        scale_up(a.db, a.db10, 10)
        print(f"\n(10 M copy ready in {time.perf_counter() - t0:.0f} s)")
        map_page(a.db10, max(3, a.repeat // 2))
    print(
        f"\nbound: ≤ {heatmap.MAX_BINS:,} squares per frame, ≤ {heatmap.POINTS_MAX:,} case points, "
        f"≤ {heatmap.REPEATS_DRAWN} repeat rings: < 5 MB of deck JSON (tests/test_heatmap.py)"
    )


if __name__ == "__main__":
    main()
