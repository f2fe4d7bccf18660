"""Reads of the 挂牌督办 decisions (govdash.supervision writes them)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from govdash.db import Database

COLUMNS = ["decision_id", "level", "unit_id", "name_zh", "name_en", "decided_on", "decided_by", "reason"]


def has_table(db: Database) -> bool:
    """False for a database written before decisions were recorded (it is opened read-only, never altered)."""
    n = db.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = 'supervisions'"
    )
    return bool(n)


def decisions(db: Database, *, since: date | None = None, until: date | None = None) -> pd.DataFrame:
    """Recorded decisions taken from ``since`` to ``until`` (inclusive; None: no bound), newest first, with the
    unit's names (a unit since removed keeps its id and has no name)."""
    if not has_table(db):
        return pd.DataFrame(columns=COLUMNS)
    return db.execute(
        """SELECT s.decision_id, s.level, s.unit_id, coalesce(u.name_zh, d.name_zh) AS name_zh,
                  coalesce(u.name_en, d.name_en) AS name_en, s.decided_on, s.decided_by, s.reason
           FROM supervisions s
           LEFT JOIN units u ON s.level = 'town' AND u.level = 'town' AND u.unit_id = s.unit_id
           LEFT JOIN departments d ON s.level = 'department' AND d.department_id = s.unit_id
           WHERE ($since IS NULL OR s.decided_on >= $since) AND ($until IS NULL OR s.decided_on <= $until)
           ORDER BY s.decided_on DESC, s.decision_id DESC""",
        {"since": since, "until": until},
        complete=True,
    )
