import io
import json
import zipfile
from functools import partial

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from govdash import ingest
from govdash.db import Database, writer
from govdash.ingest import _coords as coords
from govdash.ingest import _sql
from govdash.ingest._geo_sources import GeoMapping, sniff
from govdash.ingest._readers import ValidationError, open_source

import_units = partial(ingest.run, "units")
import_stations = partial(ingest.run, "stations")

# one town of two communities side by side (0.01 degrees square each); population cells at known points
T1 = shapely.box(121.50, 31.20, 121.52, 31.22)
C1 = shapely.box(121.50, 31.20, 121.51, 31.21)
C2 = shapely.box(121.51, 31.20, 121.52, 31.21)
IN_C1, IN_C2, IN_T1_ONLY = (121.505, 31.205), (121.515, 31.205), (121.515, 31.215)
CELLS = [(*IN_C1, 100), (*IN_C2, 50), (*IN_T1_ONLY, 7)]  # lon, lat, residents


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with writer(path) as con:
        con.executemany(
            "INSERT INTO cells (cell_id, lon, lat, residents) VALUES (?, ?, ?, ?)",
            [(i, *c) for i, c in enumerate(CELLS)],
        )
    return path


def feature(props: dict, geom) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else json.loads(shapely.to_geojson(geom)),
    }


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


DISTRICT = geojson(
    feature({"id": "T1", "name": "一镇", "level": "镇"}, T1),
    feature({"id": "C1", "name": "一村", "level": "村", "parent": "T1"}, C1),
    feature({"id": "C2", "name": "二居", "level": "居委"}, C2),  # parent found by containment
    feature({"id": "G1", "name": "一网格", "level": "网格"}, C1),
)  # the grid covering C1


def table(path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def units(path) -> pd.DataFrame:
    return table(path, "SELECT * FROM units ORDER BY unit_id").set_index("unit_id")


def snapshot(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').df() for n in sorted(names)}
    finally:
        con.close()


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], obj=k)


# --- units ---


def test_units_geojson_builds_the_hierarchy_with_areas_and_residents(db):
    rep = import_units(db, DISTRICT, name="district.geojson")
    assert (rep.status, rep.inserted, rep.failed) == ("loaded", 4, 0)
    u = units(db)
    assert u.loc[["T1", "C1", "C2", "G1"], "level"].tolist() == ["town", "community", "community", "grid"]
    assert u.loc[["C1", "C2", "G1"], "parent_id"].tolist() == ["T1", "T1", "C1"]
    assert (u["town_id"] == "T1").all()
    assert u.loc[["C1", "C2", "G1"], "community_id"].tolist() == ["C1", "C2", "C1"]
    assert pd.isna(u.loc["T1", "community_id"])
    assert u.loc[["T1", "C1", "C2", "G1"], "kind"].tolist() == ["镇", "村", "居委", "网格"]
    # residents: the cells whose centre lies inside
    assert u.loc[["T1", "C1", "C2", "G1"], "residents"].tolist() == [157, 100, 50, 100]
    # 0.01° × 0.01° at 31.2°N: 0.951 km (east) × 1.109 km (north) ≈ 1.056 km²
    assert u.loc["C1", "area_km2"] == pytest.approx(1.056, rel=2e-3)
    assert u.loc["T1", "area_km2"] == pytest.approx(4 * u.loc["C1", "area_km2"], rel=1e-3)
    geom = shapely.from_wkb(bytes(u.loc["C2", "geom"]))
    assert shapely.equals(geom, C2) and shapely.contains(geom, shapely.Point(u.loc["C2", "lon"], u.loc["C2", "lat"]))


def test_units_reimport_is_idempotent_and_updates_by_id(db):
    import_units(db, DISTRICT, name="d.geojson")
    before = snapshot(db)
    again = import_units(db, DISTRICT, name="d.geojson")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    after = snapshot(db)
    assert_same({k: v for k, v in before.items() if k != "imports"}, {k: v for k, v in after.items() if k != "imports"})
    renamed = geojson(feature({"id": "C2", "name": "二居委", "level": "居委", "parent": "T1"}, C2))
    rep = import_units(db, renamed, name="rename.geojson")
    assert (rep.inserted, rep.updated, rep.unchanged) == (0, 1, 0)
    assert units(db).loc["C2", "name_zh"] == "二居委"


