"""Benchmark: a district that is not the demo, from an empty folder to every page (issue 16).

Run: nice -n 10 .venv/bin/python bench/own_district.py [--cases 500000] [--nodes 200000] [--skip-population]

1. Riverton (tests/districts.py: Los Angeles, UTM 11N, boroughs and neighbourhoods, no grids):
   ``init`` → units per level → ``--cases`` cases from one 311-style CSV (month-first 12-hour times in
   America/Los_Angeles, 2 % located by borough name only, categories added to the catalogue by the
   import) → every page's and wall panel's data (bench/views.py) for the typical filters, each timed.
2. A square district of 1,500 km² (bench/population.py's, UTM 51N): population import of a 100 m
   GeoTIFF (in a child process, its peak memory its own), 200 stations, then network coverage on a
   synthetic street lattice of ``--nodes`` nodes written as .osm (read, walk times, report).

Figures are printed as JSON; nothing is asserted (timings belong here, never in tests).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ("Noise - Residential", "Graffiti", "Pothole", "Illegal Parking", "Street Light", "Sanitation")
BY_NAME_SHARE = 0.02  # cases without a point, located by their borough's name
SPAN = ("2025-01-01", "2026-03-31")  # report times, uniformly
UNIT_FILES = {"town": "towns", "community": "communities"}  # tests/districts.py's file keys
MAPPING = """
name = "Riverton 311"
timezone = "America/Los_Angeles"
time_format = "%m/%d/%Y %I:%M:%S %p"
[columns]
case_id = "Unique Key"
reported_at = "Created Date"
closed_at = "Closed Date"
status = "Status"
category = "Complaint Type"
[coords]
lon = "Longitude"
lat = "Latitude"
[values.status]
Open = "registered"
Closed = "resolved"
[area]
town = "Borough"
[catalogue]
category = "add"
"""


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - t0, 2)


def riverton_cases(path: Path, n: int, x0: float, y0: float, seed: int = 16) -> Path:
    """``n`` cases as Riverton's 311 export: points uniform over its 6 km x 4 km, a few by borough name only."""
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    x, y = x0 + rng.uniform(0, 6000, n), y0 + rng.uniform(0, 4000, n)
    lon, lat = Transformer.from_crs(32611, 4326, always_xy=True).transform(x, y)
    lo, hi = (pd.Timestamp(v).value // 10**9 for v in SPAN)
    created = pd.to_datetime(rng.integers(lo, hi, n), unit="s")
    closed = created + pd.to_timedelta(rng.gamma(2.0, 20.0, n), unit="h")
    is_open = rng.random(n) < 0.1
    by_name = rng.random(n) < BY_NAME_SHARE
    fmt = "%m/%d/%Y %I:%M:%S %p"
    frame = pd.DataFrame(
        {
            "Unique Key": [f"BR{k:07d}" for k in range(n)],
            "Created Date": created.strftime(fmt),
            "Closed Date": pd.Series(closed.strftime(fmt)).where(~is_open, ""),
            "Complaint Type": np.asarray(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)],
            "Status": np.where(is_open, "Open", "Closed"),
            "Borough": np.where(by_name, np.where(x < x0 + 3000, "Westfield", "Eastbrook"), ""),
            "Latitude": np.where(by_name, "", np.char.mod("%.7f", lat)),
            "Longitude": np.where(by_name, "", np.char.mod("%.7f", lon)),
        }
    )
    frame.to_csv(path, index=False)
    return path


def own_district(folder: Path, n_cases: int) -> dict:
    """Riverton from an empty folder: init, units, cases, then every page's data; seconds per step."""
    from bench.pages import typical_filters
    from bench.views import registry
    from govdash import cli, queries
    from govdash.db import Database
    from tests.districts import riverton

    fx = riverton(folder / "files")
    db = str(folder / "riverton.duckdb")
    out: dict = {"district": "riverton (Los Angeles, UTM 11N, 2 levels)", "cases": n_cases}
    argv = ["init", "--db", db, "--name", "里弗顿", "--name-en", "Riverton", "--timezone", fx.timezone]
    rc, out["init_s"] = _timed(cli.main, argv)
    assert rc == 0
    t0 = time.perf_counter()
    for level in fx.levels:
        assert cli.main(["import", "units", str(fx.files[UNIT_FILES[level]]), "--db", db, "--level", level]) == 0
    out["units_s"] = round(time.perf_counter() - t0, 2)
    csv, out["generate_csv_s"] = _timed(riverton_cases, folder / "cases.csv", n_cases, 380_000.0, 3_768_000.0)
    out["csv_mb"] = round(csv.stat().st_size / 2**20, 1)
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING, "utf-8")
    from govdash import ingest

    rep, out["import_cases_s"] = _timed(ingest.run, "cases", db, str(csv), mapping=str(mapping))
    out["import"] = {"status": rep.status, "inserted": rep.inserted, "by_name": rep.located_by_area,
                     "failed": rep.failed, "new_categories": len(rep.catalogue_added.get("category", []))}  # fmt: skip
    con = Database(db)
    try:
        at = queries.as_of(con)
        filters = typical_filters(con)
        pages = {}
        for name, page in registry().items():
            times, error = [], None
            for f in filters.values():
                try:
                    _, s = _timed(page.govdash, con, f, at)
                except Exception as exc:  # a page that fails on a district without grids is a finding
                    error = f"{type(exc).__name__}: {exc}"[:200]
                    break
                times.append(s)
            pages[name] = {"error": error} if error else {"median_s": float(np.median(times)), "max_s": max(times)}
        out["pages"] = pages
        out["every_page_once_s"] = round(sum(p.get("max_s", 0) for p in pages.values()), 2)
    finally:
        con.close()
    out["init_to_every_page_s"] = round(
        out["init_s"] + out["units_s"] + out["import_cases_s"] + out["every_page_once_s"], 1
    )
    return out


