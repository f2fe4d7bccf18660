"""The bench's naive baseline: cases loaded into pandas once, then boolean masks and groupby per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from bench import sql
from bench.pages import (
    CASES_PAGE_SIZE,
    JUDGED,
    KPI_KEYS,
    TABLE_KEYS,
    TOTAL_KEYS,
    by,
    due_by_period,
    due_rates,
    map_level,
    map_quantiles,
    overview_as_at,
    overview_trend_start,
    rates,
    scalars,
    top_grids,
    unit_keys,
)
from govdash import queries, queries_trend
from govdash.db import Database
from govdash.filters import Filters

FILTER_COLUMNS = {
    "towns": "town_id",
    "communities": "community_id",
    "grids": "grid_id",
    "categories": "category",
    "channels": "channel",
    "departments": "department_id",
}
LEVEL_COLUMN = {"town": "town_id", "community": "community_id", "grid": "grid_id"}
COUNTS = [
    "collected",
    "resolved",
    "closed",
    "closed_on_time",
    "recognised",
    "open",
    "overdue",
    "closed_due",
    "recognition_known",
    "open_due",
]


@dataclass
class NaiveData:
    """Cases (every column but free text) and units, loaded once (a Streamlit app would st.cache_data them)."""

    cases: pd.DataFrame
    units: pd.DataFrame

    @classmethod
    def load(cls, db: Database) -> NaiveData:
        """Load month by month: one 10 M-row fetch peaks at several times the frame's final size."""
        rng = queries.date_range(db)
        if rng is None:
            return cls(sql.table(db, "cases"), sql.table(db, "units"))
        months = pd.date_range(
            pd.Timestamp(rng[0]).replace(day=1), pd.Timestamp(rng[1]) + pd.offsets.MonthBegin(), freq="MS"
        )
        parts = [
            sql.table(db, "cases", a.to_pydatetime(), b.to_pydatetime())
            for a, b in zip(months[:-1], months[1:], strict=True)
        ]
        return cls(pd.concat(parts, ignore_index=True), sql.table(db, "units"))


def _attr(c: pd.DataFrame, f: Filters) -> pd.Series:
    m = pd.Series(True, index=c.index)
    for name, col in FILTER_COLUMNS.items():
        if getattr(f, name):
            m &= c[col].isin(getattr(f, name))
    if f.scope is not None:  # an account's scope, as queries_scope.scope_clause reads it for cases
        sc = f.scope
        if sc.area:
            m &= c["town_id"].isin(sc.towns) | c["community_id"].isin(sc.communities)
        if sc.departments:
            m &= c["department_id"].isin(sc.departments)
        if sc.nowhere:
            m &= False
    return m


def _mask(c: pd.DataFrame, f: Filters) -> pd.Series:
    r = c["reported_at"]
    return (r >= pd.Timestamp(f.start)) & (r < pd.Timestamp(f.end + timedelta(days=1))) & _attr(c, f)


def _flags(sub: pd.DataFrame, at: datetime, as_at: datetime | None = None) -> pd.DataFrame:
    """Per-row indicator flags; with ``as_at``, progress as it stood at that instant (closed before it)."""
    resolved, recognised = sub["resolved"].eq(True).fillna(False), sub["recognised"].eq(True).fillna(False)
    hours = (sub["closed_at"] - sub["reported_at"]).dt.total_seconds() / 3600.0
    dispute = sub["category"].eq(queries_trend.DISPUTE_CATEGORY).fillna(False)
    has_deadline = sub["deadline_at"].notna()
    if as_at is None:
        closed = sub["status"].eq("closed").fillna(False)
        open_ = sub["status"].notna() & ~closed
        on_time = closed & (sub["closed_at"] <= sub["deadline_at"])
        return sub.assign(
            _resolved=resolved,
            _closed=closed,
            _on_time=on_time,
            _recognised=recognised,
            _open=open_,
            _closed_due=closed & has_deadline,
            _recog_known=resolved & sub["recognised"].notna(),
            _open_due=open_ & has_deadline,
            _overdue=open_ & (sub["deadline_at"] < pd.Timestamp(at)),
            _hours=hours,
            _sat=sub["satisfaction"],
            _dispute=dispute,
            _dispute_resolved=dispute & resolved,
        )
    t = pd.Timestamp(as_at)
    closed = sub["closed_at"] < t
    open_ = ~closed
    return sub.assign(
        _resolved=resolved & closed,
        _closed=closed,
        _on_time=closed & (sub["closed_at"] <= sub["deadline_at"]),
        _recognised=resolved & recognised & closed,
        _open=open_,
        _closed_due=closed & has_deadline,
        _recog_known=resolved & sub["recognised"].notna() & closed,
        _open_due=open_ & has_deadline,
        _overdue=open_ & (sub["deadline_at"] < t),
        _hours=hours.where(closed),
        _sat=sub["satisfaction"].where(closed),
        _dispute=dispute,
        _dispute_resolved=dispute & resolved & closed,
    )


