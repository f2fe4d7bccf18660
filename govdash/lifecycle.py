"""Case lifecycle: the funnel registered → dispatched → handled → closed → recognised, escalation tiers, timelines."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from govdash import catalogue, queries, queries_trend
from govdash.db import Database
from govdash.filters import Filters
from govdash.indicators import chart_window
from govdash.schema import TIERS

STAGES = ("registered", "dispatched", "handled", "closed", "recognised")
_LEG = {"dispatched": "dispatch", "handled": "handle", "closed": "close"}  # stage -> leg arriving at it
EVENTS = (
    ("reported_at", "registered"),
    ("dispatched_at", "dispatched"),
    ("handled_at", "handled"),
    ("closed_at", "closed"),
)


def funnel(stages: dict) -> pd.DataFrame:
    """Funnel rows: count reaching each stage, share of registered and of the previous stage, hours of the leg.

    ``stages`` is queries_trend.lifecycle_stages' dict. Recognition has no timestamp, so its hours are NaN.
    """
    rows, prev = [], None
    total = stages.get("registered") or 0
    for st in STAGES:
        n = int(stages.get(st) or 0)
        leg = _LEG.get(st)
        rows.append(
            {
                "stage": st,
                "count": n,
                "share": n / total if total else np.nan,
                "step_share": n / prev if prev else np.nan,
                "median_hours": stages.get(f"{leg}_median") if leg else np.nan,
                "p90_hours": stages.get(f"{leg}_p90") if leg else np.nan,
            }
        )
        prev = n
    return pd.DataFrame(rows).astype({"median_hours": float, "p90_hours": float})


def tier_shares(by_tier: pd.DataFrame) -> pd.DataFrame:
    """Share of closed cases closed at community, street/town and district level per period (rows sum to 1)."""
    if by_tier.empty:
        return pd.DataFrame(columns=["period", *TIERS])
    wide = by_tier.pivot_table(index="period", columns="series", values="closed", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(TIERS), fill_value=0)
    total = wide.sum(axis=1)
    return wide.div(total.where(total > 0), axis=0).reset_index()


def timeline(case: pd.Series | dict, at: datetime | None = None) -> pd.DataFrame:
    """The events of one case in time order: stage, time, hours since it was reported; the deadline as a row."""
    c = dict(case)
    t0 = pd.Timestamp(c["reported_at"])
    rows = [{"event": name, "time": pd.Timestamp(c[col])} for col, name in EVENTS if not pd.isna(c.get(col))]
    if not pd.isna(c.get("deadline_at")):
        rows.append({"event": "deadline", "time": pd.Timestamp(c["deadline_at"])})
    if at is not None and pd.isna(c.get("closed_at")):
        rows.append({"event": "now", "time": pd.Timestamp(at)})
    out = pd.DataFrame(rows).sort_values("time", kind="stable").reset_index(drop=True)
    out["hours"] = (out["time"] - t0).dt.total_seconds() / 3600.0
    return out


def funnel_data(db: Database, f: Filters) -> pd.DataFrame:
    """``funnel`` for the cases reported in the filter period."""
    return funnel(queries_trend.lifecycle_stages(db, f))


def tier_data(db: Database, f: Filters, period: str, at: datetime) -> pd.DataFrame:
    """``tier_shares`` per period over the chart window of the filter."""
    return tier_shares(queries_trend.closed_by_tier(db, chart_window(f, period), period))


def oldest(
    db: Database, f: Filters, at: datetime, *, overdue_only: bool = False, limit: int = 20, lang: str = "zh"
) -> pd.DataFrame:
    """Oldest cases open at the end of the filter period, with street/town, community and category names."""
    df = queries_trend.open_cases(db, f, at, overdue_only=overdue_only, limit=limit)
    names = queries.unit_names(db)
    cat = catalogue.read(db)
    return df.assign(
        town=df["town_id"].map(names.get("town", {})),
        community=df["community_id"].map(names.get("community", {})),
        category_name=df["category"].map(lambda c: cat.name("category", c, lang)),
        department=df["department_id"].map(cat.names("department", lang)),
    )


def funnel_table(fun: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The funnel for reading: stage, cases, share of registered, median and P90 hours of the leg into it."""
    from govdash.i18n import t
    from govdash.indicators import fmt

    return pd.DataFrame(
        {
            t("stage", lang): [t(x, lang) for x in fun["stage"]],
            t("cases", lang): fun["count"].to_numpy(),
            t("share_registered", lang): [fmt(v, "resolution_rate") for v in fun["share"]],
            t("median_hours_leg", lang): [fmt(v, "median_hours") for v in fun["median_hours"]],
            t("p90_hours_leg", lang): [fmt(v, "median_hours") for v in fun["p90_hours"]],
        }
    )


def open_table(cases: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Open cases for reading (``oldest`` output): no personal data."""
    from govdash.i18n import t

    return pd.DataFrame(
        {
            t("case", lang): cases["case_id"],
            t("reported_at", lang): cases["reported_at"],
            t("age_days", lang): cases["age_days"].round(1),
            t("days_overdue", lang): cases["overdue_days"].round(1),
            t("town", lang): cases["town"],
            t("community", lang): cases["community"],
            t("category", lang): cases["category_name"],
            t("department", lang): cases["department"],
            t("tier", lang): [t(f"{x}_tier", lang) for x in cases["tier"]],
            t("status", lang): [t(x, lang) for x in cases["stage"]],
        }
    )


def case_fields(case: pd.Series, cat: catalogue.Catalogue, lang: str = "zh") -> pd.DataFrame:
    """One case (queries_trend.case_timeline row) as field / value text rows, in the page's language; ``cat`` names
    its category and channel."""
    from govdash.i18n import pick, plain, t

    sub = pick(case.get("subcategory_zh"), case.get("subcategory_en"), lang) or case["subcategory"]
    rows = [
        ("case", case["case_id"]),
        ("category", f"{cat.name('category', case['category'], lang)} / {sub}"),
        ("channel", cat.name("channel", case["channel"], lang)),
        ("tier", t(f"{case['tier']}_tier", lang)),
        ("status", t(str(case["status"]), lang)),
        ("resolved", case["resolved"]),
        ("recognised", case["recognised"]),
        ("satisfaction", case["satisfaction"]),
        ("deadline_at", case["deadline_at"]),
        ("address", case["address"]),
        ("description", case["description"]),
    ]
    return pd.DataFrame({t("indicator", lang): [t(k, lang) for k, _ in rows], "": [plain(v, lang) for _, v in rows]})
