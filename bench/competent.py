"""The competent pandas peer: what a good analyst writes over the same frame as the naive baseline.

Cases are loaded once, sorted by (reported_at, case_id); a period is a ``searchsorted`` slice of that
frame (attribute filters are masked on the slice only), the newest rows come from the sorted tail,
the backlog at any instant is two ``searchsorted`` counts (reported before it, minus done before it),
and the group-bys are vectorised. Every result equals govdash's (tests/test_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from bench.naive import (
    FILTER_COLUMNS,
    NaiveData,
    _attr,
    _flags,
    _indicators,
    _indicators_by,
    _units_in,
    unit_table,
)
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
    ranking_headline,
    scalars,
    top_grids,
    unit_keys,
)
from govdash import queries
from govdash.filters import Filters

TAIL_BLOCK = 4096  # rows read back from the end of a slice at a time for the newest cases


@dataclass
class CompetentData:
    """The naive frame (already sorted by reported_at, case_id) plus its time arrays, made once at load."""

    nd: NaiveData
    reported: np.ndarray  # datetime64[ns], ascending
    done: np.ndarray  # max(closed_at, reported_at) of the closed cases, ascending: "no longer open from"

    @classmethod
    def load(cls, nd: NaiveData) -> CompetentData:
        c = nd.cases
        reported = c["reported_at"].to_numpy("datetime64[ns]")
        if len(reported) and not (reported[1:] >= reported[:-1]).all():
            raise ValueError("the competent peer needs the cases sorted by reported_at")
        return cls(nd, reported, _done(c))

    @property
    def cases(self) -> pd.DataFrame:
        return self.nd.cases


def _done(c: pd.DataFrame) -> np.ndarray:
    closed = c["closed_at"]
    d = np.maximum(closed.to_numpy("datetime64[ns]"), c["reported_at"].to_numpy("datetime64[ns]"))
    return np.sort(d[closed.notna().to_numpy()])


def _ts(d) -> np.datetime64:
    return np.datetime64(pd.Timestamp(d).to_datetime64(), "ns")


def _bounds(cd: CompetentData, f: Filters) -> tuple[int, int]:
    """Row positions of the period [f.start, f.end + 1 day) in the sorted frame."""
    return (
        int(np.searchsorted(cd.reported, _ts(f.start), "left")),
        int(np.searchsorted(cd.reported, _ts(f.end + timedelta(days=1)), "left")),
    )


def _has_attr(f: Filters) -> bool:
    return f.scope is not None or any(getattr(f, name) for name in FILTER_COLUMNS)


def _slice(cd: CompetentData, f: Filters) -> pd.DataFrame:
    """The filtered cases of f's period: a slice by time, then a mask on that slice only."""
    i, j = _bounds(cd, f)
    sub = cd.cases.iloc[i:j]
    return sub[_attr(sub, f).to_numpy()] if _has_attr(f) else sub


def _stock(cd: CompetentData, f: Filters) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None]:
    """Reported and done instants (sorted) of the cases matching f's attributes over all time."""
    if not _has_attr(f):
        return cd.reported, cd.done, None
    attr = cd.cases[_attr(cd.cases, f).to_numpy()]
    return attr["reported_at"].to_numpy("datetime64[ns]"), _done(attr), attr


def _open_at(reported: np.ndarray, done: np.ndarray, t) -> np.ndarray:
    """Cases open at each instant of ``t``: reported before it, not yet done."""
    return np.searchsorted(reported, t, "left") - np.searchsorted(done, t, "left")


