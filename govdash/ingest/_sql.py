"""The import's SQL: staging diffs, upserts with versions, the import record, quarantine and undo, by kind."""

from __future__ import annotations

import pandas as pd

from govdash import settings, writes, writes_log
from govdash.ingest import _catalogue, _sql_events, _sql_population
from govdash.schema import IMPORT_COLUMNS

# Writes run on a writable connection (govdash.db.writer on a private copy, see govdash.ingest._plumbing)
# inside one transaction held by the pipeline; staged rows arrive as a registered Arrow table named
# `import_rows`. Table and column names come only from the allow-lists IMPORT_COLUMNS and GEO_IMPORT.

# --- cases ---

IMPORT_COUNTS = ("rows_read", "inserted", "updated", "unchanged", "quarantined", "outside_units", "warnings")


def _import_columns(columns) -> list[str]:
    cols = [c for c in columns if c in IMPORT_COLUMNS]
    if len(cols) != len([c for c in columns if c != "case_id"]):
        raise ValueError(f"not importable case columns: {sorted(set(columns) - set(IMPORT_COLUMNS) - {'case_id'})}")
    return cols


def _cases_context(con) -> dict[str, pd.DataFrame]:
    """What validation needs from the database: the polygons of the lowest level present (grids, else
    communities, else towns; as 'grids', with grid_id NULL above the grid level), every unit polygon (its
    extent), categories, departments."""
    lowest = (
        "SELECT level FROM units WHERE geom IS NOT NULL GROUP BY level "
        "ORDER BY CASE level WHEN 'grid' THEN 0 WHEN 'community' THEN 1 ELSE 2 END LIMIT 1"
    )
    return {
        "grids": con.execute(
            "SELECT unit_id, CASE WHEN level = 'grid' THEN unit_id END AS grid_id, "
            "CASE level WHEN 'grid' THEN coalesce(community_id, parent_id) WHEN 'community' THEN unit_id END "
            f"AS community_id, town_id, geom FROM units WHERE level = ({lowest}) AND geom IS NOT NULL "
            "ORDER BY unit_id"
        ).df(),
        "extent": con.execute("SELECT geom FROM units WHERE geom IS NOT NULL").df(),
        "units": con.execute(  # every unit with its ids at each level, for cases located by a unit's name or id
            "SELECT level, unit_id, name_zh, name_en, CASE WHEN level = 'grid' THEN unit_id END AS grid_id, "
            "CASE level WHEN 'grid' THEN coalesce(community_id, parent_id) WHEN 'community' THEN unit_id END "
            "AS community_id, town_id FROM units ORDER BY level, unit_id"
        ).df(),
        "categories": con.execute(
            "SELECT category, max(deadline_days) AS deadline_days FROM categories GROUP BY category"
        ).df(),
        "departments": con.execute("SELECT department_id, name_zh, name_en FROM departments").df(),
        "category_names": con.execute("SELECT category FROM category_names").df(),
        "channels": con.execute("SELECT channel FROM channels").df(),
        "must_report": con.execute("SELECT item, name_zh, name_en FROM must_report_items").df(),
        "as_of": con.execute("SELECT max(value) FROM meta WHERE key = 'as_of'").fetchall()[0][0],
        "timezone": district_timezone(con),
    }


def district_timezone(con) -> str:
    """The district's time zone: its record's (table `district`, when the database has one), else settings'."""
    has = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'district' AND column_name = 'timezone'"
    ).fetchall()[0][0]
    tz = con.execute("SELECT max(timezone) FROM district").fetchall()[0][0] if has else None
    return tz or settings.load().timezone


def _diff(source: str, table: str, key: str, cols: list[str]) -> str:
    """Each staged row's key and op: insert (new key), update (a column differs) or same."""
    changed = " OR ".join(f"r.{c} IS DISTINCT FROM c.{c}" for c in cols) or "false"
    return (
        f"SELECT r.{key} AS key, CASE WHEN c.{key} IS NULL THEN 'insert' WHEN {changed} THEN 'update' "
        f"ELSE 'same' END AS op FROM {source} r LEFT JOIN {table} c ON c.{key} = r.{key}"
    )


def _op_counts(con, source: str) -> dict[str, int]:
    got = dict(con.execute(f"SELECT op, count(*) FROM {source} GROUP BY op").fetchall())
    return {"inserted": got.get("insert", 0), "updated": got.get("update", 0), "unchanged": got.get("same", 0)}


