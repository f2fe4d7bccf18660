"""Wall-screen view builders: CSS, HTML header/tiles/ticker, plotly figures and the pydeck map (no streamlit)."""

from __future__ import annotations

import html
import math
from datetime import datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from govdash import maps
from govdash.charts import FONT
from govdash.wall import DENSITY_CELL_M, DENSITY_DAYS, LIVE_HOURS, OVERDUE_AMBER, OVERDUE_RED, TREND_WEEKS, Tile, label

# the wall is laid out for a 16:9 screen in units of --u (1 % of the width: 19.2 px at 1080p,
# 38.4 px at 4K); charts and the map are drawn for 1920x1080 and zoomed on larger screens
GOOD, BAD, WARN, NEUTRAL, ACCENT = "#2ee6a8", "#ff5c7a", "#ffd166", "#9fb3d1", "#4cc9f0"
STATUS_RGB = {0: (46, 230, 168), 1: (255, 209, 102), 2: (255, 92, 122)}
DENSITY_RAMP = [(24, 44, 110), (30, 100, 190), (40, 170, 230), (140, 225, 250), (240, 252, 255)]
MAP_DESIGN_PX = {"overview": (630, 640), "map": (860, 640)}  # map panel size at 1920x1080, CSS px
# (width, height) of each plotly figure in the 1920x1080 design: Streamlit would measure a zoomed
# container in screen px, so the figures get their design size and the zoom scales them
FIG_DESIGN_PX = {"overview_trend": (1230, 370), "trend": (1878, 660), "coverage": (1230, 660)}
PLAYLIST_DOTS = True

