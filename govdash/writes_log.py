"""The write SQL of the case write log (table ``case_writes``): which months and streets/towns a commit can have
changed, recorded in the commit's own transaction, on a file and on a lake alike (govdash.freshness reads it).

Around a write of cases: ``before(con, ids_sql)`` keeps the images of the cases it may change, ``record(con)``
after it compares them with what is stored now and appends the months × streets/towns touched. What a case's
change can reach (the figures of govdash.freshness's windowed reads): the month it was reported in (its cohort),
the months of its deadline and closing (when it falls due), and every month it is open in when its being open
changes — the instants at which backlog and overdue are counted. A change of where or what a case is (street,
community, grid, category, channel, department, tier, report time, deadline) reaches every month of both images:
from the earliest of its times to its closing, or on (NULL) while it is open.
"""

from __future__ import annotations

from govdash import writes_days

# the columns of a case image that decide which figures it is counted in (what freshness's windowed reads read)
_WHERE = ("town_id", "community_id", "grid_id", "category", "channel", "department_id", "tier")
_STATE = ("status", "resolved", "recognised", "satisfaction")
_IMAGE = ", ".join(("case_id", *_WHERE, *_STATE, "reported_at", "deadline_at", "closed_at"))
MERGE_ABOVE = 2_000  # a commit touching more distinct (street/town, span) than this logs one span per street/town


def _m(ts: str) -> str:
    return f"CAST(date_trunc('month', {ts}) AS DATE)"


def before(con, ids_sql: str, params: dict | None = None) -> None:
    """Keep the ids ``ids_sql`` (our SQL, one column ``case_id``) selects and those cases' images as stored now."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE written_ids AS SELECT DISTINCT case_id FROM ({ids_sql})", params or {})
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE written_before AS SELECT {_IMAGE} FROM cases "
        "WHERE case_id IN (SELECT case_id FROM written_ids)"
    )


def _same(*cols: str) -> str:
    return " AND ".join(f"o.{c} IS NOT DISTINCT FROM n.{c}" for c in cols)


def _whole(p: str) -> str:
    """The span of one image (columns prefixed ``p``): its first time to its closing, or on while open."""
    times = f"{p}reported_at, {p}deadline_at, {p}closed_at"
    return (
        f"{p}town_id, {_m(f'least({times})')}, "
        f"CASE WHEN {p}closed_at IS NULL THEN NULL ELSE {_m(f'greatest({times})')} END"
    )


def record(con) -> int:
    """Append to ``case_writes`` what the cases kept by ``before`` changed (nothing when nothing did); drop the
    kept images. Returns the spans appended."""
    # the new images read once: the summary's delta below reads them in five parts, each of which re-read cases
    # (a scan of the whole table per part on a lake: 0.5 s of a 2.6 s feed batch at 10 M cases)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE written_after AS SELECT {_IMAGE} FROM cases "
        "WHERE case_id IN (SELECT case_id FROM written_ids)"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE written_spans AS
        WITH n AS (SELECT * FROM written_after),
        j AS (
            SELECT o.case_id IS NOT NULL AND n.case_id IS NOT NULL AND {_same(*_WHERE, "reported_at", "deadline_at")}
                       AS in_time,  -- the same case in the same place: only its state or closing changed
                   o.case_id IS NOT NULL AND n.case_id IS NOT NULL
                       AND {_same(*_WHERE, *_STATE, "reported_at", "deadline_at", "closed_at")} AS unchanged,
                   o.case_id AS o_id, n.case_id AS n_id,
                   o.town_id AS o_town_id, o.reported_at AS o_reported_at, o.deadline_at AS o_deadline_at,
                   o.closed_at AS o_closed_at,
                   n.town_id AS n_town_id, n.reported_at AS n_reported_at, n.deadline_at AS n_deadline_at,
                   n.closed_at AS n_closed_at
            FROM written_before o FULL JOIN n ON o.case_id = n.case_id),
        spans (town_id, month_from, month_to) AS (
            SELECT {_whole("o_")} FROM j WHERE NOT in_time AND o_id IS NOT NULL
            UNION ALL
            SELECT {_whole("n_")} FROM j WHERE NOT in_time AND n_id IS NOT NULL
            UNION ALL  -- its cohort, and the months it falls due in (deadline, closing)
            SELECT n_town_id, {_m("n_reported_at")}, {_m("n_reported_at")} FROM j WHERE in_time AND NOT unchanged
            UNION ALL
            SELECT n_town_id, {_m("n_deadline_at")}, {_m("n_deadline_at")} FROM j WHERE in_time AND NOT unchanged
            UNION ALL  -- open from the earlier closing to the later one (on, while one image is open)
            SELECT n_town_id, {_m("least(o_closed_at, n_closed_at)")},
                   CASE WHEN o_closed_at IS NULL OR n_closed_at IS NULL THEN NULL
                        ELSE {_m("greatest(o_closed_at, n_closed_at)")} END
            FROM j WHERE in_time AND NOT unchanged)
        SELECT DISTINCT * FROM spans WHERE month_from IS NOT NULL""")
    n = int(con.execute("SELECT count(*) FROM written_spans").fetchone()[0])
    if n > MERGE_ABOVE:  # a large import: one span per street/town, from its first month on or to its last
        con.execute("""CREATE OR REPLACE TEMP TABLE written_spans AS
            SELECT town_id, min(month_from) AS month_from,
                   CASE WHEN count(*) = count(month_to) THEN max(month_to) END AS month_to
            FROM written_spans GROUP BY ALL""")
    n = _append(con, "SELECT town_id, month_from, month_to FROM written_spans")
    # the summary in the same transaction: the touched cases' old images out, their new ones in
    writes_days.apply(con, "SELECT * FROM written_before", "SELECT * FROM written_after")
    for t in ("written_spans", "written_before", "written_after", "written_ids"):
        con.execute(f"DROP TABLE {t}")
    return n


def everything(con) -> None:
    """Log that every month and street/town may have changed (a database built or rebuilt whole)."""
    _append(con, "SELECT NULL::VARCHAR, DATE '0001-01-01', NULL::DATE")


def _append(con, spans_sql: str) -> int:
    """Insert the spans ``spans_sql`` (our SQL) as one commit: the next ``seq``, the wall-clock time."""
    n = int(con.execute(f"SELECT count(*) FROM ({spans_sql})").fetchone()[0])
    if n:
        con.execute(
            "INSERT INTO case_writes (seq, written_at, town_id, month_from, month_to) "
            f"SELECT (SELECT coalesce(max(seq), 0) + 1 FROM case_writes), now()::TIMESTAMP, * FROM ({spans_sql})"
        )
    return n
