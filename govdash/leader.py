"""A leader's headline figures beyond the cases (docs/indicators.md): the survey's 民生满意度 and the social
governance index with its progress index, each as of a period's end, with the value before it to compare."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from govdash import indicators, queries, queries_trend, survey
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import LABELS, t


def survey_score(scores: pd.DataFrame, upto: date, towns: tuple[str, ...] = ()) -> tuple[str | None, float, float]:
    """民生满意度（测评）: the newest surveyed quarter not after ``upto``, the mean over its dimensions and
    streets/towns (``towns``, or all), and that of the quarter before it; None / NaN where there is none."""
    s = scores[scores["town_id"].isin(towns)] if towns else scores
    quarters = sorted(q for q in s["quarter"].unique() if q <= survey.quarter_of(upto))
    per_town = s.groupby(["quarter", "town_id"])["score"].mean()  # each town's overall, then their mean
    value = lambda q: float(per_town.loc[q].mean()) if q else math.nan  # noqa: E731
    last = quarters[-1] if quarters else None
    return last, value(last), value(quarters[-2] if len(quarters) > 1 else None)


def governance(gov: pd.DataFrame, upto: date) -> dict[str, float]:
    """社会治理指数 (``governance_index``), its 进步指数 (``progress_index``) of the newest year not after ``upto``,
    and the index of the year before (``governance_previous``); NaN where there is none."""
    g = gov[gov["year"] <= upto.year]
    if g.empty:
        return {"governance_index": math.nan, "progress_index": math.nan, "governance_previous": math.nan}
    year = int(g["year"].max())

    def pick(y: int, sub: str) -> float:
        v = g[(g["year"] == y) & (g["subdomain"] == sub)]["score"]
        return float(v.iloc[0]) if len(v) else math.nan

    return {
        "governance_index": pick(year, "overall"),
        "progress_index": pick(year, "progress"),
        "governance_previous": pick(year - 1, "overall"),
    }


def figures(db: Database, f: Filters) -> tuple[dict, dict]:
    """The survey and governance figures of the period ``f`` and the ones before them (previous quarter's
    survey, previous year's index), as two dicts keyed like ``indicators.INDICATORS`` (adapter).

    A unit's view shows only its own figures: the governance index is the district's (none for a street/town,
    a 居村 or a department's view or account), the survey is per street/town (none below that level, nor for a
    department)."""
    quarter, now_s, before_s = survey_score(queries_trend.survey_scores(db, scope=f.scope), f.end, f.towns)
    gov = governance(queries_trend.governance_scores(db), f.end)
    sc = f.scope
    if f.towns or f.communities or f.grids or sc is not None:
        gov = dict.fromkeys(gov, math.nan)
    if f.communities or f.grids or (sc is not None and (sc.communities or sc.departments)):
        quarter, now_s, before_s = None, math.nan, math.nan
    return (
        {
            "survey_satisfaction": now_s,
            "survey_quarter": quarter,
            "governance_index": gov["governance_index"],
            "progress_index": gov["progress_index"],
        },
        {"survey_satisfaction": before_s, "governance_index": gov["governance_previous"]},
    )


def caliber(key: str, now: dict, lang: str = "zh") -> str:
    """The short 口径 note of a headline tile (label ``caliber_<key>``), with the counts it names; "" if none."""
    name = f"caliber_{key}"
    if name not in LABELS:
        return ""
    count = lambda k: indicators.fmt(now.get(k), k)  # noqa: E731
    progress = f"{t('progress_index', lang)} {indicators.fmt(now.get('progress_index'), 'progress_index')}"
    return t(name, lang).format(
        due=count("due"), handling=count("in_handling"), quarter=now.get("survey_quarter") or "—", progress=progress
    )


def overview(db: Database, f: Filters, at: datetime) -> tuple[dict, dict]:
    """The overview's figures and the ones it compares with (adapter): the cohort counts (``queries.kpis``),
    the judged rates over the cases due (``queries.due_totals``), the open and overdue cases at the period's end
    (``queries_trend.stock``, as the wall and the trends page), the survey and the governance index; the
    previous period as it stood at the same age (``indicators.previous_totals``)."""
    now_x, before_x = figures(db, f)
    now = {**queries.kpis(db, f, at), **queries.due_totals(db, f, at), **queries_trend.stock(db, f, at), **now_x}
    return now, {**indicators.previous_totals(db, f, at), **before_x}
