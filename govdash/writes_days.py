"""The write SQL of the case summary (table ``case_days``): per day × street/town × category, what the whole-district
views add up, kept in step with ``cases`` in every commit that writes cases (govdash.writes_log.record calls
``apply``; the demo build and a database without a summary call ``rebuild``).

Each case adds one to the measures of the days it reaches (``CONTRIBUTIONS``): its reporting day (the cohort's
counts), the day it is judged on (deadline, or closing when earlier: the due counts), the day it stops being
open (closing, or reporting when closed before it) and the days its deadline passes while it is known and while
it is open. A write subtracts the old images of the cases it touched and adds the new ones, so the table equals
a recomputation from ``cases`` after any commit (tests/test_case_days.py). Reads: govdash.queries_days.
"""

from __future__ import annotations

KEY = ("day", "town_id", "category")
BUILT = "case_days"  # meta key: present once the summary holds every case (a file made before it has none)
_JUDGED = "least(coalesce(closed_at, deadline_at), deadline_at)"  # queries.JUDGED_AT
_CLOSED = "status = 'closed'"
# (day of the case it is counted on, {measure: condition}); a measure is the number of cases meeting its condition
CONTRIBUTIONS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "reported_at",  # the cohort (queries.INDICATOR_SQL's counts, by reporting day)
        {
            "collected": "true",
            "resolved": "resolved",
            "closed": _CLOSED,
            "closed_on_time": f"{_CLOSED} AND closed_at <= deadline_at",
            "recognised": "recognised",
            "open": "status <> 'closed'",
            "closed_due": f"{_CLOSED} AND deadline_at IS NOT NULL",
            "recognition_known": "resolved AND recognised IS NOT NULL",
            "open_due": "status <> 'closed' AND deadline_at IS NOT NULL",
            "rated": "satisfaction IS NOT NULL",
            "closed_community": f"{_CLOSED} AND tier = 'community'",
            "closed_street": f"{_CLOSED} AND tier = 'street'",
            "closed_district": f"{_CLOSED} AND tier = 'district'",
            "tiered": "tier IS NOT NULL",  # a period with such a case has a row of tier shares (lifecycle)
            # the case-mix adjusted ranking's counts (queries_trend.CASEMIX_SQL)
            "late": f"{_CLOSED} AND deadline_at IS NOT NULL AND NOT closed_at <= deadline_at",
            "unrecognised": "resolved AND recognised = false",
            "timed": "closed_at IS NOT NULL",  # a time to close: the hours' denominator
        },
    ),
    (
        _JUDGED,  # judged (queries.DUE_COUNTS, progress as stored: a read subtracts what closed after its instant)
        {
            "due": f"{_JUDGED} IS NOT NULL",  # least() skips NULL: closed without a deadline is judged at closing
            "due_on_time": "closed_at <= deadline_at",
            "due_resolved": "closed_at IS NOT NULL AND resolved",
            "due_recognised": "closed_at IS NOT NULL AND resolved AND recognised",
            "due_recognition_known": "closed_at IS NOT NULL AND resolved AND recognised IS NOT NULL",
            # reported on a later day than judged: a read of such days asks the cases (reported_at < period end)
            "due_reported_later": f"CAST(reported_at AS DATE) > CAST({_JUDGED} AS DATE)",
        },
    ),
    ("greatest(closed_at, reported_at)", {"closures": "closed_at IS NOT NULL"}),  # no longer open from then
    ("greatest(deadline_at, reported_at)", {"deadline_passed": "deadline_at IS NOT NULL"}),  # known and past due
    (
        "greatest(deadline_at, reported_at, closed_at)",  # ... and closed by then: no longer overdue
        {"deadline_passed_closed": "deadline_at IS NOT NULL AND closed_at IS NOT NULL"},
    ),
)
MEASURES = tuple(m for _, ms in CONTRIBUTIONS for m in ms)
HOURS = "epoch(closed_at - reported_at) / 3600.0"  # a case's hours to close (queries_trend.CASEMIX_SQL too)
SUMS = {  # summed, not counted; all on the reporting day, so a row with no case counted holds none (``apply``)
    "satisfaction_sum": ("reported_at", "coalesce(satisfaction, 0)"),
    "hours": ("reported_at", f"coalesce({HOURS}, 0)"),
    "hours_sq": ("reported_at", f"coalesce(({HOURS}) ** 2, 0)"),
    "shortfall_sq": ("reported_at", "coalesce((100 - satisfaction) ** 2, 0)"),
}
COLUMNS = (*MEASURES, *SUMS)


