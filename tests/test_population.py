"""Population imports: census polygons spread by area, a GeoTIFF's pixels, points; dry run, undo, errors, extents."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from pyproj import Transformer

from govdash import ingest
from govdash.ingest import ValidationError
from tests.districts import riverton

X0, Y0 = 380_000.0, 3_768_000.0  # riverton's south-west corner, UTM 11N metres (tests/districts.py)


@pytest.fixture
def district(tmp_path):
    """Riverton's boroughs and neighbourhoods imported (no population yet), measured in its own UTM zone."""
    fx = riverton(tmp_path / "files")
    db = tmp_path / "riverton.duckdb"
    for key in ("towns", "communities"):
        rep = ingest.run("units", db, fx.files[key])
        assert rep.status == "loaded", rep.errors
    return fx, db


def _residents(db) -> dict[str, int | None]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {f"{lv}:{u}": r for lv, u, r in con.execute("SELECT level, unit_id, residents FROM units").fetchall()}


def _cells(db) -> tuple[int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*), coalesce(sum(residents), 0) FROM cells").fetchone()


def test_census_blocks_give_each_community_its_residents(district):
    fx, db = district
    assert set(_residents(db).values()) == {None}  # units without population
    rep = ingest.run("population", db, fx.files["population"])
    assert rep.status == "loaded" and rep.failed == 0
    got = _residents(db)
    for key, want in fx.residents.items():  # 1000/2000/3000/4000 per community, 3000/7000 per borough
        assert abs(got[key] - want) <= 1, key
    # each 3 km x 2 km block is 600 cells of 100 m in UTM 11N, all populated
    assert _cells(db) == (2400, 10_000)


def test_dry_run_writes_nothing_and_undo_restores(district):
    fx, db = district
    dry = ingest.run("population", db, fx.files["population"], dry_run=True)
    assert dry.status == "dry_run" and dry.inserted == 2400
    assert _cells(db) == (0, 0)
    rep = ingest.run("population", db, fx.files["population"])
    again = ingest.run("population", db, fx.files["population"])
    assert again.inserted == 0 and again.unchanged == 2400
    with pytest.raises(ValidationError, match="later imports"):
        ingest.undo(db, rep.import_id)
    ingest.undo(db, again.import_id)
    assert _cells(db) == (2400, 10_000)
    out = ingest.undo(db, rep.import_id)
    assert out == {"removed": 2400, "restored": 0}
    assert _cells(db) == (0, 0) and set(_residents(db).values()) == {None}
    assert list(ingest.listing(db)["kind"][:2]) == ["population", "population"]


def _geotiff(path, counts: np.ndarray, crs: str, west: float, north: float, step: float, nodata=None):
    import rasterio
    from affine import Affine

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=counts.shape[1],
        height=counts.shape[0],
        count=1,
        dtype=counts.dtype,
        crs=crs,
        transform=Affine(step, 0, west, 0, -step, north),
        nodata=nodata,
    ) as ds:
        ds.write(counts, 1)
    return path


def test_geotiff_gives_the_known_sum_per_unit(district, tmp_path):
    fx, db = district
    rng = np.random.default_rng(7)
    # 100 m pixels on riverton's lattice with a 300 m margin outside it (people there are not the district's)
    counts = rng.integers(0, 20, size=(46, 66)).astype(np.int32)
    counts[0, 0] = -9  # nodata
    path = _geotiff(tmp_path / "pop.tif", counts, "EPSG:32611", X0 - 300, Y0 + 4000 + 300, 100.0, nodata=-9)
    rep = ingest.run("population", db, path)
    assert rep.status == "loaded", rep.errors
    # expected by pixel arithmetic: row r, column c covers x0-300+100c.., northing y0+4300-100(r+1)..
    inner = counts[3:43, 3:63].astype(int)  # the 4 km x 6 km district, rows from the north
    want = {
        "community:B1-N": inner[:20, :30].sum(),
        "community:B1-S": inner[20:, :30].sum(),
        "community:B2-N": inner[:20, 30:].sum(),
        "community:B2-S": inner[20:, 30:].sum(),
    }
    got = _residents(db)
    for key, value in want.items():
        assert got[key] == value, key
    assert got["town:B1"] == inner[:, :30].sum() and got["town:B2"] == inner[:, 30:].sum()
    assert "outside every unit" in " ".join(rep.notes)


