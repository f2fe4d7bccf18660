import csv
import io
import json
from functools import partial

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdash import ingest, schema
from govdash.db import writer
from govdash.ingest import ValidationError, _sql
from govdash.ingest import _coords as coords
from govdash.ingest._mapping import RULES
from govdash.ingest._report import VALUE_CHARS

import_cases = partial(ingest.run, "cases", in_place=True)  # the pipeline on a file no reader holds

# two 0.01-degree grid squares side by side; G1 in community C1 / town T1, G2 in C2 / T2
G1 = shapely.box(121.50, 31.20, 121.51, 31.21)
G2 = shapely.box(121.51, 31.20, 121.52, 31.21)
IN_G1, IN_G2 = (121.505, 31.205), (121.515, 31.205)
NO_GRID = (121.525, 31.205)  # east of both grids, within the district's 0.01-degree margin
FAR = (121.60, 31.30)  # outside the district
HEADER = ["case_id", "reported_at", "closed_at", "status", "category", "department_id", "lon", "lat", "description"]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    units = pd.DataFrame(
        {
            "unit_id": ["G1", "G2"],
            "level": "grid",
            "parent_id": ["C1", "C2"],
            "community_id": ["C1", "C2"],
            "town_id": ["T1", "T2"],
            "name_zh": ["一", "二"],
            "geom": [shapely.to_wkb(G1), shapely.to_wkb(G2)],
        }
    )
    with writer(path) as con:
        con.register("u", units)
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "SELECT unit_id, level, parent_id, town_id, community_id, name_zh, geom FROM u"
        )
        con.execute(
            "INSERT INTO categories VALUES ('noise', 'n', '噪声', 'Noise', 'D03', 3), "
            "('garbage', 'g', '垃圾', 'Garbage', 'D13', 2)"
        )
        con.execute("INSERT INTO departments VALUES ('D01', '区城管执法局', 'Urban Management')")
    return path


def row(
    case_id,
    reported="2024-03-05 10:00:00",
    closed="",
    status="registered",
    category="noise",
    dept="D01",
    at=IN_G1,
    description="路灯不亮",
):
    return [case_id, reported, closed, status, category, dept, *(str(v) for v in at), description]


def to_csv(rows, header=HEADER, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def snapshot(path) -> dict[str, pd.DataFrame]:
    """Every table's rows, sorted: equal snapshots mean an unchanged database."""
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


def counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("cases", "imports", "quarantine", "case_versions")
        }
    finally:
        con.close()


