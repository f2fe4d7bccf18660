"""Argument types and helpers the command modules share: --db, a checked day, the filter from --from/--to/--town."""

from __future__ import annotations

import argparse
from datetime import date

from govdash import settings


def db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="DuckDB file or ducklake:… (default: GOVDASH_DB or data/govdash.duckdb)")


def day(text: str) -> str:
    """argparse type: a YYYY-MM-DD day, checked here so a typo is a usage error, not a traceback."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return text


def open_db(path: str | None):
    from govdash.db import Database

    return Database(path or settings.load().db)


def filters_from(args, db):
    from govdash import filters, queries

    rng = queries.date_range(db)
    hi = rng[1] if rng else date.today()
    f = filters.default(hi)
    start = date.fromisoformat(args.date_from) if args.date_from else (rng[0] if rng else f.start)
    end = date.fromisoformat(args.date_to) if args.date_to else hi
    towns = ()
    if args.town:
        t = queries.towns(db)
        lookup = {
            **dict(zip(t["name_zh"], t["unit_id"], strict=False)),
            **dict(zip(t["unit_id"], t["unit_id"], strict=False)),
        }
        bad = [x for x in args.town if x not in lookup]
        if bad:
            raise SystemExit(f"unknown street/town: {', '.join(bad)}")
        towns = tuple(lookup[x] for x in args.town)
    return f.with_(start=start, end=end, towns=towns, categories=tuple(args.category or ()))
