"""Benchmark: 1 M-case CSV and Parquet imports (full validation + grid assignment) against DuckDB's bare read_csv.

Run: .venv/bin/python bench/ingest.py [--rows 1000000] [--repeat 3] [--out bench/out]
Each measurement runs in its own process so peak memory (ru_maxrss) is its own; the best of --repeat is shown.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LON0, LAT0 = 121.50, 31.00  # south-west corner of the synthetic district
SIDE_M = 35_000.0  # 35 km box
N_SIDE = 71  # 71 x 71 = 5,041 square grids (~493 m)
DLON = SIDE_M / (111_320.0 * np.cos(np.radians(31.15)))
DLAT = SIDE_M / 110_950.0


def make_units(db: Path) -> None:
    """~5,000 square grid polygons as WKB, 5x5 grids per community, 15x15 per town."""
    from govdash.db import writer

    i, j = np.meshgrid(np.arange(N_SIDE), np.arange(N_SIDE), indexing="ij")
    i, j = i.ravel(), j.ravel()
    w, h = DLON / N_SIDE, DLAT / N_SIDE
    boxes = shapely.box(LON0 + i * w, LAT0 + j * h, LON0 + (i + 1) * w, LAT0 + (j + 1) * h)
    units = pd.DataFrame(
        {
            "unit_id": [f"G{a:02d}{b:02d}" for a, b in zip(i, j, strict=True)],
            "level": "grid",
            "community_id": [f"C{a // 5:02d}{b // 5:02d}" for a, b in zip(i, j, strict=True)],
            "town_id": [f"T{a // 15}{b // 15}" for a, b in zip(i, j, strict=True)],
            "name_zh": "网格",
            "geom": shapely.to_wkb(boxes),
        }
    )
    units["parent_id"] = units["community_id"]
    with writer(db) as con:
        con.register("u", units)
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "SELECT unit_id, level, parent_id, town_id, community_id, name_zh, geom FROM u"
        )


def make_cases(n: int, seed: int = 7) -> pa.Table:
    """Native-layout cases, every row valid, spread over the box (a few just outside every grid)."""
    rng = np.random.default_rng(seed)
    cats = np.array(["facility_damage", "back_lane", "noise", "garbage", "street_order", "property"])
    rep = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")
    closed = rng.random(n) < 0.8
    close_t = rep + rng.integers(3600, 10 * 86400, n).astype("timedelta64[s]")
    iso = lambda t: pd.Series(t).dt.strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    return pa.table(
        {
            "case_id": pd.Series(np.arange(n)).map("C{:09d}".format),
            "channel": rng.choice(["hotline_12345", "grid_patrol", "app"], n),
            "category": rng.choice(cats, n),
            "description": pd.Series(rng.integers(1, 999, n)).astype(str)
            + "号附近路灯损坏，居民反映多次，请尽快处理。",
            "complainant_phone": "13" + pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9),
            "address": "浦东新区某路" + pd.Series(rng.integers(1, 999, n)).astype(str) + "号",
            "lon": np.round(LON0 + rng.uniform(-0.002, 1.002, n) * DLON, 6),
            "lat": np.round(LAT0 + rng.uniform(0, 1, n) * DLAT, 6),
            "reported_at": iso(rep),
            "closed_at": iso(np.where(closed, close_t, np.datetime64("NaT"))).where(closed),
            "department_id": rng.choice(["D01", "D02", "D13"], n),
            "status": np.where(closed, "closed", "handling"),
            "resolved": np.where(closed, rng.random(n) < 0.97, False),
            "satisfaction": np.where(closed & (rng.random(n) < 0.5), rng.integers(40, 101, n), np.nan),
        }
    )


def _child(kind: str, path: str, db: str) -> None:
    """One measurement; prints JSON with seconds and peak RSS."""
    import duckdb

    from govdash import ingest

    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    t0 = time.perf_counter()
    out: dict = {"kind": kind}
    if kind == "duckdb_read_csv":
        con = duckdb.connect(db)
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv($p)", {"p": path})
        out["rows"] = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
    else:
        rep = ingest.run("cases", db, path, in_place=True, on_error="reject", max_mb=4096)
        out.update(
            rows=rep.rows,
            inserted=rep.inserted,
            unchanged=rep.unchanged,
            failed=rep.failed,
            outside=rep.outside_units,
            status=rep.status,
        )
    out["seconds"] = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = round(ru.ru_utime + ru.ru_stime - cpu0, 2)  # steadier than wall time on a shared machine
    out["peak_mb"] = ru.ru_maxrss / 1024
    print(json.dumps(out))


def _run(kind: str, path: Path, db: Path) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), str(db)], capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (the machine may be shared)")
    ap.add_argument("--child", nargs=3)
    a = ap.parse_args()
    if a.child:
        _child(*a.child)
        return
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, pq_path = out / "cases_1m.csv", out / "cases_1m.parquet"
    t = make_cases(a.rows)
    pcsv.write_csv(t, csv_path)
    pq.write_table(t, pq_path)
    print(
        f"{a.rows:,} cases: CSV {csv_path.stat().st_size / 2**20:.0f} MB, "
        f"Parquet {pq_path.stat().st_size / 2**20:.0f} MB; {N_SIDE * N_SIDE:,} grid polygons over 35 km"
    )
    results = {}
    for kind, path in (
        ("duckdb_read_csv", csv_path),
        ("import_csv", csv_path),
        ("import_parquet", pq_path),
        ("reimport_csv", csv_path),
    ):
        runs = []
        for _ in range(a.repeat):
            db = out / f"{kind}.duckdb"
            if kind != "reimport_csv":
                for f in (db, Path(str(db) + ".wal")):
                    f.unlink(missing_ok=True)
                make_units(db)
            else:
                db = out / "import_csv.duckdb"  # same file again into the loaded DB: every row unchanged
            runs.append(_run(kind if kind != "reimport_csv" else "import_csv", path, db))
        r = results[kind] = min(runs, key=lambda x: x["seconds"])
        extra = json.dumps({k: v for k, v in r.items() if k not in {"kind", "seconds", "peak_mb", "cpu_s"}})
        print(
            f"{kind:16s} {r['seconds']:6.2f} s  {a.rows / r['seconds']:>10,.0f} rows/s  cpu {r['cpu_s']:6.2f} s  "
            f"peak {r['peak_mb']:6.0f} MB  {extra}"
        )
    floor = results["duckdb_read_csv"]
    for kind in ("import_csv", "import_parquet", "reimport_csv"):
        print(
            f"ratio {kind} / duckdb read_csv: wall {results[kind]['seconds'] / floor['seconds']:.1f}x, "
            f"cpu {results[kind]['cpu_s'] / floor['cpu_s']:.1f}x"
        )


if __name__ == "__main__":
    main()
