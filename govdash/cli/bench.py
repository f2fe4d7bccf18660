"""``python -m govdash bench``: the arguments; the bench itself lives in the repository's ``bench/`` package."""

from __future__ import annotations

import tempfile
from pathlib import Path

from govdash import settings

DEFAULT_DIR = Path(tempfile.gettempdir()) / "govdash_bench"


def register(subparsers) -> None:
    """Add the ``bench`` subcommand."""
    p = subparsers.add_parser("bench", help="time every page's data: govdash vs naive pandas vs floor SQL")
    p.add_argument("--cases", type=int, default=1_000_000, help="demo size (default 1000000)")
    p.add_argument("--seed", type=int, default=settings.Settings.demo_seed, help="demo seed")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per page, filter and mode (default 5)")
    p.add_argument(
        "--db",
        default=None,
        help="database to use (built there when missing); default: "
        f"{DEFAULT_DIR}/demo_c<cases>_s<seed>.duckdb, reused when present",
    )
    p.add_argument("--out", default=None, help="write all figures as JSON to this file")
    p.add_argument("--pages", default=None, help="comma-separated subset of pages")
    p.add_argument("--sessions", type=int, default=20, help="concurrent sessions for the memory test (0: skip)")
    p.add_argument("--session-rounds", type=int, default=2, help="passes over every page per session")
    p.add_argument("--import-rows", type=int, default=100_000, help="rows for the import figure (0: skip)")
    p.add_argument("--no-naive", action="store_true", help="skip the pandas baseline (it loads every case)")
    p.add_argument(
        "--feed",
        type=float,
        default=0.0,
        help="seconds between live-feed batches written to a copy of the database while pages and sessions are "
        "timed (the demo feed's default rate; 0: no feed)",
    )
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    """Run the bench (imported here: the product never imports it otherwise)."""
    import sys

    sys.path.insert(0, str(settings.PROJECT_ROOT))  # bench/ sits beside govdash/, not inside it
    try:
        from bench import run
    except ModuleNotFoundError as exc:
        if exc.name != "bench":
            raise
        raise SystemExit(
            f"no bench/ package beside govdash/ in {settings.PROJECT_ROOT}: "
            "the bench runs from a checkout of the repository"
        ) from None
    return run.main(args, default_dir=DEFAULT_DIR)
