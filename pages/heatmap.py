"""Issue heatmap: case density binned in DuckDB, playback on a fixed colour scale, hot spots, repeat complaints."""

import streamlit as st

from govdash import drill, heatmap, maps, maps_heat, queries, queries_map, ui, ui_deck
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_heatmap", db)
# the places listed are units of the lowest level present (grids, else communities, else streets/towns)
low = (ui.cached(queries.unit_levels) or ("grid",))[-1]
paths = ui.cached(queries_map.unit_paths, scope=ui.scope()).get(low, {})
categories = ui.catalogue().names("category", lang)

# the area shown is the deepest selection: grids, communities, streets/towns or the whole district
outline = ui.unit_shapes(drill.LEVELS[max(drill.depth(f) - 1, 0)], f)
bbox = maps.shapes_bbox(outline)
c1, c2, c3, c4 = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
mode = (
    c1.segmented_control(
        t("layer", lang),
        ["density", "hot_spots", "repeat_complaints"],
        key="heat_mode",
        default="density",
        required=True,
        format_func=lambda v: t(v, lang),
    )
    or "density"
)
wish = c2.select_slider(
    t("bin_size", lang),
    ["auto", 100, 200, 400, 800, 1600],
    key="heat_cell",
    format_func=lambda v: t("auto", lang) if v == "auto" else f"{v:,}",
)
frame = ui.cached(queries_map.bin_frame)  # the district's own origin and metres per degree
cell = heatmap.cell_size(bbox, 100 if wish == "auto" else wish, frame=frame)  # never more than MAX_BINS squares
box = heatmap.pad_bbox(bbox, cell, frame=frame) if bbox else None
n_cases = ui.cached(queries.case_count, f)
bins = ui.cached(queries_map.heat_bins, f, cell, "none", box)
small = n_cases <= heatmap.POINTS_MAX
left, right = st.columns([3, 2])

if mode == "density":
    frame = c3.selectbox(
        t("playback", lang), list(heatmap.FRAME_KINDS), key="heat_frame", format_func=lambda v: t(f"play_{v}", lang)
    )
    playing = c4.toggle(t("play", lang), key="heat_play", disabled=frame == "none")
    # single cases only for a small set; over the whole district the squares read better from afar
    show = right.toggle(
        t("show_cases", lang),
        value=drill.depth(f) > 0 or bool(f.scope),
        key="heat_points",
        disabled=not small or frame != "none",
    )
    points = ui.cached(queries_map.case_points, f, heatmap.POINTS_MAX) if show and small and frame == "none" else None
    frames = ui.cached(queries_map.heat_frames, f, cell, frame, box) if frame != "none" else None
    values = frames["frame"].tolist() if frames is not None else []
    # one colour scale for all frames: the busiest square of any frame is the top of the bar
    vmax = float(frames["max_count"].max()) if values else float(bins["count"].max() if len(bins) else 1)

    @st.fragment(run_every=s.play_seconds if playing and values else None)
    def player() -> None:
        shown, label = bins, ""
        if values:
            i = st.session_state.get("heat_idx", 0) % len(values)
            st.session_state["heat_idx"] = (i + 1) % len(values) if playing else i
            k = st.select_slider(
                t("frame", lang),
                range(len(values)),
                key="heat_idx",
                format_func=lambda j: heatmap.frame_label(values[j], frame, lang),
            )
            shown = ui.cached(queries_map.heat_bins, f, cell, frame, box, heatmap.frame_param(values[k]))
            label = f"{heatmap.frame_label(values[k], frame, lang)} · {k + 1}/{len(values)} · "
        deck = ui_deck.deck(  # built once per view: a frame played again is not rebuilt
            maps_heat.heat_deck,
            shown,
            cell_m=cell,
            vmax=vmax,
            bbox=bbox,
            outline=outline,
            points=points,
            tile_url=s.tile_url,
            lang=lang,
            category_names=categories,
            height_px=600,
        )
        st.pydeck_chart(deck, height=600, key="heat_map")
        st.caption(
            f"{label}{t('cases', lang)} {int(shown['count'].sum()):,} · {len(shown):,} "
            + t("heat_squares", lang).format(n=heatmap.MAX_BINS)
            + ("" if points is None else " · " + t("heat_hover_dot", lang))
        )
        for part in (shown, points):  # a result cut at the row cap says so
            if part is not None and part.attrs.get("truncated"):
                st.warning(t("truncated", lang).format(n=len(part)))

    with left:
        player()
    with right:
        st.html(maps_heat.density_legend_html(vmax, cell, lang=lang))
        st.metric(t("cases", lang), f"{n_cases:,}")
        if unplaced := ui.cached(queries_map.unlocated, f):  # located by a unit's name: no point to draw
            st.caption(t("unlocated_cases", lang).format(n=unplaced))
        if frames is not None and len(frames):
            st.bar_chart(
                heatmap.frame_chart(frames, frame, lang), x_label="", y_label=t("cases", lang), height=240, sort=False
            )
        st.markdown("**" + t("heat_top_units", lang).format(level=ui.district().level_name(low, lang)) + "**")
        ui.table(
            heatmap.top_units(ui.cached(queries.busiest_units, drill.area(f), low, heatmap.TOP_N), paths, lang=lang),
            hide_index=True,
            width="stretch",
        )
        if not small:
            st.caption(t("heat_points_max", lang).format(n=heatmap.POINTS_MAX))

