"""The views the bench times: each page's govdash computation beside its naive pandas and floor SQL equivalents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bench import competent as cp
from bench import floor as fl
from bench import naive as nv
from bench import pages as bp
from govdash.db import Database
from govdash.filters import Filters


@dataclass(frozen=True)
class Page:
    """One view: govdash's computation; for views that aggregate cases, naive, competent and floor
    equivalents taking the page parameters ``params(db, f, at)`` (computed once per filter, outside
    their timings); ``deck`` builds the page's map from govdash's result."""

    govdash: Callable[[Database, Filters, datetime], dict]
    naive: Callable | None = None
    floor: Callable | None = None
    competent: Callable | None = None
    params: Callable[[Database, Filters, datetime], dict] = lambda db, f, at: {}
    deck: Callable[[dict], object] | None = None


def registry() -> dict[str, Page]:
    """Views by name, in the order the bench reports them: every page, then each wall panel."""
    heat_params = lambda db, f, at: bp.heat_params(db, f)  # noqa: E731
    trend_params = lambda db, f, at: bp.trend_params(f, at)  # noqa: E731
    return {
        "overview": Page(bp.overview, nv.overview, fl.overview, cp.overview),
        "map": Page(bp.grid_map, nv.grid_map, fl.grid_map, cp.grid_map, deck=bp.map_deck),
        "heatmap": Page(bp.heatmap, nv.heatmap, fl.heatmap, cp.heatmap, heat_params, bp.heat_deck),
        "trends": Page(bp.trends, nv.trends, fl.trends, cp.trends, trend_params),
        "rankings": Page(bp.rankings, competent=cp.rankings),
        "lifecycle": Page(bp.lifecycle),
        "coverage": Page(bp.coverage, deck=bp.coverage_deck),
        "coverage·directory": Page(bp.coverage_directory),
        "cases": Page(bp.cases, nv.cases, fl.cases, cp.cases),
        "grid": Page(bp.grid),  # patrols and workers, not the cases: no peer (docs/benchmarks.md)
        "wall·overview": Page(bp.wall_overview),
        "wall·map": Page(bp.wall_map),
        "wall·trend": Page(bp.wall_trend),
        "wall·coverage": Page(bp.wall_coverage),
        "wall·must_report": Page(bp.wall_must_report),
    }
