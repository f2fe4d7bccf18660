"""Heatmap decks: density squares, case points, repeat clusters and hot spots (pydeck)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pydeck as pdk
from markupsafe import Markup

from govdash import render
from govdash.i18n import t
from govdash.maps import (
    _BAR,
    LAYER_CASES,
    LAYER_REPEATS,
    SEQUENTIAL,
    _bar_ticks,
    _deck,
    _outline_layer,
    _ramp,
    _rgb,
    _text,
    _tooltip,
    view_for_bbox,
)

HOT, EMERGING, COLD = (230, 40, 40), (255, 215, 0), (40, 120, 230)
# a view's deck stays under ~300 KB (tests/test_heatmap.py: the worst case of every field at its longest):
# at most heatmap.MAX_BINS squares, and single cases only up to POINTS_MAX, their text cut to DESCRIPTION_MAX
POINTS_MAX = 600
DESCRIPTION_MAX = 60
SPOTS_DRAWN = 1_800  # hot/cold squares drawn at most: the most significant (largest |z|) first
DENSITY_ALPHA, SPOT_ALPHA = 220, 225  # one opacity per layer, not a fourth number on every square


def density_colours(counts: np.ndarray, vmax: float) -> list[list[int]]:
    """Bin colours on a square-root scale fixed by ``vmax`` (the same for every playback frame)."""
    c = _ramp(np.sqrt(np.asarray(counts, float) / max(float(vmax), 1.0)), SEQUENTIAL)
    return [[int(r), int(g), int(b)] for r, g, b in c]


def _bins_layer(bins: pd.DataFrame, fill: list, cell_m: float, tip: pd.Series, layer_id: str, alpha: int) -> pdk.Layer:
    data = pd.DataFrame({"lon": bins["lon"].round(5), "lat": bins["lat"].round(5), "fill": fill, "tip": tip})
    # GridCellLayer places each cell by its south-west corner, as heat_bins returns them
    return pdk.Layer(
        "GridCellLayer",
        data=data,
        id=layer_id,
        get_position=["lon", "lat"],
        cell_size=cell_m,
        get_fill_color="fill",
        extruded=False,
        opacity=round(alpha / 255, 3),
        pickable=True,
    )


def case_layer(points: pd.DataFrame, *, lang: str = "zh", category_names: dict | None = None) -> pdk.Layer:
    """Individual cases as points with a case tooltip (id, time, category, status, description as text)."""
    names = category_names or {}
    cat = points["category"].map(lambda c: names.get(c, c)).astype("string").fillna("")
    when = pd.to_datetime(points["reported_at"]).dt.strftime("%Y-%m-%d %H:%M").astype("string")
    status = points["status"].map(lambda s: t(s, lang) if isinstance(s, str) else "").astype("string")
    data = pd.DataFrame(
        {
            "lon": points["lon"].round(5),
            "lat": points["lat"].round(5),
            "tip": (
                _text(points["case_id"])
                + " · "
                + when
                + "\n"
                + cat
                + " · "
                + status
                + "\n"
                + _text(points["description"], DESCRIPTION_MAX)
            ),
        }
    )
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=LAYER_CASES,
        get_position=["lon", "lat"],
        get_radius=15,
        radius_min_pixels=2,
        radius_max_pixels=6,
        get_fill_color=[76, 201, 240, 230],
        stroked=True,
        get_line_color=[11, 18, 32, 255],
        line_width_min_pixels=1,
        pickable=True,
    )


def repeat_layer(
    repeats: pd.DataFrame, *, lang: str = "zh", category_names: dict | None = None, unit_names: dict | None = None
) -> pdk.Layer:
    """Repeat-complaint clusters as rings sized by their number of cases."""
    names, units = category_names or {}, unit_names or {}
    n = t("unit_cases", lang)
    data = pd.DataFrame(
        {
            "lon": repeats["lon"].round(5),
            "lat": repeats["lat"].round(5),
            "radius": 60 + 25 * np.sqrt(repeats["count"].to_numpy(float)),
            "tip": [
                f"{names.get(c, c)} · {k} {n}\n{units.get(g, g) if isinstance(g, str) else ''}\n"
                f"{pd.Timestamp(a):%Y-%m-%d} – {pd.Timestamp(b):%Y-%m-%d}"
                for c, k, g, a, b in zip(
                    repeats["category"],
                    repeats["count"],
                    repeats["grid_id"],
                    repeats["first_at"],
                    repeats["last_at"],
                    strict=True,
                )
            ],
        }
    )
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=LAYER_REPEATS,
        get_position=["lon", "lat"],
        get_radius="radius",
        radius_min_pixels=4,
        radius_max_pixels=30,
        filled=True,
        get_fill_color=[255, 0, 200, 70],
        stroked=True,
        get_line_color=[255, 80, 220, 255],
        line_width_min_pixels=2,
        pickable=True,
    )


def heat_deck(
    bins: pd.DataFrame,
    *,
    cell_m: float,
    vmax: float,
    bbox=None,
    outline: pd.DataFrame | None = None,
    points: pd.DataFrame | None = None,
    repeats: pd.DataFrame | None = None,
    tile_url: str = "",
    lang: str = "zh",
    category_names: dict | None = None,
    unit_names: dict | None = None,
    width_px: int = 900,
    height_px: int = 640,
) -> pdk.Deck:
    """Case density in square bins (colour fixed by ``vmax``), optional case points and repeat clusters.

    The payload is bounded by the number of bins (callers bound it by the bin size and the box
    shown), at most ``POINTS_MAX`` points and the repeat clusters passed, never by the case count.
    """
    word = t("cases", lang)
    layers = [] if outline is None else [_outline_layer(outline)]
    if len(bins):
        tip = word + ": " + bins["count"].astype(int).map("{:,}".format).astype("string")
        layers.append(
            _bins_layer(bins, density_colours(bins["count"].to_numpy(), vmax), cell_m, tip, "density", DENSITY_ALPHA)
        )
    if repeats is not None and len(repeats):
        layers.append(repeat_layer(repeats, lang=lang, category_names=category_names, unit_names=unit_names))
    if points is not None and len(points):
        if len(points) > POINTS_MAX:
            raise ValueError(f"{len(points):,} case points: draw squares above {POINTS_MAX:,}")
        layers.append(case_layer(points, lang=lang, category_names=category_names))
    if bbox is None and len(bins):
        bbox = (bins["lon"].min(), bins["lat"].min(), bins["lon"].max(), bins["lat"].max())
    return _deck(layers, view_for_bbox(bbox, width_px=width_px, height_px=height_px), _tooltip("{tip}"), tile_url)


def hot_spot_deck(
    spots: pd.DataFrame,
    *,
    cell_m: float,
    bbox=None,
    outline: pd.DataFrame | None = None,
    tile_url: str = "",
    lang: str = "zh",
    width_px: int = 900,
    height_px: int = 640,
) -> pdk.Deck:
    """Significant bins only: hot (red), emerging hot (yellow), cold (blue); columns as heatmap.hot_spot_bins.
    At most ``SPOTS_DRAWN`` of them, the largest |z| first (the analysis may run on finer squares than a view
    can carry)."""
    sig = spots[spots["label"] != "not significant"]
    if len(sig) > SPOTS_DRAWN:
        sig = sig.loc[sig["z"].abs().sort_values(ascending=False, kind="stable").index[:SPOTS_DRAWN]]
    colour = {"hot": HOT, "cold": COLD}
    fill = [
        list(EMERGING if tr == "emerging hot" else colour[lb])
        for lb, tr in zip(sig["label"], sig["trend"], strict=True)
    ]
    label = {"hot": t("hot_spot", lang), "cold": t("cold_spot", lang), "emerging hot": t("emerging_hot_spot", lang)}
    tip = [
        f"{label['emerging hot' if tr == 'emerging hot' else lb]}\n{t('cases', lang)}: {int(n):,}"
        f"\nGi* z = {z:.2f} · q = {q:.3g}"
        for lb, tr, n, z, q in zip(sig["label"], sig["trend"], sig["count"], sig["z"], sig["q"], strict=True)
    ]
    layers = [] if outline is None else [_outline_layer(outline)]
    if len(sig):
        layers.append(
            _bins_layer(sig, fill, cell_m, pd.Series(tip, index=sig.index, dtype="string"), "hotspots", SPOT_ALPHA)
        )
    return _deck(layers, view_for_bbox(bbox, width_px=width_px, height_px=height_px), _tooltip("{tip}"), tile_url)


def density(
    bins: pd.DataFrame,
    *,
    cell_m: float,
    vmax: float | None = None,
    tile_url: str = "",
    outline: pd.DataFrame | None = None,
    lang: str = "zh",
) -> pdk.Deck:
    """Square bins (lon, lat of the south-west corner, count); ``vmax`` fixes the scale across frames."""
    top = float(vmax if vmax is not None else (bins["count"].max() if len(bins) else 1))
    return heat_deck(bins, cell_m=cell_m, vmax=top, outline=outline, tile_url=tile_url, lang=lang)


def density_legend_html(vmax: float, cell_m: float, *, lang: str = "zh") -> Markup:
    """Colour bar of the density scale (square root, fixed at ``vmax`` cases per square)."""
    top = max(float(vmax), 1.0)
    stops = [(p, tuple(int(c) for c in _ramp(np.array([p]), SEQUENTIAL)[0])) for p in np.linspace(0, 1, 11)]
    grad = ", ".join(f"{_rgb(c)} {p * 100:.0f}%" for p, c in stops)
    values = sorted({1, max(1, round(top / 4)), int(round(top))})
    ticks = _bar_ticks([(math.sqrt(v / top), f"{v:,}") for v in values])
    title = t("density_legend", lang).format(cell=cell_m)
    return render.macro("maps.html", "density_legend", title, _BAR, grad, ticks)
