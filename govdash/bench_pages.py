"""The bench's page registry: what each page computes for a filter, by govdash, naively in pandas, as floor SQL."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from govdash import queries
from govdash.db import Database
from govdash.filters import Filters

# --- what each page calls: mirror pages/*.py here (one place) when a page changes ---
CASES_PAGE_SIZE = 100       # pages/cases.py PAGE_SIZE, first page, order "newest"
TREND_PERIOD = "week"       # pages/trends.py default period; split "none"
MAP_INDICATOR = "collected"  # pages/grid_map.py default indicator (first of maps.INDICATORS)
COVERAGE_MINUTES = 15       # settings.walk_minutes


def overview_trend_start(f: Filters) -> date:
    """First day of the overview's monthly chart (pages/overview.py): the month a year before ``f.end``."""
    return min(f.start, f.end.replace(day=1).replace(year=f.end.year - 1))


def map_level(f: Filters) -> str:
    """The grid map's level follows the selection: district → towns → communities → grids."""
    return "grid" if f.communities else ("community" if f.towns else "town")


def heat_cell_m(f: Filters) -> int:
    """The heatmap's default bin size in metres (pages/heatmap.py)."""
    return 200 if f.communities else (400 if f.towns else 800)


def overview(db: Database, f: Filters, at: datetime) -> dict:
    return {"now": queries.kpis(db, f, at), "before": queries.kpis(db, f.previous(), at),
            "monthly": queries.trend(db, f.with_(start=overview_trend_start(f)), "month", at),
            "towns": queries.unit_stats(db, f, "town", at)}


def grid_map(db: Database, f: Filters, at: datetime) -> dict:
    level, g = map_level(f), f.with_(grids=())
    return {"level": level, "stats": queries.unit_stats(db, g, level, at),
            "geoms": queries.unit_geometries(db, level, g)}


def heatmap(db: Database, f: Filters, at: datetime) -> dict:
    cell = heat_cell_m(f)
    bins = queries.heat_bins(db, f, cell, "none")
    return {"cell_m": cell, "bins": bins.groupby(["bx", "by", "lon", "lat"], as_index=False)["count"].sum()}


def trends(db: Database, f: Filters, at: datetime) -> dict:
    return {"trend": queries.trend(db, f, TREND_PERIOD, at), "backlog": queries.backlog(db, f, TREND_PERIOD)}


def cases(db: Database, f: Filters, at: datetime) -> dict:
    return {"total": queries.case_count(db, f),
            "rows": queries.cases_page(db, f, offset=0, limit=CASES_PAGE_SIZE, order="newest")}


def coverage(db: Database, f: Filters, at: datetime) -> dict:
    """Straight-line walking minutes from every populated cell of the area to the nearest station."""
    from govdash import coverage as cov
    from govdash import coverage_adapter

    cells = queries.cells(db)
    if f.towns:
        cells = cells[cells["town_id"].isin(f.towns)]
    if f.communities:
        cells = cells[cells["community_id"].isin(f.communities)]
    out = coverage_adapter.from_geodataframes(cells, queries.stations(db))
    return {"share": cov.share_within(out["minutes"], out["residents"]),
            "by_community": cov.covered_by_unit(out["minutes"], out["residents"], out["community_id"],
                                                COVERAGE_MINUTES)}


def static_lookups(db: Database) -> dict:
    """What the app shell and headers load once per database version (ui.cached, any filter)."""
    names = ("meta", "as_of", "data_as_of", "date_range", "towns", "category_labels", "departments",
             "unit_names", "district_outline")
    return {n: getattr(queries, n)(db) for n in names}


# --- headline numbers: what must be equal across govdash, naive and floor ---
KPI_KEYS = ("collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue",
            "median_hours", "p90_hours", "satisfaction", "resolution_rate", "on_time_rate", "recognition_rate")
COUNT_KEYS = frozenset({"collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue",
                        "backlog", "count", "total", "units"})
UNIT_KEYS = ("collected", "resolved", "overdue", "resolution_rate", "on_time_rate", "recognition_rate",
             "median_hours", "satisfaction", "cases_per_1000")


def _by(df: pd.DataFrame, key, cols, prefix: str) -> dict:
    idx = pd.MultiIndex.from_frame(df[key]) if isinstance(key, list) else pd.Index(df[key])
    return {f"{prefix}.{c}": pd.Series(df[c].to_numpy(dtype=float), index=idx).sort_index() for c in cols}


