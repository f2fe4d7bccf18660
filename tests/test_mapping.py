import numpy as np
import pandas as pd
import pytest

from govdash.ingest import _coords as coords
from govdash.ingest._mapping import (
    MappingError,
    apply_mapping,
    builtin_mappings,
    detect_mapping,
    load_mapping,
    parse_mapping,
    parse_times,
)


def _rules(mapped):
    """{rule: [row positions]} of the issues that hit any row."""
    return {rule: np.flatnonzero(mask).tolist() for _, rule, _, mask in mapped.issues if mask.any()}


def test_shipped_mappings_all_load():
    names = set(builtin_mappings())
    assert {"govdash", "open311", "12345"} <= names
    for name in names:
        m = load_mapping(name)
        assert {"case_id", "reported_at"} <= set(m.columns)


@pytest.mark.parametrize(
    "doc, words",
    [
        ({"columns": {"case_id": "a", "reported_at": "b"}, "colour": 1}, "unknown keys"),
        ({"columns": {"case_idx": "a"}}, "unknown case fields"),
        ({"columns": {"case_id": "a"}, "values": {"status": {"x": "done"}}}, "targets"),
        ({"columns": {"case_id": "a"}, "timezone": "Mars/Olympus"}, "time zone"),
        ({"columns": {"case_id": "a"}, "coords": {"lon": "x"}}, "lon and lat"),
        ({"columns": {"case_id": "a"}, "coords": {"lon": "x", "lat": "y", "crs": "nad27ish"}}, "CRS"),
        ({"columns": {"case_id": "a"}, "checks": {"warn": ["nonsense"]}}, "unknown rules"),
    ],
)
def test_bad_mappings_say_what_is_wrong(doc, words):
    with pytest.raises(MappingError, match=words):
        parse_mapping(doc)


def test_load_mapping_missing_file_names_the_shipped_ones(tmp_path):
    with pytest.raises(MappingError, match="open311"):
        load_mapping(tmp_path / "nope.toml")


def test_detect_mapping_by_columns():
    assert detect_mapping(["工单编号", "来电时间", "问题描述"]).name == "12345 work-order export"
    assert detect_mapping(["service_request_id", "requested_datetime"]).name.startswith("Open311")
    assert detect_mapping(["case_id", "reported_at"]).name == "govdash native"
    with pytest.raises(MappingError, match="no shipped mapping"):
        detect_mapping(["foo", "bar"])


def test_parse_times_formats_and_zones():
    s = pd.Series(["03/05/2024 02:30:00 PM", "12/31/2023 11:59:59 PM", "", "13/45/2024 01:00:00 AM"])
    got = parse_times(s, ("%m/%d/%Y %I:%M:%S %p",), tz="America/New_York")
    # 14:30 EST (UTC-5) = 19:30 UTC = 03:30 next day in Shanghai
    assert got[0] == pd.Timestamp("2024-03-06 03:30:00")
    assert got[1] == pd.Timestamp("2024-01-01 12:59:59")
    assert pd.isna(got[2]) and pd.isna(got[3])


def test_parse_times_offsets_win_over_the_default_zone():
    s = pd.Series(["2024-03-05T10:00:00Z", "2024-03-05T10:00:00+08:00", "2024-03-05 10:00:00"])
    got = parse_times(s, ("ISO8601",), tz="UTC")
    assert got.tolist() == [
        pd.Timestamp("2024-03-05 18:00"),
        pd.Timestamp("2024-03-05 10:00"),
        pd.Timestamp("2024-03-05 18:00"),
    ]


def test_parse_times_dayfirst_auto_and_fallback_to_iso():
    got = parse_times(pd.Series(["05/03/2024 08:00", "2024-03-06 09:00"]), ("auto",), dayfirst=True)
    assert got.tolist() == [pd.Timestamp("2024-03-05 08:00"), pd.Timestamp("2024-03-06 09:00")]
    got = parse_times(pd.Series(["2024/3/5 8:00", "2024-03-06T09:00:00"]), ("%Y/%m/%d %H:%M",))
    assert got.tolist() == [pd.Timestamp("2024-03-05 08:00"), pd.Timestamp("2024-03-06 09:00")]


def test_parse_times_of_typed_datetimes_localises():
    s = pd.Series(pd.to_datetime(["2024-03-05 10:00"]))
    assert parse_times(s, tz="UTC")[0] == pd.Timestamp("2024-03-05 18:00")
    assert parse_times(s)[0] == pd.Timestamp("2024-03-05 10:00")


@pytest.fixture
def open311():
    return load_mapping("open311")


