"""Small inline SVG charts for printable, offline documents (the monthly briefing): no script, no external file."""

from __future__ import annotations

import math

import numpy as np
from markupsafe import Markup

from govdash import render

INK = "#1f2937"
GRID = "#d1d5db"
LINE = "#1d4ed8"
LAST_YEAR = "#9ca3af"
TARGET = "#b45309"
BAD = "#b91c1c"
GOOD = "#15803d"
RED_LIST = "#c0392b"  # 红榜: red is the colour of honour here
BLACK_LIST = "#111827"
NEUTRAL = "#94a3b8"


def _fmt(v: float, pct: bool) -> str:
    return f"{v * 100:.1f}%" if pct else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}")


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def line_chart(
    labels: list[str],
    values: list[float | None],
    *,
    title: str,
    target: float | None = None,
    lower_is_better: bool = False,
    pct: bool = False,
    bars: bool = False,
    last_year: list[float | None] | None = None,
    width: int = 340,
    height: int = 170,
) -> Markup:
    """A line (or bar) chart of one indicator over labelled periods; points missing the target drawn red.

    Values are plain numbers (rates as shares when ``pct``); None/NaN leave a gap. Returns an
    ``<svg>`` element sized in CSS pixels that scales to its container (template ``svg.html``).
    """
    left, right, top, bottom = 46, 8, 22, 30
    pw, ph = width - left - right, height - top - bottom
    v = np.array([np.nan if x is None else float(x) for x in values], float)
    ly = np.array([np.nan if x is None else float(x) for x in (last_year or [])], float)
    pool = np.concatenate([v, ly, [target] if target is not None else []])
    pool = pool[np.isfinite(pool)]
    chart = {
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + pw,
        "title": title,
        "ink": INK,
        "grid": GRID,
        "line": LINE,
        "last_year_colour": LAST_YEAR,
        "target_colour": TARGET,
        "empty": not len(pool) or not len(labels),
    }
    if chart["empty"]:
        return render.macro("svg.html", "line_chart", chart)
    lo, hi = float(pool.min()), float(pool.max())
    if bars:
        lo = min(0.0, lo)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    lo, hi = (lo if bars else lo - pad), hi + pad
    n = len(labels)
    x = lambda i: left + (i + 0.5) * pw / n  # noqa: E731
    y = lambda val: top + ph - (val - lo) / (hi - lo) * ph  # noqa: E731
    chart["ticks"] = [
        {"y": f"{y(tv):.1f}", "text_y": f"{y(tv) + 3:.1f}", "text": _fmt(tv, pct)} for tv in _ticks(lo, hi)
    ]
    step = max(1, math.ceil(n / 7))
    chart["labels"] = [{"x": f"{x(i):.1f}", "text": lab} for i, lab in enumerate(labels) if i % step == 0 or i == n - 1]
    miss = [
        (target is not None and np.isfinite(val) and (val > target if lower_is_better else val < target)) for val in v
    ]
    chart["last_year"] = (
        " ".join(f"{x(i):.1f},{y(val):.1f}" for i, val in enumerate(ly) if np.isfinite(val)) if len(ly) else ""
    )
    chart["bars"], chart["segments"], chart["points"] = [], [], []
    if bars:
        bw = pw / n * 0.7
        chart["bars"] = [
            {
                "x": f"{x(i) - bw / 2:.1f}",
                "y": f"{y(val):.1f}",
                "width": f"{bw:.1f}",
                "height": f"{max(0.0, y(lo) - y(val)):.1f}",
                "fill": BAD if miss[i] else LINE,
            }
            for i, val in enumerate(v)
            if np.isfinite(val)
        ]
    else:
        segs, cur = [], []
        for i, val in enumerate(v):
            if np.isfinite(val):
                cur.append(f"{x(i):.1f},{y(val):.1f}")
            elif cur:
                segs.append(cur)
                cur = []
        segs.append(cur)
        chart["segments"] = [" ".join(seg) for seg in segs if seg]
        chart["points"] = [
            {"x": f"{x(i):.1f}", "y": f"{y(val):.1f}", "r": 3.2 if miss[i] else 2.2, "fill": BAD if miss[i] else LINE}
            for i, val in enumerate(v)
            if np.isfinite(val)
        ]
    chart["target"] = (
        None
        if target is None
        else {"y": f"{y(target):.1f}", "text_y": f"{y(target) - 3:.1f}", "text": _fmt(target, pct)}
    )
    return render.macro("svg.html", "line_chart", chart)


def hbar_chart(
    labels: list[str],
    values: list[float],
    *,
    title: str,
    colors: list[str] | None = None,
    ref: float | None = None,
    width: int = 680,
    row: int = 13,
) -> Markup:
    """Horizontal bars (e.g. ranking scores) with an optional reference line (e.g. 1.0 = on target).

    With ``ref`` the axis starts just below the smallest value (scores cluster near 1), and its
    start is labelled so the zoom is visible.
    """
    left, right, top = 100, 40, 24
    height = top + row * len(labels) + 18
    pw = width - left - right
    vals = [float(v) if v is not None and np.isfinite(v) else 0.0 for v in values]
    lo = math.floor(min([ref, *vals]) * 20 - 1) / 20 if ref is not None and vals else 0.0
    hi = max([ref or 0.0, *vals]) or 1.0
    xs = lambda val: left + (val - lo) / (hi - lo) * pw  # noqa: E731
    fills = colors or [LINE] * len(vals)
    base = top + row * len(labels) + 12
    chart = {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "base": base,
        "title": title,
        "ink": INK,
        "target_colour": TARGET,
        "bar_height": row - 4,
        "bars": [
            {
                "label": lab,
                "text_y": f"{top + i * row + row * 0.75:.1f}",
                "y": top + i * row + 2,
                "width": f"{max(0.0, xs(val) - left):.1f}",
                "fill": fills[i],
                "value_x": f"{xs(val) + 3:.1f}",
                "value": f"{val:.3f}",
            }
            for i, (lab, val) in enumerate(zip(labels, vals, strict=True))
        ],
        "ticks": [{"x": f"{xs(tv):.1f}", "text": f"{tv:.2f}"} for tv in sorted({lo, ref} - {None})],
        "ref_x": None if ref is None else f"{xs(ref):.1f}",
    }
    return render.macro("svg.html", "hbar_chart", chart)
