"""The shared filter state: a value object, its URL query-string form, and validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

_ID = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
_LIST_FIELDS = ("towns", "communities", "grids", "categories", "channels", "departments")
# query-string names, short so copied links stay readable
_PARAM = {
    "towns": "town",
    "communities": "community",
    "grids": "grid",
    "categories": "cat",
    "channels": "channel",
    "departments": "dept",
}
MAX_VALUES = 200


class FilterError(ValueError):
    """A query-string value that cannot be a filter."""


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. Dates are inclusive calendar days (local time)."""

    start: date
    end: date
    towns: tuple[str, ...] = field(default_factory=tuple)
    communities: tuple[str, ...] = field(default_factory=tuple)
    grids: tuple[str, ...] = field(default_factory=tuple)
    categories: tuple[str, ...] = field(default_factory=tuple)
    channels: tuple[str, ...] = field(default_factory=tuple)
    departments: tuple[str, ...] = field(default_factory=tuple)
    # the streets/towns the signed-in account may see (None: all). Set only by the app from the
    # account (govdash.access.restrict), never from a URL; queries.where intersects it with ``towns``
    scope: tuple[str, ...] | None = None

    def previous(self) -> Filters:
        """The same filters over the period of equal length just before this one; a whole calendar month's is
        the month before (a leader compares October with September, not with 31 days from 31 August)."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1 and self.end - self.start < timedelta(31):
            end = self.start - timedelta(days=1)
            return replace(self, start=end.replace(day=1), end=end)
        days = (self.end - self.start).days + 1
        return replace(self, start=self.start - timedelta(days=days), end=self.start - timedelta(days=1))

    def year_before(self) -> Filters:
        """The same filters one year earlier."""
        return replace(self, start=_minus_year(self.start), end=_minus_year(self.end))

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    def to_params(self) -> dict[str, str | list[str]]:
        """Query-string form (only non-empty values)."""
        out: dict[str, str | list[str]] = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in _LIST_FIELDS:
            values = getattr(self, name)
            if values:
                out[_PARAM[name]] = list(values)
        return out


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def default(as_of: date, days: int = 30) -> Filters:
    """The last ``days`` days up to ``as_of``."""
    return Filters(start=as_of - timedelta(days=days - 1), end=as_of)


def last_month(as_of: date) -> Filters:
    """The last complete calendar month before ``as_of``'s month (a leader's default period, docs/indicators.md)."""
    end = as_of.replace(day=1) - timedelta(days=1)
    return Filters(start=end.replace(day=1), end=end)


def from_params(params: dict[str, list[str]], fallback: Filters) -> Filters:
    """Parse query-string values (each a list of strings); raise FilterError naming the bad field."""
    values: dict = {}
    for key, name in (("from", "start"), ("to", "end")):
        raw = params.get(key) or []
        if raw:
            try:
                values[name] = date.fromisoformat(raw[-1])
            except ValueError as exc:
                raise FilterError(f"{key}: not a date (YYYY-MM-DD): {raw[-1][:40]!r}") from exc
    for name in _LIST_FIELDS:
        raw = params.get(_PARAM[name]) or []
        if len(raw) > MAX_VALUES:
            raise FilterError(f"{_PARAM[name]}: more than {MAX_VALUES} values")
        for v in raw:
            if not _ID.match(v):
                raise FilterError(f"{_PARAM[name]}: not a valid id: {v[:40]!r}")
        if raw:
            values[name] = tuple(dict.fromkeys(raw))
    f = replace(fallback, **values)
    if f.start > f.end:
        raise FilterError(f"from {f.start} is after to {f.end}")
    return f


def names() -> tuple[str, ...]:
    """Names of the list-valued filter fields."""
    return tuple(f.name for f in fields(Filters) if f.name in _LIST_FIELDS)
