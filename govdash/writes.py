"""The SQL of every write outside the import subsystem, run on the connection ``db.write`` yields (one transaction).

Reads go through ``queries`` and ``Database.execute``; the import subsystem keeps its own write SQL
in ``govdash.ingest``. Identifiers come from our own constants, values are bound parameters.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from govdash.queries import CLUSTER_ORDER
from govdash.schema import KEY_STATUSES, PATROL_CHANNELS

# --- the demo clock (govdash.feed) ---


def set_as_of(con, at: datetime) -> None:
    """Move the demo's fixed 'now' (meta 'as_of') to ``at`` on a writable connection; no-op when it is absent."""
    con.execute("UPDATE meta SET value = $v WHERE key = 'as_of'", {"v": at.isoformat(sep=" ")})


# --- physical layout (govdash.layout) and the demo build (govdash.demo) ---


def source_tables(con, source: str) -> list[str]:
    """Tables of the attached database ``source`` (a name of ours, not user input)."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $s AND schema_name = 'main' ORDER BY table_name",
        {"s": source},
    ).fetchall()
    return [n for (n,) in names]


def copy_table(con, source: str, table: str) -> None:
    """Copy ``source.table`` into the same table of the open database (created like the source when
    the schema has no such table); cases in ``CLUSTER_ORDER``."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"unexpected table name {table!r}")
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = $t",
        {"t": table},
    ).fetchone()[0]
    order = f" ORDER BY {CLUSTER_ORDER}" if table == "cases" else ""
    if exists:
        con.execute(f'INSERT INTO main."{table}" BY NAME SELECT * FROM {source}."{table}"{order}')
    else:
        con.execute(f'CREATE TABLE main."{table}" AS SELECT * FROM {source}."{table}"{order}')


def table_fingerprint(con, source: str, table: str, columns: list[str] | None = None) -> tuple[int, int]:
    """(rows, sum of every row's hash) of ``source.table``, over ``columns`` only if given: equal for two tables
    holding the same rows in any order (govdash.migrate's check). Names are ours, checked here."""
    if not source.isidentifier() or not table.replace("_", "").isalnum():
        raise ValueError(f"unexpected table {source}.{table}")
    if columns is not None and not all(c.isidentifier() for c in columns):
        raise ValueError(f"unexpected columns of {source}.{table}")
    fields = ", ".join(f'"{c}" := t."{c}"' for c in columns or ())
    row = "t" if columns is None else f"struct_pack({fields})"
    sql = f'SELECT count(*), coalesce(sum(hash({row})::HUGEINT), 0) FROM {source}."{table}" AS t'
    n, h = con.execute(sql).fetchone()
    return int(n), int(h)


