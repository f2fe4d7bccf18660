"""Wall-screen view builders: CSS, HTML header/tiles/ticker, plotly figures and the pydeck map (no streamlit)."""

from __future__ import annotations

import math
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk
import shapely
from markupsafe import Markup

from govdash import maps, render
from govdash.charts import FONT, plain_text
from govdash.i18n import WEEKDAYS, t
from govdash.mustreport import MustReport, hours_text, total_text
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
# map at 1920x1080, CSS px, with its 24 px legend below: one line under the big map, two under the overview's
# (tests/browser/test_wall.py: no text runs under the ticker)
MAP_DESIGN_PX = {"overview": (630, 550), "map": (860, 596)}
FIG_DESIGN_PX = {"overview_trend": 345, "trend": 660, "coverage": 660}  # figure heights at 1920x1080
TICKER_SCREEN_CHARS = 110  # characters of ticker text that fill a 16:9 screen, about
TICKER_SECONDS_PER_CHAR = 0.25  # scroll speed: about 5 --u per second on any screen


def css() -> Markup:
    """The wall's stylesheet (a <style> element, template ``wall_style.html``)."""
    return render.page("wall_style.html", good=GOOD, bad=BAD, warn=WARN, accent=ACCENT, font=FONT)


def clock_script(tz: str) -> Markup:
    """A script ticking every ``.wall-clock-*`` element each second in the district's zone ``tz`` (an IANA name;
    no server round trip), and reporting the screen's scale in the ``SCALE_COOKIE`` cookie (see ``wall.scale``)."""
    return render.page("wall_clock.html", cookie=SCALE_COOKIE, tz=tz)


_wall = partial(render.macro, "wall.html")  # one macro of the wall's template


def header_html(
    *,
    lang: str,
    now: datetime,
    data_time: datetime | None,
    stale: bool,
    period: str,
    synthetic: bool = False,
    district: str = "",
    notice: str = "",
) -> Markup:
    """The fixed top bar: title, period (and ``notice``: a link's unit names that could not be read), playlist
    position, "data as of" and the clock (server time until JS ticks)."""
    loc = t("clock_locale", lang)
    date_text = t("wall_date", lang).format(now=now, weekday=t(WEEKDAYS[now.weekday()], lang))
    as_of = f"{data_time:%Y-%m-%d %H:%M}" if data_time is not None else label("no_data", lang)
    stale_note = f" · {label('wall_stale', lang)}" if stale else ""
    title = label("wall_title", lang).format(name=district).strip(" ·")  # the district's name, none before init
    badge = label("wall_demo_badge", lang) if synthetic else ""
    return _wall(
        "header",
        title,
        badge,
        period,
        stale,
        label("data_as_of", lang),
        as_of,
        stale_note,
        loc,
        date_text,
        f"{now:%H:%M:%S}",
        notice,
    )


def playlist_html(panels: list[str], current: int) -> Markup:
    """The playlist position, drawn in the middle of the top bar (fixed there by its ``wall-playbar`` box)."""
    return _wall("playlist", panels, current)


def _tone(better: bool | None) -> str:
    return "wall-neutral" if better is None else ("wall-good" if better else "wall-bad")


def tiles_html(tiles: list[Tile], lang: str) -> Markup:
    """The headline indicator row: value, arrow and change against the previous period, target (met or not)."""
    cells = [
        {
            "state": "" if tl.met is None else (" met" if tl.met else " miss"),
            "key": tl.key,
            "label": tl.label,
            "value": tl.value,
            "change": tl.change,
            "tone": _tone(tl.better),
            "arrow": tl.arrow,
            "right": tl.target or tl.note,
            "mark": "" if tl.met is None else (" ✓" if tl.met else " ✗"),
            "right_class": "wall-neutral" if tl.met is None else ("wall-good" if tl.met else "wall-warn"),
            "caliber": tl.caliber,
        }
        for tl in tiles
    ]
    return _wall("tiles", cells, label("wall_vs_prev", lang))


