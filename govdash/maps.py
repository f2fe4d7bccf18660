"""pydeck map builders: unit choropleths, stations, case density and hot spots. No basemap unless a tile URL is set."""

from __future__ import annotations

import json
import math
import urllib.parse

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from markupsafe import Markup
from pydeck.bindings.json_tools import default_serialize

from govdash import indicators, render
from govdash.i18n import t

# the indicators a unit map can show (of the registry in govdash.indicators), in the picker's order
MAP_INDICATORS = (
    "collected",
    "cases_per_1000",
    "resolution_rate",
    "on_time_rate",
    "overdue",
    "median_hours",
    "recognition_rate",
    "satisfaction",
)
# grid work (govdash.queries_grid): offered once a district has recorded patrols
GRID_INDICATORS = indicators.GRID_KEYS
# indicators needing exact quantiles per unit, computed only while one of them is shown: they are half
# the cost of queries.unit_stats, and the tooltips and ranking show them only for the chosen indicator
QUANTILE_INDICATORS = frozenset({"median_hours"})
# the count each rate or median is taken over; below MIN_BASE cases a unit is coloured and ranked as "no data"
# (one late case out of one is 0 %, not a finding)
BASES = {
    "resolution_rate": "collected",
    "on_time_rate": "closed",
    "recognition_rate": "resolved",
    "median_hours": "closed",
    "patrol_found_rate": "collected",
}
MIN_BASE = 5
# colour ramps (RGB) for a dark wall screen: more = brighter; below target red, above blue
SEQUENTIAL = [(75, 40, 130), (140, 40, 125), (210, 65, 80), (245, 140, 40), (252, 235, 120)]
DIVERGING = [(215, 40, 40), (240, 140, 110), (225, 225, 225), (120, 175, 220), (30, 100, 190)]
NO_DATA = (70, 74, 84)
LAYER_UNITS = "units"
LAYER_STATIONS = "stations"
LAYER_CASES = "cases"
LAYER_REPEATS = "repeats"
# simplification tolerance per level in metres: below a pixel at the zoom each level is seen at
SIMPLIFY_M = {"town": 40.0, "community": 15.0, "grid": 8.0}
POINTS_MAX = 5_000  # cases drawn one by one at most (a bound on the deck's size)
LABEL_MAX = 60  # units named on the map (the 36 streets/towns; not 1,300 communities)
_M_PER_DEG = 111_000.0  # metres per degree of latitude; tolerances are "metres-ish" in degrees
_BAR = "height:14px;border-radius:3px;margin:4px 0;"
_NO_BASEMAP = "__MAP_STYLE__"  # pydeck's sentinel: Streamlit then loads no basemap style at all


def _ramp(values: np.ndarray, stops: list[tuple[int, int, int]]) -> np.ndarray:
    """Linear interpolation of 0-1 ``values`` along colour ``stops`` → (n, 3) uint8."""
    v = np.clip(np.nan_to_num(values, nan=0.0), 0, 1) * (len(stops) - 1)
    lo = np.floor(v).astype(int).clip(0, len(stops) - 2)
    frac = (v - lo)[:, None]
    a = np.array(stops, float)[lo]
    b = np.array(stops, float)[lo + 1]
    return (a + (b - a) * frac).round().astype(np.uint8)


def _scaled(x: np.ndarray, lo: float, hi: float, target: float | None) -> np.ndarray:
    """Map values to 0-1: linear lo→hi, or 0.5 at the target with each side stretched to its extreme."""
    if target is None:
        return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    below, above = max(target - lo, 1e-12), max(hi - target, 1e-12)
    return np.where(x < target, 0.5 - 0.5 * (target - x) / below, 0.5 + 0.5 * (x - target) / above)


