"""挂牌督办 as a recorded decision: who placed which street/town or department under listed supervision, when, why.

A ranking only lists the units at the bottom (排名后五位); supervision is a decision taken after
inspection, entered here (``python -m govdash supervise add``, the admin page) and listed by the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from govdash import db as store
from govdash import queries_supervision, writes
from govdash.db import Database
from govdash.i18n import pick, t

LEVELS = ("town", "department")
MAX_TEXT = 500  # characters of who and why
# the label of each field an error names (a page shows the label, not the English message)
FIELD_LABELS = {
    "level": "sup_level",
    "unit": "sup_unit",
    "decided_on": "sup_decided_on",
    "decided_by": "sup_decided_by",
    "reason": "sup_reason",
}


class SupervisionError(ValueError):
    """A decision that cannot be recorded; the message names the field (also ``field``). Nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.field = message.split(":", 1)[0]  # level, unit, decided_on, decided_by or reason


@dataclass(frozen=True)
class Decision:
    """One 挂牌督办 decision as entered."""

    level: str  # town | department
    unit_id: str
    decided_on: date
    decided_by: str  # who took it: a leader, a meeting
    reason: str  # why


def _clean(value, field: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise SupervisionError(f"{field}: required")
    if len(text) > MAX_TEXT:
        raise SupervisionError(f"{field}: at most {MAX_TEXT} characters (got {len(text)})")
    return text


def add(path: str, d: Decision, *, at: datetime, recorded_by: str | None = None) -> int:
    """Record decision ``d`` in the database file ``path`` in one write; returns its id.

    ``at`` is the instant of recording (the data time or the clock; a decision cannot be dated after
    it). Raises SupervisionError naming the field (level, unit, decided_on, decided_by, reason) and
    leaves the database untouched.
    """
    if d.level not in LEVELS:
        raise SupervisionError(f"level: must be one of {', '.join(LEVELS)} (got {str(d.level)[:20]!r})")
    unit = _clean(d.unit_id, "unit")
    who, why = _clean(d.decided_by, "decided_by"), _clean(d.reason, "reason")
    if not isinstance(d.decided_on, date) or isinstance(d.decided_on, datetime):
        raise SupervisionError(f"decided_on: a date YYYY-MM-DD (got {str(d.decided_on)[:20]!r})")
    if d.decided_on > at.date():
        raise SupervisionError(f"decided_on: {d.decided_on} is after today ({at:%Y-%m-%d})")
    with store.write(path, create=False) as con:
        if writes.supervision_unit(con, d.level, unit) is None:
            raise SupervisionError(f"unit: no {d.level} with id {unit[:40]!r}")
        return writes.supervision_insert(
            con,
            {
                "level": d.level,
                "unit_id": unit,
                "decided_on": d.decided_on,
                "decided_by": who,
                "reason": why,
                "recorded_at": at,
                "recorded_by": recorded_by,
            },
        )


def now(db: Database, as_of: datetime) -> datetime:
    """The instant a decision is recorded at: the district's wall clock, or the data time ``as_of``
    (queries.as_of) when that is later (a demo's fixed now)."""
    from govdash import queries

    return max(queries.clock(db), as_of)


def display_table(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Decisions (queries_supervision.decisions) for reading: date, level, unit, who, why — headers from the
    label table; streets/towns by their Chinese name, departments by their English one in English."""
    names = [
        str(uid) if pd.isna(zh) else (zh if lvl == "town" else pick(zh, en if pd.notna(en) else zh, lang))
        for lvl, uid, zh, en in zip(df["level"], df["unit_id"], df["name_zh"], df["name_en"], strict=True)
    ]
    return pd.DataFrame(
        {
            t("sup_decided_on", lang): [f"{pd.Timestamp(v):%Y-%m-%d}" for v in df["decided_on"]],
            t("sup_level", lang): [t("town" if v == "town" else "department", lang) for v in df["level"]],
            t("sup_unit", lang): names,
            t("sup_decided_by", lang): df["decided_by"].astype(str).tolist(),
            t("sup_reason", lang): df["reason"].astype(str).tolist(),
        }
    )


def listed(db: Database, until: date, lang: str = "zh", *, limit: int = 20) -> pd.DataFrame:
    """The newest ``limit`` decisions taken up to ``until``, for reading (the reports' list)."""
    return display_table(queries_supervision.decisions(db, until=until).head(limit), lang)
