"""15-minute service circle: residents within a walk of a doorstep station, gaps, load, what-if and siting."""

import streamlit as st

from govdash import indicators, maps, maps_coverage, queries, queries_map, queries_stations, station_use, ui, ui_deck
from govdash import service_circle as sc
from govdash.coverage import THRESHOLDS, reach_m
from govdash.i18n import pick, t
from govdash.schema import FUNCTIONS

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_coverage", db)
edits = st.session_state.setdefault("cov_edits", [])


def table(frame, columns, height="auto", **config):
    """Show ``columns`` of ``frame`` under their labels (i18n keys as column names)."""
    ui.table(
        frame[columns],
        hide_index=True,
        width="stretch",
        height=height,
        column_config={c: config.get(c, t(c, lang)) for c in columns},
    )


def pct(v) -> str:
    return indicators.fmt(v, "coverage_share")


# --- what is computed ---
c1, c2, c3 = st.columns([3, 3, 2])
threshold = c1.radio(
    t("cov_threshold", lang),
    THRESHOLDS,
    horizontal=True,
    key="cov_threshold",
    index=THRESHOLDS.index(s.walk_minutes) if s.walk_minutes in THRESHOLDS else 2,
    format_func=lambda m: f"{m} {t('minute_unit', lang)}",
)
function = c2.selectbox(
    t("cov_function", lang),
    (None, *FUNCTIONS),
    key="cov_function",
    format_func=lambda v: t(v, lang) if v else t("cov_any", lang),
)
mode = c3.radio(
    t("cov_mode", lang),
    ["straight", "network"] if s.network_file else ["straight"],
    horizontal=True,
    key="cov_mode",
    format_func=lambda m: t(f"cov_{m}", lang),
)
graph = None
if mode == "network":
    try:
        graph = ui.street_graph(s.network_file)
    except (OSError, ValueError, RuntimeError) as exc:
        st.warning(t("cov_network_failed", lang) + ui.md_text(exc))

cells, towns = ui.cached(queries_map.cells, scope=ui.scope()), ui.cached(queries.towns, scope=ui.scope())
crs = ui.metric_crs()
base = ui.cached(queries_map.stations)
if cells.empty:  # no population surface yet: coverage of the area and of the communities instead
    st.info(t("cov_no_population", lang))
    polygons = ui.cached(queries.unit_polygons, scope=ui.scope())
    bare = sc.without_population(
        polygons, base, threshold, function=function, graph=graph, metric_crs=crs, towns=f.towns
    )
    st.subheader(t("cov_area_title", lang))
    b1, b2, b3 = st.columns(3)
    b1.metric(
        t("cov_area_share", lang).format(m=threshold), indicators.fmt(bare["share"], "coverage_share"), border=True
    )
    b2.metric(
        t("cov_units_with_station" + ("" if bare["level"] == "community" else "_town"), lang),
        f"{bare['with_station']:,} / {bare['units']:,}",
        border=True,
    )
    b3.metric(t("cov_area_km2", lang), f"{bare['area_km2']:,.2f}", border=True)
    st.caption(t("cov_area_note", lang))
    ui.table(
        bare["table"].rename(columns={"name_zh": bare["level"]})[
            [bare["level"], "stations", "has_station", "share", "area_km2"]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            bare["level"]: t(bare["level"], lang),
            "stations": t("stations_in_unit", lang),
            "has_station": t("has_station", lang),
            "share": st.column_config.ProgressColumn(
                t("area_share", lang), format="percent", min_value=0.0, max_value=1.0
            ),
            "area_km2": st.column_config.NumberColumn(t("cov_area_km2", lang), format="%.2f"),
        },
    )
    st.stop()
stations = sc.apply_edits(base, edits)
# the walk over the stations as they are, kept for the session: a what-if edit recomputes only what it reaches
walked = st.session_state.get("cov_walk")
walk_key = (db.version(), function, mode, crs, ui.scope(), len(cells), len(base))
if walked is None or walked.key != walk_key:
    walked = sc.BaseWalk(cells, base, function=function, graph=graph, metric_crs=crs, key=walk_key)
    st.session_state["cov_walk"] = walked
timed = walked.after(cells, base, stations)
area = sc.in_area(timed, f.towns, f.communities)  # the view's streets/towns or 居村
rep = sc.report(area, threshold, towns)
before = sc.district(sc.in_area(walked.timed(cells, base), f.towns, f.communities), threshold) if edits else None
load = sc.load(timed, stations, function, towns=towns)

