"""Small inline SVG charts for printable, offline documents (the monthly briefing): no script, no external file."""

from __future__ import annotations

import math
from html import escape

import numpy as np

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


def line_chart(labels: list[str], values: list[float | None], *, title: str, target: float | None = None,
               lower_is_better: bool = False, pct: bool = False, bars: bool = False,
               last_year: list[float | None] | None = None, width: int = 340, height: int = 170) -> str:
    """A line (or bar) chart of one indicator over labelled periods; points missing the target drawn red.

    Values are plain numbers (rates as shares when ``pct``); None/NaN leave a gap. Returns an
    ``<svg>`` element sized in CSS pixels that scales to its container.
    """
    left, right, top, bottom = 46, 8, 22, 30
    pw, ph = width - left - right, height - top - bottom
    v = np.array([np.nan if x is None else float(x) for x in values], float)
    ly = np.array([np.nan if x is None else float(x) for x in (last_year or [])], float)
    pool = np.concatenate([v, ly, [target] if target is not None else []])
    pool = pool[np.isfinite(pool)]
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<text x="{left}" y="14" font-size="12" font-weight="600" fill="{INK}">{escape(title)}</text>']
    if not len(pool) or not len(labels):
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{INK}">—</text></svg>')
        return "".join(parts)
    lo, hi = float(pool.min()), float(pool.max())
    if bars:
        lo = min(0.0, lo)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    lo, hi = (lo if bars else lo - pad), hi + pad
    n = len(labels)
    x = lambda i: left + (i + 0.5) * pw / n  # noqa: E731
    y = lambda val: top + ph - (val - lo) / (hi - lo) * ph  # noqa: E731
    for tv in _ticks(lo, hi):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(tv):.1f}" y2="{y(tv):.1f}" stroke="{GRID}" '
                     f'stroke-width="0.6"/><text x="{left - 4}" y="{y(tv) + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="{INK}">{_fmt(tv, pct)}</text>')
    step = max(1, math.ceil(n / 7))
    for i, lab in enumerate(labels):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" font-size="9" text-anchor="middle" '
                         f'fill="{INK}">{escape(lab)}</text>')
    miss = [(target is not None and np.isfinite(val)
             and (val > target if lower_is_better else val < target)) for val in v]
    if len(ly):
        pts = " ".join(f"{x(i):.1f},{y(val):.1f}" for i, val in enumerate(ly) if np.isfinite(val))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{LAST_YEAR}" stroke-width="1.2" '
                     f'stroke-dasharray="3 2"/>')
    if bars:
        bw = pw / n * 0.7
        for i, val in enumerate(v):
            if np.isfinite(val):
                parts.append(f'<rect x="{x(i) - bw / 2:.1f}" y="{y(val):.1f}" width="{bw:.1f}" '
                             f'height="{max(0.0, y(lo) - y(val)):.1f}" fill="{BAD if miss[i] else LINE}"/>')
    else:
        segs, cur = [], []
        for i, val in enumerate(v):
            if np.isfinite(val):
                cur.append(f"{x(i):.1f},{y(val):.1f}")
            elif cur:
                segs.append(cur)
                cur = []
        segs.append(cur)
        for seg in segs:
            if seg:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}" stroke-width="1.8"/>')
        for i, val in enumerate(v):
            if np.isfinite(val):
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(val):.1f}" r="{3.2 if miss[i] else 2.2}" '
                             f'fill="{BAD if miss[i] else LINE}"/>')
    if target is not None:
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     f'stroke="{TARGET}" stroke-width="1" stroke-dasharray="5 3"/>'
                     f'<text x="{left + pw}" y="{y(target) - 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="{TARGET}">{_fmt(target, pct)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(labels: list[str], values: list[float], *, title: str, colors: list[str] | None = None,
               ref: float | None = None, width: int = 680, row: int = 13) -> str:
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
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<text x="4" y="14" font-size="11" font-weight="600" fill="{INK}">{escape(title)}</text>']
    for i, (lab, val) in enumerate(zip(labels, vals, strict=True)):
        yy = top + i * row
        parts.append(f'<text x="{left - 4}" y="{yy + row * 0.75:.1f}" font-size="9" text-anchor="end" '
                     f'fill="{INK}">{escape(lab)}</text>'
                     f'<rect x="{left}" y="{yy + 2}" width="{max(0.0, xs(val) - left):.1f}" height="{row - 4}" '
                     f'fill="{(colors or [LINE] * len(vals))[i]}"/>'
                     f'<text x="{xs(val) + 3:.1f}" y="{yy + row * 0.75:.1f}" font-size="8" '
                     f'fill="{INK}">{val:.3f}</text>')
    base = top + row * len(labels) + 12
    for tv in sorted({lo, ref} - {None}):
        parts.append(f'<text x="{xs(tv):.1f}" y="{base}" font-size="8" text-anchor="middle" '
                     f'fill="{INK}">{tv:.2f}</text>')
    if ref is not None:
        parts.append(f'<line x1="{xs(ref):.1f}" x2="{xs(ref):.1f}" y1="{top}" y2="{base - 8}" stroke="{TARGET}" '
                     f'stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)
