"""Benchmark of hot spots, binning, repeat complaints and spike detection; run: python -m bench.hotspots."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from govdash.anomalies import detect_spikes
from govdash.hotspots import bin_points, classify, getis_ord_gi_star, repeat_complaints, unproject

CRS = "EPSG:32651"
X0, X1, Y0, Y1 = 352_000.0, 402_000.0, 3_414_000.0, 3_477_000.0  # Pudong's box in UTM 51N, metres


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in seconds of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def gi_case(name: str, xy: np.ndarray, values: np.ndarray, **weights) -> None:
    def run():
        gi = getis_ord_gi_star(values, xy, **weights)
        return classify(gi["z"], gi["p"])

    sec, out = timed(run)
    hot = int((out["label"] == "hot").sum())
    print(f"Gi* + BH  {name:<38} n={len(values):>6}  {sec * 1000:8.1f} ms  hot={hot}")


def main() -> None:
    rng = np.random.default_rng(0)
    # ~5,000 grid centroids scattered over the district, counts with a few hot areas
    n = 5_000
    xy = np.column_stack([rng.uniform(X0, X1, n), rng.uniform(Y0, Y1, n)])
    centres = xy[rng.choice(n, 10)]
    boost = np.exp(-((xy[:, None, :] - centres[None]) ** 2).sum(-1) / (2 * 1500.0**2)).sum(1)
    values = rng.poisson(20 + 60 * boost).astype(float)
    gi_case("5k grid centroids, k=8", xy, values, k=8)
    gi_case("5k grid centroids, band 1,500 m", xy, values, distance_m=1500)

    # 30k square bins of 200 m (a 175 x 175 lattice, 35 x 35 km)
    side, cell = 175, 200.0
    r, c = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    bxy = np.column_stack([X0 + c.ravel() * cell, Y0 + r.ravel() * cell])
    bvalues = rng.poisson(3, side * side).astype(float)
    gi_case("30k square bins, band 300 m (queen)", bxy, bvalues, distance_m=1.5 * cell)
    gi_case("30k square bins, band 1,000 m", bxy, bvalues, distance_m=1000)

    # square binning of 1 M points
    m = 1_000_000
    lon, lat = unproject(rng.uniform(X0, X1, m), rng.uniform(Y0, Y1, m), crs=CRS)
    sec, bins = timed(lambda: bin_points(lon, lat, cell_m=200.0, crs=CRS), repeat=3)
    print(f"bin_points 1 M points, 200 m cells             {sec * 1000:8.1f} ms  bins={len(bins)}")

    # repeat complaints on 500k synthetic cases: 20 categories over a year; grids are 700 m squares
    k = 500_000
    px, py = rng.uniform(X0, X1, k), rng.uniform(Y0, Y1, k)
    hot = rng.random(k) < 0.05  # 5 % of cases pile up at 2,000 problem spots
    spots = np.column_stack([rng.uniform(X0, X1, 2000), rng.uniform(Y0, Y1, 2000)])
    pick = rng.integers(0, 2000, hot.sum())
    px[hot] = spots[pick, 0] + rng.normal(0, 30, hot.sum())
    py[hot] = spots[pick, 1] + rng.normal(0, 30, hot.sum())
    plon, plat = unproject(px, py, crs=CRS)
    grid = ((px - X0) // 700).astype(int) * 1000 + ((py - Y0) // 700).astype(int)
    cases = pd.DataFrame(
        {
            "case_id": np.char.add("C", np.arange(k).astype(str)),
            "category": np.array([f"cat{i:02d}" for i in range(20)])[rng.integers(0, 20, k)],
            "grid_id": np.char.add("G", grid.astype(str)),
            "reported_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 366 * 86400, k), unit="s"),
            "lon": plon,
            "lat": plat,
        }
    )
    sec, clusters = timed(lambda: repeat_complaints(cases, crs=CRS), repeat=3)
    print(
        f"repeat_complaints 500k rows                    {sec * 1000:8.1f} ms  clusters={len(clusters)} "
        f"rules={clusters['rule'].value_counts().to_dict()}"
    )

    # spikes: 36 towns x 20 categories x 2 years of days
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    idx = pd.MultiIndex.from_product(
        [days, [f"T{i:02d}" for i in range(36)], [f"cat{i:02d}" for i in range(20)]],
        names=["date", "town_id", "category"],
    )
    lam = 6 * np.where(idx.get_level_values("date").day_of_week >= 5, 0.5, 1.0)
    daily = idx.to_frame(index=False).assign(count=rng.poisson(lam))
    sec, events = timed(lambda: detect_spikes(daily, keys=["town_id", "category"]), repeat=3)
    tested = 720 * (len(days) - 56)
    print(
        f"detect_spikes 720 series x {len(days)} days ({len(daily):,} rows) {sec * 1000:8.1f} ms  "
        f"events={len(events)} ({len(events) / tested:.1e} per series-day, no spike injected)"
    )


if __name__ == "__main__":
    main()
