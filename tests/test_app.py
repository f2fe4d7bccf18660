"""AppTest smoke tests of every page of app.py: with and without filters, URL params, language switch."""

from __future__ import annotations

import duckdb
import pytest
from conftest import app_test

from govdash.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

TOWN = "310115005"  # 陆家嘴街道
CATEGORY = "noise"


@pytest.fixture(scope="module")
def community(demo_db) -> str:
    """The most populous community of TOWN."""
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return con.execute(
            "SELECT unit_id FROM units WHERE level = 'community' AND town_id = ? ORDER BY residents DESC LIMIT 1",
            [TOWN],
        ).fetchone()[0]
    finally:
        con.close()


def _open(app_page, query: dict | None = None):
    """Run app.py once (optionally with URL params), then the page; return the AppTest."""
    at = app_test()
    for k, v in {**dict(app_page.query), **(query or {})}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    if not app_page.default:
        at.switch_page(app_page.path).run()
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _texts(at) -> str:
    """All text the run put on screen (titles, alerts, markdown, captions, metrics)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "metric")
    parts = [str(getattr(e, "value", "")) + str(getattr(e, "label", "")) for k in kinds for e in at.get(k)]
    parts += [e.proto.body for e in at.get("html")]  # st.html (the wall screen draws its own markup)
    return "\n".join(parts)


def _filters(at):
    return at.session_state["filters"]


def _needs_filter_bar(app_page) -> None:
    if app_page.query:  # e.g. the wall screen: no sidebar, its state is the URL
        pytest.skip(f"{app_page.url_path} has no filter bar")


def test_app_lists_pages():
    from conftest import app_pages

    pages = app_pages()
    assert {p.url_path for p in pages} >= {"overview", "map", "heatmap", "trends", "coverage", "cases"}
    # one default page per navigation (the analyst pages; a mode such as the wall screen)
    for query in {p.query for p in pages}:
        assert sum(p.default for p in pages if p.query == query) == 1


def test_page_without_filters(app_env, app_page):
    at = _open(app_page)
    _ok(at)
    text = _texts(at)
    # every screen says plainly that the data is synthetic
    assert t("synthetic", "zh") in text or "演示数据" in text or "合成" in text, text[:500]
    if not app_page.query:
        assert at.title, "no page title"
        f = _filters(at)
        assert not f.towns and not f.categories


def test_page_with_sidebar_filters(app_env, app_page, community):
    _needs_filter_bar(app_page)
    at = _open(app_page)
    at.multiselect(key="w_towns").set_value([TOWN]).run()
    _ok(at)
    at.multiselect(key="w_categories").set_value([CATEGORY]).run()
    _ok(at)
    assert (_filters(at).towns, _filters(at).categories) == ((TOWN,), (CATEGORY,))
    # drill down to one community (the map switches to grids)
    at.multiselect(key="w_communities").set_value([community]).run()
    _ok(at)
    assert _filters(at).communities == (community,)
    assert at.query_params["town"] == [TOWN] or at.query_params["town"] == TOWN


def test_page_with_url_filters(app_env, app_page):
    at = _open(app_page, {"town": TOWN, "cat": CATEGORY, "from": "2026-01-01", "to": "2026-06-30"})
    _ok(at)
    if app_page.query:
        return
    f = _filters(at)
    assert f.towns == (TOWN,) and f.categories == (CATEGORY,)
    assert (str(f.start), str(f.end)) == ("2026-01-01", "2026-06-30")


def test_page_with_an_empty_selection(app_env, app_page):
    """A period without cases: pages show "—" / no data, not errors."""
    at = _open(app_page, {"from": "2020-01-01", "to": "2020-01-31"})
    _ok(at)
    if not app_page.query:
        assert _filters(at).start.year == 2020


def test_filters_persist_across_pages(app_env):
    at = app_test()
    at.query_params["town"] = TOWN
    at.run()
    at.switch_page("pages/trends.py").run()
    _ok(at)
    at.multiselect(key="w_categories").set_value([CATEGORY]).run()
    at.switch_page("pages/cases.py").run()
    _ok(at)
    assert (_filters(at).towns, _filters(at).categories) == ((TOWN,), (CATEGORY,))


def test_language_switch_to_english(app_env):
    at = app_test().run()
    assert at.title[0].value == t("page_overview", "zh")
    at.sidebar.radio[0].set_value("en").run()
    _ok(at)
    assert at.title[0].value == t("page_overview", "en")
    assert t("synthetic", "en") in [i.value for i in at.info]
    at.switch_page("pages/trends.py").run()
    assert at.title[0].value == t("page_trends", "en")


def test_language_from_url(app_env):
    at = app_test()
    at.query_params["lang"] = "en"
    at.run()
    _ok(at)
    assert at.title[0].value == t("page_overview", "en")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2026-13-45"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"town": "x' OR 1=1 --"}, "town"),
        ({"cat": "<script>alert(1)</script>"}, "cat"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_bad_url_params_warn(app_env, query, field):
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    warnings = [w.value for w in at.sidebar.get("alert") if w.type == "warning"] or [w.value for w in at.warning]
    assert any(field in w for w in warnings), warnings
    # the view falls back to the default filters
    assert not _filters(at).towns and not _filters(at).categories
