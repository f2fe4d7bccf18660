"""Indicator definitions of govdash.queries on a tiny literal database with hand-computed answers."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest
import shapely

from govdash import filters, queries, queries_trend
from govdash.db import Database, writer
from govdash.filters import FilterError, Filters
from govdash.indicators import fmt

AS_OF = datetime(2026, 3, 31, 12, 0)
ALL = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
INJECTION = "x' OR 1=1 --"


def _box(x0: float, y0: float, x1: float, y1: float) -> bytes:
    """A square-ish WGS-84 polygon as WKB."""
    return shapely.box(x0, y0, x1, y1).wkb


# unit_id, level, parent_id, town_id, community_id, name_zh, residents, polygon
UNITS = [
    ("T1", "town", None, "T1", None, "甲街道", 1000, _box(121.50, 31.20, 121.51, 31.21)),
    ("T2", "town", None, "T2", None, "乙镇", 500, _box(121.51, 31.20, 121.52, 31.21)),
    ("T3", "town", None, "T3", None, "丙镇", 0, _box(121.52, 31.20, 121.53, 31.21)),  # no cases at all
    ("C1", "community", "T1", "T1", "C1", "甲居委", 1000, _box(121.50, 31.20, 121.51, 31.21)),
    ("C2", "community", "T2", "T2", "C2", "乙村", 500, _box(121.51, 31.20, 121.52, 31.21)),
    ("C3", "community", "T3", "T3", "C3", "丙村", 0, _box(121.52, 31.20, 121.53, 31.21)),
    ("G1", "grid", "C1", "T1", "C1", "甲居委第1网格", 600, _box(121.50, 31.20, 121.505, 31.21)),
    ("G2", "grid", "C1", "T1", "C1", "甲居委第2网格", 400, _box(121.505, 31.20, 121.51, 31.21)),
    ("G3", "grid", "C2", "T2", "C2", "乙村第1网格", 500, _box(121.51, 31.20, 121.52, 31.21)),
    ("G4", "grid", "C3", "T3", "C3", "丙村第1网格", 0, _box(121.52, 31.20, 121.53, 31.21)),
]

D = datetime
# case_id, grid, category, channel, department, reported, deadline, closed, status, resolved, recognised, satisfaction
CASES = [
    (
        "K01",
        "G1",
        "noise",
        "hotline_12345",
        "D01",
        D(2026, 1, 5, 8),
        D(2026, 1, 8, 8),
        D(2026, 1, 6, 8),
        "closed",
        True,
        True,
        90.0,
    ),  # 24 h, on time
    (
        "K02",
        "G1",
        "noise",
        "grid_patrol",
        "D01",
        D(2026, 1, 10, 10),
        D(2026, 1, 12, 10),
        D(2026, 1, 12, 10),
        "closed",
        True,
        True,
        80.0,
    ),  # 48 h, closed exactly at the deadline: on time
    (
        "K03",
        "G2",
        "garbage",
        "hotline_12345",
        "D02",
        D(2026, 1, 30, 9),
        D(2026, 1, 31, 9),
        D(2026, 2, 1, 9),
        "closed",
        True,
        False,
        60.0,
    ),  # 48 h, late; open at the end of January
    (
        "K04",
        "G2",
        "garbage",
        "walk_in",
        "D02",
        D(2026, 2, 3, 9),
        D(2026, 2, 5, 9),
        D(2026, 2, 4, 21),
        "closed",
        False,
        None,
        None,
    ),  # 36 h, on time, closed unresolved
    (
        "K05",
        "G1",
        "noise",
        "hotline_12345",
        "D01",
        D(2026, 2, 14, 12),
        D(2026, 2, 16, 12),
        D(2026, 2, 15, 0),
        "closed",
        True,
        True,
        None,
    ),  # 12 h
    (
        "K06",
        "G1",
        "garbage",
        "app",
        "D02",
        D(2026, 3, 1, 8),
        D(2026, 3, 3, 8),
        D(2026, 3, 3, 8, 0, 1),
        "closed",
        True,
        True,
        None,
    ),  # one second late
    (
        "K07",
        "G2",
        "noise",
        "hotline_12345",
        "D01",
        D(2026, 3, 20, 10),
        D(2026, 3, 25, 10),
        None,
        "handling",
        None,
        None,
        None,
    ),  # open, overdue at AS_OF
    (
        "K08",
        "G3",
        "noise",
        "hotline_12345",
        "D01",
        D(2026, 3, 28, 10),
        D(2026, 4, 2, 10),
        None,
        "registered",
        None,
        None,
        None,
    ),  # open, overdue only after 2 April
    (
        "K09",
        "G3",
        "garbage",
        "grid_patrol",
        "D02",
        D(2026, 1, 15, 10),
        D(2026, 1, 20, 10),
        D(2026, 1, 17, 10),
        "closed",
        True,
        True,
        None,
    ),  # 48 h
    (
        "K10",
        "G3",
        "noise",
        "hotline_12345",
        "D03",
        D(2026, 2, 20, 10),
        D(2026, 2, 22, 10),
        D(2026, 2, 21, 10),
        "closed",
        True,
        True,
        100.0,
    ),  # 24 h
    (
        "K11",
        "G3",
        "garbage",
        "walk_in",
        "D03",
        D(2026, 3, 10, 10),
        D(2026, 3, 11, 10),
        D(2026, 3, 14, 10),
        "closed",
        True,
        False,
        None,
    ),  # 96 h, late
    (
        "K12",
        "G3",
        "noise",
        "camera_iot",
        "D02",
        D(2026, 3, 30, 9),
        D(2026, 4, 5, 9),
        None,
        "dispatched",
        None,
        None,
        None,
    ),  # open
]
GRID_PARENT = {"G1": ("C1", "T1"), "G2": ("C1", "T1"), "G3": ("C2", "T2")}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Database:
    """The literal database: 3 towns, 4 grids, 12 cases in January–March 2026."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    with writer(path) as con:
        con.execute("INSERT INTO meta VALUES ('as_of', '2026-03-31 12:00:00'), ('synthetic', 'true')")
        for u in UNITS:
            con.execute(
                "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, residents, "
                "geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                list(u),
            )
        con.execute(
            "INSERT INTO departments VALUES ('D01', '城管', 'Urban'), ('D02', '建交委', 'Works'), "
            "('D03', '环境', 'Ecology')"
        )
        con.execute(
            "INSERT INTO categories VALUES ('noise', 'neighbour', '邻里噪声', 'Neighbour noise', 'D03', 3), "
            "('garbage', 'bulky', '大件垃圾', 'Bulky waste', 'D13', 3)"
        )
        for c in CASES:
            cid, grid, cat, ch, dept, rep, dl, closed, status, res, rec, sat = c
            com, town = GRID_PARENT[grid]
            con.execute(
                "INSERT INTO cases (case_id, grid_id, community_id, town_id, category, subcategory, channel, "
                "department_id, reported_at, deadline_at, closed_at, status, resolved, recognised, "
                "satisfaction, lon, lat) VALUES (?, ?, ?, ?, ?, 'x', ?, ?, ?, ?, ?, ?, ?, ?, ?, 121.5, 31.2)",
                [cid, grid, com, town, cat, ch, dept, rep, dl, closed, status, res, rec, sat],
            )
    database = Database(path)
    yield database
    database.close()