CSS = """
<style>
:root { --u0: min(1vw, 1.7778vh); --u: var(--u0); --z: 1; --bg: #0b1220; --panel: #111b2e; --line: #22324f; --text: #e8eef7;
        --muted: #9fb3d1; --good: %(GOOD)s; --bad: %(BAD)s; --warn: %(WARN)s; --accent: %(ACCENT)s; }
html, body, .stApp { background: var(--bg) !important; }
/* chrome-free: no header, toolbar, menu, footer, sidebar or status widget */
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stStatusWidget"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stMainMenu"], footer, #MainMenu { display: none !important; }
/* a fragment rerun must not dim or fade the wall */
[data-stale="true"], .stale-element { opacity: 1 !important; transition: none !important; }
[data-testid="stMain"], [data-testid="stAppViewContainer"] { overflow: hidden !important; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: calc(var(--u) * 4.4) calc(var(--u) * 1.0) 0 !important; max-width: none !important; }
[data-testid="stVerticalBlock"] { gap: calc(var(--u) * 0.5) !important; }
[data-testid="stHorizontalBlock"] { gap: calc(var(--u) * 0.6) !important; }
.stHtml:empty, [data-testid="stElementContainer"]:has(> .stHtml > style:only-child),
[data-testid="stElementContainer"]:has(> .stHtml > script:only-child),
[data-testid="stElementContainer"]:has(> .stHtml:empty) { display: none !important; }
.wall, .wall * { font-family: %(FONT)s; color: var(--text); box-sizing: border-box; }
/* header */
.wall-top { position: fixed; top: 0; left: 0; right: 0; height: calc(var(--u) * 3.8); z-index: 1000;
  display: flex; align-items: center; justify-content: space-between; padding: 0 calc(var(--u) * 1.0);
  background: linear-gradient(180deg, #10203d, #0b1220); border-bottom: 2px solid var(--line); }
.wall-title { font-size: calc(var(--u) * 1.55); font-weight: 700; letter-spacing: 0.06em; white-space: nowrap; }
.wall-sub { font-size: calc(var(--u) * 0.85); color: var(--muted); margin-left: calc(var(--u) * 0.8); }
.wall-playlist { display: flex; gap: calc(var(--u) * 0.5); font-size: calc(var(--u) * 0.85); }
.wall-playlist span { padding: calc(var(--u) * 0.12) calc(var(--u) * 0.6); border-radius: calc(var(--u) * 0.3);
  color: var(--muted); border: 1px solid var(--line); }
.wall-playlist span.on { color: #0b1220; background: var(--accent); border-color: var(--accent); font-weight: 700; }
.wall-right { display: flex; align-items: baseline; gap: calc(var(--u) * 1.2); white-space: nowrap; }
.wall-asof { font-size: calc(var(--u) * 0.85); color: var(--muted); }
.wall-asof b { color: var(--text); font-weight: 600; }
.wall-asof.stale b { color: var(--warn); }
.wall-clock-date { font-size: calc(var(--u) * 0.85); color: var(--muted); }
.wall-clock-time { font-size: calc(var(--u) * 1.7); font-weight: 700; font-variant-numeric: tabular-nums; }
/* headline tiles */
.wall-tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: calc(var(--u) * 0.6);
  height: calc(var(--u) * 8.2); }
.wall-tile { background: var(--panel); border: 1px solid var(--line); border-top: calc(var(--u) * 0.22) solid var(--line);
  border-radius: calc(var(--u) * 0.4); padding: calc(var(--u) * 0.45) calc(var(--u) * 0.8);
  display: flex; flex-direction: column; justify-content: space-between; overflow: hidden; }
.wall-tile.met { border-top-color: var(--good); } .wall-tile.miss { border-top-color: var(--bad); }
.wall-tile-label { font-size: calc(var(--u) * 1.0); color: var(--muted); white-space: nowrap; }
.wall-tile-value { font-size: calc(var(--u) * 2.9); font-weight: 700; line-height: 1.0;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.wall-arrow { font-size: 1.25em; }
.wall-tile-foot { display: flex; justify-content: space-between; gap: calc(var(--u) * 0.4);
  font-size: calc(var(--u) * 0.9); white-space: nowrap; }
.wall-good { color: var(--good) !important; } .wall-bad { color: var(--bad) !important; }
.wall-neutral { color: var(--muted) !important; } .wall-warn { color: var(--warn) !important; }
/* panels */
.wall-panel-title { font-size: calc(var(--u) * 1.05); font-weight: 600; color: var(--text);
  padding: calc(var(--u) * 0.2) 0 calc(var(--u) * 0.3); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-note { font-size: calc(var(--u) * 0.8); font-weight: 400; color: var(--muted); margin-left: calc(var(--u) * 0.6); }
.wall-nodata { height: 100%%; min-height: calc(var(--u) * 6); display: flex; align-items: center; justify-content: center;
  font-size: calc(var(--u) * 1.6); color: var(--muted); background: var(--panel); border: 1px dashed var(--line);
  border-radius: calc(var(--u) * 0.4); }
.wall-playbar { position: fixed; top: 0; left: 50%%; transform: translateX(-50%%); height: calc(var(--u) * 3.8);
  z-index: 1001; display: flex; align-items: center; }
/* the stage is laid out in 1920x1080 CSS px (charts, map) and zoomed to the screen: vector, stays sharp */
.st-key-wall-stage { zoom: var(--z); --u: calc(var(--u0) / var(--z)); flex: none !important; min-height: 0;
  height: calc((100vh - var(--u0) * 17.4) / var(--z)) !important; overflow: hidden; }
.st-key-wall-stage [data-testid="stHorizontalBlock"] { height: 100%%; }
.st-key-wall-stage [data-testid="stColumn"] > div { height: 100%%; }
.st-key-wall-box-map, .st-key-wall-box-map_big { height: 100%%; }
.st-key-wall-stage [data-testid="stDeckGlJsonChart"], .st-key-wall-stage .stPlotlyChart {
  border: 1px solid var(--line); border-radius: calc(var(--u) * 0.4); background: var(--panel); overflow: hidden; }
.wall-legend { display: flex; flex-wrap: wrap; gap: calc(var(--u) * 0.9); font-size: calc(var(--u) * 0.85);
  color: var(--muted); padding-top: calc(var(--u) * 0.3); }
.wall-legend i { display: inline-block; width: calc(var(--u) * 0.8); height: calc(var(--u) * 0.8);
  vertical-align: -0.1em; margin-right: calc(var(--u) * 0.3); border-radius: 2px; }
.wall-big { font-size: calc(var(--u) * 5.2); font-weight: 700; line-height: 1; color: var(--good);
  font-variant-numeric: tabular-nums; }
.wall-big.miss { color: var(--warn); }
.wall-kv { font-size: calc(var(--u) * 1.0); color: var(--muted); margin-top: calc(var(--u) * 0.4); }
.wall-kv b { color: var(--text); }
.wall-list { width: 100%%; border-collapse: collapse; font-size: calc(var(--u) * 1.05); }
.wall-list td { padding: calc(var(--u) * 0.28) calc(var(--u) * 0.3); border-bottom: 1px solid var(--line); white-space: nowrap; }
.wall-list td.t { color: var(--muted); font-variant-numeric: tabular-nums; }
.wall-list td.c { max-width: calc(var(--u) * 9); overflow: hidden; text-overflow: ellipsis; }
.wall-list td.s { color: var(--muted); text-align: right; }
.wall-list td.n { text-align: right; font-weight: 700; font-variant-numeric: tabular-nums; }
.wall-card { background: var(--panel); border: 1px solid var(--line); border-radius: calc(var(--u) * 0.4);
  padding: calc(var(--u) * 0.6) calc(var(--u) * 0.9); }
/* ticker */
.wall-ticker { position: fixed; left: 0; right: 0; bottom: 0; height: calc(var(--u) * 3.0); z-index: 1000;
  display: flex; align-items: stretch; background: #0f1930; border-top: 2px solid var(--line); }
.wall-ticker-label { flex: none; display: flex; align-items: center; padding: 0 calc(var(--u) * 1.0);
  font-size: calc(var(--u) * 1.15); font-weight: 700; background: var(--bad); color: #fff; }
.wall-ticker-label.calm { background: #1d6f5a; }
.wall-ticker-track { flex: 1; position: relative; overflow: hidden; }
.wall-ticker-move { position: absolute; top: 0; bottom: 0; left: 0; display: flex; align-items: center;
  gap: calc(var(--u) * 3); white-space: nowrap; font-size: calc(var(--u) * 1.2); will-change: transform;
  animation: wall-marquee var(--dur, 60s) linear infinite; }
.wall-ticker-move .spike { color: var(--warn); } .wall-ticker-move .overdue { color: #ffb3c1; }
@keyframes wall-marquee { from { transform: translateX(100vw); } to { transform: translateX(-100%%); } }
@media (max-width: 1700px) { :root { --z: 0.8333; } }
@media (min-width: 2300px) { :root { --z: 1.3333; } }
@media (min-width: 3000px) { :root { --z: 2; } }
@supports (zoom: calc(100vw / 1920px)) { :root { --z: min(calc(100vw / 1920px), calc(100vh / 1080px)); } }
</style>
"""