def lattice_osm(path: Path, side_m: float, nodes: int, x0: float, y0: float, epsg: int) -> tuple[Path, int]:
    """A square street lattice of about ``nodes`` nodes over ``side_m`` metres (UTM ``epsg``) as OSM XML."""
    from pyproj import Transformer

    n = math.ceil(math.sqrt(nodes))
    step = side_m / (n - 1)
    tr = Transformer.from_crs(epsg, 4326, always_xy=True)
    cols = np.arange(n)
    xx, yy = np.meshgrid(x0 + cols * step, y0 + cols * step)
    lon, lat = tr.transform(xx.ravel(), yy.ravel())
    ids = np.arange(1, n * n + 1).reshape(n, n)  # row r, column c
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="govdash-bench">\n')
        fh.writelines(
            f'  <node id="{i}" version="1" lat="{a:.7f}" lon="{o:.7f}"/>\n'
            for i, a, o in zip(ids.ravel(), lat, lon, strict=True)
        )
        way = 1
        for line in list(ids) + list(ids.T):  # east-west, then north-south streets
            refs = "".join(f'<nd ref="{i}"/>' for i in line)
            fh.write(f'  <way id="{way}" version="1">{refs}<tag k="highway" v="residential"/></way>\n')
            way += 1
        fh.write("</osm>\n")
    return path, n * n


def large_district(folder: Path, nodes: int, skip_population: bool) -> dict:
    """The 1,500 km² square: population raster import, stations, network coverage on a ``nodes`` lattice."""
    from bench import population as bpop
    from govdash import ingest, osm, queries, queries_map, service_circle
    from govdash.cli.coverage import compute
    from govdash.db import Database

    side = math.sqrt(1500.0)
    db = folder / "large.duckdb"
    out: dict = {"area_km2": 1500.0}
    for path in bpop._units(folder, side):
        assert ingest.run("units", db, path).status == "loaded"
    path, pixels = bpop._rasters(folder, side)["utm_100m"]
    if not skip_population:
        child = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "population.py"), "--child", str(db), str(path)],
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(child.stderr[-3000:])
        out["population_100m_raster"] = {"pixels": pixels, **json.loads(child.stdout.strip().splitlines()[-1])}
    rng = np.random.default_rng(7)
    from pyproj import Transformer

    sx = bpop.X0 + rng.uniform(0, side * 1000, 200)
    sy = bpop.Y0 + rng.uniform(0, side * 1000, 200)
    lon, lat = Transformer.from_crs(32651, 4326, always_xy=True).transform(sx, sy)
    stations = folder / "stations.csv"
    pd.DataFrame({"station_id": [f"S{i}" for i in range(200)], "name": [f"Station {i}" for i in range(200)],
                  "lon": lon, "lat": lat}).to_csv(stations, index=False)  # fmt: skip
    assert ingest.run("stations", db, str(stations)).status == "loaded"
    (osm_path, n_nodes), gen_s = _timed(
        lattice_osm, folder / "lattice.osm", side * 1000, nodes, bpop.X0, bpop.Y0, 32651
    )
    net = {"nodes": n_nodes, "osm_mb": round(osm_path.stat().st_size / 2**20, 1), "generate_s": gen_s}
    con = Database(str(db))
    try:
        from govdash import district_record

        crs = district_record.metric_crs(district_record.read(con))
        graph, net["read_osm_s"] = _timed(
            osm.read_osm, str(osm_path), metric_crs=crs, district=queries.units_bounds(con)
        )
        cells, st_ = queries_map.cells(con), queries_map.stations(con)
        _, net["walk_s"] = _timed(service_circle.walk, cells, st_, graph=graph, metric_crs=crs)
        res, net["coverage_command_s"] = _timed(compute, con, 15, network=str(osm_path))
        net["cells"] = len(cells)
        net["share_15min"] = res.get("share")
    finally:
        con.close()
    out["network_coverage"] = net
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=500_000)
    ap.add_argument("--nodes", type=int, default=200_000)
    ap.add_argument("--skip-population", action="store_true")
    ap.add_argument("--only", choices=("district", "large"), default=None)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="govdash-bench-own-") as tmp:
        if args.only in (None, "district"):
            (Path(tmp) / "r").mkdir()
            results["own_district"] = own_district(Path(tmp) / "r", args.cases)
            print(json.dumps(results["own_district"], indent=2, ensure_ascii=False), flush=True)
        if args.only in (None, "large"):
            (Path(tmp) / "l").mkdir()
            results["large_district"] = large_district(Path(tmp) / "l", args.nodes, args.skip_population)
            print(json.dumps(results["large_district"], indent=2, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
