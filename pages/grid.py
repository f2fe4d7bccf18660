"""Grid management 网格管理: patrol coverage, grids not patrolled, 主动发现率 by unit, workers' workload."""

import streamlit as st

from govdash import drill, grid_work, indicators, queries, queries_grid, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
ui.header("page_grid", db)
at = ui.cached(queries.as_of)
levels = ui.cached(queries.unit_levels)
names = ui.cached(queries.unit_names, scope=ui.scope())

if "grid" not in levels:
    st.info(t("grid_no_grids", lang))
    st.stop()
have = ui.cached(queries_grid.recorded)
level = drill.levels(f, levels)[0]
work = ui.cached(queries_grid.unit_work, f, level, at)
if not have["patrols"]:
    st.info(t("grid_no_data", lang))
    st.caption(t("grid_found_no_patrols", lang))
    ui.table(grid_work.found_table(work, names.get(level, {}), lang), hide_index=True, width="stretch")
    st.stop()

n_days = int(
    st.columns([1, 5])[0].number_input(
        t("grid_days_without", lang), min_value=1, max_value=60, value=grid_work.UNPATROLLED_DAYS, key="grid_n_days"
    )
)
daily = ui.cached(queries_grid.daily_coverage, f, at)
idle = ui.cached(queries_grid.unpatrolled, f, at, n_days)
staff = ui.cached(queries_grid.workers, f)
top = grid_work.headline(work, staff, idle)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("grid_workers_on_duty", lang), f"{top['workers']:,}")
c2.metric(t("patrol_coverage", lang), ui.fmt(top["patrol_coverage"], "patrol_coverage"))
c3.metric(t("patrol_found_rate", lang), ui.fmt(top["patrol_found_rate"], "patrol_found_rate"))
c4.metric(t("grid_unpatrolled_n", lang).format(n=n_days), f"{top['unpatrolled']:,}")
if len(daily):
    st.caption(t("grid_records", lang).format(first=daily["day"].iloc[0], last=daily["day"].iloc[-1]))

left, right = st.columns([3, 2])
left.subheader(t("grid_daily_title", lang))
left.plotly_chart(grid_work.daily_chart(daily, lang), width="stretch", key="grid_daily")
right.subheader(t("grid_unpatrolled_n", lang).format(n=n_days))
right.caption(t("grid_unpatrolled_at", lang).format(at=f"{at:%Y-%m-%d %H:%M}"))
if idle.empty:
    right.success(t("grid_none_unpatrolled", lang).format(n=n_days))
else:
    right.dataframe(grid_work.unpatrolled_table(idle, names, lang), hide_index=True, width="stretch", height=300)

st.subheader(t("grid_found_title", lang).format(level=t(level, lang)))
ui.table(grid_work.found_table(work, names.get(level, {}), lang), hide_index=True, width="stretch")
st.subheader(t("grid_workers_title", lang))
order = st.radio(
    t("grid_workers_order", lang),
    grid_work.WORKER_ORDERS,
    horizontal=True,
    key="grid_worker_order",
    format_func=lambda v: t(v, lang),
)
listed = grid_work.workers_shown(staff, order)
if len(listed) < len(staff):
    st.caption(t("grid_workers_cut", lang).format(n=len(listed), total=len(staff)))
ui.table(grid_work.workers_table(listed, names.get("town", {}), lang), hide_index=True, width="stretch", height=420)
with st.expander(t("definitions", lang)):
    for key in indicators.GRID_DEFINITION_KEYS:
        st.markdown(ui.md_text(t(key, lang)))
