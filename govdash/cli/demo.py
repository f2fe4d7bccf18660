"""``python -m govdash demo``: build the synthetic demo district."""

from __future__ import annotations

import sys

from govdash import settings
from govdash.cli._common import db_arg


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


def register(subparsers) -> None:
    """Add the ``demo`` subcommand."""
    d = subparsers.add_parser("demo", help="build the synthetic demo database")
    db_arg(d)
    d.add_argument("--cases", type=int, default=500_000, help="number of cases (default 500000)")
    d.add_argument("--years", type=float, default=2.0, help="years of history (default 2)")
    d.add_argument("--seed", type=int, default=settings.Settings.demo_seed, help="random seed")
    d.set_defaults(func=cmd_demo)
