"""Case lifecycle: the funnel with stage times, escalation tiers over time, oldest open and overdue cases."""

import streamlit as st

from govdash import charts, lifecycle, queries, queries_trend, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
ui.header("page_lifecycle", db)
at = ui.cached(queries.as_of)

left, right = st.columns([3, 2])
fun = ui.cached(lifecycle.funnel_data, f)
left.subheader(t("funnel", lang))
left.plotly_chart(charts.funnel_chart(fun, lang=lang), width="stretch", key="funnel")
right.subheader(t("stage", lang))
right.dataframe(lifecycle.funnel_table(fun, lang), hide_index=True, width="stretch")
right.caption(t("def_hours", lang))

st.subheader(t("tier_share", lang))
period = (
    st.segmented_control(
        t("by_period", lang),
        ["week", "month", "quarter"],
        default="month",
        format_func=lambda p: t(p, lang),
        key="tier_period",
    )
    or "month"
)
tiers = ui.cached(lifecycle.tier_data, f, period, at)
if tiers.empty:
    st.info(t("no_data", lang))
else:
    st.plotly_chart(charts.tier_area(tiers, lang=lang), width="stretch", key="tiers")
st.caption(t("tier_slogan", lang))

st.subheader(t("oldest_open", lang))
c1, c2 = st.columns([1, 4])
overdue_only = c1.toggle(t("overdue_only", lang), value=True, key="overdue_only")
cut = queries.cutoff(f, at)
c2.caption(f"{t('backlog', lang)} · {cut:%Y-%m-%d %H:%M}")
cases = ui.cached(lifecycle.oldest, f, at, overdue_only=overdue_only, limit=50, lang=lang)
if cases.empty:
    st.success(t("no_overdue", lang))
else:
    view = lifecycle.open_table(cases, lang)
    pick = ui.table(
        view,
        hide_index=True,
        width="stretch",
        height=360,
        on_select="rerun",
        selection_mode="single-row",
        key="open_table",
    )
    rows = pick.selection.rows if pick and pick.selection else []
    if not rows:
        st.caption(t("pick_case", lang))
    else:
        case_id = cases.iloc[rows[0]]["case_id"]
        detail = ui.cached(queries_trend.case_timeline, case_id, scope=ui.scope())
        if not detail.empty:
            st.subheader(f"{t('case_timeline', lang)} · {ui.md_text(case_id)}")
            events = lifecycle.timeline(detail.iloc[0], at=cut)
            st.plotly_chart(charts.case_timeline(events, lang=lang), width="stretch", key="timeline")
            ui.table(lifecycle.case_fields(detail.iloc[0], ui.catalogue(), lang), hide_index=True, width="stretch")
