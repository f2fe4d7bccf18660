"""Trends: every indicator by period against its target and last year, split by unit; spikes; survey and index."""

import streamlit as st

from govdash import briefing, charts, indicators, pdf, periods, queries, queries_trend, survey, ui, ui_export
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_trends", db)
at = ui.cached(queries.as_of)
targets = {k: indicators.target(k, s) for k in indicators.TREND_KEYS}
SPLITS = ["none", *queries.SPLITS]

# --- the leaders' briefings (周例会, 月研判, 季总结, 年考核): built only when the button is pressed ---
rng = ui.cached(queries.date_range)
b1, b2, b3, b4 = st.columns([0.9, 1.6, 0.6, 1.6], vertical_alignment="bottom")
kind = b1.selectbox(
    t("report_period", lang),
    periods.KINDS,
    index=periods.KINDS.index("month"),
    format_func=lambda k: t(f"report_kind_{k}", lang),
    key="report_kind",
)
report_opts = (periods.options(kind, rng[0], at) if rng else []) or [periods.last_complete(kind, at)]
which = b2.selectbox(
    t("report_which", lang),
    report_opts,
    format_func=lambda p: f"{p.label(lang)} ({p.start} – {p.end})",
    key=f"report_at_{kind}",
)
no_pdf = pdf.available(s.chromium)
fmt = b3.selectbox(t("report_format", lang), ["html"] if no_pdf else ["pdf", "html"], format_func=str.upper)
if ui.can("export") and ui.scope() is None:  # the briefing is district-wide: not for area-limited accounts
    b4.download_button(
        t("download_report", lang).format(kind=t(f"report_kind_{kind}", lang), fmt=fmt.upper()),
        data=ui_export.audited(
            lambda: briefing.document(db, which, fmt, lang=lang, s=s), f"report {kind} {which.key()} {fmt}"
        ),
        file_name=f"report_{which.key()}_{lang}.{fmt}",
        mime=briefing.MIME[fmt],
        icon=":material/download:",
        on_click="ignore",
        key="brief_download",
    )
if no_pdf:
    st.caption(t("pdf_unavailable", lang))

# --- headline: this period against the previous one and the same period last year ---
st.caption(
    f"{t('period', lang)} {f.start} – {f.end} · {t('previous', lang)} {f.previous().start} – "
    f"{f.previous().end} · {t('year_before', lang)} {f.year_before().start} – {f.year_before().end}"
)
cmp = ui.cached(indicators.headline, f, at, s, lang)
for row in (cmp.iloc[:6], cmp.iloc[6:]):
    for col, r in zip(st.columns(6), row.itertuples(), strict=False):
        direction = indicators.INDICATORS[r.key].direction
        d = None if r.change == "—" else r.change
        colour = "off" if direction is None else ("inverse" if direction == "down" else "normal")
        col.metric(
            r.indicator,
            r.value,
            d,
            border=True,
            **ui.delta_style(d, colour),
            delta_description=f"{t('previous', lang)} {r.previous}",
            icon=":material/error:" if r.breach else None,
            help=f"{t('year_before', lang)}: {r.year_before} ({r.change_yoy})"
            + (f" · {t('target', lang)} {r.target}" if r.target else ""),
        )
        col.caption(
            f"{t('year_before', lang)} {r.year_before} · {r.change_yoy}"
            + (f" · {t('target', lang)} {r.target}" if r.target else "")
        )

tabs = st.tabs(
    [t("tab_trends", lang), t("tab_anomalies", lang), t("tab_survey", lang)], key="trend_tab", on_change="rerun"
)

