"""Issue heatmap: case density binned in DuckDB, playback on a fixed colour scale, hot spots, repeat complaints."""

import streamlit as st

from govdash import drill, heatmap, maps, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_heatmap", db)
zh = lang == "zh"
paths = ui.cached("unit_paths").get("grid", {})  # the places listed are grids
categories = {c: ui.category_name(c, lang) for c in ui.cached("categories")["category"]}

# the area shown is the deepest selection: grids, communities, streets/towns or the whole district
outline = ui.unit_shapes(drill.LEVELS[max(drill.depth(f) - 1, 0)], f)
bbox = maps.shapes_bbox(outline)
c1, c2, c3, c4 = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
mode = c1.segmented_control(t("layer", lang), ["density", "hot_spots", "repeat_complaints"], key="heat_mode",
                            default="density", required=True, format_func=lambda v: t(v, lang)) or "density"
wish = c2.select_slider(t("bin_size", lang), ["auto", 100, 200, 400, 800, 1600], key="heat_cell",
                        format_func=lambda v: t("auto", lang) if v == "auto" else f"{v:,}")
cell = heatmap.cell_size(bbox, 100 if wish == "auto" else wish)  # never more than MAX_BINS squares
box = heatmap.pad_bbox(bbox, cell) if bbox else None
n_cases = ui.cached("case_count", f)
bins = ui.cached("heat_bins", f, cell, "none", box)
small = n_cases <= heatmap.POINTS_MAX
left, right = st.columns([3, 2])

if mode == "density":
    frame = c3.selectbox(t("playback", lang), list(heatmap.FRAME_KINDS), key="heat_frame",
                         format_func=lambda v: t(f"play_{v}", lang))
    playing = c4.toggle(t("play", lang), key="heat_play", disabled=frame == "none")
    # single cases only for a small set; over the whole district the squares read better from afar
    show = right.toggle(t("show_cases", lang), value=drill.depth(f) > 0 or bool(f.scope), key="heat_points",
                        disabled=not small or frame != "none")
    points = ui.cached("case_points", f, heatmap.POINTS_MAX) if show and small and frame == "none" else None
    frames = ui.cached("heat_frames", f, cell, frame, box) if frame != "none" else None
    values = frames["frame"].tolist() if frames is not None else []
    # one colour scale for all frames: the busiest square of any frame is the top of the bar
    vmax = float(frames["max_count"].max()) if values else float(bins["count"].max() if len(bins) else 1)

    @st.fragment(run_every=s.play_seconds if playing and values else None)
    def player() -> None:
        shown, label = bins, ""
        if values:
            i = st.session_state.get("heat_idx", 0) % len(values)
            st.session_state["heat_idx"] = (i + 1) % len(values) if playing else i
            k = st.select_slider(t("frame", lang), range(len(values)), key="heat_idx",
                                 format_func=lambda j: heatmap.frame_label(values[j], frame, lang))
            shown = ui.cached("heat_bins", f, cell, frame, box, heatmap.frame_param(values[k]))
            label = f"{heatmap.frame_label(values[k], frame, lang)} · {k + 1}/{len(values)} · "
        deck = maps.heat_deck(shown, cell_m=cell, vmax=vmax, bbox=bbox, outline=outline, points=points,
                              tile_url=s.tile_url, lang=lang, category_names=categories, height_px=600)
        st.pydeck_chart(deck, height=600, key="heat_map")
        st.caption(f"{label}{t('cases', lang)} {int(shown['count'].sum()):,} · {len(shown):,} "
                   + (f"个方格（上限 {heatmap.MAX_BINS:,}）" if zh else f"squares (at most {heatmap.MAX_BINS:,})")
                   + ("" if points is None else (" · 悬停圆点查看工单" if zh else " · hover a dot for the case")))
        for part in (shown, points):  # a result cut at the row cap says so
            if part is not None and part.attrs.get("truncated"):
                st.warning(t("truncated", lang).format(n=len(part)))

    with left:
        player()
    with right:
        st.html(maps.density_legend_html(vmax, cell, lang=lang))
        st.metric(t("cases", lang), f"{n_cases:,}")
        if frames is not None and len(frames):
            st.bar_chart(heatmap.frame_chart(frames, frame, lang), x_label="", y_label=t("cases", lang), height=240,
                         sort=False)
        st.markdown("**" + ("工单最多的网格" if zh else "Grids with most cases") + "**")
        st.dataframe(heatmap.top_units(ui.cached("busiest_units", drill.area(f), "grid", heatmap.TOP_N), paths,
                                       lang=lang), hide_index=True, width="stretch")
        if not small:
            st.caption(f"工单超过 {heatmap.POINTS_MAX:,} 件时只显示方格汇总；缩小时段或区域可查看单个工单。" if zh else
                       f"Above {heatmap.POINTS_MAX:,} cases only squares are drawn; narrow the period or area "
                       "to see single cases.")

elif mode == "hot_spots":
    grid = heatmap.lattice(outline, cell)
    before = ui.cached("heat_bins", f.previous(), cell, "none", box)
    if bins.attrs.get("truncated"):
        st.warning(t("truncated", lang).format(n=len(bins)))
        spots = heatmap.hot_spot_bins(bins, grid, cell, before, alpha=heatmap.ALPHA, crs=ui.metric_crs())
    clusters = heatmap.spot_clusters(spots, cell, ui.unit_shapes("grid", f), paths)
    with left:
        st.pydeck_chart(maps.hot_spot_deck(spots, cell_m=cell, bbox=bbox, outline=outline, tile_url=s.tile_url,
                                           lang=lang, height_px=600), height=600, key="hot_map")
    with right:
        st.html(maps.swatches_html(heatmap.spot_swatches(lang)))
        st.info(heatmap.EXPLAIN["zh" if zh else "en"])
        st.caption(heatmap.spot_summary(spots, clusters, f, cell, lang))
        st.dataframe(heatmap.hot_spot_table(clusters, lang), hide_index=True, height=330, width="stretch")

else:
    if n_cases > heatmap.REPEAT_MAX_CASES:
        st.warning(f"所选范围有 {n_cases:,} 件工单，超过 {heatmap.REPEAT_MAX_CASES:,} 件，请缩短时段或缩小区域。"
                   if zh else
                   f"{n_cases:,} cases selected, more than {heatmap.REPEAT_MAX_CASES:,}: narrow the period or area.")
        st.stop()
    repeats, read, cut = ui.repeat_complaints(f, heatmap.REPEAT_MAX_CASES)
    if cut:
        st.warning(t("truncated_repeats", lang).format(n=read))
    drawn = heatmap.top_repeats(repeats)
    with left:
        st.pydeck_chart(maps.heat_deck(bins, cell_m=cell, vmax=float(bins["count"].max() if len(bins) else 1),
                                       bbox=bbox, outline=outline, repeats=drawn, tile_url=s.tile_url, lang=lang,
                                       height_px=600,
                                       category_names=categories, unit_names=paths), height=600, key="repeat_map")
    with right:
        st.markdown(f"**{t('repeat_complaints', lang)} · {len(repeats):,}**")
        st.caption("同一类别在 30 天内被反映 ≥3 次（同一网格内或 100 米内），说明根源问题可能没有解决。" if zh else
                   "The same category reported ≥ 3 times within 30 days in one grid or within 100 m: "
                   "the root cause is probably not fixed.")
        st.dataframe(heatmap.repeat_table(repeats, categories, paths, lang), hide_index=True, height=480,
                     width="stretch")
