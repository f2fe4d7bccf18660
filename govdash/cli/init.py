"""``python -m govdash init``: start an empty district (its record only), ready for imports."""

from __future__ import annotations

import sys
from pathlib import Path

from govdash import district_record, settings


def district_from(
    name: str,
    name_en: str | None = None,
    timezone: str | None = None,
    crs: str = "auto",
    level_names: str | None = None,
    first_year: int | None = None,
) -> district_record.District:
    """The record ``init`` writes, checked: a known IANA time zone, a projected CRS in metres (or 'auto'),
    level names 'zh[/en],…' top level first (at most three)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name.strip():
        raise ValueError("--name must not be empty")
    timezone = timezone or settings.load().timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {timezone!r} (an IANA name, e.g. Asia/Shanghai, America/Los_Angeles)"
        ) from None
    auto = crs.strip().lower() == "auto"
    chosen = "" if auto else _metric(crs)
    names = dict(district_record.LEVEL_NAMES)
    if level_names:
        parts = [p.strip() for p in level_names.split(",")]
        if len(parts) > 3 or not all(parts):
            raise ValueError("--level-names: one to three names 'zh[/en]', top level first, comma-separated")
        for level, part in zip(("town", "community", "grid"), parts, strict=False):
            zh, _, en = part.partition("/")
            names[level] = (zh.strip(), (en or zh).strip())
    return district_record.District(
        name_zh=name.strip(),
        name_en=(name_en or "").strip(),
        timezone=timezone,
        metric_crs=chosen,
        crs_auto=auto,
        level_names=names,
        synthetic=False,
        first_year=first_year,
    )


def _metric(crs: str) -> str:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        c = CRS.from_user_input(crs)
    except CRSError:
        raise ValueError(f"unknown CRS {crs!r} (auto, or EPSG:<code> of a projected CRS in metres)") from None
    unit = c.axis_info[0].unit_name if c.axis_info else ""
    if not c.is_projected or unit not in ("metre", "meter"):
        raise ValueError(f"{crs} is not a projected CRS in metres (give auto, or e.g. the district's UTM zone)")
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.to_string()


def init(path: str | Path, record: district_record.District) -> Path:
    """Create the database file ``path`` with every table and the district's record; refuses an existing file."""
    from govdash import db

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists: init starts a new district in a new file")
    with db.write(path, fresh=True) as con:  # every table, then the record; the file appears whole
        district_record.write(con, record)
    return path


def cmd_init(args) -> int:
    """Start an empty district."""
    path = args.db or settings.load().db
    try:
        record = district_from(args.name, args.name_en, args.timezone, args.crs, args.level_names, args.first_year)
        init(path, record)
    except (ValueError, FileExistsError) as exc:
        print(f"init: {exc}", file=sys.stderr)
        return 2
    crs = record.metric_crs or "auto (the UTM zone of the first units imported)"
    print(
        f"{path}: district {record.name('zh')}"
        + (f" / {record.name_en}" if record.name_en else "")
        + f", time zone {record.timezone}, metric CRS {crs}"
    )
    return 0


def register(sub) -> None:
    p = sub.add_parser("init", help="start an empty district (then import units, cases, stations, population)")
    p.add_argument("--db", default=None, help="DuckDB file to create (default: GOVDASH_DB or data/govdash.duckdb)")
    p.add_argument("--name", required=True, help="the district's name (Chinese, or the only name)")
    p.add_argument("--name-en", default=None, help="its English name")
    p.add_argument(
        "--timezone", default=None, help="IANA time zone of its times (default: the setting GOVDASH_TIMEZONE)"
    )
    p.add_argument(
        "--crs",
        default="auto",
        help="metric CRS for areas and distances: auto (default: the UTM zone of its units) or EPSG:<n>",
    )
    p.add_argument(
        "--level-names",
        default=None,
        help="names of its levels, top first: 'zh[/en],…', e.g. '街道/Subdistrict,社区/Community'",
    )
    p.add_argument("--first-year", type=int, default=None, help="first year of its data (informative)")
    p.set_defaults(func=cmd_init)
