"""Whole-district reads from the case summary (table ``case_days``, govdash.writes_days), equal to the queries over
``cases`` they stand in for (tests/test_queries_days.py), at a cost that does not grow with the history.

A read uses the summary when it is present and the filter selects whole streets/towns and categories only (no
居村, grid, channel or department, and a scope of streets/towns or none): the summary's whole days, plus the
cases of the one day an instant cuts (the data time) and the few cases an instant changes (closed after the
state's instant), each read with a time bound that lets DuckDB skip all older row groups. Otherwise (or when
a case was judged before the day it was reported, ``due_reported_later``) the caller's query over ``cases`` runs.

Read so far: the judged rates (due_totals, due_by_period), the open stock (stock, open_backlog without a split),
cases collected per period and in all, and the tier shares of closed cases. The cohort indicators with their exact
medians (kpis, period_indicators, indicator_totals) still read the cases over their period.
"""

from __future__ import annotations

import re
from datetime import datetime, time

import pandas as pd

from govdash import queries as q  # read at call time: govdash.queries reads this module
from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.writes_days import BUILT

TIERS = ("community", "street", "district")


def usable(db: Database, f: Filters) -> bool:
    """Whether ``f`` can be read from the summary: whole streets/towns and categories, and the summary present."""
    sc = Scope.of(f.scope)
    if f.communities or f.grids or f.channels or f.departments:
        return False
    if sc is not None and (sc.communities or sc.departments or sc.nowhere):
        return False
    return built(db)


_BUILT: dict[tuple, bool] = {}  # (store, version) -> the summary is present
_CASEMIX_READY: dict[tuple, bool] = {}  # (store, version) -> the summary has the ranking's columns


def _per_version(memo: dict[tuple, bool], db: Database, sql: str, params: dict | None = None) -> bool:
    """Whether ``sql``'s one count is non-zero, remembered in ``memo`` per store version (it changes only with a
    commit)."""
    key = (db.path, db.version())
    hit = memo.get(key)  # .get: another session's thread may clear the dict between a test and a read
    if hit is None:
        hit = bool(db.scalar(sql, params))
        if len(memo) >= 16:
            memo.clear()  # a bound, not a policy: an old version is never asked again
        memo[key] = hit
    return hit


def built(db: Database) -> bool:
    """Whether the store holds the summary (meta ``case_days``), remembered per store version.

    Why: a page asks it for every figure it reads from the summary, and on a lake each meta read is catalog
    round trips (the table's file list, statistics, delete files); the answer changes only with a commit.
    """
    return _per_version(_BUILT, db, "SELECT count(*) FROM meta WHERE key = $k", {"k": BUILT})


