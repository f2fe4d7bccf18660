"""``python -m govdash coverage``: the coverage page's service-circle figures for scripts and reports."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from govdash import settings
from govdash.i18n import t
from govdash.schema import FUNCTIONS


def register(subparsers) -> None:
    """Add the ``coverage`` subcommand (govdash.cli loads this)."""
    p = subparsers.add_parser(
        "coverage",
        help="share of residents within a walk of a doorstep station",
        description="District and per street/town share of residents within a walk of a "
        "station, as on the coverage page.",
    )
    p.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    p.add_argument(
        "--minutes", type=float, default=None, help="walking threshold in minutes (default: GOVDASH_WALK_MINUTES, 15)"
    )
    p.add_argument(
        "--network",
        metavar="FILE",
        default=None,
        help="OSM extract (.osm.pbf / .osm) for street-network minutes (default: straight line)",
    )
    p.add_argument(
        "--function",
        choices=FUNCTIONS,
        default=None,
        help="count only stations offering this function (四站一室), e.g. f_clinic",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_coverage)


def compute(db, minutes: float, *, function: str | None = None, network: str | None = None) -> dict:
    """The figures the command prints: service_circle.report plus how they were computed."""
    from govdash import district_record, queries, queries_map, service_circle

    s = settings.load()
    graph, crs = None, district_record.metric_crs(district_record.read(db))
    if network:
        from govdash import osm

        if not Path(network).exists():
            raise SystemExit(f"network file not found: {network}")
        graph = osm.read_osm(network, metric_crs=crs, district=queries.units_bounds(db))
    stations = queries_map.stations(db)
    timed = service_circle.walk(queries_map.cells(db), stations, function=function, graph=graph, metric_crs=crs)
    rep = service_circle.report(timed, minutes, queries.towns(db))
    how = {
        "mode": "network" if graph is not None else "straight_line",
        "walk_kmh": s.walk_kmh,
        "circuity": None if graph is not None else s.circuity,
        "function": function,
        "stations": service_circle.counted(stations, function),
        # the doorstep stations and the street/town centres named apart (issue 19 item 3)
        **service_circle.counted_by_level(stations, function),
    }
    return {**how, **rep}


def cmd_coverage(args) -> int:
    """Print the district share within 5/10/15/20 minutes and covered residents per street/town."""
    from govdash.cli._common import open_db

    minutes = settings.load().walk_minutes if args.minutes is None else args.minutes
    minutes = int(minutes) if float(minutes).is_integer() else minutes
    try:
        out = compute(open_db(args.db), minutes, function=args.function, network=args.network)
    except ValueError as exc:  # an unreadable extract, or one that misses the district
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_clean(out), ensure_ascii=False, allow_nan=False))
        return 0
    print(_text(out))
    return 0


def _clean(value):
    """NaN (a unit without residents) → null, so the output is strict JSON."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _pct(v) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v * 100:.1f} %"


def _text(out: dict) -> str:
    mode = (
        "street network" if out["mode"] == "network" else f"straight line × circuity {out['circuity']}"
    ) + f", {out['walk_kmh']} km/h"
    what = t(out["function"], "en") if out["function"] else "any station"
    lines = [
        f"service circle · {mode} · {what} ({out['stations']:,} stations: {out['doorstep']:,} doorstep stations, "
        f"{out['centre']:,} street/town centres) · threshold {out['minutes']} min",
        f"district: {out['residents']:,.0f} residents, {out['covered']:,.0f} covered, "
        f"{out['uncovered']:,.0f} not: {_pct(out['share'])} within {out['minutes']} min",
    ]
    lines += [f"  within {m:>2} min  {_pct(v):>8}" for m, v in out["shares"].items()]
    # the name goes last: Chinese characters are two columns wide and would break the alignment
    lines.append(f"{'share':>8} {'covered':>12} {'residents':>12}  street/town (lowest share first)")
    lines += [
        f"{_pct(r['share']):>8} {r['covered']:>12,.0f} {r['residents']:>12,.0f}  {r['name_zh']}" for r in out["towns"]
    ]
    return "\n".join(lines)
