"""The 15-minute service circle map: walking-minute classes, stations, candidate sites, picks (pydeck)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pydeck as pdk

from govdash import raster
from govdash.i18n import t
from govdash.maps import LAYER_STATIONS, _deck, _text, _tooltip, text_layer, view_for_bbox

# --- coverage (15-minute service circle) ---

LAYER_SURFACE = "surface"  # the minutes surface, one image
LAYER_CLICK = "click"  # the squares a click picks
MINUTE_BOUNDS = (5, 10, 15, 20)
NEAR = [(0, 150, 136), (77, 182, 172), (128, 203, 196), (190, 228, 224)]  # within the threshold: teal, paler = farther
FAR = [(255, 213, 79), (255, 152, 0), (244, 67, 54), (255, 23, 160)]  # beyond it: warm, magenta = farthest
ADDED = (255, 235, 59)


def minute_classes(threshold: float, *, lang: str = "zh") -> list[tuple[float, float, tuple, str]]:
    """(lo, hi, RGB, label) of the classes ≤5, ≤10, ≤15, ≤20, >20 minutes; beyond ``threshold`` warm."""
    word = t("minute_unit", lang)
    edges = [0.0, *MINUTE_BOUNDS, math.inf]
    near = sum(b <= threshold for b in MINUTE_BOUNDS)
    colours = NEAR[:near] + FAR[len(FAR) - (len(edges) - 1 - near) :]
    return [
        (
            lo,
            hi,
            colours[i],
            f"{lo:g}–{hi:g} {word}"
            if lo and math.isfinite(hi)
            else f"≤{hi:g} {word}"
            if math.isfinite(hi)
            else f">{lo:g} {word}",
        )
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]


def surface_layer(cells: pd.DataFrame, threshold: float, metric_crs: str) -> pdk.Layer:
    """The walking-minutes surface as one image: every cell (x, y in metres, size_m, minutes) in its minute
    class's colour (``minute_classes``), resampled onto the map (``raster.lattice_image``), drawn by a
    BitmapLayer with crisp square pixels. Not pickable: the click squares (``click_layer``) answer the mouse."""
    size = float(cells["size_m"].iloc[0]) if len(cells) else 100.0
    cls = np.searchsorted(np.asarray(MINUTE_BOUNDS, float), cells["minutes"].to_numpy(float), side="left")
    image, bounds = raster.lattice_image(cells["x"].to_numpy(), cells["y"].to_numpy(), cls, size, metric_crs)
    palette = [(*rgb, 235) for _, _, rgb, _ in minute_classes(threshold)]
    return pdk.Layer(
        "BitmapLayer",
        id=LAYER_SURFACE,
        image=f"'{raster.data_url(raster.png(image, palette))}'",  # quoted: pydeck keeps it a string
        bounds=[round(v, 6) for v in bounds],
        texture_parameters={"minFilter": "nearest", "magFilter": "nearest"},
        pickable=False,
    )


def click_layer(blocks: pd.DataFrame, *, lang: str = "zh") -> pdk.Layer:
    """Nearly invisible discs over the populated ground (``service_circle.click_blocks``: lon/lat of the
    centre, size_m, minutes, residents): the objects a click picks (a few thousand at most, which Streamlit's map
    selection handles) and their tooltips. Each disc circumscribes its square (radius size·√2/2), so a click
    anywhere on the populated ground picks a square, its own wherever it is nearer its centre than a neighbour's."""
    word, people = t("minute_unit", lang), t("residents", lang)
    tip = (
        blocks["minutes"].map(lambda m: f"≈{m:.1f}" if m < 999 else "—").astype(str)
        + f" {word} · {people} "
        + blocks["residents"].map("{:,.0f}".format).astype(str)
    )
    # short: a few thousand of them; what a click does is said under the map
    data = pd.DataFrame({"lon": blocks["lon"].round(5), "lat": blocks["lat"].round(5), "tip": tip})
    size = float(blocks["size_m"].iloc[0]) if len(blocks) else 100.0
    return pdk.Layer(
        # discs, not squares: the stations' ScatterplotLayer program, which the map links anyway. As squares (a
        # GridCellLayer, one more program) they cost ~1 s of the first frame in software WebGL (a browser without
        # a GPU); as discs no time the benchmark can tell apart (docs/benchmarks.md, issue 19)
        "ScatterplotLayer",
        data=data,
        id=LAYER_CLICK,
        get_position=["lon", "lat"],
        get_radius=size * math.sqrt(0.5),
        get_fill_color=[255, 255, 255, 1],  # seen by the picking pass, not by the eye
        # no auto_highlight: a hover would redraw the whole map, and in software WebGL (no GPU) the next click's
        # picking waits for that frame; a press held past deck.gl's 250 ms tap limit is no click (issue 19)
        pickable=True,
    )


