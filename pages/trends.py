"""Resolution trends: collected, resolved and rates by period, split by town, department, category, channel or tier."""

import streamlit as st

from govdash import charts, ui
from govdash.i18n import t
from govdash.maps import RATE_INDICATORS

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_trends", db)
at = ui.cached("as_of")

INDICATORS = ["collected", "resolved", "resolution_rate", "on_time_rate", "recognition_rate",
              "satisfaction", "median_hours", "p90_hours"]
TARGETS = {"resolution_rate": s.target_resolution, "on_time_rate": s.target_on_time,
           "recognition_rate": s.target_recognition, "satisfaction": s.target_satisfaction}
c1, c2, c3 = st.columns(3)
period = c1.selectbox(t("by_period", lang), ["day", "week", "month", "quarter"], index=1,
                      format_func=lambda p: t(p, lang), key="trend_period")
indicator = c2.selectbox(t("indicator", lang), INDICATORS, index=2, key="trend_indicator",
                         format_func=lambda k: t(k, lang) if k != "p90_hours" else "P90 办结时长(小时) P90 hours")
split = c3.selectbox("对比 Compare by", ["none", "town", "department", "category", "channel", "tier"],
                     key="trend_split", format_func=lambda v: {"none": "不分组 none", "town": t("town", lang),
                     "department": t("department", lang), "category": t("category", lang),
                     "channel": t("channel", lang), "tier": t("tier", lang)}[v])
data = ui.cached("trend", f, period, at, None if split == "none" else split)
if data.empty:
    st.info(t("no_data", lang))
else:
    labels = None
    if split != "none":
        names = ui.cached("unit_names")
        deps = ui.cached("departments")
        dep = dict(zip(deps["department_id"], deps["name_zh"] if lang == "zh" else deps["name_en"]))
        labels = {k: names.get(k) or dep.get(k) or (ui.category_name(k, lang) if split == "category" else t(k, lang))
                  for k in data["series"].unique()}
        # keep the figure readable: the 8 largest series by volume
        top = data.groupby("series")["collected"].sum().nlargest(8).index
        data = data[data["series"].isin(top)]
    st.plotly_chart(charts.trend_lines(data, indicator, lang=lang, target=TARGETS.get(indicator),
                                       series_labels=labels, height=460), width="stretch")
    st.caption("口径：按上报日期计入统计周期；解决率=已解决÷受理；按期办结率=时限内办结÷已办结；认可率=社区认可÷已解决。"
               "办结时长≠问题真正解决所需时间。" if lang == "zh" else
               "Cases count in the period they were reported. Resolution = resolved ÷ collected; on-time = closed by "
               "deadline ÷ closed; recognition = accepted by the community ÷ resolved. Time to close is not time to fix.")
    bl = ui.cached("backlog", f, period)
    if not bl.empty:
        st.subheader("期末在办 Open backlog at period end")
        st.plotly_chart(charts.bars(bl.assign(label=bl["period"].astype(str).str[:10]), "label", "backlog",
                                    lang=lang, horizontal=False, height=300), width="stretch")
    shown = data.copy()
    for c in RATE_INDICATORS:
        shown[c] = (shown[c] * 100).round(2)
    st.dataframe(shown, hide_index=True, width="stretch")
