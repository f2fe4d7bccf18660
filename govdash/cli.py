"""Command-line interface: demo, kpi (and the commands other modules register)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date

from govdash import settings
from govdash.db import WriteError


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")


def _day(text: str) -> str:
    """argparse type: a YYYY-MM-DD day, checked here so a typo is a usage error, not a traceback."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return text


def _open(path: str | None):
    from govdash.db import Database
    return Database(path or settings.load().db)


def cmd_demo(args) -> int:
    """Build the synthetic demo district."""
    import time

    from govdash import demo
    s = settings.load()
    path = args.db or s.db
    t0 = time.perf_counter()
    last = [-1]

    def progress(frac: float, msg: str) -> None:
        pct = int(frac * 100)
        if pct != last[0]:
            print(f"\r[{pct:3d}%] {msg:<30}", end="", file=sys.stderr, flush=True)
            last[0] = pct
    demo.build(path, cases=args.cases, years=args.years, seed=args.seed, progress=progress)
    print(f"\nbuilt {path} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def _filters_from(args, db):
    from govdash import filters, queries
    rng = queries.date_range(db)
    hi = rng[1] if rng else date.today()
    f = filters.default(hi)
    start = date.fromisoformat(args.date_from) if args.date_from else (rng[0] if rng else f.start)
    end = date.fromisoformat(args.date_to) if args.date_to else hi
    towns = ()
    if args.town:
        t = queries.towns(db)
        lookup = {**dict(zip(t["name_zh"], t["unit_id"], strict=False)), **dict(zip(t["unit_id"], t["unit_id"], strict=False))}
        bad = [x for x in args.town if x not in lookup]
        if bad:
            raise SystemExit(f"unknown street/town: {', '.join(bad)}")
        towns = tuple(lookup[x] for x in args.town)
    return f.with_(start=start, end=end, towns=towns, categories=tuple(args.category or ()))


KPI_KEYS = ("collected", "resolved", "resolution_rate", "on_time_rate", "recognition_rate", "open", "overdue",
            "median_hours", "satisfaction")


def cmd_kpi(args) -> int:
    """Print the headline indicators for a filter."""
    from govdash import queries
    from govdash.maps import format_value
    db = _open(args.db)
    f = _filters_from(args, db)
    k = queries.kpis(db, f, queries.as_of(db))
    clean = {key: (None if isinstance(k[key], float) and math.isnan(k[key]) else
                   (float(k[key]) if k[key] is not None else None)) for key in KPI_KEYS}
    if args.json:
        print(json.dumps({"from": f.start.isoformat(), "to": f.end.isoformat(), "towns": list(f.towns), **clean},
                         ensure_ascii=False))
    else:
        print(f"period {f.start} – {f.end}" + (f"  towns {', '.join(f.towns)}" if f.towns else ""))
        for key in KPI_KEYS:
            print(f"{key:<18} {format_value(k[key], key):>12}")
    return 0


def cmd_optimize(args) -> int:
    """Rewrite the database file with cases clustered by month and area, beside running apps."""
    from govdash import layout
    path = args.db or settings.load().db
    try:
        r = layout.optimize(path)
    except FileNotFoundError:
        print(f"no database at {path}", file=sys.stderr)
        return 2
    print(f"{path}: {r['rows']:,} cases in area order in {r['seconds']:.1f} s "
          f"({r['mb_before']:,.0f} MB → {r['mb_after']:,.0f} MB)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govdash", description="govdash command line")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="build the synthetic demo database")
    _db_arg(d)
    d.add_argument("--cases", type=int, default=500_000, help="number of cases (default 500000)")
    d.add_argument("--years", type=float, default=2.0, help="years of history (default 2)")
    d.add_argument("--seed", type=int, default=settings.Settings.demo_seed, help="random seed")
    d.set_defaults(func=cmd_demo)
    k = sub.add_parser("kpi", help="print headline indicators for a filter")
    _db_arg(k)
    k.add_argument("--from", dest="date_from", type=_day, help="first day, YYYY-MM-DD (default: first case)")
    k.add_argument("--to", dest="date_to", type=_day, help="last day, YYYY-MM-DD (default: last case)")
    k.add_argument("--town", nargs="*", help="street/town names or codes")
    k.add_argument("--category", nargs="*", help="category codes")
    k.add_argument("--json", action="store_true", help="print JSON")
    k.set_defaults(func=cmd_kpi)
    o = sub.add_parser("optimize", help="rewrite the database with cases in area order (after large imports)")
    _db_arg(o)
    o.set_defaults(func=cmd_optimize)
    for register in _extensions():
        register(sub)
    return p


def _extensions():
    """Subcommands contributed by other modules: each has ``register(subparsers)``."""
    import importlib
    for name in ("coverage_cli", "ingest_cli", "export_cli", "report_cli", "bench", "feed", "account_cli"):
        try:
            mod = importlib.import_module(f"govdash.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"govdash.{name}":
                raise
            continue
        yield mod.register


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except WriteError as exc:  # disk full, a constraint: one line; the database is as it was
        print(exc, file=sys.stderr)
        return 1
