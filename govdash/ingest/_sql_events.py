"""The import SQL of case event logs (govdash.ingest._events): replace the named cases' logs, derive their rows,
record what undo needs, undo. Runs inside the import's transaction on the staged `import_rows`."""

from __future__ import annotations

from govdash import writes
from govdash.schema import IMPORT_COLUMNS

_EVENT_COLS = "case_id, seq, at_time, event, from_party, to_party, actor_role, reason, new_deadline, result"
_LAST = "epoch_us(at_time)::HUGEINT * 100000 + seq"  # the log's order: time, then seq
_DERIVED = f"""
    CREATE OR REPLACE TEMP TABLE ev_derived AS
    SELECT case_id,
           min(at_time) FILTER (WHERE event = 'dispatch') AS dispatched_at,
           max(at_time) FILTER (WHERE event = 'handled') AS handled_at,
           min(at_time) FILTER (WHERE event = 'close') AS closed_at,
           arg_max(new_deadline, {_LAST}) FILTER (WHERE new_deadline IS NOT NULL)
               AS deadline_at,
           arg_max(to_party, {_LAST})
               FILTER (WHERE event IN ('escalate', 'register') AND to_party IN ('community', 'street', 'district'))
               AS tier,
           arg_max(result, {_LAST}) FILTER (WHERE event = 'close') AS close_result,
           TRY_CAST(arg_max(result, {_LAST}) FILTER (WHERE event = 'callback') AS DOUBLE)
               AS satisfaction
    FROM case_events WHERE case_id IN (SELECT case_id FROM ev_ids) GROUP BY case_id
"""


def case_ids(con) -> set[str]:
    """Every stored case id (an event row must name one)."""
    return {r[0] for r in con.execute("SELECT case_id FROM cases").fetchall()}


def apply(con, import_id: str, at) -> dict[str, int]:
    """Replace the logs of the cases `import_rows` names by its events (earlier ones kept for undo), then derive
    their rows' times, deadline, tier, status, result and callback score from the new log (prior images in
    case_versions, so undo and the cases' blockers work as for a cases import)."""
    con.execute("CREATE OR REPLACE TEMP TABLE ev_ids AS SELECT DISTINCT case_id FROM import_rows")
    con.execute(
        f"INSERT INTO case_event_versions SELECT $id, {_EVENT_COLS}, implied, import_id FROM case_events "
        "WHERE case_id IN (SELECT case_id FROM ev_ids)",
        {"id": import_id},
    )
    con.execute("DELETE FROM case_events WHERE case_id IN (SELECT case_id FROM ev_ids)")
    con.execute(
        f"INSERT INTO case_events ({_EVENT_COLS}, implied, import_id) "
        f"SELECT {_EVENT_COLS}, false, $id FROM import_rows ORDER BY case_id, at_time, seq",
        {"id": import_id},
    )
    writes.refresh_chain(con, "ev_ids")
    con.execute(_DERIVED)
    vcols = ", ".join(IMPORT_COLUMNS)
    con.execute(
        f"INSERT INTO case_versions (import_id, op, case_id, {vcols}, prior_import_id, prior_updated_at) "
        f"SELECT $id, 'update', case_id, {vcols}, import_id, updated_at FROM cases "
        "WHERE case_id IN (SELECT case_id FROM ev_ids)",
        {"id": import_id},
    )
    con.execute(
        """UPDATE cases SET
               dispatched_at = coalesce(d.dispatched_at, cases.dispatched_at),
               handled_at = coalesce(d.handled_at, cases.handled_at),
               closed_at = coalesce(d.closed_at, cases.closed_at),
               deadline_at = coalesce(d.deadline_at, cases.deadline_at),
               tier = coalesce(d.tier, cases.tier),
               status = CASE WHEN d.closed_at IS NOT NULL THEN 'closed'
                             WHEN cases.status = 'closed' THEN cases.status
                             WHEN d.handled_at IS NOT NULL THEN 'handling'
                             WHEN d.dispatched_at IS NOT NULL AND coalesce(cases.status, 'registered') = 'registered'
                                 THEN 'dispatched'
                             ELSE cases.status END,
               resolved = CASE d.close_result WHEN 'resolved' THEN true WHEN 'unresolved' THEN false
                               ELSE cases.resolved END,
               satisfaction = coalesce(d.satisfaction, cases.satisfaction),
               import_id = $id, updated_at = $at
           FROM ev_derived d WHERE cases.case_id = d.case_id""",
        {"id": import_id, "at": at},
    )
    n_rows = int(con.execute("SELECT count(*) FROM import_rows").fetchone()[0])
    n_cases = int(con.execute("SELECT count(*) FROM ev_ids").fetchone()[0])
    con.execute("DROP TABLE ev_derived")
    con.execute("DROP TABLE ev_ids")
    return {"inserted": n_rows, "updated": 0, "unchanged": 0, "cases": n_cases}


def blockers(con, import_id: str, case_rows: list[str]) -> list[str]:
    """Later, still-loaded imports that changed the cases (rows: ``case_rows``, or logs) this events import wrote."""
    later = set(case_rows)
    df = con.execute(
        """SELECT DISTINCT j.import_id, j.seq FROM case_event_versions v JOIN imports j ON j.import_id = v.import_id
           WHERE v.prior_import_id = $id AND j.status = 'loaded' ORDER BY j.seq DESC""",
        {"id": import_id},
    ).df()
    return sorted(later | set(df["import_id"]))


def undo(con, import_id: str) -> int:
    """Put back the logs an events import replaced; the events it wrote that were removed. The case rows are
    restored from case_versions by the caller (govdash.ingest._sql), as for a cases import."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ev_ids AS SELECT DISTINCT case_id FROM case_events "
        "WHERE import_id = $id AND NOT implied UNION SELECT case_id FROM case_event_versions WHERE import_id = $id",
        {"id": import_id},
    )
    removed = con.execute(
        "DELETE FROM case_events WHERE import_id = $id AND NOT implied", {"id": import_id}
    ).fetchone()[0]
    con.execute(
        f"INSERT INTO case_events ({_EVENT_COLS}, implied, import_id) "
        f"SELECT {_EVENT_COLS}, implied, prior_import_id FROM case_event_versions WHERE import_id = $id",
        {"id": import_id},
    )
    writes.refresh_chain(con, "ev_ids")
    con.execute("DROP TABLE ev_ids")
    return int(removed)
