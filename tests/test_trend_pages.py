"""AppTest of the trends, rankings and lifecycle pages: render, change period / split / tab, click-to-filter."""

from __future__ import annotations

import pytest
from conftest import app_test

from govdash import rankings
from govdash.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

TOWN = "310115005"  # 陆家嘴街道


def _open(page: str, query: dict | None = None):
    at = app_test()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_trends_renders_every_indicator_with_changes(app_env):
    at = _open("pages/trends.py")
    assert at.title[0].value == t("page_trends", "zh")
    labels = [m.label for m in at.metric]
    for key in ("collected", "resolution_rate", "on_time_rate", "dispute_rate", "p90_hours", "backlog"):
        assert t(key, "zh") in labels, key
    captions = " ".join(c.value for c in at.caption)
    assert t("year_before", "zh") in captions and t("target", "zh") in captions
    assert any("办结时长≠问题真正解决所需时间" in w.value for w in at.warning)  # the caveat, always visible
    assert at.get("plotly_chart"), "no chart"
    assert at.get("download_button"), "no briefing download"


@pytest.mark.parametrize("period", ["day", "week", "quarter"])
@pytest.mark.parametrize("split", ["town", "department", "tier"])
def test_trends_period_and_split(app_env, period, split):
    at = _open("pages/trends.py")
    at.selectbox(key="trend_split").set_value(split).run()
    _ok(at)
    at.selectbox(key="trend_indicator").set_value("on_time_rate").run()
    _ok(at)
    at.session_state["trend_period"] = period
    at.run()
    _ok(at)
    assert at.get("plotly_chart") and at.dataframe


@pytest.mark.parametrize("tab", ["tab_anomalies", "tab_survey"])
def test_trends_other_tabs(app_env, tab):
    at = _open("pages/trends.py", {"from": "2026-06-01", "to": "2026-09-30"})
    at.session_state["trend_tab"] = t(tab, "zh")
    at.run()
    _ok(at)
    if tab == "tab_survey":
        assert any(t("survey_spread", "zh") in s.value for s in at.subheader)
        assert any(m.label == t("overall", "zh") for m in at.metric)
    else:
        assert any(t("anomaly_method", "zh")[:10] in c.value for c in at.caption)


def test_rankings_renders_and_switches_level(app_env):
    at = _open("pages/rankings.py")
    heads = " ".join(s.value for s in at.subheader)
    # lists of units apart from the district (case-mix adjusted, the default), not a verdict (挂牌督办)
    assert "红榜：明显好于全区" in heads and "黑榜：明显差于全区" in heads and "挂牌督办）" not in heads
    assert len(at.dataframe[0].value) == 36  # every street/town listed (some may be unranked)
    at.session_state["rank_level"] = "department"
    at.run()
    _ok(at)
    assert len(at.dataframe[0].value) == 26


def test_rankings_row_click_filters_the_app(app_env):
    """A row click calls ui.set_filters(rankings.filter_to(...)); the filter bar applies it on the rerun."""
    at = _open("pages/rankings.py")
    f = at.session_state["filters"]
    at.session_state["pending_filters"] = rankings.filter_to(f, "town", TOWN)
    at.run()
    _ok(at)
    assert at.session_state["filters"].towns == (TOWN,)
    assert at.query_params["town"] in ([TOWN], TOWN)
    names = at.dataframe[0].value.iloc[:, 2].tolist()
    assert len(names) == 36 and any(n == "● 陆家嘴街道" for n in names)  # still all towns, the pick marked


def test_lifecycle_renders_funnel_tiers_and_open_cases(app_env):
    at = _open("pages/lifecycle.py", {"from": "2026-01-01", "to": "2026-11-15"})
    heads = " ".join(s.value for s in at.subheader)
    for key in ("tier_share", "oldest_open"):
        assert t(key, "zh") in heads
    assert len(at.get("plotly_chart")) >= 2
    assert at.dataframe[1].value.shape[0] > 0  # overdue open cases in the demo
    at.toggle(key="overdue_only").set_value(False).run()
    _ok(at)
    at.session_state["tier_period"] = "week"
    at.run()
    _ok(at)


def test_pages_in_english(app_env):
    for page, key in (("pages/rankings.py", "page_rankings"), ("pages/lifecycle.py", "page_lifecycle")):
        at = _open(page, {"lang": "en"})
        assert at.title[0].value == t(key, "en")


def test_trends_offers_each_periods_report_as_pdf_or_html(app_env):
    at = _open("pages/trends.py")
    at.selectbox(key="report_kind").set_value("quarter").run()
    _ok(at)
    which = at.selectbox(key="report_at_quarter")
    assert which.value.kind == "quarter" and "季度" in which.options[0]  # the last complete quarter first
    button = at.get("download_button")[0].proto
    assert button.label == "下载季总结报告（PDF）"  # chromium and the CJK font are installed where tests run
    at.selectbox(key="report_kind").set_value("week").run()
    assert at.selectbox(key="report_at_week").value.start.weekday() == 0  # weeks run Monday to Sunday


def test_trends_charts_last_month_is_the_tiles_figure(app_env):
    """The monthly chart's last point (the last complete month, the default view) is the tile's 解决率,
    按期办结率 and 矛盾纠纷化解率: all judged over the month's cases due, so the chart shows no plunge the
    tile does not have."""
    import base64
    import json

    import numpy as np

    from govdash import indicators

    def values(y) -> np.ndarray:  # plotly sends numeric arrays as {"dtype", "bdata": base64}
        if isinstance(y, dict):
            return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).astype(float)
        return np.array([np.nan if v is None else v for v in y], dtype=float)

    at = _open("pages/trends.py")
    assert any(t("trend_judged_note", "zh") == c.value for c in at.caption)  # the 口径 note under the chart
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    tiles = {m.label: m.value for m in at.metric}
    for key in indicators.JUDGED:  # 解决率, 按期办结率, 矛盾纠纷化解率
        i = indicators.TREND_KEYS.index(key)
        axis = "y" if i == 0 else f"y{i + 1}"
        line = next(tr for tr in fig["data"] if tr.get("yaxis", "y") == axis)  # the panel's series, then its target
        shown = values(line["y"])
        shown = shown[~np.isnan(shown)]
        assert f"{shown[-1]:.1f}%" == tiles[t(key, "zh")], key