def css() -> str:
    """The wall's stylesheet (a <style> element)."""
    return CSS % {"GOOD": GOOD, "BAD": BAD, "WARN": WARN, "ACCENT": ACCENT, "FONT": FONT}


def clock_script() -> str:
    """A script ticking every ``.wall-clock-*`` element each second in Shanghai time (no server round trip)."""
    return """<script>
(function () {
  if (window.__govdashClock) return;
  window.__govdashClock = true;
  function tick() {
    var d = new Date();
    document.querySelectorAll('.wall-clock-time, .wall-clock-date').forEach(function (el) {
      var loc = el.getAttribute('data-locale') || 'zh-CN';
      var opts = el.classList.contains('wall-clock-time')
        ? {timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false}
        : {timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short'};
      el.textContent = new Intl.DateTimeFormat(loc, opts).format(d);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
</script>"""


def header_html(*, lang: str, now: datetime, data_time: datetime | None, stale: bool, period: str) -> str:
    """The fixed top bar: title, period, playlist position, "data as of" and the clock (server time until JS ticks)."""
    loc = "zh-CN" if lang == "zh" else "en-GB"
    weekday = "一二三四五六日"[now.weekday()] if lang == "zh" else now.strftime("%a")
    date_text = f"{now:%Y/%m/%d} 周{weekday}" if lang == "zh" else f"{weekday} {now:%d/%m/%Y}"
    as_of = f"{data_time:%Y-%m-%d %H:%M}" if data_time is not None else label("no_data", lang)
    stale_note = f" · {label('stale', lang)}" if stale else ""
    return (f'<div class="wall wall-top"><div><span class="wall-title">{html.escape(label("wall_title", lang))}</span>'
            f'<span class="wall-sub">{html.escape(period)}</span></div>'
            f'<div class="wall-right"><span class="wall-asof{" stale" if stale else ""}">'
            f'{html.escape(label("data_as_of", lang))} <b>{html.escape(as_of)}{html.escape(stale_note)}</b></span>'
            f'<span class="wall-clock-date" data-locale="{loc}">{html.escape(date_text)}</span>'
            f'<span class="wall-clock-time" data-locale="{loc}">{now:%H:%M:%S}</span></div></div>')