def _rows(source: str, sign: int) -> str:
    """Every case of ``source`` (our SQL: a table with the case columns) as its contribution rows, times ``sign``."""
    parts = []
    for day, measures in CONTRIBUTIONS:
        cols = [
            f"{sign} * CAST(({measures[m]}) IS TRUE AS INTEGER) AS {m}" if m in measures else f"0 AS {m}"
            for m in MEASURES
        ]
        sums = [f"{sign} * {expr} AS {s}" if d == day else f"0 AS {s}" for s, (d, expr) in SUMS.items()]
        first = next(iter(measures.values()))
        parts.append(
            f"SELECT CAST({day} AS DATE) AS day, town_id, category, {', '.join(cols + sums)} "
            f"FROM {source} WHERE {day} IS NOT NULL AND ({first}) IS TRUE"
        )
    return " UNION ALL ".join(parts)


def _grouped(rows_sql: str) -> str:
    sums = ", ".join(f"sum({c}) AS {c}" for c in COLUMNS)
    return f"SELECT day, town_id, category, {sums} FROM ({rows_sql}) GROUP BY ALL"


def present(con) -> bool:
    """Whether the summary holds every case (meta ``case_days``), on the connection's current database."""
    return bool(con.execute("SELECT count(*) FROM meta WHERE key = $k", {"k": BUILT}).fetchone()[0])


def rebuild(con) -> int:
    """Recompute the whole summary from ``cases`` on a writable connection (in its transaction); mark it present.
    Returns its rows."""
    con.execute("DELETE FROM case_days")
    con.execute(
        f"INSERT INTO case_days ({', '.join(KEY + COLUMNS)}) {_grouped(_rows('cases', 1))} ORDER BY day, town_id"
    )
    con.execute("DELETE FROM meta WHERE key = $k", {"k": BUILT})
    con.execute("INSERT INTO meta VALUES ($k, 'v1')", {"k": BUILT})
    return int(con.execute("SELECT count(*) FROM case_days").fetchone()[0])


def apply(con, before: str, after: str) -> int:
    """Move the summary from the cases ``before`` to ``after`` (our SQL: tables of the same cases' images, the
    old and the new; a case missing from one side was inserted or deleted). Rebuilds instead while the summary
    is not present. Returns the summary rows rewritten."""
    if not present(con):
        return rebuild(con)
    rows = f"{_rows(f'({before})', -1)} UNION ALL {_rows(f'({after})', 1)}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE days_delta AS {_grouped(rows)}")
    con.execute(f"DELETE FROM days_delta WHERE {' AND '.join(f'{c} = 0' for c in COLUMNS)}")
    same = " AND ".join(f"d.{k} IS NOT DISTINCT FROM s.{k}" for k in KEY)
    cols = ", ".join(KEY + COLUMNS)
    touched = f"SELECT {cols} FROM case_days s WHERE EXISTS (SELECT 1 FROM days_delta d WHERE {same})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE days_new AS {_grouped(f'{touched} UNION ALL SELECT {cols} FROM days_delta')}"
    )
    con.execute(f"DELETE FROM case_days s WHERE EXISTS (SELECT 1 FROM days_delta d WHERE {same})")
    # by the counts: every sum is of cases counted as collected on the row's day, so a row none is counted on holds
    # none, whatever a floating-point sum of additions and subtractions of hours left in it
    keep = " OR ".join(f"{c} <> 0" for c in MEASURES)
    con.execute(f"INSERT INTO case_days ({cols}) SELECT {cols} FROM days_new WHERE {keep}")
    n = int(con.execute("SELECT count(*) FROM days_new").fetchone()[0])
    con.execute("DROP TABLE days_delta")
    con.execute("DROP TABLE days_new")
    return n
