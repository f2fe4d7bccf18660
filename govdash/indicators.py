"""The indicator registry (kind, direction, target, definition), formatting, changes and per-period tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from govdash import queries, queries_trend
from govdash.catalogue import Catalogue
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import t
from govdash.schema import TIERS
from govdash.settings import Settings


@dataclass(frozen=True)
class Indicator:
    """One indicator, the one place that says how it is read, judged and written.

    ``kind`` is count, rate (a 0-1 share, written as %), score (0-100), hours, density (cases per
    1,000 residents) or ratio (per worker); ``direction`` "up" when higher is better, "down" when lower
    is, None for neither; ``target`` names the Settings field holding its target; ``unit`` is the label key of its unit.
    Its name in either language is the label of its key (``label``).
    """

    key: str
    kind: str
    direction: str | None
    target: str | None
    unit: str

    def label(self, lang: str = "zh") -> str:
        return t(self.key, lang)

    def unit_label(self, lang: str = "zh") -> str:
        return t(self.unit, lang)

    def fmt(self, value) -> str:
        """Text for a value: rates as % with one decimal, scores, hours and densities with one decimal,
        counts as whole numbers with thousands separators; missing (None, NaN: 0 ÷ 0) as "—"."""
        if _missing(value):
            return "—"
        if self.kind == "rate":
            return f"{value * 100:.1f}%"
        if self.kind in ("score", "hours", "density", "ratio"):
            return f"{value:.1f}"
        return f"{int(round(value)):,}"


def _registry(*rows: tuple) -> dict[str, Indicator]:
    return {r[0]: Indicator(*r) for r in rows}


INDICATORS: dict[str, Indicator] = _registry(
    ("collected", "count", None, None, "unit_cases"),
    ("resolved", "count", None, None, "unit_cases"),
    ("resolution_rate", "rate", "up", "target_resolution", "unit_pct"),
    ("on_time_rate", "rate", "up", "target_on_time", "unit_pct"),
    ("recognition_rate", "rate", "up", "target_recognition", "unit_pct"),
    ("dispute_rate", "rate", "up", "target_dispute", "unit_pct"),
    ("satisfaction", "score", "up", "target_satisfaction", "unit_score"),  # 回访满意度 (callbacks)
    ("survey_satisfaction", "score", "up", "target_satisfaction", "unit_score"),  # 民生满意度（测评）
    ("governance_index", "score", "up", None, "unit_score"),
    ("progress_index", "score", "up", None, "unit_score"),
    ("in_handling", "count", None, None, "unit_cases"),
    ("due", "count", None, None, "unit_cases"),  # cases due in the period: what the judged rates are over
    ("median_hours", "hours", "down", "target_median_hours", "unit_hours"),
    ("p90_hours", "hours", "down", None, "unit_hours"),
    ("backlog", "count", "down", None, "unit_cases"),
    ("overdue_at_end", "count", "down", None, "unit_cases"),
    ("open", "count", "down", None, "unit_cases"),
    ("overdue", "count", "down", None, "unit_cases"),
    ("cases_per_1000", "density", "down", None, "unit_per_1000"),
    ("coverage_share", "rate", "up", None, "unit_pct"),
    # grid work (govdash.queries_grid): 主动发现率, patrol coverage and workloads
    ("patrol_found_rate", "rate", "up", None, "unit_pct"),
    ("patrol_coverage", "rate", "up", None, "unit_pct"),
    ("reports_per_worker", "ratio", "up", None, "unit_per_worker"),
    ("residents_per_worker", "count", "down", None, "unit_people"),
)
GRID_KEYS = ("patrol_found_rate", "patrol_coverage", "reports_per_worker", "residents_per_worker")
GRID_DEFINITION_KEYS = (
    "def_patrol_found_rate",
    "def_patrol_coverage",
    "def_reports_per_worker",
    "def_residents_per_worker",
)
TREND_KEYS = (
    "collected",
    "resolved",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "dispute_rate",
    "satisfaction",
    "median_hours",
    "p90_hours",
    "backlog",
)
# the trends page's headline and the briefing's table: the charted indicators and 超期在办（全部）, the wall's count
HEADLINE_KEYS = (*TREND_KEYS, "overdue_at_end")
# shortest history a trend chart shows, so a 30-day filter by month still shows a trend
MIN_SPAN_DAYS = {"day": 60, "week": 7 * 26, "month": 395, "quarter": 730}

DEFINITION_KEYS = (
    "def_counting",
    "def_collected",
    "def_resolution_rate",
    "def_on_time_rate",
    "def_recognition_rate",
    "def_dispute_rate",
    "def_satisfaction",
    "def_hours",
    "def_backlog",
    "def_comparison",
)


def target(key: str, s: Settings) -> float | None:
    """The target of ``key`` from settings, or None."""
    ind = INDICATORS.get(key)
    return getattr(s, ind.target) if ind and ind.target else None


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))


def fmt(value, key: str) -> str:
    """Text for a value of indicator ``key`` (``Indicator.fmt``): the one formatter of pages, maps, charts,
    the wall, the briefing and the CLI."""
    return INDICATORS[key].fmt(value)


def is_rate(key: str) -> bool:
    """True for a 0-1 share drawn and written as a percentage."""
    return key in INDICATORS and INDICATORS[key].kind == "rate"


def breach(value, key: str, s: Settings) -> bool:
    """True when ``value`` misses the target of ``key`` (below it, or above it for 'lower is better')."""
    goal = target(key, s)
    if goal is None or _missing(value):
        return False
    return value > goal if INDICATORS[key].direction == "down" else value < goal


def target_text(key: str, s: Settings, lang: str = "zh") -> str:
    """ "目标 ≥99.0%" (≤ for lower-is-better), the same words on the overview's tiles and the wall's; "" without one."""
    goal = target(key, s)
    if goal is None:
        return ""
    return f"{t('wall_target', lang)} {'≤' if INDICATORS[key].direction == 'down' else '≥'}{fmt(goal, key)}"


def met(value, key: str, s: Settings) -> bool | None:
    """True when ``value`` meets the target of ``key``, False when it misses, None without a target or a value."""
    return None if target(key, s) is None or _missing(value) else not breach(value, key, s)


def change(now, before, key: str) -> float | None:
    """Change from ``before`` to ``now``: points for rates (×100) and scores, relative % for counts and hours."""
    if _missing(now) or _missing(before):
        return None
    kind = INDICATORS[key].kind
    if kind == "rate":
        return (now - before) * 100
    if kind == "score":
        return now - before
    return None if before == 0 else (now - before) / before * 100


def change_text(now, before, key: str, lang: str = "zh") -> str:
    """``change`` as text: "+1.2 pp" for rates, "+0.8 分" / "+0.8 pts" for scores (points, never %), "-3.4%"
    for counts and hours; "—" when it cannot be computed. The one change text of every page, the wall and
    the briefing."""
    c = change(now, before, key)
    if c is None:
        return "—"
    kind = INDICATORS[key].kind
    c = 0.0 if round(c, 1) == 0 else c  # "-0.0" would be drawn as a fall
    sign = "+" if c else ""
    if kind == "rate":
        return f"{c:{sign}.1f} pp"
    return f"{c:{sign}.1f} {t('change_points', lang)}" if kind == "score" else f"{c:{sign}.1f}%"


def improved(now, before, key: str) -> bool | None:
    """Whether the change is for the better (None when neutral or unknown)."""
    c = change(now, before, key)
    direction = INDICATORS[key].direction
    if c is None or c == 0 or direction is None:
        return None
    return (c > 0) == (direction == "up")


def comparison(
    now: dict, before: dict, year_before: dict, s: Settings, lang: str = "zh", keys: tuple[str, ...] = TREND_KEYS
) -> pd.DataFrame:
    """One row per indicator: value, previous period, change, same period last year, change, target, breach."""
    rows = []
    for k in keys:
        goal = target(k, s)
        value = fmt(now.get(k), k)
        if breach(now.get(k), k, s) and value == fmt(goal, k):  # 98.96 % would read "99.0 %", target missed
            value = f"{now[k] * 100:.2f}%" if INDICATORS[k].kind == "rate" else f"{now[k]:.2f}"
        rows.append(
            {
                "key": k,
                "indicator": t(k, lang),
                "value": value,
                "previous": fmt(before.get(k), k),
                "change": change_text(now.get(k), before.get(k), k, lang),
                "year_before": fmt(year_before.get(k), k),
                "change_yoy": change_text(now.get(k), year_before.get(k), k, lang),
                "target": fmt(goal, k) if goal is not None else "",
                "breach": breach(now.get(k), k, s),
                "better": improved(now.get(k), before.get(k), k),
            }
        )
    return pd.DataFrame(rows)


def chart_window(f: Filters, period: str) -> Filters:
    """The filter with its start moved back so a chart by ``period`` shows at least MIN_SPAN_DAYS.

    An extended start is aligned to the start of its period so the first period is whole.
    """
    back = f.end - timedelta(days=MIN_SPAN_DAYS[period] - 1)
    if back >= f.start:
        return f
    return f.with_(start=period_start(back, period))


def period_start(day: date, period: str) -> date:
    """The first day of the ``period`` (day, week from Monday, month, quarter) that ``day`` is in."""
    ts = pd.Timestamp(day)
    return {
        "day": ts,
        "week": ts - pd.Timedelta(days=ts.day_of_week),
        "month": ts.replace(day=1),
        "quarter": ts.replace(day=1, month=3 * ((ts.month - 1) // 3) + 1),
    }[period].date()


STEPS = {  # the length of each period of a trend
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
}


def _next(start: pd.Timestamp, period: str) -> pd.Timestamp:
    return start + STEPS[period]


def period_table(ind: pd.DataFrame, backlog: pd.DataFrame, f: Filters, period: str, at: datetime) -> pd.DataFrame:
    """Join per-period indicators and backlog; flag periods cut short by the filter or the data time.

    ``ind`` and ``backlog`` come from queries_trend.period_indicators / open_backlog (optionally with a
    ``series`` column). A period is ``partial`` when it starts before the filter's first day or
    ends after its cutoff (the latest period while it is still running).
    """
    on = ["period", "series"] if "series" in ind.columns or "series" in backlog.columns else ["period"]
    out = backlog.merge(ind, on=on, how="outer") if not backlog.empty else ind.copy()
    if out.empty:
        return out.assign(partial=pd.Series(dtype=bool))
    out["period"] = pd.to_datetime(out["period"])
    out["collected"] = out["collected"].fillna(0).astype(int)
    first = pd.Timestamp(f.start)
    cut = pd.Timestamp(queries.cutoff(f, at))
    ends = out["period"].map(lambda p: _next(p, period))
    out["partial"] = (out["period"] < first) | (ends > cut)
    return out.sort_values(on).reset_index(drop=True)


# charted over the cases due in each period, as the headline judges (queries.due_totals)
JUDGED = ("resolution_rate", "on_time_rate", "dispute_rate")


def judged(db: Database, table: pd.DataFrame, f: Filters, period: str, at: datetime) -> pd.DataFrame:
    """``table`` (one row per ``period`` start, no split) with the judged rates (JUDGED) of each period over
    its cases due (queries.due_totals: deadline, or closing if earlier, in the period and before the data
    time), not over the cases reported in it: a period whose cases are still within their time limit is not
    judged early, so a chart agrees with the headline tile. Each period is cut to ``f``'s dates; all periods
    come from one grouped statement (queries_trend.due_by_period)."""
    out = table.copy()
    due = queries_trend.due_by_period(db, f, period, at).set_index("period")
    periods = pd.to_datetime(out["period"])
    for key in JUDGED:
        out[key] = periods.map(due[key]).astype(float).to_numpy() if len(due) else float("nan")
    return out


def trend_table(db: Database, f: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Every trend indicator per period over ``chart_window(f, period)`` (adapter over the queries)."""
    return period_rows(db, chart_window(f, period), period, at, split)