def _cases_apply(con, import_id: str, at, columns) -> dict[str, int]:
    """Upsert `import_rows` into cases by case_id, keeping the prior image of each updated case in case_versions.

    Inserted cases need no version: they carry import_id until a later import changes them.
    """
    cols = _import_columns(columns)
    # whether every stored case has events: marked once found (meta), and a log not emptied since (a file made
    # before the log, or whose log was dropped, has an empty one)
    filled = con.execute(
        "SELECT EXISTS (SELECT 1 FROM meta WHERE key = $k) AND EXISTS (SELECT 1 FROM case_events)", {"k": EVENTS_FILLED}
    ).fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE import_diff AS {_diff('import_rows', 'cases', 'case_id', cols)}")
    counts = _op_counts(con, "import_diff")
    vcols = ", ".join(IMPORT_COLUMNS)
    prior = ", ".join("c." + c for c in IMPORT_COLUMNS)
    con.execute(
        f"INSERT INTO case_versions (import_id, op, case_id, {vcols}, prior_import_id, prior_updated_at) "
        f"SELECT $id, d.op, d.key, {prior}, c.import_id, c.updated_at "
        f"FROM import_diff d JOIN cases c ON c.case_id = d.key WHERE d.op = 'update'",
        {"id": import_id},
    )
    sets = ", ".join(f"{c} = r.{c}" for c in cols)
    con.execute(
        f"UPDATE cases SET {sets}, import_id = $id, updated_at = $at FROM import_rows r, import_diff d "
        f"WHERE cases.case_id = r.case_id AND d.key = r.case_id AND d.op = 'update'",
        {"id": import_id, "at": at},
    )
    names = ", ".join(cols)
    con.execute(
        f"INSERT INTO cases (case_id, {names}, import_id, updated_at) "
        f"SELECT r.case_id, {', '.join('r.' + c for c in cols)}, $id, $at "
        f"FROM import_rows r JOIN import_diff d ON d.key = r.case_id WHERE d.op = 'insert'",
        {"id": import_id, "at": at},
    )
    _refresh_implied(con, "SELECT key AS case_id FROM import_diff WHERE op IN ('insert', 'update')", import_id)
    # Cases stored before the database had events (an older file) get theirs too, marked with their own import:
    # looked for once per database. Why once: the search anti-joins every case with every event, a cost that grew
    # with the data on every import and feed batch; afterwards every write leaves each case it keeps with events
    # (an import its cases, an undo the cases it restores or whose log it empties: _events_undo).
    if not filled:
        _refresh_implied(
            con,
            "SELECT case_id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.case_id)",
            None,
        )
        con.execute("DELETE FROM meta WHERE key = $k", {"k": EVENTS_FILLED})
        con.execute("INSERT INTO meta VALUES ($k, 'v1')", {"k": EVENTS_FILLED})
    con.execute("DROP TABLE import_diff")
    return counts


EVENTS_FILLED = "events_filled"  # meta key: every stored case has events (_cases_apply looks for those without once)


