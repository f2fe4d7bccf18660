"""Overview: headline indicators with change against the previous period, trend and town ranking."""

from datetime import timedelta

import streamlit as st

from govdash import charts, indicators, keycases, leader, mustreport, queries, ranking_chart, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
ui.header("page_overview", db)
at = ui.cached(queries.as_of)
# the judged rates over the cases due, the survey and the governance index (docs/indicators.md); the previous
# period as it stood at the same age (as the trends page and the wall)
now, before = ui.cached(leader.overview, f, at)

st.caption(
    f"{t('period', lang)}: {f.start} – {f.end} · {t('vs_previous', lang)}: {f.previous().start} – "
    f"{f.previous().end} {t('same_age', lang)}"
)
keys = [
    "collected",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "survey_satisfaction",
    "satisfaction",
    "governance_index",
    "progress_index",
    "in_handling",
    "backlog",  # 在办（全部）and 超期在办（全部）: the wall's and the trends page's figures, by the same names
    "overdue_at_end",
    "median_hours",
]
for row in (keys[:4], keys[4:8], keys[8:]):
    cols = st.columns(4)
    for col, key in zip(cols, row, strict=False):
        inverse = indicators.INDICATORS[key].direction == "down"
        d = ui.delta(now.get(key), before.get(key), key, lang)
        note = leader.caliber(key, now, lang)  # the tile's 口径
        col.metric(
            t(key, lang),
            ui.fmt(now.get(key), key),
            d,
            border=True,
            help=f"{t('caliber', lang)}: {note}" if note else None,
            **ui.delta_style(d, "inverse" if inverse else "normal"),
        )
        goal, ok = indicators.target_text(key, ui.conf(), lang), indicators.met(now.get(key), key, ui.conf())
        if goal:  # every tile with a target says it and whether it is met, in the wall's words
            col.caption(
                f"{goal} · " + (t("met", lang) + " ✓" if ok else t("breach", lang) + " ✗") if ok is not None else goal
            )

left, right = st.columns([3, 2])
with left:
    st.subheader(t("overview_monthly", lang))
    monthly = ui.cached(
        queries.collected_by_period,
        f.with_(start=min(f.start, f.end.replace(day=1).replace(year=f.end.year - 1))),
        "month",
    )
    if monthly.empty:
        st.info(t("no_data", lang))
    else:
        st.plotly_chart(charts.trend_lines(monthly, "collected", lang=lang, height=340), width="stretch")
        if at.date() < (f.end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1):
            st.caption(t("partial_period", lang).format(at=f"{at:%Y-%m-%d %H:%M}"))  # the last month's dip
with right:
    # a street/town's or 居村's overview (a filter or an account's area) ranks its 居村, the district its towns
    mine = ui.scope()
    level = "community" if f.towns or f.communities or (mine is not None and mine.area) else "town"
    st.subheader(f"{t(f'{level}_ranking_title', lang)} · {t('resolution_rate', lang)}")
    stats = ui.cached(queries.unit_stats, f, level, at, False)  # the ranking shows rates only
    stats = stats[stats["collected"] > 0].sort_values("resolution_rate", ascending=False)
    if stats.empty:
        st.info(t("no_data", lang))
    else:
        # every street/town, the worst on top, on the whole axis with the target (issue 19 item 4)
        st.plotly_chart(
            ranking_chart.unit_ranking(stats, "name_zh", "resolution_rate", ui.conf(), lang=lang), width="stretch"
        )

# 八必报 (the period's must-report items) and 重点难点 (the key cases' standing list): issue 17 items 4 and 5
must, key = st.columns(2)
with must:
    st.subheader(t("mr_title", lang))
    mr = ui.cached(mustreport.summary, f, at, lang)
    if mr.empty:
        st.info(t("mr_none", lang))
    else:
        st.caption(mustreport.total_text(mr, lang))
        ui.table(mustreport.table(mr.items, lang), hide_index=True, width="stretch")
        units = [("mr_by_town", mr.towns)] + ([("mr_by_grid", mr.grids)] if not mr.grids.empty else [])
        for tab, (name, rows) in zip(st.tabs([t(n, lang) for n, _ in units]), units, strict=True):
            tab.dataframe(mustreport.table(rows.head(8), lang, name), hide_index=True, width="stretch")
        st.caption(t("mr_caliber", lang))
with key:
    st.subheader(t("kc_title", lang))
    kc = ui.cached(keycases.key_cases, f, at)
    if kc.empty:
        st.info(t("kc_none", lang))
    else:
        n = keycases.counts(kc)
        for col, status in zip(st.columns(3), keycases.STATUSES[:3], strict=True):
            col.metric(t(f"kc_{status}", lang), f"{n[status]:,}", border=True)
        st.caption(keycases.caption(n, lang))
        ui.table(keycases.table(keycases.oldest_open(kc, 5), lang, compact=True), hide_index=True, width="stretch")