def ticker_html(items: list[dict] | None, lang: str) -> Markup:
    """The fixed bottom ticker: a seamless CSS marquee of escaped alert texts; "no data" when the query failed (None).

    The entries are repeated until one copy is wider than the screen, and two copies scroll by
    half their width per cycle, so the band is always full and loops without a jump.
    """
    if not items:
        text = label("no_data", lang) if items is None else label("wall_no_alerts", lang)
        tone = "wall-neutral" if items is None else "wall-good"
        return _wall("ticker_still", label("wall_alerts", lang), tone, text)
    chars = sum(len(i["text"]) + 4 for i in items)
    reps = max(1, math.ceil(TICKER_SCREEN_CHARS / chars))
    seconds = max(20, round(chars * reps * TICKER_SECONDS_PER_CHAR))
    return _wall("ticker", label("wall_alerts", lang), items, reps, seconds)


def nodata_html(lang: str) -> Markup:
    return _wall("nodata", label("no_data", lang))


def title_html(text: str, note: str = "") -> Markup:
    """A panel title, with an optional muted note after it."""
    return _wall("title", text, note)


# --- map ---


def map_legend_html(lang: str, recent: int) -> Markup:
    items = [
        (STATUS_RGB[0], label("wall_status_ok", lang)),
        (STATUS_RGB[1], label("wall_status_amber", lang, a=OVERDUE_AMBER, b=OVERDUE_RED - 1)),
        (STATUS_RGB[2], label("wall_status_red", lang, n=OVERDUE_RED)),
    ]
    return _wall(
        "map_legend",
        [(f"rgb{c}", text) for c, text in items],
        label("cases", lang),
        f"{DENSITY_DAYS}{label('wall_day_unit', lang)}",
        label("wall_new_cases", lang),
        LIVE_HOURS,
        f"{recent:,}",
    )


def wall_map(
    stats: pd.DataFrame,
    geoms: pd.DataFrame,
    bins: pd.DataFrame,
    recent: pd.DataFrame,
    *,
    lang: str = "zh",
    tile_url: str = "",
    size_px: tuple[int, int] = MAP_DESIGN_PX["overview"],
    scale: float = 1.0,
    cell_m: float = DENSITY_CELL_M,
) -> pdk.Deck:
    """Streets/towns filled by status (overdue open cases), last-week case density, last-day cases as points,
    and every town named (the red ones with their overdue count). Fits the district in ``size_px`` (1080p pixels)
    times ``scale``; line widths, points and labels scale too."""
    k = lambda v: v * scale  # noqa: E731
    shapes = maps.unit_shapes(geoms, tolerance_m=40.0).merge(stats, on="unit_id", how="left")
    status = shapes["status"].fillna(0).astype(int)
    fill = [list(STATUS_RGB[s]) + [70 if s == 2 else 26] for s in status]
    line = [list(STATUS_RGB[s]) + [235] for s in status]
    layers = [
        pdk.Layer(
            "PolygonLayer",
            data=pd.DataFrame({"polygon": shapes["polygon"], "fill": fill, "line": line}),
            id="towns",
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color="line",
            line_width_min_pixels=k(2),
            stroked=True,
            filled=True,
            pickable=False,
        )
    ]
    if not bins.empty:
        top = float(np.quantile(bins["count"], 0.98)) if len(bins) > 10 else float(bins["count"].max())
        layers += density_layers(bins, max(top, 1.0), cell_m)
    if not recent.empty:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=pd.DataFrame({"p": _positions(recent)}),
                id="recent",
                get_position="p",
                get_radius=90,
                radius_min_pixels=k(3),
                radius_max_pixels=k(6),
                get_fill_color=[255, 255, 255, 240],
                stroked=True,
                get_line_color=[11, 18, 32, 255],
                line_width_min_pixels=k(1),
                pickable=False,
            )
        )
    view = maps.view_for_bbox(
        maps.shapes_bbox(shapes), width_px=round(k(size_px[0])), height_px=round(k(size_px[1])), pad=0.03
    )
    view.controller = False
    layers += town_labels(stats, shapes, view, size_px, scale)
    return maps.Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        map_style=maps.map_style(tile_url),
        tooltip=False,
        views=[pdk.View("MapView", controller=False)],
    )