def _ids(df: pd.DataFrame) -> list[str]:
    return df["case_id"].tolist()


# --- the indicator definitions ---


def test_headline_indicators(db):
    k = queries.kpis(db, ALL, AS_OF)
    assert (k["collected"], k["resolved"], k["closed"], k["recognised"], k["open"]) == (12, 8, 9, 6, 3)
    assert k["resolution_rate"] == pytest.approx(8 / 12)  # resolved ÷ collected
    assert k["recognition_rate"] == pytest.approx(6 / 8)  # recognised ÷ resolved
    assert k["satisfaction"] == pytest.approx((90 + 80 + 60 + 100) / 4)


def test_on_time_rate_counts_deadline_equality_as_on_time(db):
    k = queries.kpis(db, ALL, AS_OF)
    # on time: K01, K02 (exactly at the deadline), K04, K05, K09, K10; late: K03, K06 (by 1 s), K11
    assert k["closed_on_time"] == 6
    assert k["on_time_rate"] == pytest.approx(6 / 9)
    k02 = queries.kpis(db, ALL.with_(start=date(2026, 1, 10), end=date(2026, 1, 10)), AS_OF)
    assert (k02["collected"], k02["on_time_rate"]) == (1, 1.0)
    k06 = queries.kpis(db, ALL.with_(start=date(2026, 3, 1), end=date(2026, 3, 1)), AS_OF)
    assert (k06["collected"], k06["on_time_rate"]) == (1, 0.0)