def _used(sql: str, params: dict) -> dict:
    """The parameters ``sql`` names (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def _run(db: Database, sql: str, params: dict) -> pd.DataFrame:
    return db.execute(sql, _used(sql, params), complete=True)


def _midnight(t: datetime) -> datetime:
    return datetime.combine(t.date(), time())


def _one(db: Database, sql: str, params: dict) -> dict:
    row = _run(db, sql, params).iloc[0].to_dict()
    return {k: (0 if pd.isna(v) else int(v)) for k, v in row.items()}


# the due counts (queries.DUE_COUNTS) of one statement's cases, ``{due}`` their condition of being due
_DONE = "closed_at < $as_of"
_DUE_RAW = """
    count(*) FILTER (WHERE {due}) AS due,
    count(*) FILTER (WHERE {due} AND {done} AND closed_at <= deadline_at) AS due_on_time,
    count(*) FILTER (WHERE {due} AND {done} AND resolved) AS due_resolved,
    count(*) FILTER (WHERE {due} AND {done} AND resolved AND recognised) AS due_recognised,
    count(*) FILTER (WHERE {due} AND {done} AND resolved AND recognised IS NOT NULL) AS due_recognition_known,
    count(*) FILTER (WHERE {due} AND category = $dispute) AS due_disputes,
    count(*) FILTER (WHERE {due} AND category = $dispute AND {done} AND resolved) AS due_disputes_resolved"""
_DUE_DAYS = """
    sum(due) AS due, sum(due_on_time) AS due_on_time, sum(due_resolved) AS due_resolved,
    sum(due_recognised) AS due_recognised, sum(due_recognition_known) AS due_recognition_known,
    sum(due) FILTER (WHERE category = $dispute) AS due_disputes,
    sum(due_resolved) FILTER (WHERE category = $dispute) AS due_disputes_resolved,
    sum(due_reported_later) AS reported_later"""
DUE_KEYS = (
    "due",
    "due_on_time",
    "due_resolved",
    "due_recognised",
    "due_recognition_known",
    "due_disputes",
    "due_disputes_resolved",
)


# the cases judged at or after $cut (closed or due then), in two parts each bounded on one column so DuckDB skips the
# row groups before it
_FROM_CUT = """SELECT * FROM cases WHERE closed_at >= $cut AND {attr}
    UNION ALL SELECT * FROM cases WHERE deadline_at >= $cut AND NOT coalesce(closed_at >= $cut, false) AND {attr}"""


def _due_parts(db: Database, f: Filters, p_start: datetime, p_end: datetime, as_of: datetime, group: str):
    """The due counts of [p_start, p_end) as three frames keyed by ``group`` (SQL of ``day`` / the judged instant
    ``j``): the summary's whole days, minus the cases among them closed at or after ``as_of`` (counted there as
    done), plus the cases judged on the day ``p_end`` cuts. None when a case was reported after the day it is
    judged on (the summary cannot tell whether it was reported before ``p_end``)."""
    attr, params = q._attr_where(f)
    cut = _midnight(p_end)
    base = {**params, "p_start": p_start, "cut": cut, "p_end": p_end, "as_of": as_of, "dispute": q.DISPUTE_CATEGORY}
    days = _run(
        db,
        f"SELECT {group.format(t='day')} AS g, {_DUE_DAYS} FROM case_days "
        f"WHERE day >= CAST($p_start AS DATE) AND day < CAST($cut AS DATE) AND {attr} GROUP BY 1",
        base,
    )
    if days["reported_later"].fillna(0).sum() > 0:
        return None
    j = q.JUDGED_AT
    # closed at or after as_of: done in the summary, not yet at as_of (the bound on closed_at skips older groups)
    late = _run(
        db,
        f"SELECT {group.format(t=j)} AS g, {_DUE_RAW.format(due='true', done='true')} FROM cases "
        f"WHERE closed_at >= $as_of AND {j} >= $p_start AND {j} < $cut AND {attr} "
        "GROUP BY 1",
        base,
    )
    late = late.assign(due=0, due_disputes=0)  # still due: only their progress is taken back
    cut_day = _run(
        db,
        f"SELECT {group.format(t=j)} AS g, {_DUE_RAW.format(due='true', done=_DONE)} "
        f"FROM ({_FROM_CUT.format(attr=attr)}) "
        f"WHERE {j} >= greatest($cut, $p_start) AND {j} < $p_end AND reported_at < $p_end GROUP BY 1",
        base,
    )
    return days.drop(columns="reported_later"), late, cut_day


def _combine(days: pd.DataFrame, late: pd.DataFrame, cut_day: pd.DataFrame) -> pd.DataFrame:
    """days − late + cut_day per group ``g``, counts as int."""
    parts = [days.set_index("g")[list(DUE_KEYS)], -late.set_index("g")[list(DUE_KEYS)], cut_day.set_index("g")]
    out = pd.concat([p.fillna(0).astype("int64") for p in parts]).groupby(level=0).sum()
    return out[list(DUE_KEYS)]


def due_counts(db: Database, f: Filters, p_start: datetime, p_end: datetime, as_of: datetime) -> dict | None:
    """queries.DUE_COUNTS over the cases of ``f``'s attributes due in [p_start, p_end) with their progress at
    ``as_of`` (``p_start`` a midnight); None when the summary cannot answer (see ``_due_parts``)."""
    parts = _due_parts(db, f, p_start, p_end, as_of, "0")
    if parts is None:
        return None
    got = _combine(*parts)
    return {k: int(got[k].sum()) for k in DUE_KEYS}


def in_handling(db: Database, f: Filters, p_start: datetime, p_end: datetime) -> int:
    """Cases reported in [p_start, p_end), not closed before ``p_end`` and due after it (queries.DUE_SQL)."""
    attr, params = q._attr_where(f)
    return _one(
        db,
        "SELECT count(*) AS n FROM cases WHERE deadline_at >= $p_end AND reported_at >= $p_start "
        f"AND reported_at < $p_end AND (closed_at IS NULL OR closed_at >= $p_end) AND {attr}",
        {**params, "p_start": p_start, "p_end": p_end},
    )["n"]


def due_by_period(db: Database, f: Filters, period: str, p_end: datetime, as_of: datetime) -> pd.DataFrame | None:
    """queries_trend.due_by_period's counts (one row per ``period`` with a case due, ``period`` a timestamp) from
    the summary; None when it cannot answer."""
    unit = q.PERIODS[period]
    p_start = datetime.combine(f.start, time())
    parts = _due_parts(db, f, p_start, p_end, as_of, f"CAST(date_trunc('{unit}', {{t}}) AS TIMESTAMP)")
    if parts is None:
        return None
    got = _combine(*parts)
    got = got[got["due"] > 0].sort_index()
    out = got.reset_index().rename(columns={"g": "period"})
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[us]")
    return out


def stock(db: Database, f: Filters, t: datetime) -> dict:
    """``backlog`` (open at ``t``) and ``overdue_at_end`` (of them, past their deadline) of ``f``'s attributes:
    the summary's days before ``t``'s day, plus the cases whose last time that counts falls on ``t``'s day."""
    attr, params = q._attr_where(f)
    whole = _one(
        db,
        "SELECT sum(collected) - sum(closures) AS backlog, sum(deadline_passed) - sum(deadline_passed_closed) "
        f"AS overdue_at_end FROM case_days WHERE day < CAST($cut AS DATE) AND {attr}",
        {**params, "cut": _midnight(t)},
    )
    part = _cut_day(db, f, t)
    return {k: whole[k] + part[k] for k in whole}