def _refresh_implied(con, ids_sql: str, import_id: str | None, params: dict | None = None) -> None:
    """The cases ``ids_sql`` (our own SQL, bound ``params``) selects get the events their stored times imply unless
    they have a logged chain (govdash.writes.implied_events)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE implied_ids AS {ids_sql}", params or {})
    writes.implied_events(con, "implied_ids", import_id)
    con.execute("DROP TABLE implied_ids")


def import_quarantine(con) -> None:
    """Copy the registered `import_bad` rows (import_id, file_name, source_row, reasons, record) to quarantine."""
    con.execute(
        "INSERT INTO quarantine (import_id, file_name, source_row, reasons, record) "
        "SELECT import_id, file_name, source_row, reasons, record FROM import_bad"
    )


def import_record(con, rec: dict) -> None:
    """Insert one row into imports; `seq` orders imports for undo."""
    keys = (
        "import_id",
        "kind",
        "file_name",
        "sha256",
        "mapping",
        "crs",
        "on_error",
        *IMPORT_COUNTS,
        "started_at",
        "finished_at",
        "user_name",
    )
    con.execute(
        f"INSERT INTO imports (seq, status, {', '.join(keys)}) "
        f"SELECT coalesce(max(seq), 0) + 1, 'loaded', {', '.join('$' + k for k in keys)} FROM imports",
        {k: rec.get(k) for k in keys},
    )


def import_same_file(con, sha256: str) -> list[str]:
    """Loaded imports of a file with this SHA-256."""
    rows = con.execute(
        "SELECT import_id FROM imports WHERE sha256 = $h AND status = 'loaded' ORDER BY seq", {"h": sha256}
    ).fetchall()
    return [r[0] for r in rows]


def import_list(con, limit: int = 100) -> pd.DataFrame:
    """Most recent imports first."""
    return con.execute("SELECT * FROM imports ORDER BY seq DESC LIMIT $limit", {"limit": int(limit)}).df()


def _cases_blockers(con, import_id: str) -> list[str]:
    """Still-loaded imports that later changed cases this import wrote (undo those first)."""
    df = con.execute(
        """
        SELECT DISTINCT j.import_id, j.seq FROM case_versions w JOIN imports j ON j.import_id = w.import_id
        WHERE w.prior_import_id = $id AND j.status = 'loaded' ORDER BY j.seq DESC""",
        {"id": import_id},
    ).df()
    return df["import_id"].tolist()


def _restore_cases(con, import_id: str) -> int:
    """Put back the prior images of the cases an import updated (case_versions); how many."""
    restored = con.execute("SELECT count(*) FROM case_versions WHERE import_id = $id", {"id": import_id}).fetchone()[0]
    sets = ", ".join(f"{c} = v.{c}" for c in IMPORT_COLUMNS)
    con.execute(
        f"UPDATE cases SET {sets}, import_id = v.prior_import_id, updated_at = v.prior_updated_at "
        f"FROM case_versions v WHERE v.import_id = $id AND cases.case_id = v.case_id",
        {"id": import_id},
    )
    return int(restored)


def _mark_undone(con, import_id: str, at, user: str | None) -> None:
    con.execute(
        "UPDATE imports SET status = 'undone', undone_at = $at, undone_by = $user WHERE import_id = $id",
        {"id": import_id, "at": at, "user": user},
    )


def _cases_undo(con, import_id: str, at, user: str | None) -> dict[str, int]:
    """Remove the cases an import inserted and restore the prior images of those it updated.

    Only valid when _cases_blockers() is empty: then every case the import wrote still has its import_id.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE undo_ids AS SELECT case_id FROM cases WHERE import_id = $id "
        "UNION SELECT case_id FROM case_versions WHERE import_id = $id",
        {"id": import_id},
    )
    removed = con.execute(
        """
        DELETE FROM cases WHERE import_id = $id
          AND case_id NOT IN (SELECT case_id FROM case_versions WHERE import_id = $id)""",
        {"id": import_id},
    ).fetchone()[0]
    restored = _restore_cases(con, import_id)
    con.execute("DELETE FROM case_events WHERE implied AND import_id = $id", {"id": import_id})
    prior = (
        "SELECT u.case_id FROM undo_ids u JOIN cases c USING (case_id)"  # the restored ones, removed ones lose theirs
    )
    _refresh_implied(con, prior, None)
    con.execute("DROP TABLE undo_ids")
    _mark_undone(con, import_id, at, user)
    out = {"removed": int(removed), "restored": restored}
    dropped = _catalogue.undo(con, import_id)  # the catalogue entries it added, unless still used
    return out | ({"catalogue_removed": dropped} if dropped else {})


def _events_undo(con, import_id: str, at, user: str | None) -> dict[str, int]:
    """Put back the logs and the case rows an events import replaced: removed (its events) / restored (cases)."""
    removed = _sql_events.undo(con, import_id)
    restored = _restore_cases(con, import_id)
    # a case that had no events before the import (an older file's) has none again: its implied ones, as the
    # import of cases that looks for such cases only once (_cases_apply) would not give them later
    _refresh_implied(
        con,
        "SELECT DISTINCT case_id FROM case_versions WHERE import_id = $id AND case_id NOT IN "
        "(SELECT case_id FROM case_events WHERE case_id IN (SELECT case_id FROM case_versions WHERE import_id = $id))",
        None,
        {"id": import_id},
    )
    _mark_undone(con, import_id, at, user)
    return {"removed": removed, "restored": restored}


# --- stations and units ---