@pytest.mark.parametrize(
    "at, overdue",
    [
        (datetime(2026, 3, 25, 10), 0),  # deadline of K07 exactly: not yet overdue
        (datetime(2026, 3, 25, 10, 0, 1), 1),
        (AS_OF, 1),
        (datetime(2026, 4, 3), 2),  # K08 too
        (datetime(2026, 4, 6), 3),  # and K12
    ],
)
def test_open_and_overdue_as_of(db, at, overdue):
    k = queries.kpis(db, ALL, at)
    assert k["open"] == 3
    assert k["overdue"] == overdue


def test_median_hours_to_close(db):
    # closed: 24, 48, 48, 36, 12, 48 h + 1 s, 48, 24, 96 → median 48
    assert queries.kpis(db, ALL, AS_OF)["median_hours"] == pytest.approx(48.0)
    # T1: 12, 24, 36, 48, 48, 48.0003 → mean of the middle two
    assert queries.kpis(db, ALL.with_(towns=("T1",)), AS_OF)["median_hours"] == pytest.approx(42.0)


def test_meta_as_of(db):
    assert queries.as_of(db) == AS_OF
    assert queries.date_range(db) == (date(2026, 1, 5), date(2026, 3, 30))


@pytest.mark.parametrize(
    "f",
    [
        ALL.with_(start=date(2025, 1, 1), end=date(2025, 1, 31)),  # no case in the period
        ALL.with_(towns=("T3",)),  # a town without cases
        ALL.with_(categories=("no_such_category",)),
    ],
    ids=["period", "town", "category"],
)
def test_empty_selection_gives_nan_and_dash(db, f):
    k = queries.kpis(db, f, AS_OF)
    assert k["collected"] == 0 and k["open"] == 0 and k["overdue"] == 0
    for key in ("resolution_rate", "on_time_rate", "recognition_rate", "median_hours", "satisfaction"):
        assert k[key] is None or math.isnan(k[key]), key
        assert fmt(k[key], key) == "—"
    assert fmt(k["collected"], "collected") == "0"
    assert queries.trend(db, f, "month", AS_OF).empty
    assert queries_trend.open_backlog(db, f, "month", AS_OF)["backlog"].sum() == 0
    assert queries.case_count(db, f) == 0
    assert queries.cases_page(db, f).empty


def test_fmt():
    assert fmt(8 / 12, "resolution_rate") == "66.7%"
    assert fmt(42.0, "median_hours") == "42.0"
    assert fmt(12345, "collected") == "12,345"
    assert fmt(None, "collected") == "—"
    assert fmt(float("nan"), "satisfaction") == "—"


