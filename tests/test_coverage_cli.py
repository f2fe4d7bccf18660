"""``python -m govdash coverage``: a tiny literal district with hand-computed shares, straight line and network."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from pyproj import Transformer

from govdash import cli, osm, queries, queries_map
from govdash import service_circle as sc
from govdash.db import Database, writer

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = (353_000.0, 3_452_000.0)  # metres in EPSG:32651, near 121.46° E 31.19° N (Pudong)

# Walking 6 km/h with circuity 1 (set below): 100 m is one minute, so minutes are metres / 100.
# station_id, level, (dx, dy) metres from ORIGIN, offers f_clinic (all other functions: yes)
STATIONS = [("S1", "doorstep", (0, 0), True), ("S2", "doorstep", (3000, 0), False), ("S3", "centre", (0, 3000), False)]
# cell_id, (dx, dy), residents, town; straight-line minutes to the nearest station (any / f_clinic) in comments
CELLS = [
    (1, (0, 300), 100, "T1"),  # S1 3 / 3
    (2, (0, 800), 200, "T1"),  # S1 8 / 8
    (3, (1000, 700), 30, "T1"),  # S1 12.2 / 12.2; on the street network 32.6 (via S2, see WAYS)
    (4, (3000, 1200), 50, "T2"),  # S2 12 / S1 32.3
    (5, (3000, -1800), 40, "T2"),  # S2 18 / S1 35.0
    (6, (6000, 0), 10, "T2"),  # S2 30 / S1 60
    (7, (0, 100), 0, "T3"),
]  # nobody lives in 丙镇: its share is undefined (null)
TOWNS = [("T1", "甲街道"), ("T2", "乙镇"), ("T3", "丙镇")]
RESIDENTS = 430
# street network: node (dx, dy); ways as node lists. Cell 3 sits at the end of a street off S2's.
NODES = {
    1: (0, 0),
    2: (0, 300),
    3: (0, 800),
    4: (0, 3000),
    5: (3000, 0),
    6: (6000, 0),
    7: (3000, -1800),
    8: (3000, 1200),
    9: (1000, 700),
}
WAYS = [[1, 2, 3, 4], [1, 5, 6], [7, 5, 8, 9]]


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True).transform(ORIGIN[0] + dx, ORIGIN[1] + dy)
    return float(lon), float(lat)


@pytest.fixture(autouse=True)
def _walking(monkeypatch):
    """6 km/h straight, so the hand-computed minutes above hold whatever the environment says."""
    for name, value in {"WALK_KMH": "6", "CIRCUITY": "1", "WALK_MINUTES": "15", "METRIC_CRS": "EPSG:32651"}.items():
        monkeypatch.setenv(f"GOVDASH_{name}", value)


@pytest.fixture
def tiny_db(tmp_path) -> str:
    path = tmp_path / "tiny.duckdb"
    with writer(path) as con:
        for uid, name in TOWNS:
            con.execute(
                "INSERT INTO units (unit_id, level, town_id, name_zh, name_en, kind) VALUES (?, 'town', ?, ?, ?, '镇')",
                [uid, uid, name, uid],
            )
        for cid, (dx, dy), residents, town in CELLS:
            con.execute(
                "INSERT INTO cells VALUES (?, ?, ?, ?, ?, 100, ?, NULL, NULL, ?)",
                [cid, ORIGIN[0] + dx, ORIGIN[1] + dy, *_lonlat(dx, dy), residents, town],
            )
        for sid, level, (dx, dy), clinic in STATIONS:
            con.execute(
                "INSERT INTO stations (station_id, name_zh, level, town_id, lon, lat, f_party, f_gov, "
                "f_culture, f_joint, f_clinic) VALUES (?, ?, ?, 'T1', ?, ?, true, true, true, true, ?)",
                [sid, f"{sid}站", level, *_lonlat(dx, dy), clinic],
            )
    return str(path)


@pytest.fixture
def osm_file(tmp_path) -> Path:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='test'>"]
    for nid, (dx, dy) in NODES.items():
        lon, lat = _lonlat(dx, dy)
        lines.append(f"<node id='{nid}' version='1' lat='{lat!r}' lon='{lon!r}'/>")
    for wid, refs in enumerate(WAYS, start=101):
        lines += [
            f"<way id='{wid}' version='1'>",
            *(f"<nd ref='{r}'/>" for r in refs),
            "<tag k='highway' v='footway'/>",
            "</way>",
        ]
    path = tmp_path / "streets.osm"
    path.write_text("\n".join([*lines, "</osm>"]), encoding="utf-8")
    return path


def _json(capsys, *args: str) -> dict:
    assert cli.main(["coverage", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _direct(db_path: str, minutes: float, function: str | None = None, graph=None) -> dict:
    """service_circle.report on the same database, computed here rather than through the CLI."""
    db = Database(db_path)
    timed = sc.walk(queries_map.cells(db), queries_map.stations(db), function=function, graph=graph)
    return _null_nan(json.loads(json.dumps(sc.report(timed, minutes, queries.towns(db)))))


def _null_nan(value):
    """NaN → None, as the command writes strict JSON (a town without residents has no share)."""
    if isinstance(value, dict):
        return {k: _null_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_null_nan(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _towns(out: dict) -> list[tuple]:
    return [(r["unit_id"], r["residents"], r["covered"], r["share"]) for r in out["towns"]]


def test_json_equals_the_report_and_the_hand_computed_figures(tiny_db, capsys):
    out = _json(capsys, "--db", tiny_db)
    assert {k: out[k] for k in ("mode", "walk_kmh", "circuity", "function", "stations", "minutes")} == {
        "mode": "straight_line",
        "walk_kmh": 6.0,
        "circuity": 1.0,
        "function": None,
        "stations": 3,
        "minutes": 15,
    }
    assert (out["doorstep"], out["centre"]) == (2, 1)  # S1, S2 and the centre S3, named apart
    report = _direct(tiny_db, 15)
    assert {k: out[k] for k in report} == report
    assert (out["residents"], out["covered"], out["uncovered"]) == (RESIDENTS, 380, 50)
    assert out["share"] == pytest.approx(380 / RESIDENTS)
    assert out["shares"] == pytest.approx(
        {"5": 100 / RESIDENTS, "10": 300 / RESIDENTS, "15": 380 / RESIDENTS, "20": 420 / RESIDENTS}
    )
    # lowest share first; the town without residents last, its share null (strict JSON, no NaN)
    assert _towns(out) == [("T2", 100, 50, 0.5), ("T1", 330, 330, 1.0), ("T3", 0, 0, None)]
    assert [r["name_zh"] for r in out["towns"]] == ["乙镇", "甲街道", "丙镇"]


def test_town_covered_residents_add_up_to_the_district(tiny_db, capsys):
    for minutes in ("5", "15", "20"):
        out = _json(capsys, "--db", tiny_db, "--minutes", minutes)
        assert sum(r["covered"] for r in out["towns"]) == out["covered"]
        assert sum(r["residents"] for r in out["towns"]) == out["residents"] == RESIDENTS


def test_five_minutes_is_a_smaller_share(tiny_db, capsys):
    five, fifteen = _json(capsys, "--db", tiny_db, "--minutes", "5"), _json(capsys, "--db", tiny_db)
    assert five["minutes"] == 5  # printed as a whole number, not 5.0
    assert (five["covered"], five["share"]) == (100, pytest.approx(100 / RESIDENTS))
    assert five["share"] < fifteen["share"]
    assert {k: five[k] for k in ("residents", "covered", "share", "towns")} == {
        k: v for k, v in _direct(tiny_db, 5).items() if k in ("residents", "covered", "share", "towns")
    }


def test_function_counts_only_stations_offering_it(tiny_db, capsys):
    every, clinic = _json(capsys, "--db", tiny_db), _json(capsys, "--db", tiny_db, "--function", "f_clinic")
    assert (clinic["function"], clinic["stations"], every["stations"]) == ("f_clinic", 1, 3)
    assert (clinic["doorstep"], clinic["centre"]) == (1, 0)  # S1 is the one clinic
    assert clinic["covered"] == 330 and clinic["share"] <= every["share"]
    report = _direct(tiny_db, 15, "f_clinic")
    assert {k: clinic[k] for k in report} == report
    assert _towns(clinic) == [("T2", 100, 0, 0.0), ("T1", 330, 330, 1.0), ("T3", 0, 0, None)]


def test_network_mode_walks_the_streets(tiny_db, osm_file, capsys):
    out = _json(capsys, "--db", tiny_db, "--network", str(osm_file))
    assert (out["mode"], out["circuity"], out["stations"]) == ("network", None, 3)
    # cell 3 is 12.2 min away as the crow flies but 32.6 min along the streets
    assert (out["covered"], out["uncovered"]) == (350, 80)
    report = _direct(tiny_db, 15, graph=osm.read_osm(osm_file))
    assert {k: out[k] for k in report} == report
    assert _towns(out)[:2] == [("T2", 100, 50, 0.5), ("T1", 330, 300, pytest.approx(300 / 330))]
    assert sum(r["covered"] for r in out["towns"]) == out["covered"]


def test_missing_network_file_is_a_clear_error(tiny_db, tmp_path, capsys):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(SystemExit) as exc:
        cli.main(["coverage", "--db", tiny_db, "--network", str(missing)])
    assert str(missing) in str(exc.value.code) and "not found" in str(exc.value.code)
    assert capsys.readouterr().out == ""
    # the same through the real command line: a message on stderr, no traceback
    run = subprocess.run(
        [sys.executable, "-m", "govdash", "coverage", "--db", tiny_db, "--network", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and str(missing) in run.stderr and "Traceback" not in run.stderr, run.stderr[-800:]


def test_text_output_shows_the_district_share(tiny_db, capsys):
    assert cli.main(["coverage", "--db", tiny_db]) == 0
    text = capsys.readouterr().out
    district = next(line for line in text.splitlines() if line.startswith("district:"))
    assert f"{380 / RESIDENTS * 100:.1f} % within 15 min" in district  # 88.4 %
    assert "430 residents, 380 covered, 50 not" in district
    assert f"within  5 min  {100 / RESIDENTS * 100:>6.1f} %" in text
    rows = [line.split() for line in text.splitlines()[-3:]]
    assert [r[-1] for r in rows] == ["乙镇", "甲街道", "丙镇"] and rows[-1][0] == "—"


def test_a_network_missing_the_district_is_an_error_naming_both_extents(tmp_path, capsys):
    """Riverton's streets (Los Angeles) against qinhuai's units (Nanjing): exit 2, not a silent 0 %."""
    from govdash import ingest
    from tests.districts import qinhuai, riverton

    nj, la = qinhuai(tmp_path / "nj"), riverton(tmp_path / "la")
    db = tmp_path / "qinhuai.duckdb"
    for key in ("towns", "communities", "grids"):
        assert ingest.run("units", db, nj.files[key]).status == "loaded"
    assert cli.main(["coverage", "--db", str(db), "--network", str(la.files["network"])]) == 2
    err = capsys.readouterr().err
    assert "error: streets.osm: the street network covers -118.3" in err
    assert "the district's units 118.79" in err and "do not overlap" in err
    bounds = queries.units_bounds(Database(db))
    assert osm.read_osm(nj.files["network"], district=bounds).n_nodes == 17 * 9  # its own streets overlap