def test_units_undo_restores_and_refuses_out_of_order(db):
    first = import_units(db, DISTRICT, name="d.geojson")
    second = import_units(db, geojson(feature({"id": "C2", "name": "新名", "level": "居委"}, C2)), name="r.geojson")
    with pytest.raises(ValidationError, match=second.import_id):
        ingest.undo(db, first.import_id)
    assert ingest.undo(db, second.import_id) == {"removed": 0, "restored": 1}
    assert units(db).loc["C2", "name_zh"] == "二居"
    with pytest.raises(ValidationError, match="already undone"):
        ingest.undo(db, second.import_id)
    assert ingest.undo(db, first.import_id) == {"removed": 4, "restored": 0}
    assert units(db).empty
    assert table(db, "SELECT status FROM imports")["status"].tolist() == ["undone", "undone"]


def test_units_geopackage_in_utm_is_converted_to_wgs84(db, tmp_path):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"code": ["T1"], "名称": ["一镇"]}, geometry=[T1], crs=4326).to_crs(32651)
    gdf.to_file(tmp_path / "towns.gpkg", driver="GPKG")
    rep = import_units(db, tmp_path / "towns.gpkg", level="town")
    assert (rep.status, rep.inserted) == ("loaded", 1)
    got = shapely.from_wkb(bytes(units(db).loc["T1", "geom"]))
    assert np.allclose(shapely.bounds(got), shapely.bounds(T1), atol=1e-7)  # ~1 cm
    assert units(db).loc["T1", "name_zh"] == "一镇"


def _zipped_shapefile(tmp_path, gdf, encoding: str, keep_cpg: bool) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "grids.shp", encoding=encoding)
    if not keep_cpg:
        (folder / "grids.cpg").unlink(missing_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"export/{f.name}")
    return buf.getvalue()


def test_units_zipped_shapefile_gbk_with_a_mapping_file(db, tmp_path):
    import geopandas as gpd

    import_units(db, DISTRICT, name="d.geojson")
    gdf = gpd.GeoDataFrame({"WGBM": ["G7"], "WGMC": ["七号网格"], "SQBM": ["C2"]}, geometry=[C2], crs=4326)
    data = _zipped_shapefile(tmp_path, gdf, "gbk", keep_cpg=False)  # GBK and no .cpg: a typical Chinese export
    (tmp_path / "grids.toml").write_text(
        'kind = "units"\nname = "grid export"\n[columns]\nunit_id = "WGBM"\n'
        'name_zh = "WGMC"\nparent_id = "SQBM"\n[constants]\nlevel = "grid"\n',
        encoding="utf-8",
    )
    rep = import_units(db, data, name="grids.zip", mapping=tmp_path / "grids.toml")
    assert (rep.status, rep.inserted, rep.mapping) == ("loaded", 1, "grid export")
    g7 = units(db).loc["G7"]
    assert (g7["name_zh"], g7["level"], g7["parent_id"], g7["community_id"], g7["town_id"]) == (
        "七号网格",
        "grid",
        "C2",
        "C2",
        "T1",
    )
    assert g7["residents"] == 50


def test_units_gcj02_vertices_come_back_to_wgs84(db):
    x, y = shapely.get_coordinates(C1).T
    gx, gy = coords.wgs84_to_gcj02(x, y)
    shifted = shapely.polygons(np.column_stack([gx, gy]))
    rep = import_units(
        db, geojson(feature({"id": "C1", "name": "一村"}, shifted)), name="amap.geojson", crs="gcj02", level="town"
    )
    assert rep.status == "loaded"
    got = shapely.get_coordinates(shapely.from_wkb(bytes(units(db).loc["C1", "geom"])))
    assert np.abs(got - shapely.get_coordinates(C1)).max() < 1e-7  # < 1 cm