def playlist_html(panels: list[str], current: int) -> str:
    """The playlist position, drawn in the middle of the top bar."""
    return '<div class="wall-playlist">' + "".join(
        f'<span class="{"on" if i == current else ""}">{html.escape(p)}</span>' for i, p in enumerate(panels)) + "</div>"


def _tone(better: bool | None) -> str:
    return "wall-neutral" if better is None else ("wall-good" if better else "wall-bad")


def tiles_html(tiles: list[Tile], lang: str) -> str:
    """The headline indicator row: value, arrow and change against the previous period, target (met or not)."""
    cells = []
    for tl in tiles:
        state = "" if tl.met is None else (" met" if tl.met else " miss")
        change = (f'<span class="{_tone(tl.better)}"><span class="wall-arrow">{tl.arrow}</span> {html.escape(tl.change)} '
                  f'<span class="wall-neutral">{html.escape(label("vs_prev", lang))}</span></span>') if tl.change else "<span></span>"
        right = tl.target or tl.note
        right_cls = "wall-neutral" if tl.met is None else ("wall-good" if tl.met else "wall-warn")
        mark = "" if tl.met is None else (" ✓" if tl.met else " ✗")
        cells.append(f'<div class="wall-tile{state}" data-key="{html.escape(tl.key)}">'
                     f'<div class="wall-tile-label">{html.escape(tl.label)}</div>'
                     f'<div class="wall-tile-value">{html.escape(tl.value)}</div>'
                     f'<div class="wall-tile-foot">{change}<span class="{right_cls}">{html.escape(right)}{mark}</span>'
                     f"</div></div>")
    return '<div class="wall wall-tiles">' + "".join(cells) + "</div>"


def ticker_html(items: list[dict] | None, lang: str) -> str:
    """The fixed bottom ticker: a CSS marquee of escaped alert texts; "no data" when the query failed (None)."""
    if items is None:
        body, calm = f'<span class="wall-neutral">{html.escape(label("no_data", lang))}</span>', True
    elif not items:
        body, calm = f'<span class="wall-good">{html.escape(label("no_alerts", lang))}</span>', True
    else:
        body = "".join(f'<span class="{html.escape(i["kind"])}">● {html.escape(i["text"])}</span>' for i in items)
        calm = False
    chars = sum(len(i["text"]) + 4 for i in items or []) or 20
    seconds = max(20, round((100 + chars * 1.3) / 5))  # about 5 --u per second whatever the screen
    title = label("alert_overdue", lang) + "·" + label("alert_spike", lang) if lang == "zh" else "ALERTS"
    return (f'<div class="wall wall-ticker"><div class="wall-ticker-label{" calm" if calm else ""}">'
            f'{html.escape(title)}</div><div class="wall-ticker-track">'
            f'<div class="wall-ticker-move" style="--dur:{seconds}s">{body}</div></div></div>')


