"""pydeck map builders: unit choropleths, stations and case density. No basemap unless a tile URL is set."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from govdash.i18n import t

# indicator -> (direction, target key in settings or None, unit label); "up" means higher is better
INDICATORS = {
    "collected": ("down", None, "cases"),
    "cases_per_1000": ("down", None, "per 1,000"),
    "resolution_rate": ("up", "target_resolution", "%"),
    "on_time_rate": ("up", "target_on_time", "%"),
    "overdue": ("down", None, "cases"),
    "median_hours": ("down", None, "h"),
    "recognition_rate": ("up", "target_recognition", "%"),
    "satisfaction": ("up", "target_satisfaction", "0-100"),
}
RATE_INDICATORS = {"resolution_rate", "on_time_rate", "recognition_rate"}
# colour ramps (RGB), chosen to read on a dark wall screen and for colour-blind viewers
SEQUENTIAL = [(255, 247, 188), (254, 196, 79), (236, 112, 20), (204, 76, 2), (140, 45, 4)]
DIVERGING = [(202, 0, 32), (244, 165, 130), (247, 247, 247), (146, 197, 222), (5, 113, 176)]
NO_DATA = (90, 90, 90)
LAYER_UNITS = "units"
LAYER_STATIONS = "stations"


def _ramp(values: np.ndarray, stops: list[tuple[int, int, int]]) -> np.ndarray:
    """Linear interpolation of 0-1 ``values`` along colour ``stops`` → (n, 3) uint8."""
    v = np.clip(np.nan_to_num(values, nan=0.0), 0, 1) * (len(stops) - 1)
    lo = np.floor(v).astype(int).clip(0, len(stops) - 2)
    frac = (v - lo)[:, None]
    a = np.array(stops, float)[lo]
    b = np.array(stops, float)[lo + 1]
    return (a + (b - a) * frac).round().astype(np.uint8)


def color_scale(values: pd.Series, indicator: str, target: float | None = None) -> tuple[np.ndarray, dict]:
    """Colours for ``values`` and a legend description.

    Rates with a target use a diverging scale centred on the target (red below, blue above);
    counts and times use a sequential scale where darker means more (worse).
    """
    x = values.to_numpy(float)
    finite = x[np.isfinite(x)]
    if indicator in INDICATORS and INDICATORS[indicator][1] and target is not None and len(finite):
        span = max(np.nanmax(np.abs(finite - target)), 1e-9)
        scaled = 0.5 + (x - target) / (2 * span)
        colours = _ramp(scaled, DIVERGING)
        legend = {"kind": "diverging", "min": target - span, "mid": target, "max": target + span, "stops": DIVERGING}
    else:
        lo, hi = (float(np.nanmin(finite)), float(np.nanmax(finite))) if len(finite) else (0.0, 1.0)
        scaled = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
        colours = _ramp(scaled, SEQUENTIAL)
        legend = {"kind": "sequential", "min": lo, "max": hi, "stops": SEQUENTIAL}
    colours[~np.isfinite(x)] = NO_DATA
    return colours, legend


def format_value(value, indicator: str) -> str:
    """Human text for an indicator value; NaN and None give "—"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "—"
    if indicator in RATE_INDICATORS:
        return f"{value * 100:.1f}%"
    if indicator in ("satisfaction", "median_hours", "cases_per_1000"):
        return f"{value:.1f}"
    return f"{int(value):,}"


def polygons_lonlat(wkb: pd.Series) -> list[list]:
    """WKB polygons → deck.gl polygon rings (outer ring of the largest part), coordinates rounded to ~1 m."""
    out = []
    for geom in shapely.from_wkb([bytes(b) for b in wkb]):
        parts = shapely.get_parts(geom)
        largest = max(parts, key=lambda g: g.area)
        out.append(np.round(np.asarray(largest.exterior.coords)[:, :2], 5).tolist())
    return out


def view_for(lon: pd.Series, lat: pd.Series, width_px: int = 1200) -> pdk.ViewState:
    """A view fitting the given points."""
    if len(lon) == 0:
        return pdk.ViewState(longitude=121.65, latitude=31.12, zoom=9.2)
    lo_min, lo_max, la_min, la_max = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    span = max(lo_max - lo_min, (la_max - la_min) * 1.2, 0.005)
    zoom = float(np.clip(np.log2(360 * width_px / 512 / span) - 0.6, 8, 16))
    return pdk.ViewState(longitude=(lo_min + lo_max) / 2, latitude=(la_min + la_max) / 2, zoom=zoom)


def base_layers(tile_url: str) -> list[pdk.Layer]:
    """A TileLayer when an (intranet) tile URL is configured; nothing otherwise."""
    if not tile_url:
        return []
    return [pdk.Layer("TileLayer", data=tile_url, id="basemap", min_zoom=0, max_zoom=19, tile_size=256,
                      render_sub_layers=None)]


def esc(values: pd.Series) -> pd.Series:
    """HTML-escape text shown in tooltips (deck.gl inserts tooltip text as HTML)."""
    return values.astype("string").fillna("").map(html.escape)