def cases(path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM cases ORDER BY case_id").df().set_index("case_id")
    finally:
        con.close()


GOOD = [
    row("A1", closed="2024-03-06 10:00:00", status="closed"),
    row("A2", at=IN_G2, dept="区城管执法局"),
    row("A3", at=NO_GRID, category="garbage"),
]


# --- loading ---


def test_schema_tables_fit_the_import_queries(db):
    con = duckdb.connect(str(db), read_only=True)
    cols = {t: {r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()} for t in ("cases", "case_versions")}
    con.close()
    assert set(schema.IMPORT_COLUMNS) <= cols["cases"]
    assert set(schema.IMPORT_COLUMNS) <= cols["case_versions"]


def test_csv_loads_with_units_departments_and_deadlines(db):
    rep = import_cases(db, to_csv(GOOD), name="good.csv", user="alice")
    assert (rep.status, rep.rows, rep.inserted, rep.failed, rep.outside_units) == ("loaded", 3, 3, 0, 1)
    c = cases(db)
    assert c.loc["A1", ["grid_id", "community_id", "town_id"]].tolist() == ["G1", "C1", "T1"]
    assert c.loc["A2", ["grid_id", "community_id", "town_id"]].tolist() == ["G2", "C2", "T2"]
    assert c.loc["A3", ["grid_id", "town_id"]].isna().all()  # kept, flagged in the warnings
    assert rep.warnings["rule"].tolist() == ["outside_units"] and rep.warnings["row"].tolist() == [4]
    assert c.loc["A2", "department_id"] == "D01"  # department name resolved to its id
    assert c.loc["A1", "deadline_at"] == pd.Timestamp("2024-03-08 10:00")  # noise: 3 days
    assert c.loc["A3", "deadline_at"] == pd.Timestamp("2024-03-07 10:00")  # garbage: 2 days
    assert c.loc["A1", "status"] == "closed" and pd.isna(c.loc["A1", "resolved"])  # outcome not given
    assert (c["import_id"] == rep.import_id).all()
    imp = ingest.listing(db)
    assert imp.loc[0, ["file_name", "inserted", "user_name", "status"]].tolist() == ["good.csv", 3, "alice", "loaded"]
    assert imp.loc[0, "sha256"] == rep.sha256 and len(rep.sha256) == 64


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_12345_export_in_every_encoding(db, encoding):
    glon, glat = coords.wgs84_to_gcj02(*IN_G1)
    header = [
        "工单编号",
        "来电时间",
        "诉求分类",
        "问题描述",
        "办结时间",
        "承办单位",
        "办理状态",
        "经度",
        "纬度",
        "地址",
        "联系人",
        "联系电话",
        "诉求渠道",
    ]
    values = [
        "2024030500001",
        "2024-03-05 14:23:11",
        "噪声扰民",
        "夜间施工噪声",
        "2024-03-06 09:00:00",
        "区城管执法局",
        "已办结",
        str(glon),
        str(glat),
        "浦东新区某路1号",
        "张三",
        "13800000000",
        "12345热线",
    ]
    data = to_csv([values], header=header, encoding=encoding)
    rep = import_cases(db, data, name="12345.csv")
    assert rep.status == "loaded" and rep.mapping == "12345 work-order export"
    c = cases(db).loc["2024030500001"]
    assert (c["category"], c["department_id"], c["channel"], c["grid_id"]) == ("noise", "D01", "hotline_12345", "G1")
    assert (c["status"], bool(c["resolved"]), c["description"]) == ("closed", True, "夜间施工噪声")
    assert abs(c["lon"] - IN_G1[0]) < 1e-6 and abs(c["lat"] - IN_G1[1]) < 1e-6  # GCJ-02 converted back


def test_xlsx_with_typed_cells(db):
    buf = io.BytesIO()
    pd.DataFrame(
        {
            "case_id": [2024030500001, 2024030500002],
            "reported_at": pd.to_datetime(["2024-03-05 10:00"] * 2),
            "lon": [IN_G1[0], IN_G2[0]],
            "lat": [IN_G1[1], IN_G2[1]],
            "category": ["noise", "noise"],
        }
    ).to_excel(buf, index=False)
    rep = import_cases(db, buf.getvalue(), name="x.xlsx")
    assert rep.inserted == 2
    c = cases(db)
    assert c.index.tolist() == ["2024030500001", "2024030500002"]  # not 2.0240305e12
    assert c["reported_at"].tolist() == [pd.Timestamp("2024-03-05 10:00")] * 2


def test_parquet(db, tmp_path):
    df = pd.DataFrame([r[:-1] for r in GOOD], columns=HEADER[:-1])
    df["lon"], df["lat"] = df["lon"].astype(float), df["lat"].astype(float)
    df["reported_at"] = pd.to_datetime(df["reported_at"])
    df.to_parquet(tmp_path / "x.parquet")
    rep = import_cases(db, tmp_path / "x.parquet")
    assert (rep.inserted, rep.outside_units) == (3, 1)
    assert cases(db).loc["A2", "grid_id"] == "G2"


def test_json_lines(db):
    lines = [json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) for r in GOOD]
    rep = import_cases(db, ("\n".join(lines) + "\n{broken\n").encode(), name="x.jsonl", on_error="quarantine")
    assert (rep.inserted, rep.failed) == (3, 1)
    assert rep.errors.loc[0, ["row", "rule"]].tolist() == [4, "row_malformed"]


OPEN311 = [
    {
        "service_request_id": "638344",
        "status": "Open",
        "service_name": "Noise",
        "service_code": "007",
        "description": "<b>loud</b>",
        "agency_responsible": "Urban Management",
        "requested_datetime": "2024-03-05T02:00:00Z",
        "updated_datetime": "2024-03-05T03:00:00Z",
        "address": "8 Long Rd",
        "lat": IN_G1[1],
        "long": IN_G1[0],
    },
    {
        "service_request_id": "638345",
        "status": "CLOSED",
        "service_name": "Graffiti",
        "service_code": "009",
        "requested_datetime": "2024-03-05 10:00:00",
        "updated_datetime": "2024-03-06T10:00:00+08:00",
        "lat": str(IN_G2[1]),
        "long": str(IN_G2[0]),
    },
    {
        "service_request_id": "638346",
        "status": "open",
        "service_name": "Pothole",
        "requested_datetime": "2024-03-05T10:00:00+08:00",
        "lat": None,
        "long": None,
    },
    {
        "service_request_id": "638347",
        "status": "open",
        "service_name": "Weird thing",
        "requested_datetime": "2024-03-05T10:00:00+08:00",
        "lat": 0,
        "long": 0,
    },
]