# --- map, headline figures and tables ---
gap_rows, _ = sc.gap_table(area, threshold, towns, metric_crs=crs)
signature = (threshold, function, mode, f.towns, f.communities, tuple(tuple(sorted(e.items())) for e in edits))
siting = st.session_state.get("cov_siting")
proposals = siting["rows"] if siting and siting["signature"] == signature else None
blocks = sc.click_blocks(area, metric_crs=crs)
TABS = ("tab_whatif", "tab_gaps", "tab_siting", "tab_load", "tab_directory", "tab_operations")
# the tab shown (its label; the first until one is chosen): the gaps' numbers go on the map with their table,
# the map's first frame without them (a text layer is one more WebGL program to draw: docs/benchmarks.md)
gaps_open = st.session_state.get("cov_tab") == t("tab_gaps", lang)
deck, legend = ui_deck.deck(  # built once per view: a rerun that leaves the map as it was does not rebuild it
    maps_coverage.coverage_map,
    area,
    threshold,
    sc.visible(stations, load, area, function),
    blocks=blocks,
    metric_crs=crs,
    gaps=gap_rows,
    numbered=gaps_open,
    proposals=proposals,
    reach_m=reach_m(threshold),
    outline=ui.unit_shapes("community" if f.communities else "town", f),
    lang=lang,
    tile_url=s.tile_url,
    width_px=860,
    height_px=690,
)
left, right = st.columns([3, 2])
with left:
    # keyed by the edits: a click's selection is spent once its station is added (a kept selection greys the map)
    event = st.pydeck_chart(
        deck, on_select="rerun", selection_mode="single-object", key=f"cov_map_{len(edits)}", height=690
    )
    st.html(maps.swatches_html(legend))
    square = float(blocks["size_m"].iloc[0]) if len(blocks) else 100.0
    st.caption(t("cov_legend_note", lang).format(m=threshold) + " " + t("cov_square", lang).format(s=square))
    click_adds = st.toggle(t("cov_click_add", lang), value=True, key="cov_click_adds")
block = maps_coverage.picked((event or {}).get("selection"), maps_coverage.LAYER_CLICK)
if click_adds and block and (block["lon"], block["lat"]) != st.session_state.get("cov_last_click"):
    st.session_state["cov_last_click"] = (block["lon"], block["lat"])
    edits.append({"op": "add", "lon": round(block["lon"], 5), "lat": round(block["lat"], 5)})  # its centre
    st.rerun()

number = st.column_config.NumberColumn
share_col = st.column_config.ProgressColumn(t("share", lang), format="percent", min_value=0.0, max_value=1.0)
people = {
    "covered": number(t("covered", lang), format="localized"),
    "residents": number(t("residents", lang), format="localized"),
}
with right:
    # the view's own stations (its streets/towns, else the account's); residents may walk across a border
    area_towns = f.towns or (tuple(towns["unit_id"]) if ui.scope() is not None else ())
    mine = ui.scope()  # a 居村 account's cells are its 居村's: so are its stations
    area_coms = f.communities or (mine.communities if mine is not None and not mine.towns else ())
    own = sc.own_stations(stations, area_towns, area_coms)
    counted = sc.counted(own, function)
    where_ = t("cov_area_community" if f.communities else "cov_area_selected" if f.towns else "cov_area_district", lang)
    change = lambda key: f"{rep[key] - before[key]:+,.0f} {t('cov_whatif_change', lang)}" if before else None  # noqa: E731
    m1, m2 = st.columns(2)
    m1.metric(
        f"{where_} · {t('cov_share', lang).format(m=threshold)}",
        pct(rep["share"]),
        f"{(rep['share'] - sc.GOAL) * 100:+.1f} pp {t('cov_to_goal', lang)}",
        border=True,
    )
    m2.metric(t("covered", lang), f"{rep['covered']:,.0f}", change("covered"), border=True)
    m3, m4 = st.columns(2)
    m3.metric(t("uncovered", lang), f"{rep['uncovered']:,.0f}", change("uncovered"), delta_color="inverse", border=True)
    m4.metric(
        t("stations_counted", lang),
        f"{counted:,}",
        f"{counted - sc.counted(sc.own_stations(base, area_towns, area_coms), function):+d} "
        f"{t('cov_whatif_change', lang)}"
        if edits
        else None,
        border=True,
    )
    m4.caption(sc.stations_text(sc.counted_by_level(own, function), lang))  # the 1,285 and the 36 named apart
    covered_units = station_use.community_coverage(ui.cached(queries_stations.community_coverage, f))
    if covered_units["communities"]:
        m5, m6 = st.columns(2)
        m5.metric(
            t("cov_community_share", lang), pct(covered_units["share"]), border=True, help=t("cov_community_help", lang)
        )
        without = covered_units["residents_without"]
        m6.metric(
            t("cov_units_with_station", lang),
            f"{covered_units['with_station']:,} / {covered_units['communities']:,}",
            f"{without:,} {t('cov_community_without', lang)}" if without else None,
            delta_color="inverse",
            border=True,
        )
    word = t("minute_unit", lang)
    st.markdown(
        " · ".join(
            (f"**≤{m} {word} {pct(v)}**" if m == threshold else f"≤{m} {word} {pct(v)}")
            for m, v in rep["shares"].items()
        )
    )
    how = (
        t("cov_how_network", lang).format(n=graph.n_nodes)
        if graph is not None
        else t("cov_how_straight", lang).format(c=s.circuity)
    )
    st.caption(t("cov_method", lang).format(kmh=s.walk_kmh, how=how))
    if not f.communities:  # a 居村's view: its own row below, not its town's share of it
        st.markdown(f"**{t('cov_by_town', lang)}**")
        table(
            sc.by_unit(area, threshold, towns).rename(columns={"name_zh": "town"}),
            ["town", "share", "covered", "residents"],
            share=share_col,
            **people,
            height=200 if f.towns else 330,
        )
    if f.towns or f.communities:
        st.markdown(f"**{t('cov_by_community', lang)}**")
        table(
            sc.by_unit(area, threshold, ui.cached(queries.communities, f.towns, scope=ui.scope()), "community").rename(
                columns={"name_zh": "community"}
            ),
            ["community", "share", "covered", "residents"],
            share=share_col,
            **people,
            height=240,
        )

