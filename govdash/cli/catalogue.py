"""``python -m govdash catalogue rename KIND CODE --zh NAME [--en NAME]``: name a category, channel or department
(an entry an import added under ``[catalogue] kind = "add"`` is labelled by its value until renamed)."""

from __future__ import annotations

import sys

from govdash import settings


def register(sub) -> None:
    p = sub.add_parser("catalogue", help="rename a category, channel or department of the district's catalogue")
    cmds = p.add_subparsers(dest="catalogue_command", required=True)
    r = cmds.add_parser("rename", help="set an entry's Chinese and English names")
    r.add_argument("kind", choices=("category", "channel", "department"))
    r.add_argument("code", help="the entry's code (as stored in the cases)")
    r.add_argument("--zh", required=True, help="Chinese name")
    r.add_argument("--en", default=None, help="English name (default: none, the Chinese one is shown)")
    r.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    r.set_defaults(func=cmd_rename)


def cmd_rename(args) -> int:
    """Rename one entry in one write; exit 2 for an unknown code or an empty name."""
    from govdash import db, writes

    if not args.zh.strip():
        print("catalogue rename: --zh must not be empty", file=sys.stderr)
        return 2
    with db.write(args.db or settings.load().db, create=False) as con:
        changed = writes.catalogue_rename(con, args.kind, args.code, args.zh.strip(), (args.en or "").strip() or None)
    if not changed:
        print(f"catalogue rename: no {args.kind} {args.code!r} in the catalogue", file=sys.stderr)
        return 2
    print(f"{args.kind} {args.code}: {args.zh.strip()}" + (f" / {args.en.strip()}" if args.en else ""))
    return 0