DENSITY_STEPS = 12  # colour steps of the wall's density: one layer each, so no cell carries its own colour


def _positions(df: pd.DataFrame) -> list[list[float]]:
    """[lon, lat] per row to 4 decimals (~10 m: a tenth of the smallest cell or point drawn on the wall), the
    shortest JSON pydeck sends for a position."""
    return np.column_stack([df["lon"].round(4), df["lat"].round(4)]).tolist()


def density_layers(bins: pd.DataFrame, vmax: float, cell_m: float) -> list[pdk.Layer]:
    """The density cells (south-west corners ``lon``/``lat``, ``count``) as one GridCellLayer per colour step of
    ``density_rgba``, each cell drawn in its step's colour.

    Why: a colour per cell and named columns per row cost ~65 bytes a cell (255 KB for the district's 4,000 cells
    at 10 M cases, the wall's largest payload); a position pair per cell costs ~24."""
    x = np.sqrt(np.clip(bins["count"].to_numpy(float) / vmax, 0, 1))
    step = np.rint(x * (DENSITY_STEPS - 1)).astype(int)
    colours = density_rgba((np.arange(DENSITY_STEPS) / (DENSITY_STEPS - 1)) ** 2 * vmax, vmax)
    pos = _positions(bins)
    return [
        pdk.Layer(
            "GridCellLayer",
            data=pd.DataFrame({"p": [pos[i] for i in np.flatnonzero(step == k)]}),
            id=f"density_{k}",
            get_position="p",
            cell_size=cell_m,  # the bins' own edge (wall.map_data: finer for a 居村)
            get_fill_color=colours[k],
            extruded=False,
            pickable=False,
        )
        for k in np.unique(step)
    ]


def density_rgba(counts: np.ndarray, vmax: float) -> list[list[int]]:
    """Cool colours (deep blue → cyan → white) on a square-root scale, so status red/amber stays distinct."""
    x = np.sqrt(np.clip(counts / vmax, 0, 1))
    stops = np.linspace(0, 1, len(DENSITY_RAMP))
    rgb = np.column_stack([np.interp(x, stops, [c[i] for c in DENSITY_RAMP]) for i in range(3)]).round().astype(int)
    alpha = np.interp(x, [0, 1], [120, 230]).round().astype(int)
    return [[int(r), int(g), int(b), int(a)] for (r, g, b), a in zip(rgb, alpha, strict=True)]


def _label_points(shapes: pd.DataFrame) -> pd.DataFrame:
    """A label point per unit, inside its largest part (``point_on_surface``), and that part's area (square
    degrees: only to place the larger units' labels first)."""
    rows = []
    for uid, grp in shapes.groupby("unit_id"):
        part = max((shapely.Polygon(p[0], p[1:]) for p in grp["polygon"]), key=lambda g: g.area)
        at = part.point_on_surface()
        rows.append((uid, at.x, at.y, part.area))
    return pd.DataFrame(rows, columns=["unit_id", "lon", "lat", "area_km2"])


LABEL_PX = 24  # the wall map's town names at 1080p: legible from 5 m like every other text of the wall


