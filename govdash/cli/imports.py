"""``python -m govdash import KIND FILE`` (cases, events, stations, units, population, workers, patrols), ``list``,
``undo``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from govdash import settings
from govdash.schema import UNIT_LEVELS

SHOWN = 50  # report rows printed; --report writes them all


def _crs(text: str) -> str:
    """argparse type: a CRS name, checked here so a typo is a usage error."""
    from govdash.ingest._coords import normalise_crs

    try:
        return normalise_crs(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers) -> None:
    """Add the ``import`` subcommand (govdash.cli loads this)."""
    p = subparsers.add_parser(
        "import",
        help="import cases, stations or boundaries; list and undo imports",
        description="Import a file into the database (validated, in one transaction, "
        "upserted by id), list past imports or undo one. See docs/import.md.",
    )
    sub = p.add_subparsers(dest="import_command", required=True)
    helps = {
        "cases": "cases: CSV (UTF-8/GBK), Excel, Parquet, JSON lines, Open311 JSON/XML",
        "stations": "service stations: CSV/Excel with coordinates, GeoJSON, GeoPackage, zipped Shapefile",
        "units": "boundaries (street/town, community, grid): GeoJSON, GeoPackage, zipped Shapefile",
        "events": "case events (流转记录) beside the case file: CSV/Excel, one row per event; each case named gets the "
        "file's events as its log",
        "population": "population: counts at points (CSV/Excel with lon/lat, GeoJSON, GeoPackage), in polygons "
        "(census blocks: spread by area) or a GeoTIFF raster (WorldPop, GHS-POP); replaces the "
        "100 m surface",
        "workers": "grid workers 网格员 (id, name, grid, role 网格员/协管员/公益员, on duty): "
        "CSV, Excel, Parquet, JSON",
        "patrols": "patrols 巡查记录 (id, worker, grid, start, end, route metres, points visited, issues reported): "
        "CSV, Excel, Parquet, JSON",
        "station_services": "station service records (station_id, item, tier, served_at, residents): CSV/Excel",
        "station_meetings": "三会 held at stations (type, station_id, held_on, topic, attendance): CSV/Excel",
        "property_companies": "property-management companies (company_id, name_zh, name_en): CSV/Excel",
        "estates": "estates (estate_id, name_zh, community_id, households, lon, lat, company_id): CSV/Excel",
    }
    records = ("station_services", "station_meetings", "property_companies", "estates")  # columns found by name
    for kind, text in helps.items():
        k = sub.add_parser(kind, help=text, description=f"Import {text}.")
        k.add_argument("file", help="the file to import")
        k.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
        if kind == "population":
            k.add_argument(
                "--column",
                default=None,
                help="the column of counts (default: count, population, pop, residents, 人口, …)",
            )
        elif kind not in records:
            k.add_argument(
                "--mapping",
                default=None,
                help="TOML mapping file"
                + (
                    " or a shipped one: govdash, open311, 12345 (default: the shipped one fitting the columns)"
                    if kind == "cases"
                    else " or a shipped one: govdash, 12345 (流转记录) (default: the shipped one fitting the columns)"
                    if kind == "events"
                    else " (default: column names guessed)"
                ),
            )
        if kind == "events":
            k.add_argument("--encoding", default=None, help="text encoding, e.g. gbk (default: detected)")
            k.add_argument(
                "--on-error",
                choices=("reject", "quarantine"),
                default="reject",
                help="reject: load nothing if any row fails (default); quarantine: load the valid rows",
            )
            k.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
            k.add_argument("--user", default=None, help="who imports (default: $USER)")
            k.add_argument("--report", metavar="CSV", default=None, help="write every error to this CSV")
            k.set_defaults(func=cmd_import, kind=kind, crs=None)
            continue
        k.add_argument(
            "--crs",
            type=_crs,
            default=None,
            help="coordinates' CRS: wgs84, gcj02 (Amap, Tencent), bd09 (Baidu) or EPSG:n; converted to "
            "WGS-84 (default: the mapping's, else the file's, else wgs84)",
        )
        k.add_argument("--encoding", default=None, help="text encoding, e.g. gbk (default: detected)")
        k.add_argument(
            "--on-error",
            choices=("reject", "quarantine"),
            default="reject",
            help="reject: load nothing if any row fails (default); quarantine: load the valid rows, "
            "keep the others with reasons",
        )
        k.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        k.add_argument("--user", default=None, help="who imports (default: $USER)")
        k.add_argument("--report", metavar="CSV", default=None, help="write every error and warning to this CSV")
        if kind == "units":
            k.add_argument(
                "--level",
                choices=UNIT_LEVELS,
                default=None,
                help="the level of every unit when the file has no level column",
            )
        k.set_defaults(func=cmd_import, kind=kind)
    ls = sub.add_parser("list", help="list past imports, newest first")
    ls.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    ls.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    ls.set_defaults(func=cmd_list)
    un = sub.add_parser("undo", help="undo an import: remove what it inserted, restore what it updated")
    un.add_argument("import_id", help="the id shown by `import list`")
    un.add_argument("--db", default=None, help="DuckDB file (default: GOVDASH_DB or data/govdash.duckdb)")
    un.add_argument("--user", default=None, help="who undoes (default: $USER)")
    un.set_defaults(func=cmd_undo)


class _Bar:
    """A progress bar on stderr, drawn only on a terminal (logs and pipes stay clean)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.on = self.stream.isatty()
        self.last = None

    def __call__(self, frac: float, text: str) -> None:
        pct = int(min(max(frac, 0.0), 1.0) * 100)
        if self.on and (pct, text) != self.last:
            filled = pct * 30 // 100
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% {text:<12}", end="", file=self.stream, flush=True)
            self.last = (pct, text)

    def close(self) -> None:
        if self.on and self.last is not None:
            print(file=self.stream)


