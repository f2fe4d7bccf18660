"""Leaders' period briefings (周例会, 月研判, 季总结, 年考核) from one template as HTML or PDF; the anomaly list."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from govdash import (
    catalogue,
    district_record,
    indicators,
    keycases,
    lifecycle,
    mustreport,
    pdf,
    periods,
    queries,
    queries_trend,
    rankings,
    render,
    settings,
    supervision,
    survey,
    svg,
)
from govdash.anomalies import detect_spikes
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import t
from govdash.schema import SURVEY_DIMENSIONS

SPIKE_KEYS = ("category", "town")


def anomaly_list(
    db: Database, f: Filters, *, lang: str = "zh", baseline_weeks: int = 8, threshold: float = 3.5, min_count: int = 5
) -> pd.DataFrame:
    """Spikes of daily cases per category × street/town that overlap the filter period, newest first.

    Each day is tested against the same weekday of the previous ``baseline_weeks`` weeks
    (anomalies.detect_spikes), so the query reaches back that far before ``f.start``. Columns:
    ``category``, ``town_id``, their labels ``category_name`` and ``town``, the event figures of
    detect_spikes (start, end, days, observed, expected, excess, ratio, peak_date, peak_count,
    max_z) and ``text``, one line for a ticker.
    """
    hist = f.with_(start=f.start - timedelta(days=7 * baseline_weeks))
    daily = queries_trend.daily_counts(db, hist, SPIKE_KEYS)
    cols = [queries.SPLITS[k] for k in SPIKE_KEYS]
    ev = detect_spikes(daily, keys=cols, baseline_weeks=baseline_weeks, threshold=threshold, min_count=min_count)
    if not ev.empty:
        ev = ev[(ev["end"] >= pd.Timestamp(f.start)) & (ev["start"] <= pd.Timestamp(f.end))]
    names = queries.unit_names(db).get("town", {})
    cat = catalogue.read(db)
    ev = ev.assign(
        town=ev["town_id"].map(names).fillna(ev["town_id"]),
        category_name=ev["category"].map(lambda c: cat.name("category", c, lang)),
    )
    ev["text"] = [_spike_text(r, lang) for r in ev.itertuples()]
    return ev.sort_values(["start", "excess"], ascending=[False, False]).reset_index(drop=True)


def _spike_text(r, lang: str) -> str:
    usual = r.expected >= 1 and pd.notna(r.ratio)
    base = t("spike_usual", lang).format(e=r.expected, r=r.ratio) if usual else t("spike_rare", lang)
    start = t("spike_date", lang).format(d=r.start)
    return t("spike_text", lang).format(
        start=start, town=r.town, category=r.category_name, days=r.days, n=r.observed, base=base
    )


_part = partial(render.macro, "briefing_parts.html")  # one macro of the sections' template


def _table(headers: list[str], rows: list[list], classes: list[str] | None = None, nowrap: int = 0) -> Markup:
    """An HTML table; every cell escaped (descriptions and names are user text); the first ``nowrap`` cells unbroken."""
    return _part("table", [str(h) for h in headers], [[str(c) for c in row] for row in rows], classes, nowrap)


def _headline(db, f, prev, at, s, lang, kind: str = "month") -> str:
    cmp = indicators.headline(db, f, at, s, lang, previous=prev)
    status = [
        (t("breach", lang) if b else t("met", lang)) if goal else ""
        for b, goal in zip(cmp["breach"], cmp["target"], strict=True)
    ]
    rows = cmp[["indicator", "value", "previous", "change", "year_before", "change_yoy", "target"]].values.tolist()
    rows = [[*r, st] for r, st in zip(rows, status, strict=True)]
    heads = [
        t("indicator", lang),
        t(f"this_{kind}", lang),
        t(f"previous_{kind}", lang),
        t("change", lang),
        t("year_before", lang),
        t("change", lang),
        t("target", lang),
        "",
    ]
    return _table(heads, rows, ["breach" if b else "" for b in cmp["breach"]], nowrap=len(heads))


# the trend charts of each report: (step of the chart, how far back its first step starts)
TREND_STEPS = {
    "week": ("week", pd.DateOffset(weeks=12)),
    "month": ("month", pd.DateOffset(months=12)),
    "quarter": ("quarter", pd.DateOffset(months=21)),
    "year": ("month", pd.DateOffset(months=12)),
}


def _trend_charts(db, f, at, s, lang, kind: str = "month") -> str:
    step, back = TREND_STEPS[kind]
    start = (pd.Timestamp(f.start) - back).date()
    w = f.with_(start=start)
    table = indicators.period_table(
        queries_trend.period_indicators(db, w, step, at),
        queries_trend.open_backlog(db, w, step, at),
        w,
        step,
        at,
    )
    labels = [indicators.period_label(p, step)[2:] for p in table["period"]]
    table = indicators.judged(db, table, w, step, at)
    charts = []
    for key, bars in (
        ("collected", True),
        ("resolution_rate", False),
        ("on_time_rate", False),
        ("dispute_rate", False),
        ("median_hours", False),
        ("backlog", True),
    ):
        ind = indicators.INDICATORS[key]
        vals = [None if pd.isna(v) else float(v) for v in table[key]] if key in table else []
        charts.append(
            svg.line_chart(
                labels,
                vals,
                title=t(key, lang),
                target=indicators.target(key, s),
                lower_is_better=ind.direction == "down",
                pct=ind.kind == "rate",
                bars=bars,
            )
        )
    return _part("charts", charts) + _part("note", t("report_judged_note", lang))


def _rankings(db, f, prev, at, s, lang) -> str:
    """Each ranking's top and bottom lists (排名前/后五位: lists by score, not verdicts) and the towns' bar chart."""
    out = []
    for level in rankings.LEVELS:
        ranked = rankings.ranking(db, f, level, at, s, previous=prev)
        ranked = ranked.assign(label=rankings.names(ranked, level, lang))
        heads = [
            t("rank_band", lang),
            t("town" if level == "town" else "department", lang),
            t("score", lang),
            t("movement", lang),
            t("collected", lang),
            t("resolution_rate", lang),
            t("on_time_rate", lang),
            t("median_hours", lang),
        ]
        blocks = []
        for lst, key in (("red", "red_list"), ("black", "black_list")):
            part = ranked[ranked["list"] == lst]
            rows = [
                [
                    f"{int(r['rank'])}",
                    r["label"],
                    f"{r['score']:.3f}",
                    rankings.movement_text(r["movement"], lang, r.get("movement_known", True)),
                    indicators.fmt(r["collected"], "collected"),
                    indicators.fmt(r["resolution_rate"], "resolution_rate"),
                    indicators.fmt(r["on_time_rate"], "on_time_rate"),
                    indicators.fmt(r["median_hours"], "median_hours"),
                ]
                for _, r in part.iterrows()
            ]
            apart = s.ranking_method == "adjusted"  # lists of units apart from the district (rankings.red_black)
            title = rankings.list_title(
                key, len(rows) if apart else len(rows) or s.ranking_list_size, lang, apart=apart
            )
            blocks.append({"title": title, "table": _table(heads, rows, [lst] * len(rows))})
        title = t("town_ranking" if level == "town" else "department_ranking", lang)
        ok = ranked[ranked["eligible"]]
        chart = (
            svg.hbar_chart(
                ok["label"].tolist(),
                ok["score"].tolist(),
                title=title,
                ref=1.0,
                colors=[{"red": svg.RED_LIST, "black": svg.BLACK_LIST}.get(x, svg.NEUTRAL) for x in ok["list"]],
            )
            if level == "town"
            else ""
        )
        out.append(_part("ranking", title, blocks, chart))
    out.append(_part("note", t("bottom_note", lang).format(title=rankings.black_list_name(s, lang))))
    if s.ranking_method == "adjusted":
        out.append(_part("note", rankings.band_text(ranked, s, lang)))
    return Markup("").join(out)


def _frame(df: pd.DataFrame, nowrap: int = 1) -> str:
    """A display DataFrame (headers from the label table) as an escaped table."""
    return _table(list(df.columns), df.values.tolist(), nowrap=nowrap)


def _supervision(db, f, lang) -> str:
    """The recorded 挂牌督办 decisions up to the period's end, newest first (decisions, never a rank)."""
    df = supervision.listed(db, f.end, lang)
    if df.empty:
        return _part("note", t("sup_none", lang))
    return _frame(df)