def _indicators_by(sub: pd.DataFrame, key, quantiles: bool = True) -> pd.DataFrame:
    g = sub.groupby(key, sort=True)
    hours = {"median_hours": ("_hours", "median")} if quantiles else {}
    out = g.agg(
        collected=("_resolved", "size"),
        resolved=("_resolved", "sum"),
        closed=("_closed", "sum"),
        closed_on_time=("_on_time", "sum"),
        recognised=("_recognised", "sum"),
        open=("_open", "sum"),
        overdue=("_overdue", "sum"),
        closed_due=("_closed_due", "sum"),
        recognition_known=("_recog_known", "sum"),
        open_due=("_open_due", "sum"),
        **hours,
        satisfaction=("_sat", "mean"),
        disputes=("_dispute", "sum"),
        disputes_resolved=("_dispute_resolved", "sum"),
    )
    if quantiles:
        out["p90_hours"] = g["_hours"].quantile(0.9)
    return rates(out).reset_index()


def _indicators(sub: pd.DataFrame) -> dict:
    h = sub["_hours"]
    row = {
        "collected": len(sub),
        "resolved": sub["_resolved"].sum(),
        "closed": sub["_closed"].sum(),
        "closed_on_time": sub["_on_time"].sum(),
        "recognised": sub["_recognised"].sum(),
        "open": sub["_open"].sum(),
        "overdue": sub["_overdue"].sum(),
        "closed_due": sub["_closed_due"].sum(),
        "recognition_known": sub["_recog_known"].sum(),
        "open_due": sub["_open_due"].sum(),
        "median_hours": h.median(),
        "p90_hours": h.quantile(0.9),
        "satisfaction": sub["_sat"].mean(),
        "disputes": sub["_dispute"].sum(),
        "disputes_resolved": sub["_dispute_resolved"].sum(),
    }
    return rates(pd.DataFrame([row])).iloc[0].to_dict()


def _open_at(c: pd.DataFrame, t: pd.Timestamp) -> pd.Series:
    return (c["reported_at"] < t) & (c["closed_at"].isna() | (c["closed_at"] >= t))


def _units_in(nd: NaiveData, f: Filters, level: str) -> pd.DataFrame:
    """Units of ``level`` inside the filter's area (as queries._area)."""
    u = nd.units[nd.units["level"] == level]
    if f.towns:
        u = u[u["town_id"].isin(f.towns)]
    if f.communities and level in ("community", "grid"):
        u = u[u["community_id"].isin(f.communities)]
    if f.grids and level == "grid":
        u = u[u["unit_id"].isin(f.grids)]
    if f.scope is not None and (f.scope.area or f.scope.nowhere):  # a department's scope limits no place
        u = u[u["town_id"].isin(f.scope.towns) | u["community_id"].isin(f.scope.communities)]
    return u


def _unit_stats(nd: NaiveData, f: Filters, level: str, at: datetime, quantiles: bool = True) -> pd.DataFrame:
    return unit_table(_units_in(nd, f, level), _flags(nd.cases[_mask(nd.cases, f)], at), level, quantiles)


def unit_table(u: pd.DataFrame, flagged: pd.DataFrame, level: str, quantiles: bool = True) -> pd.DataFrame:
    """Indicators per unit of ``u`` (every unit, zero counts where no case) from flagged cases."""
    col = LEVEL_COLUMN[level]
    s = _indicators_by(flagged, col, quantiles).rename(columns={col: "unit_id"})
    out = u[["unit_id", "residents"]].merge(s, on="unit_id", how="left").sort_values("unit_id")
    out[COUNTS] = out[COUNTS].fillna(0)
    out = rates(out)
    out["cases_per_1000"] = out["collected"] / out["residents"].where(out["residents"] > 0) * 1000
    return out