elif mode == "hot_spots":
    # Gi* on finer squares than the density view draws (ANALYSIS_BINS); the map shows only the significant ones
    cell = heatmap.cell_size(bbox, 100 if wish == "auto" else wish, heatmap.ANALYSIS_BINS, frame=frame)
    box = heatmap.pad_bbox(bbox, cell, frame=frame) if bbox else None
    bins = ui.cached(queries_map.heat_bins, f, cell, "none", box)
    grid = heatmap.lattice(outline, cell, frame=frame)
    before = ui.cached(queries_map.heat_bins, f.previous(), cell, "none", box)
    if bins.attrs.get("truncated"):
        st.warning(t("truncated", lang).format(n=len(bins)))
    spots = heatmap.hot_spot_bins(bins, grid, cell, before, frame=frame, alpha=heatmap.ALPHA, crs=ui.metric_crs())
    clusters = heatmap.spot_clusters(spots, cell, ui.unit_shapes(low, f), paths, frame=frame)
    with left:
        st.pydeck_chart(
            ui_deck.deck(
                maps_heat.hot_spot_deck,
                spots,
                cell_m=cell,
                bbox=bbox,
                outline=outline,
                tile_url=s.tile_url,
                lang=lang,
                height_px=600,
            ),
            height=600,
            key="hot_map",
        )
    with right:
        st.html(maps.swatches_html(heatmap.spot_swatches(lang)))
        st.info(t("hot_spot_explain", lang))
        st.caption(heatmap.spot_summary(spots, clusters, f, cell, lang))
        ui.table(heatmap.hot_spot_table(clusters, lang), hide_index=True, height=330, width="stretch")

else:
    if n_cases > heatmap.REPEAT_MAX_CASES:
        st.warning(t("repeat_too_many", lang).format(n=n_cases, max=heatmap.REPEAT_MAX_CASES))
        st.stop()
    repeats, read, cut = ui.repeat_complaints(f, heatmap.REPEAT_MAX_CASES)
    if cut:
        st.warning(t("truncated_repeats", lang).format(n=read))
    drawn = heatmap.top_repeats(repeats)
    with left:
        st.pydeck_chart(
            ui_deck.deck(
                maps_heat.heat_deck,
                bins,
                cell_m=cell,
                vmax=float(bins["count"].max() if len(bins) else 1),
                bbox=bbox,
                outline=outline,
                repeats=drawn,
                tile_url=s.tile_url,
                lang=lang,
                height_px=600,
                category_names=categories,
                unit_names=paths,
            ),
            height=600,
            key="repeat_map",
        )
    with right:
        st.markdown(f"**{t('repeat_complaints', lang)} · {len(repeats):,}**")
        st.caption(t("repeat_rule", lang))
        ui.table(
            heatmap.repeat_table(repeats, categories, paths, lang, ui.district().level_name(low, lang)),
            hide_index=True,
            height=480,
            width="stretch",
        )
