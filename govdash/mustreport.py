"""八必报: the eight items Xiacheng's grid workers must report, as a leader reads them (docs/indicators.md).

For a period: how many of each item were found, how long from discovery (``reported_at``) to the report
reaching the centre (``dispatched_at``) and to the first response (``handled_at``), by street/town and by
grid. ``summary`` is an adapter over ``queries_mustreport``; the rest works on its frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from govdash import catalogue, queries, queries_mustreport
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import t

COLUMNS = ("cases", "reported", "responded", "open", "report_hours", "response_hours")


@dataclass(frozen=True)
class MustReport:
    """A period's must-report figures: ``total`` (one row of ``COLUMNS``), ``items`` (every catalogue item in
    its order, with ``name``; zero where none was found), ``towns`` and ``grids`` (units with cases, most
    first, with ``name``; empty when the district has no such level or no case carries one)."""

    total: dict
    items: pd.DataFrame
    towns: pd.DataFrame
    grids: pd.DataFrame

    @property
    def empty(self) -> bool:
        """No must-report case in the period (a district whose imports carry no item: the panel says so)."""
        return not self.total.get("cases")


def _total(df: pd.DataFrame) -> dict:
    if df.empty:
        return dict.fromkeys(COLUMNS, 0) | {"report_hours": math.nan, "response_hours": math.nan}
    return {c: df[c].iloc[0] for c in COLUMNS}


def by_item(stats: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Every item of the catalogue (``names``: code -> name, in order) with its figures, zeros where none; an
    item the catalogue does not list (a code a file brought) after them, under its code."""
    got = stats.set_index("key") if not stats.empty else pd.DataFrame(columns=COLUMNS)
    codes = list(names) + [k for k in got.index if k not in names and isinstance(k, str)]
    out = got.reindex(codes)
    for c in ("cases", "reported", "responded", "open"):
        out[c] = out[c].fillna(0).astype(int)
    out.index.name = "item"
    out = out.reset_index()
    out.insert(1, "name", [names.get(k, k) for k in codes])
    return out


def by_unit(stats: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Units with must-report cases, most first, named (``names``: id -> name; the id when unknown); cases with
    no unit of the level are left out."""
    out = stats[stats["key"].notna()].rename(columns={"key": "unit_id"}).reset_index(drop=True)
    out.insert(1, "name", [names.get(k, k) for k in out["unit_id"]])
    return out


def summary(db: Database, f: Filters, at: datetime, lang: str = "zh") -> MustReport:
    """The must-report figures of ``f``'s period as they stood at ``at``, named in ``lang`` (adapter)."""
    cat = catalogue.read(db)
    units = queries.unit_names(db, scope=f.scope)
    levels = queries.unit_levels(db)
    grids = (
        by_unit(queries_mustreport.stats(db, f, at, "grid"), units.get("grid", {}))
        if "grid" in levels
        else pd.DataFrame(columns=["unit_id", "name", *COLUMNS])
    )
    return MustReport(
        total=_total(queries_mustreport.stats(db, f, at)),
        items=by_item(queries_mustreport.stats(db, f, at, "item"), cat.names("must_report", lang)),
        towns=by_unit(queries_mustreport.stats(db, f, at, "town"), units.get("town", {})),
        grids=grids,
    )


def hours_text(value, lang: str = "zh") -> str:
    """A median time from discovery: "0.5 小时" / "0.5 h" under two days, else in days; "—" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value < 48:
        return f"{value:.1f} {t('mr_hours_unit', lang)}"
    return f"{value / 24:.1f} {t('mr_days_unit', lang)}"


def total_text(mr: MustReport, lang: str = "zh") -> str:
    """One line: the period's must-report items and their two median times from discovery."""
    return t("mr_total", lang).format(
        n=int(mr.total["cases"]),
        report=hours_text(mr.total["report_hours"], lang),
        response=hours_text(mr.total["response_hours"], lang),
    )


def table(rows: pd.DataFrame, lang: str = "zh", first: str = "mr_item") -> pd.DataFrame:
    """``by_item`` / ``by_unit`` rows for display: name, cases, the two median times as text, open."""
    return pd.DataFrame(
        {
            t(first, lang): rows["name"].astype(str),
            t("mr_cases", lang): rows["cases"].astype(int),
            t("mr_report_hours", lang): [hours_text(v, lang) for v in rows["report_hours"]],
            t("mr_response_hours", lang): [hours_text(v, lang) for v in rows["response_hours"]],
            t("mr_open", lang): rows["open"].astype(int),
        }
    )
