"""plotly figure builders. They take DataFrames and return figures; they never import streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from govdash.i18n import t
from govdash.maps import RATE_INDICATORS

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = ["#4cc9f0", "#f72585", "#ffd166", "#06d6a0", "#b5179e", "#f8961e", "#90be6d", "#577590",
           "#e76f51", "#8ecae6", "#c77dff", "#ff99c8"]


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    """House style: dark-friendly, large type, CJK font stack, no plotly logo fetches."""
    fig.update_layout(template="plotly_dark", height=height, title=title, font={"family": FONT, "size": 15},
                      margin={"l": 50, "r": 20, "t": 50 if title else 20, "b": 40},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend={"orientation": "h", "y": -0.2}, colorway=PALETTE)
    return fig


def trend_lines(df: pd.DataFrame, indicator: str, *, lang: str = "zh", target: float | None = None,
                series_labels: dict | None = None, height: int = 380) -> go.Figure:
    """One line per series (or a single line) of ``indicator`` over ``period``; target line dashed."""
    fig = go.Figure()
    scale = 100 if indicator in RATE_INDICATORS else 1
    if "series" in df:
        for key, grp in df.groupby("series", sort=False):
            name = (series_labels or {}).get(key, key)
            fig.add_trace(go.Scatter(x=grp["period"], y=grp[indicator] * scale, mode="lines+markers", name=str(name)))
    else:
        fig.add_trace(go.Scatter(x=df["period"], y=df[indicator] * scale, mode="lines+markers",
                                 name=t(indicator, lang), line={"width": 3}))
    if target is not None:
        fig.add_hline(y=target * scale, line_dash="dash", line_color="#ffd166",
                      annotation_text=f"{'目标' if lang == 'zh' else 'target'} {target * scale:g}")
    fig.update_yaxes(title=t(indicator, lang) + (" (%)" if scale == 100 else ""))
    return style(fig, height=height)


def bars(df: pd.DataFrame, x: str, y: str, *, lang: str = "zh", height: int = 380, horizontal: bool = True,
         color: str = "#4cc9f0") -> go.Figure:
    """A ranking bar chart of ``y`` by label column ``x``."""
    scale = 100 if y in RATE_INDICATORS else 1
    if horizontal:
        fig = go.Figure(go.Bar(y=df[x], x=df[y] * scale, orientation="h", marker_color=color))
        fig.update_yaxes(autorange="reversed")
        fig.update_xaxes(title=t(y, lang) + (" (%)" if scale == 100 else ""))
    else:
        fig = go.Figure(go.Bar(x=df[x], y=df[y] * scale, marker_color=color))
        fig.update_yaxes(title=t(y, lang) + (" (%)" if scale == 100 else ""))
    if scale == 100 and len(df) and df[y].notna().any():
        # rates cluster near 100 %: start the axis just below the lowest bar so differences show
        lo = max(0.0, float(df[y].min()) * 100 - 1.0)
        (fig.update_xaxes if horizontal else fig.update_yaxes)(range=[lo, 100])
    return style(fig, height=height)


def stacked_share(df: pd.DataFrame, x: str, parts: list[str], labels: dict[str, str], *, height: int = 380) -> go.Figure:
    """Stacked shares (0-100 %) of ``parts`` columns over ``x``."""
    total = df[parts].sum(axis=1).where(lambda s: s > 0)
    fig = go.Figure()
    for p in parts:
        fig.add_trace(go.Bar(x=df[x], y=df[p] / total * 100, name=labels.get(p, p)))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="%", range=[0, 100])
    return style(fig, height=height)