def _check_open311(db, rep):
    assert (rep.inserted, rep.failed, rep.quarantined) == (2, 2, 2)
    assert sorted(zip(rep.errors["row"], rep.errors["rule"], strict=True)) == [
        (3, "coords_missing"),
        (4, "coords_zero"),
    ]
    c = cases(db)
    assert c.loc["638344", "reported_at"] == pd.Timestamp("2024-03-05 10:00")  # Z -> Shanghai
    assert c.loc["638345", "reported_at"] == pd.Timestamp("2024-03-05 10:00")  # no zone: the mapping's
    assert (c.loc["638345", "status"], bool(c.loc["638345", "resolved"])) == ("closed", True)
    assert pd.isna(c.loc["638344", "closed_at"])  # open: updated_datetime is not a closing time
    assert c.loc["638344", "description"] == "<b>loud</b>"  # kept as plain text
    assert c.loc["638344", "department_id"] == "D01"  # name_en matched
    assert c.loc["638345", "category"] == "back_lane" and c.loc["638344", "category"] == "noise"
    # unknown service names are warnings in the Open311 mapping, not errors
    assert "category_unknown" in set(rep.warnings["rule"])


def test_open311_json(db):
    rep = import_cases(db, json.dumps(OPEN311).encode(), name="requests.json", on_error="quarantine")
    _check_open311(db, rep)


def test_open311_xml(db):
    items = "".join(
        "<request>"
        + "".join(f"<{k}>{'' if v is None else v}</{k}>" for k, v in r.items() if k != "description")
        + "</request>"
        for r in OPEN311
    )
    xml = f'<?xml version="1.0" encoding="utf-8"?><service_requests>{items}</service_requests>'
    rep = import_cases(db, xml.encode(), name="requests.xml", on_error="quarantine")
    assert (rep.inserted, rep.failed) == (2, 2)


# --- validation rules ---


def _rules(rep) -> set[tuple[int, str]]:
    return set(zip(rep.errors["row"].tolist(), rep.errors["rule"].tolist(), strict=True))


@pytest.mark.parametrize(
    "bad, rule",
    [
        (row(""), "id_missing"),
        (row("A1"), "id_duplicate"),
        (row("B", reported=""), "time_missing"),
        (row("B", reported="yesterday"), "time_unparsable"),
        (row("B", closed="2024-03-05 09:00:00", status="closed"), "closed_before_reported"),
        (row("B", at=("", "")), "coords_missing"),
        (row("B", at=("east", "31.2")), "coords_invalid"),
        (row("B", at=(0, 0)), "coords_zero"),
        (row("B", at=(IN_G1[1], IN_G1[0])), "coords_swapped"),
        (row("B", at=FAR), "coords_outside"),
        (row("B", category="ufo"), "category_unknown"),
        (row("B", status="teleported"), "status_unknown"),
        (row("B", description="x" * 40_000), "field_too_long"),
    ],
)
def test_each_rule_names_the_row(db, bad, rule):
    rep = import_cases(db, to_csv([row("A1"), bad]), name="r.csv")
    assert rep.status == "rejected" and (3, rule) in _rules(rep)
    assert set(rep.errors.columns) >= {"file", "row", "field", "value", "reason"}
    assert rep.errors["file"].eq("r.csv").all()


def test_ragged_rows_are_row_errors(db):
    data = to_csv(GOOD) + b"A9,2024-03-05 10:00:00,,registered\nA8," + b",".join([b"x"] * 12) + b"\n"
    rep = import_cases(db, data, name="ragged.csv")
    assert _rules(rep) == {(5, "row_malformed"), (6, "row_malformed")}
    assert rep.rows == 5


def test_placeholder_coordinate_repeated_across_many_rows(db):
    rows = [row(f"P{i}", at=IN_G2) for i in range(21)] + [
        row(f"Q{i}", at=(121.5 + i * 1e-4, 31.205)) for i in range(40)
    ]
    rep = import_cases(db, to_csv(rows), name="p.csv")
    assert set(rep.errors["rule"]) == {"coords_placeholder"}
    assert rep.failed == 21 and "21 rows" in rep.errors.loc[0, "reason"]
    # a busy real place: 20 rows at one point, but 3 at the next (20 < 10 x 3) and 20 <= max(20, 1 %)
    rows = rows[1:41] + [row(f"R{i}", at=(121.5 + 2e-4, 31.205)) for i in range(2)]
    rep = import_cases(db, to_csv(rows), name="p.csv")
    assert rep.status == "loaded"


# --- reject, quarantine, atomicity ---

BAD_MIX = GOOD + [row("B1", reported="nonsense", description="=cmd|' /C calc'!A0"), row("B2", at=FAR)]