def test_open311_status_values_are_case_insensitive_and_set_resolved(open311):
    raw = pd.DataFrame(
        {
            "service_request_id": ["1", "2", "3", "4", "5"],
            "status": ["Open", "CLOSED", "in_progress", "Duplicate", "archived?"],
            "requested_datetime": ["2024-03-05T10:00:00-08:00"] * 5,
            "updated_datetime": ["2024-03-06T10:00:00Z"] * 5,
            "lat": ["31.2"] * 5,
            "long": ["121.5"] * 5,
        }
    )
    r = apply_mapping(raw, open311)
    assert r.cases["status"].tolist()[:4] == ["registered", "closed", "handling", "closed"]
    assert r.cases["resolved"].tolist()[:4] == [False, True, False, False]
    # closed_at only for closed requests: an open request's updated_datetime is not a closing time
    assert r.cases["closed_at"].isna().tolist()[:4] == [True, False, True, False]
    assert _rules(r)["status_unknown"] == [4]
    assert r.cases["reported_at"][0] == pd.Timestamp("2024-03-06 02:00")  # -08:00 -> +08:00
    assert r.cases["channel"].tolist() == ["app"] * 5


def test_open311_null_and_zero_coordinates(open311):
    raw = pd.DataFrame(
        {
            "service_request_id": ["1", "2", "3", "4"],
            "requested_datetime": ["2024-03-05T10:00:00"] * 4,
            "lat": [None, "0", "null", "abc"],
            "long": [None, "0.0", "null", "121.5"],
        }
    )
    r = apply_mapping(raw, open311)
    rules = _rules(r)
    assert rules["coords_missing"] == [0, 2]
    assert rules["coords_zero"] == [1]
    assert rules["coords_invalid"] == [3]
    assert r.cases["lon"].isna().all()
    assert "address" in r.absent  # optional columns may be missing


def test_missing_id_column_is_a_mapping_error(open311):
    with pytest.raises(MappingError, match="service_request_id"):
        apply_mapping(pd.DataFrame({"id": ["1"]}), open311)


def _one(doc_extra, raw, **kw):
    doc = {**doc_extra, "columns": {"case_id": "id", "reported_at": "t", **doc_extra.get("columns", {})}}
    raw = {"id": ["A", "B"], "t": ["2024-03-05 10:00:00"] * 2, **raw}
    return apply_mapping(pd.DataFrame(raw), parse_mapping(doc), **kw)


def test_pair_column_lat_lon_string():
    r = _one({"coords": {"pair": "loc"}}, {"loc": ["(31.2, 121.5)", "31.3,121.6"]})
    assert r.cases["lon"].tolist() == [121.5, 121.6]
    assert r.cases["lat"].tolist() == [31.2, 31.3]


def test_xy_in_a_projected_crs():
    r = _one({"coords": {"x": "X", "y": "Y", "crs": "EPSG:32651"}}, {"X": ["500000", "500000"], "Y": ["0", "0"]})
    assert r.cases["lon"].tolist() == pytest.approx([123.0, 123.0])


def test_gcj02_coordinates_converted_and_crs_override():
    glon, glat = coords.wgs84_to_gcj02(121.5, 31.2)
    raw = {"x": [str(glon)] * 2, "y": [str(glat)] * 2}
    r = _one({"coords": {"lon": "x", "lat": "y", "crs": "gcj02"}}, raw)
    assert r.cases["lon"][0] == pytest.approx(121.5, abs=1e-7)
    r = _one({"coords": {"lon": "x", "lat": "y"}}, raw, crs="gcj02")
    assert r.cases["lat"][0] == pytest.approx(31.2, abs=1e-7)


def test_value_maps_categories_departments_and_flags():
    doc = {
        "columns": {"category": "cat", "resolved": "ok", "satisfaction": "sat"},
        "values": {"category": {"Noise Complaint": "noise"}, "satisfaction": {"满意": 100, "不满意": 0}},
    }
    r = _one(doc, {"cat": ["noise complaint", "Other"], "ok": ["是", "maybe"], "sat": ["满意", "85"]})
    assert r.cases["category"].tolist() == ["noise", "Other"]  # unmapped values pass through
    assert r.cases["satisfaction"].tolist() == [100.0, 85.0]
    assert _rules(r)["value_invalid"] == [1]


def test_status_derived_from_times_when_not_mapped():
    r = _one({"columns": {"closed_at": "c"}}, {"c": ["2024-03-06 10:00:00", None]})
    assert r.cases["status"].tolist() == ["closed", "registered"]
    assert r.cases["resolved"].isna().tolist() == [True, False]  # closed, outcome unknown


def test_12345_layout():
    m = load_mapping("12345")
    raw = pd.DataFrame(
        {
            "工单编号": ["2024030500001"],
            "来电时间": ["2024/03/05 14:23"],
            "办理状态": ["已办结"],
            "办结时间": ["2024-03-06 09:00:00"],
            "诉求分类": ["噪声扰民"],
            "诉求渠道": ["12345热线"],
            "经度": ["121.5"],
            "纬度": ["31.2"],
        }
    )
    r = apply_mapping(raw, m)
    c = r.cases.iloc[0]
    assert (c["case_id"], c["category"], c["channel"], c["status"]) == (
        "2024030500001",
        "noise",
        "hotline_12345",
        "closed",
    )
    assert bool(c["resolved"]) and c["reported_at"] == pd.Timestamp("2024-03-05 14:23")
    assert c["lon"] < 121.5  # GCJ-02 -> WGS-84 moves Shanghai points west
