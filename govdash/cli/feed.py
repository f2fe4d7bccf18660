"""``python -m govdash feed``: append live demo cases and status changes in real time."""

from __future__ import annotations

import sys

from govdash import settings
from govdash.feed import run


def cmd_feed(args) -> int:
    """CLI body of ``python -m govdash feed``."""
    path = args.db or settings.load().db
    print(
        f"feeding {path}: {args.rate:g} new cases/min, {args.changes if args.changes is not None else args.rate:g} "
        f"status changes/min, a batch every {args.every:g} s, clock={args.clock} (Ctrl-C stops)",
        file=sys.stderr,
    )
    try:
        stats = run(
            path,
            rate=args.rate,
            changes=args.changes,
            every=args.every,
            duration=args.duration,
            clock=args.clock,
            seed=args.seed,
            echo=lambda m: print(m, file=sys.stderr, flush=True),
        )
    except KeyboardInterrupt:
        return 0
    print(
        f"{stats.batches} batches: {stats.inserted} new, {stats.updated} changed, {stats.failed_batches} failed",
        file=sys.stderr,
    )
    return 1 if stats.failed_batches and not stats.batches else 0


def register(subparsers) -> None:
    """Add ``feed`` to the command line."""
    p = subparsers.add_parser("feed", help="append live demo cases and status changes in real time")
    p.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    p.add_argument("--rate", type=float, default=20.0, help="new cases per minute (default 20)")
    p.add_argument("--changes", type=float, default=None, help="status changes per minute (default: --rate)")
    p.add_argument("--every", type=float, default=5.0, help="seconds between writes (default 5)")
    p.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (default: never)")
    p.add_argument(
        "--clock",
        choices=("data", "now"),
        default="data",
        help="'data' continues the database's time at real speed (default); 'now' uses the wall clock",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.set_defaults(func=cmd_feed)
