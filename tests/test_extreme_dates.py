"""Extreme stored times (9999-12-31, 0001-01-01, a stray future case): every page and the wall survive them.

The importers reject such rows; these tests put them straight into a tiny literal database (as an
older version or a hand edit could have) and run every page of app.py and the wall with AppTest.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from conftest import app_test
from literal_cases import CASES, D, build_db

from govdash import queries, wall

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

FUTURE = (datetime.now() + timedelta(days=400)).replace(microsecond=0)  # a stray case from the future
# case_id, town, category, department, tier, reported, deadline, closed, resolved, recognised, satisfaction
EXTREME = [
    (
        "X01",
        "T1",
        "noise",
        "D01",
        "community",
        D(9999, 12, 31, 23, 59),
        D(9999, 12, 31, 23, 59),
        None,
        None,
        None,
        None,
    ),
    ("X02", "T2", "garbage", "D02", "street", D(1, 1, 1), D(1, 1, 2), D(1, 1, 1, 12), True, True, 90.0),
    ("X03", "T1", "dispute", "D01", "street", D(2026, 3, 10, 9), D(9999, 12, 31), D(9999, 12, 31), True, True, 80.0),
    ("X04", "T2", "noise", "D03", "district", FUTURE, FUTURE + timedelta(days=3), None, None, None, None),
    ("X05", "T1", "noise", "D01", "community", D(2026, 3, 29, 9), D(1, 1, 1), None, None, None, None),
]
# real imported data has no 'as_of' in meta: the app takes the newest time in the cases table
NO_META_AS_OF = [
    "DELETE FROM meta WHERE key = 'as_of'",
    "UPDATE cases SET updated_at = TIMESTAMP '9999-12-31 23:59:59' WHERE case_id = 'X03'",
]


@pytest.fixture
def extreme_db(tmp_path):
    path = tmp_path / "extreme.duckdb"
    build_db(path, cases=CASES + EXTREME, extra_sql=NO_META_AS_OF).close()
    return str(path)


@pytest.fixture
def extreme_env(extreme_db, monkeypatch):
    monkeypatch.setenv("GOVDASH_DB", extreme_db)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    monkeypatch.setenv("GOVDASH_AUTH", "none")
    return extreme_db


def test_query_layer_ignores_stray_times(extreme_db):
    from govdash.db import Database

    db = Database(extreme_db)
    try:
        lo, hi = queries.date_range(db)
        # the newest plausible report is A06 / X05 (28 / 29 March 2026); 0001 and the future are not data
        assert (lo, hi) == (date(2025, 12, 20), date(2026, 3, 29))
        assert queries.data_as_of(db) == datetime(2026, 3, 29, 9)  # X03's updated_at 9999 is ignored too
        assert queries.as_of(db) == datetime(2026, 3, 29, 9)
    finally:
        db.close()


def _texts(at) -> str:
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "metric")
    parts = [str(getattr(e, "value", "")) + str(getattr(e, "label", "")) for k in kinds for e in at.get(k)]
    parts += [e.proto.body for e in at.get("html")]
    return "\n".join(parts)


@pytest.mark.parametrize("query", [{}, {"from": "2026-01-01", "to": "2026-03-31"}])
def test_every_page_survives_extreme_rows(extreme_env, app_page, query):
    at = app_test()
    for k, v in {**dict(app_page.query), **query}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if not app_page.default:
        at.switch_page(app_page.path).run()
        assert not at.exception, [e.value for e in at.exception]
    text = _texts(at)
    assert (
        "9999" not in text and "0001-01-01" not in text and str(FUTURE.year) + "-" not in text.replace("2026-", "")
    )  # no stray time shown as the data's
    if not app_page.query:  # the default period: the last complete month before the newest plausible case
        f = at.session_state["filters"]
        assert f.end <= date(2026, 3, 31)
        if not query:
            assert (f.start, f.end) == (date(2026, 2, 1), date(2026, 2, 28))


@pytest.mark.parametrize("preset", ["all", "365d", "custom"])
def test_every_preset_with_extreme_rows(extreme_env, preset):
    at = app_test()
    at.run()
    at.sidebar.selectbox(key="w_preset").select(preset).run()
    assert not at.exception, [e.value for e in at.exception]
    f = at.session_state["filters"]
    assert date(2025, 12, 20) <= f.start and f.end <= date(2026, 3, 29)
    for path in (
        "pages/trends.py",
        "pages/lifecycle.py",
        "pages/rankings.py",
        "pages/cases.py",
        "pages/map.py",
        "pages/heatmap.py",
    ):
        at.switch_page(path).run()
        assert not at.exception, (path, [e.value for e in at.exception])


def test_wall_header_and_overdue_stay_sane(extreme_env):
    at = app_test()
    at.query_params["mode"] = "wall"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    body = "\n".join(e.proto.body for e in at.get("html"))
    assert "2026-03-29 09:00" in body  # data as of: the newest plausible time
    assert "9999" not in body and "0001-" not in body
    assert "46330" not in body and "wall-nodata" not in body.split("wall-tiles")[0]


def test_wall_ticker_overdue_days_are_bounded(extreme_db):
    from govdash.db import Database

    db = Database(extreme_db)
    try:
        at = queries.as_of(db)
        f = wall.wall_filters({}, at.date(), 30)
        items = wall.ticker(db, f, at)
        days = [float(i["text"].split()[1].rstrip("天")) for i in items if i["kind"] == "overdue"]
        # X05's deadline 0001-01-01 is not a real deadline: no item claims hundreds of years overdue
        assert all(d < 366 for d in days), items
    finally:
        db.close()
