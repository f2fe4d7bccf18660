"""``python -m govdash kpi``: the headline indicators for a filter, as text or JSON."""

from __future__ import annotations

import json
import math

from govdash.cli._common import day, db_arg, filters_from, open_db

KPI_KEYS = (
    "collected",
    "resolved",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "open",
    "overdue",
    "median_hours",
    "satisfaction",
)


def cmd_kpi(args) -> int:
    """Print the headline indicators for a filter."""
    from govdash import queries
    from govdash.indicators import fmt

    db = open_db(args.db)
    f = filters_from(args, db)
    k = queries.kpis(db, f, queries.as_of(db))
    clean = {
        key: (
            None
            if isinstance(k[key], float) and math.isnan(k[key])
            else (float(k[key]) if k[key] is not None else None)
        )
        for key in KPI_KEYS
    }
    if args.json:
        print(
            json.dumps(
                {"from": f.start.isoformat(), "to": f.end.isoformat(), "towns": list(f.towns), **clean},
                ensure_ascii=False,
            )
        )
    else:
        print(f"period {f.start} – {f.end}" + (f"  towns {', '.join(f.towns)}" if f.towns else ""))
        for key in KPI_KEYS:
            print(f"{key:<18} {fmt(k[key], key):>12}")
    return 0


def register(subparsers) -> None:
    """Add the ``kpi`` subcommand."""
    k = subparsers.add_parser("kpi", help="print headline indicators for a filter")
    db_arg(k)
    k.add_argument("--from", dest="date_from", type=day, help="first day, YYYY-MM-DD (default: first case)")
    k.add_argument("--to", dest="date_to", type=day, help="last day, YYYY-MM-DD (default: last case)")
    k.add_argument("--town", nargs="*", help="street/town names or codes")
    k.add_argument("--category", nargs="*", help="category codes")
    k.add_argument("--json", action="store_true", help="print JSON")
    k.set_defaults(func=cmd_kpi)
