"""Grid map: choropleth of 街镇 → 居村 → 网格 by indicator; click a unit to drill down and filter the app."""

import streamlit as st

from govdash import drill, maps, queries, queries_grid, queries_map, ui, ui_deck
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_map", db)
at = ui.cached(queries.as_of)
names = ui.cached(queries.unit_names, scope=ui.scope())


def go(new: object, level: str | None = None) -> None:
    """Apply a selection: shared filters (sidebar + URL), the level shown, fresh map/table widgets."""
    ui.set_filters(new)
    st.session_state["map_level_next"] = level or drill.levels(new, ui.cached(queries.unit_levels))[0]
    # a new widget key drops the old click, which would otherwise fire again on every rerun
    st.session_state["map_nonce"] = st.session_state.get("map_nonce", 0) + 1
    st.rerun()


nonce = st.session_state.get("map_nonce", 0)
options = drill.levels(f, ui.cached(queries.unit_levels))
if "map_level_next" in st.session_state:
    st.session_state["map_level"] = st.session_state.pop("map_level_next")
if st.session_state.get("map_level") not in options:
    st.session_state["map_level"] = options[0]
c0, c1, c2, c3 = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
with c0.container(horizontal=True, gap="small", vertical_alignment="center"):
    trail = drill.crumbs(f, names, lang)
    for i, (label, back) in enumerate(trail):
        if i:
            st.markdown("›")
        if i < len(trail) - 1:
            if st.button(ui.md_text(label), key=f"crumb_{i}", type="tertiary"):
                go(back)
        else:
            st.markdown(f"**{ui.md_text(label)}**")
level = (
    c1.segmented_control(t("level", lang), options, key="map_level", required=True, format_func=lambda v: t(v, lang))
    or options[0]
)
offered = maps.map_indicators(ui.cached(queries_grid.recorded)["patrols"] > 0)
if st.session_state.get("map_indicator") not in offered:
    st.session_state.pop("map_indicator", None)
indicator = c2.selectbox(t("indicator", lang), list(offered), format_func=lambda k: t(k, lang), key="map_indicator")
show_stations = c3.toggle(t("stations_layer", lang), value=False, key="map_stations")
# the offline basemap (roads, water) from the user's own OSM extract, the walking network's: never a tile server
show_base = bool(s.network_file) and c3.toggle(t("basemap_layer", lang), value=True, key="map_basemap")
target = maps.map_target(indicator, s)

area = drill.area(f)
if indicator in maps.GRID_INDICATORS:
    stats = ui.cached(queries_grid.map_stats, area, level, at)
else:
    stats = ui.cached(queries.unit_stats, area, level, at, indicator in maps.QUANTILE_INDICATORS)
shapes = ui.unit_shapes(level, area)
stations = ui.cached(queries_map.stations, f.towns) if show_stations else None
selected = f.grids[0] if len(f.grids) == 1 else None
base, dropped = [], ()
if show_base:
    try:
        base, dropped = ui.basemap_layers(s.network_file)
    except (OSError, ValueError, RuntimeError) as exc:
        st.warning(t("basemap_failed", lang) + ui.md_text(exc))
deck, legend = ui_deck.deck(  # built once per view
    maps.choropleth,
    stats,
    shapes,
    indicator,
    lang=lang,
    target=target,
    stations=stations,
    tile_url=s.tile_url,
    selected=selected,
    height_px=600,
    name_all=level == "town",
    base=base,
)

left, right = st.columns([3, 2])
with left:
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=f"map_{nonce}", height=600)
    st.caption(t("map_click_hint", lang))
    if base:
        st.caption(t("basemap_note", lang) + (t("basemap_minor_left_out", lang) if dropped else ""))
    if unplaced := ui.cached(queries_map.unlocated, f, level):  # named by a higher level's unit: not drawn here
        st.caption(t("unlocated_level", lang).format(n=unplaced))
picked = ((event.selection.get("objects") or {}).get(maps.LAYER_UNITS) if event and event.selection else None) or []
if picked:
    obj = picked[0]
    go(drill.select(f, level, obj["unit_id"], town_id=obj.get("town_id"), parent_id=obj.get("parent_id")))

with right:
    st.html(maps.legend_html(legend, indicator, lang=lang))
    st.markdown(f"**{t('ranking', lang)} · {t(level, lang)} · {t(indicator, lang)}** · " + t("worst_first", lang))
    table = drill.ranking(stats, indicator, lang=lang, selected=selected)
    people = {t("residents", lang): st.column_config.NumberColumn(format="localized")}  # 330,220 not 330220
    sel = ui.table(
        table.drop(columns=["unit_id", "town_id", "parent_id"]),
        hide_index=True,
        height=470,
        width="stretch",
        column_config=people,
        on_select="rerun",
        selection_mode="single-row",
        key=f"rank_{nonce}",
    )
    rows = sel.selection.rows if sel and sel.selection else []
    if rows:
        row = table.iloc[rows[0]]
        go(drill.select(f, level, row["unit_id"], town_id=row["town_id"], parent_id=row["parent_id"]))
