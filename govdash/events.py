"""The handling chain read from the case events log: stage counts and times, the chain's rates, escalation paths,
吹哨报到 answer times and one case's timeline, in the page's language. Reads come from ``queries_events``; this
module shapes them (no SQL, no Streamlit)."""

from __future__ import annotations

import math

import pandas as pd

from govdash import catalogue, queries, queries_events
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import t
from govdash.indicators import fmt
from govdash.schema import TIERS

STAGES = queries_events.STAGES  # 受理→派单→处置→核查→结案→回访
RATES = {  # rate -> (numerator, denominator) of queries_events.chain_summary
    "ev_return_rate": ("returned", "dispatched"),
    "ev_redispatch_rate": ("redispatched", "dispatched"),
    "ev_extension_rate": ("extended", "n_accept"),
    "ev_verify_fail_rate": ("verifications_failed", "verifications"),
}


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def rates(summary: dict) -> dict[str, float | None]:
    """退单率, 重派率, 延期率, 核查不通过率 from a chain summary; None when nothing is in the denominator."""
    out = {}
    for key, (num, den) in RATES.items():
        n, d = _num(summary.get(num)), _num(summary.get(den))
        out[key] = n / d if n is not None and d else None
    return out


def stage_frame(summary: dict) -> pd.DataFrame:
    """One row per stage (``stage`` is its label key): cases reaching it, share of the accepted, median hours of
    the leg into it (NaN for 受理, the first)."""
    accepted = _num(summary.get("n_accept"))
    rows = []
    for st in STAGES:
        n = int(summary.get(f"n_{st}") or 0)
        hours = _num(summary.get(f"{st}_median"))
        rows.append(
            {
                "stage": f"stage_{st}",
                "count": n,
                "share": n / accepted if accepted else math.nan,
                "median_hours": math.nan if hours is None else hours,
            }
        )
    return pd.DataFrame(rows)


def stage_table(summary: dict, lang: str = "zh") -> pd.DataFrame:
    """``stage_frame`` for reading, in ``lang``."""
    fr = stage_frame(summary)
    return pd.DataFrame(
        {
            t("stage", lang): [t(s, lang) for s in fr["stage"]],
            t("cases", lang): fr["count"].to_numpy(),
            t("ev_share_accepted", lang): [fmt(_num(v), "resolution_rate") for v in fr["share"]],
            t("ev_median_hours", lang): [fmt(_num(v), "median_hours") for v in fr["median_hours"]],
        }
    )


def party_name(code, names: dict[str, dict[str, str]], lang: str = "zh") -> str:
    """A from/to party for reading: a tier's label, else a department's or street/town's name, else the code."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return "—"
    if code in TIERS:
        return t(f"{code}_tier", lang)
    for kind in ("department", "town"):
        if code in names.get(kind, {}):
            return names[kind][code]
    return str(code)


def _label(prefix: str, code, lang: str) -> str:
    """A coded value's label (``prefix_code``), else the value itself as text (free text from an import)."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return "—"
    key = f"{prefix}_{code}"
    label = t(key, lang)
    return str(code) if label == key else label