def test_units_geometry_rules(db):
    bowtie = shapely.Polygon([(121.50, 31.20), (121.51, 31.21), (121.51, 31.20), (121.50, 31.21)])
    line = shapely.LineString([(121.50, 31.20), (121.51, 31.21)])
    data = geojson(
        feature({"id": "B1", "name": "蝴蝶"}, bowtie),
        feature({"id": "B2", "name": "线"}, line),
        feature({"id": "B3", "name": "空"}, None),
        feature({"id": "B1", "name": "重复"}, T1),
        feature({"id": None, "name": "无编号"}, T1),
        feature({"id": "B6", "name": None}, T1),
    )
    rep = import_units(db, data, name="bad.geojson", level="town", on_error="quarantine")
    got = rep.errors.set_index("row")[["field", "rule"]].apply(tuple, axis=1).to_dict()
    assert got == {
        2: ("geometry", "geometry_not_polygon"),
        3: ("geometry", "geometry_missing"),
        4: ("id", "id_duplicate"),
        5: ("id", "id_missing"),
        6: ("name", "name_missing"),
    }
    assert rep.warnings[["row", "rule"]].values.tolist() == [[1, "geometry_repaired"]]
    b1 = shapely.from_wkb(bytes(units(db).loc["B1", "geom"]))
    assert shapely.is_valid(b1) and b1.geom_type == "MultiPolygon"  # the two triangles of the bow tie
    assert (rep.inserted, rep.quarantined) == (1, 5)


def test_units_need_degrees_or_a_crs(db):
    far = shapely.box(350_000, 3_450_000, 351_000, 3_451_000)  # UTM metres in a file that says nothing
    with pytest.raises(ValidationError, match="--crs"):
        import_units(db, geojson(feature({"id": "X", "name": "x"}, far)), name="utm.geojson", level="town")
    with pytest.raises(ValidationError, match="boundaries need"):
        import_units(db, b"id,name\nX,x\n", name="units.csv", level="town")
    with pytest.raises(ValidationError, match="a level"):
        import_units(db, geojson(feature({"id": "X", "name": "x"}, T1)), name="nolevel.geojson")


def test_parent_rules(db):
    data = geojson(
        feature({"id": "T1", "name": "一镇", "level": "town"}, T1),
        feature({"id": "C9", "name": "错上级", "level": "community", "parent": "TX"}, C1),
        feature({"id": "C8", "name": "镇外", "level": "community"}, shapely.box(121.6, 31.2, 121.61, 31.21)),
        feature({"id": "G9", "name": "上级有错", "level": "grid", "parent": "C9"}, C1),
    )
    rep = import_units(db, data, name="p.geojson")
    assert rep.status == "rejected"
    assert rep.errors[["row", "rule"]].values.tolist() == [
        [2, "parent_unknown"],
        [3, "parent_missing"],
        [4, "parent_unknown"],
    ]
    assert units(db).empty


def test_reject_and_dry_run_leave_the_database_as_it_was(db):
    import_units(db, DISTRICT, name="d.geojson")
    before = snapshot(db)
    bad = geojson(feature({"id": "C3", "name": "新"}, C1), feature({"id": None, "name": "坏"}, C2))
    assert import_units(db, bad, name="bad.geojson", level="community").status == "rejected"
    rep = import_units(
        db, geojson(feature({"id": "C3", "name": "新"}, C1)), name="ok.geojson", level="community", dry_run=True
    )
    assert (rep.status, rep.inserted, rep.import_id) == ("dry_run", 1, None)
    assert_same(before, snapshot(db))


def test_a_failure_midway_leaves_the_database_as_it_was(db, tmp_path, monkeypatch):
    import_units(db, DISTRICT, name="d.geojson")
    before = snapshot(db)

    def boom(con, rec):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_sql, "import_record", boom)  # after the upsert, versions and quarantine were written
    data = geojson(feature({"id": "C2", "name": "改名", "level": "居委"}, C2), feature({"id": None, "name": "坏"}, C1))
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_units(db, data, name="x.geojson", on_error="quarantine", quarantine_dir=tmp_path / "q")
    assert_same(before, snapshot(db))
    assert not list((tmp_path / "q").glob("*.csv"))
    assert not [p.name for p in db.parent.iterdir() if p.name.endswith(".tmp")]  # no private copy left behind


def test_import_while_a_reader_holds_the_file(db):
    reader = Database(db)  # the app keeps the file open read-only between queries
    assert reader.scalar("SELECT count(*) FROM units") == 0
    import_units(db, DISTRICT, name="d.geojson")
    assert reader.scalar("SELECT count(*) FROM units") == 4  # reopened: the file was swapped
    reader.close()


# --- stations ---

