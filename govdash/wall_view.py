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
from govdash.i18n import WEEKDAYS, t
from govdash.wall import (
    DENSITY_CELL_M,
    DENSITY_DAYS,
    LIVE_HOURS,
    OVERDUE_AMBER,
    OVERDUE_RED,
    SCALE_COOKIE,
    Tile,
    label,
    town_name,
)

# The wall is laid out for a 16:9 screen. HTML is sized in --u (1 % of the width: 19.2 px at
# 1080p, 38.4 px at 4K). Plotly and deck.gl draw in pixels, and Streamlit sizes them from the
# on-screen box (a CSS zoom would be applied twice), so they are drawn for 1920x1080 times
# ``scale``: the screen's size over 1920x1080, which the page's script reports in a cookie.
GOOD, BAD, WARN, NEUTRAL, ACCENT = "#2ee6a8", "#ff5c7a", "#ffd166", "#9fb3d1", "#4cc9f0"
STATUS_RGB = {0: (46, 230, 168), 1: (255, 209, 102), 2: (255, 92, 122)}
DENSITY_RAMP = [(24, 44, 110), (30, 100, 190), (40, 170, 230), (140, 225, 250), (240, 252, 255)]
MAP_DESIGN_PX = {"overview": (630, 640), "map": (860, 640)}  # map panel size at 1920x1080, CSS px
FIG_DESIGN_PX = {"overview_trend": 370, "trend": 660, "coverage": 660}  # figure heights at 1920x1080
TICKER_SCREEN_CHARS = 110       # characters of ticker text that fill a 16:9 screen, about
TICKER_SECONDS_PER_CHAR = 0.25   # scroll speed: about 5 --u per second on any screen

CSS = """
<style>
:root { --u: min(1vw, 1.7778vh); --bg: #0b1220; --panel: #111b2e; --line: #22324f; --text: #e8eef7;
        --muted: #9fb3d1; --good: @GOOD@; --bad: @BAD@; --warn: @WARN@; --accent: @ACCENT@; }
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
.wall, .wall * { font-family: @FONT@; color: var(--text); box-sizing: border-box; }
/* header */
.wall-top { position: fixed; top: 0; left: 0; right: 0; height: calc(var(--u) * 3.8); z-index: 1000;
  display: flex; align-items: center; justify-content: space-between; padding: 0 calc(var(--u) * 1.0);
  background: linear-gradient(180deg, #10203d, #0b1220); border-bottom: 2px solid var(--line); }
.wall-title { font-size: calc(var(--u) * 1.55); font-weight: 700; letter-spacing: 0.06em; white-space: nowrap; }
.wall-badge { font-size: calc(var(--u) * 0.75); color: var(--warn); border: 1px solid var(--warn);
  border-radius: calc(var(--u) * 0.25); padding: 0 calc(var(--u) * 0.35); margin-left: calc(var(--u) * 0.7);
  vertical-align: 0.25em; }
.wall-left { display: flex; flex-direction: column; line-height: 1.2; }
/* the period sits under the title so the playlist bar in the middle never covers it */
.wall-sub { font-size: calc(var(--u) * 0.85); color: var(--muted); white-space: nowrap; }
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
.wall-tile { background: var(--panel); border: 1px solid var(--line);
  border-top: calc(var(--u) * 0.22) solid var(--line);
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
  padding: calc(var(--u) * 0.2) 0 calc(var(--u) * 0.3); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wall-note { font-size: calc(var(--u) * 0.8); font-weight: 400; color: var(--muted);
  margin-left: calc(var(--u) * 0.6); }
.wall-nodata { height: 100%; min-height: calc(var(--u) * 6); display: flex; align-items: center;
  justify-content: center;
  font-size: calc(var(--u) * 1.6); color: var(--muted); background: var(--panel); border: 1px dashed var(--line);
  border-radius: calc(var(--u) * 0.4); }
.wall-playbar { position: fixed; top: 0; left: 50%; transform: translateX(-50%); height: calc(var(--u) * 3.8);
  z-index: 1001; display: flex; align-items: center; }
.st-key-wall-stage { flex: none !important; min-height: 0; height: calc(100vh - var(--u) * 17.4) !important;
  overflow: hidden; }
.st-key-wall-stage [data-testid="stHorizontalBlock"] { height: 100%; }
.st-key-wall-stage [data-testid="stColumn"] > div { height: 100%; }
.st-key-wall-box-map, .st-key-wall-box-map_big { height: 100%; }
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
.wall-list { width: 100%; border-collapse: collapse; font-size: calc(var(--u) * 1.05); table-layout: fixed; }
.wall-list td { padding: calc(var(--u) * 0.28) calc(var(--u) * 0.3); border-bottom: 1px solid var(--line);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-list td.t { width: calc(var(--u) * 3.6); } .wall-list td.n { width: calc(var(--u) * 2.6); }
.wall-list td.s { width: calc(var(--u) * 5.6); }
.wall-list td.t { color: var(--muted); font-variant-numeric: tabular-nums; }
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
  white-space: nowrap; font-size: calc(var(--u) * 1.2); will-change: transform;
  animation: wall-marquee var(--dur, 60s) linear infinite; }
.wall-ticker-copy { display: flex; gap: calc(var(--u) * 3); padding-right: calc(var(--u) * 3); }
.wall-ticker-still { height: 100%; display: flex; align-items: center; padding-left: calc(var(--u) * 1.2);
  font-size: calc(var(--u) * 1.2); }
.wall-ticker-move .spike { color: var(--warn); } .wall-ticker-move .overdue { color: #ffb3c1; }
@keyframes wall-marquee { from { transform: translateX(0); } to { transform: translateX(-50%); } }
</style>
"""


