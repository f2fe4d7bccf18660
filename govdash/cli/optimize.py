"""``python -m govdash optimize``: rewrite the database file with cases in area order (a lake: compaction)."""

from __future__ import annotations

import sys

from govdash import settings
from govdash.cli._common import db_arg


def cmd_optimize(args) -> int:
    """Rewrite the database file with cases clustered by month and area, beside running apps."""
    from govdash import lake, layout

    path = args.db or settings.load().db
    if lake.is_lake(path):
        r = lake.optimize(path)
        print(
            f"{path}: cases in {r['files_before']} → {r['files_after']} data files in area order, "
            f"{r['expired']} old snapshots expired, in {r['seconds']:.1f} s"
        )
        return 0
    try:
        r = layout.optimize(path)
    except FileNotFoundError:
        print(f"no database at {path}", file=sys.stderr)
        return 2
    print(
        f"{path}: {r['rows']:,} cases in area order in {r['seconds']:.1f} s "
        f"({r['mb_before']:,.0f} MB → {r['mb_after']:,.0f} MB)"
    )
    return 0


def register(subparsers) -> None:
    """Add the ``optimize`` subcommand."""
    o = subparsers.add_parser("optimize", help="rewrite the database with cases in area order (after large imports)")
    db_arg(o)
    o.set_defaults(func=cmd_optimize)
