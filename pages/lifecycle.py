"""Case lifecycle from the case events: the chain 受理→派单→处置→核查→结案→回访 with stage times, its rates (退单, 重派,
延期, 核查不通过, 督办), escalation paths, 吹哨报到, tiers over time, oldest open cases with their event log."""

import streamlit as st

from govdash import charts, events, lifecycle, queries, queries_events, queries_trend, ui
from govdash.i18n import t
from govdash.indicators import fmt

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
ui.header("page_lifecycle", db)
at = ui.cached(queries.as_of)

chain = ui.cached(events.chain_data, f, lang)
st.subheader(t("ev_chain", lang))
if chain["frame"] is None:
    st.info(t("ev_no_events", lang))
else:
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.funnel_chart(chain["frame"], lang=lang), width="stretch", key="funnel")
    right.dataframe(chain["stages"], hide_index=True, width="stretch")
    right.caption(t("ev_chain_note", lang))
    st.subheader(t("ev_rates", lang))
    cols = st.columns(6)
    for col, (key, value) in zip(cols, chain["rates"].items(), strict=False):
        col.metric(t(key, lang), fmt(value, "resolution_rate"))
    summary = chain["summary"]
    cols[4].metric(t("ev_supervised", lang), fmt(summary.get("supervised"), "collected"))
    cols[4].caption(t("ev_events_n", lang).format(n=fmt(summary.get("supervise_events"), "collected")))
    cols[5].metric(t("ev_urged", lang), fmt(summary.get("urged"), "collected"))
    st.caption(t("ev_rates_note", lang))
    esc, whistle = st.columns(2)
    esc.subheader(t("ev_escalation", lang))
    esc.dataframe(ui.cached(events.escalation_data, f, lang), hide_index=True, width="stretch")
    whistle.subheader(t("ev_whistle", lang))
    whistle.dataframe(ui.cached(events.whistle_data, f, lang), hide_index=True, width="stretch")

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
            raw = ui.cached(queries_events.case_events, case_id, scope=ui.scope())  # the chain, in order
            chart = events.chart_frame(detail.iloc[0], raw, at=cut)
            st.plotly_chart(charts.case_timeline(chart, lang=lang), width="stretch", key="timeline")
            if not raw.empty:  # every event of the chain, labelled
                log = events.timeline_table(raw, ui.cached(events.party_names, lang), lang)
                ui.table(log, hide_index=True, width="stretch", key="event_log")
            ui.table(lifecycle.case_fields(detail.iloc[0], ui.catalogue(), lang), hide_index=True, width="stretch")
