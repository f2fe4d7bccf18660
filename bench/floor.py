"""The floor: the best hand-written statement per page (``bench.sql.floor_*``) read into the compared numbers."""

from __future__ import annotations

from datetime import datetime

from bench import sql
from bench.pages import (
    CASES_PAGE_SIZE,
    JUDGED,
    TABLE_KEYS,
    TOTAL_KEYS,
    TREND_PERIOD,
    by,
    map_level,
    map_quantiles,
    overview_as_at,
    overview_trend_start,
    rates,
    scalars,
    top_grids,
    unit_keys,
)
from govdash import queries
from govdash.db import Database
from govdash.filters import Filters

# --- the floor: the best hand-written statement per page (sql.floor_*), same page parameters ---


def overview(db: Database, f: Filters, at: datetime, p: dict) -> dict:
    df = rates(sql.floor_overview(db, f, at, overview_trend_start(f), overview_as_at(f, at)))
    part = lambda name: df[df["part"] == name]  # noqa: E731
    towns = part("town")
    towns = towns[towns["town"].notna() & (towns["collected"] > 0)].rename(columns={"town": "unit_id"})
    prev, as_at = f.previous(), overview_as_at(f, at)
    now = part("now").iloc[0].to_dict() | judged(sql.floor_due(db, f, at))
    before = part("before").iloc[0].to_dict() | judged(sql.floor_due(db, prev, at, as_at))
    return {
        **scalars(now, "now"),
        **scalars(before, "before"),
        **by(part("month"), "period", ("collected",), "monthly"),
        **by(towns, "unit_id", ("collected", "resolution_rate"), "towns"),
    }


def judged(row: dict) -> dict:
    """``sql.floor_due``'s counts with the three judged rates (NaN where nothing is due or known)."""
    n = lambda k: row[k] or float("nan")  # noqa: E731
    return {
        **row,
        "on_time_rate": row["due_on_time"] / n("due"),
        "resolution_rate": row["due_resolved"] / n("due"),
        "recognition_rate": row["due_recognised"] / n("due_recognition_known"),
        "dispute_rate": row["due_disputes_resolved"] / n("due_disputes"),
    }


def grid_map(db: Database, f: Filters, at: datetime, p: dict) -> dict:
    df = sql.floor_map(db, f.with_(grids=()), at, map_level(f), map_quantiles())
    counts = ["collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue"]
    df[counts] = df[counts].fillna(0)
    df = rates(df).assign(cases_per_1000=lambda d: d["collected"] / d["residents"].where(d["residents"] > 0) * 1000)
    return {"units": float(len(df)), **by(df, "unit_id", unit_keys(), "unit")}


def heatmap(db: Database, f: Filters, at: datetime, p: dict) -> dict:
    df = sql.floor_heat(db, f, p["cell_m"], p["box"])
    bins = df[df["bx"].notna()]
    from govdash import heatmap as hm

    top = queries.busiest_units(db, f.with_(grids=()), "grid", hm.TOP_N)  # one grouped count: its own floor
    return {
        "total": float(df["total"].iat[-1]),
        **by(bins.astype({"bx": "int64", "by": "int64"}), ["bx", "by"], ("count",), "bin"),
        **top_grids(top),
    }


def trends(db: Database, f: Filters, at: datetime, p: dict) -> dict:
    df = sql.floor_trends(db, f, at, TREND_PERIOD, **p)
    out = {}
    stock = df[df["part"] == "stock"].iloc[0]
    for i, name in enumerate(("now", "prev", "yb")):
        part = "prev" if name == "yb" and p["yb"] == p["prev"] else name
        row = rates(df[df["part"] == part].reset_index(drop=True)).iloc[0].to_dict()
        g, as_at = {"now": (f, None), "prev": (p["prev"], p["as_at_prev"]), "yb": (p["yb"], p["as_at_yb"])}[name]
        row |= judged(sql.floor_due(db, g, at, as_at))
        row["backlog"], row["overdue_at_end"] = stock[f"s{2 * i}"], stock[f"s{2 * i + 1}"]
        out |= scalars(row, name, TOTAL_KEYS)
    ind = rates(df[df["part"] == "period"]).drop(columns=["backlog"])
    table = df.loc[df["part"] == "backlog", ["period", "backlog"]].merge(ind, on="period", how="outer")
    table["collected"] = table["collected"].fillna(0)
    # the judged rates of each month over its cases due (indicators.judged), grouped by the month judged in
    due = sql.floor_due_by_month(db, p["window"], at)
    n = due["due"].where(due["due"] > 0)
    due = due.assign(
        on_time_rate=due["due_on_time"] / n,
        resolution_rate=due["due_resolved"] / n,
        dispute_rate=due["due_disputes_resolved"] / due["due_disputes"].where(due["due_disputes"] > 0),
    )[["period", *JUDGED]]
    table = table.drop(columns=list(JUDGED)).merge(due, on="period", how="left")
    return {**out, **by(table, "period", TABLE_KEYS, "table")}


def cases(db: Database, f: Filters, at: datetime, p: dict) -> dict:
    df = sql.floor_cases(db, f, CASES_PAGE_SIZE)
    return {"total": float(df["total"].iat[-1]), "case_ids": tuple(df["case_id"].iloc[:-1])}
