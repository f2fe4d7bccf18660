"""Grid workers and patrols (issue 18 item 2): literal patrols worked by hand, imports, the demo, the grid page."""

from __future__ import annotations

import math
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import app_test

from govdash import grid_work, ingest, maps, queries_grid
from govdash.db import Database, writer
from govdash.filters import Filters

AT = datetime(2026, 3, 5, 18, 0)
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 5))
D = datetime

# T1 has communities C1 (grids G1, G2) and C2 (grids G3, G4); G4 has nobody and no patrol
GRIDS = [("G1", "C1", 1000), ("G2", "C1", 600), ("G3", "C2", 2000), ("G4", "C2", 0)]
WORKERS = [
    ("W1", "张伟", "G1", "grid_worker", True),
    ("W2", "李娜", "G1", "assistant", True),
    ("W3", "王芳", "G2", "grid_worker", True),
    ("W4", "赵敏", "G3", "grid_worker", False),  # off duty: no workload share
    ("W5", "刘洋", "G3", "volunteer", True),
]
# patrol_id, worker, grid, start, end, route_m, issues
PATROLS = [
    ("P0", "W3", "G2", D(2026, 2, 27, 9), D(2026, 2, 27, 10), 1500.0, 5),  # before the period
    ("P1", "W1", "G1", D(2026, 3, 1, 9), D(2026, 3, 1, 10, 30), 2000.0, 1),
    ("P2", "W2", "G1", D(2026, 3, 1, 14), D(2026, 3, 1, 15), 1200.0, 0),
    ("P3", "W1", "G1", D(2026, 3, 3, 9), D(2026, 3, 3, 10), 1800.0, 2),
    ("P4", "W1", "G1", D(2026, 3, 5, 9), D(2026, 3, 5, 10), 1800.0, 0),
    ("P5", "W3", "G2", D(2026, 3, 2, 9), D(2026, 3, 2, 11), 2500.0, 1),
    ("P6", "W5", "G3", D(2026, 3, 1, 10), D(2026, 3, 1, 11), 3000.0, 0),
]
# case_id, grid, channel, reported
CASES = [
    ("K0", "G2", "grid_patrol", D(2026, 2, 27, 9, 30)),  # before the period
    ("K1", "G1", "grid_patrol", D(2026, 3, 1, 9, 30)),
    ("K2", "G1", "hotline_12345", D(2026, 3, 1, 20)),
    ("K3", "G1", "grid_patrol", D(2026, 3, 3, 9, 20)),
    ("K4", "G1", "grid_patrol", D(2026, 3, 3, 9, 40)),
    ("K5", "G2", "grid_patrol", D(2026, 3, 2, 10)),
    ("K6", "G2", "hotline_12345", D(2026, 3, 4, 8)),
    ("K7", "G3", "hotline_12345", D(2026, 3, 2, 12)),
    ("K8", "G3", "walk_in", D(2026, 3, 3, 15)),
]


@pytest.fixture
def grid_db(tmp_path) -> Database:
    path = tmp_path / "grid.duckdb"
    box = shapely.box(118.78, 32.0, 118.80, 32.02).wkb
    with writer(path) as con:
        con.execute("INSERT INTO meta VALUES ('as_of', ?)", [AT.isoformat(sep=" ")])
        con.execute(
            "INSERT INTO units (unit_id, level, town_id, name_zh, residents, geom) VALUES ('T1', 'town', 'T1', "
            "'甲街道', 3600, ?)",
            [box],
        )
        for c in ("C1", "C2"):
            con.execute(
                "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, residents, geom) "
                "VALUES (?, 'community', 'T1', 'T1', ?, ?, 0, ?)",
                [c, c, f"{c}社区", box],
            )
        for g, c, res in GRIDS:
            con.execute(
                "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, residents, geom) "
                "VALUES (?, 'grid', ?, 'T1', ?, ?, ?, ?)",
                [g, c, c, f"{g}网格", res, box],
            )
        con.executemany("INSERT INTO grid_workers VALUES (?, ?, ?, ?, ?)", WORKERS)
        con.executemany(
            "INSERT INTO patrols VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            [list(p) for p in PATROLS],
        )
        for cid, g, ch, rep in CASES:
            com = next(c for gg, c, _ in GRIDS if gg == g)
            con.execute(
                "INSERT INTO cases (case_id, channel, category, grid_id, community_id, town_id, reported_at, status) "
                "VALUES (?, ?, 'noise', ?, ?, 'T1', ?, 'registered')",
                [cid, ch, g, com, rep],
            )
    return Database(path)