def nodata_html(lang: str) -> str:
    return f'<div class="wall wall-nodata">{html.escape(label("no_data", lang))}</div>'


def title_html(text: str, note: str = "") -> str:
    """A panel title, with an optional muted note after it."""
    extra = f' <span class="wall-note">{html.escape(note)}</span>' if note else ""
    return f'<div class="wall wall-panel-title">{html.escape(text)}{extra}</div>'


# --- map ---

def map_legend_html(lang: str, recent: int) -> str:
    items = [(STATUS_RGB[0], label("status_ok", lang)),
             (STATUS_RGB[1], label("status_amber", lang, a=OVERDUE_AMBER, b=OVERDUE_RED - 1)),
             (STATUS_RGB[2], label("status_red", lang, n=OVERDUE_RED))]
    parts = [f'<span><i style="background:rgb{c}"></i>{html.escape(text)}</span>' for c, text in items]
    parts.append(f'<span><i style="background:linear-gradient(90deg,#182c6e,#28aae6,#f0fcff)"></i>'
                 f'{html.escape(label("cases", lang))} · {DENSITY_DAYS}{label("day_unit", lang)}</span>')
    parts.append(f'<span><i style="background:#ffffff;border-radius:50%"></i>{html.escape(label("new_cases", lang))}'
                 f' {LIVE_HOURS}h: <b>{recent:,}</b></span>')
    return '<div class="wall wall-legend">' + "".join(parts) + "</div>"


def wall_map(stats: pd.DataFrame, geoms: pd.DataFrame, bins: pd.DataFrame, recent: pd.DataFrame, *,
             lang: str = "zh", tile_url: str = "", size_px: tuple[int, int] = MAP_DESIGN_PX["overview"]) -> pdk.Deck:
    """Streets/towns filled by status (overdue open cases), last-week case density, last-day cases as points,
    and the red towns labelled with their overdue count. Fits the district in ``size_px`` (CSS px at 1080p)."""
    shapes = maps.unit_shapes(geoms, tolerance_m=40.0).merge(stats, on="unit_id", how="left")
    status = shapes["status"].fillna(0).astype(int)
    fill = [list(STATUS_RGB[s]) + [70 if s == 2 else 26] for s in status]
    line = [list(STATUS_RGB[s]) + [235] for s in status]
    layers = [pdk.Layer("PolygonLayer", data=pd.DataFrame({"polygon": shapes["polygon"], "fill": fill, "line": line}),
                        id="towns", get_polygon="polygon", get_fill_color="fill", get_line_color="line",
                        line_width_min_pixels=2, stroked=True, filled=True, pickable=False)]
    if not bins.empty:
        top = float(np.quantile(bins["count"], 0.98)) if len(bins) > 10 else float(bins["count"].max())
        layers.append(pdk.Layer("GridCellLayer", data=pd.DataFrame({
            "lon": bins["lon"].round(5), "lat": bins["lat"].round(5),
            "fill": density_rgba(bins["count"].to_numpy(float), max(top, 1.0))}),
            id="density", get_position=["lon", "lat"], cell_size=DENSITY_CELL_M, get_fill_color="fill",
            extruded=False, pickable=False))
    if not recent.empty:
        layers.append(pdk.Layer("ScatterplotLayer", data=recent[["lon", "lat"]].round(5), id="recent",
                                get_position=["lon", "lat"], get_radius=90, radius_min_pixels=3,
                                radius_max_pixels=6, get_fill_color=[255, 255, 255, 240], stroked=True,
                                get_line_color=[11, 18, 32, 255], line_width_min_pixels=1, pickable=False))
    red = stats[stats["status"] >= 2].merge(geoms[["unit_id"]], on="unit_id")
    if not red.empty:
        centres = _label_points(shapes[shapes["unit_id"].isin(red["unit_id"])])
        text = red.merge(centres, on="unit_id")  # the count only: names would crowd the dense west
        text = pd.DataFrame({"lon": text["lon"], "lat": text["lat"], "text": text["overdue"].astype(str)})
        layers.append(pdk.Layer("TextLayer", data=text, id="labels", get_position=["lon", "lat"], get_text="text",
                                # pydeck reads bare strings as accessors: quote the literal ones
                                get_size=24, get_color=[255, 92, 122, 255], font_family="'sans-serif'",
                                character_set="'0123456789'", font_weight=800, outline_width=4,
                                outline_color=[11, 18, 32, 255], font_settings={"sdf": True}, pickable=False))
    view = maps.view_for_bbox(maps.shapes_bbox(shapes), width_px=size_px[0], height_px=size_px[1], pad=0.03)
    view.controller = False
    return maps.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=maps.map_style(tile_url),
                     tooltip=False, views=[pdk.View("MapView", controller=False)])