def escalation_table(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """升级 rows (queries_events.escalations) for reading: path 社区→街镇, reason, times, median hours after 受理."""
    pairs = zip(df["from_party"], df["to_party"], strict=True)
    path = [f"{party_name(a, {}, lang)} → {party_name(b, {}, lang)}" for a, b in pairs]
    return pd.DataFrame(
        {
            t("ev_path", lang): path,
            t("ev_reason", lang): [_label("reason", r, lang) for r in df["reason"]],
            t("ev_times", lang): df["n"].astype(int).to_numpy(),
            t("ev_when_hours", lang): [fmt(_num(v), "median_hours") for v in df["median_hours"]],
        }
    )


def whistle_table(df: pd.DataFrame, names: dict[str, dict[str, str]], lang: str = "zh") -> pd.DataFrame:
    """吹哨报到 per department (queries_events.whistles) for reading."""
    return pd.DataFrame(
        {
            t("department", lang): [party_name(d, names, lang) for d in df["department_id"]],
            t("ev_whistles", lang): df["whistles"].astype(int).to_numpy(),
            t("ev_answered", lang): df["answered"].astype(int).to_numpy(),
            t("ev_response_median", lang): [fmt(_num(v), "median_hours") for v in df["median_hours"]],
            t("ev_response_p90", lang): [fmt(_num(v), "median_hours") for v in df["p90_hours"]],
        }
    )


def _time(v) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def timeline_table(events: pd.DataFrame, names: dict[str, dict[str, str]], lang: str = "zh") -> pd.DataFrame:
    """One case's events (queries_events.case_events) in order, every field labelled in ``lang``."""
    return pd.DataFrame(
        {
            t("ev_time", lang): [_time(v) for v in events["at_time"]],
            t("ev_event", lang): [_label("event", e, lang) for e in events["event"]],
            t("ev_from", lang): [party_name(p, names, lang) for p in events["from_party"]],
            t("ev_to", lang): [party_name(p, names, lang) for p in events["to_party"]],
            t("ev_role", lang): [_label("role", r, lang) for r in events["actor_role"]],
            t("ev_reason", lang): [_label("reason", r, lang) for r in events["reason"]],
            t("ev_new_deadline", lang): [_time(v) for v in events["new_deadline"]],
            t("ev_result", lang): [_label("result", r, lang) for r in events["result"]],
            t("ev_source", lang): [t("ev_implied" if bool(i) else "ev_logged", lang) for i in events["implied"]],
        }
    )


def chart_frame(case, log: pd.DataFrame, at=None) -> pd.DataFrame:
    """The rows ``charts.case_timeline`` draws: every event of ``log`` (queries_events.case_events) labelled by its
    key, the deadline and, for an open case, ``at``; hours since the first event. Without a log: the case's
    stored times (``lifecycle.timeline``)."""
    if log is None or log.empty:
        from govdash import lifecycle

        return lifecycle.timeline(case, at=at)
    rows = [
        {"event": f"event_{e}", "time": pd.Timestamp(ts)} for e, ts in zip(log["event"], log["at_time"], strict=True)
    ]
    t0 = rows[0]["time"]
    if not pd.isna(case.get("deadline_at")):
        rows.append({"event": "deadline", "time": pd.Timestamp(case["deadline_at"])})
    if at is not None and pd.isna(case.get("closed_at")):
        rows.append({"event": "now", "time": pd.Timestamp(at)})
    out = pd.DataFrame(rows).sort_values("time", kind="stable").reset_index(drop=True)
    out["hours"] = (out["time"] - t0).dt.total_seconds() / 3600.0
    return out


# --- for the pages (called through ui.cached) ---


def party_names(db: Database, lang: str = "zh") -> dict[str, dict[str, str]]:
    """Names of the departments and streets/towns an event can name."""
    cat = catalogue.read(db)
    return {"department": cat.names("department", lang), "town": queries.unit_names(db).get("town", {})}


def chain_data(db: Database, f: Filters, lang: str = "zh") -> dict:
    """The lifecycle page's chain: the summary, its rates, the stage table."""
    summary = queries_events.chain_summary(db, f)
    if not summary or not summary.get("cases"):
        return {"summary": summary, "rates": rates(summary), "frame": None, "stages": None}
    return {
        "summary": summary,
        "rates": rates(summary),
        "frame": stage_frame(summary),
        "stages": stage_table(summary, lang),
    }


def escalation_data(db: Database, f: Filters, lang: str = "zh") -> pd.DataFrame:
    return escalation_table(queries_events.escalations(db, f), lang)


def whistle_data(db: Database, f: Filters, lang: str = "zh") -> pd.DataFrame:
    return whistle_table(queries_events.whistles(db, f), party_names(db, lang), lang)


def timeline_data(db: Database, case_id: str, *, scope=None, lang: str = "zh") -> pd.DataFrame:
    """One case's timeline for reading; empty when it has no events (or lies outside ``scope``)."""
    ev = queries_events.case_events(db, case_id, scope=scope)
    return timeline_table(ev, party_names(db, lang), lang) if len(ev) else pd.DataFrame()