def town_labels(
    stats: pd.DataFrame, shapes: pd.DataFrame, view: pdk.ViewState, size_px: tuple[int, int], scale: float = 1.0
) -> list[pdk.Layer]:
    """Every street/town named on the wall map at ``LABEL_PX`` (times ``scale``), the red ones with their
    超期在办（全部） count; a crowded name moves to free space in the view on a leader line (``maps._label_layers``)."""
    points = _label_points(shapes)
    named = stats.merge(points, on="unit_id")
    if named.empty:
        return []
    count = np.where(named["status"] >= 2, " " + named["overdue"].astype(str), "")
    named = named.assign(name_zh=[maps.short_name(n) + c for n, c in zip(named["name_zh"], count, strict=True)])
    cx, cy = maps._merc_px(np.array([view.longitude]), np.array([view.latitude]), view.zoom)
    w, h = size_px[0] * scale / 2, size_px[1] * scale / 2
    return maps._label_layers(
        named,
        None,
        view.zoom,
        round(LABEL_PX * scale),
        name_all=True,
        reach_px=200 * scale,
        frame=(cx[0] - w, cy[0] - h, cx[0] + w, cy[0] + h),
    )


def lagging_html(stats: pd.DataFrame, lang: str, n: int = 10) -> Markup:
    """The streets/towns with most overdue open cases, as a list with status dots."""
    top = stats[stats["overdue"] > 0].sort_values(["overdue", "unit_id"], ascending=[False, True]).head(n)
    if top.empty:
        return _wall("all_well", label("wall_status_ok", lang))
    rows = [
        {
            "colour": f"rgb{STATUS_RGB[int(r.status)]}",
            "name": town_name(r.name_zh, r.name_en, lang),
            "overdue": int(r.overdue),
        }
        for r in top.itertuples()
    ]
    return _wall("lagging", label("wall_lagging", lang), rows)


def must_report_html(mr: MustReport, lang: str, n_towns: int = 8) -> Markup:
    """八必报 (``mustreport.MustReport``): every item with its count and median times from discovery, the
    streets/towns with most items, one line of totals and the 口径; its own large type (≥ 24 px at 1080p)."""
    title = label("wall_mr_items", lang)
    if mr.empty:
        return _wall("must_report_none", title, label("wall_mr_none", lang))
    rows = [
        {
            "name": r.name,
            "cases": int(r.cases),
            "report": hours_text(r.report_hours, lang),
            "response": hours_text(r.response_hours, lang),
        }
        for r in mr.items.itertuples()
    ]
    towns = [{"name": r.name, "cases": int(r.cases)} for r in mr.towns.head(n_towns).itertuples()]
    head = [label(k, lang) for k in ("mr_item", "mr_cases", "mr_report_hours", "mr_response_hours")]
    total = total_text(mr, lang)
    return _wall(
        "must_report", title, head, rows, label("wall_mr_towns", lang), towns, total, label("mr_caliber", lang)
    )


def latest_html(
    cases: pd.DataFrame, lang: str, *, status: bool = True, categories: dict[str, str] | None = None
) -> Markup:
    """The newest cases: time, street/town, category and (``status``) status; escaped, ids in ``data-case``."""
    categories = categories or {}
    rows = [
        {
            "case_id": str(r.case_id),
            "time": f"{pd.Timestamp(r.reported_at):%H:%M}",
            "town": town_name(r.name_zh, r.name_en, lang),
            "category": categories.get(r.category, str(r.category)),
            "status": label(str(r.status), lang) if status else "",
        }
        for r in cases.itertuples()
    ]
    return _wall("latest", label("wall_latest", lang), rows, status)


# --- trend ---


def _fig_style(fig: go.Figure, height: int, scale: float) -> go.Figure:
    """Dark, transparent, large type; every pixel size is the 1080p design size times ``scale``."""
    k = lambda v: round(v * scale)  # noqa: E731
    fig.update_layout(
        template="plotly_dark",
        height=k(height),
        font={"family": FONT, "size": k(24), "color": "#e8eef7"},
        margin={"l": k(70), "r": k(78), "t": k(14), "b": k(46)},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": k(24)}},
    )
    fig.update_xaxes(gridcolor="#22324f", linecolor="#22324f", gridwidth=max(1, k(1)))
    fig.update_yaxes(gridcolor="#22324f", zeroline=False, gridwidth=max(1, k(1)))
    return plain_text(fig)  # street/town names draw as typed, never as links