def test_geotiff_in_degrees_is_read_in_its_own_crs(district, tmp_path):
    fx, db = district
    # a 0.0004-degree raster (about 37 m x 44 m) over riverton; each pixel holds 1 person
    to_utm = Transformer.from_crs(4326, 32611, always_xy=True)
    west, north, step = -118.32, 34.09, 0.0004
    counts = np.ones((120, 200), dtype=np.float32)
    rep = ingest.run("population", db, _geotiff(tmp_path / "deg.tif", counts, "EPSG:4326", west, north, step))
    assert rep.status == "loaded"
    lon = west + (np.arange(200) + 0.5) * step
    lat = north - (np.arange(120) + 0.5) * step
    gx, gy = np.meshgrid(lon, lat)
    x, y = to_utm.transform(gx.ravel(), gy.ravel())
    # the 100 m cell of each pixel centre lies wholly in one community (their edges are on the lattice)
    cx, cy = np.floor(np.asarray(x) / 100) * 100 + 50, np.floor(np.asarray(y) / 100) * 100 + 50
    inside = (cx > X0) & (cx < X0 + 6000) & (cy > Y0) & (cy < Y0 + 4000)
    east, upper = cx > X0 + 3000, cy > Y0 + 2000
    got = _residents(db)
    assert got["community:B1-S"] == int((inside & ~east & ~upper).sum())
    assert got["community:B2-N"] == int((inside & east & upper).sum())
    assert got["town:B1"] + got["town:B2"] == int(inside.sum())


def test_points_csv_rows_with_errors_are_named(district, tmp_path):
    fx, db = district
    tr = Transformer.from_crs(32611, 4326, always_xy=True)
    lon, lat = tr.transform(X0 + 1550, Y0 + 550)  # in B1-S
    lon2, lat2 = tr.transform(X0 + 4550, Y0 + 3550)  # in B2-N
    path = tmp_path / "points.csv"
    path.write_text(f"lon,lat,count\n{lon},{lat},120\n{lon2},{lat2},abc\n,,5\n", encoding="utf-8")
    rep = ingest.run("population", db, path)
    assert rep.status == "rejected" and rep.failed == 2
    assert list(zip(rep.errors["row"], rep.errors["field"], rep.errors["reason"], strict=True)) == [
        (3, "count", "not a count ≥ 0"),
        (4, "lon/lat", "no coordinates"),
    ]  # file lines
    assert _cells(db) == (0, 0)
    rep = ingest.run("population", db, path, on_error="quarantine")
    assert rep.status == "loaded" and rep.quarantined == 2
    assert _residents(db)["community:B1-S"] == 120 and _residents(db)["community:B2-N"] == 0


def test_a_file_outside_the_district_names_both_extents(district, tmp_path):
    fx, db = district
    path = tmp_path / "nanjing.csv"
    path.write_text("lon,lat,population\n118.80,31.98,50\n118.81,31.99,70\n", encoding="utf-8")
    with pytest.raises(
        ValidationError,
        match=r"nanjing.csv: no resident falls inside the district: the file "
        r"covers 118\.\d+, 31\.\d+ .* units -118\.\d+, 34\.\d+",
    ):
        ingest.run("population", db, path)
    tif = _geotiff(tmp_path / "far.tif", np.ones((10, 10), np.float32), "EPSG:4326", 118.8, 32.0, 0.001)
    with pytest.raises(ValidationError, match="far.tif: the raster covers 118.*do not overlap"):
        ingest.run("population", db, tif)


def test_no_units_and_no_count_column_are_clear_errors(tmp_path, district):
    fx, db = district
    path = tmp_path / "p.csv"
    path.write_text("lon,lat,people_total\n-118.3,34.05,5\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no count column .* the file has: lon, lat, people_total"):
        ingest.run("population", db, path)
    assert ingest.run("population", db, path, column="people_total", dry_run=True).status == "dry_run"
    with pytest.raises(ValidationError, match="no units: import the boundaries first"):
        ingest.run("population", tmp_path / "empty.duckdb", path, column="people_total")


def test_cli_imports_population_and_exits_non_zero_on_errors(district, tmp_path, capsys):
    from govdash.cli import main

    fx, db = district
    assert main(["import", "population", str(fx.files["population"]), "--db", str(db), "--dry-run"]) == 0
    assert "dry run: census_blocks.geojson: 4 rows" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("lon,lat,count\n-118.3,34.05,-4\n", encoding="utf-8")
    assert main(["import", "population", str(bad), "--db", str(db)]) == 1
    assert "not a count ≥ 0" in capsys.readouterr().out