def period_rows(db: Database, w: Filters, period: str, at: datetime, split: str | None = None) -> pd.DataFrame:
    """Every trend indicator per ``period`` from ``w.start`` to ``w.end`` (``trend_table`` without its window)."""
    table = period_table(
        queries_trend.period_indicators(db, w, period, at, split),
        queries_trend.open_backlog(db, w, period, at, split),
        w,
        period,
        at,
    )
    return table if split or table.empty else judged(db, table, w, period, at)


def period_windows(w: Filters, period: str) -> list[Filters]:
    """Each ``period`` of the window ``w``, cut to ``w``'s dates: ``period_rows`` of them, one after the other, is
    ``period_rows`` of ``w`` (govdash.freshness caches each period's row apart)."""
    out, start = [], period_start(w.start, period)
    while start <= w.end:
        nxt = (pd.Timestamp(start) + STEPS[period]).date()
        out.append(w.with_(start=max(start, w.start), end=min(nxt - timedelta(days=1), w.end)))
        start = nxt
    return out


def same_age(f: Filters, earlier: Filters, at: datetime) -> datetime:
    """The instant at which ``earlier`` is as old as ``f`` is at ``at`` (its cutoff plus the same lag)."""
    return queries.cutoff(earlier, at) + (at - queries.cutoff(f, at))