def _must_report(db, f, at, lang) -> str:
    """八必报 of the period: the totals line, every item, the streets/towns with most items, the 口径."""
    mr = mustreport.summary(db, f, at, lang)
    if mr.empty:
        return _part("note", t("mr_none", lang))
    items = mustreport.table(mr.items, lang)
    towns = mustreport.table(mr.towns.head(10), lang, "mr_by_town")
    return Markup("").join(
        [
            _part("note", mustreport.total_text(mr, lang)),
            _table(list(items.columns), items.values.tolist()),
            _table(list(towns.columns), towns.values.tolist()),
            _part("note", t("mr_caliber", lang)),
        ]
    )


def _key_cases(db, f, cut, lang) -> str:
    """重点难点 as they stood at the period's end: the counts per status, then every key case, the most pressing
    first (keycases.listing)."""
    kc = keycases.key_cases(db, f, cut)
    if kc.empty:
        return _part("note", t("kc_none", lang))
    shown = keycases.table(keycases.listing(kc), lang)
    return _part("note", keycases.status_line(keycases.counts(kc), lang)) + _table(
        list(shown.columns), shown.values.tolist()
    )


def _anomalies(db, f, lang) -> str:
    ev = anomaly_list(db, f, lang=lang)
    if ev.empty:
        return _part("note", t("no_anomalies", lang))
    ev = ev.sort_values("excess", ascending=False).head(12)
    rows = [
        [
            f"{r.start:%Y-%m-%d}",
            r.days,
            r.town,
            r.category_name,
            f"{r.observed:,}",
            f"{r.expected:.0f}",
            f"{r.ratio:.1f}" if pd.notna(r.ratio) else "—",
        ]
        for r in ev.itertuples()
    ]
    return _table(
        [
            t("start", lang),
            t("days", lang),
            t("town", lang),
            t("category", lang),
            t("observed", lang),
            t("expected", lang),
            t("ratio", lang),
        ],
        rows,
        nowrap=1,
    )