with tabs[0]:
    if tabs[0].open:
        c1, c2, c3 = st.columns([1, 1, 2])
        period = (
            c1.segmented_control(
                t("by_period", lang),
                ["day", "week", "month", "quarter"],
                default="month",
                format_func=lambda p: t(p, lang),
                key="trend_period",
            )
            or "month"
        )
        split = c2.selectbox(t("compare_by", lang), SPLITS, key="trend_split", format_func=lambda v: t(v, lang))
        key = c3.selectbox(
            t("indicator", lang),
            indicators.TREND_KEYS,
            index=2,
            key="trend_indicator",
            format_func=lambda k: t(k, lang),
            disabled=split == "none",
        )
        table = ui.cached(indicators.trend_table, f, period, at, None if split == "none" else split)
        w = indicators.chart_window(f, period)
        if table.empty:
            st.info(t("no_data", lang))
        elif split == "none":
            st.plotly_chart(
                charts.indicator_grid(table, list(indicators.TREND_KEYS), lang=lang, targets=targets, cols=5),
                width="stretch",
                key="trend_grid",
            )
        else:
            labels = indicators.series_labels(
                split, lang, ui.cached(queries.unit_names, scope=ui.scope()), ui.catalogue()
            )
            st.plotly_chart(
                charts.split_panel(
                    table,
                    key,
                    lang=lang,
                    target=targets.get(key),
                    labels=labels,
                    cols=6 if table["series"].nunique() > 12 else 4,
                ),
                width="stretch",
                key="trend_split_chart",
            )
        if split == "none":
            st.caption(t("trend_judged_note", lang))
        st.caption(t("chart_note", lang).format(a=w.start, b=w.end, n=indicators.MIN_SPAN_DAYS[period]))
        st.warning(t("def_hours", lang), icon=":material/schedule:")
        with st.expander(t("definitions", lang)):
            st.markdown("\n".join(f"- {d}" for d in indicators.definitions(lang)))
        if not table.empty:
            labels = indicators.series_labels(
                split, lang, ui.cached(queries.unit_names, scope=ui.scope()), ui.catalogue()
            )
            shown = indicators.display_table(table, period, lang, labels)
            ui.table(shown, hide_index=True, width="stretch", height=300)
            ui_export.export_button(
                t("export_csv", lang), shown, f"trends_{period}_{f.start}_{f.end}.csv", what="trends"
            )

with tabs[1]:
    if tabs[1].open:
        ev = ui.cached(briefing.anomaly_list, f, lang=lang)
        st.caption(t("anomaly_method", lang))
        if ev.empty:
            st.success(t("no_anomalies", lang))
        else:
            pick = ui.table(
                briefing.anomaly_table(ev, lang),
                hide_index=True,
                width="stretch",
                height=320,
                on_select="rerun",
                selection_mode="single-row",
                key="spike_table",
            )
            rows = pick.selection.rows if pick and pick.selection else []
            r = ev.iloc[rows[0] if rows else 0]
            daily = ui.cached(
                briefing.spike_daily, f.with_(start=min(f.start, r["start"].date())), r["category"], r["town_id"]
            )
            st.plotly_chart(charts.spike_chart(daily, r["start"], r["end"], title=r["text"]), width="stretch")

with tabs[2]:
    if tabs[2].open:
        scores = ui.cached(queries_trend.survey_scores, scope=ui.scope())
        gov = ui.cached(queries_trend.governance_scores)
        if scores.empty:
            st.info(t("no_data", lang))
        else:
            quarters = sorted(scores["quarter"].unique())
            latest = survey.latest_quarter(scores, f.end) or quarters[-1]
            q = st.selectbox(
                t("quarter_pick", lang), quarters[::-1], index=quarters[::-1].index(latest), key="survey_quarter"
            )
            towns = ui.cached(queries.towns, scope=ui.scope())
            names = dict(zip(towns["unit_id"], towns["name_zh"], strict=True))
            chosen = tuple(names.get(x, x) for x in f.towns)
            left, right = st.columns([3, 2])
            left.subheader(f"{t('survey', lang)} · {ui.md_text(q)}")
            left.plotly_chart(
                charts.survey_heatmap(survey.matrix(scores, q), lang=lang, highlight=chosen), width="stretch"
            )
            sp = survey.spread(scores)
            right.subheader(t("survey_spread", lang))
            overall = survey.town_overall(scores)
            right.plotly_chart(
                charts.spread_band(
                    sp, overall[overall["name_zh"].isin(chosen)], lang=lang, target=s.target_satisfaction
                ),
                width="stretch",
            )
            right.dataframe(survey.spread_table(sp[sp["quarter"] == q], lang), hide_index=True, width="stretch")
        if not gov.empty:
            st.subheader(t("governance", lang))
            prog = survey.governance_progress(gov)
            g1, g2 = st.columns([1, 3])
            for _, r in prog[prog["subdomain"].isin(["overall", "progress"])].iterrows():
                g1.metric(
                    t(r["subdomain"], lang),
                    f"{r['score']:.2f}",
                    None if r["change"] != r["change"] else f"{r['change']:+.2f}",
                    border=True,
                )
            g2.plotly_chart(charts.governance_bars(prog, lang=lang), width="stretch")
