"""Cases: the analyst's paginated table of filtered cases, a case detail view and CSV export."""

import streamlit as st

from govdash import ui
from govdash.i18n import t

PAGE_SIZE = 100
ui.require("cases")
lang = ui.lang()
db = ui.database()
f = ui.scoped(ui.current_filters())  # the account's streets/towns only, whatever the filter bar holds
ui.header("page_cases", db)

from govdash import queries  # noqa: E402

total = queries.case_count(db, f)
pages = max(1, -(-total // PAGE_SIZE))
c1, c2, c3 = st.columns([1, 1, 2])
page_no = c1.number_input(t("page", lang), min_value=1, max_value=pages, value=1, step=1)
order = c2.selectbox("排序 Order", list(queries.ORDERS), format_func=lambda o: {
    "newest": "最新 newest", "oldest": "最早 oldest", "overdue": "时限 deadline"}[o])
c3.metric(t("cases", lang), f"{total:,}")
rows = ui.masked(queries.cases_page(db, f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE, order=order))
if rows.empty:
    st.info(t("no_data", lang))
else:
    names = ui.cached("unit_names")
    view = rows.assign(town=rows["town_id"].map(names), community=rows["community_id"].map(names),
                       category=rows["category"].map(lambda c: ui.category_name(c, lang)),
                       channel=rows["channel"].map(lambda c: t(c, lang)),
                       status=rows["status"].map(lambda c: t(c, lang)))
    shown = ["case_id", "reported_at", "town", "community", "category", "channel", "status", "resolved",
             "deadline_at", "closed_at", "description"]
    event = st.dataframe(view[shown], hide_index=True, width="stretch", height=520,
                         on_select="rerun", selection_mode="single-row", key="case_table")
    picked = event.selection.rows if event and event.selection else []
    if picked:
        case_id = rows.iloc[picked[0]]["case_id"]
        detail = ui.masked(queries.case_detail(db, case_id, scope=ui.scope()))
        st.subheader(f"{t('case', lang)} {case_id}")
        st.dataframe(detail.T.rename(columns={0: ""}).astype(str), width="stretch")
    ui.export_button(t("export_csv", lang), view[shown], f"cases_{f.start}_{f.end}_p{page_no}.csv", what="cases")
