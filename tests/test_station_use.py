"""Stations at work (issue 18 item 3): services per station, expected use, hours kept and 居村 coverage worked by
hand on literal rows; the demo's tables and the 四站一室 standard set."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from literal_cases import FEB, build_db

from govdash import queries_stations, station_use

# S1 (T1, 居村 C1, declares 错时延时), S2 (T2, C2), centre CT1 (T1); C3 (T2) has no station
EXTRA = [
    "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, residents) VALUES "
    "('C1', 'community', 'T1', 'T1', 'C1', '一居委', 1000), ('C2', 'community', 'T2', 'T2', 'C2', '二居委', 3000), "
    "('C3', 'community', 'T2', 'T2', 'C3', '三村', 500)",
    "INSERT INTO stations (station_id, name_zh, level, community_id, town_id, lon, lat, extended_hours) VALUES "
    "('S1', '一站', 'doorstep', 'C1', 'T1', 121.5, 31.2, true), ('S2', '二站', 'doorstep', 'C2', 'T2', 121.52, 31.2, "
    "false), ('CT1', '甲中心', 'centre', NULL, 'T1', 121.505, 31.205, true)",
    "INSERT INTO service_items VALUES ('I1', '法律咨询', 'Legal advice', 'basic', 'D01')",
    # February 2026: 1 Feb is a Sunday; S1 on Mon 2 Feb 10:00, Tue 3 Feb 18:30 and Sat 7 Feb (both out of
    # hours, one Monday-week); S2 on Wed 4 Feb 09:00; S2 again on 1 March (outside the period)
    "INSERT INTO station_services VALUES "
    "('S1', 'I1', 'basic', TIMESTAMP '2026-02-02 10:00', 2, 'x'), "
    "('S1', 'I1', 'basic', TIMESTAMP '2026-02-03 18:30', 1, 'x'), "
    "('S1', '助餐', 'baseline', TIMESTAMP '2026-02-07 10:00', 4, 'x'), "
    "('S2', '助餐', 'baseline', TIMESTAMP '2026-02-04 09:00', 5, 'x'), "
    "('S2', 'I1', 'basic', TIMESTAMP '2026-03-01 09:00', 9, 'x')",
    "INSERT INTO station_meetings VALUES ('hearing', 'S1', DATE '2026-02-10', '加装电梯', 30, 'x'), "
    "('review', 'S2', DATE '2026-02-20', '物业评议', 12, 'x'), ('coordination', 'S1', DATE '2026-03-05', '', 8, 'x')",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("ops") / "ops.duckdb", extra_sql=EXTRA)


def test_services_per_station_by_hand(db):
    act = queries_stations.station_activity(db, FEB).set_index("station_id")
    assert act.loc["S1"].to_dict() == {
        "services": 3,
        "served_residents": 7,
        "out_of_hours": 2,  # Tuesday 18:30 and Saturday
        "weeks_kept": 1,  # both in the week of Monday 2 February
        "hearing": 1,
        "coordination": 0,  # 5 March is outside February
        "review": 0,
    }
    assert act.loc["S2", ["services", "served_residents", "out_of_hours", "review"]].tolist() == [1, 5, 0, 1]
    assert act.loc["CT1", "services"] == 0
    only_t2 = queries_stations.station_activity(db, FEB.with_(towns=("T2",)))
    assert only_t2["station_id"].tolist() == ["S2"]
    assert queries_stations.station_activity(db, FEB.with_(scope=("T1",)))["station_id"].tolist() == ["CT1", "S1"]


def test_busiest_items_name_catalogued_items_and_keep_free_text(db):
    items = queries_stations.busiest_items(db, FEB, 10)
    assert items[["name_zh", "services", "served_residents"]].values.tolist() == [["法律咨询", 2, 3], ["助餐", 2, 9]]
    tiers = queries_stations.services_by_tier(db, FEB).set_index("tier")["services"].to_dict()
    assert tiers == {"baseline": 2, "basic": 2}


def test_expected_use_by_hand():
    activity = pd.DataFrame(
        {"station_id": ["S1", "S2", "CT1"], "level": ["doorstep", "doorstep", "centre"], "services": [3, 1, 0]}
    )
    served = pd.DataFrame({"station_id": ["S1", "S2", "CT1"], "residents": [1000.0, 3000.0, 0.0]})
    out = station_use.expected_use(activity, served, min_expected=0).set_index("station_id")
    # doorstep rate 4 services ÷ 4,000 residents: S1 expects 1, S2 3
    assert out.loc["S1", "expected"] == pytest.approx(1.0) and out.loc["S2", "expected"] == pytest.approx(3.0)
    assert out.loc["S1", "use_ratio"] == pytest.approx(3.0) and out.loc["S2", "use_ratio"] == pytest.approx(1 / 3)
    assert out["below"].tolist() == [False, True, False]  # the centre serves nobody: no expectation
    assert np.isnan(out.loc["CT1", "expected"])
    # S2 expected 3 services: under MIN_EXPECTED (10) that is chance, not under-use
    assert not station_use.expected_use(activity, served)["below"].any()


def test_hours_kept_by_weeks():
    assert station_use.weeks(date(2026, 2, 1), date(2026, 2, 28)) == 5  # Sunday 1 Feb opens a fifth week
    assert station_use.weeks(date(2026, 2, 2), date(2026, 2, 8)) == 1
    act = pd.DataFrame({"extended_hours": [True, True, False], "weeks_kept": [1, 3, 0]})
    assert station_use.hours_kept(act, date(2026, 2, 1), date(2026, 2, 28)).tolist() == [
        "not_kept",  # 1 of 5 weeks < 2.5
        "kept",
        "standard",
    ]
    assert station_use.hours_kept(act, date(2026, 2, 1), date(2026, 2, 28), share=0.2).iloc[0] == "kept"


def test_community_coverage_counts_communities_with_a_doorstep_station(db):
    per = queries_stations.community_coverage(db, FEB)
    assert per.set_index("community_id")["stations"].to_dict() == {"C1": 1, "C2": 1, "C3": 0}
    cov = station_use.community_coverage(per)
    assert cov == {"communities": 3, "with_station": 2, "share": pytest.approx(2 / 3), "residents_without": 500}
    assert (
        station_use.community_coverage(queries_stations.community_coverage(db, FEB.with_(towns=("T2",))))[
            "with_station"
        ]
        == 1
    )


def test_station_table_and_summary(db):
    listing = pd.DataFrame(
        {
            "station_id": ["CT1", "S1", "S2"],
            "level": ["centre", "doorstep", "doorstep"],
            "extended_hours": [True, True, False],
            "residents": [0.0, 1000.0, 3000.0],
        }
    )
    activity = queries_stations.station_activity(db, FEB)
    table = station_use.station_table(listing, activity, FEB.start, FEB.end, min_expected=0)
    assert table["hours"].tolist() == ["not_kept", "not_kept", "standard"]
    assert table["meetings"].tolist() == [0, 1, 1]
    head = station_use.summary(table)
    assert head == {
        "services": 4,
        "served_residents": 12,
        "stations": 3,
        "below": 1,
        "declared": 2,
        "kept": 0,
        "hearing": 1,
        "coordination": 0,
        "review": 1,
    }


def test_has_table_is_false_for_an_empty_or_missing_table(db, tmp_path):
    assert queries_stations.has_table(db, "station_services")
    assert not queries_stations.has_table(db, "estates")  # exists, empty


def test_the_demo_has_stations_at_work(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    try:
        n_items, names = con.execute("SELECT count(*), count(DISTINCT name_zh) FROM service_items").fetchone()
        assert (
            n_items == names == 147
            and not con.execute(
                "SELECT count(*) FROM service_items WHERE regexp_matches(name_zh, '（[0-9]+）$')"
            ).fetchone()[0]
        )  # no filler names such as 社保卡办理（3）
        tiers = dict(con.execute("SELECT tier, count(*) FROM service_items GROUP BY 1").fetchall())
        assert set(tiers) == {"baseline", "basic", "quality"}
        # 四站一室: every station has the four stations; the clinic room is missing only at the stated exceptions
        assert (
            con.execute(
                "SELECT count(*) FROM stations WHERE NOT (f_party AND f_gov AND f_culture AND f_joint)"
            ).fetchone()[0]
            == 0
        )
        odd = con.execute(
            "SELECT count(*) FROM stations WHERE NOT f_clinic AND NOT (station_id LIKE '%B' OR floor_area_m2 < 150)"
        ).fetchone()[0]
        share = con.execute("SELECT avg(f_clinic::INT) FROM stations").fetchone()[0]
        assert odd == 0 and share > 0.9
        services = con.execute(
            "SELECT count(*), count(DISTINCT station_id), min(residents) FROM station_services"
        ).fetchone()
        assert services[0] > 10_000 and services[1] > 1000 and services[2] >= 1
        unknown = con.execute(
            "SELECT count(*) FROM station_services v LEFT JOIN station_items si USING (station_id) "
            "WHERE si.item_id IS NULL"
        ).fetchone()[0]
        assert unknown == 0
        offered = con.execute(
            "SELECT count(*) FROM station_services v ANTI JOIN station_items si "
            "ON si.station_id = v.station_id AND si.item_id = v.item"
        ).fetchone()[0]
        assert offered == 0  # a station serves only the items it offers
        kinds = dict(con.execute("SELECT type, count(*) FROM station_meetings GROUP BY 1").fetchall())
        assert set(kinds) == {"hearing", "coordination", "review"} and kinds["coordination"] > kinds["hearing"]
        # standard-hours stations serve on weekdays 08:30-17:00 only
        assert not con.execute(
            f"SELECT count(*) FROM station_services v JOIN stations s USING (station_id) "
            f"WHERE NOT s.extended_hours AND {queries_stations.OUT_OF_HOURS}"
        ).fetchone()[0]
        estates = con.execute(
            "SELECT count(*), count(DISTINCT company_id), min(households) FROM estates e "
            "JOIN property_companies c USING (company_id)"
        ).fetchone()
        assert estates[0] > 500 and estates[1] > 10 and estates[2] >= 30
        cats = {r[0] for r in con.execute("SELECT subcategory FROM categories WHERE category = 'property'").fetchall()}
        assert {"elevator", "parking", "cleaning"} <= cats
    finally:
        con.close()


def test_the_directory_folds_to_fit_one_screen():
    listing = pd.DataFrame(
        {
            "f_party": [True, True],
            "f_gov": [True, True],
            "f_culture": [True, False],
            "f_joint": [True, True],
            "f_clinic": [True, False],
            "opening_hours": ["08:30-20:00", "09:00-17:00"],
            "extended_hours": [True, False],
            "baseline": [36, 20],
            "basic": [71, 30],
            "quality": [40, 0],
        }
    )
    zh = station_use.directory_view(listing, "zh")
    assert zh["functions"].tolist() == ["齐全", "缺文化、卫生室"]
    assert zh["tiers"].tolist() == ["36 / 71 / 40", "20 / 30 / 0"]
    assert zh["opening"].tolist() == ["08:30-20:00 · 错时延时", "09:00-17:00"]
    en = station_use.directory_view(listing.assign(hours="kept"), "en")  # hours kept shown apart: no mark
    assert en["functions"].tolist() == ["complete", "no Culture, Clinic"]
    assert en["opening"].tolist() == ["08:30-20:00", "09:00-17:00"]
