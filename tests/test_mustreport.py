"""八必报 and 重点难点 (issue 17 items 4 and 5): literal cases worked by hand, the demo's figures, the import of a
must_report column, and the overview and wall panels on the demo and on a district that is not the demo."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import app_test

from govdash import catalogue, ingest, keycases, mustreport, queries_mustreport, wall_view
from govdash import db as db_
from govdash.db import Database
from govdash.filters import Filters

MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
AT = datetime(2026, 3, 31, 23, 0)
D = datetime

# case, item, town, grid, reported, dispatched (report), handled (first response), closed
MUST = [
    ("A", "facility_damage", "T1", "G1", D(2026, 3, 2, 8), D(2026, 3, 2, 9), D(2026, 3, 2, 14), D(2026, 3, 3)),
    ("B", "facility_damage", "T1", "G2", D(2026, 3, 5, 10), D(2026, 3, 5, 13), D(2026, 3, 6, 10), D(2026, 3, 7)),
    ("C", "facility_damage", "T2", "G3", D(2026, 3, 10), D(2026, 3, 10, 2), None, None),
    ("D", "new_pregnancy", "T2", "G3", D(2026, 3, 12, 8), D(2026, 3, 12, 8, 30), D(2026, 3, 13, 8), D(2026, 3, 14)),
    ("E", "safety_hazard", "T1", "G1", D(2026, 3, 20, 8), D(2026, 3, 21, 8), D(2026, 4, 2), D(2026, 4, 3)),
    ("F", None, "T1", "G1", D(2026, 3, 3), D(2026, 3, 3, 1), D(2026, 3, 3, 2), D(2026, 3, 4)),  # no item
    ("G", "facility_damage", "T1", "G1", D(2026, 2, 28), D(2026, 2, 28, 1), D(2026, 2, 28, 5), None),  # February
    ("H", "unstable_factor", "T2", "G4", D(2026, 3, 30, 10), None, None, None),  # not yet reported
]
# case, key status, owner, department, town, reported, closed
KEY = [
    ("K1", "resolved", "D01", "D01", "T1", D(2025, 3, 1), D(2025, 9, 1)),  # settled: 184 days to its closing
    ("K2", "clear_path", None, "D02", "T2", D(2026, 1, 1), None),  # owner: its department
    ("K3", "special_push", "T2", "D01", "T2", D(2025, 12, 1, 12), None),  # owned by the street T2
    ("K4", None, "区专班", "D01", "T1", D(2026, 3, 1), None),  # not assessed yet; an owner by name
    ("K5", "clear_path", "D02", "D02", "T1", D(2026, 4, 5), None),  # reported after ``at``: not listed
]


@pytest.fixture(scope="module")
def literal(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("mustreport") / "literal.duckdb"
    with db_.write(path, fresh=True) as con:
        units = [("T1", "town", None, "T1", "一号街道"), ("T2", "town", None, "T2", "二号镇")]
        units += [(g, "grid", "C1", "T1" if g in ("G1", "G2") else "T2", f"{g}网格") for g in ("G1", "G2", "G3", "G4")]
        con.executemany("INSERT INTO units (unit_id, level, parent_id, town_id, name_zh) VALUES (?, ?, ?, ?, ?)", units)
        con.executemany(
            "INSERT INTO departments VALUES (?, ?, ?)",
            [("D01", "城管执法局", "Urban Mgmt"), ("D02", "建交委", "Works")],
        )
        con.executemany(
            "INSERT INTO cases (case_id, must_report, town_id, grid_id, reported_at, dispatched_at, handled_at, "
            "closed_at, channel, key_difficult) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'grid_patrol', false)",
            [list(r) for r in MUST],
        )
        con.executemany(
            "INSERT INTO cases (case_id, key_status, key_owner, department_id, town_id, reported_at, closed_at, "
            "category, key_difficult) VALUES (?, ?, ?, ?, ?, ?, ?, 'dispute', true)",
            [list(r) for r in KEY],
        )
    return Database(path)


def test_must_report_counts_and_medians_worked_by_hand(literal):
    total = queries_mustreport.stats(literal, MARCH, AT).iloc[0]
    # March's items: A B C D E H (F carries none, G is February)
    assert (total["cases"], total["reported"], total["responded"], total["open"]) == (6, 5, 3, 3)
    # found -> reported: A 1 h, B 3 h, C 2 h, D 0.5 h, E 24 h (H not yet): median of 0.5 1 2 3 24 = 2 h
    assert total["report_hours"] == pytest.approx(2.0)
    # found -> first response: A 6 h, B 24 h, D 24 h (C none, E after ``at``): median 24 h
    assert total["response_hours"] == pytest.approx(24.0)
    m = mustreport.summary(literal, MARCH, AT)
    items = m.items.set_index("item")
    assert list(items.index) == [
        "facility_damage",
        "back_lane",
        "new_pregnancy",
        "incoming_migrants",
        "hospitalised",
        "house_rented",
        "safety_hazard",
        "unstable_factor",
    ]  # all eight, in the catalogue's order, with zeros
    assert items["cases"].to_dict() == {
        "facility_damage": 3,
        "back_lane": 0,
        "new_pregnancy": 1,
        "incoming_migrants": 0,
        "hospitalised": 0,
        "house_rented": 0,
        "safety_hazard": 1,
        "unstable_factor": 1,
    }
    assert items.loc["facility_damage", "report_hours"] == pytest.approx(2.0)  # 1, 3, 2
    assert items.loc["facility_damage", "response_hours"] == pytest.approx(15.0)  # 6, 24
    assert items.loc["facility_damage", "open"] == 1  # C
    assert math.isnan(items.loc["unstable_factor", "report_hours"])  # H not reported yet
    assert items.loc["new_pregnancy", "name"] == "发现新增孕妇"
    towns = m.towns.set_index("unit_id")
    assert towns["cases"].to_dict() == {"T1": 3, "T2": 3}
    assert towns.loc["T1", "name"] == "一号街道"
    assert towns.loc["T1", "report_hours"] == pytest.approx(3.0)  # A 1, B 3, E 24
    assert towns.loc["T2", "report_hours"] == pytest.approx(1.25)  # C 2, D 0.5
    assert m.grids.set_index("unit_id")["cases"].to_dict() == {"G1": 2, "G3": 2, "G2": 1, "G4": 1}
    assert (
        mustreport.total_text(m, "zh")
        == "本期网格员必报事项 6 件：发现→上报中位 2.0 小时，发现→首次响应中位 24.0 小时。"
    )
    assert mustreport.hours_text(50.0, "en") == "2.1 d"


def test_a_period_without_items_is_empty_not_an_error(literal):
    m = mustreport.summary(literal, Filters(start=date(2026, 1, 1), end=date(2026, 1, 31)), AT)
    assert m.empty and m.items["cases"].sum() == 0 and len(m.items) == 8


def test_a_file_written_before_the_columns_shows_none_and_gets_them_on_its_next_write(tmp_path):
    path = tmp_path / "old.duckdb"
    with db_.write(path, fresh=True) as con:
        con.execute("DROP TABLE must_report_items")
        for table in ("cases", "case_versions"):
            for column in ("must_report", "key_status", "key_owner"):
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute("INSERT INTO cases (case_id, reported_at, key_difficult) VALUES ('X', '2026-03-02', true)")
    old = Database(path)
    assert mustreport.summary(old, MARCH, AT).empty and len(catalogue.read(old).must_report) == 8
    assert keycases.key_cases(old, MARCH, AT).empty
    with db_.write(path):  # any write (an import, the feed) adds them
        pass
    k = keycases.key_cases(Database(path), MARCH, AT)
    assert list(k["case_id"]) == ["X"] and list(k["key_status"]) == ["unassessed"]


def test_key_cases_status_owner_and_age_worked_by_hand(literal):
    k = keycases.key_cases(literal, MARCH, AT).set_index("case_id")
    assert list(k.index) == ["K1", "K3", "K2", "K4"]  # oldest first; K5 is after ``at``
    assert k["key_status"].to_dict() == {
        "K1": "resolved",
        "K3": "special_push",
        "K2": "clear_path",
        "K4": "unassessed",
    }
    # K1 settled on 2025-09-01: 184 days after 2025-03-01; the others run to 2026-03-31 23:00
    assert k["age_days"].to_dict() == {"K1": 184, "K3": 120, "K2": 89, "K4": 30}
    assert k["owner_zh"].to_dict() == {"K1": "城管执法局", "K3": "二号镇", "K2": "建交委", "K4": "区专班"}
    assert k.loc["K2", "owner_en"] == "Works"
    assert keycases.counts(k.reset_index()) == {
        "resolved": 1,
        "clear_path": 1,
        "special_push": 1,
        "unassessed": 1,
        "total": 4,
    }
    assert list(keycases.oldest_open(k.reset_index(), 2)["case_id"]) == ["K3", "K2"]
    shown = keycases.table(keycases.oldest_open(k.reset_index()), "zh")
    assert list(shown.columns) == ["工单编号", "状态", "责任单位", "街镇", "类别", "已历时（天）"]
    assert list(shown["状态"]) == ["需专项推进", "有明确路径", "待研判"]
    assert list(keycases.listing(k.reset_index())["case_id"]) == ["K3", "K2", "K4", "K1"]  # most pressing first
    assert keycases.status_line(keycases.counts(k.reset_index()), "zh") == (
        "已化解 1 · 有明确路径 1 · 需专项推进 1 · 待研判 1 · 共 4 件"
    )
    # the area filter holds, the period does not: a standing list
    only_t2 = keycases.key_cases(literal, MARCH.with_(towns=("T2",)), AT)
    assert list(only_t2["case_id"]) == ["K3", "K2"]


def test_the_demo_key_cases_and_must_report_items(demo_db):
    db = Database(demo_db)
    con = duckdb.connect(demo_db, read_only=True)
    try:
        assert con.execute(
            "SELECT count(*) FROM cases WHERE must_report IS NOT NULL AND channel <> 'grid_patrol'"
        ).fetchone() == (0,)
        items = dict(con.execute("SELECT must_report, count(*) FROM cases GROUP BY ALL").fetchall())
        at = con.execute("SELECT CAST(value AS TIMESTAMP) FROM meta WHERE key = 'as_of'").fetchone()[0]
    finally:
        con.close()
    assert all(items.get(code, 0) > 0 for code, *_ in catalogue.read(db).must_report.items())
    n = keycases.counts(keycases.key_cases(db, Filters(start=date(2026, 10, 1), end=date(2026, 10, 31)), at))
    assert (n["resolved"], n["clear_path"], n["special_push"], n["total"]) == (14, 20, 3, 37)


def test_the_reports_list_them(demo_db):
    from govdash import briefing

    html = briefing.build(Database(demo_db), "2026-10", lang="zh")
    key = html[html.index('<section id="key_cases">') :]
    assert "已化解 14 · 有明确路径 20 · 需专项推进 3 · 共 37 件" in key
    assert key.count("需专项推进</td>") == 3 and key.count("已化解</td>") == 14
    must = html[html.index('<section id="must_report">') : html.index('<section id="key_cases">')]
    assert "本期网格员必报事项" in must and "发现新增孕妇" in must and "口径" in must


def _export_two(demo_db: str, folder) -> tuple[str, pd.DataFrame]:
    """A copy of the demo database and two of its cases as a native CSV (the govdash mapping)."""
    copy = folder / "copy.duckdb"
    copy.write_bytes(open(demo_db, "rb").read())
    con = duckdb.connect(demo_db, read_only=True)
    try:
        rows = con.execute(
            "SELECT case_id, reported_at, category, channel, lon, lat FROM cases "
            "WHERE must_report IS NULL AND NOT key_difficult ORDER BY case_id LIMIT 2"
        ).df()
    finally:
        con.close()
    return str(copy), rows


def _cases_of(path: str) -> pd.DataFrame:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute("SELECT * FROM cases ORDER BY case_id").df()
    finally:
        con.close()


def test_an_unknown_must_report_item_fails_its_row_and_writes_nothing(demo_db, tmp_path):
    path, rows = _export_two(demo_db, tmp_path)
    before = _cases_of(path)
    file = tmp_path / "items.csv"
    rows.assign(must_report=["安全隐患", "dog_walking"], key_status=["需专项推进", ""]).to_csv(file, index=False)
    rep = ingest.run("cases", path, file, mapping="govdash")
    assert rep.status != "loaded" and rep.failed == 1
    err = rep.errors[rep.errors["rule"] == "must_report_unknown"].iloc[0]
    assert (err["file"], err["row"], err["field"]) == ("items.csv", 3, "must_report")  # header is row 1
    assert "'dog_walking' is not a must_report code or name" in err["reason"] and "new_pregnancy" in err["reason"]
    pd.testing.assert_frame_equal(_cases_of(path), before)  # nothing written


def test_must_report_and_key_status_import_by_name_or_code(demo_db, tmp_path):
    path, rows = _export_two(demo_db, tmp_path)
    file = tmp_path / "items.csv"
    rows.assign(
        must_report=["安全隐患", "House rented out"],
        key_difficult=["是", "否"],
        key_status=["需专项推进", ""],
        key_owner=["D01", ""],
    ).to_csv(file, index=False)
    rep = ingest.run("cases", path, file, mapping="govdash")
    assert rep.status == "loaded", rep.errors
    got = _cases_of(path).set_index("case_id").loc[list(rows["case_id"])]
    assert list(got["must_report"]) == ["safety_hazard", "house_rented"]
    assert got["key_status"].iloc[0] == "special_push" and pd.isna(got["key_status"].iloc[1])
    assert got["key_owner"].iloc[0] == "D01"
    rows.assign(key_status=["almost done", None]).to_csv(file, index=False)
    rep = ingest.run("cases", path, file, mapping="govdash")
    assert list(rep.errors["rule"]) == ["key_status_unknown"] and rep.errors["row"].iloc[0] == 2


def test_wall_panel_html_is_large_and_escaped(literal):
    m = mustreport.summary(literal, MARCH, AT, "en")
    html = str(wall_view.must_report_html(m, "en"))
    assert "New pregnancy found" in html and "Found → reported (median)" in html
    assert "一号街道" in html  # the street/town with most items
    none = mustreport.summary(literal, Filters(start=date(2026, 1, 1), end=date(2026, 1, 31)), AT, "zh")
    assert "本期无八必报事项" in str(wall_view.must_report_html(none, "zh"))
    style = str(wall_view.css())
    for rule in ("wall-mr-title", "wall-mr-total", "wall-mr-list {", "wall-mr-list th", "wall-mr-note"):
        size = style.split(f".{rule}")[1].split("font-size: calc(var(--u) * ")[1].split(")")[0]
        assert float(size) * 19.2 >= 24, rule  # --u is 19.2 px at 1920 wide


# --- the pages: the demo and a district that is not the demo ---


def _run(monkeypatch, db: str, lang: str, query: dict | None = None):
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    monkeypatch.setenv("GOVDASH_WALL_LANG", lang)
    at = app_test()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> str:
    parts = [e.value for e in at.subheader] + [e.value for e in at.info] + [e.value for e in at.caption]
    parts += [m.label for m in at.metric]
    parts += [str(df.value.to_dict()) for df in at.dataframe]
    return "\n".join(map(str, parts))


pytestmark = pytest.mark.usefixtures("navigation_mode")


def test_overview_panel_on_the_demo(app_env, monkeypatch):
    at = _run(monkeypatch, app_env, "zh")
    text = _texts(at)
    assert "八必报" in text and "重点难点" in text
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["已化解"], metrics["有明确路径"], metrics["需专项推进"]) == ("14", "20", "3")
    assert "公共设施损坏" in text and "发现→上报（中位）" in text


def test_wall_must_report_panel_on_the_demo(app_env, monkeypatch):
    at = _run(monkeypatch, app_env, "en", {"mode": "wall", "panels": "must_report"})
    html = "".join(str(h.proto.body) for h in at.get("html"))
    assert "Must-report items this period" in html and "New pregnancy found" in html


@pytest.fixture(scope="module")
def qinhuai_db(tmp_path_factory) -> str:
    from tests.districts import qinhuai
    from tests.test_own_district import build

    folder = tmp_path_factory.mktemp("qinhuai")
    return build(qinhuai(folder / "files"), folder)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_panels_on_a_district_without_items_say_so(qinhuai_db, lang, monkeypatch):
    at = _run(monkeypatch, qinhuai_db, lang)
    text = _texts(at)
    assert ("本期无八必报事项" if lang == "zh" else "No must-report items this period") in text
    assert ("暂无重点难点事项" if lang == "zh" else "No key difficult cases") in text
    wall = _run(monkeypatch, qinhuai_db, lang, {"mode": "wall", "panels": "must_report"})
    html = "".join(str(h.proto.body) for h in wall.get("html"))
    assert ("本期无八必报事项" if lang == "zh" else "No must-report items this period") in html
    for word in ("浦东", "Pudong"):
        assert word not in text and word not in html


def test_a_must_report_column_on_qinhuai_counts_by_construction(qinhuai_db, tmp_path, monkeypatch):
    """qinhuai's 24 cases (12 per street, ids repeating community ids) with an item column named in Chinese:
    every case carries one, so each street has 12; the export has no dispatch or handling times: "—"."""
    from tests.test_own_district import MAPPINGS

    path = tmp_path / "qinhuai.duckdb"
    path.write_bytes(open(qinhuai_db, "rb").read())
    source = pd.read_csv(Path(qinhuai_db).parent / "files" / "工单导出.csv", dtype=str, encoding="utf-8-sig")
    source["必报事项"] = ["安全隐患" if i % 2 == 0 else "居民房屋出租" for i in range(len(source))]
    file = tmp_path / "工单导出.csv"
    source.to_csv(file, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPINGS["qinhuai"].replace("[columns]\n", '[columns]\nmust_report = "必报事项"\n'), "utf-8")
    rep = ingest.run("cases", str(path), file, mapping=str(mapping))
    assert rep.status == "loaded" and rep.updated == 24, rep.errors
    m = mustreport.summary(Database(path), Filters(start=date(2026, 1, 1), end=date(2026, 12, 31)), D(2026, 6, 30))
    assert m.total["cases"] == 24
    assert m.items.set_index("item")["cases"][["safety_hazard", "house_rented", "back_lane"]].tolist() == [12, 12, 0]
    assert m.towns.set_index("unit_id")["cases"].to_dict() == {"1": 12, "2": 12}
    assert set(m.towns["name"]) == {"秦淮街道", "夫子庙街道"}  # the streets "1" and "2", not the communities
    assert mustreport.total_text(m, "en").endswith("found → reported —, found → first response — (medians).")
    at = _run(monkeypatch, str(path), "zh", {"from": "2026-05-01", "to": "2026-05-31"})
    text = _texts(at)
    assert "安全隐患" in text and "本期网格员必报事项 24 件" in text and "浦东" not in text