def choropleth(stats: pd.DataFrame, geoms: pd.DataFrame, indicator: str, *, lang: str = "zh",
               target: float | None = None, stations: pd.DataFrame | None = None, tile_url: str = "",
               selected: str | None = None) -> tuple[pdk.Deck, dict]:
    """A choropleth of units coloured by ``indicator`` with tooltips; returns the deck and its legend."""
    df = geoms.merge(stats.drop(columns=["name_zh"], errors="ignore"), on="unit_id", how="left")
    colours, legend = color_scale(df[indicator], indicator, target)
    data = pd.DataFrame({
        "unit_id": df["unit_id"],
        "name": esc(df["name_zh"]),
        "polygon": polygons_lonlat(df["geom"]),
        "fill": [list(map(int, c)) + [200] for c in colours],
        "line": [[255, 255, 255, 255] if u == selected else [30, 30, 30, 160] for u in df["unit_id"]],
        "value": [format_value(v, indicator) for v in df[indicator]],
        "collected": [format_value(v, "collected") for v in df["collected"]],
        "resolution": [format_value(v, "resolution_rate") for v in df["resolution_rate"]],
        "overdue": [format_value(v, "overdue") for v in df["overdue"]],
    })
    layers = base_layers(tile_url) + [pdk.Layer(
        "PolygonLayer", data=data, id=LAYER_UNITS, get_polygon="polygon", get_fill_color="fill",
        get_line_color="line", line_width_min_pixels=1, stroked=True, filled=True, pickable=True,
        auto_highlight=True)]
    if stations is not None and len(stations):
        layers.append(station_layer(stations, lang))
    tooltip = {"html": (f"<b>{{name}}</b><br/>{t(indicator, lang)}: {{value}}<br/>"
                        f"{t('collected', lang)}: {{collected}}<br/>{t('resolution_rate', lang)}: {{resolution}}<br/>"
                        f"{t('overdue', lang)}: {{overdue}}{{station}}"),
               "style": {"fontSize": "16px"}}
    centres = df["lon"] if "lon" in df else pd.Series(dtype=float)
    view = view_for(centres.dropna(), df["lat"].dropna() if "lat" in df else pd.Series(dtype=float))
    deck = pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=None, tooltip=tooltip)
    return deck, legend


def station_layer(stations: pd.DataFrame, lang: str = "zh") -> pdk.Layer:
    """Doorstep stations and centres as points; tooltip lists their 四站一室 functions."""
    funcs = ["f_party", "f_gov", "f_culture", "f_joint", "f_clinic"]
    names = stations[funcs].apply(lambda r: "、".join(t(f, lang) for f in funcs if bool(r[f])), axis=1)
    data = pd.DataFrame({
        "station_id": stations["station_id"], "lon": stations["lon"], "lat": stations["lat"],
        "name": esc(stations["name_zh"]),
        "station": "<br/>" + esc(names) + "<br/>" + esc(stations["opening_hours"]),
        "value": "", "collected": "", "resolution": "", "overdue": "",
        "radius": np.where(stations["level"] == "centre", 160, 70),
        "fill": [[0, 229, 255, 230] if lv == "doorstep" else [255, 255, 255, 240] for lv in stations["level"]],
    })
    return pdk.Layer("ScatterplotLayer", data=data, id=LAYER_STATIONS, get_position=["lon", "lat"],
                     get_radius="radius", radius_min_pixels=2, radius_max_pixels=8, get_fill_color="fill",
                     pickable=True, stroked=True, get_line_color=[0, 0, 0, 200], line_width_min_pixels=1)


def density(bins: pd.DataFrame, *, cell_m: float, vmax: float | None = None, tile_url: str = "",
            outline: pd.DataFrame | None = None, lang: str = "zh") -> pdk.Deck:
    """Square bins (lon, lat of the centre, count) as coloured cells; ``vmax`` fixes the scale across frames."""
    top = float(vmax if vmax is not None else (bins["count"].max() if len(bins) else 1))
    colours = _ramp(np.sqrt(bins["count"].to_numpy(float) / max(top, 1)), SEQUENTIAL)
    data = pd.DataFrame({"lon": bins["lon"], "lat": bins["lat"], "count": bins["count"].astype(int),
                         "fill": [list(map(int, c)) + [210] for c in colours]})
    layers = base_layers(tile_url)
    if outline is not None:
        layers.append(pdk.Layer("PolygonLayer", data=pd.DataFrame({"polygon": polygons_lonlat(outline["geom"])}),
                                id="outline", get_polygon="polygon", filled=False, stroked=True,
                                get_line_color=[120, 120, 120, 200], line_width_min_pixels=1))
    layers.append(pdk.Layer("GridCellLayer", data=data, id="density", get_position=["lon", "lat"],
                            cell_size=cell_m, get_fill_color="fill", extruded=False, pickable=True))
    view = view_for(bins["lon"], bins["lat"]) if len(bins) else view_for(pd.Series(dtype=float), pd.Series(dtype=float))
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, map_style=None,
                    tooltip={"html": f"{t('cases', lang)}: {{count}}"})