GEO_IMPORT = {  # kind -> (table, key columns, importable columns, versions table)
    "stations": (
        "stations",
        ("station_id",),
        (
            "name_zh",
            "level",
            "community_id",
            "town_id",
            "lon",
            "lat",
            "f_party",
            "f_gov",
            "f_culture",
            "f_joint",
            "f_clinic",
            "opening_hours",
            "extended_hours",
            "floor_area_m2",
        ),
        "station_versions",
    ),
    "units": (
        "units",
        ("level", "unit_id"),
        (
            "parent_id",
            "town_id",
            "community_id",
            "name_zh",
            "name_en",
            "kind",
            "area_km2",
            "residents",
            "lon",
            "lat",
            "geom",
        ),
        "unit_versions",
    ),
    "workers": ("grid_workers", ("worker_id",), ("name", "grid_id", "role", "on_duty"), "worker_versions"),
    "patrols": (
        "patrols",
        ("patrol_id",),
        ("worker_id", "grid_id", "started_at", "ended_at", "route_m", "points_visited", "issues_reported"),
        "patrol_versions",
    ),
}


def grid_work_context(con) -> dict[str, pd.DataFrame]:
    """What a workers or patrols import checks its rows against: the grids' ids and the workers (id, grid)."""
    return {
        "grids": con.execute("SELECT unit_id FROM units WHERE level = 'grid'").df()["unit_id"],
        "workers": con.execute("SELECT worker_id, grid_id FROM grid_workers").df(),
    }


def _geo_spec(kind: str, columns=None) -> tuple[str, tuple[str, ...], list[str], list[str], str]:
    """(table, key columns, staged columns, every importable column, versions table); refuses anything else.

    A unit's key is (level, unit_id): ids repeat across levels in real data (community 1 of street 1).
    """
    table, keys, allowed, versions = GEO_IMPORT[kind]
    cols = [c for c in (columns if columns is not None else allowed) if c not in keys]
    if set(cols) - set(allowed):
        raise ValueError(f"not importable {kind} columns: {sorted(set(cols) - set(allowed))}")
    return table, keys, [c for c in allowed if c in cols], list(allowed), versions


def _on(a: str, b: str, keys) -> str:
    """``a.k1 = b.k1 AND a.k2 = b.k2`` over the key columns."""
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in keys)


def _geo_context(con) -> dict[str, pd.DataFrame]:
    """What a stations or units import needs: unit polygons (WKB) and the population cells."""
    return {
        "units": con.execute(
            "SELECT unit_id, level, town_id, community_id, geom FROM units WHERE geom IS NOT NULL ORDER BY unit_id"
        ).df(),
        "cells": con.execute("SELECT lon, lat, residents FROM cells WHERE residents > 0").df(),
    }


def _geo_diff(kind: str, columns) -> str:
    """Each staged row's key columns and op: insert (new key), update (a column differs) or same."""
    table, keys, cols, _, _ = _geo_spec(kind, columns)
    changed = " OR ".join(f"r.{c} IS DISTINCT FROM c.{c}" for c in cols) or "false"
    return (
        f"SELECT {', '.join('r.' + k for k in keys)}, CASE WHEN c.{keys[-1]} IS NULL THEN 'insert' "
        f"WHEN {changed} THEN 'update' ELSE 'same' END AS op FROM import_rows r "
        f"LEFT JOIN {table} c ON {_on('c', 'r', keys)}"
    )


def _geo_apply(con, kind: str, import_id: str, columns) -> dict[str, int]:
    """Upsert `import_rows` by key, recording each touched row (prior image when updated) in the versions table."""
    table, keys, cols, every, versions = _geo_spec(kind, columns)
    k = ", ".join(keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE geo_diff AS {_geo_diff(kind, columns)}")
    counts = _op_counts(con, "geo_diff")
    rest = [c for c in every if c not in keys]
    con.execute(
        f"INSERT INTO {versions} (import_id, op, {k}, {', '.join(rest)}) "
        f"SELECT $id, 'update', {', '.join('c.' + c for c in (*keys, *rest))} "
        f"FROM geo_diff d JOIN {table} c ON {_on('c', 'd', keys)} WHERE d.op = 'update'",
        {"id": import_id},
    )
    con.execute(
        f"INSERT INTO {versions} (import_id, op, {k}) SELECT $id, 'insert', {k} FROM geo_diff WHERE op = 'insert'",
        {"id": import_id},
    )
    if cols:
        con.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = r.{c}' for c in cols)} FROM import_rows r, geo_diff d "
            f"WHERE {_on(table, 'r', keys)} AND {_on('d', 'r', keys)} AND d.op = 'update'"
        )
    con.execute(
        f"INSERT INTO {table} ({k}, {', '.join(cols)}) "
        f"SELECT {', '.join('r.' + c for c in (*keys, *cols))} FROM import_rows r "
        f"JOIN geo_diff d ON {_on('d', 'r', keys)} WHERE d.op = 'insert'"
    )
    con.execute("DROP TABLE geo_diff")
    if kind == "units":
        _link_pending(con, import_id)
    return counts