STATION_HEADER = "编号,名称,经度,纬度,卫生室,错时延时,面积\n"


def test_stations_csv_gbk_gcj02_with_every_coordinate_rule(db):
    import_units(db, DISTRICT, name="d.geojson")
    gx, gy = coords.wgs84_to_gcj02(np.array([IN_C1[0], IN_C2[0]]), np.array([IN_C1[1], IN_C2[1]]))
    rows = [
        f"S1,一站,{gx[0]:.7f},{gy[0]:.7f},是,否,120",
        f"S2,二站,{gx[1]:.7f},{gy[1]:.7f},无,有,80.5",
        "S3,零点,0,0,,,",
        f"S4,颠倒,{IN_C1[1]},{IN_C1[0]},,,",
        "S5,远处,121.9,31.4,,,",
        "S6,无坐标,,,,,",
        "S1,重复,121.505,31.205,,,",
        ",无编号,121.505,31.205,,,",
        "S9,怪值,121.505,31.205,也许,,-5",
    ]
    data = (STATION_HEADER + "\n".join(rows) + "\n").encode("gbk")
    rep = import_stations(db, data, name="stations.csv", crs="gcj02", on_error="quarantine")
    got = [tuple(r) for r in rep.errors[["row", "field", "rule"]].values]
    assert got == [
        (4, "经度/纬度", "coords_zero"),
        (5, "经度/纬度", "coords_swapped"),
        (6, "经度/纬度", "coords_outside"),
        (7, "经度/纬度", "coords_missing"),
        (8, "编号", "id_duplicate"),
        (9, "编号", "id_missing"),
        (10, "卫生室", "value_invalid"),
        (10, "面积", "value_invalid"),
    ]
    assert (rep.errors["file"] == "stations.csv").all()
    assert rep.errors.loc[0, "value"] == "0, 0"
    assert (rep.inserted, rep.quarantined) == (2, 7)
    s = table(db, "SELECT * FROM stations ORDER BY station_id").set_index("station_id")
    assert np.allclose(s[["lon", "lat"]].to_numpy(), [IN_C1, IN_C2], atol=1e-7)  # GCJ-02 back to WGS-84
    assert s["community_id"].tolist() == ["C1", "C2"] and (s["town_id"] == "T1").all()
    assert s["level"].tolist() == ["doorstep", "doorstep"]
    assert s["f_clinic"].tolist() == [True, False] and s["extended_hours"].tolist() == [False, True]
    assert s["floor_area_m2"].tolist() == [120.0, 80.5]


def test_stations_excel_with_typed_cells(db):
    """An office spreadsheet: numeric ids stay ids (not 1001.0), Chinese yes/no, a bad row quarantined."""
    import_units(db, DISTRICT, name="d.geojson")
    buf = io.BytesIO()
    pd.DataFrame(
        {
            "编号": [1001, 1002, 1003],
            "名称": ["一站", "二站", "远站"],
            "经度": [IN_C1[0], IN_C2[0], 121.9],
            "纬度": [IN_C1[1], IN_C2[1], 31.4],
            "卫生室": ["是", "否", "是"],
            "错时延时": ["否", "是", ""],
            "面积": [120, 80.5, 60],
        }
    ).to_excel(buf, index=False)
    rep = import_stations(db, buf.getvalue(), name="stations.xlsx", on_error="quarantine")
    assert (rep.inserted, rep.quarantined) == (2, 1)
    assert rep.errors[["row", "rule"]].values.tolist() == [[4, "coords_outside"]]
    s = table(db, "SELECT * FROM stations ORDER BY station_id").set_index("station_id")
    assert s.index.tolist() == ["1001", "1002"] and s["community_id"].tolist() == ["C1", "C2"]
    assert s["f_clinic"].tolist() == [True, False] and s["extended_hours"].tolist() == [False, True]
    assert s["floor_area_m2"].tolist() == [120.0, 80.5]
    # the whole file rejected: nothing changes
    before = table(db, "SELECT * FROM stations ORDER BY station_id")
    rep = import_stations(db, buf.getvalue(), name="stations.xlsx", on_error="reject")
    assert rep.status == "rejected" and rep.inserted == 0
    pd.testing.assert_frame_equal(table(db, "SELECT * FROM stations ORDER BY station_id"), before)