def _kpi(row: dict, prefix: str) -> dict:
    return {f"{prefix}.{k}": float(row[k]) if row.get(k) is not None else np.nan for k in KPI_KEYS}


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    den = lambda c: df[c].where(df[c] > 0)  # noqa: E731
    return df.assign(resolution_rate=df["resolved"] / den("collected"),
                     on_time_rate=df["closed_on_time"] / den("closed"),
                     recognition_rate=df["recognised"] / den("resolved"))


def headline(page: str, out: dict) -> dict:
    """The numbers to compare, from a govdash page result."""
    if page == "overview":
        towns = out["towns"][out["towns"]["collected"] > 0]
        return {**_kpi(out["now"], "now"), **_kpi(out["before"], "before"),
                **_by(out["monthly"], "period", ("collected", "resolution_rate"), "monthly"),
                **_by(towns, "unit_id", ("collected", "resolution_rate"), "towns")}
    if page == "map":
        return {"units": float(len(out["geoms"])), **_by(out["stats"], "unit_id", UNIT_KEYS, "unit")}
    if page == "heatmap":
        return _by(out["bins"], ["bx", "by"], ("count",), "bin")
    if page == "trends":
        return {**_by(out["trend"], "period", KPI_KEYS, "trend"),
                **_by(out["backlog"], "period", ("backlog",), "trend")}
    if page == "cases":
        return {"total": float(out["total"]), "case_ids": tuple(out["rows"]["case_id"])}
    return {}


def compare(a: dict, b: dict) -> list[str]:
    """Differences between two headline dicts: counts exact, other numbers to 1e-9 (NaN equals NaN)."""
    bad = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            bad.append(f"{key}: missing on one side")
            continue
        x, y = a[key], b[key]
        exact = key.rsplit(".", 1)[-1] in COUNT_KEYS
        if isinstance(x, tuple):
            if x != y:
                bad.append(f"{key}: differ")
        elif isinstance(x, pd.Series):
            if not x.index.equals(y.index):
                bad.append(f"{key}: index differs ({len(x)} vs {len(y)} entries)")
            elif not _close(x.to_numpy(float), y.to_numpy(float), exact):
                bad.append(f"{key}: values differ")
        elif not _close(np.array([x], float), np.array([y], float), exact):
            bad.append(f"{key}: {x!r} vs {y!r}")
    return bad


def _close(x: np.ndarray, y: np.ndarray, exact: bool) -> bool:
    if exact:
        return bool(np.array_equal(x, y, equal_nan=True))
    return bool(np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True))


# --- the floor: one hand-written statement per page (queries.bench_floor_*) ---

def floor_overview(db: Database, f: Filters, at: datetime) -> dict:
    df = _rates(queries.bench_floor_overview(db, f, at, overview_trend_start(f)))
    part = lambda p: df[df["part"] == p]  # noqa: E731
    towns = part("town")
    towns = towns[towns["town"].notna() & (towns["collected"] > 0)].rename(columns={"town": "unit_id"})
    return {**_kpi(part("now").iloc[0].to_dict(), "now"), **_kpi(part("before").iloc[0].to_dict(), "before"),
            **_by(part("month"), "period", ("collected", "resolution_rate"), "monthly"),
            **_by(towns, "unit_id", ("collected", "resolution_rate"), "towns")}


def floor_map(db: Database, f: Filters, at: datetime) -> dict:
    level = map_level(f)
    df = queries.bench_floor_map(db, f.with_(grids=()), at, level)
    counts = ["collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue"]
    df[counts] = df[counts].fillna(0)
    df = _rates(df).assign(cases_per_1000=lambda d: d["collected"] / d["residents"].where(d["residents"] > 0) * 1000)
    return {"units": float(len(df)), **_by(df, "unit_id", UNIT_KEYS, "unit")}


def floor_heatmap(db: Database, f: Filters, at: datetime) -> dict:
    return _by(queries.bench_floor_heat(db, f, heat_cell_m(f)), ["bx", "by"], ("count",), "bin")


def floor_trends(db: Database, f: Filters, at: datetime) -> dict:
    df = _rates(queries.bench_floor_trends(db, f, at, TREND_PERIOD))
    return _by(df, "period", (*KPI_KEYS, "backlog"), "trend")


