"""``python -m govdash migrate``: copy the database into a DuckLake (or a lake into a file), verified row for row."""

from __future__ import annotations

import sys

from govdash import settings


def register(subparsers) -> None:
    """Add the ``migrate`` subcommand."""
    p = subparsers.add_parser("migrate", help="copy the database into a DuckLake (or a lake into a file), verified")
    p.add_argument("--db", default=None, help="source: a DuckDB file or a ducklake:… (default: GOVDASH_DB)")
    p.add_argument(
        "--to",
        required=True,
        help="target: ducklake:sqlite:FILE, ducklake:postgres:CONNINFO or FILE.duckdb (must be new or empty)",
    )
    p.add_argument(
        "--data-path",
        default=None,
        help="target lake's data path (default: GOVDASH_LAKE_DATA; FILE.files beside a SQLite catalog)",
    )
    p.set_defaults(func=cmd_migrate)


def cmd_migrate(args) -> int:
    from govdash import lake, migrate

    source = args.db or settings.load().db
    try:
        r = migrate.migrate(source, args.to, data_path=args.data_path)
    except (migrate.MigrateError, lake.LakeError) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    for table, (n, _) in r["tables"].items():
        print(f"  {table:<20} {n:>12,} rows  verified")
    print(f"{source} → {args.to}: {len(r['tables'])} tables, {r['rows']:,} rows in {r['seconds']:.1f} s")
    return 0