def print_report(rep, out=None) -> None:
    """The summary, notes, the first errors and warnings (file, row, field, value, reason) and the quarantine file."""
    out = out or sys.stdout
    print(rep.summary(), file=out)
    for note in rep.notes:
        print(f"note: {note}", file=out)
    for title, df in (("errors", rep.errors), ("warnings", rep.warnings)):
        if len(df):
            more = f" (first {SHOWN} of {len(df)}; --report FILE writes all)" if len(df) > SHOWN else ""
            print(f"{title}{more}:", file=out)
            print(df.head(SHOWN).to_string(index=False, max_colwidth=60), file=out)
    if rep.quarantine_csv:
        print(f"quarantined rows: {rep.quarantine_csv}", file=out)


def _user(args) -> str | None:
    return args.user or os.environ.get("USER")


def cmd_import(args) -> int:
    """Exit 0 when loaded (or a clean dry run), 1 when rows failed and nothing was loaded, 2 when the file failed."""
    from govdash import export, ingest
    from govdash.ingest import ValidationError

    bar = _Bar()
    options = dict(
        mapping=getattr(args, "mapping", None),
        crs=args.crs,
        encoding=args.encoding,
        on_error=args.on_error,
        dry_run=args.dry_run,
        user=_user(args),
        progress=bar,
    )
    if args.kind == "units":
        options["level"] = args.level
    if args.kind == "population":
        options["column"] = args.column
    try:
        rep = ingest.run(args.kind, args.db or settings.load().db, args.file, **options)
    except ValidationError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    print_report(rep)
    if rep.status != "dry_run":
        from govdash import accounts

        accounts.audit_cli(
            "import", f"{args.kind}: {Path(args.file).name}, {rep.status}, import {rep.import_id}", _user(args)
        )
    if args.report:
        Path(args.report).write_bytes(export.to_csv_bytes(ingest.report_frame(rep)))
        print(f"report: {args.report}", file=sys.stderr)
    if rep.status == "rejected":
        print(
            f"rejected: {rep.failed} of {rep.rows} rows failed; nothing was loaded "
            "(--on-error quarantine loads the valid rows)",
            file=sys.stderr,
        )
        return 1
    return 0


LIST_COLUMNS = [
    "import_id",
    "kind",
    "status",
    "file_name",
    "rows_read",
    "inserted",
    "updated",
    "unchanged",
    "quarantined",
    "started_at",
    "user_name",
]


def cmd_list(args) -> int:
    """Print past imports, newest first."""
    from govdash import ingest

    df = ingest.listing(args.db or settings.load().db, args.limit)
    if df.empty:
        print("no imports yet")
        return 0
    print(df[[c for c in LIST_COLUMNS if c in df.columns]].to_string(index=False, max_colwidth=40))
    return 0


def cmd_undo(args) -> int:
    """Undo one import; exit 2 when refused (unknown, already undone, or a later import changed its rows)."""
    from govdash import ingest
    from govdash.ingest import ValidationError

    try:
        out = ingest.undo(args.db or settings.load().db, args.import_id, user=_user(args))
    except ValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from govdash import accounts

    accounts.audit_cli(
        "import", f"undo {args.import_id}: removed {out['removed']}, restored {out['restored']}", _user(args)
    )
    dropped = f", {out['catalogue_removed']} catalogue entries it added" if out.get("catalogue_removed") else ""
    print(f"undone {args.import_id}: removed {out['removed']}, restored {out['restored']}{dropped}")
    return 0
