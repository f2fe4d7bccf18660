"""What each page computes for a filter through govdash, the page parameters, and the numbers that must agree."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from bench import sql
from govdash import district_record, queries, queries_map, queries_trend, settings
from govdash.db import Database
from govdash.filters import Filters

# --- what each page calls: mirror pages/*.py here (one place) when a page changes ---
CASES_PAGE_SIZE = 100  # pages/cases.py PAGE_SIZE, first page, order "newest"
TREND_PERIOD = "month"  # pages/trends.py default period, split "none", first tab
MAP_INDICATOR = "collected"  # pages/map.py default indicator (first of maps.MAP_INDICATORS)
HEAT_MIN_CELL_M = 100  # pages/heatmap.py bin size "auto", layer "density", no playback
COVERAGE_MINUTES = 15  # pages/coverage.py default threshold (settings.walk_minutes), any station


def overview_trend_start(f: Filters) -> date:
    """First day of the overview's monthly chart (pages/overview.py): the month a year before ``f.end``."""
    return min(f.start, f.end.replace(day=1).replace(year=f.end.year - 1))


def map_level(f: Filters) -> str:
    """The grid map's first level: one below the selection (pages/map.py via drill.levels)."""
    from govdash import drill

    return drill.levels(f)[0]


def _shapes(db: Database, level: str, f: Filters) -> pd.DataFrame:
    """ui.unit_shapes without Streamlit: simplified polygons of ``level`` units in ``f``'s area."""
    from govdash import maps

    return maps.unit_shapes(queries.unit_geometries(db, level, f), tolerance_m=maps.SIMPLIFY_M[level])


def heat_params(db: Database, f: Filters) -> dict:
    """What fixes the heatmap's bins (pages/heatmap.py): the selection's outline, its box and the bin size."""
    from govdash import drill, heatmap, maps

    outline = _shapes(db, drill.LEVELS[max(drill.depth(f) - 1, 0)], f)
    bbox = maps.shapes_bbox(outline)
    frame = queries_map.bin_frame(db)
    cell = heatmap.cell_size(bbox, HEAT_MIN_CELL_M, frame=frame)
    return {
        "outline": outline,
        "bbox": bbox,
        "cell_m": cell,
        "frame": frame,
        "box": heatmap.pad_bbox(bbox, cell, frame=frame) if bbox else None,
    }


def trend_params(f: Filters, at: datetime) -> dict:
    """The trends page's periods: its headline compares f with the previous period and a year before,
    each at the same age; its chart covers ``indicators.chart_window``."""
    from govdash import indicators

    prev, yb = f.previous(), f.year_before()
    return {
        "prev": prev,
        "yb": yb,
        "as_at_prev": indicators.same_age(f, prev, at),
        "as_at_yb": indicators.same_age(f, yb, at),
        "window": indicators.chart_window(f, TREND_PERIOD),
    }


def overview_as_at(f: Filters, at: datetime) -> datetime:
    """The instant the overview takes the previous period at (the same age as ``f``, pages/overview.py)."""
    from govdash import indicators

    return indicators.same_age(f, f.previous(), at)