def test_reject_loads_nothing(db):
    before = snapshot(db)
    rep = import_cases(db, to_csv(BAD_MIX), name="mix.csv")
    assert (rep.status, rep.import_id, rep.inserted, rep.failed) == ("rejected", None, 0, 2)
    assert_same(before, snapshot(db))


def test_quarantine_loads_the_valid_rows_and_keeps_the_rest(db, tmp_path):
    rep = import_cases(db, to_csv(BAD_MIX), name="mix.csv", on_error="quarantine", quarantine_dir=tmp_path / "q")
    assert (rep.status, rep.inserted, rep.quarantined) == ("loaded", 3, 2)
    assert sorted(cases(db).index) == ["A1", "A2", "A3"]
    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT * FROM quarantine ORDER BY source_row").df()
    con.close()
    assert q["source_row"].tolist() == [5, 6] and (q["import_id"] == rep.import_id).all()
    assert "time not readable" in q.loc[0, "reasons"] and "outside the district" in q.loc[1, "reasons"]
    assert json.loads(q.loc[0, "record"])["case_id"] == "B1"
    text = (tmp_path / "q" / f"{rep.import_id}.csv").read_bytes().decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert back["_row"].tolist() == ["5", "6"]
    assert back.loc[0, "description"] == "'=cmd|' /C calc'!A0"  # neutralised for spreadsheets
    assert rep.quarantine_csv.endswith(".csv")


def test_a_failure_midway_leaves_the_database_as_it_was(db, tmp_path, monkeypatch):
    import_cases(db, to_csv(GOOD[:1]), name="first.csv")
    before = snapshot(db)

    def boom(con, rec):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_sql, "import_record", boom)  # runs after cases and quarantine were written
    changed = [row("A1", status="handling"), *GOOD[1:], row("B1", reported="bad")]
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_cases(db, to_csv(changed), name="second.csv", on_error="quarantine", quarantine_dir=tmp_path / "q")
    assert_same(before, snapshot(db))
    assert not list((tmp_path / "q").glob("*.csv"))  # no orphan quarantine file


def test_dry_run_counts_but_writes_nothing(db, tmp_path):
    before = snapshot(db)
    rep = import_cases(db, to_csv(GOOD), name="g.csv", dry_run=True)
    assert (rep.status, rep.inserted, rep.import_id) == ("dry_run", 3, None)
    assert_same(before, snapshot(db))
    nowhere = tmp_path / "none.duckdb"
    assert import_cases(nowhere, to_csv(GOOD), dry_run=True).inserted == 3
    assert not nowhere.exists()


# --- idempotence, upsert, undo ---


def test_same_file_twice_changes_nothing(db):
    data = to_csv(GOOD)
    import_cases(db, data, name="g.csv")
    before = snapshot(db)
    rep = import_cases(db, data, name="g.csv")
    assert (rep.inserted, rep.updated, rep.unchanged) == (0, 0, 3)
    assert any("imported before" in n for n in rep.notes)
    after = snapshot(db)
    for table in ("cases", "case_versions", "quarantine"):
        pd.testing.assert_frame_equal(before[table], after[table])


def test_a_later_export_updates_status_and_times(db):
    first = import_cases(db, to_csv(GOOD), name="monday.csv")
    later = [
        row("A1", closed="2024-03-06 10:00:00", status="closed"),
        row("A2", at=IN_G2, dept="区城管执法局", closed="2024-03-07 08:00:00", status="closed"),
        GOOD[2],
        row("A4", at=IN_G2),
    ]
    rep = import_cases(db, to_csv(later), name="tuesday.csv")
    assert (rep.inserted, rep.updated, rep.unchanged) == (1, 1, 2)
    c = cases(db)
    assert len(c) == 4
    assert (c.loc["A2", "status"], c.loc["A2", "closed_at"]) == ("closed", pd.Timestamp("2024-03-07 08:00"))
    assert c.loc["A2", "import_id"] == rep.import_id and c.loc["A1", "import_id"] == first.import_id
    con = duckdb.connect(str(db), read_only=True)
    v = con.execute("SELECT case_id, status, prior_import_id FROM case_versions").fetchall()
    con.close()
    assert v == [("A2", "registered", first.import_id)]