def _lifecycle(db, f, at, lang, kind: str = "month") -> str:
    fun = lifecycle.funnel_data(db, f)
    rows = [
        [
            t(r.stage, lang),
            f"{r.count:,}",
            indicators.fmt(r.share, "resolution_rate"),
            indicators.fmt(r.median_hours, "median_hours"),
            indicators.fmt(r.p90_hours, "median_hours"),
        ]
        for r in fun.itertuples()
    ]
    table = _table(
        [
            t("stage", lang),
            t("cases", lang),
            t("share_registered", lang),
            t("median_hours_leg", lang),
            t("p90_hours_leg", lang),
        ],
        rows,
    )
    tiers = lifecycle.tier_shares(queries_trend.period_indicators(db, f, kind, at, "tier"))
    share = ""
    if not tiers.empty:
        r = tiers.iloc[-1]
        share = " · ".join(
            f"{t(k + '_tier', lang)} {indicators.fmt(r[k], 'resolution_rate')}"
            for k in ("community", "street", "district")
        )
        share = _part("shares", t("tier_share", lang), share)
    return table + share


def _overdue(db, f, at, lang) -> str:
    df = lifecycle.oldest(db, f, at, overdue_only=True, limit=10, lang=lang)
    if df.empty:
        return _part("note", t("no_overdue", lang))
    rows = []
    for r in df.itertuples():
        d = queries_trend.case_timeline(db, r.case_id)
        desc = str(d.at[0, "description"]) if len(d) and pd.notna(d.at[0, "description"]) else ""
        rows.append(
            [
                r.case_id,
                f"{r.reported_at:%Y-%m-%d}",
                f"{r.overdue_days:.0f}",
                r.town,
                r.category_name,
                r.department,
                t(f"{r.tier}_tier", lang),
                desc[:48] + ("…" if len(desc) > 48 else ""),
            ]
        )
    return _table(
        [
            t("case", lang),
            t("reported_at", lang),
            t("days_overdue", lang),
            t("town", lang),
            t("category", lang),
            t("department", lang),
            t("tier", lang),
            t("description", lang),
        ],
        rows,
        nowrap=4,
    )