def _link_pending(con, import_id: str) -> None:
    """Fill the town/community ids of units loaded before their parents (``parent_pending``) whose parent is
    now linked: communities first, then grids, so a grid under a just-linked community follows it. Each
    linked row's prior image goes to unit_versions with this import, so undoing it makes them pending again."""
    rest = ", ".join(c for c in GEO_IMPORT["units"][2])
    for level, up in (("community", "town"), ("grid", "community")):
        pending = (
            "FROM units p WHERE u.level = $level AND u.town_id IS NULL AND u.parent_id IS NOT NULL "
            "AND p.level = $up AND p.unit_id = u.parent_id AND p.town_id IS NOT NULL"
        )
        params = {"id": import_id, "level": level, "up": up}
        con.execute(
            f"INSERT INTO unit_versions (import_id, op, level, unit_id, {rest}) "
            f"SELECT $id, 'update', u.level, u.unit_id, {', '.join('u.' + c for c in GEO_IMPORT['units'][2])} "
            f"FROM units u, {pending.removeprefix('FROM ')} AND NOT EXISTS (SELECT 1 FROM unit_versions v "
            "WHERE v.import_id = $id AND v.level = u.level AND v.unit_id = u.unit_id)",
            params,
        )
        con.execute(
            "UPDATE units u SET town_id = p.town_id, community_id = CASE WHEN u.level = 'community' "
            f"THEN u.unit_id ELSE p.unit_id END {pending}",
            {"level": level, "up": up},
        )


def import_kind(con, import_id: str) -> tuple[str, str] | None:
    """(kind, status) of a recorded import, None when there is no such import."""
    row = con.execute(
        "SELECT coalesce(kind, 'cases'), status FROM imports WHERE import_id = $id", {"id": import_id}
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _geo_blockers(con, kind: str, import_id: str) -> list[str]:
    """Later, still-loaded imports of the same kind that touched rows this import wrote (undo those first)."""
    _, keys, _, _, versions = _geo_spec(kind)
    df = con.execute(
        f"""
        SELECT DISTINCT j.import_id, j.seq FROM {versions} w JOIN imports j ON j.import_id = w.import_id
        WHERE j.status = 'loaded' AND j.seq > (SELECT seq FROM imports WHERE import_id = $id)
          AND EXISTS (SELECT 1 FROM {versions} o WHERE o.import_id = $id AND {_on("o", "w", keys)})
        ORDER BY j.seq DESC""",
        {"id": import_id},
    ).df()
    return df["import_id"].tolist()


def _geo_undo(con, kind: str, import_id: str, at, user: str | None) -> dict[str, int]:
    """Delete the rows a stations / units import inserted and restore those it updated (see _geo_blockers)."""
    table, keys, _, every, versions = _geo_spec(kind)
    removed = con.execute(
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {versions} v WHERE v.import_id = $id "
        f"AND v.op = 'insert' AND {_on('v', table, keys)})",
        {"id": import_id},
    ).fetchone()[0]
    restored = con.execute(
        f"SELECT count(*) FROM {versions} WHERE import_id = $id AND op = 'update'", {"id": import_id}
    ).fetchone()[0]
    rest = [c for c in every if c not in keys]
    con.execute(
        f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in rest)} FROM {versions} v "
        f"WHERE v.import_id = $id AND v.op = 'update' AND {_on(table, 'v', keys)}",
        {"id": import_id},
    )
    con.execute(
        "UPDATE imports SET status = 'undone', undone_at = $at, undone_by = $user WHERE import_id = $id",
        {"id": import_id, "at": at, "user": user},
    )
    return {"removed": int(removed), "restored": int(restored)}


def quarantine_rows(con, import_id: str) -> pd.DataFrame:
    """The source rows an import held back: source_row, reasons and the row as JSON (record)."""
    return con.execute(
        "SELECT source_row, reasons, record FROM quarantine WHERE import_id = $id ORDER BY source_row",
        {"id": import_id},
    ).df()


# --- by kind: what the pipelines and undo call ---


def context(con, kind: str) -> dict[str, pd.DataFrame]:
    """What validating ``kind`` needs from the database (grids, catalogues; or units and population cells)."""
    return _cases_context(con) if kind == "cases" else _geo_context(con)