def color_scale(values: pd.Series, indicator: str, target: float | None = None) -> tuple[np.ndarray, dict]:
    """Colours for ``values`` and a legend description.

    Indicators with a target use a diverging scale centred on the target (red below, blue above,
    each side stretched to the furthest unit); counts and times a sequential scale where brighter
    means more. The legend holds ``kind``, ``min``, ``max``, ``mid`` (the target or None) and
    ``stops``: (position 0-1 along the bar, RGB) sampled over the data range.
    """
    x = values.to_numpy(float)
    finite = x[np.isfinite(x)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    diverging = target is not None
    mid = float(target) if diverging else None
    stops = DIVERGING if diverging else SEQUENTIAL
    colours = _ramp(_scaled(x, lo, hi, mid), stops)
    colours[~np.isfinite(x)] = NO_DATA
    probe = np.linspace(lo, hi, 21) if hi > lo else np.array([lo, lo + 1e-12])
    if mid is not None and lo < mid < hi:
        probe = np.sort(np.append(probe, mid))
    bar = _ramp(_scaled(probe, lo, hi, mid), stops)
    pos = (probe - probe[0]) / (probe[-1] - probe[0])
    legend = {
        "kind": "diverging" if diverging else "sequential",
        "min": lo,
        "max": hi,
        "mid": mid,
        "stops": [(float(p), tuple(int(c) for c in rgb)) for p, rgb in zip(pos, bar, strict=True)],
    }
    return colours, legend


def map_indicators(patrols: bool) -> tuple[str, ...]:
    """The indicators the map offers: the case indicators, and the grid work's when patrols are recorded."""
    return MAP_INDICATORS + (GRID_INDICATORS if patrols else ())


def map_target(indicator: str, s) -> float | None:
    """The target a map centres its diverging scale on (settings ``s``): only for higher-is-better indicators,
    as the scale is red below the target and blue above; others are drawn on the sequential scale."""
    return indicators.target(indicator, s) if indicators.INDICATORS[indicator].direction == "up" else None


def shown_values(stats: pd.DataFrame, indicator: str) -> pd.Series:
    """The indicator as coloured and ranked: NaN where it rests on fewer than ``MIN_BASE`` cases."""
    values = stats[indicator].astype(float)
    base = BASES.get(indicator)
    if base is None or base not in stats:
        return values
    return values.where(stats[base].fillna(0) >= MIN_BASE)


def _rgb(c) -> str:
    return f"rgb({int(c[0])},{int(c[1])},{int(c[2])})"


def legend_html(legend: dict, indicator: str, *, lang: str = "zh", title: str | None = None) -> Markup:
    """A colour bar with its numbers and units as a small HTML block (for ``st.html``)."""
    fmt = lambda v: indicators.fmt(v, indicator)  # noqa: E731
    name = title or f"{t(indicator, lang)} ({indicators.INDICATORS[indicator].unit_label(lang)})"
    grad = ", ".join(f"{_rgb(c)} {p * 100:.1f}%" for p, c in legend["stops"])
    ticks = [(0.0, fmt(legend["min"])), (1.0, fmt(legend["max"]))]
    note = ""
    mid, lo, hi = legend.get("mid"), legend["min"], legend["max"]
    marker = None
    if mid is not None:
        word = t("legend_target", lang)
        if lo < mid < hi:
            at = (mid - lo) / (hi - lo)
            marker = f"{at * 100:.1f}"
            if 0.15 < at < 0.85:  # else it would sit on the end labels; the note below names the target
                ticks.append((at, f"▲ {word} {fmt(mid)}"))
        side = t("legend_all_below", lang) if hi <= mid else (t("legend_all_above", lang) if lo >= mid else "")
        note = t("legend_target_line", lang).format(target=fmt(mid)) + (f" · {side}" if side else "")
    else:
        note = t("legend_brighter", lang)
    if indicator in BASES:
        note += " · " + t("legend_min_base", lang).format(n=MIN_BASE)
    nd = t("legend_no_data", lang)
    return render.macro(
        "maps.html", "legend", name, _BAR, grad, marker, _bar_ticks(ticks, nowrap=True), note, _rgb(NO_DATA), nd
    )


def _bar_ticks(ticks: list[tuple[float, str]], *, nowrap: bool = False) -> list[dict]:
    """Labels under a colour bar at shares ``p`` of its width, centred there (the ends flush with the bar)."""
    return [{"left": f"{p * 100:.1f}", "shift": f"{p * 100:.0f}", "text": text, "nowrap": nowrap} for p, text in ticks]


def swatches_html(items: list[tuple[tuple[int, int, int], str]]) -> Markup:
    """A one-line legend of coloured squares and (escaped) labels."""
    return render.macro("maps.html", "swatches", [{"colour": _rgb(c), "label": label} for c, label in items])


def unit_shapes(geoms: pd.DataFrame, *, tolerance_m: float = 0.0, decimals: int = 5) -> pd.DataFrame:
    """WKB polygons (WGS-84) → lean deck.gl rings: simplified by ``tolerance_m`` metres, rounded.

    Returns ``unit_id`` and ``polygon`` (outer ring then holes, lon/lat lists), one row per part
    of a multi-part unit; 5 decimals are about 1 m. Neighbours are simplified independently, so
    shared borders may part by up to ``tolerance_m``: keep it below a pixel at the zoom used.
    """
    shapes = shapely.from_wkb([bytes(b) for b in geoms["geom"]])
    if tolerance_m > 0:
        shapes = shapely.simplify(shapes, tolerance_m / _M_PER_DEG, preserve_topology=True)
    ids, rings = [], []
    for uid, geom in zip(geoms["unit_id"], shapes, strict=True):
        for part in shapely.get_parts(geom):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            ring = [np.round(np.asarray(part.exterior.coords)[:, :2], decimals).tolist()]
            ring += [np.round(np.asarray(h.coords)[:, :2], decimals).tolist() for h in part.interiors]
            ids.append(uid)
            rings.append(ring)
    return pd.DataFrame({"unit_id": ids, "polygon": rings})


def shapes_bbox(shapes: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """(lon0, lat0, lon1, lat1) of ``unit_shapes`` output; None when empty."""
    if shapes.empty:
        return None
    pts = np.concatenate([np.asarray(p[0]) for p in shapes["polygon"]])
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def polygons_lonlat(wkb: pd.Series) -> list[list]:
    """WKB polygons → deck.gl outer rings (largest part), coordinates rounded to ~1 m."""
    out = []
    for geom in shapely.from_wkb([bytes(b) for b in wkb]):
        largest = max(shapely.get_parts(geom), key=lambda g: g.area)
        out.append(np.round(np.asarray(largest.exterior.coords)[:, :2], 5).tolist())
    return out


def view_for_bbox(
    bbox: tuple[float, float, float, float] | None, *, width_px: int = 900, height_px: int = 640, pad: float = 0.06
) -> pdk.ViewState:
    """A web-Mercator view showing ``bbox`` (WGS-84) in a map of ``width_px`` x ``height_px`` pixels."""
    if bbox is None:
        return pdk.ViewState(longitude=121.65, latitude=31.12, zoom=9.2)
    x0, y0, x1, y1 = bbox
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)  # noqa: E731
    span_x = max((x1 - x0) / 360, 1e-6) * (1 + 2 * pad)
    span_y = max(merc(y1) - merc(y0), 1e-6) * (1 + 2 * pad)
    zoom = math.log2(min(width_px / (512 * span_x), height_px / (512 * span_y)))
    lat_c = math.degrees(2 * math.atan(math.exp((merc(y0) + merc(y1)) * math.pi)) - math.pi / 2)
    return pdk.ViewState(longitude=(x0 + x1) / 2, latitude=lat_c, zoom=round(min(max(zoom, 7.0), 17.0), 2))


def view_for(lon: pd.Series, lat: pd.Series, width_px: int = 1200) -> pdk.ViewState:
    """A view fitting the given points."""
    if len(lon) == 0:
        return view_for_bbox(None)
    return view_for_bbox((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())), width_px=width_px)