def floor_cases(db: Database, f: Filters, at: datetime) -> dict:
    df = queries.bench_floor_cases(db, f, CASES_PAGE_SIZE)
    return {"total": float(df["total"].iat[0]) if len(df) else 0.0, "case_ids": tuple(df["case_id"])}


# --- the naive baseline: whole tables in pandas, boolean masks and groupby per request ---
FILTER_COLUMNS = {"towns": "town_id", "communities": "community_id", "grids": "grid_id", "categories": "category",
                  "channels": "channel", "departments": "department_id"}


@dataclass
class NaiveData:
    """``SELECT *`` of cases and units, loaded once (a Streamlit app would st.cache_data it)."""

    cases: pd.DataFrame
    units: pd.DataFrame

    @classmethod
    def load(cls, db: Database) -> NaiveData:
        return cls(queries.bench_table(db, "cases"), queries.bench_table(db, "units"))


def _mask(c: pd.DataFrame, f: Filters) -> pd.Series:
    m = (c["reported_at"] >= pd.Timestamp(f.start)) & (c["reported_at"] < pd.Timestamp(f.end + timedelta(days=1)))
    for name, col in FILTER_COLUMNS.items():
        if getattr(f, name):
            m &= c[col].isin(getattr(f, name))
    return m


def _flags(sub: pd.DataFrame, at: datetime) -> pd.DataFrame:
    closed = sub["status"].eq("closed")
    open_ = sub["status"].notna() & ~closed
    return sub.assign(_resolved=sub["resolved"].eq(True), _closed=closed,
                      _on_time=closed & (sub["closed_at"] <= sub["deadline_at"]),
                      _recognised=sub["recognised"].eq(True), _open=open_,
                      _overdue=open_ & (sub["deadline_at"] < pd.Timestamp(at)),
                      _hours=(sub["closed_at"] - sub["reported_at"]).dt.total_seconds() / 3600.0)


def _indicators_by(sub: pd.DataFrame, key) -> pd.DataFrame:
    g = sub.groupby(key, sort=True)
    out = g.agg(collected=("_resolved", "size"), resolved=("_resolved", "sum"), closed=("_closed", "sum"),
                closed_on_time=("_on_time", "sum"), recognised=("_recognised", "sum"), open=("_open", "sum"),
                overdue=("_overdue", "sum"), median_hours=("_hours", "median"), satisfaction=("satisfaction", "mean"))
    out["p90_hours"] = g["_hours"].quantile(0.9)
    return _rates(out).reset_index()


def _indicators(sub: pd.DataFrame) -> dict:
    h = sub["_hours"]
    row = {"collected": len(sub), "resolved": sub["_resolved"].sum(), "closed": sub["_closed"].sum(),
           "closed_on_time": sub["_on_time"].sum(), "recognised": sub["_recognised"].sum(),
           "open": sub["_open"].sum(), "overdue": sub["_overdue"].sum(), "median_hours": h.median(),
           "p90_hours": h.quantile(0.9), "satisfaction": sub["satisfaction"].mean()}
    return _rates(pd.DataFrame([row])).iloc[0].to_dict()


def _unit_stats(nd: NaiveData, f: Filters, level: str, at: datetime) -> pd.DataFrame:
    u = nd.units[nd.units["level"] == level]
    if f.towns:
        u = u[u["town_id"].isin(f.towns)]
    if f.communities and level in ("community", "grid"):
        u = u[u["community_id"].isin(f.communities)]
    if f.grids and level == "grid":
        u = u[u["unit_id"].isin(f.grids)]
    col = {"town": "town_id", "community": "community_id", "grid": "grid_id"}[level]
    s = _indicators_by(_flags(nd.cases[_mask(nd.cases, f)], at), col).rename(columns={col: "unit_id"})
    out = u[["unit_id", "residents"]].merge(s, on="unit_id", how="left").sort_values("unit_id")
    counts = ["collected", "resolved", "closed", "closed_on_time", "recognised", "open", "overdue"]
    out[counts] = out[counts].fillna(0)
    out = _rates(out)
    out["cases_per_1000"] = out["collected"] / out["residents"].where(out["residents"] > 0) * 1000
    return out


