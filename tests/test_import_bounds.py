"""Plausible values only: time fields bounded, unit boundaries near the district, the dry run as strict as the
import, and writer failures as one-line errors with the database untouched."""

import errno
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
import shapely

from govdash import ingest
from govdash.db import writer
from govdash.ingest import ValidationError, _sql

G1 = shapely.box(121.50, 31.20, 121.51, 31.21)
HEADER = "case_id,reported_at,closed_at,deadline_at,status,lon,lat\n"


def _now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "VALUES ('G1', 'grid', 'C1', 'T1', 'C1', '一', $g)",
            {"g": shapely.to_wkb(G1)},
        )
    return path


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _row(case_id: str, reported="2024-03-05 10:00:00", closed="", deadline="", status="registered") -> str:
    return f"{case_id},{reported},{closed},{deadline},{status},121.505,31.205"


def _bytes(path) -> bytes:
    return open(path, "rb").read()


# --- time fields ---


def test_times_before_the_first_year_or_after_tomorrow_are_row_errors(db):
    soon = (_now() + timedelta(hours=12)).isoformat(sep=" ")
    late = (_now() + timedelta(days=3)).isoformat(sep=" ")
    data = _csv(
        _row("A1"),
        _row("A2", reported="9999-12-31 00:00:00"),
        _row("A3", reported="0001-01-01 00:00:00"),
        _row("A4", reported=soon),
        _row("A5", reported=late),
        _row("A6", closed="1999-12-31 23:59:59", status="closed"),
        _row("A7", deadline="9999-01-01 00:00:00"),
    )
    before = _bytes(db)
    rep = ingest.run("cases", db, data, name="t.csv", mapping="govdash")
    assert rep.status == "rejected" and rep.failed == 5
    got = rep.errors[rep.errors["rule"] == "time_out_of_range"][["row", "field", "value"]]
    assert got.values.tolist() == [
        [3, "reported_at", "9999-12-31 00:00:00"],
        [4, "reported_at", "0001-01-01 00:00:00"],
        [6, "reported_at", late],
        [7, "closed_at", "1999-12-31 23:59:59"],
        [8, "deadline_at", "9999-01-01 00:00:00"],
    ]
    assert "before 2000-01-01" in rep.errors.loc[rep.errors["row"] == 4, "reason"].iloc[0]
    assert _bytes(db) == before
    rep = ingest.run("cases", db, _csv(_row("A1"), _row("A4", reported=soon)), name="ok.csv", mapping="govdash")
    assert (rep.status, rep.inserted) == ("loaded", 2)


def test_the_first_year_is_a_setting_and_the_datas_as_of_extends_the_future(db, monkeypatch):
    monkeypatch.setenv("GOVDASH_IMPORT_FIRST_YEAR", "2020")
    rep = ingest.run("cases", db, _csv(_row("A1", reported="2019-06-01 00:00:00")), name="t.csv", mapping="govdash")
    assert rep.errors["rule"].tolist() == ["time_out_of_range"]
    ahead = _now() + timedelta(days=40)
    with writer(db) as con:  # a database whose own clock runs ahead (the demo's 'now')
        con.execute("INSERT INTO meta VALUES ('as_of', $v)", {"v": ahead.isoformat()})
    rep = ingest.run(
        "cases",
        db,
        _csv(_row("A1", reported=(ahead - timedelta(hours=1)).isoformat(sep=" "))),
        name="t.csv",
        mapping="govdash",
    )
    assert rep.status == "loaded", rep.errors


# --- the dry run runs what the import runs ---


def test_a_dry_run_is_as_strict_as_the_import(db, tmp_path):
    mapping = tmp_path / "lenient.toml"
    mapping.write_text(
        '[columns]\ncase_id = "case_id"\nreported_at = "reported_at"\nstatus = "status"\n'
        '[coords]\nlon = "lon"\nlat = "lat"\n[checks]\nwarn = ["id_duplicate"]\n',
        encoding="utf-8",
    )
    data = _csv(_row("A1"), _row("A1", reported="2024-03-06 10:00:00"), _row("A2"))
    before = _bytes(db)
    outcomes = []
    for dry in (True, False):
        with pytest.raises(ValidationError) as err:
            ingest.run("cases", db, data, name="dup.csv", mapping=mapping, dry_run=dry)
        outcomes.append(str(err.value))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0].startswith("dup.csv: the database refused the import") and "\n" not in outcomes[0]
    assert _bytes(db) == before


# --- unit boundaries ---


def _feature(props, geom):
    return {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}


def _units(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_a_unit_far_outside_the_district_is_a_row_error(db):
    before = _bytes(db)
    data = _units(
        _feature(
            {"id": "G2", "name": "二", "level": "grid", "parent": "C1"}, shapely.box(121.51, 31.20, 121.52, 31.21)
        ),
        _feature({"id": "G3", "name": "三", "level": "grid", "parent": "C1"}, shapely.box(0, 0, 1, 1)),
    )
    with writer(db) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, town_id, name_zh, geom) VALUES ('C1', 'community', 'T1', '社区', $g)",
            {"g": shapely.to_wkb(shapely.box(121.50, 31.20, 121.52, 31.21))},
        )
    before = _bytes(db)
    rep = ingest.run("units", db, data, name="g.geojson")
    assert rep.status == "rejected"
    got = rep.errors[rep.errors["rule"] == "geometry_outside"]
    assert got[["row", "field"]].values.tolist() == [[2, "geometry"]]
    assert "outside the district" in got["reason"].iloc[0]
    assert _bytes(db) == before
    assert ingest.run("units", db, data, name="g.geojson", on_error="quarantine").inserted == 1


def test_a_unit_far_from_the_rest_of_its_file_is_a_row_error_in_an_empty_database(tmp_path):
    boxes = [shapely.box(121.50 + i * 0.01, 31.20, 121.51 + i * 0.01, 31.21) for i in range(5)]
    feats = [_feature({"id": f"T{i}", "name": f"镇{i}", "level": "town"}, b) for i, b in enumerate(boxes)]
    feats.append(_feature({"id": "TX", "name": "远", "level": "town"}, shapely.box(0, 0, 1, 1)))
    rep = ingest.run("units", tmp_path / "t.duckdb", _units(*feats), name="towns.geojson")
    assert rep.errors[["row", "rule"]].values.tolist() == [[6, "geometry_outside"]]


# --- writer errors ---


def test_a_full_disk_while_writing_is_one_line_and_leaves_the_file_untouched(db, monkeypatch):
    ingest.run("cases", db, _csv(_row("A1")), name="first.csv", mapping="govdash")
    before = _bytes(db)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_sql, "import_record", full)
    with pytest.raises(ValidationError) as err:
        ingest.run("cases", db, _csv(_row("A2")), name="second.csv", mapping="govdash")
    msg = str(err.value)
    assert msg.startswith("second.csv: no space left on device while writing") and "\n" not in msg
    assert "nothing was loaded" in msg
    assert _bytes(db) == before
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert pd.DataFrame(con.execute("SELECT case_id FROM cases").fetchall())[0].tolist() == ["A1"]
    finally:
        con.close()
