"""挂牌督办 as a recorded decision (who, when, which unit, why): written through db.write, listed by the reports."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from literal_cases import XSS, build_db

from govdash import briefing, queries_supervision, supervision
from govdash.cli import main
from govdash.db import Database
from govdash.supervision import Decision, SupervisionError

AT = datetime(2026, 3, 31, 12, 0)


@pytest.fixture
def lit(tmp_path):
    path = tmp_path / "lit.duckdb"
    build_db(path).close()
    return str(path)


def test_a_decision_is_recorded_and_listed_newest_first(lit):
    n1 = supervision.add(lit, Decision("town", "T2", date(2026, 2, 20), "区委常委会", "超期工单集中"), at=AT)
    n2 = supervision.add(lit, Decision("department", "D02", date(2026, 3, 2), "张区长", XSS), at=AT, recorded_by="ops")
    assert (n1, n2) == (1, 2)
    db = Database(lit)
    df = queries_supervision.decisions(db)
    assert df["decision_id"].tolist() == [2, 1]
    assert df[["level", "unit_id", "name_zh"]].values.tolist() == [
        ["department", "D02", "建交委"],
        ["town", "T2", "乙镇"],
    ]
    shown = supervision.display_table(df, "en")
    assert shown.columns.tolist() == ["Decided on", "Kind", "Unit", "Decided by", "Reason"]
    assert shown.iloc[0].tolist() == ["2026-03-02", "Department", "Works", "张区长", XSS]
    assert supervision.display_table(df, "zh").iloc[1].tolist() == [
        "2026-02-20",
        "街镇",
        "乙镇",
        "区委常委会",
        "超期工单集中",
    ]
    # decided up to a day only
    assert queries_supervision.decisions(db, until=date(2026, 2, 28))["decision_id"].tolist() == [1]
    db.close()


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        (Decision("town", "T9", date(2026, 2, 1), "区长", "慢"), "unit: no town with id 'T9'"),
        (Decision("department", "T1", date(2026, 2, 1), "区长", "慢"), "unit: no department with id 'T1'"),
        (Decision("grid", "T1", date(2026, 2, 1), "区长", "慢"), "level: must be one of town, department"),
        (Decision("town", "T1", date(2026, 4, 1), "区长", "慢"), "decided_on: 2026-04-01 is after today (2026-03-31)"),
        (Decision("town", "T1", date(2026, 2, 1), "  ", "慢"), "decided_by: required"),
        (Decision("town", "T1", date(2026, 2, 1), "区长", ""), "reason: required"),
        (Decision("town", "T1", date(2026, 2, 1), "区长", "x" * 501), "reason: at most 500 characters"),
    ],
)
def test_a_bad_decision_names_its_field_and_writes_nothing(lit, decision, field):
    before = open(lit, "rb").read()
    with pytest.raises(SupervisionError, match=field.replace("(", r"\(").replace(")", r"\)")):
        supervision.add(lit, decision, at=AT)
    assert open(lit, "rb").read() == before


def test_supervise_command_add_and_list(lit, capsys):
    assert main(["supervise", "add", "--db", lit, "--level", "town", "--unit", "乙镇", "--on", "2026-02-20",
                 "--by", "区委常委会", "--reason", "超期工单集中"]) == 0  # fmt: skip
    assert "recorded decision 1: town T2 on 2026-02-20" in capsys.readouterr().out
    assert main(["supervise", "add", "--db", lit, "--level", "town", "--unit", "丁镇", "--on", "2026-02-20",
                 "--by", "区长", "--reason", "慢"]) == 2  # fmt: skip
    assert "unit: no town with id '丁镇'; nothing recorded" in capsys.readouterr().err
    assert main(["supervise", "list", "--db", lit, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "decision_id": 1,
            "level": "town",
            "unit_id": "T2",
            "name_zh": "乙镇",
            "decided_on": "2026-02-20",
            "decided_by": "区委常委会",
            "reason": "超期工单集中",
        }
    ]
    assert main(["supervise", "list", "--db", lit, "--lang", "zh"]) == 0
    assert "乙镇" in capsys.readouterr().out


def test_the_reports_list_decisions_taken_up_to_the_period_end_escaped(lit):
    supervision.add(lit, Decision("town", "T2", date(2026, 2, 20), "区委常委会", XSS), at=AT)
    supervision.add(lit, Decision("town", "T1", date(2026, 3, 10), "区长办公会", "三月的决定"), at=AT)
    db = Database(lit)
    html = briefing.build(db, "2026-02")
    part = html[html.index('<section id="supervision">') : html.index('<section id="anomalies">')]
    assert "乙镇" in part and "区委常委会" in part and "2026-02-20" in part
    assert "三月的决定" not in part  # taken after February
    assert XSS not in html and "&lt;script&gt;" in part
    march = briefing.build(db, "2026-03")
    assert "三月的决定" in march
    db.close()


def test_a_database_without_the_table_lists_none(tmp_path):
    path = tmp_path / "old.duckdb"
    build_db(path, extra_sql=["DROP TABLE supervisions"]).close()
    db = Database(path)
    assert queries_supervision.decisions(db).empty
    assert "截至本期末没有记录挂牌督办决定" in briefing.build(db, "2026-02")
    db.close()


@pytest.mark.usefixtures("navigation_mode")
def test_the_admin_form_records_a_decision_that_the_rankings_page_lists(demo_db, tmp_path, monkeypatch):
    import shutil

    from conftest import app_test

    from govdash.i18n import t

    path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("GOVDASH_DB", str(path))
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    at = app_test()
    at.run()
    at.switch_page("pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("sup_add", "zh") in [s.value for s in at.subheader]
    at.radio(key="sup_level").set_value("department").run()
    dept = at.selectbox(key="sup_unit").options[0]
    at.text_input(key="sup_by").set_value("区长办公会")
    at.text_area(key="sup_why").set_value("<b>连续三月</b>超期")
    at.button(key="sup_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == [t("sup_saved", "zh").format(n=1)]
    db = Database(path)
    row = queries_supervision.decisions(db).iloc[0]
    assert (row["level"], row["name_zh"], row["decided_by"], row["reason"]) == (
        "department",
        dept,
        "区长办公会",
        "<b>连续三月</b>超期",
    )
    db.close()
    # an empty reason is refused with the field's label, and nothing more is written
    at.text_input(key="sup_by").set_value("区长")
    at.button(key="sup_submit").click().run()
    assert [e.value for e in at.error] == [t("sup_failed", "zh").format(e=t("sup_reason", "zh"))]
    # the rankings page lists every recorded decision, its reason as plain text
    at.switch_page("pages/rankings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("sup_title", "zh") in [s.value for s in at.subheader]
    listed = at.dataframe[-1].value  # the ranking's table first, then the decisions
    assert listed[t("sup_reason", "zh")].tolist() == ["<b>连续三月</b>超期"]
    heads = " ".join(s.value for s in at.subheader)
    assert "黑榜：明显差于全区" in heads and "挂牌督办）" not in heads