def _cut_day(db: Database, f: Filters, t: datetime) -> dict:
    """What the cases with a time on ``t``'s day before ``t`` add to ``stock`` (zeros when ``t`` is a midnight)."""
    cut = _midnight(t)
    if t == cut:
        return {"backlog": 0, "overdue_at_end": 0}
    attr, params = q._attr_where(f)
    # each part bounded on one column, so DuckDB skips the row groups before the day
    return _one(
        db,
        f"""SELECT count(*) FILTER (WHERE reported_at >= $cut) - count(*) FILTER (WHERE closed_at < $t
                   AND greatest(closed_at, reported_at) >= $cut) AS backlog,
               count(*) FILTER (WHERE deadline_at < $t AND greatest(deadline_at, reported_at) >= $cut)
               - count(*) FILTER (WHERE deadline_at < $t AND closed_at < $t
                   AND greatest(deadline_at, reported_at, closed_at) >= $cut) AS overdue_at_end
        FROM (SELECT * FROM cases WHERE reported_at >= $cut AND reported_at < $t AND {attr}
              UNION ALL SELECT * FROM cases WHERE closed_at >= $cut AND reported_at < $cut AND {attr}
              UNION ALL SELECT * FROM cases WHERE deadline_at >= $cut AND reported_at < $cut
                  AND NOT coalesce(closed_at >= $cut, false) AND {attr})""",
        {**params, "cut": cut, "t": t},
    )


def open_backlog(db: Database, f: Filters, period: str, t: datetime, first: datetime) -> pd.DataFrame:
    """queries_trend.open_backlog without a split: the cases open at the end of every ``period`` from ``first``'s
    to the one ``t`` ends (``period``, ``backlog``). Open at a period's end e: reported before e, less those no
    longer open before e (``closures``); the days before ``first`` fall into the first period."""
    unit = q.PERIODS[period]
    attr, params = q._attr_where(f)
    cut = _midnight(t)
    return _run(
        db,
        f"""WITH net AS (
            SELECT date_trunc('{unit}', greatest(day, CAST($first AS DATE)))::TIMESTAMP AS period,
                   sum(collected) - sum(closures) AS n
            FROM case_days WHERE day < CAST($cut AS DATE) AND {attr} GROUP BY 1
            UNION ALL SELECT date_trunc('{unit}', $cut::TIMESTAMP), $part),
        p AS (SELECT period FROM generate_series(date_trunc('{unit}', $first::TIMESTAMP),
                                                 $t::TIMESTAMP - INTERVAL 1 MICROSECOND, INTERVAL 1 {unit}) g(period)),
        m AS (SELECT period, sum(n) AS n FROM net GROUP BY 1)
        SELECT p.period, sum(coalesce(m.n, 0)) OVER (ORDER BY p.period)::BIGINT AS backlog
        FROM p LEFT JOIN m USING (period) ORDER BY p.period""",
        {**params, "first": first, "cut": cut, "t": t, "part": _cut_day(db, f, t)["backlog"]},
    )