def previous_totals(db: Database, f: Filters, at: datetime, previous: Filters | None = None) -> dict:
    """``queries_trend.indicator_totals`` of the period before ``f`` (default ``f.previous()``) as it stood at the
    same age (``same_age``): what the overview, the trends page and the wall compare with."""
    prev = previous or f.previous()
    return queries_trend.indicator_totals(db, prev, at, as_at=same_age(f, prev, at))


def headline(
    db: Database, f: Filters, at: datetime, s: Settings, lang: str = "zh", previous: Filters | None = None
) -> pd.DataFrame:
    """``comparison`` of the filter period with the previous period (default ``f.previous()``) and a year earlier.

    The earlier periods are taken at the same age: their cases' progress as it stood the same
    time after their end as now is after this period's end. Otherwise a recent period, whose
    cases are still being handled, would always look worse than a finished one.
    """
    got: dict = {}
    for c in headline_totals(f, at, previous):  # a 365-day period's previous period is the year before: once
        got[c] = got[c] if c in got else queries_trend.indicator_totals(db, *c)
    now, before, year = (got[c] for c in headline_totals(f, at, previous))
    return comparison(now, before, year, s, lang, HEADLINE_KEYS)


def headline_totals(f: Filters, at: datetime, previous: Filters | None = None) -> list[tuple]:
    """The arguments (filter, at, as_at) of ``headline``'s three ``queries_trend.indicator_totals``: this period, the
    previous one (default ``f.previous()``) and a year earlier, both at the same age (``same_age``)."""
    prev = previous or f.previous()
    yb = f.year_before()
    return [(f, at, None), (prev, at, same_age(f, prev, at)), (yb, at, same_age(f, yb, at))]