def map_style(tile_url: str) -> str:
    """The basemap: a MapLibre raster style over an (intranet) XYZ ``tile_url``, or none at all.

    Streamlit draws ``mapStyle`` with MapLibre. A deck.gl TileLayer cannot draw raster tiles
    from JSON (its bitmap sub-layer needs a JS function), so the tiles go into an inline style.
    """
    if not tile_url:
        return _NO_BASEMAP
    style = {
        "version": 8,
        "sources": {"tiles": {"type": "raster", "tiles": [tile_url], "tileSize": 256}},
        "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
    }
    return "data:application/json;charset=utf-8," + urllib.parse.quote(json.dumps(style, separators=(",", ":")))


def base_layers(tile_url: str) -> list[pdk.Layer]:
    """Layers under the data: none; a tile URL becomes the map style (see :func:`map_style`)."""
    return []


class Deck(pdk.Deck):
    """A pydeck Deck with compact JSON: no indentation, UTF-8 text (a third of pydeck's size).

    ``<``, ``>`` and ``&`` are written as JSON escapes, so the spec stays inert wherever it is
    embedded (a ``<script>`` in an HTML export) and decodes to the same text in the browser.
    """

    def to_json(self) -> str:
        text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class FrozenDeck:
    """A deck reduced to what ``st.pydeck_chart`` reads: its JSON spec and its tooltip.

    Kept in a cache (``ui.deck``), it is built once per view and sent byte for byte the same on every
    rerun, which also lets the browser reuse the element it already holds instead of receiving it again.
    """

    layers = None  # nothing left for Streamlit to convert

    def __init__(self, deck: pdk.Deck):
        self.spec = deck.to_json()
        self._tooltip = getattr(deck, "_tooltip", None)

    def to_json(self) -> str:
        return self.spec