# the directory counts the cases near every station (most of this page's time over a year of the
# district): a tab that reruns when chosen, computed only while open
tabs = st.tabs(
    [t(k, lang) for k in TABS],
    key="cov_tab",
    on_change="rerun",
)
names = dict(zip(stations["station_id"], stations["name_zh"], strict=True))
in_view = sc.visible(stations, load, area)["station_id"].tolist()
with tabs[0]:
    a, r, m = st.columns(3)
    first = gap_rows.iloc[0] if len(gap_rows) else None
    with a:
        st.markdown(f"**{t('add_station', lang)}**")
        lon = st.number_input(
            t("lon", lang),
            value=round(float(first["lon"]) if first is not None else 121.6, 5),
            format="%.5f",
            step=0.001,
            key="cov_add_lon",
        )
        lat = st.number_input(
            t("lat", lang),
            value=round(float(first["lat"]) if first is not None else 31.1, 5),
            format="%.5f",
            step=0.001,
            key="cov_add_lat",
        )
        if st.button(t("add", lang), key="cov_add", type="primary"):
            edits.append({"op": "add", "lon": lon, "lat": lat})
            st.rerun()
    with r:
        # one picker for both remove and move
        st.markdown(f"**{t('remove_station', lang)}**")
        # by town, then station: one list of the view's ~1,300 names would cost the page ~40 kB per picker
        pickable = stations[stations["station_id"].isin(in_view)].fillna({"town_id": ""})  # "": a what-if one
        town_name = {"": t("whatif_added", lang), **dict(zip(towns["unit_id"], towns["name_zh"], strict=True))}
        in_town = st.selectbox(
            t("town", lang),
            sorted(set(pickable["town_id"]), key=lambda v: (v == "", town_name.get(v, v))),
            key="cov_station_town",
            format_func=lambda v: town_name.get(v, v),
        )
        chosen = st.selectbox(
            t("station_to_change", lang),
            pickable.loc[pickable["town_id"] == in_town, "station_id"].tolist(),
            key="cov_station_id",
            format_func=lambda v: names.get(v, v),
        )
        if st.button(t("remove", lang), key="cov_remove") and chosen:
            edits.append({"op": "remove", "station_id": chosen})
            st.rerun()
    with m:
        st.markdown(f"**{t('move_station', lang)}**")
        at = stations.set_index("station_id").loc[chosen] if chosen else None
        st.caption(t("move_which", lang).format(name=ui.md_text(names.get(chosen, "—"))))
        m_lon = st.number_input(
            t("lon", lang),
            value=round(float(at["lon"]), 5) if at is not None else 121.6,
            format="%.5f",
            step=0.001,
            key=f"cov_move_lon_{chosen}",
        )
        m_lat = st.number_input(
            t("lat", lang),
            value=round(float(at["lat"]), 5) if at is not None else 31.1,
            format="%.5f",
            step=0.001,
            key=f"cov_move_lat_{chosen}",
        )
        if st.button(t("move", lang), key="cov_move") and chosen:
            edits.append({"op": "move", "station_id": chosen, "lon": m_lon, "lat": m_lat})
            st.rerun()
    st.markdown(f"**{t('edits', lang)}**")
    if edits:
        ui.table(
            [
                {
                    t("op", lang): t(e["op"], lang),
                    t("station", lang): names.get(e.get("station_id"), ""),
                    t("lon", lang): e.get("lon"),
                    t("lat", lang): e.get("lat"),
                }
                for e in edits
            ],
            hide_index=True,
        )
        u, c = st.columns([1, 5])
        if u.button(t("undo", lang), key="cov_undo"):
            edits.pop()
            st.rerun()
        if c.button(t("clear_edits", lang), key="cov_clear"):
            edits.clear()
            st.rerun()
    else:
        st.caption(t("no_edits", lang))