# --- filters ---


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"towns": ("T1",)}, ["K01", "K02", "K03", "K04", "K05", "K06", "K07"]),
        ({"towns": ("T2",)}, ["K08", "K09", "K10", "K11", "K12"]),
        ({"towns": ("T1", "T2")}, [c[0] for c in CASES]),
        ({"communities": ("C2",)}, ["K08", "K09", "K10", "K11", "K12"]),
        ({"grids": ("G2",)}, ["K03", "K04", "K07"]),
        ({"grids": ("G1", "G2")}, ["K01", "K02", "K03", "K04", "K05", "K06", "K07"]),
        ({"categories": ("garbage",)}, ["K03", "K04", "K06", "K09", "K11"]),
        ({"channels": ("grid_patrol",)}, ["K02", "K09"]),
        ({"channels": ("walk_in", "app")}, ["K04", "K06", "K11"]),
        ({"departments": ("D03",)}, ["K10", "K11"]),
        ({"departments": ("D02",)}, ["K03", "K04", "K06", "K09", "K12"]),
        ({"towns": ("T2",), "categories": ("garbage",)}, ["K09", "K11"]),
        ({"start": date(2026, 2, 1), "end": date(2026, 2, 28)}, ["K04", "K05", "K10"]),
        ({"start": date(2026, 3, 28), "end": date(2026, 3, 28)}, ["K08"]),  # end day is inclusive
        ({"start": date(2026, 3, 29), "end": date(2026, 3, 29)}, []),
    ],
)
def test_filters_restrict(db, change, expected):
    f = ALL.with_(**change)
    got = queries.cases_page(db, f, order="oldest", limit=100)
    assert sorted(_ids(got)) == sorted(expected)
    assert queries.case_count(db, f) == len(expected)
    assert queries.kpis(db, f, AS_OF)["collected"] == len(expected)


def test_town_figures(db):
    t1 = queries.kpis(db, ALL.with_(towns=("T1",)), AS_OF)
    assert (
        t1["collected"],
        t1["resolved"],
        t1["closed"],
        t1["closed_on_time"],
        t1["recognised"],
        t1["open"],
        t1["overdue"],
    ) == (7, 5, 6, 4, 4, 1, 1)
    t2 = queries.kpis(db, ALL.with_(towns=("T2",)), AS_OF)
    assert (
        t2["collected"],
        t2["resolved"],
        t2["closed"],
        t2["closed_on_time"],
        t2["recognised"],
        t2["open"],
        t2["overdue"],
    ) == (5, 3, 3, 2, 2, 2, 0)
    assert t2["resolution_rate"] == pytest.approx(3 / 5)
    assert t2["satisfaction"] == pytest.approx(100.0)


# --- per unit, per period ---

COUNTS = ("collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue")


@pytest.mark.parametrize("level, n_units", [("town", 3), ("community", 3), ("grid", 4)])
@pytest.mark.parametrize(
    "f",
    [ALL, ALL.with_(categories=("noise",)), ALL.with_(channels=("hotline_12345",))],
    ids=["all", "noise", "hotline"],
)
def test_unit_stats_sum_to_district(db, level, n_units, f):
    stats = queries.unit_stats(db, f, level, AS_OF)
    assert len(stats) == n_units
    total = queries.kpis(db, f, AS_OF)
    for c in COUNTS:
        assert stats[c].sum() == total[c], c


def test_unit_stats_values(db):
    towns = queries.unit_stats(db, ALL, "town", AS_OF).set_index("unit_id")
    assert towns.loc["T1", "collected"] == 7 and towns.loc["T2", "collected"] == 5
    assert towns.loc["T1", "resolution_rate"] == pytest.approx(5 / 7)
    assert towns.loc["T1", "on_time_rate"] == pytest.approx(4 / 6)
    assert towns.loc["T2", "cases_per_1000"] == pytest.approx(10.0)  # 5 cases, 500 residents
    # a town without cases is listed with zero counts and NaN rates, not dropped and not an error
    assert towns.loc["T3", "collected"] == 0
    assert math.isnan(towns.loc["T3", "resolution_rate"]) and math.isnan(towns.loc["T3", "cases_per_1000"])
    grids = queries.unit_stats(db, ALL, "grid", AS_OF).set_index("unit_id")
    assert grids["collected"].to_dict() == {"G1": 4, "G2": 3, "G3": 5, "G4": 0}


def test_unit_stats_area_follows_selection(db):
    assert queries.unit_stats(db, ALL.with_(towns=("T1",)), "community", AS_OF)["unit_id"].tolist() == ["C1"]
    assert queries.unit_stats(db, ALL.with_(towns=("T1",)), "grid", AS_OF)["unit_id"].tolist() == ["G1", "G2"]
    assert queries.unit_geometries(db, "grid", ALL.with_(communities=("C1",)))["unit_id"].tolist() == ["G1", "G2"]
    geoms = queries.unit_geometries(db, "town")
    assert shapely.from_wkb(geoms["geom"].map(bytes).tolist())[0].equals(shapely.box(121.50, 31.20, 121.51, 31.21))


