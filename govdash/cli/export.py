"""``python -m govdash export cases --out FILE``: filtered cases as CSV or Excel, safe to open in a spreadsheet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd


def register(subparsers) -> None:
    """Add the ``export`` subcommand (govdash.cli loads this)."""
    from govdash.cli._common import day

    p = subparsers.add_parser("export", help="export filtered cases to CSV or Excel")
    sub = p.add_subparsers(dest="export_command", required=True)
    c = sub.add_parser(
        "cases",
        help="filtered cases to CSV (UTF-8 with BOM) or .xlsx",
        description="Write the filtered cases in the native column layout (re-importable with "
        "--mapping govdash). Text cells starting with = + - @ are neutralised "
        "against spreadsheet formula injection.",
    )
    c.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    c.add_argument("--from", dest="date_from", type=day, help="first day reported, YYYY-MM-DD (default: first case)")
    c.add_argument("--to", dest="date_to", type=day, help="last day reported, YYYY-MM-DD (default: last case)")
    c.add_argument("--town", nargs="*", help="street/town names or codes")
    c.add_argument(
        "--community",
        nargs="*",
        help="community/village (居村) ids or names (names: give --town too where a name repeats)",
    )
    c.add_argument("--grid", nargs="*", help="grid (网格) ids or names")
    c.add_argument("--category", nargs="*", help="category codes or names (the database's catalogue)")
    c.add_argument("--channel", nargs="*", help="source channel codes or names (the database's catalogue)")
    c.add_argument("--department", nargs="*", help="department ids or names")
    c.add_argument(
        "--personal",
        action="store_true",
        help="include complainant names and phone numbers, full addresses, descriptions and coordinates "
        "(default: addresses, descriptions and coordinates masked as a viewer sees them)",
    )
    c.add_argument("--out", required=True, help="output file: .csv or .xlsx")
    c.set_defaults(func=cmd_export_cases)


def _resolve(values, table, columns: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Ids for values given as ids or names; SystemExit naming the unknown ones."""
    lookup = {}
    for col in reversed(columns):  # an id wins over a name spelled the same
        lookup.update({str(v): str(k) for v, k in zip(table[col], table[columns[0]], strict=True) if pd.notna(v)})
    bad = [v for v in values if v not in lookup]
    if bad:
        raise SystemExit(f"unknown {what}: {', '.join(bad)}")
    return tuple(dict.fromkeys(lookup[v] for v in values))


def cmd_export_cases(args) -> int:
    """Write the filtered cases to ``--out``; the file appears whole or not at all."""
    from govdash import export, queries
    from govdash.cli._common import filters_from, open_db

    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".csv", ".xlsx"):
        raise SystemExit(f"--out must end in .csv or .xlsx: {out.name}")
    db = open_db(args.db)
    f = filters_from(args, db)
    names = ("name_zh", "name_en")
    if args.category:
        f = f.with_(categories=_resolve(args.category, queries.category_names(db), ("category", *names), "category"))
    channels = _resolve(args.channel, queries.channels(db), ("channel", *names), "channel") if args.channel else ()
    deps = (
        _resolve(args.department, queries.departments(db), ("department_id", *names), "department")
        if args.department
        else ()
    )
    f = f.with_(channels=channels, departments=deps)
    if args.community:
        f = f.with_(
            communities=_resolve(args.community, queries.communities(db, f.towns), ("unit_id", "name_zh"), "community")
        )
    if args.grid:
        parents = f.communities or tuple(queries.communities(db, f.towns)["unit_id"])
        f = f.with_(grids=_resolve(args.grid, queries.grids(db, parents), ("unit_id", "name_zh"), "grid"))
    n = queries.case_count(db, f)
    if kind == ".xlsx" and n > export.XLSX_MAX_ROWS:
        raise SystemExit(
            f"{n:,} cases do not fit one Excel sheet ({export.XLSX_MAX_ROWS:,} rows): export to .csv "
            "or narrow the filters"
        )
    batches = queries.cases_export(db, f, personal=True)  # whole, in batches: no row cap
    if not args.personal:  # addresses and descriptions as a viewer sees them; no complainant columns at all
        from govdash import access

        viewer = access.Principal("cli", "viewer")
        batches = (access.mask_frame(b, viewer).drop(columns=list(queries.PERSONAL_COLUMNS)) for b in batches)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if kind == ".xlsx":
                rows = pd.concat(list(batches), ignore_index=True)
                fh.write(export.to_xlsx_bytes(rows, sheet_name="cases"))
                written = len(rows)
            else:
                written = export.write_csv(batches, fh)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    from govdash import accounts

    accounts.audit_cli(
        "export",
        f"cases: {out.name}, {written} rows, {f.start} – {f.end}" + (", with personal data" if args.personal else ""),
    )
    print(f"wrote {written:,} cases ({f.start} – {f.end}) to {out}", file=sys.stderr)
    return 0