def css() -> str:
    """The wall's stylesheet (a <style> element)."""
    out = CSS
    for key, value in (("GOOD", GOOD), ("BAD", BAD), ("WARN", WARN), ("ACCENT", ACCENT), ("FONT", FONT)):
        out = out.replace(f"@{key}@", value)
    return out


def clock_script() -> str:
    """A script ticking every ``.wall-clock-*`` element each second in Shanghai time (no server round trip),
    and reporting the screen's scale in the ``SCALE_COOKIE`` cookie (see ``wall.scale``)."""
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
  // charts are drawn server-side for 1920x1080 x scale: report the scale, reload once if it changed
  function report() {
    var z = Math.min(innerWidth / 1920, innerHeight / 1080);
    z = Math.max(0.5, Math.min(4, Math.round(z * 100) / 100));
    var m = document.cookie.match(/(?:^|;\\s*)@COOKIE@=([0-9.]+)/);
    document.cookie = '@COOKIE@=' + z + '; path=/; max-age=31536000; SameSite=Lax';
    if (Math.abs((m ? parseFloat(m[1]) : 1) - z) < 0.005) return;  // the server assumes 1 without a cookie
    var last = parseFloat(sessionStorage.getItem('@COOKIE@_reload') || '0');
    if (Date.now() - last > 20000) {  // never loop: at most one reload per 20 s
      sessionStorage.setItem('@COOKIE@_reload', String(Date.now()));
      location.reload();
    }
  }
  report();
  var timer = null;
  addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(report, 1500); });
})();
</script>""".replace("@COOKIE@", SCALE_COOKIE)


def header_html(*, lang: str, now: datetime, data_time: datetime | None, stale: bool, period: str,
                synthetic: bool = False) -> str:
    """The fixed top bar: title, period, playlist position, "data as of" and the clock (server time until JS ticks)."""
    loc = t("clock_locale", lang)
    date_text = t("wall_date", lang).format(now=now, weekday=t(WEEKDAYS[now.weekday()], lang))
    as_of = f"{data_time:%Y-%m-%d %H:%M}" if data_time is not None else label("no_data", lang)
    stale_note = f" · {label('wall_stale', lang)}" if stale else ""
    badge = f'<span class="wall-badge">{html.escape(label("wall_demo_badge", lang))}</span>' if synthetic else ""
    return (f'<div class="wall wall-top"><div class="wall-left"><div><span class="wall-title">'
            f'{html.escape(label("wall_title", lang))}</span>{badge}</div>'
            f'<span class="wall-sub">{html.escape(period)}</span></div>'
            f'<div class="wall-right"><span class="wall-asof{" stale" if stale else ""}">'
            f'{html.escape(label("data_as_of", lang))} <b>{html.escape(as_of)}{html.escape(stale_note)}</b></span>'
            f'<span class="wall-clock-date" data-locale="{loc}">{html.escape(date_text)}</span>'
            f'<span class="wall-clock-time" data-locale="{loc}">{now:%H:%M:%S}</span></div></div>')


def playlist_html(panels: list[str], current: int) -> str:
    """The playlist position, drawn in the middle of the top bar."""
    return '<div class="wall-playlist">' + "".join(
        f'<span class="{"on" if i == current else ""}">{html.escape(p)}</span>'
        for i, p in enumerate(panels)) + "</div>"


def _tone(better: bool | None) -> str:
    return "wall-neutral" if better is None else ("wall-good" if better else "wall-bad")


def tiles_html(tiles: list[Tile], lang: str) -> str:
    """The headline indicator row: value, arrow and change against the previous period, target (met or not)."""
    cells = []
    for tl in tiles:
        state = "" if tl.met is None else (" met" if tl.met else " miss")
        change = "<span></span>"
        if tl.change:
            change = (f'<span class="{_tone(tl.better)}"><span class="wall-arrow">{tl.arrow}</span> '
                      f'{html.escape(tl.change)} <span class="wall-neutral">{html.escape(label("wall_vs_prev", lang))}'
                      "</span></span>")
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
    """The fixed bottom ticker: a seamless CSS marquee of escaped alert texts; "no data" when the query failed (None).

    The entries are repeated until one copy is wider than the screen, and two copies scroll by
    half their width per cycle, so the band is always full and loops without a jump.
    """
    if not items:
        text = label("no_data", lang) if items is None else label("wall_no_alerts", lang)
        tone = "wall-neutral" if items is None else "wall-good"
        return (f'<div class="wall wall-ticker"><div class="wall-ticker-label calm">'
                f'{html.escape(label("wall_alerts", lang))}</div><div class="wall-ticker-track">'
                f'<div class="wall-ticker-still {tone}">'
                f"{html.escape(text)}</div></div></div>")
    chars = sum(len(i["text"]) + 4 for i in items)
    reps = max(1, math.ceil(TICKER_SCREEN_CHARS / chars))
    one = "".join(f'<span class="{html.escape(i["kind"])}">● {html.escape(i["text"])}</span>' for i in items) * reps
    seconds = max(20, round(chars * reps * TICKER_SECONDS_PER_CHAR))
    alerts = html.escape(label("wall_alerts", lang))
    return (f'<div class="wall wall-ticker"><div class="wall-ticker-label">{alerts}</div>'
            f'<div class="wall-ticker-track"><div class="wall-ticker-move" style="--dur:{seconds}s">'
            f'<div class="wall-ticker-copy">{one}</div><div class="wall-ticker-copy" aria-hidden="true">{one}</div>'
            f"</div></div></div>")


def nodata_html(lang: str) -> str:
    return f'<div class="wall wall-nodata">{html.escape(label("no_data", lang))}</div>'


def title_html(text: str, note: str = "") -> str:
    """A panel title, with an optional muted note after it."""
    extra = f' <span class="wall-note">{html.escape(note)}</span>' if note else ""
    return f'<div class="wall wall-panel-title">{html.escape(text)}{extra}</div>'


# --- map ---

def map_legend_html(lang: str, recent: int) -> str:
    items = [(STATUS_RGB[0], label("wall_status_ok", lang)),
             (STATUS_RGB[1], label("wall_status_amber", lang, a=OVERDUE_AMBER, b=OVERDUE_RED - 1)),
             (STATUS_RGB[2], label("wall_status_red", lang, n=OVERDUE_RED))]
    parts = [f'<span><i style="background:rgb{c}"></i>{html.escape(text)}</span>' for c, text in items]
    parts.append(f'<span><i style="background:linear-gradient(90deg,#182c6e,#28aae6,#f0fcff)"></i>'
                 f'{html.escape(label("cases", lang))} · {DENSITY_DAYS}{label("wall_day_unit", lang)}</span>')
    new_cases = html.escape(label("wall_new_cases", lang))
    parts.append(f'<span><i style="background:#ffffff;border-radius:50%"></i>{new_cases}'
                 f' {LIVE_HOURS}h: <b>{recent:,}</b></span>')
    return '<div class="wall wall-legend">' + "".join(parts) + "</div>"


def wall_map(stats: pd.DataFrame, geoms: pd.DataFrame, bins: pd.DataFrame, recent: pd.DataFrame, *,
             lang: str = "zh", tile_url: str = "", size_px: tuple[int, int] = MAP_DESIGN_PX["overview"],
             scale: float = 1.0) -> pdk.Deck:
    """Streets/towns filled by status (overdue open cases), last-week case density, last-day cases as points,
    and the red towns labelled with their overdue count. Fits the district in ``size_px`` (1080p pixels)
    times ``scale``; line widths, points and labels scale too."""
    k = lambda v: v * scale  # noqa: E731
    shapes = maps.unit_shapes(geoms, tolerance_m=40.0).merge(stats, on="unit_id", how="left")
    status = shapes["status"].fillna(0).astype(int)
    fill = [list(STATUS_RGB[s]) + [70 if s == 2 else 26] for s in status]
    line = [list(STATUS_RGB[s]) + [235] for s in status]
    layers = [pdk.Layer("PolygonLayer", data=pd.DataFrame({"polygon": shapes["polygon"], "fill": fill, "line": line}),
                        id="towns", get_polygon="polygon", get_fill_color="fill", get_line_color="line",
                        line_width_min_pixels=k(2), stroked=True, filled=True, pickable=False)]
    if not bins.empty:
        top = float(np.quantile(bins["count"], 0.98)) if len(bins) > 10 else float(bins["count"].max())
        layers.append(pdk.Layer("GridCellLayer", data=pd.DataFrame({
            "lon": bins["lon"].round(5), "lat": bins["lat"].round(5),
            "fill": density_rgba(bins["count"].to_numpy(float), max(top, 1.0))}),
            id="density", get_position=["lon", "lat"], cell_size=DENSITY_CELL_M, get_fill_color="fill",
            extruded=False, pickable=False))
    if not recent.empty:
        layers.append(pdk.Layer("ScatterplotLayer", data=recent[["lon", "lat"]].round(5), id="recent",
                                get_position=["lon", "lat"], get_radius=90, radius_min_pixels=k(3),
                                radius_max_pixels=k(6), get_fill_color=[255, 255, 255, 240], stroked=True,
                                get_line_color=[11, 18, 32, 255], line_width_min_pixels=k(1), pickable=False))
    red = stats[stats["status"] >= 2].merge(geoms[["unit_id"]], on="unit_id")
    if not red.empty:
        centres = _label_points(shapes[shapes["unit_id"].isin(red["unit_id"])])
        text = red.merge(centres, on="unit_id")  # the count only: names would crowd the dense west
        text = pd.DataFrame({"lon": text["lon"], "lat": text["lat"], "text": text["overdue"].astype(str)})
        layers.append(pdk.Layer("TextLayer", data=text, id="labels", get_position=["lon", "lat"], get_text="text",
                                # pydeck reads bare strings as accessors: quote the literal ones
                                get_size=k(24), get_color=[255, 92, 122, 255], font_family="'sans-serif'",
                                character_set="'0123456789'", font_weight=800, outline_width=4,
                                outline_color=[11, 18, 32, 255], font_settings={"sdf": True}, pickable=False))
    view = maps.view_for_bbox(maps.shapes_bbox(shapes), width_px=round(k(size_px[0])),
                              height_px=round(k(size_px[1])), pad=0.03)
    view.controller = False
    return maps.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=maps.map_style(tile_url),
                     tooltip=False, views=[pdk.View("MapView", controller=False)])


def density_rgba(counts: np.ndarray, vmax: float) -> list[list[int]]:
    """Cool colours (deep blue → cyan → white) on a square-root scale, so status red/amber stays distinct."""
    x = np.sqrt(np.clip(counts / vmax, 0, 1))
    stops = np.linspace(0, 1, len(DENSITY_RAMP))
    rgb = np.column_stack([np.interp(x, stops, [c[i] for c in DENSITY_RAMP]) for i in range(3)]).round().astype(int)
    alpha = np.interp(x, [0, 1], [120, 230]).round().astype(int)
    return [[int(r), int(g), int(b), int(a)] for (r, g, b), a in zip(rgb, alpha, strict=True)]


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
        ok = html.escape(label("wall_status_ok", lang))
        return f'<div class="wall wall-card"><div class="wall-good">{ok}</div></div>'
    rows = "".join(
        f'<tr><td><span style="color:rgb{STATUS_RGB[int(r.status)]}">●</span> '
        f'{html.escape(town_name(r.name_zh, r.name_en, lang))}</td>'
        f'<td class="n">{int(r.overdue)}</td></tr>'
        for r in top.itertuples())
    lagging = html.escape(label("wall_lagging", lang))
    return (f'<div class="wall wall-card"><div class="wall-panel-title">{lagging}</div>'
            f'<table class="wall-list">{rows}</table></div>')


def latest_html(cases: pd.DataFrame, lang: str, *, status: bool = True,
                categories: dict[str, str] | None = None) -> str:
    """The newest cases: time, street/town, category (named by ``categories``, govdash.catalogue) and
    (``status``) status; escaped, ids in ``data-case``."""
    categories = categories or {}
    rows = "".join(
        f'<tr data-case="{html.escape(str(r.case_id))}"><td class="t">{pd.Timestamp(r.reported_at):%H:%M}</td>'
        f'<td>{html.escape(town_name(r.name_zh, r.name_en, lang))}</td>'
        f'<td class="c">{html.escape(categories.get(r.category, str(r.category)))}</td>'
        + (f'<td class="s">{html.escape(label(str(r.status), lang))}</td>' if status else "") + "</tr>"
        for r in cases.itertuples())
    return (f'<div class="wall wall-card wall-latest"><div class="wall-panel-title">'
            f'{html.escape(label("wall_latest", lang))}</div><table class="wall-list">{rows}</table></div>')


# --- trend ---

def _fig_style(fig: go.Figure, height: int, scale: float) -> go.Figure:
    """Dark, transparent, large type; every pixel size is the 1080p design size times ``scale``."""
    k = lambda v: round(v * scale)  # noqa: E731
    fig.update_layout(template="plotly_dark", height=k(height),
                      font={"family": FONT, "size": k(19), "color": "#e8eef7"},
                      margin={"l": k(70), "r": k(78), "t": k(14), "b": k(46)}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", showlegend=True,
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": k(19)}})
    fig.update_xaxes(gridcolor="#22324f", linecolor="#22324f", gridwidth=max(1, k(1)))
    fig.update_yaxes(gridcolor="#22324f", zeroline=False, gridwidth=max(1, k(1)))
    return fig


def trend_figure(df: pd.DataFrame, *, target: float | None, lang: str = "zh", height: int = 400,
                 scale: float = 1.0) -> go.Figure:
    """Weekly resolution and on-time rates (%, left) over cases collected (bars, right) with the target dashed.

    The running week has bars only: its cases are still being handled, so its rates are not comparable.
    ``height`` is in 1080p pixels; ``scale`` multiplies every pixel size.
    """
    k = lambda v: round(v * scale)  # noqa: E731
    fig = go.Figure()
    fig.add_trace(go.Bar(x=df["period"], y=df["collected"], name=label("wall_weekly_collected", lang), yaxis="y2",
                         marker_color="rgba(76,201,240,0.22)", hoverinfo="skip"))
    done = df[~df["partial"].to_numpy(bool)]
    for key, colour in (("resolution_rate", ACCENT), ("on_time_rate", "#c77dff")):
        fig.add_trace(go.Scatter(x=done["period"], y=done[key] * 100, name=label(key, lang), mode="lines+markers",
                                 line={"width": k(4), "color": colour}, marker={"size": k(9), "color": colour}))
    if target is not None:
        fig.add_hline(y=target * 100, line_dash="dash", line_color=WARN, line_width=k(2),
                      annotation_text=f"{label('wall_target', lang)} {target * 100:g}%", annotation_font_color=WARN,
                      annotation_font_size=k(19), annotation_position="top right")
    lo = np.nanmin(np.r_[done[["resolution_rate", "on_time_rate"]].to_numpy(float).ravel() * 100,
                        (target or 1) * 100])
    fig.update_layout(yaxis={"title": "%", "range": [max(0, math.floor(lo - 2)), 100.8]},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                              "tickmode": "auto", "nticks": 5, "tickformat": ",.0f"},
                      bargap=0.25)
    fig.update_xaxes(tickformat="%m-%d", dtick=7 * 86_400_000 * (2 if len(df) > 14 else 1))
    return _fig_style(fig, height, scale)


# --- coverage ---

def coverage_html(summary: dict, lang: str, *, target: float = 1.0, full: bool = True) -> str:
    """The 15-minute figure: share of residents covered (big), residents not covered, stations (``full``: residents)."""
    share = summary["share"]
    kv = [(label("wall_uncovered", lang), f'{summary["uncovered"]:,.0f}'),
          (label("wall_stations", lang), f'{summary["stations"]:,}')]
    if full:
        kv.append((label("residents", lang), f'{summary["residents"]:,.0f}'))
    return (f'<div class="wall wall-card"><div class="wall-panel-title">'
            f'{html.escape(label("wall_coverage_title", lang))}</div>'
            f'<div class="wall-big{" miss" if share < target else ""}">{share * 100:.1f}%</div>'
            + "".join(f'<div class="wall-kv">{html.escape(k)} <b>{v}</b></div>' for k, v in kv) + "</div>")


def coverage_figure(summary: dict, names: dict[str, str], *, lang: str = "zh", n: int = 12,
                    height: int = 250, scale: float = 1.0) -> go.Figure:
    """Streets/towns with the lowest 15-minute coverage, as horizontal bars (% of residents)."""
    by = summary["by_town"].sort_values("share").head(n)
    labels = [names.get(u, u) for u in by["unit_id"]]
    colours = [GOOD if v >= 0.95 else (WARN if v >= 0.8 else BAD) for v in by["share"]]
    fig = go.Figure(go.Bar(y=labels, x=by["share"] * 100, orientation="h", marker_color=colours,
                           text=[f"{v * 100:.0f}%" for v in by["share"]], textposition="outside",
                           cliponaxis=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 112], ticksuffix="%")
    fig = _fig_style(fig, height, scale)
    k = lambda v: round(v * scale)  # noqa: E731
    fig.update_layout(showlegend=False, margin={"l": k(8), "r": k(24), "t": k(8), "b": k(30)})
    return fig