def overview(nd: NaiveData, f: Filters, at: datetime, p: dict) -> dict:
    c = nd.cases
    sub = c[_mask(c, f.with_(start=overview_trend_start(f)))]
    monthly = sub.groupby(sub["reported_at"].dt.to_period("M").dt.start_time.rename("period")).size()
    monthly = monthly.rename("collected").reset_index()
    towns = _unit_stats(nd, f, "town", at, quantiles=False)
    prev, as_at = f.previous(), overview_as_at(f, at)
    now = _indicators(_flags(c[_mask(c, f)], at)) | due_rates(c[_attr(c, f)], f, at)
    before = _indicators(_flags(c[_mask(c, prev)], at, as_at)) | due_rates(c[_attr(c, prev)], prev, at, as_at)
    return {
        **scalars(now, "now", KPI_KEYS),
        **scalars(before, "before", KPI_KEYS),
        **by(monthly, "period", ("collected",), "monthly"),
        **by(towns[towns["collected"] > 0], "unit_id", ("collected", "resolution_rate"), "towns"),
    }


def grid_map(nd: NaiveData, f: Filters, at: datetime, p: dict) -> dict:
    stats = _unit_stats(nd, f.with_(grids=()), map_level(f), at, map_quantiles())
    return {"units": float(len(stats)), **by(stats, "unit_id", unit_keys(), "unit")}


def heatmap(nd: NaiveData, f: Filters, at: datetime, p: dict) -> dict:
    c, cell, box = nd.cases, float(p["cell_m"]), p["box"]
    m = _mask(c, f)
    sub = c[m & c["lon"].notna() & c["lat"].notna()]
    if box is not None:
        sub = sub[sub["lon"].between(box[0], box[2]) & sub["lat"].between(box[1], box[3])]
    fr = p["frame"]
    bx = np.floor((sub["lon"] - fr.lon0) * fr.mx / cell).astype("int64")
    by_ = np.floor((sub["lat"] - fr.lat0) * fr.my / cell).astype("int64")
    bins = pd.DataFrame({"bx": bx, "by": by_}).groupby(["bx", "by"]).size().rename("count").reset_index()
    area = f.with_(grids=())  # the "most cases" table: grids of the area, whatever grid is selected
    u = _units_in(nd, area, "grid")
    counts = c[_mask(c, area)].groupby("grid_id").size().rename("collected")
    top = u[["unit_id"]].merge(counts, left_on="unit_id", right_index=True, how="left").fillna({"collected": 0})
    from govdash.heatmap import TOP_N

    top = top.sort_values(["collected", "unit_id"], ascending=[False, True]).head(TOP_N)
    return {"total": float(m.sum()), **by(bins, ["bx", "by"], ("count",), "bin"), **top_grids(top)}


def trends(nd: NaiveData, f: Filters, at: datetime, p: dict) -> dict:
    c = nd.cases
    attr = c[_attr(c, f)]
    out = {}
    for name, g, as_at in (("now", f, None), ("prev", p["prev"], p["as_at_prev"]), ("yb", p["yb"], p["as_at_yb"])):
        row = _indicators(_flags(c[_mask(c, g)], at, as_at)) | due_rates(attr, g, at, as_at)
        t = pd.Timestamp(queries.cutoff(g, at))
        open_ = _open_at(attr, t)
        row |= {"backlog": open_.sum(), "overdue_at_end": (open_ & (attr["deadline_at"] < t)).sum()}
        out |= scalars(row, name, TOTAL_KEYS)
    w = p["window"]
    sub = _flags(c[_mask(c, w)], at)
    ind = _indicators_by(sub.assign(period=sub["reported_at"].dt.to_period("M").dt.start_time), "period")
    cut = pd.Timestamp(queries.cutoff(w, at))
    periods = pd.date_range(pd.Timestamp(w.start).replace(day=1), cut - pd.Timedelta(microseconds=1), freq="MS")
    # open at each period's end (the last one ends at the cutoff), one mask per period
    backlog = [int(_open_at(attr, min(q + pd.DateOffset(months=1), cut)).sum()) for q in periods]
    table = pd.DataFrame({"period": periods, "backlog": backlog}).merge(ind, on="period", how="outer")
    table["collected"] = table["collected"].fillna(0)
    # the judged rates of each month over its cases due, not over its cases reported (indicators.judged)
    due = due_by_period(lambda g: due_rates(attr, g, at), w, pd.DatetimeIndex(table["period"]))
    table = table.drop(columns=list(JUDGED)).merge(due, on="period", how="left")
    return {**out, **by(table, "period", TABLE_KEYS, "table")}


def cases(nd: NaiveData, f: Filters, at: datetime, p: dict) -> dict:
    sub = nd.cases[_mask(nd.cases, f)]
    rows = sub.sort_values(["reported_at", "case_id"], ascending=[False, True]).head(CASES_PAGE_SIZE)
    return {"total": float(len(sub)), "case_ids": tuple(rows["case_id"])}