with tabs[1]:
    if tabs[1].open:  # its table only while shown (the page's first view is the map and its figures)
        if gap_rows.empty:
            st.success(t("no_gaps", lang))
        else:
            st.caption(t("gaps_note", lang).format(n=len(gap_rows)))
            table(
                gap_rows.rename(columns={"rank": "gap", "residents": "uncovered"}),
                ["gap", "town", "uncovered", "cells", "area_km2", "max_minutes", "lon", "lat"],
                uncovered=number(t("uncovered", lang), format="localized"),
                area_km2=number(t("area_km2", lang), format="%.2f"),
                max_minutes=number(t("max_minutes", lang), format="%.1f"),
                lon=number(t("lon", lang), format="%.5f"),
                lat=number(t("lat", lang), format="%.5f"),
            )

with tabs[2]:
    if tabs[2].open:  # the siting form too; its k kept while the tab is closed (a widget not drawn is forgotten)
        k = st.slider(t("k_new", lang), 1, 20, st.session_state.get("cov_k_kept", 5), key="cov_k")
        st.session_state["cov_k_kept"] = k
        st.caption(t("siting_note", lang).format(r=reach_m(threshold), m=threshold))
        if st.button(t("propose", lang), key="cov_propose", type="primary"):
            bar = st.progress(0.0, text=t("siting_stage_candidates", lang))
            rows, method = sc.propose(
                area,
                threshold,
                k,
                metric_crs=crs,
                progress=lambda share, stage: bar.progress(min(share, 1.0), text=t(f"siting_stage_{stage}", lang)),
            )
            st.session_state["cov_siting"] = {"signature": signature, "rows": rows, "method": method}
            st.rerun()
        if proposals is not None and len(proposals):
            gained = float(proposals["gain"].sum())
            st.caption(
                t("siting_exact", lang)
                if siting["method"] == "exact"
                else t("siting_greedy", lang).format(bound=gained / sc.GREEDY_BOUND)
            )
            st.markdown(
                f"{t('coverage_after', lang)} **{pct((rep['covered'] + gained) / rep['residents'])}** (+{gained:,.0f})"
            )
            table(
                proposals.rename(columns={"rank": "site_no"}),
                ["site_no", "gain", "cumulative", "lon", "lat"],
                gain=number(t("gain", lang), format="localized"),
                cumulative=number(t("cumulative", lang), format="localized"),
                lon=number(t("lon", lang), format="%.5f"),
                lat=number(t("lat", lang), format="%.5f"),
            )
            if st.button(t("add_proposals", lang), key="cov_adopt"):
                edits.extend(
                    {"op": "add", "lon": round(float(x), 5), "lat": round(float(y), 5)}
                    for x, y in zip(proposals["lon"], proposals["lat"], strict=True)
                )
                st.rerun()

with tabs[3]:
    if tabs[3].open:  # ~1,300 rows (about 100 kB): sent only when the tab is chosen
        shown = load[load["station_id"].isin(in_view)].sort_values("residents", ascending=False)
        median = float(load["residents"].median()) if len(load) else 0.0
        st.caption(t("load_note", lang).format(median=median, n=int(shown["flagged"].sum())))
        table(
            shown.rename(columns={"name_zh": "name", "residents": "served"}),
            ["name", "town", "served", "ratio_to_median", "flagged"],
            served=number(t("served", lang), format="localized"),
            ratio_to_median=number(t("ratio_to_median", lang), format="%.2f"),
            height=420,
        )


def at_work(listing):
    """The directory with the period's services, use against expected use, hours kept and 三会 (issue 18)."""
    activity = ui.cached(queries_stations.station_activity, f)
    return station_use.station_table(listing, activity, f.start, f.end)


