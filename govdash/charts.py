"""plotly figure builders. They take DataFrames and return figures; they never import streamlit."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from govdash.i18n import t
from govdash.indicators import is_rate

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PALETTE = [
    "#4cc9f0",
    "#f72585",
    "#ffd166",
    "#06d6a0",
    "#b5179e",
    "#f8961e",
    "#90be6d",
    "#577590",
    "#e76f51",
    "#8ecae6",
    "#c77dff",
    "#ff99c8",
]


def style(fig: go.Figure, *, height: int = 380, title: str | None = None) -> go.Figure:
    """House style: dark-friendly, large type, CJK font stack, no plotly logo fetches."""
    fig.update_layout(
        template="plotly_dark",
        height=height,
        title=title,
        font={"family": FONT, "size": 15},
        margin={"l": 50, "r": 20, "t": 50 if title else 20, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
        colorway=PALETTE,
    )
    if any(_is_dates(getattr(tr, "x", None)) for tr in fig.data):
        fig.update_xaxes(tickformatstops=DATE_TICKS)
    return plain_text(fig)


def _plain(value):
    return html.escape(value, quote=False) if isinstance(value, str) else value


def plain_text(fig: go.Figure) -> go.Figure:
    """Escape the figure's names, category labels, titles and annotations so they draw as typed.

    Why: plotly renders ``<a href>``, ``<b>``, ``<br>`` in any of these, and they carry data (unit,
    department and category names, anomaly texts); a name must never become a link. Trace ``text``
    and hover templates are left alone: the builders write their own ``<br>`` there.
    """
    for tr in fig.data:
        if isinstance(getattr(tr, "name", None), str):
            tr.name = _plain(tr.name)
        for axis in ("x", "y", "labels"):
            values = getattr(tr, axis, None) if axis in tr else None
            if values is not None and len(values) and np.asarray(values).dtype.kind in "OU":
                tr[axis] = [_plain(v) for v in values]
    for note in fig.layout.annotations:
        note.text = _plain(note.text)
    if fig.layout.title.text:
        fig.layout.title.text = _plain(fig.layout.title.text)
    return fig


# numeric dates on time axes: plotly's default ticks ("Nov 2025") are English in the Chinese UI
DAY_MS = 86_400_000
DATE_TICKS = [
    {"dtickrange": [None, DAY_MS], "value": "%m-%d %H:%M"},
    {"dtickrange": [DAY_MS, 28 * DAY_MS], "value": "%m-%d"},
    {"dtickrange": [28 * DAY_MS, 365 * DAY_MS], "value": "%Y-%m"},
    {"dtickrange": [365 * DAY_MS, None], "value": "%Y"},
]


def _is_dates(x) -> bool:
    # datetime64 arrays, and datetime.date objects (a DATE column read as objects): both are drawn as dates
    return x is not None and len(x) > 0 and pd.api.types.infer_dtype(list(x[:1])) in ("datetime64", "datetime", "date")


def trend_lines(
    df: pd.DataFrame,
    indicator: str,
    *,
    lang: str = "zh",
    target: float | None = None,
    series_labels: dict | None = None,
    height: int = 380,
) -> go.Figure:
    """One line per series (or a single line) of ``indicator`` over ``period``; target line dashed."""
    fig = go.Figure()
    scale = 100 if is_rate(indicator) else 1
    if "series" in df:
        for key, grp in df.groupby("series", sort=False):
            name = (series_labels or {}).get(key, key)
            fig.add_trace(go.Scatter(x=grp["period"], y=grp[indicator] * scale, mode="lines+markers", name=str(name)))
    else:
        fig.add_trace(
            go.Scatter(
                x=df["period"],
                y=df[indicator] * scale,
                mode="lines+markers",
                name=t(indicator, lang),
                line={"width": 3},
            )
        )
    if target is not None:
        fig.add_hline(
            y=target * scale,
            line_dash="dash",
            line_color="#ffd166",
            annotation_text=f"{t('target', lang).lower()} {target * scale:g}",
        )
    fig.update_yaxes(title=t(indicator, lang) + (" (%)" if scale == 100 else ""))
    return style(fig, height=height)


def bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    lang: str = "zh",
    height: int = 380,
    horizontal: bool = True,
    color: str = "#4cc9f0",
) -> go.Figure:
    """A ranking bar chart of ``y`` by label column ``x``."""
    scale = 100 if is_rate(y) else 1
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


def stacked_share(
    df: pd.DataFrame, x: str, parts: list[str], labels: dict[str, str], *, height: int = 380
) -> go.Figure:
    """Stacked shares (0-100 %) of ``parts`` columns over ``x``."""
    total = df[parts].sum(axis=1).where(lambda s: s > 0)
    fig = go.Figure()
    for p in parts:
        fig.add_trace(go.Bar(x=df[x], y=df[p] / total * 100, name=labels.get(p, p)))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="%", range=[0, 100])
    return style(fig, height=height)


# --- trends, rankings, lifecycle, survey (issue 4) ---

BREACH = "#ff4d6d"
TARGET_LINE = "#ffd166"
RED_LIST, BLACK_LIST, NEUTRAL = "#e63946", "#9aa5b1", "#4c6a92"  # 红榜 red, 黑榜 dark; the rest muted


def _scaled(key: str, values: pd.Series) -> pd.Series:
    from govdash.indicators import INDICATORS

    return values * 100 if INDICATORS[key].kind == "rate" else values


def _missed(key: str, values: pd.Series, target: float | None) -> pd.Series:
    from govdash.indicators import INDICATORS

    if target is None:
        return pd.Series(False, index=values.index)
    return values > target if INDICATORS[key].direction == "down" else values < target


def _add_series(
    fig: go.Figure,
    x,
    y: pd.Series,
    key: str,
    target: float | None,
    *,
    partial=None,
    name: str = "",
    color: str = PALETTE[0],
    row: int | None = None,
    col: int | None = None,
    bar: bool = False,
    showlegend: bool = False,
    lang: str = "zh",
) -> None:
    """One indicator series: line (or bars, pale for incomplete periods), target dashed, misses marked ×."""
    from govdash.indicators import INDICATORS

    pos = {"row": row, "col": col} if row else {}
    ys = _scaled(key, y)
    partial = pd.Series(False, index=y.index) if partial is None else partial.fillna(False).astype(bool)
    if bar:
        fig.add_trace(
            go.Bar(
                x=x,
                y=ys,
                name=name,
                marker_color=color,
                showlegend=showlegend,
                marker_opacity=[0.45 if p else 1.0 for p in partial],
            ),
            **pos,
        )
    else:
        # a rate of a running period is not comparable yet (its cases are still being handled): not drawn
        fig.add_trace(
            go.Scatter(
                x=x,
                y=ys.where(~partial),
                mode="lines+markers",
                name=name,
                showlegend=showlegend,
                line={"color": color, "width": 2},
                marker={"color": color, "size": 6},
            ),
            **pos,
        )
    if target is not None:
        tv = target * 100 if INDICATORS[key].kind == "rate" else target
        fig.add_trace(
            go.Scatter(
                x=[x.min(), x.max()] if len(x) else [],
                y=[tv, tv],
                mode="lines",
                line={"color": TARGET_LINE, "dash": "dash", "width": 1},
                hoverinfo="skip",
                showlegend=False,
                name=t("target", lang),
            ),
            **pos,
        )
        miss = _missed(key, y, target) & y.notna() & ~partial  # a running period has not missed yet
        if miss.any():
            fig.add_trace(
                go.Scatter(
                    x=x[miss],
                    y=ys[miss],
                    mode="markers",
                    showlegend=False,
                    name=t("breach", lang),
                    hovertemplate="%{x}<br>%{y:.1f} " + t("breach", lang),
                    marker={"color": BREACH, "size": 10, "symbol": "x"},
                ),
                **pos,
            )


def indicator_grid(
    table: pd.DataFrame,
    keys: list[str],
    *,
    lang: str = "zh",
    targets: dict | None = None,
    cols: int = 3,
    height_per_row: int = 230,
) -> go.Figure:
    """Small multiples, one panel per indicator over ``period``: targets dashed, misses as red ×."""
    from plotly.subplots import make_subplots

    from govdash.indicators import INDICATORS

    rows = -(-len(keys) // cols)
    titles = [t(k, lang) + (" (%)" if INDICATORS[k].kind == "rate" else "") for k in keys]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        shared_xaxes=True,
        vertical_spacing=0.5 / rows / 1.6,
        horizontal_spacing=0.06,
    )
    for i, k in enumerate(keys):
        r, c = i // cols + 1, i % cols + 1
        _add_series(
            fig,
            table["period"],
            table[k].astype(float),
            k,
            (targets or {}).get(k),
            partial=table.get("partial"),
            row=r,
            col=c,
            bar=INDICATORS[k].kind == "count",
            color=PALETTE[i % len(PALETTE)],
            lang=lang,
        )
    fig.update_layout(bargap=0.15)
    fig.update_annotations(font_size=14)
    return style(fig, height=rows * height_per_row)


def split_panel(
    table: pd.DataFrame,
    key: str,
    *,
    lang: str = "zh",
    target: float | None = None,
    labels: dict | None = None,
    facet_over: int = 6,
    cols: int = 4,
    height_per_row: int = 170,
) -> go.Figure:
    """One indicator by series: overlaid lines for a few series, small multiples (one panel each) for many.

    Series are ordered by collected cases, largest first; panels share the y axis so they compare.
    """
    from plotly.subplots import make_subplots

    order = table.groupby("series", dropna=False)["collected"].sum().sort_values(ascending=False).index.tolist()
    name = lambda s: str((labels or {}).get(s, s))  # noqa: E731
    if len(order) <= facet_over:
        fig = go.Figure()
        for i, s in enumerate(order):
            g = table[table["series"] == s]
            _add_series(
                fig,
                g["period"],
                g[key].astype(float),
                key,
                target if i == 0 else None,
                partial=g.get("partial"),
                name=name(s),
                color=PALETTE[i % len(PALETTE)],
                showlegend=True,
                lang=lang,
            )
            if target is not None and i > 0:
                miss = _missed(key, g[key].astype(float), target) & g[key].notna() & ~g["partial"].astype(bool)
                if miss.any():
                    fig.add_trace(
                        go.Scatter(
                            x=g["period"][miss],
                            y=_scaled(key, g[key].astype(float))[miss],
                            mode="markers",
                            showlegend=False,
                            hoverinfo="skip",
                            marker={"color": BREACH, "size": 10, "symbol": "x"},
                        )
                    )
        fig.update_yaxes(title=t(key, lang))
        return style(fig, height=460)
    rows = -(-len(order) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[name(s) for s in order],
        shared_xaxes=True,
        shared_yaxes=True,
        vertical_spacing=0.5 / rows / 1.3,
        horizontal_spacing=0.03,
    )
    for i, s in enumerate(order):
        g = table[table["series"] == s]
        _add_series(
            fig,
            g["period"],
            g[key].astype(float),
            key,
            target,
            partial=g.get("partial"),
            name=name(s),
            row=i // cols + 1,
            col=i % cols + 1,
            color=PALETTE[0],
            lang=lang,
        )
    fig.update_annotations(font_size=12)
    fig.update_yaxes(matches="y")  # one scale for every panel, so panels compare at a glance
    fig = style(fig, height=max(320, rows * height_per_row))
    fig.update_layout(margin={"t": 40})
    return fig


def ranking_bars(ranked: pd.DataFrame, label: str, *, lang: str = "zh", height: int | None = None) -> go.Figure:
    """Composite scores, best on top: red list red, black list dark, 1.0 (every target met) dashed; each score's
    interval (the band's basis, ``score_lo`` – ``score_hi``) as a whisker and the district's own score dotted
    (what the lists compare with), when the ranking has them."""
    ok = ranked[ranked["eligible"]].sort_values(["rank", "score"], ascending=[True, False])
    colours = [{"red": RED_LIST, "black": BLACK_LIST}.get(x, NEUTRAL) for x in ok["list"]]
    spread = "score_lo" in ok and bool((ok["score_hi"] > ok["score_lo"]).any())
    fig = go.Figure(
        go.Bar(
            y=ok[label],
            x=ok["score"],
            orientation="h",
            marker_color=colours,
            text=None if spread else [f"{v:.3f}" for v in ok["score"]],
            textposition="outside",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (ok["score_hi"] - ok["score"]).tolist(),
                "arrayminus": (ok["score"] - ok["score_lo"]).tolist(),
                "color": TARGET_LINE,
                "thickness": 1.5,
                "width": 3,
            }
            if spread
            else None,
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    if spread:  # the score right of its whisker: inside the bar it sat under the whisker and the lines
        fig.add_scatter(
            y=ok[label],
            x=ok["score_hi"],
            mode="text",
            text=[f" {v:.3f}" for v in ok["score"]],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    fig.add_vline(x=1.0, line_dash="dash", line_color=TARGET_LINE)
    whole = ranked["district_score"].dropna() if "district_score" in ranked else pd.Series(dtype=float)
    if spread and len(whole):
        fig.add_vline(
            x=float(whole.iloc[0]),
            line_dash="dot",
            line_color=NEUTRAL,
            annotation_text=t("district", lang),
            annotation_position="top",
        )
    low = ok["score_lo"] if spread else ok["score"]
    high = ok["score_hi"] if spread else ok["score"]
    lo = float(low.min()) if len(ok) else 0.8
    hi = float(high.max()) + (0.06 if spread else 0.03) if len(ok) else 1.2  # room for the scores' text
    fig.update_xaxes(range=[min(0.95, lo - 0.02), hi], title=t("score", lang))
    fig.update_yaxes(autorange="reversed")
    return style(fig, height=height or max(300, 22 * len(ok) + 80))


def funnel_chart(fun: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Cases reaching each lifecycle stage, with share of registered and median hours of the leg into it."""
    text = []
    for r in fun.itertuples():
        h = "" if pd.isna(r.median_hours) else f" · {t('median_word', lang)} {r.median_hours:.1f} h"
        text.append(f"{r.count:,} ({r.share * 100:.1f}%){h}" if pd.notna(r.share) else f"{r.count:,}")
    fig = go.Figure(
        go.Funnel(
            y=[t(s, lang) for s in fun["stage"]],
            x=fun["count"],
            text=text,
            textinfo="text",
            marker={"color": PALETTE[: len(fun)]},
        )
    )
    return style(fig, height=360)


def tier_area(shares: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Stacked shares (%) of closed cases by escalation tier over time."""
    fig = go.Figure()
    for i, tier in enumerate(("community", "street", "district")):
        fig.add_trace(
            go.Scatter(
                x=shares["period"],
                y=shares[tier] * 100,
                name=t(f"{tier}_tier", lang),
                stackgroup="one",
                mode="lines",
                line={"width": 0.5, "color": PALETTE[i]},
            )
        )
    fig.update_yaxes(range=[0, 100], title="%")
    return style(fig, height=360)


def survey_heatmap(matrix: pd.DataFrame, *, lang: str = "zh", highlight: tuple = ()) -> go.Figure:
    """Town × dimension survey scores with values written in; highlighted towns marked ▶."""
    y = [("▶ " if n in highlight else "") + str(n) for n in matrix.index]
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[t(c, lang) for c in matrix.columns],
            y=y,
            colorscale="RdYlBu",
            text=matrix.round(1).to_numpy(),
            texttemplate="%{text}",
            textfont={"size": 11},
            colorbar={"title": ""},
            hoverongaps=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig = style(fig, height=max(360, 20 * len(matrix) + 80))
    fig.update_layout(margin={"l": 110})
    return fig


def spread_band(
    spread: pd.DataFrame, towns: pd.DataFrame | None = None, *, lang: str = "zh", target: float | None = None
) -> go.Figure:
    """Overall survey score per quarter: band from the lowest to the highest town, median line, chosen towns."""
    s = spread[spread["dimension"] == "overall"].sort_values("quarter")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=s["quarter"],
            y=s["max"],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            customdata=s["max_town"],
            hovertemplate="%{x} %{customdata}: %{y:.1f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s["quarter"],
            y=s["min"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(76,201,240,0.25)",
            name=f"{t('lowest', lang)}–{t('highest', lang)}",
            customdata=s["min_town"],
            hovertemplate="%{x} %{customdata}: %{y:.1f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s["quarter"],
            y=s["median"],
            mode="lines+markers",
            name=t("median", lang),
            line={"color": PALETTE[0], "width": 3},
        )
    )
    chosen = towns if towns is not None else pd.DataFrame(columns=["name_zh", "quarter", "score"])
    for i, (name, g) in enumerate(chosen.groupby("name_zh")):
        fig.add_trace(
            go.Scatter(
                x=g["quarter"],
                y=g["score"],
                mode="lines+markers",
                name=str(name),
                line={"color": PALETTE[(i + 1) % len(PALETTE)], "width": 2},
            )
        )
    if target is not None:
        fig.add_hline(
            y=target, line_dash="dash", line_color=TARGET_LINE, annotation_text=f"{t('target', lang)} {target:g}"
        )
    fig.update_yaxes(title=t("survey", lang))
    return style(fig, height=360)


def governance_bars(progress: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """Governance index sub-domains: this year against the previous year."""
    p = progress[progress["subdomain"] != "progress"]
    labels = [t(x, lang) for x in p["subdomain"]]
    fig = go.Figure(
        [
            go.Bar(y=labels, x=p["previous"], orientation="h", name=t("previous_year", lang), marker_color=NEUTRAL),
            go.Bar(
                y=labels,
                x=p["score"],
                orientation="h",
                name=t("this_period", lang),
                marker_color=PALETTE[0],
                text=[
                    f"{v:.2f} ({c:+.2f})" if pd.notna(c) else f"{v:.2f}"
                    for v, c in zip(p["score"], p["change"], strict=True)
                ],
                textposition="outside",
            ),
        ]
    )
    lo = float(pd.concat([p["score"], p["previous"]]).min()) if len(p) else 0
    fig.update_xaxes(range=[max(0, lo - 5), 100])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(barmode="group")
    return style(fig, height=360)


def case_timeline(events: pd.DataFrame, *, lang: str = "zh") -> go.Figure:
    """A case's stages on a time axis; the deadline dashed (red when the case closed or is still open after it).

    Labels alternate above and below the line so stages minutes apart stay readable; an open
    case's last stretch up to "now" is dashed.
    """
    stages = events[~events["event"].isin(["deadline", "now"])].reset_index(drop=True)
    fig = go.Figure(
        go.Scatter(
            x=stages["time"],
            y=[0] * len(stages),
            mode="lines+markers+text",
            text=[f"{t(e, lang)}<br>{h:.1f} h" for e, h in zip(stages["event"], stages["hours"], strict=True)],
            textposition=["top center" if i % 2 == 0 else "bottom center" for i in range(len(stages))],
            marker={"size": 14, "color": PALETTE[0]},
            line={"color": PALETTE[0], "width": 3},
            hoverinfo="x+text",
        )
    )
    now = events[events["event"] == "now"]
    if len(now) and len(stages):
        fig.add_trace(
            go.Scatter(
                x=[stages["time"].iloc[-1], now["time"].iloc[0]],
                y=[0, 0],
                mode="lines",
                line={"color": BREACH, "width": 2, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    end = events["time"].max()
    for _, r in events[events["event"].isin(["deadline", "now"])].iterrows():
        late = r["event"] == "deadline" and end > r["time"]
        colour = BREACH if late else TARGET_LINE
        fig.add_vline(x=r["time"], line_dash="dash", line_color=colour)
        fig.add_annotation(
            x=r["time"], y=0.95, text=t(r["event"], lang), showarrow=False, xanchor="right", font={"color": colour}
        )
    fig.update_yaxes(visible=False, range=[-1, 1.1])
    fig.update_layout(showlegend=False)
    return style(fig, height=260)


def spike_chart(daily: pd.DataFrame, start, end, *, title: str = "") -> go.Figure:
    """Daily cases of one series with the spike's days shaded."""
    fig = go.Figure(go.Scatter(x=daily["date"], y=daily["count"], mode="lines+markers", line={"color": PALETTE[0]}))
    fig.add_vrect(
        x0=pd.Timestamp(start) - pd.Timedelta(hours=12),
        x1=pd.Timestamp(end) + pd.Timedelta(hours=12),
        fillcolor=BREACH,
        opacity=0.25,
        line_width=0,
    )
    return style(fig, height=300, title=title or None)