def density_rgba(counts: np.ndarray, vmax: float) -> list[list[int]]:
    """Cool colours (deep blue → cyan → white) on a square-root scale, so status red/amber stays distinct."""
    x = np.sqrt(np.clip(counts / vmax, 0, 1))
    stops = np.linspace(0, 1, len(DENSITY_RAMP))
    rgb = np.column_stack([np.interp(x, stops, [c[i] for c in DENSITY_RAMP]) for i in range(3)]).round().astype(int)
    alpha = np.interp(x, [0, 1], [120, 230]).round().astype(int)
    return [[int(r), int(g), int(b), int(a)] for (r, g, b), a in zip(rgb, alpha)]


def _label_points(shapes: pd.DataFrame) -> pd.DataFrame:
    """A label point per unit: the centre of its largest ring's bounding box (good enough for town shapes)."""
    rows = []
    for uid, grp in shapes.groupby("unit_id"):
        ring = max((np.asarray(p[0]) for p in grp["polygon"]), key=len)
        rows.append((uid, (ring[:, 0].min() + ring[:, 0].max()) / 2, (ring[:, 1].min() + ring[:, 1].max()) / 2))
    return pd.DataFrame(rows, columns=["unit_id", "lon", "lat"])


def lagging_html(stats: pd.DataFrame, lang: str, n: int = 10) -> str:
    """The streets/towns with most overdue open cases, as a list with status dots."""
    top = stats[stats["overdue"] > 0].sort_values(["overdue", "unit_id"], ascending=[False, True]).head(n)
    if top.empty:
        return f'<div class="wall wall-card"><div class="wall-good">{html.escape(label("status_ok", lang))}</div></div>'
    rows = "".join(
        f'<tr><td><span style="color:rgb{STATUS_RGB[int(r.status)]}">●</span> '
        f'{html.escape(str(r.name_zh if lang == "zh" else (r.name_en or r.name_zh)))}</td><td class="n">{int(r.overdue)}</td></tr>'
        for r in top.itertuples())
    return (f'<div class="wall wall-card"><div class="wall-panel-title">{html.escape(label("lagging", lang))}</div>'
            f'<table class="wall-list">{rows}</table></div>')


def latest_html(cases: pd.DataFrame, lang: str, *, status: bool = True) -> str:
    """The newest cases: time, street/town, category and (``status``) status; escaped, ids in ``data-case``."""
    from govdash.indicators import category_label
    rows = "".join(
        f'<tr data-case="{html.escape(str(r.case_id))}"><td class="t">{pd.Timestamp(r.reported_at):%H:%M}</td>'
        f'<td>{html.escape(str((r.name_zh if lang == "zh" else r.name_en) or r.name_zh or ""))}</td>'
        f'<td class="c">{html.escape(category_label(r.category, lang))}</td>'
        + (f'<td class="s">{html.escape(label(str(r.status), lang))}</td>' if status else "") + "</tr>"
        for r in cases.itertuples())
    return (f'<div class="wall wall-card wall-latest"><div class="wall-panel-title">{html.escape(label("latest", lang))}'
            f'</div><table class="wall-list">{rows}</table></div>')


# --- trend ---