def test_patrol_found_rate_worked_by_hand(grid_db):
    by_grid = queries_grid.unit_work(grid_db, MARCH, "grid", AT).set_index("unit_id")
    # G1: K1, K3, K4 of K1-K4 found on patrol; G2: K5 of K5, K6; G3: none of K7, K8; G4: no case
    assert by_grid["patrol_found"].to_dict() == {"G1": 3, "G2": 1, "G3": 0, "G4": 0}
    assert by_grid["collected"].to_dict() == {"G1": 4, "G2": 2, "G3": 2, "G4": 0}
    assert by_grid["patrol_found_rate"].iloc[:3].tolist() == [0.75, 0.5, 0.0]
    assert math.isnan(by_grid.loc["G4", "patrol_found_rate"])
    by_com = queries_grid.unit_work(grid_db, MARCH, "community", AT).set_index("unit_id")
    assert by_com["patrol_found_rate"].tolist() == pytest.approx([4 / 6, 0.0])
    town = queries_grid.unit_work(grid_db, MARCH, "town", AT).iloc[0]
    assert (town["patrol_found"], town["collected"], town["patrol_found_rate"]) == (4, 8, 0.5)  # K0 is February's


def test_patrol_coverage_and_workload_worked_by_hand(grid_db):
    by_grid = queries_grid.unit_work(grid_db, MARCH, "grid", AT).set_index("unit_id")
    # 1-5 March: G1 patrolled on the 1st, 3rd and 5th (two patrols on the 1st count once), G2 on the 2nd, G3 the 1st
    assert by_grid["patrolled_days"].to_dict() == {"G1": 3, "G2": 1, "G3": 1, "G4": 0}
    assert by_grid["patrol_coverage"].tolist() == pytest.approx([3 / 5, 1 / 5, 1 / 5, 0.0])
    assert by_grid["reports"].to_dict() == {"G1": 3, "G2": 1, "G3": 0, "G4": 0}  # P0's 5 are February's
    assert by_grid["workers"].to_dict() == {"G1": 2, "G2": 1, "G3": 1, "G4": 0}  # W4 is off duty
    assert by_grid["reports_per_worker"].iloc[:3].tolist() == [1.5, 1.0, 0.0]
    assert by_grid["residents_per_worker"].iloc[:3].tolist() == [500.0, 600.0, 2000.0]
    assert math.isnan(by_grid.loc["G4", "residents_per_worker"])
    town = queries_grid.unit_work(grid_db, MARCH, "town", AT).iloc[0]
    assert town["patrol_coverage"] == pytest.approx(5 / 20)  # 4 grids x 5 days
    assert (town["reports_per_worker"], town["residents_per_worker"]) == (1.0, 900.0)  # 4 issues, 3,600 people, 4


def test_grids_patrolled_per_day_and_grids_not_patrolled_for_n_days(grid_db):
    daily = queries_grid.daily_coverage(grid_db, MARCH, AT)
    assert daily["day"].tolist() == [date(2026, 3, d) for d in range(1, 6)]
    assert daily["patrolled"].tolist() == [2, 1, 1, 0, 1] and set(daily["grids"]) == {4}
    # as of 5 March 18:00, N = 3: no patrol on 3, 4 or 5 March -> G4 (never), G3 (1 March), G2 (2 March)
    idle = queries_grid.unpatrolled(grid_db, MARCH, AT, 3)
    assert idle["grid_id"].tolist() == ["G4", "G3", "G2"]
    assert idle["days_since"].tolist()[1:] == [4, 3] and pd.isna(idle["days_since"].iloc[0])
    assert queries_grid.unpatrolled(grid_db, MARCH, AT, 4)["grid_id"].tolist() == ["G4", "G3"]
    assert queries_grid.unpatrolled(grid_db, MARCH, AT, 1)["grid_id"].tolist() == ["G4", "G3", "G2"]
    # a patrol after the as-of time does not count
    assert "G1" in queries_grid.unpatrolled(grid_db, MARCH, datetime(2026, 3, 4, 23, 0), 1)["grid_id"].tolist()


