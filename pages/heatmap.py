"""Issue heatmap: where cases concentrate, binned in DuckDB, with playback on a fixed colour scale."""

import streamlit as st

from govdash import maps, ui
from govdash.i18n import t

lang = ui.lang()
db = ui.database()
f = ui.current_filters()
s = ui.conf()
ui.header("page_heatmap", db)

auto_cell = 200 if f.communities else (400 if f.towns else 800)
c1, c2 = st.columns(2)
cell_m = c1.select_slider("网格尺寸 Bin size (m)", [100, 200, 400, 800, 1600], value=auto_cell, key="heat_cell")
frame = c2.selectbox("回放 Playback", ["none", "hour", "dow", "month"], key="heat_frame",
                     format_func=lambda v: {"none": "不回放 none", "hour": "按小时 hour of day",
                                            "dow": "按星期 day of week", "month": "按月 month"}[v])
bins = ui.cached("heat_bins", f, cell_m, frame)
outline = ui.cached("district_outline")
if bins.empty:
    st.info(t("no_data", lang))
else:
    vmax = float(bins["count"].max())  # fixed across frames: the scale does not shift during playback
    frames = sorted(bins["frame"].unique())
    if frame != "none" and len(frames) > 1:
        pick = st.select_slider("帧 Frame", options=frames, value=frames[0], key="heat_pick",
                                format_func=lambda v: str(v)[:10])
        shown = bins[bins["frame"] == pick]
    else:
        shown = bins.groupby(["bx", "by", "lon", "lat"], as_index=False)["count"].sum()
        vmax = float(shown["count"].max())
    deck = maps.density(shown, cell_m=cell_m, vmax=vmax, tile_url=s.tile_url, outline=outline, lang=lang)
    st.pydeck_chart(deck, height=640, key="heat_map")
    st.caption(f"{t('cases', lang)}: {int(shown['count'].sum()):,} · bins {len(shown):,} · max {int(vmax):,} / bin")