def _fig_style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(template="plotly_dark", height=height, font={"family": FONT, "size": 19, "color": "#e8eef7"},
                      margin={"l": 70, "r": 78, "t": 14, "b": 46}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", showlegend=True,
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 19}})
    fig.update_xaxes(gridcolor="#22324f", linecolor="#22324f")
    fig.update_yaxes(gridcolor="#22324f", zeroline=False)
    return fig


def trend_figure(df: pd.DataFrame, *, target: float | None, lang: str = "zh", height: int = 400) -> go.Figure:
    """Weekly resolution and on-time rates (%, left) over cases collected (bars, right); target dashed;
    the running week hollow (its cases are still being handled)."""
    weeks = df["period"]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=weeks, y=df["collected"], name=label("weekly_collected", lang), yaxis="y2",
                         marker_color="rgba(76,201,240,0.22)", hoverinfo="skip"))
    done = df[~df["partial"].to_numpy(bool)]  # a running week's rates are not comparable yet: bars only
    for key, colour in (("resolution_rate", ACCENT), ("on_time_rate", "#c77dff")):
        fig.add_trace(go.Scatter(x=done["period"], y=done[key] * 100, name=label(key, lang), mode="lines+markers",
                                 line={"width": 4, "color": colour}, marker={"size": 9, "color": colour}))
    if target is not None:
        fig.add_hline(y=target * 100, line_dash="dash", line_color=WARN, line_width=2,
                      annotation_text=f"{label('target', lang)} {target * 100:g}%", annotation_font_color=WARN,
                      annotation_position="bottom left")
    lo = np.nanmin(np.r_[done[["resolution_rate", "on_time_rate"]].to_numpy(float).ravel() * 100,
                        (target or 1) * 100])
    fig.update_layout(yaxis={"title": "%", "range": [max(0, math.floor(lo - 2)), 100.8]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                              "title": label("cases", lang)},
                      bargap=0.25)
    fig.update_xaxes(tickformat="%m-%d", dtick=7 * 86_400_000 * (2 if len(df) > 14 else 1))
    return _fig_style(fig, height)


# --- coverage ---

def coverage_html(summary: dict, lang: str, *, target: float = 1.0, full: bool = True) -> str:
    """The 15-minute figure: share of residents covered (big), residents not covered, stations (``full``: residents)."""
    share = summary["share"]
    kv = [(label("uncovered", lang), f'{summary["uncovered"]:,.0f}'), (label("stations", lang), f'{summary["stations"]:,}')]
    if full:
        kv.append((label("residents", lang), f'{summary["residents"]:,.0f}'))
    return (f'<div class="wall wall-card"><div class="wall-panel-title">'
            f'{html.escape(label("coverage_title", lang))}</div>'
            f'<div class="wall-big{" miss" if share < target else ""}">{share * 100:.1f}%</div>'
            + "".join(f'<div class="wall-kv">{html.escape(k)} <b>{v}</b></div>' for k, v in kv) + "</div>")


def coverage_figure(summary: dict, names: dict[str, str], *, lang: str = "zh", n: int = 12,
                    height: int = 250) -> go.Figure:
    """Streets/towns with the lowest 15-minute coverage, as horizontal bars (% of residents)."""
    by = summary["by_town"].sort_values("share").head(n)
    labels = [names.get(u, u) for u in by["unit_id"]]
    colours = [GOOD if s >= 0.95 else (WARN if s >= 0.8 else BAD) for s in by["share"]]
    fig = go.Figure(go.Bar(y=labels, x=by["share"] * 100, orientation="h", marker_color=colours,
                           text=[f"{s * 100:.0f}%" for s in by["share"]], textposition="outside",
                           cliponaxis=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 112], ticksuffix="%")
    fig = _fig_style(fig, height)
    fig.update_layout(showlegend=False, margin={"l": 8, "r": 24, "t": 8, "b": 30})
    return fig


__all__ = ["css", "clock_script", "header_html", "tiles_html", "ticker_html", "nodata_html", "title_html",
           "wall_map", "map_legend_html", "lagging_html", "trend_figure", "coverage_html", "coverage_figure",
           "TREND_WEEKS", "FIG_DESIGN_PX", "MAP_DESIGN_PX"]