def _deck(layers: list[pdk.Layer], view: pdk.ViewState, tooltip: dict | None, tile_url: str) -> pdk.Deck:
    return Deck(
        layers=layers, initial_view_state=view, map_provider=None, map_style=map_style(tile_url), tooltip=tooltip
    )


def _tooltip(text: str) -> dict:
    # text, not html: deck.gl inserts it with innerText, so no case text is ever parsed as HTML
    return {
        "text": text,
        "style": {
            "fontSize": "16px",
            "backgroundColor": "#16213a",
            "color": "#e8eef7",
            "whiteSpace": "pre-line",
            "maxWidth": "420px",
        },
    }


def _text(values: pd.Series, limit: int = 160) -> pd.Series:
    """Plain text for a tooltip field: missing → "", long text cut with an ellipsis."""
    s = values.astype("string").fillna("")
    return s.where(s.str.len() <= limit, s.str.slice(0, limit - 1) + "…")


FILL_ALPHA_OVER_BASE = 140  # the units' fill over a basemap: roads and water show through, colours still read


def choropleth(
    stats: pd.DataFrame,
    geoms: pd.DataFrame,
    indicator: str,
    *,
    lang: str = "zh",
    target: float | None = None,
    stations: pd.DataFrame | None = None,
    tile_url: str = "",
    selected: str | None = None,
    width_px: int = 900,
    height_px: int = 640,
    name_all: bool = False,
    base: list[pdk.Layer] | None = None,
) -> tuple[pdk.Deck, dict]:
    """A choropleth of units coloured by ``indicator`` with tooltips; returns the deck and its legend.

    ``geoms`` is ``unit_shapes`` output (``unit_id``, ``polygon``) or raw ``unit_id``, ``geom`` WKB.
    Picked objects carry ``unit_id``, ``town_id`` and ``parent_id`` for drill-down. ``name_all`` labels
    every unit (the district's streets/towns), moving crowded labels aside on a leader line. ``base``: layers drawn
    under the units (``basemap.layers``: roads and water), the units' fill then lighter so they show through.
    """
    shapes = geoms if "polygon" in geoms else unit_shapes(geoms)
    df = shapes.astype({"unit_id": object}).merge(stats, on="unit_id", how="left")  # object: none drawn yet
    colours, legend = color_scale(shown_values(df, indicator), indicator, target)
    sel = (df["unit_id"] == selected).to_numpy()
    name = df["name_zh"].astype("string").fillna(df["unit_id"])
    lines = [(t(indicator, lang), indicator)] + [
        (t(k, lang), k)
        for k in ("collected", "cases_per_1000", "resolution_rate", "on_time_rate", "overdue", "satisfaction")
        if k != indicator
    ]
    figures = {key: [indicators.fmt(v, key) for v in df[key]] for _, key in lines}
    tip = [f"{n}\n" + "\n".join(f"{label}: {figures[key][i]}" for label, key in lines) for i, n in enumerate(name)]
    data = pd.DataFrame(
        {
            "unit_id": df["unit_id"],
            "town_id": df["town_id"] if "town_id" in df else None,
            "parent_id": df["parent_id"] if "parent_id" in df else None,
            "polygon": df["polygon"],
            "fill": [[int(c[0]), int(c[1]), int(c[2]), FILL_ALPHA_OVER_BASE if base else 215] for c in colours],
            "tip": tip,
        }
    )
    # the selected unit gets its own thick outline layer, drawn over its neighbours' borders
    layers = list(base or []) + [
        pdk.Layer(
            "PolygonLayer",
            data=data,
            id=LAYER_UNITS,
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color=[15, 20, 35, 200],
            get_line_width=1,
            line_width_min_pixels=1,
            stroked=True,
            filled=True,
            # no auto_highlight: a hover's redraw in software WebGL held the next click past deck.gl's 250 ms tap
            # limit and the click was lost (as on the coverage map; the basemap drill-down test lost one in CI)
            pickable=True,
        )
    ]
    if sel.any():
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                data=data.loc[sel, ["polygon"]],
                id="selected",
                get_polygon="polygon",
                filled=False,
                stroked=True,
                get_line_color=[255, 255, 255],
                get_line_width=1,
                line_width_min_pixels=4,
                pickable=False,
            )
        )
    view = view_for_bbox(shapes_bbox(shapes), width_px=width_px, height_px=height_px)
    if len(stats) <= LABEL_MAX and {"lon", "lat"} <= set(stats):
        fill = dict(zip(df["unit_id"], map(tuple, colours), strict=True))
        layers += _label_layers(stats, indicator, view.zoom, fill=fill, name_all=name_all)
    if stations is not None and len(stations):
        layers.append(station_layer(stations, lang))
    deck = _deck(layers, view, _tooltip("{tip}"), tile_url)
    return deck, legend