def coverage_map(
    cells: pd.DataFrame,
    threshold: float,
    stations: pd.DataFrame,
    *,
    blocks: pd.DataFrame,
    metric_crs: str,
    gaps: pd.DataFrame | None = None,
    numbered: bool = True,
    proposals: pd.DataFrame | None = None,
    reach_m: float = 0.0,
    outline: pd.DataFrame | None = None,
    lang: str = "zh",
    tile_url: str = "",
    width_px: int = 1100,
    height_px: int = 660,
) -> tuple[pdk.Deck, list]:
    """Walking minutes as one image (``surface_layer``), click squares, stations on top, gaps and proposed sites.

    ``cells``: the cells in view with x, y (metres in ``metric_crs``), lon, lat (centres), size_m, minutes.
    ``blocks``: the click squares (``service_circle.click_blocks``). ``stations``: station_id, name_zh, level,
    lon, lat, f_*, opening_hours, scenario, residents (served). ``gaps``: rank, lon, lat, cells, residents,
    ringed, and ``numbered`` with their rank (a text layer: one more program for the map's first frame).
    ``proposals``: rank, lon, lat, gain, drawn with a ring of ``reach_m`` metres. Returns the deck and its
    legend as (RGB, label) pairs for ``swatches_html``.
    """
    people = t("residents", lang)
    size = float(cells["size_m"].iloc[0]) if len(cells) else 100.0
    classes = minute_classes(threshold, lang=lang)
    layers = [surface_layer(cells, threshold, metric_crs)] if len(cells) else []
    if len(blocks):
        layers.append(click_layer(blocks, lang=lang))
    if outline is not None and len(outline):
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                data=outline[["polygon"]],
                id="outline",
                get_polygon="polygon",
                filled=False,
                stroked=True,
                get_line_color=[20, 26, 40, 230],
                line_width_min_pixels=1,
            )
        )
    if gaps is not None and len(gaps):
        word = t("gap", lang)
        g = pd.DataFrame(
            {
                "lon": gaps["lon"],
                "lat": gaps["lat"],
                "label": gaps["rank"].astype(int).astype(str),
                "radius": np.minimum(250 + 0.5 * size * np.sqrt(gaps["cells"].to_numpy(float)), 2500),
                "tip": [
                    f"{word} {int(r)} · {people} {v:,.0f}" for r, v in zip(gaps["rank"], gaps["residents"], strict=True)
                ],
            }
        )
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=g,
                id="gaps",
                get_position=["lon", "lat"],
                get_radius="radius",
                filled=False,
                stroked=True,
                get_line_color=[255, 255, 255, 230],
                line_width_min_pixels=2,
                pickable=True,
            )
        )
        if numbered:
            layers.append(_labels(g, "gap_labels", [255, 255, 255, 255]))
    if proposals is not None and len(proposals):
        word, gain = t("proposed_site", lang), t("newly_covered", lang)
        p = pd.DataFrame(
            {
                "lon": proposals["lon"],
                "lat": proposals["lat"],
                "label": "+" + proposals["rank"].astype(int).astype(str),
                "tip": [
                    f"{word} {int(r)} · {gain} {v:,.0f}"
                    for r, v in zip(proposals["rank"], proposals["gain"], strict=True)
                ],
            }
        )
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=p,
                id="reach",
                get_position=["lon", "lat"],
                get_radius=reach_m,
                filled=True,
                get_fill_color=[76, 201, 240, 50],
                stroked=True,
                get_line_color=[76, 201, 240, 255],
                line_width_min_pixels=2,
                pickable=False,
            )
        )
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=p,
                id="proposals",
                get_position=["lon", "lat"],
                get_radius=9,
                radius_units="'pixels'",
                get_fill_color=[76, 201, 240, 255],
                stroked=True,
                get_line_color=[255, 255, 255, 255],
                line_width_min_pixels=2,
                pickable=True,
            )
        )
        layers.append(_labels(p, "proposal_labels", [76, 201, 240, 255], offset=[0, -22]))
    if len(stations):
        layers.extend(_coverage_stations(stations, lang))
    legend = [(rgb, label) for _, _, rgb, label in classes] + [
        ((240, 240, 240), t("station", lang)),
        (ADDED, t("whatif_added", lang)),
    ]
    bbox = (
        None
        if cells.empty
        else (
            float(cells["lon"].min()),
            float(cells["lat"].min()),
            float(cells["lon"].max()),
            float(cells["lat"].max()),
        )
    )
    return _deck(
        layers, view_for_bbox(bbox, width_px=width_px, height_px=height_px), _tooltip("{tip}"), tile_url
    ), legend


