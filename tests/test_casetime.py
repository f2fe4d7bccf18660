"""Time per district (issue 16.7) and data-quality rules that scale down (16.9).

Expected values are worked out by hand from the fixtures' generators (tests/districts.py): qinhuai's first case
is reported 13 May 2026 09:00 in Nanjing, riverton's 2 March 2026 08:00 in Los Angeles (PST, UTC-8: DST starts
on 8 March 2026), i.e. 3 March 00:00 in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from govdash import queries, queries_trend
from govdash.db import writer
from govdash.filters import Filters
from govdash.ingest._cases import check_rows, placeholder_counts
from govdash.ingest._mapping import MappingError, apply_mapping, auto_formats, parse_mapping, parse_times
from tests import districts
from tests.literal_cases import build_db


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


QINHUAI = {
    "name": "qinhuai 12345",
    "time_format": "auto",
    "columns": {"case_id": "工单编号", "reported_at": "来电时间", "closed_at": "办结时间"},
    "coords": {"lon": "经度", "lat": "纬度", "crs": "gcj02"},
}
RIVERTON = {
    "name": "riverton 311",
    "time_format": "auto",
    "timezone": "America/Los_Angeles",
    "columns": {"case_id": "Unique Key", "reported_at": "Created Date", "closed_at": "Closed Date"},
    "coords": {"lon": "Longitude", "lat": "Latitude"},
}


def test_qinhuai_day_first_column_decided_from_all_its_values(tmp_path):
    fx = districts.qinhuai(tmp_path)
    raw = _csv(fx.files["cases"])
    assert auto_formats(raw["来电时间"], "来电时间")[0] == "%d/%m/%Y %H:%M"
    got = apply_mapping(raw, parse_mapping(QINHUAI), tz="Asia/Shanghai").cases
    # case k is reported 13 May 2026 09:00 + 11 h * k: 12/06 and 01/06 style dates (day <= 12) read day-first too
    want = [datetime(2026, 5, 13, 9) + pd.Timedelta(hours=11 * k) for k in range(24)]
    assert got["reported_at"].tolist() == want
    assert got.loc[23, "reported_at"] == datetime(2026, 5, 23, 22)  # 23 May: 253 h after 13 May 09:00
    assert got.loc[1, "closed_at"] == datetime(2026, 5, 14, 16)  # 20 h after 13 May 20:00


def test_riverton_month_first_am_pm_read_in_its_zone_and_stored_in_the_districts(tmp_path):
    fx = districts.riverton(tmp_path)
    raw = _csv(fx.files["cases"])
    assert auto_formats(raw["Created Date"], "Created Date")[0] == "%m/%d/%Y %I:%M:%S %p"
    m = parse_mapping(RIVERTON)
    local = apply_mapping(raw, m, tz="America/Los_Angeles").cases  # a Los Angeles district stores LA time
    assert local.loc[0, "reported_at"] == datetime(2026, 3, 2, 8)
    assert local.loc[2, "reported_at"] == datetime(2026, 3, 2, 22)  # 10:00:00 PM
    assert local.loc[1, "closed_at"] == datetime(2026, 3, 3, 21)  # 07 h + 30 h = 03/03 09:00:00 PM
    # case 20 is reported 2 March 08:00 + 140 h = 8 March 04:00 PDT (after 02:00 the clocks moved on)
    assert local.loc[20, "reported_at"] == datetime(2026, 3, 8, 4)
    shanghai = apply_mapping(raw, m, tz="Asia/Shanghai").cases  # the same file in a Shanghai district
    assert shanghai.loc[0, "reported_at"] == datetime(2026, 3, 3, 0)  # 08:00 PST = 16:00 UTC
    assert shanghai.loc[20, "reported_at"] == datetime(2026, 3, 8, 19)  # 04:00 PDT = 11:00 UTC
    # without a zone in the mapping, times are read in the district's
    m2 = parse_mapping({k: v for k, v in RIVERTON.items() if k != "timezone"})
    assert apply_mapping(raw, m2, tz="America/Los_Angeles").cases.loc[0, "reported_at"] == datetime(2026, 3, 2, 8)


def test_auto_refuses_an_ambiguous_column_naming_it():
    raw = pd.DataFrame({"id": ["1", "2", "3"], "When": ["05/03/2026 08:00", "06/04/2026 09:30", "01/02/2026 10:00"]})
    m = parse_mapping({"time_format": "auto", "columns": {"case_id": "id", "reported_at": "When"}})
    with pytest.raises(MappingError, match="'When'.*both day-first and month-first"):
        apply_mapping(raw, m)
    sure = parse_mapping({"time_format": "auto", "dayfirst": True, "columns": {"case_id": "id", "reported_at": "When"}})
    assert apply_mapping(raw, sure).cases["reported_at"].tolist() == [
        datetime(2026, 3, 5, 8),
        datetime(2026, 4, 6, 9, 30),
        datetime(2026, 2, 1, 10),
    ]
    # one day above 12 anywhere in the column decides it for every row
    raw.loc[3] = ["4", "13/03/2026 07:00"]
    assert apply_mapping(raw, m).cases["reported_at"].tolist()[::3] == [
        datetime(2026, 3, 5, 8),
        datetime(2026, 3, 13, 7),
    ]


def test_auto_mixes_seconds_iso_and_offsets_in_one_column():
    s = pd.Series(["12/31/2025 11:59 PM", "01/02/2026 01:02:03 AM", "2026-01-03 04:05", "2026-01-04T00:00:00Z", ""])
    got = parse_times(s, ("auto",), tz="UTC", store_tz="UTC")
    assert got.tolist()[:4] == [
        pd.Timestamp("2025-12-31 23:59"),
        pd.Timestamp("2026-01-02 01:02:03"),
        pd.Timestamp("2026-01-03 04:05"),
        pd.Timestamp("2026-01-04 00:00"),
    ]
    assert pd.isna(got[4])
    # an offset is converted to the district's zone: 00:00 UTC is 08:00 in Shanghai
    assert parse_times(pd.Series(["2026-01-04T00:00:00Z"]), ("auto",), tz="UTC")[0] == pd.Timestamp("2026-01-04 08:00")


# --- as of: the historical extract ---

WIDE = Filters(start=date(2025, 12, 1), end=date(2026, 12, 31))


@pytest.fixture
def extract(tmp_path):
    """The literal database as a historical extract: no declared as-of; its newest event is A06's report,
    28 March 2026 10:00 (every other time is earlier: A09 closed 5 March, A05 handled 21 March)."""
    build_db(tmp_path / "x.duckdb")
    with writer(tmp_path / "x.duckdb") as con:
        con.execute("DELETE FROM meta WHERE key = 'as_of'")
    from govdash.db import Database

    return Database(tmp_path / "x.duckdb")


def test_as_of_of_a_historical_extract_is_its_newest_event(extract, monkeypatch):
    monkeypatch.setenv("GOVDASH_AS_OF", "auto")
    monkeypatch.setattr(queries, "clock", lambda db: datetime(2026, 12, 4, 12))
    at = queries.as_of(extract)
    assert at == datetime(2026, 3, 28, 10)
    # open at that instant: A05 (deadline 25 March: overdue 3 days) and A06 (deadline 2 April: not yet)
    assert queries.kpis(extract, WIDE, at)["overdue"] == 1
    open_ = queries_trend.open_cases(extract, WIDE, at).set_index("case_id")
    assert open_.loc["A05", "overdue_days"] == pytest.approx(3.0)
    assert list(open_.index) == ["A05"]  # A06 is reported at that very instant: not yet open before it
    # forced to the clock, the same extract's open cases are overdue by most of a year
    monkeypatch.setenv("GOVDASH_AS_OF", "clock")
    at = queries.as_of(extract)
    assert at == datetime(2026, 12, 4, 12)
    assert queries.kpis(extract, WIDE, at)["overdue"] == 2
    assert queries_trend.open_cases(extract, WIDE, at).set_index("case_id").loc["A06", "overdue_days"] > 240


def test_as_of_is_the_clock_for_live_data_and_the_data_when_forced(extract, monkeypatch):
    monkeypatch.setattr(queries, "clock", lambda db: datetime(2026, 3, 29, 9))  # 23 h after the newest event
    assert queries.as_of(extract) == datetime(2026, 3, 29, 9)
    monkeypatch.setenv("GOVDASH_AS_OF", "data")
    assert queries.as_of(extract) == datetime(2026, 3, 28, 10)
    monkeypatch.setenv("GOVDASH_AS_OF", "soon")
    with pytest.raises(ValueError, match="GOVDASH_AS_OF"):
        queries.as_of(extract)


# --- data quality rules that scale down ---


def _points(counts: list[int]) -> pd.DataFrame:
    """Cases at distinct Pudong points, ``counts[i]`` rows at point i."""
    lon = np.repeat(121.50 + 0.001 * np.arange(len(counts)), counts)
    n = len(lon)
    return pd.DataFrame(
        {
            "case_id": [f"C{i}" for i in range(n)],
            "reported_at": pd.Timestamp("2026-01-01"),
            "lon": lon,
            "lat": np.full(n, 31.20),
        }
    )


def _placeholder_rows(df: pd.DataFrame) -> int:
    rule = [
        i
        for i in check_rows(df, times=(pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01")))
        if i[1] == "coords_placeholder"
    ]
    return int(rule[0][3].sum())


def test_a_geocoders_default_point_is_flagged_on_a_small_file():
    # 100 rows: one point on 19 of them (19 % > 5 %, 19 > 10 x 1), 81 distinct points
    assert _placeholder_rows(_points([19] + [1] * 81)) == 19
    # the same shares a hundred times larger: flagged all the same
    assert _placeholder_rows(_points([1900] + [1] * 8100)) == 1900
    # two defaults (a city centre and a district centre) above the gap are both flagged
    assert _placeholder_rows(_points([19, 12] + [1] * 69)) == 31
    # a busy real place is no placeholder: 19 rows, but the next point has 2 (19 < 10 x 2)
    assert _placeholder_rows(_points([19, 2] + [1] * 79)) == 0
    # nor one that is common but under 5 % of the rows
    assert _placeholder_rows(_points([4] + [1] * 96)) == 0


def test_placeholder_counts_by_hand():
    key = np.array([7] * 11 + [1, 2, 3, 4, -1])
    located = key >= 0
    # 11 of 15 located rows at key 7 (73 % > 5 %, 11 >= 5, 11 > 10 x 1): those eleven rows, 11 each
    assert placeholder_counts(key, located).tolist() == [11] * 11 + [0] * 5
    # 10 rows at one point and one at another: 10 is not more than 10 x 1
    assert placeholder_counts(key[1:], located[1:]).tolist() == [0] * 15
    assert placeholder_counts(key[7:], located[7:]).tolist() == [0] * 9  # 4 rows at key 7: under the floor of 5
    assert placeholder_counts(key[:11], located[:11]).tolist() == [0] * 11  # one point only: no other to compare


def test_units_without_an_id_column_name_the_columns_they_have(tmp_path):
    import json

    from govdash import ingest
    from govdash.ingest._readers import ValidationError

    ring = [[121.5, 31.2], [121.51, 31.2], [121.51, 31.21], [121.5, 31.21], [121.5, 31.2]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"NAME": "Westfield", "AREA_SQMI": 3.1},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path = tmp_path / "boroughs.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"no unit_id column.*the file has: NAME, AREA_SQMI"):
        ingest.run("units", tmp_path / "u.duckdb", path, level="town")


# --- cases located by attribute (16.4) ---

RIVERTON_AREA = """
name = "riverton 311"
timezone = "America/Los_Angeles"
time_format = "auto"
[columns]
case_id = "Unique Key"
reported_at = "Created Date"
closed_at = "Closed Date"
status = "Status"
category = "Complaint Type"
[coords]
lon = "Longitude"
lat = "Latitude"
[area]
town = "Borough"
[values.status]
Open = "registered"
Closed = "resolved"
[checks]
warn = ["category_unknown"]
"""


def _riverton_db(tmp_path):
    from govdash import cli

    fx = districts.riverton(tmp_path / "files")
    db = tmp_path / "riverton.duckdb"
    assert (
        cli.main(["init", "--db", str(db), "--name", "里弗顿", "--name-en", "Riverton", "--timezone", fx.timezone]) == 0
    )
    for level, key in (("town", "towns"), ("community", "communities")):
        assert cli.main(["import", "units", str(fx.files[key]), "--db", str(db), "--level", level]) == 0
    (tmp_path / "m.toml").write_text(RIVERTON_AREA, encoding="utf-8")
    return fx, db, tmp_path / "m.toml"


def test_riverton_cases_located_by_borough_count_for_their_town(tmp_path):
    import duckdb

    from govdash import ingest

    fx, db, mapping = _riverton_db(tmp_path)
    rep = ingest.run("cases", db, fx.files["cases"], mapping=mapping)
    assert rep.status == "loaded" and rep.failed == 0 and rep.inserted == 40
    assert rep.located_by_area == 10 and rep.outside_units == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        towns = dict(con.execute("SELECT town_id, count(*) FROM cases GROUP BY 1").fetchall())
        unlocated = con.execute(
            "SELECT town_id, count(*), count(community_id), count(lon) FROM cases "
            "WHERE case_id >= 'LA0030' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        first = con.execute("SELECT reported_at FROM cases WHERE case_id = 'LA0000'").fetchone()[0]
        tz = con.execute("SELECT timezone FROM district").fetchone()[0]
    finally:
        con.close()
    # 15 points in each borough; by name: LA0030-LA0036 Westfield (B1), LA0037-LA0039 Eastbrook (B2)
    assert towns == {"B1": 22, "B2": 18} == fx.cases_by_town
    assert unlocated == [("B1", 7, 0, 0), ("B2", 3, 0, 0)]  # no community, no point
    assert tz == "America/Los_Angeles" and first == datetime(2026, 3, 2, 8)  # stored in the district's zone


def test_a_borough_that_is_not_a_town_is_a_row_error_naming_the_value(tmp_path):
    from govdash import ingest

    fx, db, mapping = _riverton_db(tmp_path)
    text = fx.files["cases"].read_text(encoding="utf-8").replace(",Eastbrook,", ",Eastbrok,")
    bad = tmp_path / "typo.csv"
    bad.write_text(text, encoding="utf-8")
    rep = ingest.run("cases", db, bad, mapping=mapping)
    assert rep.status == "rejected" and rep.failed == 3
    err = rep.errors[rep.errors["rule"] == "area_unknown"]
    assert err["row"].tolist() == [39, 40, 41] and set(err["value"]) == {"Eastbrok"}
    assert set(err["field"]) == {"Borough"} and set(err["reason"]) == {"no town with this name or id"}
    # the ids and English names are matched too, any case: "b2" and "EASTBROOK" both name Eastbrook
    text = fx.files["cases"].read_text(encoding="utf-8").replace(",Eastbrook,", ",b2,", 1)
    ok = tmp_path / "ids.csv"
    ok.write_text(text.replace(",Westfield,", ",WESTFIELD,"), encoding="utf-8")
    assert ingest.run("cases", db, ok, mapping=mapping).located_by_area == 10