def naive_overview(nd: NaiveData, f: Filters, at: datetime) -> dict:
    c = nd.cases
    sub = _flags(c[_mask(c, f.with_(start=overview_trend_start(f)))], at)
    monthly = _indicators_by(sub.assign(period=sub["reported_at"].dt.to_period("M").dt.start_time), "period")
    towns = _unit_stats(nd, f, "town", at)
    return {**_kpi(_indicators(_flags(c[_mask(c, f)], at)), "now"),
            **_kpi(_indicators(_flags(c[_mask(c, f.previous())], at)), "before"),
            **_by(monthly, "period", ("collected", "resolution_rate"), "monthly"),
            **_by(towns[towns["collected"] > 0], "unit_id", ("collected", "resolution_rate"), "towns")}


def naive_map(nd: NaiveData, f: Filters, at: datetime) -> dict:
    stats = _unit_stats(nd, f.with_(grids=()), map_level(f), at)
    return {"units": float(len(stats)), **_by(stats, "unit_id", UNIT_KEYS, "unit")}


def naive_heatmap(nd: NaiveData, f: Filters, at: datetime) -> dict:
    c, cell = nd.cases, float(heat_cell_m(f))
    sub = c[_mask(c, f) & c["lon"].notna() & c["lat"].notna()]
    bx = np.floor((sub["lon"] - queries.BIN_ORIGIN[0]) * queries.M_PER_DEG_LON / cell).astype("int64")
    by = np.floor((sub["lat"] - queries.BIN_ORIGIN[1]) * queries.M_PER_DEG_LAT / cell).astype("int64")
    bins = pd.DataFrame({"bx": bx, "by": by}).groupby(["bx", "by"]).size().rename("count").reset_index()
    return _by(bins, ["bx", "by"], ("count",), "bin")


def naive_trends(nd: NaiveData, f: Filters, at: datetime) -> dict:
    sub = _flags(nd.cases[_mask(nd.cases, f)], at)
    sub = sub.assign(period=sub["reported_at"].dt.to_period("W").dt.start_time)
    trend = _indicators_by(sub, "period")
    backlog = []
    for p in trend["period"]:  # open at each period's end, like most dashboards: one mask per period
        end = p + pd.Timedelta(days=7)
        backlog.append(int(((sub["reported_at"] < end) & (sub["closed_at"].isna() | (sub["closed_at"] >= end))).sum()))
    return _by(trend.assign(backlog=backlog), "period", (*KPI_KEYS, "backlog"), "trend")


def naive_cases(nd: NaiveData, f: Filters, at: datetime) -> dict:
    sub = nd.cases[_mask(nd.cases, f)]
    rows = sub.sort_values(["reported_at", "case_id"], ascending=[False, True]).head(CASES_PAGE_SIZE)
    return {"total": float(len(sub)), "case_ids": tuple(rows["case_id"])}


@dataclass(frozen=True)
class Page:
    """One page: govdash's computation, and (when the page aggregates cases) naive and floor equivalents."""

    govdash: Callable[[Database, Filters, datetime], dict]
    naive: Callable[[NaiveData, Filters, datetime], dict] | None = None
    floor: Callable[[Database, Filters, datetime], dict] | None = None


def registry() -> dict[str, Page]:
    """Pages by name; coverage only when the coverage adapter exists."""
    pages = {"overview": Page(overview, naive_overview, floor_overview),
             "map": Page(grid_map, naive_map, floor_map),
             "heatmap": Page(heatmap, naive_heatmap, floor_heatmap),
             "trends": Page(trends, naive_trends, floor_trends),
             "cases": Page(cases, naive_cases, floor_cases)}
    if importlib.util.find_spec("govdash.coverage_adapter") is not None:
        pages["coverage"] = Page(coverage)
    return pages


def typical_filters(db: Database) -> dict[str, Filters]:
    """Whole district / busiest town / its busiest community × last 30 / 365 days, and one category."""
    rng = queries.date_range(db)
    end = rng[1] if rng else date.today()
    pick = queries.bench_pick(db)
    month = Filters(start=end - timedelta(days=29), end=end)
    year = Filters(start=end - timedelta(days=364), end=end)
    out = {"district·30d": month, "district·365d": year}
    if pick["town"]:
        out |= {"town·30d": month.with_(towns=(pick["town"],)), "town·365d": year.with_(towns=(pick["town"],))}
    if pick["town"] and pick["community"]:
        where = {"towns": (pick["town"],), "communities": (pick["community"],)}
        out |= {"community·30d": month.with_(**where), "community·365d": year.with_(**where)}
    if pick["category"]:
        out["district·365d·category"] = year.with_(categories=(pick["category"],))
    return out