def test_reports_and_hours_per_worker(grid_db):
    staff = queries_grid.workers(grid_db, MARCH).set_index("worker_id")
    assert staff.loc["W1", ["patrols", "reports"]].tolist() == [3, 3]
    assert staff.loc["W1", "hours"] == pytest.approx(3.5) and staff.loc["W1", "route_km"] == pytest.approx(5.6)
    assert staff.loc["W3", ["patrols", "reports"]].tolist() == [1, 1]
    assert staff.loc["W1", "residents_per_worker"] == 500 and pd.isna(staff.loc["W4", "residents_per_worker"])
    table = grid_work.workers_table(staff.reset_index(), {"T1": "甲街道"}, "zh")
    # the page lists the first n by its order (by hand from PATROLS in March): reports 3, 1, 0, 0, 0 and
    # patrols 3, 1, 1, 1, 0; fewest patrols among those on duty (W4 is not): W2, W5 (1 patrol, 0 reports), W3
    plain_staff = staff.reset_index()
    assert grid_work.workers_shown(plain_staff, "most_reports", 3)["worker_id"].tolist() == ["W1", "W3", "W2"]
    assert grid_work.workers_shown(plain_staff, "fewest_patrols", 3)["worker_id"].tolist() == ["W2", "W5", "W3"]
    assert len(grid_work.workers_shown(plain_staff, "fewest_patrols")) == 4
    assert set(table["角色"]) == {"网格员", "网格协管员", "网格公益员"}
    assert set(grid_work.workers_table(staff.reset_index(), {}, "en")["Role"]) == {
        "Grid worker",
        "Grid assistant",
        "Grid volunteer",
    }


def test_map_offers_grid_indicators_only_with_patrols(grid_db):
    assert set(maps.GRID_INDICATORS) <= set(maps.map_indicators(True))
    assert not set(maps.GRID_INDICATORS) & set(maps.map_indicators(False))
    stats = queries_grid.map_stats(grid_db, MARCH, "grid", AT)
    assert stats.set_index("unit_id")["patrol_found_rate"].iloc[:3].tolist() == [0.75, 0.5, 0.0]
    assert {"collected", "resolution_rate", *maps.GRID_INDICATORS} <= set(stats.columns)


# --- imports ---


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_import_workers_and_patrols_with_a_mapping(grid_db, tmp_path):
    db = grid_db.path
    workers = _write(tmp_path / "w.csv", "工号,姓名,网格编码,岗位,在岗\nX1,陈静,G4,协管员,是\nX2,周平,G4,专职,否\n")
    mapping = _write(tmp_path / "w.toml", '[values.role]\n"专职" = "grid_worker"\n')
    rep = ingest.run("workers", db, workers, mapping=str(mapping))
    assert rep.status == "loaded" and rep.inserted == 2, rep.errors
    patrols = _write(
        tmp_path / "p.csv",
        "记录编号,工号,开始时间,结束时间,里程,上报问题数\nQ1,X1,05/03/2026 08:10,05/03/2026 09:40,1200,2\n",
    )
    rep = ingest.run("patrols", db, patrols, mapping=str(_write(tmp_path / "p.toml", "dayfirst = true\n")))
    assert rep.status == "loaded" and rep.inserted == 1, rep.errors
    got = duckdb.connect(str(db), read_only=True)
    try:
        row = got.execute(
            "SELECT worker_id, grid_id, started_at, ended_at, issues_reported FROM patrols WHERE patrol_id = 'Q1'"
        ).fetchone()
        roles = dict(got.execute("SELECT worker_id, role FROM grid_workers WHERE grid_id = 'G4'").fetchall())
    finally:
        got.close()
    assert row == ("X1", "G4", D(2026, 3, 5, 8, 10), D(2026, 3, 5, 9, 40), 2)  # the worker's grid, day first
    assert roles == {"X1": "assistant", "X2": "grid_worker"}
    ingest.undo(db, rep.import_id)
    grid_db.close()
    assert queries_grid.recorded(Database(db))["patrols"] == len(PATROLS)


def test_a_bad_row_names_file_row_and_field_and_nothing_is_written(grid_db, tmp_path):
    db = grid_db.path
    before = queries_grid.recorded(grid_db)
    bad = _write(
        tmp_path / "patrols.csv",
        "patrol_id,worker_id,grid_id,started_at,ended_at,issues_reported\n"
        "Q1,W1,G1,2026-03-04 09:00,2026-03-04 10:00,1\n"
        "Q2,W1,G9,2026-03-04 09:00,2026-03-04 10:00,1\n"
        "Q3,W1,G1,2026-03-04 09:00,2026-03-04 08:00,1\n"
        "Q4,WX,G1,2026-03-04 09:00,,-2\n",
    )
    rep = ingest.run("patrols", db, bad)
    assert rep.status == "rejected" and rep.failed == 3
    errors = rep.errors[["file", "row", "field", "rule"]].values.tolist()
    assert ["patrols.csv", 3, "grid_id", "grid_unknown"] in errors
    assert ["patrols.csv", 4, "ended_at", "time_order"] in errors
    assert ["patrols.csv", 5, "worker_id", "worker_unknown"] in errors
    assert ["patrols.csv", 5, "issues_reported", "value_invalid"] in errors
    grid_db.close()
    assert queries_grid.recorded(Database(db)) == before
    role = _write(tmp_path / "workers.csv", "worker_id,grid_id,role\nX9,G1,队长\n")
    rep = ingest.run("workers", db, role)
    assert rep.status == "rejected"
    assert rep.errors[["row", "field", "rule"]].values.tolist() == [[2, "role", "value_invalid"]]


