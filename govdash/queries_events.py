"""Reads of the case events log (``case_events``): the handling chain's stages, rates, escalations, 吹哨报到,
and one case's timeline. The analysis that shapes them for reading is in ``govdash.events``."""

from __future__ import annotations

import re

import pandas as pd

from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.queries import scope_clause, where

# Per case of the filter: its row of case_chain (when it reached each stage of 受理→派单→处置→核查→结案→回访 and how
# often each kind of event happened to it; 处置 and 核查 at their last occurrence: a failed verification sends the
# case back to handling, the stage is reached when it is finally handled and verified), summed up from the log.
_PER_CASE = """
    WITH c AS (SELECT case_id FROM cases WHERE {clause}),
    per AS (SELECT k.* FROM {chain} k JOIN c ON c.case_id = k.case_id)
"""
_HOURS = "epoch({b} - {a}) / 3600.0"
STAGE_LEGS = {  # stage -> (time column, the previous stage the case reached)
    "accept": ("t_accept", None),
    "dispatch": ("t_dispatch", "t_accept"),
    "handled": ("t_handled", "coalesce(t_dispatch, t_accept)"),
    "verify": ("t_verify", "t_handled"),
    "close": ("t_close", "coalesce(t_verify, t_handled, t_dispatch, t_accept)"),
    "callback": ("t_callback", "t_close"),
}
STAGES = tuple(STAGE_LEGS)


MAX_RANGES = 8  # more id schemes than this among a view's cases: one range over them all


def _id_ranges(db: Database, clause: str, params: dict) -> dict:
    """The case ids of the filter's cases (``clause`` over ``cases c``) as ranges ``{"lo0", "hi0", "lo1", …}``:
    the least and greatest id of each scheme (its leading non-digits: "GD" of GD000123), one range over all when
    there are more than ``MAX_RANGES`` schemes, none when there is no case.

    Why: the events are read joined to the filter's cases, and DuckDB may build its join on the events' side and
    scan every event (2.4 s at 10 M cases for 升级 over 30 days). Bounding the events' case ids by constants lets it
    skip the row groups outside them (ids grow with time in logs appended as cases come in; any order stays exact,
    only slower): 2,363 → 191 ms. Ids of two schemes (a hotline's and the grid's) in one range would span every
    row group: a range per scheme. The ranges are disjoint: two schemes' ids differ where their prefixes do, or
    where the shorter prefix ends (a digit there against the longer one's non-digit). One scheme, the usual case,
    is told from the least and greatest id alone (the grouping costs ~0.3 s over a year at 10 M)."""
    rows = db.execute(f"SELECT min(c.case_id) AS lo, max(c.case_id) AS hi FROM cases c WHERE {clause}", params)
    if rows["lo"].isna().all():
        return {}
    if _scheme(rows["lo"].iloc[0]) != _scheme(rows["hi"].iloc[0]):  # two schemes or more: a range each
        rows = db.execute(
            f"SELECT min(c.case_id) AS lo, max(c.case_id) AS hi FROM cases c WHERE {clause} "
            "GROUP BY regexp_extract(c.case_id, '^[^0-9]*') ORDER BY lo",
            params,
        )
    if len(rows) > MAX_RANGES:
        rows = pd.DataFrame({"lo": [rows["lo"].min()], "hi": [rows["hi"].max()]})
    return {f"{end}{i}": v for i, r in enumerate(rows.itertuples()) for end, v in (("lo", r.lo), ("hi", r.hi))}


def _scheme(case_id: str) -> str:
    return re.match(r"[^0-9]*", case_id).group()