def table_columns(con, source: str, table: str) -> list[str]:
    """Column names of ``source.table``, in order."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = $s AND schema_name = 'main' "
        "AND table_name = $t ORDER BY column_index",
        {"s": source, "t": table},
    ).fetchall()
    return [c for (c,) in rows]


def lake_files(con) -> int:
    """Data files of the cases table of the lake attached as ``data``."""
    return int(con.execute("SELECT count(*) FROM ducklake_list_files('data', 'cases')").fetchone()[0])


def demo_merge_chunks(con, stage: str, n_key: int, key_categories: tuple[str, ...]) -> None:
    """Write the demo's staged chunks of cases into ``cases`` (govdash.demo, more than one chunk).

    Ids become ``GD`` + the case's rank in time over all chunks; ``repeat_of`` (a chunk's own id)
    follows its case's new id; ``key_difficult`` marks the ``n_key`` oldest district-tier cases of
    ``key_categories``. Stored in ``CLUSTER_ORDER``.
    """
    if not stage.isidentifier():
        raise ValueError(f"unexpected table name {stage!r}")
    con.execute(f"""CREATE TEMP TABLE demo_ids AS SELECT chunk, case_id AS old,
        'GD' || lpad(CAST(row_number() OVER (ORDER BY reported_at, chunk, case_id) AS VARCHAR), 9, '0') AS new
        FROM {stage}""")
    con.execute(
        f"""CREATE TEMP TABLE demo_key AS SELECT i.new FROM {stage} s
        JOIN demo_ids i ON i.chunk = s.chunk AND i.old = s.case_id
        WHERE s.tier = 'district' AND s.category IN (SELECT unnest($cats)) ORDER BY s.reported_at, i.new LIMIT $n""",
        {"cats": list(key_categories), "n": int(n_key)},
    )
    con.execute(f"""INSERT INTO cases BY NAME SELECT * FROM (
        SELECT s.* EXCLUDE (chunk, case_id, repeat_of, key_difficult), i.new AS case_id, r.new AS repeat_of,
               i.new IN (SELECT new FROM demo_key) AS key_difficult
        FROM {stage} s JOIN demo_ids i ON i.chunk = s.chunk AND i.old = s.case_id
        LEFT JOIN demo_ids r ON r.chunk = s.chunk AND r.old = s.repeat_of) ORDER BY {CLUSTER_ORDER}""")
    con.execute("DROP TABLE demo_ids")
    con.execute("DROP TABLE demo_key")


def insert_frame(con, table: str, df: pd.DataFrame, order: str | None = None) -> None:
    """Insert the DataFrame ``df`` into ``table`` by column name (the demo's tables; names and ``order`` are ours)."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"unexpected table name {table!r}")
    con.register("frame", df)
    try:
        cols = ", ".join(df.columns)  # our own column names, not user input
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM frame{f' ORDER BY {order}' if order else ''}")
    finally:
        con.unregister("frame")


def demo_patrol_case_days(con, since) -> pd.DataFrame:
    """grid_id and day of every grid-day from ``since`` with a case found on patrol (govdash.demo_grid: someone
    patrolled that day)."""
    return con.execute(
        "SELECT DISTINCT grid_id, CAST(reported_at AS DATE) AS day FROM cases "
        "WHERE channel IN (SELECT unnest($ch)) AND grid_id IS NOT NULL AND reported_at >= $since",
        {"ch": list(PATROL_CHANNELS), "since": since},
    ).df()


def demo_patrols(con, rounds: pd.DataFrame, grid_ids: pd.Series, worker_ids: pd.Series) -> None:
    """Write the demo's patrols (govdash.demo_grid.patrols: positions into ``grid_ids`` and ``worker_ids``) with
    ids ``P`` + their rank in time (``seq``), in time order, each stretched over the patrol cases of its grid
    and day and counting them as its issues reported.

    A grid-day with one patrol takes all its patrol cases; with two, the morning one those before 13:00 and
    the afternoon one the rest. A patrol starts 5-29 minutes before its first case and ends 5-24 after its
    last, so every patrol case lies inside the patrol that reported it. Written once, in order (an UPDATE
    afterwards would leave the first copy's blocks in the file).
    """
    con.register("patrol_rows", rounds)
    con.register("patrol_grids", pd.DataFrame({"i": range(len(grid_ids)), "grid_id": grid_ids.to_numpy()}))
    con.register("patrol_workers", pd.DataFrame({"i": range(len(worker_ids)), "worker_id": worker_ids.to_numpy()}))
    try:
        con.execute("""CREATE TEMP TABLE patrol_stage AS SELECT r.seq, w.worker_id, g.grid_id, r.started_at,
            r.ended_at, r.route_m, r.points_visited, CAST(r.started_at AS DATE) AS day,
            row_number() OVER (PARTITION BY r.grid_i, CAST(r.started_at AS DATE) ORDER BY r.started_at) - 1 AS slot,
            count(*) OVER (PARTITION BY r.grid_i, CAST(r.started_at AS DATE)) AS n
            FROM patrol_rows r JOIN patrol_grids g ON g.i = r.grid_i LEFT JOIN patrol_workers w ON w.i = r.worker_i""")
    finally:
        for name in ("patrol_rows", "patrol_grids", "patrol_workers"):
            con.unregister(name)
    con.execute(
        """CREATE TEMP TABLE patrol_fit AS SELECT s.seq, min(c.reported_at) AS first, max(c.reported_at) AS last,
           count(*) AS issues
        FROM cases c JOIN patrol_stage s ON s.grid_id = c.grid_id AND s.day = CAST(c.reported_at AS DATE)
         AND (s.n = 1 OR s.slot = CASE WHEN hour(c.reported_at) >= 13 THEN 1 ELSE 0 END)
        WHERE c.channel IN (SELECT unnest($ch)) GROUP BY s.seq""",
        {"ch": list(PATROL_CHANNELS)},
    )
    con.execute("""INSERT INTO patrols SELECT 'P' || lpad(CAST(s.seq AS VARCHAR), 8, '0'), s.worker_id, s.grid_id,
        CASE WHEN f.seq IS NULL THEN s.started_at
             ELSE least(s.started_at, f.first - to_minutes(CAST(5 + hash(s.seq) % 25 AS BIGINT))) END,
        CASE WHEN f.seq IS NULL THEN s.ended_at
             ELSE greatest(s.ended_at, f.last + to_minutes(CAST(5 + hash(s.seq + 1) % 20 AS BIGINT))) END,
        s.route_m, s.points_visited, coalesce(f.issues, 0)
        FROM patrol_stage s LEFT JOIN patrol_fit f USING (seq) ORDER BY s.seq""")
    con.execute("DROP TABLE patrol_fit")
    con.execute("DROP TABLE patrol_stage")


def demo_key_tracking(con, counts: dict[str, int]) -> None:
    """Give the demo's 重点难点 cases their tracking status and owner (govdash.demo).

    In order of reporting, the first ``counts`` statuses take as many cases each (``{"special_push": 3, …}``:
    the oldest problems need the special push); a dispute is owned by its street/town, any other case by its
    department.
    """
    bounds, total = [], 0
    if set(counts) - set(KEY_STATUSES):
        raise ValueError(f"not key-case statuses: {sorted(set(counts) - set(KEY_STATUSES))}")
    for status, k in counts.items():
        total += int(k)
        bounds.append((status, total))
    ranks = " ".join(f"WHEN r.k <= {n} THEN '{status}'" for status, n in bounds)  # codes and counts of ours
    con.execute(f"""UPDATE cases SET key_status = CASE {ranks} END,
        key_owner = CASE WHEN cases.category = 'dispute' THEN cases.town_id ELSE cases.department_id END
        FROM (SELECT case_id, row_number() OVER (ORDER BY reported_at, case_id) AS k FROM cases WHERE key_difficult) r
        WHERE cases.case_id = r.case_id""")


def case_rows(con) -> int:
    return int(con.execute("SELECT count(*) FROM cases").fetchone()[0])


def clustered_rows(con) -> int:
    """Cases in the table when it was last written in ``CLUSTER_ORDER`` (meta ``clustered_rows``; 0 if never)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'clustered_rows'").fetchone()
    return int(row[0]) if row else 0


def set_clustered_rows(con, n: int) -> None:
    con.execute("DELETE FROM meta WHERE key = 'clustered_rows'")
    con.execute("INSERT INTO meta VALUES ('clustered_rows', $n)", {"n": str(int(n))})


# --- case events (govdash.events; docs/data-model.md "Case events") ---

EVENT_COLUMNS = (
    "case_id",
    "seq",
    "at_time",
    "event",
    "from_party",
    "to_party",
    "actor_role",
    "reason",
    "new_deadline",
    "result",
    "implied",
    "import_id",
)
_U = "(hash(case_id, {k}) % 1000003)::DOUBLE / 1000003.0"  # a uniform draw per case, the same on every build
_AT = "{a} + to_seconds(epoch({b} - {a}) * {f})"  # the instant a fraction f of the way from a to b
# The demo's chains (govdash.demo), drawn per case from its stored times so the case row stays their summary:
# first dispatch = dispatched_at, last 处置完成 = handled_at, 结案 = closed_at, last deadline = deadline_at,
# last tier reached = tier, 回访 score = satisfaction. Shares are of the cases that can have the event.
DEMO_SHARES = {
    "returned": 0.04,  # 退单 then 重派 to the right department
    "failed_verification": 0.035,  # 核查不通过, back to 处置
    "extended": 0.04,  # 延期 asked at random, and ...
    "extended_if_late": 0.40,  # ... of the cases that would have missed the original deadline
    "urged": 0.30,  # 催办 a day before the deadline, of the cases still open then
    "whistle": 0.20,  # 吹哨 of street/district-tier cases of the categories below
}
WHISTLE_CATEGORIES = ("illegal_construction", "group_renting", "safety_hazard", "street_order", "property")
_DEMO_BASE = """
CREATE TEMP TABLE ev_base AS
SELECT case_id, reported_at AS t0, dispatched_at AS td, handled_at AS th, closed_at AS tc, deadline_at AS dl,
       department_id AS dept, tier, town_id, category, resolved, satisfaction,
       coalesce(handled_at, $as_of) AS t_h_end, coalesce(closed_at, $as_of) AS t_end,
       {u1} AS u_ret, {u2} AS u_ver, {u3} AS u_ext, {u4} AS u_esc, {u5} AS u_wh, {u6} AS u_x, {u7} AS u_y,
       hash(case_id, 8) % greatest($n_dept, 1) AS alt_i,
       reported_at + to_seconds(epoch(deadline_at - reported_at) / 1.5) AS orig_dl
FROM cases
"""
_DEMO_FLAGS = """
CREATE TEMP TABLE ev_case AS
SELECT b.*, d.department_id AS alt_dept,
       td IS NOT NULL AND u_ret < $returned AS returned,
       th IS NOT NULL AND tc IS NOT NULL AND u_ver < $failed AS failed,
       dl IS NOT NULL AND td IS NOT NULL AND orig_dl > td
           AND (u_ext < $extended OR (u_ext < $extended_if_late AND t_end > orig_dl))
           AND {ext_at} > td AND {ext_at} < t_end AS extended,
       {ext_at} AS ext_at,
       CASE WHEN tier = 'street' AND u_esc < 0.6 THEN 'community'
            WHEN tier = 'district' AND u_esc < 0.35 THEN 'community'
            WHEN tier = 'district' AND u_esc < 0.8 THEN 'street' ELSE coalesce(tier, 'community') END AS tier0,
       ['beyond_community', 'cross_department', 'repeat_complaint', 'overdue', 'major_complex']
           [1 + floor(u_y * 5)::INTEGER] AS why
FROM ev_base b LEFT JOIN (SELECT department_id, row_number() OVER (ORDER BY department_id) - 1 AS i
                          FROM departments) d ON d.i = b.alt_i
"""
_DEMO_EVENTS = """
INSERT INTO case_events (case_id, seq, at_time, event, from_party, to_party, actor_role, reason, new_deadline, result,
                         implied, import_id)
SELECT *, false, 'demo' FROM (
SELECT case_id, 10, t0, 'accept', NULL, NULL, 'operator', NULL, NULL::TIMESTAMP, NULL FROM ev_case
UNION ALL SELECT case_id, 20, t0, 'register', NULL, tier0, 'operator', NULL,
       CASE WHEN extended THEN orig_dl ELSE dl END, NULL FROM ev_case
UNION ALL SELECT case_id, 30, {esc1}, 'escalate', 'community', 'street', 'community', why, NULL, NULL
       FROM ev_case WHERE tier0 = 'community' AND tier IN ('street', 'district')
UNION ALL SELECT case_id, 31, {esc2}, 'escalate', 'street', 'district', 'street', why, NULL, NULL
       FROM ev_case WHERE tier = 'district' AND tier0 <> 'district'
UNION ALL SELECT case_id, 40, td, 'dispatch', NULL, CASE WHEN returned THEN coalesce(alt_dept, dept) ELSE dept END,
       'dispatcher', NULL, NULL, NULL FROM ev_case WHERE td IS NOT NULL
UNION ALL SELECT case_id, 50, {ret}, 'return', coalesce(alt_dept, dept), NULL, 'department', 'not_our_remit', NULL,
       NULL FROM ev_case WHERE returned
UNION ALL SELECT case_id, 60, {redo}, 'redispatch', NULL, dept, 'dispatcher', NULL, NULL, NULL
       FROM ev_case WHERE returned
UNION ALL SELECT case_id, 45, {wh}, 'whistle', town_id, dept, 'street', NULL, NULL, NULL FROM ev_case
       WHERE td IS NOT NULL AND tier IN ('street', 'district') AND category IN (SELECT unnest($whistle_cats))
             AND u_wh < $whistle
UNION ALL SELECT case_id, 65, {wh} + to_seconds(3600 * (0.5 + 30 * u_x * u_x)), 'report', dept, town_id,
       'department', NULL, NULL, NULL FROM ev_case
       WHERE td IS NOT NULL AND tier IN ('street', 'district') AND category IN (SELECT unnest($whistle_cats))
             AND u_wh < $whistle AND {wh} + to_seconds(3600 * (0.5 + 30 * u_x * u_x)) < t_h_end
UNION ALL SELECT case_id, 70, {h1}, 'handled', dept, NULL, 'department', NULL, NULL, NULL FROM ev_case WHERE failed
UNION ALL SELECT case_id, 80, {v1}, 'verify', NULL, NULL, 'verifier', 'not_fixed', NULL, 'failed'
       FROM ev_case WHERE failed
UNION ALL SELECT case_id, 85, ext_at, 'extend', dept, NULL, 'department', NULL, dl, NULL FROM ev_case WHERE extended
UNION ALL SELECT case_id, 86, dl - INTERVAL 1 DAY, 'urge', NULL, dept, 'supervisor', NULL, NULL, NULL FROM ev_case
       WHERE dl - INTERVAL 1 DAY > coalesce(td, t0) AND dl - INTERVAL 1 DAY < t_end AND u_x < $urged
UNION ALL SELECT case_id, 87, dl + INTERVAL 2 HOUR, 'supervise', NULL, dept, 'supervisor', 'overdue', NULL, NULL
       FROM ev_case WHERE dl + INTERVAL 2 HOUR < t_end
UNION ALL SELECT case_id, 88, dl + INTERVAL 3 DAY, 'supervise', NULL, dept, 'supervisor', 'overdue', NULL, NULL
       FROM ev_case WHERE dl + INTERVAL 3 DAY < t_end
UNION ALL SELECT case_id, 90, th, 'handled', dept, NULL, 'department', NULL, NULL, NULL FROM ev_case
       WHERE th IS NOT NULL
UNION ALL SELECT case_id, 100, {v2}, 'verify', NULL, NULL, 'verifier', NULL, NULL, 'passed' FROM ev_case
       WHERE th IS NOT NULL AND tc IS NOT NULL
UNION ALL SELECT case_id, 110, tc, 'close', NULL, NULL, 'dispatcher', NULL, NULL,
       CASE WHEN resolved THEN 'resolved' ELSE 'unresolved' END FROM ev_case WHERE tc IS NOT NULL
UNION ALL SELECT case_id, 120, least(tc + to_seconds(3600 * (2 + 46 * u_y)), $as_of), 'callback', NULL, NULL,
       'operator', NULL, NULL, CAST(CAST(satisfaction AS INTEGER) AS VARCHAR) FROM ev_case
       WHERE tc IS NOT NULL AND satisfaction IS NOT NULL
) ORDER BY 1, 3, 2
"""


def demo_events(con, as_of: datetime) -> int:
    """Write the demo's handling chains into ``case_events`` from the stored cases (vectorised SQL, one pass per
    event kind); the number of events written. Draws are hashes of the case id: the same cases give the same log."""
    sql_u = {f"u{k}": _U.format(k=k) for k in range(1, 8)}
    n_dept = int(con.execute("SELECT count(*) FROM departments").fetchone()[0])
    con.execute(_DEMO_BASE.format(**sql_u), {"as_of": as_of, "n_dept": n_dept})
    ext_at = _AT.format(a="t0", b="orig_dl", f=0.8)
    con.execute(
        _DEMO_FLAGS.format(ext_at=ext_at),
        {
            "returned": DEMO_SHARES["returned"],
            "failed": DEMO_SHARES["failed_verification"],
            "extended": DEMO_SHARES["extended"],
            "extended_if_late": DEMO_SHARES["extended_if_late"],
        },
    )
    before = int(con.execute("SELECT count(*) FROM case_events").fetchone()[0])
    span = "td", "t_h_end"
    con.execute(
        _DEMO_EVENTS.format(
            esc1=_AT.format(a="coalesce(td, t0)", b="t_h_end", f=0.05),  # the community tried first
            esc2=_AT.format(a="coalesce(td, t0)", b="t_h_end", f=0.1),
            ret=_AT.format(a=span[0], b=span[1], f=0.15),
            redo=_AT.format(a=span[0], b=span[1], f=0.25),
            wh=_AT.format(a=span[0], b=span[1], f=0.3),
            h1=_AT.format(a=span[0], b=span[1], f=0.5),
            v1=_AT.format(a=span[0], b=span[1], f=0.6),
            v2=_AT.format(a="th", b="tc", f=0.5),
        ),
        {
            "as_of": as_of,
            "urged": DEMO_SHARES["urged"],
            "whistle": DEMO_SHARES["whistle"],
            "whistle_cats": list(WHISTLE_CATEGORIES),
        },
    )
    con.execute("DROP TABLE ev_case")
    con.execute("DROP TABLE ev_base")
    refresh_chain(con, None)
    return int(con.execute("SELECT count(*) FROM case_events").fetchone()[0]) - before


# Per case, its chain summed up from the log (table case_chain, read by queries_events.chain_summary).
CHAIN_SQL = """
INSERT INTO case_chain
SELECT case_id,
       min(at_time) FILTER (WHERE event = 'accept'),
       min(at_time) FILTER (WHERE event = 'dispatch'),
       max(at_time) FILTER (WHERE event = 'handled'),
       max(at_time) FILTER (WHERE event = 'verify' AND result = 'passed'),
       min(at_time) FILTER (WHERE event = 'close'),
       min(at_time) FILTER (WHERE event = 'callback'),
       count(*) FILTER (WHERE event = 'return'),
       count(*) FILTER (WHERE event = 'redispatch'),
       count(*) FILTER (WHERE event = 'extend'),
       count(*) FILTER (WHERE event = 'verify'),
       count(*) FILTER (WHERE event = 'verify' AND result = 'failed'),
       count(*) FILTER (WHERE event = 'supervise'),
       count(*) FILTER (WHERE event = 'urge'),
       count(*) FILTER (WHERE event = 'escalate'),
       count(*) FILTER (WHERE event = 'whistle')
