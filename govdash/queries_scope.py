"""SQL fragments every query module shares: bound ``IN`` lists and the clause of an account's scope."""

from __future__ import annotations

from govdash.filters import Scope


def in_list(column: str, name: str, values) -> tuple[str, dict]:
    """``column IN ($name_0, $name_1, …)`` with one bound parameter per value.

    Why not ``IN (SELECT unnest($name))``: that is a semi-join DuckDB applies after reading every
    projected column; a literal IN list becomes a scan filter, read first and used to skip the
    rest (one town over a year at 10 M cases: case page 8 s → 0.15 s, indicators 2–3× faster).
    """
    keys = [f"{name}_{i}" for i in range(len(values))]
    return f"{column} IN ({', '.join('$' + k for k in keys)})", dict(zip(keys, values, strict=True))


# what each kind of table an account's scope limits has: its area columns, and whether it is a case table
# (a department scope limits cases only: places, population and stations are the district's, public to it)
SCOPE_ON = ("cases", "units", "places", "survey")


def scope_clause(scope: Scope | tuple[str, ...] | None, on: str = "cases", alias: str = "", name: str = "scope"):
    """SQL keeping the rows of table kind ``on`` that an account's ``scope`` may see, and its parameters.

    ``on``: 'cases' (town_id, community_id, department_id), 'places' (cells, stations: town_id, community_id),
    'units' (the units table: a 居村 scope also keeps its street/town's own row, so the filter bar can offer
    it), 'survey' (per street/town only: a 居村 account sees no street/town's survey). An area scope keeps
    rows of its streets/towns OR its 居村, each compared with its own level's column (ids repeat across
    levels); a department scope keeps cases dispatched to its departments; both: both. ``None`` (an
    unrestricted account) gives ``true``; a scope of nothing gives ``false``: an account allowed nowhere, or a
    selection outside its area, sees nothing rather than everything.
    """
    if on not in SCOPE_ON:
        raise ValueError(f"scope_clause on is one of {SCOPE_ON}")
    sc = Scope.of(scope)
    if sc is None:
        return "true", {}
    if sc.nowhere:
        return "false", {}
    p = f"{alias}." if alias else ""
    parts, params = [], {}
    if sc.area:
        area = []
        if sc.towns:
            clause, more = in_list(f"{p}town_id", f"{name}_t", sc.towns)
            area.append(clause)
            params.update(more)
        if sc.communities and on != "survey":
            clause, more = in_list(f"{p}community_id", f"{name}_c", sc.communities)
            area.append(clause)
            params.update(more)
            if on == "units":  # the 居村's own street/town row
                inner, _ = in_list("unit_id", f"{name}_c", sc.communities)
                area.append(
                    f"({p}level = 'town' AND {p}unit_id IN "
                    f"(SELECT town_id FROM units WHERE level = 'community' AND {inner}))"
                )
        parts.append(f"({' OR '.join(area)})" if area else "false")
    if sc.departments and on == "cases":
        clause, more = in_list(f"{p}department_id", f"{name}_d", sc.departments)
        parts.append(clause)
        params.update(more)
    return (" AND ".join(parts) or "true"), params


def scopes_clause(scopes, on: str = "cases", alias: str = "", name: str = "scope") -> tuple[str, dict]:
    """Rows inside every one of ``scopes`` (e.g. an account's scope and the unit a view is opened for): the
    clauses of ``scope_clause`` joined by AND, so a street/town account opening one of its 居村 sees that 居村."""
    parts, params = [], {}
    for i, sc in enumerate(scopes):
        clause, more = scope_clause(sc, on, alias, f"{name}{i}")
        parts.append(clause)
        params.update(more)
    return " AND ".join(parts) or "true", params