def period_label(p, period: str) -> str:
    """'2026-10-05', '2026-W41', '2026-10', '2026Q4' for a period start."""
    ts = pd.Timestamp(p)
    if period == "week":
        iso = ts.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period == "month":
        return f"{ts:%Y-%m}"
    if period == "quarter":
        return f"{ts.year}Q{ts.quarter}"
    return f"{ts:%Y-%m-%d}"


def month_filters(month: str) -> Filters:
    """The whole calendar month 'YYYY-MM' as a district-wide filter."""
    first = date.fromisoformat(f"{month}-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Filters(start=first, end=nxt - timedelta(days=1))


def definitions(lang: str = "zh") -> list[str]:
    """The definitions shown with the trends and in the briefing (labels ``DEFINITION_KEYS``), in display order."""
    return [t(k, lang) for k in DEFINITION_KEYS]


def series_labels(split: str | None, lang: str, unit_names: dict[str, dict[str, str]], cat: Catalogue) -> dict:
    """Display names of the series of a split (towns, departments, categories, channels, tiers);
    ``unit_names`` is level → {unit_id → name} (queries.unit_names), ``cat`` the database's catalogue
    (govdash.catalogue)."""
    if split == "town":
        return dict(unit_names.get("town", {}))
    if split in ("department", "category", "channel"):
        return cat.names(split, lang)
    if split == "tier":
        return {k: t(f"{k}_tier", lang) for k in TIERS}
    return {}


def display_table(table: pd.DataFrame, period: str, lang: str = "zh", labels: dict | None = None) -> pd.DataFrame:
    """A trend table for reading and export: period label, series name, formatted indicators, partial flag."""
    out = pd.DataFrame({t("by_period", lang): [period_label(p, period) for p in table["period"]]})
    if "series" in table:
        out[t("compare_by", lang)] = table["series"].map(lambda v: (labels or {}).get(v, v)).to_numpy()
    for k in TREND_KEYS:
        if k in table:
            out[t(k, lang)] = [fmt(v, k) for v in table[k]]
    out[t("partial", lang)] = table["partial"].map({True: "✓", False: ""}).to_numpy()
    return out