def overview(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import indicators

    return {
        "now": {**queries.kpis(db, f, at), **queries.due_totals(db, f, at)},  # as leader.overview
        "before": indicators.previous_totals(db, f, at),
        "monthly": queries.collected_by_period(db, f.with_(start=overview_trend_start(f)), "month"),
        "towns": queries.unit_stats(db, f, "town", at, False),
    }


def map_quantiles() -> bool:
    """Whether the map's default indicator needs the per-unit quantiles (pages/map.py)."""
    from govdash import maps

    return MAP_INDICATOR in maps.QUANTILE_INDICATORS


def grid_map(db: Database, f: Filters, at: datetime) -> dict:
    level, area = map_level(f), f.with_(grids=())
    return {
        "level": level,
        "stats": queries.unit_stats(db, area, level, at, map_quantiles()),
        "shapes": _shapes(db, level, area),
    }


def heatmap(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import heatmap as hm

    p = heat_params(db, f)
    n = queries.case_count(db, f)
    bins = queries_map.heat_bins(db, f, p["cell_m"], "none", p["box"])
    points = queries_map.case_points(db, f, hm.POINTS_MAX) if n <= hm.POINTS_MAX else None
    top = queries.busiest_units(db, f.with_(grids=()), "grid", hm.TOP_N)
    return {**p, "n": n, "bins": bins, "points": points, "top": top}


def trends(db: Database, f: Filters, at: datetime) -> dict:
    """indicators.headline (three indicator_totals) and indicators.trend_table, keeping the numbers."""
    from govdash import indicators

    p = trend_params(f, at)
    now = queries_trend.indicator_totals(db, f, at)
    prev = queries_trend.indicator_totals(db, p["prev"], at, as_at=p["as_at_prev"])
    yb = prev if p["yb"] == p["prev"] else queries_trend.indicator_totals(db, p["yb"], at, as_at=p["as_at_yb"])
    return {
        "now": now,
        "prev": prev,
        "yb": yb,
        "headline": indicators.comparison(now, prev, yb, settings.load()),
        "table": indicators.trend_table(db, f, TREND_PERIOD, at, None),
    }


def cases(db: Database, f: Filters, at: datetime) -> dict:
    return {
        "total": queries.case_count(db, f),
        "rows": queries.cases_page(db, f, offset=0, limit=CASES_PAGE_SIZE, order="newest"),
    }


def coverage(db: Database, f: Filters, at: datetime, directory: bool = False) -> dict:
    """The coverage page without what-if edits: walk, report, load, gaps, map cells, tables; with
    ``directory``, as when its station directory tab is open (cases within 500 m of every station)."""
    from govdash import service_circle as sc

    cells, towns, stations = queries_map.cells(db), queries.towns(db), queries_map.stations(db)
    timed = sc.walk(cells, stations)
    area = sc.in_area(timed, f.towns)
    load = sc.load(timed, stations)
    gap_rows, _ = sc.gap_table(area, COVERAGE_MINUTES, towns)
    out = {
        "report": sc.report(area, COVERAGE_MINUTES, towns),
        "load": load,
        "gaps": gap_rows,
        "cells": area,
        "blocks": sc.click_blocks(area),
        "crs": district_record.metric_crs(),  # as sc.walk above: the fallback (the demo's UTM 51N)
        "stations": sc.visible(stations, load, area),
        "outline": _shapes(db, "town", f),
        "by_town": sc.by_unit(area, COVERAGE_MINUTES, towns),
    }
    if f.towns:
        out["by_community"] = sc.by_unit(area, COVERAGE_MINUTES, queries.communities(db, f.towns), "community")
    if directory:
        nearby = queries_map.station_cases_nearby(db, f, sc.NEARBY_M)
        out["directory"] = sc.directory(queries_map.station_directory(db, f.towns), load, nearby, towns)
    return out


def coverage_directory(db: Database, f: Filters, at: datetime) -> dict:
    return coverage(db, f, at, directory=True)


RANK_LEVEL = "town"  # pages/rankings.py default level
TIER_PERIOD = "month"  # pages/lifecycle.py default tier period
OLDEST_ROWS = 50  # pages/lifecycle.py oldest open cases shown, "overdue only" on


def rankings(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import rankings as rk

    return {"ranked": rk.ranking(db, f, RANK_LEVEL, at, settings.load())}


def lifecycle(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import events
    from govdash import lifecycle as lc

    return {
        "chain": events.chain_data(db, f),  # the handling chain from the case events (case_chain)
        "escalations": events.escalation_data(db, f),
        "whistles": events.whistle_data(db, f),
        "tiers": lc.tier_data(db, f, TIER_PERIOD, at),
        "oldest": lc.oldest(db, f, at, overdue_only=True, limit=OLDEST_ROWS),
    }


def grid(db: Database, f: Filters, at: datetime) -> dict:
    """The grid management page (pages/grid.py) with its default "days without patrol"."""
    from govdash import drill, grid_work, queries_grid

    level = drill.levels(f, queries.unit_levels(db))[0]
    out = {"recorded": queries_grid.recorded(db), "work": queries_grid.unit_work(db, f, level, at)}
    if not out["recorded"]["patrols"]:  # the page shows the found table only
        return out
    idle = queries_grid.unpatrolled(db, f, at, grid_work.UNPATROLLED_DAYS)
    staff = queries_grid.workers(db, f)
    return {
        **out,
        "daily": queries_grid.daily_coverage(db, f, at),
        "unpatrolled": idle,
        "workers": staff,
        "headline": grid_work.headline(out["work"], staff, idle),
    }


# --- the wall (pages/wall.py): the header (tiles and ticker) draws above every panel ---


def wall_header(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import wall

    return {"tiles": wall.headline(db, f, at, settings.load()), "ticker": wall.ticker(db, f, at)}


def wall_overview(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import wall

    return {
        **wall_header(db, f, at),
        "map": wall.map_data(db, f, at),
        "trend": wall.trend_data(db, f, at),
        "coverage": wall.coverage_data(db, settings.load()),
        "latest": wall.latest_cases(db, f, 5),
    }


def wall_map(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import wall

    return {**wall_header(db, f, at), "map": wall.map_data(db, f, at), "latest": wall.latest_cases(db, f, 12)}


def wall_trend(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import wall

    return {**wall_header(db, f, at), "trend": wall.trend_data(db, f, at)}


def wall_coverage(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import wall

    return {**wall_header(db, f, at), "coverage": wall.coverage_data(db, settings.load())}


def wall_must_report(db: Database, f: Filters, at: datetime) -> dict:
    from govdash import mustreport

    return {**wall_header(db, f, at), "must_report": mustreport.summary(db, f, at)}


def static_lookups(db: Database) -> dict:
    """What the app shell and headers load once per database version (ui.cached, any filter)."""
    from govdash import catalogue

    lookups = (
        queries.meta,
        queries.as_of,
        queries.data_as_of,
        queries.date_range,
        queries.towns,
        catalogue.read,
        queries.unit_names,
        queries_map.district_outline,
    )
    return {f"{fn.__module__}.{fn.__qualname__}": fn(db) for fn in lookups}


# --- decks: built from a page's result as the page builds them ---


def map_deck(out: dict):
    from govdash import maps

    return maps.choropleth(out["stats"], out["shapes"], MAP_INDICATOR, height_px=600)[0]


def heat_deck(out: dict):
    from govdash import maps_heat

    bins = out["bins"]
    return maps_heat.heat_deck(
        bins,
        cell_m=out["cell_m"],
        vmax=float(bins["count"].max() if len(bins) else 1),
        bbox=out["bbox"],
        outline=out["outline"],
        points=out["points"],
    )


def coverage_deck(out: dict):
    from govdash import maps_coverage
    from govdash.coverage import reach_m

    return maps_coverage.coverage_map(
        out["cells"],
        COVERAGE_MINUTES,
        out["stations"],
        blocks=out["blocks"],
        metric_crs=out["crs"],
        gaps=out["gaps"],
        reach_m=reach_m(COVERAGE_MINUTES),
        outline=out["outline"],
        width_px=860,
        height_px=690,
    )[0]


JUDGED = ("resolution_rate", "on_time_rate", "dispute_rate")  # indicators.JUDGED: judged per period over the due

# --- headline numbers: what must be equal across govdash, naive and floor ---
# the headline's three rates are judged over the cases due (queries.due_totals, hand-worked in
# tests/test_due_indicators.py); the peers judge them on their own (due_rates, floor.judged) with the counts
DUE_KEYS = ("due", "due_on_time", "due_resolved", "due_recognised", "in_handling")
KPI_KEYS = (
    "collected",
    "resolved",
    "closed",
    "closed_on_time",
    "recognised",
    "open",
    "overdue",
    "median_hours",
    "p90_hours",
    "satisfaction",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    *DUE_KEYS,
)
TOTAL_KEYS = (*KPI_KEYS, "disputes", "disputes_resolved", "dispute_rate", "backlog", "overdue_at_end")
TABLE_KEYS = (
    "collected",
    "resolved",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "dispute_rate",
    "median_hours",
    "p90_hours",
    "satisfaction",
    "backlog",
)
COUNT_KEYS = frozenset(
    {
        "collected",
        "resolved",
        "closed",
        "closed_on_time",
        "recognised",
        "open",
        "overdue",
        "backlog",
        "count",
        "total",
        "units",
        "disputes",
        "disputes_resolved",
        "overdue_at_end",
        *DUE_KEYS,
    }
)
UNIT_KEYS = (
    "collected",
    "resolved",
    "overdue",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "median_hours",
    "satisfaction",
    "cases_per_1000",
)


def unit_keys() -> tuple[str, ...]:
    """The map's numbers to compare: without median hours while the map does not compute them."""
    return UNIT_KEYS if map_quantiles() else tuple(k for k in UNIT_KEYS if k != "median_hours")


def by(df: pd.DataFrame, key, cols, prefix: str) -> dict:
    """Columns of ``df`` as float Series indexed by ``key``, named ``prefix.column``."""
    idx = pd.MultiIndex.from_frame(df[key]) if isinstance(key, list) else pd.Index(df[key])
    return {f"{prefix}.{c}": pd.Series(df[c].to_numpy(dtype=float), index=idx).sort_index() for c in cols}


def scalars(row: dict, prefix: str, keys=KPI_KEYS) -> dict:
    return {f"{prefix}.{k}": np.nan if row.get(k) is None or pd.isna(row.get(k)) else float(row[k]) for k in keys}


def due_rates(c: pd.DataFrame, f: Filters, at: datetime, as_at: datetime | None = None) -> dict:
    """The judged rates of the peers, in pandas: ``c`` holds the cases matching f's attributes (any period);
    each is judged at the earlier of its closure and its deadline, in [f.start, cutoff); progress as at
    ``as_at`` (default ``at``). Independent of queries.due_totals, which it must equal."""
    start, end = pd.Timestamp(f.start), pd.Timestamp(queries.cutoff(f, at))
    state = pd.Timestamp(as_at or at)
    closed, deadline = c["closed_at"], c["deadline_at"]
    judged = closed.where(closed < deadline, deadline).fillna(deadline)
    due = (c["reported_at"] < end) & (judged >= start) & (judged < end)
    done = due & (closed < state)
    resolved = done & c["resolved"].eq(True).fillna(False)
    known = resolved & c["recognised"].notna()
    dispute = c["category"].eq(queries.DISPUTE_CATEGORY).fillna(False)
    row = {
        "due": due.sum(),
        "due_on_time": (done & (closed <= deadline)).sum(),
        "due_resolved": resolved.sum(),
        "due_recognised": (known & c["recognised"].eq(True).fillna(False)).sum(),
        "in_handling": (
            (c["reported_at"] >= start) & (c["reported_at"] < end) & ~(closed < end) & (deadline >= end)
        ).sum(),
    }
    nan = lambda n: n if n else np.nan  # noqa: E731
    return {
        **row,
        "on_time_rate": row["due_on_time"] / nan(row["due"]),
        "resolution_rate": row["due_resolved"] / nan(row["due"]),
        "recognition_rate": row["due_recognised"] / nan(known.sum()),
        "dispute_rate": (resolved & dispute).sum() / nan((due & dispute).sum()),
    }


def due_by_period(judge, w: Filters, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """The trend table's judged rates (JUDGED) per month of ``periods``: ``judge(g)`` (the peer's own judged
    rates of a filter, e.g. ``due_rates``) over each month cut to ``w``'s dates, as the page judges each period."""
    rows = []
    for q in periods:
        end = (q + pd.DateOffset(months=1) - pd.Timedelta(days=1)).date()
        due = judge(w.with_(start=max(q.date(), w.start), end=min(end, w.end)))
        rows.append({"period": q, **{k: due[k] for k in JUDGED}})
    return pd.DataFrame(rows, columns=["period", *JUDGED])


def rates(df: pd.DataFrame) -> pd.DataFrame:
    """Rates as the README defines them: on time over closed cases with a deadline, recognition over
    resolved cases whose recognition is recorded, overdue unknown while no open case has a deadline."""
    den = lambda c: df[c].where(df[c] > 0)  # noqa: E731
    out = df.assign(
        resolution_rate=df["resolved"] / den("collected"),
        on_time_rate=df["closed_on_time"] / den("closed_due"),
        recognition_rate=df["recognised"] / den("recognition_known"),
    )
    if "open_due" in out:
        unknown = (out["open"].fillna(0) > 0) & (out["open_due"].fillna(0) == 0)
        out = out.assign(overdue=out["overdue"].astype(float).where(~unknown))
    return out.assign(dispute_rate=out["disputes_resolved"] / den("disputes")) if "disputes" in out else out


def headline(page: str, out: dict) -> dict:
    """The numbers to compare, from a govdash page result."""
    if page == "overview":
        towns = out["towns"][out["towns"]["collected"] > 0]
        return {
            **scalars(out["now"], "now"),
            **scalars(out["before"], "before"),
            **by(out["monthly"], "period", ("collected",), "monthly"),
            **by(towns, "unit_id", ("collected", "resolution_rate"), "towns"),
        }
    if page == "map":
        return {"units": float(out["shapes"]["unit_id"].nunique()), **by(out["stats"], "unit_id", unit_keys(), "unit")}
    if page == "heatmap":
        return {"total": float(out["n"]), **by(out["bins"], ["bx", "by"], ("count",), "bin"), **top_grids(out["top"])}
    if page == "trends":
        return {
            **scalars(out["now"], "now", TOTAL_KEYS),
            **scalars(out["prev"], "prev", TOTAL_KEYS),
            **scalars(out["yb"], "yb", TOTAL_KEYS),
            **by(out["table"], "period", TABLE_KEYS, "table"),
        }
    if page == "cases":
        return {"total": float(out["total"]), "case_ids": tuple(out["rows"]["case_id"])}
    if page == "rankings":
        return ranking_headline(out["ranked"])
    return {}


def ranking_headline(ranked: pd.DataFrame) -> dict:
    """The rankings page's numbers: per town its cases, score, rank, previous rank and red/black list."""
    r = ranked.sort_values("key")
    return {
        "rank.list": tuple(r["list"]),
        **by(r, "key", ("collected", "score", "rank", "prev_rank", "movement"), "rank"),
    }


def top_grids(top: pd.DataFrame) -> dict:
    """The heatmap's "most cases" grids: which ones, in order, and their counts."""
    return {"top.order": tuple(top["unit_id"]), **by(top, "unit_id", ("collected",), "top")}


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


def typical_filters(db: Database) -> dict[str, Filters]:
    """Whole district / busiest town / its busiest community × last 30 / 365 days, and one category."""
    rng = queries.date_range(db)
    end = rng[1] if rng else date.today()
    pick = sql.pick(db)
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