FROM case_events {where} GROUP BY case_id ORDER BY case_id
"""


def refresh_chain(con, ids: str | None) -> None:
    """Rewrite ``case_chain`` for the cases the temp table ``ids`` (ours, a ``case_id`` column) lists; None: all."""
    if ids is None:
        con.execute("DELETE FROM case_chain")
        con.execute(CHAIN_SQL.format(where=""))
        return
    if not ids.isidentifier():
        raise ValueError(f"unexpected table name {ids!r}")
    con.execute(f"DELETE FROM case_chain WHERE case_id IN (SELECT case_id FROM {ids})")
    con.execute(CHAIN_SQL.format(where=f"WHERE case_id IN (SELECT case_id FROM {ids})"))


# The events a case's stored times imply (a case imported without a log): 受理, 派单, 处置完成, 结案, 回访; from the
# batch's cases (implied_src) where their logs (implied_logged: case id and event kind) hold no event of the kind.
IMPLIED_EVENTS_SQL = """
INSERT INTO case_events (case_id, seq, at_time, event, from_party, to_party, actor_role, reason, new_deadline, result,
                         implied, import_id)
SELECT case_id, seq, at_time, event, from_party, to_party, NULL, NULL, new_deadline, result, true,
       coalesce($import_id, src_import) FROM (
SELECT * FROM (
SELECT case_id, 10 AS seq, reported_at AS at_time, 'accept' AS event, NULL AS from_party, tier AS to_party,
       deadline_at AS new_deadline, NULL AS result, import_id AS src_import FROM implied_src
UNION ALL SELECT case_id, 40, dispatched_at, 'dispatch', NULL, department_id, NULL, NULL, import_id FROM implied_src
       WHERE dispatched_at IS NOT NULL
UNION ALL SELECT case_id, 90, handled_at, 'handled', department_id, NULL, NULL, NULL, import_id FROM implied_src
       WHERE handled_at IS NOT NULL
UNION ALL SELECT case_id, 110, closed_at, 'close', NULL, NULL, NULL,
       CASE WHEN resolved THEN 'resolved' WHEN NOT resolved THEN 'unresolved' END, import_id FROM implied_src
       WHERE closed_at IS NOT NULL
UNION ALL SELECT case_id, 120, closed_at, 'callback', NULL, NULL, NULL, CAST(CAST(satisfaction AS INTEGER) AS VARCHAR),
       import_id FROM implied_src WHERE closed_at IS NOT NULL AND satisfaction IS NOT NULL
) u WHERE NOT EXISTS (SELECT 1 FROM implied_logged e WHERE e.case_id = u.case_id AND e.event = u.event)
) ORDER BY case_id, at_time, seq
"""
_IMPLIED_FROM = (
    "case_id, reported_at, tier, deadline_at, dispatched_at, department_id, handled_at, closed_at, resolved, "
    "satisfaction, import_id"
)


def implied_events(con, ids: str, import_id: str | None) -> int:
    """Replace the implied events of the cases whose ids table ``ids`` (a temp table of ours with a ``case_id``
    column) lists by the ones their stored times imply, each where the case's log has no event of its kind (a case
    without a log gets all of them; a logged case the live feed closes gets its 结案); marked with ``import_id``
    (None: the case's own). Cases no longer stored lose their implied events. Their ``case_chain`` rows follow.
    Returns the events written."""
    if not ids.isidentifier():
        raise ValueError(f"unexpected table name {ids!r}")
    mine = f"case_id IN (SELECT case_id FROM {ids})"
    con.execute(f"DELETE FROM case_events WHERE implied AND {mine}")
    # Why the batch's rows first: anti-joined against the whole case_events, the NOT EXISTS built a hash table of
    # every event stored (~5 per case) on every import and feed batch, and each of the five kinds re-read cases;
    # the batch's cases are all it can match (a feed batch: 10.7 CPU-s at 10 M cases on a lake, stalled at 50 M).
    con.execute(f"CREATE OR REPLACE TEMP TABLE implied_src AS SELECT {_IMPLIED_FROM} FROM cases WHERE {mine}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE implied_logged AS SELECT DISTINCT case_id, event FROM case_events WHERE {mine}"
    )
    # the INSERT's own count of rows (counting the table before and after scanned every event twice)
    n = con.execute(IMPLIED_EVENTS_SQL, {"import_id": import_id}).fetchone()[0]
    con.execute("DROP TABLE implied_src")
    con.execute("DROP TABLE implied_logged")
    refresh_chain(con, ids)
    return int(n)


# --- accounts and audit (govdash.accounts) ---
# On a connection to the accounts file (settings.accounts_db): accounts, the audit table and wall-screen
# tokens; nothing here hashes or checks a password or a token.

ACCOUNT_COLUMNS = (
    "username",
    "role",
    "towns",
    "communities",
    "departments",
    "password",
    "disabled",
    "failed",
    "locked_until",
    "created_at",
    "updated_at",
)
ACCOUNT_CHANGES = (
    "role",
    "towns",
    "communities",
    "departments",
    "password",
    "disabled",
    "failed",
    "locked_until",
    "updated_at",
)


def account_get(con, username: str) -> dict | None:
    """One account as a dict (password hash included), or None. ``SELECT *``: a file made before the 居村 and
    department scopes (read-only at sign-in, so not migrated) lacks those columns; ``scope_lists`` reads both."""
    df = con.execute("SELECT * FROM accounts WHERE username = $u", {"u": username}).df()
    return None if df.empty else df.iloc[0].to_dict()


def scope_lists(row: dict) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(towns, communities, departments) of an account or wall-token row; a missing or NULL list is empty."""
    out = []
    for c in ("towns", "communities", "departments"):
        v = row.get(c)
        out.append(() if v is None or (not hasattr(v, "__len__") and pd.isna(v)) else tuple(v))
    return tuple(out)


def account_insert(con, row: dict) -> None:
    con.execute(
        f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES ({', '.join('$' + c for c in ACCOUNT_COLUMNS)})",
        {c: row.get(c) for c in ACCOUNT_COLUMNS},
    )


def account_update(con, username: str, **changes) -> int:
    """Set the given columns (names from ACCOUNT_CHANGES only); returns the number of accounts changed."""
    bad = set(changes) - set(ACCOUNT_CHANGES)
    if bad or not changes:
        raise ValueError(f"not account columns: {sorted(bad)}")
    sets = ", ".join(f"{c} = ${c}" for c in changes)
    return con.execute(
        f"UPDATE accounts SET {sets} WHERE username = $username", {**changes, "username": username}
    ).fetchone()[0]


def account_list(con) -> pd.DataFrame:
    """Every account without its password hash; ``sso`` is True for an account without a password."""
    return con.execute("SELECT * EXCLUDE (password), password IS NULL AS sso FROM accounts ORDER BY username").df()


def audit_insert(con, at: datetime, username: str | None, action: str, detail: str | None) -> None:
    con.execute(
        "INSERT INTO audit (at_time, username, action, detail) VALUES ($at, $u, $a, $d)",
        {"at": at, "u": username, "a": action, "d": detail},
    )


def audit_list(con, limit: int = 100) -> pd.DataFrame:
    """The newest audit rows first."""
    return con.execute(
        "SELECT at_time, username, action, detail FROM audit ORDER BY at_time DESC, rowid DESC LIMIT $n",
        {"n": int(limit)},
    ).df()


def wall_token_insert(
    con, name: str, token_sha256: str, towns: list[str], at: datetime, communities=(), departments=()
) -> None:
    con.execute(
        "INSERT INTO wall_tokens (name, token_sha256, towns, communities, departments, revoked, created_at) "
        "VALUES ($n, $h, $t, $c, $d, false, $at)",
        {"n": name, "h": token_sha256, "t": towns, "c": list(communities), "d": list(departments), "at": at},
    )


def wall_token_names(con) -> pd.DataFrame:
    """Every wall token without its hash."""
    return con.execute("SELECT * EXCLUDE (token_sha256) FROM wall_tokens ORDER BY name").df()


def wall_token_find(con, token_sha256: str) -> dict | None:
    """The unrevoked wall token with this hash (name, towns, communities, departments when the file has
    them), or None."""
    df = con.execute(
        "SELECT * EXCLUDE (token_sha256) FROM wall_tokens WHERE token_sha256 = $h AND NOT revoked", {"h": token_sha256}
    ).df()
    return None if df.empty else df.iloc[0].to_dict()


def wall_token_revoke(con, name: str) -> int:
    return con.execute("UPDATE wall_tokens SET revoked = true WHERE name = $n AND NOT revoked", {"n": name}).fetchone()[
        0
    ]


# --- 挂牌督办 decisions (govdash.supervision) ---


def supervision_unit(con, level: str, unit_id: str) -> str | None:
    """The Chinese name of the street/town or department ``unit_id`` (``level`` 'town' or 'department'), or None."""
    sql = {
        "town": "SELECT name_zh FROM units WHERE level = 'town' AND unit_id = $u",
        "department": "SELECT name_zh FROM departments WHERE department_id = $u",
    }[level]
    row = con.execute(sql, {"u": unit_id}).fetchone()
    return None if row is None else row[0]


def supervision_insert(con, row: dict) -> int:
    """Record one decision; returns its ``decision_id`` (one more than the largest so far)."""
    n = con.execute("SELECT coalesce(max(decision_id), 0) + 1 FROM supervisions").fetchone()[0]
    con.execute(
        "INSERT INTO supervisions (decision_id, level, unit_id, decided_on, decided_by, reason, recorded_at, "
        "recorded_by) VALUES ($id, $level, $unit_id, $decided_on, $decided_by, $reason, $recorded_at, $recorded_by)",
        {"id": int(n), **{k: row.get(k) for k in SUPERVISION_FIELDS}},
    )
    return int(n)


SUPERVISION_FIELDS = ("level", "unit_id", "decided_on", "decided_by", "reason", "recorded_at", "recorded_by")


# kind -> (table, code column) of the catalogues a name can be changed in (allow-list: the SQL names come only here)
CATALOGUE_TABLES = {
    "category": ("category_names", "category"),
    "channel": ("channels", "channel"),
    "department": ("departments", "department_id"),
}


def catalogue_rename(con, kind: str, code: str, name_zh: str, name_en: str | None) -> int:
    """Give the catalogue entry ``code`` of ``kind`` its names (an entry an import added carries its value as
    both until then); how many entries changed (0: no such code)."""
    table, key = CATALOGUE_TABLES[kind]
    return con.execute(
        f"UPDATE {table} SET name_zh = $zh, name_en = $en WHERE {key} = $code",
        {"zh": name_zh, "en": name_en, "code": code},
    ).fetchone()[0]