operating = any(tab.open for tab in tabs[4:]) and ui.cached(queries_stations.has_table, "station_services")
hours_label = {k: t(f"hours_{k}", lang) for k in ("kept", "not_kept", "standard")}
with tabs[4]:
    if tabs[4].open:
        nearby = ui.cached(queries_map.station_cases_nearby, f, sc.NEARBY_M)
        listing = sc.directory(
            ui.cached(queries_map.station_directory, f.towns, scope=ui.scope()), load, nearby, towns, function
        )
        work = ["services", "served_residents", "use_ratio", "hours", "meetings"] if operating else []
        if operating:
            listing = at_work(listing)
            listing["hours"] = listing["hours"].map(hours_label)
        else:
            st.caption(t("ops_none", lang))
        listing["level"] = listing["level"].map(lambda v: t(f"level_{v}_short", lang))
        listing = station_use.directory_view(listing, lang)  # folded to fit 1920 px (four columns in one, …)
        text = st.column_config.TextColumn
        table(
            listing.rename(columns={"name_zh": "name", "residents": "served"}),
            [
                "name",
                "level",
                "town",
                "functions",
                "opening",
                "floor_area_m2",
                "tiers",
                "served",
                *work,
                "cases_nearby",
            ],
            name=text(t("name", lang), width=230),
            functions=text(t("fn_set", lang), help=" · ".join(t(fn[2:] + "_short", lang) for fn in FUNCTIONS)),
            opening=t("opening_hours", lang),
            tiers=text(t("tiers_items", lang), help=t("tiers_help", lang)),
            served=number(t("served", lang), format="localized"),
            services=number(t("services_short", lang), format="localized", help=t("ops_services", lang)),
            served_residents=number(t("ops_served_residents", lang), format="localized"),
            use_ratio=number(t("use_short", lang), format="%.2f", help=t("ops_use_ratio", lang)),
            hours=t("ops_hours", lang),
            meetings=number(t("ops_meetings", lang), format="localized"),
            cases_nearby=t("cases_nearby", lang).format(r=f"{sc.NEARBY_M:,.0f}"),
            height=480,
        )

with tabs[5]:
    if tabs[5].open:
        if not operating:
            st.info(t("ops_none", lang))
        else:
            listing = at_work(
                sc.directory(
                    ui.cached(queries_map.station_directory, f.towns, scope=ui.scope()),
                    load,
                    None,
                    towns,
                )
            )
            head = station_use.summary(listing)
            o1, o2, o3, o4 = st.columns(4)
            o1.metric(t("ops_services", lang), f"{head['services']:,}", border=True)
            o2.metric(t("ops_served_residents", lang), f"{head['served_residents']:,}", border=True)
            o3.metric(t("ops_below", lang), f"{head['below']:,} / {head['stations']:,}", border=True)
            o4.metric(t("ops_hours_kept", lang), f"{head['kept']:,} / {head['declared']:,}", border=True)
            st.caption(
                t("ops_meetings_line", lang).format(h=head["hearing"], c=head["coordination"], r=head["review"])
                + " "
                + t("ops_method", lang).format(
                    b=station_use.BELOW, k=station_use.KEPT_SHARE, e=station_use.MIN_EXPECTED
                )
            )
            left_ops, right_ops = st.columns(2)
            with left_ops:
                st.markdown(f"**{t('ops_busiest', lang)}**")
                items = ui.cached(queries_stations.busiest_items, f, 10)
                items["tier"] = items["tier"].map(lambda v: t(v, lang))
                items["name"] = pick(items["name_zh"], items["name_en"], lang)
                table(
                    items,
                    ["name", "tier", "services", "served_residents"],
                    name=t("ops_item", lang),
                    tier=t("ops_tier", lang),
                    services=number(t("ops_services", lang), format="localized"),
                    served_residents=number(t("ops_served_residents", lang), format="localized"),
                    height=390,
                )
            with right_ops:
                st.markdown(f"**{t('ops_below_list', lang)}**")
                low = listing[listing["below"]].sort_values("use_ratio")
                low = low.assign(hours=low["hours"].map(hours_label))
                table(
                    low.rename(columns={"name_zh": "name"}),
                    ["name", "town", "services", "expected", "use_ratio", "hours"],
                    services=number(t("ops_services", lang), format="localized"),
                    expected=number(t("ops_expected", lang), format="%.0f"),
                    use_ratio=number(t("ops_use_ratio", lang), format="%.2f"),
                    hours=t("ops_hours", lang),
                    height=390,
                )
