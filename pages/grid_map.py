"""Grid map: choropleth of 街镇 → 居村 → 网格 by indicator; click a unit to drill down and filter the app."""

import streamlit as st

from govdash import maps, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_map", db)
at = ui.cached("as_of")

# the level follows the selection: district → towns; a town → its communities; a community → its grids
level = "grid" if f.communities else ("community" if f.towns else "town")
names = ui.cached("unit_names")
crumbs = [t("district", lang)] + [names.get(x, x) for x in f.towns[:1]] + [names.get(x, x) for x in f.communities[:1]]
bc = st.columns([3, 1, 1])
bc[0].markdown(" › ".join(f"**{c}**" for c in crumbs))
if (f.towns or f.communities) and bc[1].button("⬆ " + ("上一级" if lang == "zh" else "Up one level")):
    ui.set_filters(f.with_(communities=(), grids=()) if f.communities else f.with_(towns=(), communities=(), grids=()))
    st.rerun()

c1, c2 = st.columns([2, 1])
indicator = c1.selectbox(t("indicator", lang), list(maps.INDICATORS), format_func=lambda k: t(k, lang), key="map_indicator")
show_stations = c2.toggle(t("stations_layer", lang), value=False, key="map_stations")
target_key = maps.INDICATORS[indicator][1]
target = getattr(s, target_key) if target_key else None

stats = ui.cached("unit_stats", f.with_(grids=()), level, at)
geoms = ui.cached("unit_geometries", level, f.with_(grids=()))
stations = ui.cached("stations", f.towns) if show_stations else None
deck, legend = maps.choropleth(stats, geoms, indicator, lang=lang, target=target, stations=stations,
                               tile_url=s.tile_url, selected=(f.grids or f.communities or f.towns or (None,))[0])

left, right = st.columns([3, 2])
with left:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=f"map_{level}", height=640)
    lo, hi = legend["min"], legend["max"]
    unit = maps.INDICATORS[indicator][2]
    st.caption(f"{t(indicator, lang)} ({unit}): {maps.format_value(lo, indicator)} → {maps.format_value(hi, indicator)}"
               + (f" · {'目标' if lang == 'zh' else 'target'} {maps.format_value(target, indicator)}" if target else "")
               + (" · 蓝=优于目标, 红=低于目标" if lang == "zh" and target else
                  " · blue above target, red below" if target else ""))
picked = (event.selection.get("objects", {}).get(maps.LAYER_UNITS) if event and event.selection else None) or []
if picked:
    uid = picked[0]["unit_id"]
    if level == "town":
        ui.set_filters(f.with_(towns=(uid,), communities=(), grids=()))
    elif level == "community":
        ui.set_filters(f.with_(communities=(uid,), grids=()))
    else:
        ui.set_filters(f.with_(grids=(uid,)))
    st.rerun()
with right:
    st.subheader(f"{t('ranking', lang)} · {t(indicator, lang)}")
    better_high = maps.INDICATORS[indicator][0] == "up"
    table = stats.sort_values(indicator, ascending=not better_high, na_position="last")
    table = table.assign(value=table[indicator].map(lambda v: maps.format_value(v, indicator)))
    cols = ["unit_id", "name_zh", "value"] + (["collected"] if indicator != "collected" else []) + ["residents"]
    shown = table[cols].rename(columns={
        "name_zh": t(level if level != "town" else "town", lang), "value": t(indicator, lang),
        "collected": t("collected", lang), "residents": t("residents", lang)})
    sel = st.dataframe(shown.drop(columns=["unit_id"]), hide_index=True, height=600, width="stretch",
                       on_select="rerun", selection_mode="single-row", key=f"rank_{level}")
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        uid = table.iloc[rows[0]]["unit_id"]
        ui.set_filters(f.with_(towns=(uid,)) if level == "town" else
                       f.with_(communities=(uid,)) if level == "community" else f.with_(grids=(uid,)))
        st.rerun()