def _survey(db, f, lang) -> str:
    scores = queries_trend.survey_scores(db)
    out = []
    q = survey.latest_quarter(scores, f.end) if not scores.empty else None
    if q:
        sp = survey.spread(scores)
        sp = sp[sp["quarter"] == q]
        order = ["overall", *SURVEY_DIMENSIONS]
        sp = sp.set_index("dimension").reindex([d for d in order if d in set(sp["dimension"])]).reset_index()
        rows = [
            [
                t(r.dimension, lang),
                f"{r.median:.1f}",
                f"{r.min:.1f} ({r.min_town})",
                f"{r.max:.1f} ({r.max_town})",
                f"{r.range:.1f}",
            ]
            for r in sp.itertuples()
        ]
        out.append(
            _part(
                "titled",
                f"{t('survey', lang)} · {q}",
                _table(
                    [t("dimension", lang), t("median", lang), t("lowest", lang), t("highest", lang), t("spread", lang)],
                    rows,
                ),
            )
        )
    gov = queries_trend.governance_scores(db)
    if not gov.empty:
        g = survey.governance_progress(gov)
        rows = [
            [
                t(r.subdomain, lang),
                f"{r.score:.2f}",
                "—" if pd.isna(r.previous) else f"{r.previous:.2f}",
                "—" if pd.isna(r.change) else f"{r.change:+.2f}",
            ]
            for r in g.itertuples()
        ]
        out.append(
            _part(
                "titled",
                f"{t('governance', lang)} · {int(gov['year'].max())}",
                _table([t("subdomain", lang), t("score", lang), t("previous_year", lang), t("change", lang)], rows),
            )
        )
    return Markup("").join(out) or _part("note", t("no_data", lang))


def build(
    db: Database,
    when: str | periods.Period,
    *,
    period: str = "month",
    lang: str = "zh",
    s: settings.Settings | None = None,
) -> str:
    """The briefing for one whole period as a self-contained HTML document (inline CSS and SVG charts).

    ``when`` is a ``periods.Period`` or the text ``periods.parse`` reads for ``period`` (week, month,
    quarter, year: e.g. '2026-02' for a month, a day for the week containing it). Every kind is the
    same template and sections; the trend charts step by the report's own rhythm (TREND_STEPS) and
    the headline compares with the period before and the same period a year earlier, at the same age.
    """
    s = s or settings.load()
    p = when if isinstance(when, periods.Period) else periods.parse(period, when)
    f, prev = p.filters(), p.previous().filters()
    at = queries.as_of(db)
    m = queries.meta(db)
    cut = queries.cutoff(f, at)
    notes = []
    if m.get("synthetic") == "true":
        notes.append(t("synthetic", lang))
    if cut + timedelta(minutes=1) <= datetime.combine(f.end + timedelta(days=1), datetime.min.time()):  # as periods
        notes.append(f"{t(f'partial_{p.kind}', lang)} {cut:%Y-%m-%d %H:%M}")
    sections = [
        ("headline", t("sec_headline", lang), _headline(db, f, prev, at, s, lang, p.kind)),
        ("trends", t(f"sec_trends_{p.kind}", lang), _trend_charts(db, f, at, s, lang, p.kind)),
        ("rankings", t("sec_rankings", lang), _rankings(db, f, prev, at, s, lang)),
        ("supervision", t("sec_supervision", lang), _supervision(db, f, lang)),
        ("anomalies", t("sec_anomalies", lang), _anomalies(db, f, lang)),
        ("overdue", t("sec_overdue", lang), _overdue(db, f, at, lang)),
        ("lifecycle", t("sec_lifecycle", lang), _lifecycle(db, f, at, lang, p.kind)),
        ("survey", t("sec_survey", lang), _survey(db, f, lang)),
        ("must_report", t("mr_title", lang), _must_report(db, f, at, lang)),
        ("key_cases", t("kc_title", lang), _key_cases(db, f, cut, lang)),
        ("definitions", t("definitions", lang), _part("definitions", indicators.definitions(lang))),
    ]
    return str(
        render.page(
            "briefing.html",
            html_lang=t("html_lang", lang),
            title=f"{t(f'report_title_{p.kind}', lang)} · {p.label(lang)}",
            district=district_record.read(db).name(lang),
            period_label=t("period", lang),
            start=f.start,
            end=f.end,
            as_of_label=t("data_as_of", lang),
            as_of=f"{at:%Y-%m-%d %H:%M}",
            vs_label=t("vs_previous", lang),
            prev_start=prev.start,
            prev_end=prev.end,
            notices=notes,
            footer=t("briefing_footer", lang).format(n=len(sections)),
            sections=[{"id": sid, "title": title, "html": html} for sid, title, html in sections],
        )
    )


FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


class FormatError(ValueError):
    """An output file whose extension names no report format."""


def output_format(out: str | Path) -> str:
    """'pdf' or 'html' from the file's extension; FormatError for anything else."""
    ext = Path(out).suffix.lower()
    if ext not in FORMATS:
        raise FormatError(f"the report's format follows the file's extension, .pdf or .html: got {Path(out).name!r}")
    return FORMATS[ext]


MIME = {"pdf": "application/pdf", "html": "text/html"}


def document(
    db: Database, when: str | periods.Period, fmt: str, *, lang: str = "zh", s: settings.Settings | None = None
) -> bytes:
    """The briefing as the bytes of a download: ``fmt`` 'pdf' (pdf.to_bytes) or 'html' (UTF-8)."""
    s = s or settings.load()
    if fmt not in MIME:
        raise FormatError(f"format must be pdf or html: got {fmt!r}")
    html = build(db, when, lang=lang, s=s)
    return pdf.to_bytes(html, chromium=s.chromium) if fmt == "pdf" else html.encode("utf-8")


def write(
    db: Database,
    when: str | periods.Period,
    out: str | Path,
    *,
    period: str = "month",
    lang: str = "zh",
    s: settings.Settings | None = None,
) -> Path:
    """Build the briefing and write it to ``out``: HTML (UTF-8) or an A4 PDF by the extension (output_format).

    Raises FormatError for another extension and pdf.PdfUnavailable when no Chromium can print here,
    before anything is built or written.
    """
    s = s or settings.load()
    kind, path = output_format(out), Path(out)
    if kind == "pdf":
        pdf.browser(s.chromium)  # a missing Chromium is said before the report is built
    html = build(db, when, period=period, lang=lang, s=s)
    if kind == "pdf":
        return pdf.from_html(html, path, chromium=s.chromium)
    path.write_text(html, encoding="utf-8")
    return path


def spike_daily(db: Database, f: Filters, category: str, town_id: str, *, weeks: int = 8) -> pd.DataFrame:
    """Daily cases of one category × street/town over the filter period and its baseline weeks, zeros filled."""
    g = f.with_(categories=(category,), towns=(town_id,), start=f.start - timedelta(days=7 * weeks))
    daily = queries_trend.daily_counts(db, g, SPIKE_KEYS)
    days = pd.date_range(g.start, g.end, freq="D")
    counts = daily.assign(date=pd.to_datetime(daily["date"])).groupby("date")["count"].sum()
    return pd.DataFrame({"date": days, "count": counts.reindex(days, fill_value=0).to_numpy()})


def anomaly_table(ev: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``anomaly_list`` for reading: dates, place, category and figures as text ("—" where undefined)."""
    num = lambda v, p: "—" if pd.isna(v) else f"{v:.{p}f}"  # noqa: E731
    return pd.DataFrame(
        {
            t("start", lang): ev["start"].dt.strftime("%Y-%m-%d"),
            t("end", lang): ev["end"].dt.strftime("%Y-%m-%d"),
            t("days", lang): ev["days"],
            t("town", lang): ev["town"],
            t("category", lang): ev["category_name"],
            t("observed", lang): ev["observed"],
            t("expected", lang): [num(v, 1) for v in ev["expected"]],
            t("excess", lang): [num(v, 0) for v in ev["excess"]],
            t("ratio", lang): [num(v, 1) for v in ev["ratio"]],
            "z": [num(v, 1) for v in ev["max_z"]],
        }
    )