def _labels(frame: pd.DataFrame, layer_id: str, colour: list, offset: list | None = None) -> pdk.Layer:
    # the map labels' text layer (its small glyph atlas, a halo instead of a background box: one program fewer)
    return text_layer(frame[["lon", "lat", "label"]], layer_id, 18, colour, [11, 18, 32, 230], offset=offset)


# the station dots by kind, each a layer of its own style: rows carry only a position and a tooltip
# (per-row colours and radii were a third of the 1,300 stations' bytes)
STATION_STYLES = (  # (layer id, radius px, fill RGBA, outline RGBA or None)
    (LAYER_STATIONS, 2.2, [245, 245, 245, 235], None),  # doorstep stations
    (LAYER_STATIONS + "_centres", 5, [245, 245, 245, 235], [11, 18, 32, 255]),  # town centres
    (LAYER_STATIONS + "_added", 7, [*ADDED, 255], [11, 18, 32, 255]),  # what-if additions and moves
)


def _coverage_stations(stations: pd.DataFrame, lang: str) -> list[pdk.Layer]:
    """The stations as dots (``STATION_STYLES``), sized in pixels, with name, kind and residents served in the
    tooltip (functions and opening hours are in the directory tab: 1,300 tooltips ride in the deck)."""
    # the kind only for the 36 centres: a doorstep station's name says it (and 1,300 × 20 bytes would not)
    kind = np.where(stations["level"] == "centre", " · " + t("centre", lang), "")
    served = stations["residents"].fillna(0).map("{:,.0f}".format) if "residents" in stations else "—"
    edited = stations["scenario"].notna().to_numpy() if "scenario" in stations else np.zeros(len(stations), bool)
    data = pd.DataFrame(
        {
            "lon": stations["lon"].round(5),
            "lat": stations["lat"].round(5),
            "tip": _text(stations["name_zh"]) + kind + "\n" + t("served", lang) + ": " + served,
        }
    )
    centre = (stations["level"] == "centre").to_numpy()
    # pixels, not metres: 1,300 stations must stay dots at district zoom and still be hit in a town
    layers = []
    for (layer_id, radius, fill, line), rows in zip(
        STATION_STYLES, (~edited & ~centre, ~edited & centre, edited), strict=True
    ):
        if rows.any():
            layers.append(
                pdk.Layer(
                    "ScatterplotLayer",
                    data=data[rows],
                    id=layer_id,
                    get_position=["lon", "lat"],
                    get_radius=radius,
                    radius_units="'pixels'",
                    get_fill_color=fill,
                    pickable=True,
                    stroked=line is not None,
                    get_line_color=line or [0, 0, 0, 0],
                    line_width_min_pixels=1.5,
                )
            )
    return layers


def picked(selection: dict | None, prefix: str) -> dict | None:
    """The first picked object of a layer whose id starts with ``prefix`` in a pydeck selection, if any."""
    objects = (selection or {}).get("objects") or {}
    for layer_id, rows in objects.items():
        if layer_id.startswith(prefix) and rows:
            return rows[0]
    return None