def test_busiest_units_counts_in_order_with_ties_and_empty_units(db):
    top = queries.busiest_units(db, ALL, "grid", 3)
    assert top[["unit_id", "collected"]].values.tolist() == [["G3", 5], ["G1", 4], ["G2", 3]]
    assert top.set_index("unit_id").loc["G3", "cases_per_1000"] == pytest.approx(10.0)  # 5 cases, 500 residents
    # a grid without cases is listed (at the end), and the area and case filters both apply
    assert queries.busiest_units(db, ALL, "grid", 10)["unit_id"].tolist() == ["G3", "G1", "G2", "G4"]
    noise = queries.busiest_units(db, ALL.with_(towns=("T1",), categories=("noise",)), "grid")
    assert noise[["unit_id", "collected"]].values.tolist() == [["G1", 3], ["G2", 1]]
    # the counts are unit_stats' counts
    stats = queries.unit_stats(db, ALL, "grid", AS_OF, quantiles=False).set_index("unit_id")["collected"]
    assert queries.busiest_units(db, ALL, "grid").set_index("unit_id")["collected"].to_dict() == stats.to_dict()


def test_trend_per_month(db):
    tr = queries.trend(db, ALL, "month", AS_OF)
    assert [p.month for p in pd.to_datetime(tr["period"])] == [1, 2, 3]
    assert tr["collected"].tolist() == [4, 3, 5]
    assert tr["resolved"].tolist() == [4, 2, 2]
    assert tr["resolution_rate"].tolist() == pytest.approx([1.0, 2 / 3, 2 / 5])
    split = queries.trend(db, ALL, "month", AS_OF, split="town")
    assert split.groupby("series")["collected"].sum().to_dict() == {"T1": 7, "T2": 5}
    assert split["collected"].sum() == 12


# --- the case table ---

OLDEST = ["K01", "K02", "K09", "K03", "K04", "K05", "K10", "K06", "K11", "K07", "K08", "K12"]


def test_cases_page_ordering_and_paging(db):
    assert _ids(queries.cases_page(db, ALL, order="oldest")) == OLDEST
    assert _ids(queries.cases_page(db, ALL, order="newest")) == OLDEST[::-1]
    assert _ids(queries.cases_page(db, ALL, order="overdue", limit=3)) == ["K01", "K02", "K09"]
    pages = [_ids(queries.cases_page(db, ALL, order="oldest", offset=o, limit=5)) for o in (0, 5, 10, 15)]
    assert pages == [OLDEST[:5], OLDEST[5:10], OLDEST[10:], []]
    cols = queries.cases_page(db, ALL, limit=1, columns=("case_id", "status", "not_a_column; DROP TABLE cases"))
    assert list(cols.columns) == ["case_id", "status"]
    assert queries.case_detail(db, "K07")["status"].tolist() == ["handling"]


# --- hostile input ---


@pytest.mark.parametrize("name", filters.names())
def test_injection_strings_are_plain_values(db, name):
    f = ALL.with_(**{name: (INJECTION,)})
    assert queries.kpis(db, f, AS_OF)["collected"] == 0
    assert queries.cases_page(db, f).empty
    assert queries.case_count(db, f) == 0
    assert queries.unit_stats(db, f, "town", AS_OF)["collected"].sum() == 0
    assert queries.trend(db, f, "month", AS_OF).empty
    assert queries.case_detail(db, INJECTION).empty
    assert queries.case_count(db, ALL) == 12  # nothing was dropped


@pytest.mark.parametrize("param", ["town", "community", "grid", "cat", "channel", "dept"])
def test_from_params_rejects_injection(param):
    with pytest.raises(FilterError, match=param):
        filters.from_params({param: [INJECTION]}, ALL)
