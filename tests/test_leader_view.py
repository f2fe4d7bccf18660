"""The leader's view (docs/indicators.md): the last complete month by default, no false target breach on the
wall and the overview, the survey's 民生满意度 and the governance index under their own names, a 口径 note
on each tile; on the demo and on a database that is not the demo (the literal cases)."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest
from conftest import app_test
from literal_cases import AS_OF, FEB, build_db

from govdash import filters, leader, queries, settings, wall
from govdash.db import Database
from govdash.filters import Filters, Scope

DEMO_AT = date(2026, 11, 15)
OCTOBER = filters.last_month(DEMO_AT)


def _run(query: dict):
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tiles(at) -> dict[str, str]:
    """The wall's tiles by key: their class (" met", " miss" or "") and text."""
    body = "\n".join(e.proto.body for e in at.get("html"))
    return {m[1]: m[0] for m in re.findall(r'<div class="wall-tile( met| miss)?" data-key="([a-z_]+)"', body)}


# --- the demo: the last complete month, judged over the cases due ---


def test_the_demos_last_complete_month_meets_its_resolution_and_recognition_targets(demo_db):
    db = Database(demo_db)
    k = queries.due_totals(db, OCTOBER, queries.as_of(db))
    assert (OCTOBER.start, OCTOBER.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert k["resolution_rate"] >= 0.99 and k["recognition_rate"] >= 0.99  # the targets, met
    assert k["in_handling"] > 0  # counted apart, not judged
    # calibration to Pudong's 99.3 % / 99.6 %: at 20 k cases a month has ~1,000 cases due, where one case
    # is 0.1 pp, so the check pools the quarter (~2,900 due: ±0.4 pp is about two standard deviations);
    # the 200 k demo gives 99.3 % and 99.6 % in October alone
    quarter = queries.due_totals(db, Filters(start=date(2026, 8, 1), end=date(2026, 10, 31)), queries.as_of(db))
    assert quarter["resolution_rate"] == pytest.approx(0.993, abs=0.004)
    assert quarter["recognition_rate"] == pytest.approx(0.996, abs=0.004)


def test_the_wall_opens_on_the_last_complete_month_without_a_false_breach(app_env):
    at = _run({"mode": "wall", "panels": "overview"})
    tiles = _tiles(at)
    assert set(tiles) == set(wall.TILES)
    body = "\n".join(e.proto.body for e in at.get("html"))
    assert "2026-10-01 – 2026-10-31" in body and "民生满意度（测评）" in body and "社会治理指数" in body
    assert "回访满意度" in body
    for key in ("resolution_rate", "recognition_rate", "survey_satisfaction", "satisfaction"):
        assert tiles[key] == " met", key
    # a breach shown is one the data has: October's cases due really include late closures
    db = Database(app_env)
    k = queries.due_totals(db, OCTOBER, queries.as_of(db))
    assert (tiles["on_time_rate"] == " miss") == (k["due_on_time"] < k["due"])
    assert "已解决 ÷ 到期工单" in body and f"办理中 {k['in_handling']}件" in body  # the 口径 note, with its counts


def test_the_overview_opens_on_the_last_complete_month_with_both_satisfactions(app_env):
    at = _run({})
    assert at.session_state["filters"].start == OCTOBER.start and at.session_state["filters"].end == OCTOBER.end
    metrics = {m.label: m for m in at.metric}
    for label in ("解决率", "按期办结率", "民生满意度（测评）", "回访满意度", "社会治理指数", "进步指数", "办理中"):
        assert label in metrics, (label, list(metrics))
    assert metrics["社会治理指数"].value == "89.3" and metrics["进步指数"].value == "10.8"
    assert metrics["解决率"].proto.help.startswith("口径: 已解决 ÷ 到期工单")
    assert float(metrics["解决率"].value.rstrip("%")) >= 99.0


def test_the_overview_in_english_names_the_two_satisfactions(app_env):
    at = _run({"lang": "en"})
    labels = [m.label for m in at.metric]
    assert "Survey satisfaction" in labels and "Callback satisfaction" in labels and "Social governance index" in labels


# --- a database that is not the demo: the literal cases (answers by hand) ---


@pytest.fixture(scope="module")
def lit(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("leader") / "lit.duckdb")
    yield database
    database.close()


def test_survey_and_governance_figures_on_the_literal_database(lit):
    # survey 2026Q1: T1 (82 + 78) / 2 = 80, T2 (72 + 68) / 2 = 70 → 75; 2025Q4: T1 78, T2 74 → 76
    now, before = leader.figures(lit, FEB)
    assert now["survey_quarter"] == "2026Q1"
    assert now["survey_satisfaction"] == pytest.approx(75.0) and before["survey_satisfaction"] == pytest.approx(76.0)
    assert (now["governance_index"], now["progress_index"], before["governance_index"]) == (90.0, 10.0, 88.5)
    t2, _ = leader.figures(lit, FEB.with_(towns=("T2",)))
    assert t2["survey_satisfaction"] == pytest.approx(70.0)
    assert math.isnan(t2["governance_index"])  # the district's index is no street/town's figure (issue 18)
    assert leader.figures(lit, FEB.with_(scope=("T2",)))[0]["survey_satisfaction"] == pytest.approx(70.0)
    for below in (FEB.with_(communities=("C1",)), FEB.with_(scope=Scope(departments=("D1",)))):
        now_b, _ = leader.figures(lit, below)  # the survey is per street/town: none for a 居村 or a department
        assert math.isnan(now_b["survey_satisfaction"]) and math.isnan(now_b["governance_index"])
    early, _ = leader.figures(lit, FEB.with_(start=date(2024, 1, 1), end=date(2024, 1, 31)))
    assert math.isnan(early["survey_satisfaction"]) and math.isnan(early["governance_index"])


def test_wall_tiles_on_the_literal_database(lit):
    # February (due A04, A08, A09): 解决率 2/3 and 按期办结率 2/3 are real breaches; 认可率 1/2 too
    s = settings.load()
    tiles = {t.key: t for t in wall.headline(lit, FEB, AS_OF, s, "zh")}
    assert tiles["resolution_rate"].value == "66.7%" and tiles["resolution_rate"].met is False
    assert tiles["resolution_rate"].caliber == "已解决 ÷ 到期工单 3件；办理中 0件未到期不计"
    assert tiles["survey_satisfaction"].value == "75.0" and tiles["survey_satisfaction"].met is False  # < 80
    assert tiles["governance_index"].value == "90.0" and tiles["governance_index"].caliber.endswith("进步指数 10.0")
    # March: only A05 is due; 认可率 has nothing resolved to judge: "—", neither met nor missed
    march = FEB.with_(start=date(2026, 3, 1), end=date(2026, 3, 31))
    tiles = {t.key: t for t in wall.headline(lit, march, AS_OF, s, "en")}
    assert tiles["recognition_rate"].value == "—" and tiles["recognition_rate"].met is None
    assert tiles["resolution_rate"].caliber == "resolved ÷ 1 cases due; 1 in handling, not yet due, not judged"


def test_the_overview_on_the_literal_database(lit, monkeypatch):
    monkeypatch.setenv("GOVDASH_DB", str(lit.path))
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    at = _run({})
    f = at.session_state["filters"]
    assert (f.start, f.end) == (date(2026, 2, 1), date(2026, 2, 28))  # the data ends in March: February
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["解决率"], metrics["按期办结率"], metrics["基层认可率"]) == ("66.7%", "66.7%", "50.0%")
    assert (metrics["民生满意度（测评）"], metrics["社会治理指数"], metrics["办理中"]) == ("75.0", "90.0", "0")
