"""Cases: the analyst's paginated table of filtered cases, a case detail view and CSV export."""

import streamlit as st

from govdash import charts, events, lifecycle, ui, ui_export
from govdash.i18n import t

PAGE_SIZE = 100
PERSON = ("complainant_name", "complainant_phone", "address")
ui.require("cases")
lang = ui.lang()
db = ui.database()
f = ui.scoped(ui.current_filters())  # the account's streets/towns only, whatever the filter bar holds
ui.header("page_cases", db)

from govdash import queries, queries_events, queries_trend  # noqa: E402

total = queries.case_count(db, f)
pages = max(1, -(-total // PAGE_SIZE))
c1, c2, c3 = st.columns([1, 1, 2])
page_no = c1.number_input(t("page", lang), min_value=1, max_value=pages, value=1, step=1)
c1.caption(t("page_of", lang).format(p=page_no, n=pages))
order = c2.selectbox(t("order", lang), list(queries.ORDERS), format_func=lambda o: t(f"order_{o}", lang))
c3.metric(t("cases", lang), f"{total:,}")
rows = ui.masked(queries.cases_page(db, f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE, order=order))
if rows.empty:
    st.info(t("no_data", lang))
else:
    names = ui.cached(queries.unit_names, scope=ui.scope())
    cat = ui.catalogue()
    view = rows.assign(
        town=rows["town_id"].map(names.get("town", {})),
        community=rows["community_id"].map(names.get("community", {})),
        category=rows["category"].map(lambda c: cat.name("category", c, lang)),
        channel=rows["channel"].map(lambda c: cat.name("channel", c, lang)),
        status=rows["status"].map(lambda c: t(c, lang)),
    )
    shown = [
        "case_id",
        "reported_at",
        "town",
        "community",
        "category",
        "channel",
        "status",
        "resolved",
        "deadline_at",
        "closed_at",
        "description",
    ]
    when = st.column_config.DatetimeColumn
    labels = {c: t(c, lang) for c in shown} | {
        c: when(t(c, lang), format="YYYY-MM-DD HH:mm") for c in ("reported_at", "deadline_at", "closed_at")
    }
    event = ui.table(
        view[shown],
        hide_index=True,
        width="stretch",
        height=520,
        column_config=labels,
        on_select="rerun",
        selection_mode="single-row",
        key="case_table",
    )
    picked = event.selection.rows if event and event.selection else []
    case_id = rows.iloc[picked[0]]["case_id"] if picked else st.query_params.get("case")  # a row, or a link ?case=
    if case_id:
        detail = ui.cached(queries_trend.case_timeline, case_id, scope=ui.scope())
        if not detail.empty:  # the same timeline as the lifecycle page, then who reported it (masked by role)
            st.subheader(f"{t('case_timeline', lang)} · {ui.md_text(case_id)}")
            raw = ui.cached(queries_events.case_events, case_id, scope=ui.scope())  # the chain, in order
            chart = events.chart_frame(detail.iloc[0], raw)
            st.plotly_chart(charts.case_timeline(chart, lang=lang), width="stretch", key="timeline")
            if not raw.empty:  # every event of the chain, labelled
                log = events.timeline_table(raw, ui.cached(events.party_names, lang), lang)
                ui.table(log, hide_index=True, width="stretch", key="event_log")
            ui.table(lifecycle.case_fields(detail.iloc[0], ui.catalogue(), lang), hide_index=True, width="stretch")
            person = ui.masked(queries.case_detail(db, case_id, scope=ui.scope()))[list(PERSON)]
            ui.table(person.rename(columns=lambda c: t(c, lang)), hide_index=True, width="stretch")
    ui_export.export_button(
        t("export_page_csv", lang), view[shown], f"cases_{f.start}_{f.end}_p{page_no}.csv", what="cases"
    )
    ui_export.export_cases_buttons(db, f, total, lang)