def _due(cd: CompetentData, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """The judged rates over the cases reported before f's cutoff: a slice by time, then ``due_rates``."""
    sub = cd.cases.iloc[: int(np.searchsorted(cd.reported, _ts(queries.cutoff(f, at)), "left"))]
    return due_rates(sub[_attr(sub, f).to_numpy()] if _has_attr(f) else sub, f, at, as_at)


def _unit_stats(cd: CompetentData, f: Filters, level: str, at: datetime, quantiles: bool = True) -> pd.DataFrame:
    return unit_table(_units_in(cd.nd, f, level), _flags(_slice(cd, f), at), level, quantiles)


def overview(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    trend = _slice(cd, f.with_(start=overview_trend_start(f)))
    period = trend["reported_at"].dt.to_period("M").dt.start_time.rename("period")
    monthly = trend.groupby(period).size().rename("collected").reset_index()
    towns = _unit_stats(cd, f, "town", at, quantiles=False)
    prev, as_at = f.previous(), overview_as_at(f, at)
    now = _indicators(_flags(_slice(cd, f), at)) | _due(cd, f, at)
    before = _indicators(_flags(_slice(cd, prev), at, as_at)) | _due(cd, prev, at, as_at)
    return {
        **scalars(now, "now", KPI_KEYS),
        **scalars(before, "before", KPI_KEYS),
        **by(monthly, "period", ("collected",), "monthly"),
        **by(towns[towns["collected"] > 0], "unit_id", ("collected", "resolution_rate"), "towns"),
    }


def grid_map(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    stats = _unit_stats(cd, f.with_(grids=()), map_level(f), at, map_quantiles())
    return {"units": float(len(stats)), **by(stats, "unit_id", unit_keys(), "unit")}


def heatmap(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    from govdash.heatmap import TOP_N

    sub, cell, box = _slice(cd, f), float(p["cell_m"]), p["box"]
    lon, lat = sub["lon"].to_numpy(float), sub["lat"].to_numpy(float)
    keep = ~(np.isnan(lon) | np.isnan(lat))
    if box is not None:
        keep &= (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    fr = p["frame"]
    bx = np.floor((lon[keep] - fr.lon0) * fr.mx / cell).astype("int64")
    by_ = np.floor((lat[keep] - fr.lat0) * fr.my / cell).astype("int64")
    bins = pd.DataFrame({"bx": bx, "by": by_}).groupby(["bx", "by"]).size().rename("count").reset_index()
    area = f.with_(grids=())
    counts = (sub if area == f else _slice(cd, area))["grid_id"].value_counts().rename("collected")
    top = _units_in(cd.nd, area, "grid")[["unit_id"]].merge(counts, left_on="unit_id", right_index=True, how="left")
    top = top.fillna({"collected": 0}).sort_values(["collected", "unit_id"], ascending=[False, True]).head(TOP_N)
    return {"total": float(len(sub)), **by(bins, ["bx", "by"], ("count",), "bin"), **top_grids(top)}


def trends(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    reported, done, attr = _stock(cd, f)
    out = {}
    for name, g, as_at in (("now", f, None), ("prev", p["prev"], p["as_at_prev"]), ("yb", p["yb"], p["as_at_yb"])):
        row = _indicators(_flags(_slice(cd, g), at, as_at)) | _due(cd, g, at, as_at)
        t = _ts(queries.cutoff(g, at))
        before = (cd.cases if attr is None else attr).iloc[: int(np.searchsorted(reported, t, "left"))]
        overdue = (before["deadline_at"] < t) & ~(before["closed_at"] < t)
        row |= {"backlog": int(_open_at(reported, done, t)), "overdue_at_end": int(overdue.sum())}
        out |= scalars(row, name, TOTAL_KEYS)
    w = p["window"]
    sub = _flags(_slice(cd, w), at)
    ind = _indicators_by(sub.assign(period=sub["reported_at"].dt.to_period("M").dt.start_time), "period")
    cut = pd.Timestamp(queries.cutoff(w, at))
    periods = pd.date_range(pd.Timestamp(w.start).replace(day=1), cut - pd.Timedelta(microseconds=1), freq="MS")
    ends = np.minimum((periods + pd.DateOffset(months=1)).to_numpy("datetime64[ns]"), cut.to_datetime64())
    table = pd.DataFrame({"period": periods, "backlog": _open_at(reported, done, ends)})
    table = table.merge(ind, on="period", how="outer")
    table["collected"] = table["collected"].fillna(0)
    # the judged rates of each month over its cases due: a time slice per month, then due_rates (_due)
    due = due_by_period(lambda g: _due(cd, g, at), w, pd.DatetimeIndex(table["period"]))
    table = table.drop(columns=list(JUDGED)).merge(due, on="period", how="left")
    return {**out, **by(table, "period", TABLE_KEYS, "table")}


def cases(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    """The newest page from the sorted tail: read back block by block until it holds a full page."""
    i, j = _bounds(cd, f)
    c, attr = cd.cases, _has_attr(f)
    total = int(_attr(c.iloc[i:j], f).sum()) if attr else j - i
    start, found = j, 0
    while start > i and found < CASES_PAGE_SIZE:
        lo = max(i, start - TAIL_BLOCK)
        found += int(_attr(c.iloc[lo:start], f).sum()) if attr else start - lo
        start = lo
    if start > i:  # rows reported at the same instant as the block's first row may sort before it by case_id
        start = max(i, int(np.searchsorted(cd.reported, cd.reported[start], "left")))
    tail = c.iloc[start:j]
    tail = tail[_attr(tail, f).to_numpy()] if attr else tail
    rows = tail.sort_values(["reported_at", "case_id"], ascending=[False, True]).head(CASES_PAGE_SIZE)
    return {"total": float(total), "case_ids": tuple(rows["case_id"])}


def rankings(cd: CompetentData, f: Filters, at: datetime, p: dict) -> dict:
    """The towns' indicators for the period and the one before, grouped in pandas; scored by the
    page's own scoring rules (rankings.composite: arithmetic on the table, not data access)."""
    from govdash import rankings as rk
    from govdash import settings

    s = settings.load()
    targets, weights = rk.score_settings(s)
    kw = {"cap": s.score_cap, "min_cases": s.ranking_min_cases}
    towns = _units_in(cd.nd, Filters(start=f.start, end=f.end, scope=f.scope), "town")
    names = towns[["unit_id", "name_zh", "name_en"]].rename(columns={"unit_id": "key"})

    def scored(g: Filters) -> tuple[pd.DataFrame, float | None]:
        sub = _slice(cd, g)
        stats = _indicators_by(_flags(sub, at), "town_id").rename(columns={"town_id": "key"})
        out = names.merge(stats, on="key", how="left")
        out["collected"] = out["collected"].fillna(0).astype(int)
        whole = {}
        if s.ranking_method == "adjusted" and len(sub):  # scored on the case-mix adjusted components
            out, whole = _casemix_adjusted(sub, out)
        return rk.composite(out, targets, weights, **kw), rk.district_score(whole, s)

    fr = rk.scope(f, "town")
    now, district = scored(fr)
    ranked = rk.with_movement(now, scored(fr.previous())[0])
    red, black = rk.red_black(ranked, s.ranking_list_size, district)
    ranked["list"] = np.where(
        ranked["key"].isin(red["key"]), "red", np.where(ranked["key"].isin(black["key"]), "black", "")
    )
    return ranking_headline(ranked)


def _casemix_adjusted(sub: pd.DataFrame, stats: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """``stats`` with each ranking component adjusted for case mix: the events and exposures per (town,
    category) grouped in pandas, then the pure algorithm govdash.casemix.adjust (not data access: the same
    arithmetic as the page's), the hours at the district's median; and the district's own components."""
    from govdash import casemix

    closed, deadline = sub["closed_at"], sub["deadline_at"]
    resolved = sub["resolved"].eq(True).fillna(False)
    closed_due = sub["status"].eq("closed").fillna(False) & deadline.notna()
    dispute = sub["category"].eq(queries.DISPUTE_CATEGORY).fillna(False)
    hours = (closed - sub["reported_at"]).dt.total_seconds() / 3600.0
    shortfall = 100.0 - sub["satisfaction"]
    frame = pd.DataFrame(
        {
            "key": sub["town_id"],
            "category": sub["category"],
            "collected": 1,
            "unresolved": ~resolved,
            "closed_due": closed_due,
            "late": closed_due & closed.notna() & (closed > deadline),
            "recognition_known": resolved & sub["recognised"].notna(),
            "unrecognised": resolved & sub["recognised"].eq(False).fillna(False),
            "disputes": dispute,
            "disputes_unresolved": dispute & ~resolved,
            "closed": closed.notna(),
            "hours": hours.fillna(0),
            "hours_sq": (hours**2).fillna(0),
            "rated": sub["satisfaction"].notna(),
            "shortfall": shortfall.fillna(0),
            "shortfall_sq": (shortfall**2).fillna(0),
        }
    )
    by_cat = frame.groupby(["key", "category"], dropna=False, sort=True).sum().reset_index()
    median = float(hours.dropna().median()) if closed.notna().any() else float("nan")
    levels = {"median_hours": median} if np.isfinite(median) else None
    adj = casemix.adjust(by_cat, levels=levels).set_index("key")
    out = stats.copy()
    for k in casemix.COMPONENTS:
        if k in adj:
            out[k] = out["key"].map(adj[k])
            out[f"sd_{k}"] = out["key"].map(adj[f"{k}_sd"])  # the score's interval, so the rank bands
    return out, casemix.district(by_cat, levels=levels)
