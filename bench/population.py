"""Benchmark: population import of a synthetic 100 m raster covering 1,500 km² (issue 16.5).

Run: .venv/bin/python bench/population.py [--side-km 38.73] [--out bench/out]

A district of one street/town and 8 x 8 communities (a square of ``--side-km`` km in UTM 51N near
Pudong) is imported as units; then two GeoTIFFs of random people per pixel over the same square:
one on the district's own 100 m lattice (EPSG:32651), one WorldPop-style in degrees (EPSG:4326,
3 arc-seconds, about 79 m x 93 m). Each import runs in its own process, so its peak memory
(VmHWM) is its own; the figures are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

X0, Y0 = 370_000.0, 3_430_000.0  # south-west corner, UTM 51N metres (about 121.65 E, 31.0 N)
N_COM = 8


def _units(folder: Path, side: float) -> list[Path]:
    from pyproj import Transformer

    tr = Transformer.from_crs(32651, 4326, always_xy=True)

    def ring(x0, y0, w, h):
        pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
        out = []
        for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1], strict=True):
            for t in np.linspace(0, 1, 10, endpoint=False):
                out.append(list(tr.transform(ax + (bx - ax) * t, ay + (by - ay) * t)))
        return [out + [out[0]]]

    def feature(props, coords):
        return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": coords}}

    side = side * 1000  # metres
    step = side / N_COM
    towns = [feature({"id": "T1", "name": "Benchtown", "level": "town"}, ring(X0, Y0, side, side))]
    comms = [
        feature(
            {"id": f"C{i}{j}", "name": f"C{i}{j}", "level": "community", "parent": "T1"},
            ring(X0 + i * step, Y0 + j * step, step, step),
        )
        for i in range(N_COM)
        for j in range(N_COM)
    ]
    paths = []
    for name, feats in (("towns", towns), ("communities", comms)):
        path = folder / f"{name}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
        paths.append(path)
    return paths


def _rasters(folder: Path, side: float) -> dict[str, tuple[Path, int]]:
    import rasterio
    from affine import Affine
    from pyproj import Transformer

    rng = np.random.default_rng(16)
    out = {}
    n = int(round(side * 1000 / 100))
    counts = rng.gamma(0.6, 40.0, size=(n, n)).astype(np.float32)
    path = folder / "utm_100m.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32651",
        transform=Affine(100, 0, X0, 0, -100, Y0 + n * 100),
        nodata=-99999,
        tiled=True,
    ) as ds:
        ds.write(counts, 1)
    out["utm_100m"] = (path, n * n)
    w, s, e, nn = Transformer.from_crs(32651, 4326, always_xy=True).transform_bounds(
        X0, Y0, X0 + side * 1000, Y0 + side * 1000
    )
    step = 3 / 3600
    cols, rows = int(np.ceil((e - w) / step)), int(np.ceil((nn - s) / step))
    counts = rng.gamma(0.6, 30.0, size=(rows, cols)).astype(np.float32)
    path = folder / "wgs84_3arcsec.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, w, 0, -step, nn),
        nodata=-99999,
        tiled=True,
    ) as ds:
        ds.write(counts, 1)
    out["wgs84_3arcsec"] = (path, rows * cols)
    return out


def _status_mb(key: str) -> int:
    """VmHWM (peak) or VmRSS of this process in MB, from /proc (ru_maxrss may carry the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024)
    return -1


def _one(db: str, file: str) -> None:
    """Child process: one import; prints seconds, peak RSS and the report's counts as JSON."""
    import geopandas  # noqa: F401  (loaded before the baseline, as in the app)
    import rasterio  # noqa: F401

    from govdash import ingest

    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    rep = ingest.run("population", db, file)
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - t0, 2),
                "status": rep.status,
                "cells": rep.inserted + rep.updated + rep.unchanged,
                "notes": rep.notes,
                "peak_rss_mb": _status_mb("VmHWM"),
                "rss_before_mb": before,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side-km", type=float, default=38.73, help="side of the square district (38.73 km: 1,500 km²)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _one(*args.child)
        return
    from govdash import ingest

    with tempfile.TemporaryDirectory(prefix="govdash-bench-pop-") as tmp:
        folder = Path(tmp)
        db = folder / "bench.duckdb"
        for path in _units(folder, args.side_km):
            assert ingest.run("units", db, path).status == "loaded"
        results = {"area_km2": round(args.side_km**2, 1)}
        for name, (path, pixels) in _rasters(folder, args.side_km).items():
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(db), str(path)], capture_output=True, text=True
            )
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            results[name] = {
                "pixels": pixels,
                "file_mb": round(path.stat().st_size / 2**20, 1),
                **json.loads(out.stdout.strip().splitlines()[-1]),
            }
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