# record kinds (govdash.ingest._records): rows appended with their import_id, undo deletes them
RECORD_TABLES = {
    "station_services": "station_services",
    "station_meetings": "station_meetings",
    "property_companies": "property_companies",
    "estates": "estates",
}


_KNOWN_IDS = {  # an id column of the record kinds -> the ids the database holds
    "station_id": "SELECT station_id FROM stations",
    "community_id": "SELECT unit_id FROM units WHERE level = 'community'",
    "company_id": "SELECT company_id FROM property_companies",
    "estate_id": "SELECT estate_id FROM estates",
}


def known_ids(con, column: str) -> set:
    """The ids the database holds for ``column`` (station_id, community_id, company_id, estate_id)."""
    return {r[0] for r in con.execute(_KNOWN_IDS[column]).fetchall()}


def _records_apply(con, kind: str, import_id: str, columns) -> dict[str, int]:
    table, cols = RECORD_TABLES[kind], ", ".join(columns)  # our table and field names, not user input
    n = con.execute(
        f"INSERT INTO {table} ({cols}, import_id) SELECT {cols}, $id FROM import_rows", {"id": import_id}
    ).fetchone()[0]
    return {"inserted": int(n), "updated": 0, "unchanged": 0}


def _records_blockers(con, kind: str, import_id: str) -> list[str]:
    """Estates of a company import, loaded later and still loaded, hold its ids: undo them first."""
    if kind != "property_companies":
        return []
    rows = con.execute(
        """SELECT DISTINCT j.import_id, j.seq FROM estates e JOIN imports j ON j.import_id = e.import_id
           WHERE j.status = 'loaded' AND j.seq > (SELECT seq FROM imports WHERE import_id = $id)
             AND e.company_id IN (SELECT company_id FROM property_companies WHERE import_id = $id)
           ORDER BY j.seq DESC""",
        {"id": import_id},
    ).fetchall()
    return [r[0] for r in rows]


def _records_undo(con, kind: str, import_id: str, at, user: str | None) -> dict[str, int]:
    removed = con.execute(f"DELETE FROM {RECORD_TABLES[kind]} WHERE import_id = $id", {"id": import_id}).fetchone()[0]
    con.execute(
        "UPDATE imports SET status = 'undone', undone_at = $at, undone_by = $user WHERE import_id = $id",
        {"id": import_id, "at": at, "user": user},
    )
    return {"removed": int(removed), "restored": 0}


def apply(con, kind: str, import_id: str, at, columns) -> dict[str, int]:
    """Upsert the staged `import_rows` by id, recording what undo needs; the insert / update / same counts."""
    if kind in RECORD_TABLES:
        return _records_apply(con, kind, import_id, columns)
    if kind == "population":
        return _sql_population.apply(con, import_id, _diff, _op_counts)
    if kind in ("cases", "events"):  # the cases it changes go into the write log (govdash.writes_log)
        writes_log.before(con, "SELECT case_id FROM import_rows")
        out = _sql_events.apply(con, import_id, at) if kind == "events" else _cases_apply(con, import_id, at, columns)
        writes_log.record(con)
        return out
    return _geo_apply(con, kind, import_id, columns)


def blockers(con, kind: str, import_id: str) -> list[str]:
    """Later, still-loaded imports that changed rows this one wrote (undo those first)."""
    if kind in RECORD_TABLES:
        return _records_blockers(con, kind, import_id)
    if kind == "population":
        return _sql_population.blockers(con, import_id)
    if kind == "events":
        return _sql_events.blockers(con, import_id, _cases_blockers(con, import_id))
    return _cases_blockers(con, import_id) if kind == "cases" else _geo_blockers(con, kind, import_id)


def undo(con, kind: str, import_id: str, at, user: str | None) -> dict[str, int]:
    """Remove what an import inserted, restore what it updated, mark it undone: removed / restored counts."""
    if kind in RECORD_TABLES:
        return _records_undo(con, kind, import_id, at, user)
    if kind in ("cases", "events"):
        writes_log.before(
            con,
            "SELECT case_id FROM cases WHERE import_id = $id "
            "UNION SELECT case_id FROM case_versions WHERE import_id = $id",
            {"id": import_id},
        )
        out = (_cases_undo if kind == "cases" else _events_undo)(con, import_id, at, user)
        writes_log.record(con)
        return out
    if kind == "population":
        return _sql_population.undo(con, import_id, at, user)
    return _geo_undo(con, kind, import_id, at, user)
