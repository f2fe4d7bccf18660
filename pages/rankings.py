"""Rankings (红黑榜): streets/towns and departments on a CityScore-style score; click a row to filter the app."""

from functools import partial

import streamlit as st

from govdash import charts, queries, queries_stations, queries_supervision, rankings, supervision, ui
from govdash import property as prop
from govdash.i18n import pick, t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_rankings", db)
at = ui.cached(queries.as_of)

LEVEL_LABELS = {"town": "town_ranking", "department": "department_ranking", "property": "rank_property"}
level = (
    st.segmented_control(
        t("rank_level", lang),
        list(LEVEL_LABELS),
        default="town",
        key="rank_level",
        format_func=lambda v: t(LEVEL_LABELS[v], lang),
    )
    or "town"
)


def property_list() -> None:
    """The property red/black list (物业红黑榜): companies by complaints per 1,000 households (issue 18)."""
    if not ui.cached(queries_stations.has_table, "estates"):
        st.info(t("prop_none", lang))
        return
    board = ui.cached(rankings.property_board, f, s, ui.metric_crs())
    rates = board["rates"].assign(label=pick(board["rates"]["name_zh"], board["rates"]["name_en"], lang))
    cats = "、".join(pick(board["categories"]["name_zh"], board["categories"]["name_en"], lang))
    st.caption(
        t("prop_method", lang).format(
            cats=ui.md_text(cats),
            m=prop.NEAREST_M,
            n=s.ranking_list_size,
            h=s.property_min_households,
            w=board["warning"],
            x=s.property_warning_factor,
        )
        + (" " + t("prop_unassigned", lang).format(n=board["unassigned"]) if board["unassigned"] else "")
    )
    boxes = st.columns(2)
    for col, key, part in (
        (boxes[0], "prop_red", rates[rates["list"] == "red"]),
        (boxes[1], "prop_black", rates[rates["list"] == "black"].iloc[::-1]),
    ):
        box = col.container(border=True)
        box.subheader((":red[■] " if key == "prop_red" else ":gray[■] ") + t(key, lang))
        if part.empty:
            box.caption(t("no_data", lang))
        for _, r in part.iterrows():
            flag = f" · :orange[{t('prop_warned', lang)}]" if r["warned"] else ""
            box.markdown(
                f"**{int(r['rank'])}.** {ui.md_text(r['label'])} · {r['rate']:.2f} {t('prop_rate', lang)}"
                f" · {int(r['complaints'])}{flag}"
            )
    left, right = st.columns([3, 2])
    left.dataframe(
        rankings.property_table(rates, lang),
        hide_index=True,
        width="stretch",
        height=min(36 * len(rates) + 40, 640),
        key="prop_table",
    )
    right.markdown(f"**{t('prop_trend', lang)}**")
    right.line_chart(prop.trend_wide(board["trend"], rates, board["district_trend"], t("district", lang)), height=420)


if level == "property":
    property_list()
    st.stop()
ranked = ui.cached(rankings.ranking, f, level, at, s)
prev = f.previous()
st.caption(
    f"{t('period', lang)} {f.start} – {f.end} · {t('movement', lang)}: {t('previous', lang)} "
    f"{prev.start} – {prev.end} · " + t("click_to_filter", lang)
)

weights = ", ".join(f"{t(k, lang)} {w:g}" for k, w in rankings.score_settings(s)[1].items())
st.caption(t("score_method", lang).format(cap=s.score_cap, weights=weights, min_cases=s.ranking_min_cases))
if s.ranking_method == "adjusted":
    st.caption(t("casemix_method", lang))
    st.caption(rankings.band_text(ranked, s, lang))
ranked = ranked.assign(label=rankings.names(ranked, level, lang))
red, black = ranked[ranked["list"] == "red"], ranked[ranked["list"] == "black"].iloc[::-1]
apart = s.ranking_method == "adjusted"  # the lists name units apart from the district (rankings.red_black)
c_red, c_black = st.columns(2)
for col, part, key in ((c_red, red, "red_list"), (c_black, black, "black_list")):
    box = col.container(border=True)
    box.subheader(
        (":red[■] " if key == "red_list" else ":gray[■] ")
        + rankings.list_title(key, len(part) if apart else len(part) or s.ranking_list_size, lang, apart=apart)
    )
    if part.empty:
        box.caption(t("list_none_apart", lang) if ranked["eligible"].any() else t("no_data", lang))
    for _, r in part.iterrows():
        move = rankings.movement_text(r["movement"], lang, r.get("movement_known", True))
        band = t("band_n", lang).format(n=int(r["rank"]))
        box.markdown(f"**{ui.md_text(r['label'])}** · {band} · {r['score']:.3f} · {move}")


def _clicked(keys: list[str], level: str, table_key: str) -> None:
    """Row click: filter the whole app to the clicked unit (applied by the filter bar on this rerun)."""
    rows = st.session_state[table_key].selection.rows
    if rows:
        ui.set_filters(rankings.filter_to(ui.current_filters(), level, keys[rows[0]]))


selected = f.towns if level == "town" else f.departments
view = rankings.display_table(ranked, level, lang, selected, method=s.ranking_method)
table_key = f"rank_table_{level}"
# the table takes the page's width (its 13 columns read whole at 1920 px in both languages), the bars below it
st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    height=min(36 * len(view) + 40, 760),
    on_select=partial(_clicked, ranked["key"].tolist(), level, table_key),
    selection_mode="single-row",
    key=table_key,
    column_config={
        t("score", lang): st.column_config.ProgressColumn(
            t("score", lang), format="%.3f", min_value=0.8, max_value=s.score_cap, width="small"
        ),
        t("rank_band", lang): st.column_config.NumberColumn(width=60),
        t("movement", lang): st.column_config.TextColumn(width=80),  # the header whole (名次变化)
        t("list", lang): st.column_config.TextColumn(width=60),
    },
)
st.plotly_chart(charts.ranking_bars(ranked, "label", lang=lang), width="stretch", key="rank_bars")
st.caption(t("bottom_note", lang).format(title=rankings.black_list_name(s, lang)))

unranked = ranked[~ranked["eligible"]]
if len(unranked):
    names = "、".join(unranked["label"].astype(str))
    st.caption(f"{t('not_ranked', lang)}: " + ui.md_text(names))

# --- 挂牌督办: decisions recorded after inspection (admin page, `supervise add`), never set by a rank ---
st.subheader(t("sup_title", lang))
decisions = ui.cached(queries_supervision.decisions)  # every decision recorded, newest first
if decisions.empty:
    st.caption(t("sup_none", lang))
else:
    ui.table(supervision.display_table(decisions, lang), hide_index=True, width="stretch", key="sup_table")