def _merc_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator pixel coordinates at ``zoom`` (512-pixel world, as deck.gl)."""
    world = 512 * 2**zoom
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return np.asarray(lon) / 360 * world, -y * world


def short_name(name: str) -> str:
    """A street/town's name without its level word, for crowded map labels: 陆家嘴街道 → 陆家嘴, 川沙新镇 → 川沙,
    惠南镇 → 惠南; names of two characters or fewer after that, and other names, unchanged."""
    for suffix in ("街道", "新镇", "镇"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _merc_lonlat(px: np.ndarray, py: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``_merc_px``."""
    world = 512 * 2**zoom
    lat = np.degrees(2 * np.arctan(np.exp(-np.asarray(py) / world * 2 * np.pi)) - np.pi / 2)
    return np.asarray(px) / world * 360, lat


DARK_INK, LIGHT_HALO = [20, 22, 30, 255], [255, 255, 255, 230]
LIGHT_INK, DARK_HALO = [255, 255, 255, 250], [10, 14, 26, 255]


def text_colour(fill) -> tuple[list[int], list[int]]:
    """(text, outline) RGBA legible on ``fill`` (RGB): near-black with a white halo on light fills (yellow,
    light grey), white with a dark halo on dark ones; WCAG relative luminance decides."""
    c = np.asarray(fill[:3], float) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    light = float(lin @ [0.2126, 0.7152, 0.0722]) > 0.28
    return (DARK_INK, LIGHT_HALO) if light else (LIGHT_INK, DARK_HALO)


def _box_edge(x0: float, y0: float, x: float, y: float, half_w: float, half_h: float) -> tuple[float, float]:
    """Where the segment from (x0, y0) to a label's centre (x, y) meets the label's box: a leader line ends there."""
    vx, vy = x - x0, y - y0
    s = min(half_w / abs(vx) if vx else math.inf, half_h / abs(vy) if vy else math.inf)
    return (x - vx * s, y - vy * s) if s < 1 else (x0, y0)