def test_stations_geojson_points_upsert(db):
    import_units(db, DISTRICT, name="d.geojson")
    pts = geojson(
        feature({"station_id": "S1", "name_zh": "一站", "level": "服务中心"}, shapely.Point(IN_C1)),
        feature({"station_id": "S2", "name_zh": "二站"}, shapely.Point(IN_T1_ONLY)),
    )
    rep = import_stations(db, pts, name="stations.geojson")
    assert (rep.inserted, rep.outside_units) == (2, 1)
    assert rep.warnings[["row", "rule"]].values.tolist() == [[2, "outside_units"]]
    s = table(db, "SELECT station_id, level, coalesce(community_id, '-'), town_id FROM stations ORDER BY 1")
    assert s.values.tolist() == [["S1", "centre", "C1", "T1"], ["S2", "doorstep", "-", "T1"]]  # in T1, no community
    moved = geojson(feature({"station_id": "S2", "name_zh": "二站"}, shapely.Point(IN_C2)))
    rep = import_stations(db, moved, name="moved.geojson")
    assert (rep.inserted, rep.updated) == (0, 1)
    assert table(db, "SELECT community_id FROM stations WHERE station_id = 'S2'").iat[0, 0] == "C2"
    assert ingest.undo(db, rep.import_id) == {"removed": 0, "restored": 1}
    assert pd.isna(table(db, "SELECT community_id FROM stations WHERE station_id = 'S2'").iat[0, 0])


def test_stations_mapping_object_and_file_errors(db):
    m = GeoMapping(
        "stations",
        "custom",
        columns={"station_id": "ID", "name_zh": "站名", "lon": "X", "lat": "Y"},
        values={"level": {"a": "centre"}},
        constants={"level": "A"},
    )
    rep = import_stations(db, f"ID,站名,X,Y\nS1,一站,{IN_C1[0]},{IN_C1[1]}\n".encode(), name="s.csv", mapping=m)
    assert (rep.status, rep.mapping) == ("loaded", "custom")
    assert table(db, "SELECT level FROM stations").iat[0, 0] == "centre"
    with pytest.raises(ValidationError, match="coordinates"):
        import_stations(db, b"id,name\nS1,x\n", name="nocoords.csv")
    with pytest.raises(ValidationError, match="not in the file"):
        import_stations(db, b"id,name\nS1,x\n", name="s.csv", mapping=m)
    with pytest.raises(ValidationError, match="binary"):
        import_stations(db, b"\x00\x01\x02" * 100, name="s.csv")
    with pytest.raises(ValidationError, match="not a readable geojson"):
        import_units(db, b'{"type": "FeatureCollection", "features": [', name="broken.geojson")


def test_hostile_zip_archives_are_refused(db, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.shp", b"x")
        zf.writestr("b.shp", b"y")
    with pytest.raises(ValidationError, match="2 .shp files"):
        import_units(db, buf.getvalue(), name="two.zip", level="grid")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../evil.shp", b"\x00" * 5_000_000)  # a path outside and a large unpacked size
    monkeypatch.setenv("GOVDASH_IMPORT_MAX_UNPACKED_MB", "4")  # an absolute cap, not a multiple of the upload
    with pytest.raises(ValidationError, match="bomb.zip: unpacks to 5 MB, over the import limit of 4 MB"):
        import_units(db, buf.getvalue(), name="bomb.zip", level="grid")


def test_sniff_tells_formats_by_content():
    assert sniff(open_source(DISTRICT, name="data.json")) == "geojson"
    assert sniff(open_source(b"SQLite format 3\x00" + b"\x00" * 100, name="x.bin")) == "gpkg"
    assert sniff(open_source(b"id,name\n1,x\n", name="x.geojson")) == "geojson"
    assert sniff(open_source(b"id,name\n1,x\n", name="x.csv")) == "table"


def test_unmapped_fields_keep_their_values_on_update(db):
    import_units(db, DISTRICT, name="d.geojson")
    again = geojson(feature({"id": "C1", "name": "一村新名", "level": "community", "parent": "T1"}, C1))
    rep = import_units(db, again, name="english-levels.geojson")
    assert rep.updated == 1
    assert units(db).loc["C1", ["name_zh", "kind"]].tolist() == ["一村新名", "村"]  # kind not in the file: kept
