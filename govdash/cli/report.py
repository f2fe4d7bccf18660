"""``python -m govdash report``: write the monthly leader briefing as one self-contained HTML file."""

from __future__ import annotations

import argparse
import re
import sys
import time

from govdash import settings

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(value: str) -> str:
    if not _MONTH.match(value):
        raise argparse.ArgumentTypeError(f"not a month YYYY-MM: {value[:20]!r}")
    return value


def cmd_report(args) -> int:
    """Build the briefing for ``--month`` and write it to ``--out``."""
    from govdash import briefing
    from govdash.db import Database

    s = settings.load()
    db = Database(args.db or s.db)
    t0 = time.perf_counter()
    path = briefing.write(db, args.month, args.out, lang=args.lang or s.lang)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser("report", help="write the monthly leader briefing (self-contained HTML, prints to A4)")
    p.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    p.add_argument("--month", required=True, type=_month, help="calendar month, YYYY-MM")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: GOVDASH_LANG)")
    p.add_argument("--out", required=True, help="output file, e.g. briefing_2026-10.html")
    p.set_defaults(func=cmd_report)