def _nearest_first(half_w: float, half_h: float, reach_px: float = 260.0) -> list[tuple[float, float]]:
    """Offsets (pixels) a crowded label may move by, nearest first: a lattice of half a label's width and height
    within ``reach_px``, starting with no move at all."""
    kx, ky = int(reach_px // half_w), int(reach_px // half_h)
    grid = [(i * half_w, j * half_h) for i in range(-kx, kx + 1) for j in range(-ky, ky + 1)]
    return sorted((p for p in grid if math.hypot(*p) <= reach_px), key=lambda p: (math.hypot(*p), p))


def _label_layers(
    stats: pd.DataFrame,
    indicator: str | None,
    zoom: float,
    size_px: int = 14,
    *,
    fill: dict | None = None,
    name_all=False,
    reach_px: float = 260.0,
    frame: tuple[float, float, float, float] | None = None,
) -> list[pdk.Layer]:
    """Names and values (names alone when ``indicator`` is None) at the units' label points, readable from across
    a room, in a colour that stands out from the unit's fill (``fill``: unit_id → RGB; ``text_colour``).

    Labels that would overlap at the initial zoom are left out, larger units first (the tooltip still
    names every unit); with ``name_all`` none is: a crowded label moves to the nearest free place around
    its unit (within ``reach_px`` pixels, ``_nearest_first``) with a leader line to its point, and names lose their
    level word (``short_name``). ``frame`` (x0, y0, x1, y1 in ``_merc_px`` pixels: the map's view) keeps moved labels
    inside the view. pydeck turns plain string arguments into JS expressions; quoted ones ("'pixels'") stay
    strings.
    """
    df = stats[stats["lon"].notna() & stats["lat"].notna()]
    df = df.sort_values("area_km2", ascending=False, kind="stable") if "area_km2" in df else df
    names = [short_name(n) for n in df["name_zh"]] if name_all else list(df["name_zh"])
    text = (
        names
        if indicator is None
        else [f"{n}\n{indicators.fmt(v, indicator)}" for n, v in zip(names, df[indicator], strict=True)]
    )
    px, py = _merc_px(df["lon"].to_numpy(float), df["lat"].to_numpy(float), zoom)
    kept, boxes, at, ends = [], [], [], []
    for i, label in enumerate(text):
        lines = label.split("\n")
        half_w = max(len(line) for line in lines) * size_px / 2 + 2
        half_h = len(lines) * size_px / 2 + 2
        free = None
        for dx, dy in _nearest_first(half_w, half_h, reach_px) if name_all else [(0.0, 0.0)]:
            x, y = px[i] + dx, py[i] + dy
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            inside = (
                frame is None
                or (dx == dy == 0)
                or (box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3])
            )
            if inside and all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
                free = (x, y, box)
                break
        if free is None and not name_all:
            continue
        if free is None:  # nowhere free within reach: on its own point, over a neighbour's label
            free = (px[i], py[i], (px[i] - half_w, py[i] - half_h, px[i] + half_w, py[i] + half_h))
        boxes.append(free[2])
        kept.append(i)
        at.append(free[:2])
        ends.append(_box_edge(px[i], py[i], free[0], free[1], half_w, half_h))
    lon, lat = _merc_lonlat(np.array([a[0] for a in at]), np.array([a[1] for a in at]), zoom)
    ids = df["unit_id"].to_numpy()[kept] if "unit_id" in df else [None] * len(kept)
    moved = np.hypot(np.array([a[0] for a in at]) - px[kept], np.array([a[1] for a in at]) - py[kept]) > 1
    # a label on its unit stands out from the unit's fill; a moved one sits on the dark background
    ink = [text_colour(NO_DATA if m else (fill or {}).get(u, NO_DATA)) for u, m in zip(ids, moved, strict=True)]
    data = pd.DataFrame(
        {
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "label": [text[i] for i in kept],
        }
    )
    layers = []
    if moved.any():  # leader lines from each unit's label point to the edge of its moved label
        src = df.iloc[kept][moved]
        layers.append(
            pdk.Layer(
                "LineLayer",
                data=pd.DataFrame(
                    {
                        "from": src[["lon", "lat"]].round(5).to_numpy().tolist(),
                        "to": np.column_stack(_merc_lonlat(*np.array(ends)[moved].T, zoom)).round(5).tolist(),
                    }
                ),
                id="label_leaders",
                get_source_position="from",
                get_target_position="to",
                get_color=[240, 240, 240, 220],
                get_width=1.5,
                width_units="'pixels'",
                pickable=False,
            )
        )
    # deck.gl's outline colour is one per layer: white text with a dark halo, and dark text with a light one
    dark = np.array([c[0] == DARK_INK for c in ink], bool)
    for layer_id, rows, colour, halo in (
        ("labels", ~dark, LIGHT_INK, DARK_HALO),
        ("labels_dark", dark, DARK_INK, LIGHT_HALO),
    ):
        if rows.any() or layer_id == "labels":
            layers.append(text_layer(data.loc[rows], layer_id, size_px, colour, halo))
    return layers


