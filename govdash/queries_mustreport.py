"""Reads of 八必报 (the grid workers' must-report items) and of the 重点难点 (key difficult) cases.

Times of a must-report case (docs/indicators.md, 八必报): discovery is ``reported_at`` (the grid worker
found it), the report is ``dispatched_at`` (the centre accepted and dispatched it), the first response is
``handled_at`` (the department's handling). A time after ``at`` has not happened yet and is not counted.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from govdash import schema
from govdash.db import Database
from govdash.filters import Filters
from govdash.queries import _attr_where, where

_HOURS = "quantile_cont(epoch({t} - reported_at) / 3600.0, 0.5) FILTER (WHERE {t} <= $at)"


STATS_COLUMNS = ("cases", "reported", "responded", "open", "report_hours", "response_hours")
KEY_COLUMNS = (
    "case_id",
    "category",
    "town_id",
    "community_id",
    "grid_id",
    "department_id",
    "key_status",
    "key_owner",
    "status",
    "reported_at",
    "closed_at",
    "description",
)


def has_columns(db: Database) -> bool:
    """Whether the cases table has the must-report and key-case columns (a file written before them has not,
    until its next write adds them: its panels then show none, never an error)."""
    return (
        db.scalar(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
            "AND table_name = 'cases' AND column_name IN ('must_report', 'key_status', 'key_owner')"
        )
        == 3
    )


def items(db: Database) -> pd.DataFrame:
    """The must-report catalogue (``item``, ``name_zh``, ``name_en``): the database's own, or the eight items of
    ``schema.MUST_REPORT`` when its table is empty or missing (a file made before the items existed)."""
    has = db.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'must_report_items' "
        "AND database_name = current_database()"
    )
    df = db.execute("SELECT item, name_zh, name_en FROM must_report_items ORDER BY rowid") if has else None
    if df is None or df.empty:
        return pd.DataFrame(list(schema.MUST_REPORT), columns=["item", "name_zh", "name_en"])
    return df


GROUPS = {"item": "must_report", "town": "town_id", "community": "community_id", "grid": "grid_id"}


def stats(db: Database, f: Filters, at: datetime, by: str | None = None) -> pd.DataFrame:
    """Must-report cases reported in ``f``'s period by ``at``: one row in all, or one per ``by`` (``GROUPS``: the
    item, or a street/town, community or grid: its id as ``key``; cases without one under a NULL key).

    Columns: [``key``], ``cases``, ``reported`` (dispatched by ``at``), ``responded`` (handled by ``at``),
    ``open`` (not closed by ``at``), ``report_hours`` and ``response_hours`` (medians from discovery over
    the cases reported / responded to by ``at``; NaN when none), most cases first.
    """
    if by is not None and by not in GROUPS:
        raise ValueError(f"not a must-report grouping: {by!r} (one of {', '.join(GROUPS)})")
    if not has_columns(db):
        return pd.DataFrame(columns=(["key"] if by else []) + list(STATS_COLUMNS))
    w, params = where(f)
    key = f"{GROUPS[by]} AS key, " if by else ""
    group = "GROUP BY ALL ORDER BY cases DESC, key" if by else ""
    return db.execute(
        f"""SELECT {key}count(*) AS cases,
            count(*) FILTER (WHERE dispatched_at <= $at) AS reported,
            count(*) FILTER (WHERE handled_at <= $at) AS responded,
            count(*) FILTER (WHERE closed_at IS NULL OR closed_at > $at) AS open,
            {_HOURS.format(t="dispatched_at")} AS report_hours,
            {_HOURS.format(t="handled_at")} AS response_hours
        FROM cases WHERE {w} AND must_report IS NOT NULL AND reported_at <= $at {group}""",
        {**params, "at": at},
        complete=True,
    )


def key_cases(db: Database, f: Filters, at: datetime) -> pd.DataFrame:
    """The 重点难点 cases reported by ``at`` in ``f``'s area (any time: a key case is tracked until it is
    settled, whatever the period), oldest first, with their tracking status and owner as stored."""
    if not has_columns(db):
        return pd.DataFrame(columns=list(KEY_COLUMNS))
    w, params = _attr_where(f)
    return db.execute(
        f"""SELECT {", ".join(KEY_COLUMNS)}
        FROM cases WHERE key_difficult AND reported_at <= $at AND {w}
        ORDER BY reported_at, case_id""",
        {**params, "at": at},
        complete=True,
    )