# --- the demo ---


def test_demo_towns_add_up_to_pudongs_area_on_the_ellipsoid(demo_db):
    from pyproj import Geod

    con = duckdb.connect(demo_db, read_only=True)
    try:
        geoms = [bytes(g) for (g,) in con.execute("SELECT geom FROM units WHERE level = 'town'").fetchall()]
    finally:
        con.close()
    geod = Geod(ellps="WGS84")
    km2 = sum(abs(geod.geometry_area_perimeter(shapely.from_wkb(g))[0]) for g in geoms) / 1e6
    assert len(geoms) == 36 and abs(km2 - 1210) / 1210 < 0.03, km2


def test_demo_workers_and_patrols_are_consistent_with_its_patrol_cases(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    try:
        per_grid = con.execute(
            "SELECT count(*) FROM units u LEFT JOIN grid_workers w ON w.grid_id = u.unit_id WHERE u.level = 'grid' "
            "GROUP BY u.unit_id"
        ).df()
        first = con.execute("SELECT min(started_at) FROM patrols").fetchone()[0]
        cases = con.execute(
            "SELECT count(*) FROM cases WHERE channel = 'grid_patrol' AND reported_at >= $f", {"f": first}
        ).fetchone()[0]
        inside = con.execute(
            """SELECT count(*) FROM cases c WHERE c.channel = 'grid_patrol' AND c.reported_at >= $f AND EXISTS
            (SELECT 1 FROM patrols p WHERE p.grid_id = c.grid_id
             AND c.reported_at BETWEEN p.started_at AND p.ended_at)""",
            {"f": first},
        ).fetchone()[0]
        reported = con.execute("SELECT sum(issues_reported) FROM patrols").fetchone()[0]
        roles = set(con.execute("SELECT DISTINCT role FROM grid_workers").df()["role"])
    finally:
        con.close()
    assert set(per_grid.iloc[:, 0]) <= {1, 2}  # one or two workers per grid
    assert cases > 0 and inside == cases == reported  # every patrol case lies in the patrol that reported it
    assert roles == {"grid_worker", "assistant", "volunteer"}


# --- the page ---


@pytest.mark.usefixtures("navigation_mode")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grid_page_on_the_demo(app_env, monkeypatch, lang):
    monkeypatch.setenv("GOVDASH_LANG", lang)
    at = app_test()
    at.run()
    at.switch_page("pages/grid.py").run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert labels[:2] == (["在岗网格员", "巡查覆盖率"] if lang == "zh" else ["Workers on duty", "Patrol coverage"])
    assert len(at.dataframe) >= 3
    at.number_input(key="grid_n_days").set_value(1).run()
    assert not at.exception


@pytest.mark.usefixtures("navigation_mode")
def test_map_page_shows_patrol_found_rate_on_the_demo(app_env):
    at = app_test()
    at.run()
    at.switch_page("pages/map.py").run()
    assert {"主动发现率", "巡查覆盖率", "人均上报问题", "人均服务人口"} <= set(
        at.selectbox(key="map_indicator").options
    )
    at.selectbox(key="map_indicator").set_value("patrol_found_rate").run()
    assert not at.exception, [e.value for e in at.exception]
    ranking = at.dataframe[0].value
    assert "主动发现率 (%)" in ranking.columns and len(ranking) == 36


# --- labels on the map (issue 18 item 5) ---


def test_every_town_is_named_at_district_level_without_overlaps(demo_db):
    from govdash import queries

    db = Database(demo_db)
    stats = queries.unit_stats(db, MARCH, "town", AT, False)
    shapes = maps.unit_shapes(queries.unit_geometries(db, "town"))
    deck, _ = maps.choropleth(stats, shapes, "collected", height_px=600, name_all=True)
    layers = {layer.id: layer for layer in deck.layers}
    labels = pd.concat([pd.DataFrame(layers[k].data) for k in ("labels", "labels_dark") if k in layers])
    labels = labels.reset_index(drop=True)
    assert len(labels) == 36  # every street/town, the dense central streets included
    names = {label.split("\n")[0] for label in labels["label"]}
    assert {"陆家嘴", "潍坊新村", "川沙", "南汇新城", "惠南"} <= names  # level words dropped where crowded
    zoom = deck.initial_view_state.zoom
    px, py = maps._merc_px(labels["lon"].to_numpy(), labels["lat"].to_numpy(), zoom)
    half_w = np.array([max(len(line) for line in x.split("\n")) * 7 + 2 for x in labels["label"]])
    for i in range(len(labels)):
        for j in range(i):
            apart = abs(px[i] - px[j]) >= half_w[i] + half_w[j] - 1 or abs(py[i] - py[j]) >= 2 * 16 - 1
            assert apart, (labels["label"][i], labels["label"][j])
    assert len(layers["label_leaders"].data) > 0  # the moved ones point back to their street/town
    # without name_all (communities, grids) crowded labels are left out, never drawn over each other
    assert sum(len(layer.data) for layer in maps._label_layers(stats, "collected", zoom)) < 36


def test_label_text_stands_out_from_every_fill():
    dark, light = [20, 22, 30, 255], [255, 255, 255, 250]
    assert maps.text_colour((252, 235, 120))[0] == dark  # the brightest (yellow) end of the ramp
    assert maps.text_colour((225, 225, 225))[0] == dark  # the diverging scale's light middle
    assert maps.text_colour((75, 40, 130))[0] == light  # its dark end
    assert maps.text_colour(maps.NO_DATA)[0] == light
    assert [maps.short_name(n) for n in ("陆家嘴街道", "川沙新镇", "惠南镇", "南汇新城镇", "高镇", "Downtown")] == [
        "陆家嘴",
        "川沙",
        "惠南",
        "南汇新城",
        "高镇",
        "Downtown",
    ]


# --- a district that is not the demo ---


@pytest.mark.usefixtures("navigation_mode")
def test_grid_page_on_qinhuai_before_and_after_importing_workers_and_patrols(tmp_path, monkeypatch):
    from datetime import timedelta

    from govdash import cli, queries
    from tests.districts import qinhuai
    from tests.test_own_district import build

    fx = qinhuai(tmp_path / "files")
    db = build(fx, tmp_path)
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    at = app_test()
    at.run()
    at.switch_page("pages/grid.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(i.value for i in at.info)
    assert "import workers" in shown and "import patrols" in shown and "浦东" not in shown

    grids = [f"{c}-{g:02d}" for c in range(1, 5) for g in (1, 2)]  # the fixture's 8 grids
    workers = _write(
        tmp_path / "网格员.csv", "工号,姓名,网格编码,岗位\n" + "".join(f"Q{g},员{g},{g},网格员\n" for g in grids)
    )
    assert cli.main(["import", "workers", str(workers), "--db", db]) == 0
    day = queries.as_of(Database(db)) - timedelta(days=1)  # yesterday, in the fixture's own day-first style
    rows = "".join(
        f"R{g},Q{g},{day:%d/%m/%Y} 09:00,{day:%d/%m/%Y} 10:30,2,\n" for g in grids[:2]
    )  # only street 1's first community patrolled
    patrols = _write(tmp_path / "巡查.csv", "记录编号,工号,开始时间,结束时间,上报问题数,里程\n" + rows)
    mapping = _write(tmp_path / "p.toml", 'time_format = "%d/%m/%Y %H:%M"\n')
    assert cli.main(["import", "patrols", str(patrols), "--db", db, "--mapping", str(mapping)]) == 0
    at = app_test()
    at.run()
    at.switch_page("pages/grid.py").run()
    assert not at.exception, [e.value for e in at.exception]
    figures = {m.label: m.value for m in at.metric}
    assert figures["在岗网格员"] == "8" and figures["连续3天未巡查的网格"] == "6"


def test_the_daily_patrol_chart_writes_its_dates_as_numbers_not_english_month_names():
    """A DATE column read as datetime.date objects still gets the dashboard's date ticks (10-04, never 'Oct 4')."""
    import datetime

    import pandas as pd

    from govdash import charts, grid_work

    days = [datetime.date(2026, 10, 1) + datetime.timedelta(days=i) for i in range(31)]
    fig = grid_work.daily_chart(pd.DataFrame({"day": days, "patrolled": [5] * 31, "grids": [6] * 31}))
    assert [s.value for s in fig.layout.xaxis.tickformatstops] == [s["value"] for s in charts.DATE_TICKS]
