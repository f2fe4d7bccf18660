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
class Scope:
    """What an account may see (README *Accounts*): the cases of its streets/towns and 居村 (either one), the
    cases dispatched to its departments wherever they lie, or, given both, its departments' cases in its area.

    Every field empty: nothing at all. An account that may see everything has no Scope (None). Ids are per
    level (a 居村 may share its id with a street/town), so each level is compared with its own column.
    """

    towns: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    @classmethod
    def of(cls, value) -> Scope | None:
        """``value`` as a Scope: None stays None (everything); a plain tuple or list is of streets/towns."""
        if value is None or isinstance(value, Scope):
            return value
        return cls(towns=tuple(value))

    @property
    def area(self) -> bool:
        """True when the scope limits the place (streets/towns or 居村)."""
        return bool(self.towns or self.communities)

    @property
    def nowhere(self) -> bool:
        return not (self.area or self.departments)

    def meet(self, other: Scope | None) -> Scope:
        """Both scopes at once (a wall token's and a page's, or the same account's twice: idempotent).

        Areas meet level by level (streets/towns with streets/towns, 居村 with 居村): a street/town scope met
        with a 居村 scope gives nothing rather than a guess, so the result never shows more than either.
        """
        if other is None or other == self:
            return self
        if not self.area or not other.area:
            towns, coms = (self.towns, self.communities) if self.area else (other.towns, other.communities)
        else:
            towns = tuple(t for t in self.towns if t in other.towns)
            coms = tuple(c for c in self.communities if c in other.communities)
            if not (towns or coms):
                return Scope()
        if self.departments and other.departments:
            deps = tuple(d for d in self.departments if d in other.departments)
            if not deps:
                return Scope()
        else:
            deps = self.departments or other.departments
        return Scope(towns, coms, deps)


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
    # what the signed-in account may see (None: all; a plain tuple is of streets/towns). Set only by the app
    # from the account (govdash.access.restrict), never from a URL; queries.where adds it to the other filters
    scope: Scope | None = None

    def __post_init__(self):
        if self.scope is not None and not isinstance(self.scope, Scope):
            object.__setattr__(self, "scope", Scope.of(self.scope))

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


def view_area(f: Filters) -> Scope | None:
    """The unit a view is opened for, as a Scope: its 居村 when chosen (they lie in its streets/towns), else
    its streets/towns, else None (the whole district, or the account's area)."""
    if f.communities:
        return Scope(communities=f.communities)
    return Scope(towns=f.towns) if f.towns else None


UNIT_PARAMS = {"town": "town", "community": "community", "grid": "grid"}  # query-string name → unit level


@dataclass(frozen=True)
class NameProblem:
    """A unit named in a URL that could not be read as one unit: ``kind`` 'unknown' or 'ambiguous'
    (``ids``: the units it may name)."""

    param: str
    value: str
    kind: str
    ids: tuple[str, ...] = ()


def resolve_units(
    params: dict[str, list[str]], units, kinds: dict[str, str] = UNIT_PARAMS
) -> tuple[dict[str, list[str]], tuple[NameProblem, ...]]:
    """``params`` with each ``town``/``community``/``grid`` value read as that level's code or else its name
    (Chinese or English), and the values that name no unit or several (left out, so the view is not silently
    of something else). ``units``: rows of (level, unit_id, name_zh, name_en); ``kinds``: parameter → level
    (the command line adds departments). A code wins over a name."""
    ids: dict[str, set] = {}
    by_name: dict[tuple[str, str], list[str]] = {}
    for level, uid, zh, en in units:
        ids.setdefault(level, set()).add(str(uid))
        for name in {zh, en} - {None, ""}:
            by_name.setdefault((level, str(name).strip()), []).append(str(uid))
    out, problems = dict(params), []
    for param, level in kinds.items():
        raw = params.get(param) or []
        if not raw:
            continue
        kept = []
        for v in raw:
            v = v.strip()
            found = [v] if v in ids.get(level, ()) else list(dict.fromkeys(by_name.get((level, v), [])))
            if len(found) == 1:
                kept.append(found[0])
            else:
                problems.append(NameProblem(param, v[:40], "ambiguous" if found else "unknown", tuple(found)))
        out[param] = kept
    return out, tuple(problems)


def names() -> tuple[str, ...]:
    """Names of the list-valued filter fields."""
    return tuple(f.name for f in fields(Filters) if f.name in _LIST_FIELDS)
