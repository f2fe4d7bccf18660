"""Report periods as leaders hold their meetings: the week (Monday–Sunday), month, quarter and year."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from govdash.filters import Filters
from govdash.i18n import t

KINDS = ("week", "month", "quarter", "year")  # 周例会, 月研判, 季总结, 年考核
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period kind or an ``--at`` value that names no period."""


@dataclass(frozen=True)
class Period:
    """One whole calendar period: ``kind`` in KINDS, first and last day inclusive (local dates)."""

    kind: str
    start: date
    end: date

    def filters(self) -> Filters:
        """The whole period as a district-wide filter."""
        return Filters(start=self.start, end=self.end)

    def previous(self) -> Period:
        """The period of the same kind just before this one (last week, last month, last quarter, last year)."""
        return containing(self.kind, self.start - timedelta(days=1))

    def key(self) -> str:
        """A short name for files and audit lines: '2026-W10', '2026-02', '2026Q1', '2026'."""
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    def label(self, lang: str = "zh") -> str:
        """The period as a leader names it: '2026年第10周', '2026年2月', '2026年第1季度', '2026年' (labels table)."""
        iso = self.start.isocalendar()
        return t(f"period_label_{self.kind}", lang).format(
            y=self.start.year, m=self.start.month, q=(self.start.month - 1) // 3 + 1, w=iso.week, wy=iso.year
        )


def containing(kind: str, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())  # Monday
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _month_end(start))
    if kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, start, _month_end(date(start.year, start.month + 2, 1)))
    if kind == "year":
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise PeriodError(f"period must be one of {', '.join(KINDS)}: got {kind!r}")


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse(kind: str, at: str) -> Period:
    """The period of ``kind`` named by ``at``: a day YYYY-MM-DD (the period containing it), a month YYYY-MM
    (not for a week: a month holds several) or, for a year, YYYY. Anything else raises PeriodError."""
    if kind not in KINDS:
        raise PeriodError(f"period must be one of {', '.join(KINDS)}: got {kind!r}")
    text = (at or "").strip()
    try:
        if m := _DAY.match(text):
            return containing(kind, date(int(m[1]), int(m[2]), int(m[3])))
        if (m := _MONTH.match(text)) and kind != "week":
            return containing(kind, date(int(m[1]), int(m[2]), 1))
        if (m := _YEAR.match(text)) and kind == "year":
            return containing(kind, date(int(m[1]), 1, 1))
    except ValueError:
        pass  # 2026-13, 2026-02-30: named below
    shapes = {"week": "YYYY-MM-DD", "month": "YYYY-MM or YYYY-MM-DD", "quarter": "YYYY-MM or YYYY-MM-DD"}
    raise PeriodError(f"--at for a {kind} must be {shapes.get(kind, 'YYYY, YYYY-MM or YYYY-MM-DD')}: got {text[:20]!r}")


def last_complete(kind: str, at: datetime) -> Period:
    """The newest period of ``kind`` wholly over at the instant ``at`` (the one ending at its last minute counts)."""
    p = containing(kind, at.date())
    if (at + timedelta(minutes=1)).date() > p.end:  # at is the period's last minute
        return p
    return p.previous()


def options(kind: str, first: date, at: datetime) -> list[Period]:
    """Complete periods of ``kind`` from the one containing ``first`` to the last complete at ``at``, newest first."""
    out, p = [], last_complete(kind, at)
    while p.end >= first:
        out.append(p)
        p = p.previous()
    return out