def test_undo_restores_updated_rows_and_removes_inserted_ones(db):
    empty = snapshot(db)
    first = import_cases(db, to_csv(GOOD), name="monday.csv")
    after_first = cases(db)
    second = import_cases(
        db,
        to_csv([row("A2", at=IN_G2, status="closed", closed="2024-03-07 08:00:00"), row("A4", at=IN_G2)]),
        name="tuesday.csv",
    )
    with pytest.raises(ValidationError, match=second.import_id):
        ingest.undo(db, first.import_id)  # the later import changed A2: undo it first
    assert ingest.undo(db, second.import_id, user="bob") == {"removed": 1, "restored": 1}
    pd.testing.assert_frame_equal(cases(db), after_first)
    with pytest.raises(ValidationError, match="already undone"):
        ingest.undo(db, second.import_id)
    assert ingest.undo(db, first.import_id) == {"removed": 3, "restored": 0}
    pd.testing.assert_frame_equal(snapshot(db)["cases"], empty["cases"])
    imp = ingest.listing(db).set_index("import_id")
    assert imp.loc[second.import_id, ["status", "undone_by"]].tolist() == ["undone", "bob"]
    with pytest.raises(ValidationError, match="no import"):
        ingest.undo(db, "imp-nope")


# --- hostile input ---


def test_hostile_text_is_stored_verbatim(db):
    texts = [
        '=HYPERLINK("http://x")',
        "+1+1",
        "-2",
        "@SUM(A1)",
        "<script>alert('x')</script>",
        "'; DROP TABLE cases; --",
        "多行\n文本",
    ]
    rows = [row(f"H{i}", description=t, at=(121.501 + i * 1e-3, 31.205)) for i, t in enumerate(texts)]
    rep = import_cases(db, to_csv(rows), name="h.csv")
    assert rep.inserted == len(texts)
    assert cases(db)["description"].tolist() == texts


def test_a_megabyte_field_is_a_row_error_not_a_crash(db):
    rep = import_cases(
        db, to_csv([row("A1"), row("A2", description="长" * 1_000_000)]), name="big.csv", on_error="quarantine"
    )
    assert (rep.inserted, rep.failed) == (1, 1)
    assert rep.errors.loc[0, "rule"] == "field_too_long" and len(rep.errors.loc[0, "value"]) <= VALUE_CHARS


def test_binary_file_renamed_csv(db, tmp_path):
    before = snapshot(db)
    path = tmp_path / "cases.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ValidationError, match="binary"):
        import_cases(db, path)
    assert_same(before, snapshot(db))


def test_oversized_file_refused_before_reading(db, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_bytes(to_csv(GOOD))
    with pytest.raises(ValidationError, match="limit"):
        import_cases(db, path, max_mb=0.0001)


def test_bad_options_are_clear(db):
    with pytest.raises(ValueError, match="on_error"):
        import_cases(db, to_csv(GOOD), on_error="ignore")
    with pytest.raises(ValidationError, match="CRS"):
        import_cases(db, to_csv(GOOD), crs="mars2000")
    with pytest.raises(ValidationError, match="needs the id"):
        import_cases(db, b"foo,bar\n1,2\n", name="x.csv", mapping="govdash")


# --- properties: whatever comes in, the outcome is a report or a ValidationError ---

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(st.binary(min_size=1, max_size=2000), st.sampled_from(["x.csv", "x.xlsx", "x.json", "x.xml", "x.parquet"]))
def test_random_bytes_never_escape(db, data, name):
    try:
        rep = import_cases(db, data, name=name, dry_run=True)
    except ValidationError:
        return
    assert isinstance(rep, ingest.ImportReport)


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@FAST
@given(st.lists(st.lists(cell, min_size=0, max_size=12), min_size=1, max_size=15))
def test_random_rows_never_escape(db, rows):
    before = counts(db)
    try:
        rep = import_cases(db, to_csv(rows), name="r.csv", on_error="reject")
    except ValidationError:
        assert counts(db) == before
        return
    if rep.status == "rejected":
        assert counts(db) == before
    assert rep.failed + rep.inserted + rep.updated + rep.unchanged <= rep.rows


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "", "C\n"]),
            st.sampled_from(["2024-03-05 10:00:00", "", "x"]),
            st.sampled_from(["", "2024-03-04 10:00:00", "2024-03-06"]),
            st.sampled_from(["registered", "closed", "CLOSED", "?"]),
            st.sampled_from([IN_G1, IN_G2, NO_GRID, FAR, (0, 0), ("", "")]),
        ),
        max_size=12,
    )
)
def test_quarantine_accounts_for_every_row(db, spec):
    rows = [row(i, reported=r, closed=c, status=s, at=at) for i, r, c, s, at in spec]
    try:
        rep = import_cases(db, to_csv(rows), name="q.csv", on_error="quarantine", dry_run=True)
    except ValidationError:
        return
    assert rep.failed + rep.inserted + rep.updated + rep.unchanged == rep.rows
    assert np.isin(rep.errors["rule"], RULES).all()
