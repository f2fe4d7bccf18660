"""One typed settings module: defaults, documented, overridable by GOVDASH_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default, cast=str):
    raw = os.environ.get(f"GOVDASH_{name.upper()}")
    if raw is None or raw == "":
        return default
    if cast is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return cast(raw)


@dataclass(frozen=True)
class Settings:
    """Every tunable of govdash. Each field is read from ``GOVDASH_<FIELD>`` when set."""

    db: str = field(
        default=str(PROJECT_ROOT / "data" / "govdash.duckdb"),
        metadata={
            "doc": "The database: a DuckDB file's path, or a DuckLake: ducklake:sqlite:FILE (one "
            "machine) or ducklake:postgres:CONNINFO (libpq key=value, e.g. 'dbname=govdash "
            "host=db port=5432 user=govdash'; password from PGPASSWORD) for several hosts."
        },
    )
    lake_data: str = field(
        default="",
        metadata={
            "doc": "A DuckLake's data path (folder of its Parquet files, on storage every "
            "host shares); needed when a lake is created. Empty: the one its catalog "
            "holds, or FILE.files beside a SQLite catalog."
        },
    )
    lang: str = field(default="zh", metadata={"doc": "Default UI language: zh or en."})
    demo_cases: int = field(
        default=500_000, metadata={"doc": "Cases generated when the app builds the demo database on first run."}
    )
    demo_seed: int = field(default=20161, metadata={"doc": "Random seed of the demo generator."})
    walk_kmh: float = field(
        default=4.5, metadata={"doc": "Walking speed in km/h (OSMnx examples use 4.5; Valhalla 5.1; r5 3.6)."}
    )
    circuity: float = field(
        default=1.3, metadata={"doc": "Straight-line to street distance factor for straight-line coverage."}
    )
    walk_minutes: int = field(default=15, metadata={"doc": "Service-circle threshold in minutes."})
    network_file: str = field(
        default="",
        metadata={
            "doc": "OpenStreetMap extract (.osm.pbf, or .osm XML, optionally .gz/.bz2) "
            "for street-network walking coverage and the grid map's offline basemap (roads, water); "
            "empty: straight-line only, no basemap."
        },
    )
    metric_crs: str = field(
        default="",
        metadata={
            "doc": "Override of the district's metric CRS for distances and areas "
            "(e.g. EPSG:32651); empty: the district's own, chosen from its units "
            "(their UTM zone) or set by init --crs."
        },
    )
    timezone: str = field(
        default="Asia/Shanghai",
        metadata={
            "doc": "Time zone of a district without its own record: case times are stored "
            "as its local time, and imported times without an offset are read in "
            "it (a mapping's timezone overrides for its file)."
        },
    )
    as_of: str = field(
        default="auto",
        metadata={
            "doc": "The instant overdue and 'open for' are computed at: auto (the newest "
            "case event when that is more than a day old, i.e. a historical extract, "
            "else the clock), data (always the newest event) or clock."
        },
    )
    tile_url: str = field(
        default="",
        metadata={"doc": "Optional intranet XYZ tile URL, e.g. http://tiles.local/{z}/{x}/{y}.png. Empty: no basemap."},
    )
    refresh_seconds: int = field(default=60, metadata={"doc": "Wall-screen data refresh interval in seconds."})
    rotate_seconds: int = field(
        default=30,
        metadata={"doc": "Wall-screen playlist rotation interval in seconds (0: no rotation); ?rotate= overrides."},
    )
    wall: bool = field(
        default=False,
        metadata={
            "doc": "Boot straight into the wall-screen layout (as ?mode=wall); ?mode=app shows the normal pages."
        },
    )
    wall_lang: str = field(default="zh", metadata={"doc": "Wall-screen language, zh or en; ?lang= overrides."})
    wall_panels: str = field(
        default="overview,map,trend,coverage",
        metadata={
            "doc": "Wall playlist: comma-separated panels (overview, map, trend, coverage, must_report: 八必报); "
            "?panels= overrides."
        },
    )
    wall_days: int = field(
        default=0,
        metadata={
            "doc": "Days in the wall's headline period, compared with the "
            "same number of days before; 0: the last complete month "
            "(compared with the month before); ?days= overrides."
        },
    )
    play_seconds: float = field(default=1.5, metadata={"doc": "Seconds per frame of the heatmap's time playback."})
    max_rows: int = field(default=200_000, metadata={"doc": "Row cap of one query result."})
    target_resolution: float = field(default=0.99, metadata={"doc": "Target resolution rate (share)."})
    target_on_time: float = field(default=1.00, metadata={"doc": "Target on-time completion rate (share)."})
    target_recognition: float = field(default=0.99, metadata={"doc": "Target grassroots recognition rate (share)."})
    target_dispute: float = field(default=0.95, metadata={"doc": "Target dispute resolution rate (share)."})
    target_satisfaction: float = field(default=80.0, metadata={"doc": "Target satisfaction score (0-100)."})
    target_median_hours: float = field(
        default=24.0,
        metadata={
            "doc": "Target median hours from report to close (lower is better); rankings score it as target ÷ value."
        },
    )
    weight_resolution_rate: float = field(default=0.25, metadata={"doc": "Ranking weight of resolution ÷ target."})
    weight_on_time_rate: float = field(default=0.25, metadata={"doc": "Ranking weight of on-time rate ÷ target."})
    weight_recognition_rate: float = field(default=0.10, metadata={"doc": "Ranking weight of recognition ÷ target."})
    weight_dispute_rate: float = field(default=0.10, metadata={"doc": "Ranking weight of dispute resolution ÷ target."})
    weight_satisfaction: float = field(default=0.15, metadata={"doc": "Ranking weight of satisfaction ÷ target."})
    weight_median_hours: float = field(
        default=0.15, metadata={"doc": "Ranking weight of target ÷ median hours to close."}
    )
    score_cap: float = field(
        default=1.2,
        metadata={
            "doc": "Cap of each indicator ÷ target ratio in the ranking "
            "score, so one excellent figure cannot hide others."
        },
    )
    ranking_min_cases: int = field(default=30, metadata={"doc": "Fewest cases in the period for a unit to be ranked."})
    ranking_list_size: int = field(default=5, metadata={"doc": "Units on the red list (top) and black list (bottom)."})
    ranking_method: str = field(
        default="adjusted",
        metadata={
            "doc": "How streets/towns and departments are scored: 'adjusted' (each compared with the district's "
            "rate for the same categories, shrunk toward the district by empirical Bayes) or 'raw'."
        },
    )
    property_min_households: int = field(
        default=500, metadata={"doc": "Fewest households a property company manages to be ranked (物业红黑榜)."}
    )
    property_warning_factor: float = field(
        default=1.5,
        metadata={"doc": "Property warning line: complaints per 1,000 households at this multiple of the district's."},
    )
    max_upload_mb: int = field(
        default=512,
        metadata={
            "doc": "Largest import file in MB (CLI and upload); bigger files are "
            "refused before reading. 1 M cases as CSV are ~200 MB."
        },
    )
    import_first_year: int = field(
        default=2000,
        metadata={
            "doc": "Earliest year of any time in an imported case; earlier times "
            "(and times more than a day past now or the data's as-of) are "
            "row errors."
        },
    )
    import_max_rows: int = field(
        default=5_000_000,
        metadata={
            "doc": "Most rows in one import file; a Parquet or Excel file claiming "
            "more is refused before its rows are loaded."
        },
    )
    import_max_unpacked_mb: int = field(
        default=1024,
        metadata={
            "doc": "Most MB a compressed import may unpack to (Parquet "
            "uncompressed size, .xlsx and zipped Shapefile members), "
            "checked before unpacking."
        },
    )
    import_memory_mb: int = field(
        default=3072,
        metadata={
            "doc": "Memory cap of one import in MB: the admin page's import process "
            "(address space); DuckDB spills to disk past half of it."
        },
    )
    auth: str = field(
        default="none",
        metadata={
            "doc": "Sign-in: none (everyone is an admin: demos, a trusted single-user machine), "
            "local (accounts of `python -m govdash account`) or oidc (st.login with "
            "the [auth] section of .streamlit/secrets.toml; roles from accounts)."
        },
    )
    accounts_db: str = field(
        default="",
        metadata={"doc": "DuckDB file of accounts and the audit log; empty: accounts.duckdb in the database's folder."},
    )
    chromium: str = field(
        default="",
        metadata={
            "doc": "Chromium or Chrome binary that prints PDF reports (headless, offline); empty: chromium, "
            "chromium-browser or google-chrome on PATH. Without one, reports are written as HTML only."
        },
    )
    wall_public: bool = field(
        default=False,
        metadata={"doc": "The wall screen (?mode=wall) needs no sign-in; it shows no personal data either way."},
    )


def load() -> Settings:
    """Return settings with environment overrides applied."""
    values = {}
    for f in fields(Settings):
        default = f.default
        values[f.name] = _env(f.name, default, type(default))
    return Settings(**values)