def trend_figure(
    df: pd.DataFrame, *, target: float | None, lang: str = "zh", height: int = 400, scale: float = 1.0
) -> go.Figure:
    """Weekly resolution and on-time rates (%, left) over cases collected (bars, right) with the target dashed.

    The running week has bars only: its cases are still being handled, so its rates are not comparable.
    ``height`` is in 1080p pixels; ``scale`` multiplies every pixel size.
    """
    k = lambda v: round(v * scale)  # noqa: E731
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=df["period"],
            y=df["collected"],
            name=label("wall_weekly_collected", lang),
            yaxis="y2",
            marker_color="rgba(76,201,240,0.22)",
            hoverinfo="skip",
        )
    )
    done = df[~df["partial"].to_numpy(bool)]
    for key, colour in (("resolution_rate", ACCENT), ("on_time_rate", "#c77dff")):
        fig.add_trace(
            go.Scatter(
                x=done["period"],
                y=done[key] * 100,
                name=label(key, lang),
                mode="lines+markers",
                line={"width": k(4), "color": colour},
                marker={"size": k(9), "color": colour},
            )
        )
    if target is not None:
        fig.add_hline(
            y=target * 100,
            line_dash="dash",
            line_color=WARN,
            line_width=k(2),
            annotation_text=f"{label('wall_target', lang)} {target * 100:g}%",
            annotation_font_color=WARN,
            annotation_font_size=k(24),
            annotation_position="top right",
        )
    lo = np.nanmin(np.r_[done[["resolution_rate", "on_time_rate"]].to_numpy(float).ravel() * 100, (target or 1) * 100])
    fig.update_layout(
        yaxis={"title": "%", "range": [max(0, math.floor(lo - 2)), 100.8]},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickmode": "auto",
            "nticks": 5,
            "tickformat": ",.0f",
        },
        bargap=0.25,
    )
    fig.update_xaxes(tickformat="%m-%d", dtick=7 * 86_400_000 * (2 if len(df) > 14 else 1))
    return _fig_style(fig, height, scale)


# --- coverage ---


def coverage_html(summary: dict, lang: str, *, target: float = 1.0, full: bool = True) -> Markup:
    """The 15-minute figure: share of residents covered (big), residents not covered, doorstep stations and
    street/town centres named apart (``full``: residents)."""
    share = summary["share"]
    kv = [
        (label("wall_uncovered", lang), f"{summary['uncovered']:,.0f}"),
        (label("wall_doorstep", lang), f"{summary['doorstep']:,}"),
        (label("wall_centres", lang), f"{summary['centre']:,}"),
    ]
    if full:
        kv.append((label("residents", lang), f"{summary['residents']:,.0f}"))
    return _wall("coverage", label("wall_coverage_title", lang), f"{share * 100:.1f}%", share < target, kv)


def coverage_figure(
    summary: dict, names: dict[str, str], *, lang: str = "zh", n: int = 12, height: int = 250, scale: float = 1.0
) -> go.Figure:
    """Streets/towns with the lowest 15-minute coverage, as horizontal bars (% of residents)."""
    by = summary.get("by_unit", summary["by_town"]).sort_values("share").head(n)
    labels = [names.get(u, u) for u in by["unit_id"]]
    colours = [GOOD if v >= 0.95 else (WARN if v >= 0.8 else BAD) for v in by["share"]]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=by["share"] * 100,
            orientation="h",
            marker_color=colours,
            text=[f"{v * 100:.0f}%" for v in by["share"]],
            textposition="outside",
            cliponaxis=False,
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 112], ticksuffix="%")
    fig = _fig_style(fig, height, scale)
    k = lambda v: round(v * scale)  # noqa: E731
    fig.update_layout(showlegend=False, margin={"l": k(8), "r": k(24), "t": k(8), "b": k(30)})
    return fig