def collected_by_period(db: Database, f: Filters, period: str) -> pd.DataFrame:
    """queries.collected_by_period from the summary: ``period`` (timestamp), ``collected``."""
    attr, params = q._attr_where(f)
    df = _run(
        db,
        f"SELECT CAST(date_trunc('{q.PERIODS[period]}', day) AS TIMESTAMP) AS period, "
        "CAST(sum(collected) AS BIGINT) AS collected FROM case_days "
        f"WHERE day >= $start AND day <= $end AND {attr} GROUP BY 1 HAVING sum(collected) > 0 ORDER BY 1",
        {**params, "start": f.start, "end": f.end},
    )
    return df


def case_count(db: Database, f: Filters) -> int:
    """queries.case_count from the summary."""
    attr, params = q._attr_where(f)
    return _one(
        db,
        f"SELECT sum(collected) AS n FROM case_days WHERE day >= $start AND day <= $end AND {attr}",
        {**params, "start": f.start, "end": f.end},
    )["n"]


def casemix_usable(db: Database, f: Filters) -> bool:
    """``usable``, and the summary holds the case-mix columns (a file made before them, not written since, lacks
    them until its next write rebuilds it: schema.ADDED_SUMMARY_COLUMNS)."""
    return usable(db, f) and _per_version(
        _CASEMIX_READY,
        db,
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'case_days' AND column_name = 'shortfall_sq' "
        "AND database_name = current_database()",
    )


def split_by_category(db: Database, f: Filters) -> pd.DataFrame:
    """queries_trend.split_by_category by street/town from the summary: the cohort of the period's whole days, each
    measure of queries_trend.CASEMIX_SQL a sum of the days' counts (the cases as stored, as that query reads them)."""
    attr, params = q._attr_where(f)
    return _run(
        db,
        f"""SELECT town_id AS key, category,
            CAST(sum(collected) AS BIGINT) AS collected,
            CAST(sum(collected - resolved) AS BIGINT) AS unresolved,
            CAST(sum(closed_due) AS BIGINT) AS closed_due,
            CAST(sum(late) AS BIGINT) AS late,
            CAST(sum(recognition_known) AS BIGINT) AS recognition_known,
            CAST(sum(unrecognised) AS BIGINT) AS unrecognised,
            CAST(coalesce(sum(collected) FILTER (WHERE category = $dispute), 0) AS BIGINT) AS disputes,
            CAST(coalesce(sum(collected - resolved) FILTER (WHERE category = $dispute), 0) AS BIGINT)
                AS disputes_unresolved,
            CAST(sum(timed) AS BIGINT) AS closed,
            sum(hours) AS hours,
            sum(hours_sq) AS hours_sq,
            CAST(sum(rated) AS BIGINT) AS rated,
            sum(100.0 * rated - satisfaction_sum) AS shortfall,
            sum(shortfall_sq) AS shortfall_sq
        FROM case_days WHERE day >= $start AND day <= $end AND {attr}
        GROUP BY ALL HAVING sum(collected) > 0 ORDER BY ALL""",
        {**params, "start": f.start, "end": f.end, "dispute": q.DISPUTE_CATEGORY},
    )


def closed_by_tier(db: Database, f: Filters, period: str) -> pd.DataFrame:
    """Closed cases per ``period`` of reporting and tier (``period``, ``series``, ``closed``) as the cases give them:
    the three tiers of every period with a case of a known tier, and a row of no tier (None, 0) for every period
    with a case (lifecycle.tier_shares leaves a period of no tier out)."""
    attr, params = q._attr_where(f)
    tiers = ", ".join(f"CAST(sum(closed_{t}) AS BIGINT) AS {t}" for t in TIERS)
    wide = _run(
        db,
        f"SELECT CAST(date_trunc('{q.PERIODS[period]}', day) AS TIMESTAMP) AS period, {tiers}, "
        f"sum(tiered) > 0 AS tiered FROM case_days WHERE day >= $start AND day <= $end AND {attr} "
        "GROUP BY 1 HAVING sum(collected) > 0 ORDER BY 1",
        {**params, "start": f.start, "end": f.end},
    )
    long = wide[wide["tiered"]].melt(id_vars="period", value_vars=list(TIERS), var_name="series", value_name="closed")
    none = pd.DataFrame({"period": wide["period"], "series": None, "closed": 0})
    return pd.concat([long, none], ignore_index=True)