def _bounded(table: str, ranges: dict) -> str:
    """``table`` (one of ours) read within ``ranges`` (``_id_ranges``), a scan per range: DuckDB skips row groups
    by a BETWEEN of constants but not by an OR of them (1 M demo: two ranges OR-ed read as long as the table)."""
    scans = [f"SELECT * FROM {table} WHERE case_id BETWEEN $lo{i} AND $hi{i}" for i in range(len(ranges) // 2)]
    return "(" + (" UNION ALL ".join(scans) or f"SELECT * FROM {table} WHERE false") + ")"


def has_events(db: Database) -> bool:
    """Whether the database has the case events tables (a file written before events has none)."""
    n = db.scalar(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name IN ('case_events', 'case_chain')"
    )
    return n == 2


def chain_summary(db: Database, f: Filters) -> dict:
    """Over the cases reported in the filter period: cases reaching each stage (``n_<stage>``), median hours of
    the leg into it (``<stage>_median``: from the latest earlier stage the case reached, e.g. 结案 from 核查, else
    处置, else 派单, else 受理),
    and the counts the rates need (cases returned / re-dispatched / extended / supervised / urged / escalated /
    whistled, verifications and failed ones, supervision events)."""
    if not has_events(db):
        return {}
    clause, params = where(f)
    ranges = _id_ranges(db, clause, params)
    params = {**params, **ranges}
    legs = []
    for stage, (col, prev) in STAGE_LEGS.items():
        legs.append(f"count({col}) AS n_{stage}")
        if prev:
            h = _HOURS.format(a=prev, b=col)
            legs.append(f"median({h}) FILTER (WHERE {col} >= {prev}) AS {stage}_median")
    sql = (
        _PER_CASE.format(clause=clause, chain=_bounded("case_chain", ranges))
        + f"""
        SELECT count(*) AS cases, {", ".join(legs)},
               count(*) FILTER (WHERE t_dispatch IS NOT NULL) AS dispatched,
               count(*) FILTER (WHERE n_return > 0) AS returned,
               count(*) FILTER (WHERE n_redispatch > 0) AS redispatched,
               count(*) FILTER (WHERE n_extend > 0) AS extended,
               sum(n_verify) AS verifications,
               sum(n_verify_failed) AS verifications_failed,
               count(*) FILTER (WHERE n_supervise > 0) AS supervised,
               sum(n_supervise) AS supervise_events,
               count(*) FILTER (WHERE n_urge > 0) AS urged,
               sum(n_urge) AS urge_events,
               count(*) FILTER (WHERE n_escalate > 0) AS escalated,
               count(*) FILTER (WHERE n_whistle > 0) AS whistled
        FROM per
    """
    )
    row = db.execute(sql, params).iloc[0].to_dict()
    return {k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v) for k, v in row.items()}


def escalations(db: Database, f: Filters) -> pd.DataFrame:
    """升级 events of the filter's cases by path (from tier → to tier) and reason: count, median hours after the
    case was reported (when), as rows ``from_party, to_party, reason, n, median_hours``."""
    if not has_events(db):
        return pd.DataFrame(columns=["from_party", "to_party", "reason", "n", "median_hours"])
    clause, params = where(f, alias="c")
    ranges = _id_ranges(db, clause, params)
    return db.execute(
        f"""SELECT e.from_party, e.to_party, e.reason, count(*) AS n,
                   median(epoch(e.at_time - c.reported_at) / 3600.0) AS median_hours
            FROM {_bounded("case_events", ranges)} e JOIN cases c ON c.case_id = e.case_id
            WHERE e.event = 'escalate' AND {clause}
            GROUP BY ALL ORDER BY e.from_party, e.to_party, n DESC, e.reason""",
        {**params, **ranges},
    )


def whistles(db: Database, f: Filters) -> pd.DataFrame:
    """吹哨报到 of the filter's cases per department called: whistles, those answered (a 报到 of that department
    on the case at or after the whistle), median and P90 hours to the first answer."""
    empty = pd.DataFrame(columns=["department_id", "whistles", "answered", "median_hours", "p90_hours"])
    if not has_events(db):
        return empty
    clause, params = where(f, alias="c")
    ranges = _id_ranges(db, clause, params)
    events = _bounded("case_events", ranges)
    return db.execute(
        f"""WITH w AS (
                SELECT e.case_id, e.at_time, e.to_party AS department_id, e.seq
                FROM {events} e JOIN cases c ON c.case_id = e.case_id
                WHERE e.event = 'whistle' AND {clause}),
            a AS (
                SELECT w.case_id, w.department_id, w.at_time, min(r.at_time) AS answered_at
                FROM w LEFT JOIN {events} r ON r.case_id = w.case_id AND r.event = 'report'
                     AND r.from_party = w.department_id AND r.at_time >= w.at_time
                GROUP BY w.case_id, w.department_id, w.at_time, w.seq)
            SELECT department_id, count(*) AS whistles, count(answered_at) AS answered,
                   median(epoch(answered_at - at_time) / 3600.0) AS median_hours,
                   quantile_cont(epoch(answered_at - at_time) / 3600.0, 0.9) AS p90_hours
            FROM a GROUP BY department_id ORDER BY whistles DESC, department_id""",
        {**params, **ranges},
    )


EVENT_COLUMNS = (
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
)


def case_events(db: Database, case_id: str, *, scope: Scope | None = None) -> pd.DataFrame:
    """Every event of one case in order (time, then ``seq``); empty when the case lies outside ``scope``."""
    if not has_events(db):
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    sc, params = scope_clause(scope, "cases", "c")
    cols = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
    return db.execute(
        f"SELECT {cols} FROM case_events e JOIN cases c ON c.case_id = e.case_id "
        f"WHERE e.case_id = $id AND {sc} ORDER BY e.at_time, e.seq",
        {**params, "id": case_id},
    )