def text_layer(
    data: pd.DataFrame, layer_id: str, size_px: int, colour: list, halo: list, *, offset: list | None = None
) -> pdk.Layer:
    """Labels (lon, lat, label) in ``colour`` with a ``halo`` outline, ``size_px`` high, moved by ``offset`` px."""
    return pdk.Layer(
        "TextLayer",
        data=data,
        id=layer_id,
        get_position=["lon", "lat"],
        get_text="label",
        get_size=size_px,
        size_units="'pixels'",
        get_color=colour,
        character_set="'auto'",
        # a 32 px glyph atlas (deck.gl's default is 64): labels are drawn at 12–24 px, and with WebGL drawn in software
        # (a browser without a GPU) the smaller atlas takes the map's first frame from 2.26 to 1.87 s at 10 M cases
        font_settings={"sdf": True, "fontSize": 32, "buffer": 4, "radius": 8},
        outline_width=3,
        outline_color=halo,
        get_text_anchor="'middle'",
        get_alignment_baseline="'center'",
        get_pixel_offset=offset or [0, 0],
        pickable=False,
    )


def _label_layer(stats: pd.DataFrame, indicator: str, zoom: float, size_px: int = 14) -> pdk.Layer:
    """The white-text layer of ``_label_layers`` (labels that would overlap left out)."""
    return next(layer for layer in _label_layers(stats, indicator, zoom, size_px) if layer.id == "labels")


def station_layer(stations: pd.DataFrame, lang: str = "zh") -> pdk.Layer:
    """Doorstep stations and centres as points; tooltip lists their 四站一室 functions and hours."""
    funcs = ["f_party", "f_gov", "f_culture", "f_joint", "f_clinic"]
    kind = np.where(stations["level"] == "centre", t("centre", lang), t("station", lang))
    names = stations[funcs].apply(lambda r: "、".join(t(f, lang) for f in funcs if bool(r[f])), axis=1)
    hours = t("hours_word", lang) + ": " + _text(stations["opening_hours"])
    data = pd.DataFrame(
        {
            "station_id": stations["station_id"],
            "lon": stations["lon"].round(5),
            "lat": stations["lat"].round(5),
            "tip": _text(stations["name_zh"]) + " · " + kind + "\n" + names.astype("string") + "\n" + hours,
            "radius": np.where(stations["level"] == "centre", 160, 70),
            "fill": [[0, 229, 255, 230] if lv == "doorstep" else [255, 255, 255, 240] for lv in stations["level"]],
        }
    )
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=LAYER_STATIONS,
        get_position=["lon", "lat"],
        get_radius="radius",
        radius_min_pixels=2.5,
        radius_max_pixels=9,
        get_fill_color="fill",
        pickable=True,
        stroked=True,
        get_line_color=[0, 0, 0, 220],
        line_width_min_pixels=1,
    )


def _outline_layer(outline: pd.DataFrame) -> pdk.Layer:
    shapes = outline if "polygon" in outline else pd.DataFrame({"polygon": polygons_lonlat(outline["geom"])})
    return pdk.Layer(
        "PolygonLayer",
        data=shapes[["polygon"]],
        id="outline",
        get_polygon="polygon",
        filled=True,
        get_fill_color=[40, 48, 66, 120],
        stroked=True,
        get_line_color=[150, 160, 180, 200],
        line_width_min_pixels=1,
        pickable=False,
    )
