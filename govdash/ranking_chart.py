"""The leader's ranking: every unit, worst first, on the indicator's whole axis with its target line."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from govdash import indicators
from govdash.charts import BREACH, TARGET_LINE, style
from govdash.i18n import t
from govdash.settings import Settings

MET = "#2ec4b6"
ROW_PX = 21  # one bar per unit: 36 towns in ~840 px, every name readable


def unit_ranking(stats: pd.DataFrame, label: str, key: str, s: Settings, *, lang: str = "zh") -> go.Figure:
    """Bars of ``key`` for every row of ``stats`` (named by column ``label``), the worst on top.

    Rates run over 0–100 % (scores over 0–100), so a gap of a point looks like one; units missing the target are
    red, the others teal; the target is a dashed line whose label sits above the plot, clear of the bars'
    values (written inside the bars' ends).
    """
    rate = indicators.is_rate(key)
    scale = 100.0 if rate else 1.0
    goal = indicators.target(key, s)
    down = indicators.INDICATORS[key].direction == "down"
    data = stats.dropna(subset=[key]).sort_values(key, ascending=not down)  # worst first
    values = data[key].astype(float) * scale
    missed = [indicators.breach(v, key, s) for v in data[key]]
    fig = go.Figure(
        go.Bar(
            y=data[label],
            x=values,
            orientation="h",
            marker_color=[BREACH if m else MET for m in missed],
            text=[indicators.fmt(v, key) for v in data[key]],
            textposition="inside",
            insidetextanchor="end",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    top = 100.0 if rate or key.endswith("satisfaction") else max(float(values.max()) * 1.1, 1.0) if len(data) else 1.0
    fig.update_xaxes(range=[0, top], title=t(key, lang) + (" (%)" if rate else ""))
    if goal is not None:
        fig.add_vline(
            x=goal * scale,
            line_dash="dash",
            line_color=TARGET_LINE,
            annotation_text=f"{t('target', lang)} {indicators.fmt(goal, key)}",
            annotation_position="top left",  # the label reads leftwards from the line: never cut at the edge
            annotation_yref="paper",
            annotation_y=1.0,
            annotation_yanchor="bottom",
            annotation_font_color=TARGET_LINE,
        )
    fig = style(fig, height=ROW_PX * len(data) + 110)
    fig.update_layout(margin={"t": 40})
    return fig
