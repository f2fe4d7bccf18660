"""``python -m govdash report``: a leaders' period briefing (week, month, quarter, year) as PDF or HTML."""

from __future__ import annotations

import sys
import time

from govdash import settings
from govdash.periods import KINDS


def cmd_report(args) -> int:
    """Build the briefing of ``--period`` at ``--at`` and write it to ``--out`` in the format of its extension."""
    from govdash import briefing, pdf, periods, queries
    from govdash.db import Database

    s = settings.load()
    try:
        briefing.output_format(args.out)
        db = Database(args.db or s.db)
        p = periods.parse(args.period, args.at) if args.at else periods.last_complete(args.period, queries.as_of(db))
        t0 = time.perf_counter()
        path = briefing.write(db, p, args.out, lang=args.lang or s.lang, s=s)
    except (briefing.FormatError, periods.PeriodError, pdf.PdfUnavailable, pdf.PdfFailed) as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    took = time.perf_counter() - t0
    print(
        f"wrote {path} ({p.kind} {p.start} – {p.end}, {path.stat().st_size / 1024:.0f} KB) in {took:.1f} s",
        file=sys.stderr,
    )
    return 0


def register(subparsers) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="write a leaders' briefing (周例会 week, 月研判 month, 季总结 quarter, 年考核 year) as A4 PDF or HTML",
        description="The format follows --out's extension: .pdf (printed offline by a headless Chromium with a "
        "Chinese font; see GOVDASH_CHROMIUM) or .html (self-contained, prints to A4 from a browser).",
    )
    p.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    p.add_argument("--period", choices=KINDS, default="month", help="week (Monday–Sunday), month, quarter or year")
    p.add_argument(
        "--at",
        default=None,
        help="YYYY-MM-DD (the period containing that day), YYYY-MM (month, quarter, year) or YYYY (year); "
        "default: the last complete period at the data time",
    )
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: GOVDASH_LANG)")
    p.add_argument("--out", required=True, help="output file, .pdf or .html, e.g. report_2026-10.pdf")
    p.set_defaults(func=cmd_report)
