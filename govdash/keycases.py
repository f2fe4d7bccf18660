"""重点难点: the key difficult cases as a tracked list (Pudong reported 37: 14 已化解, 20 有明确路径, 3 需专项推进).

A key case is flagged on the case (``key_difficult``) and tracked with a status (``key_status``: resolved 已化解,
clear_path 有明确路径, special_push 需专项推进; none yet: unassessed 待研判) and an owner (``key_owner``: a
department id, a street/town id or a name; none: the case's department). Its age runs from its reporting to
``at``, or to its closing once it is resolved. ``key_cases(db, f, at)`` is the list the overview and the
reports (govdash.briefing) show; ``counts`` and ``oldest_open`` read it.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from govdash import catalogue, queries, queries_mustreport
from govdash.db import Database
from govdash.filters import Filters
from govdash.i18n import pick, t

STATUSES = ("resolved", "clear_path", "special_push", "unassessed")  # schema.KEY_STATUSES, then none yet
OPEN = ("special_push", "clear_path", "unassessed")  # not settled; the most pressing first
COLUMNS = (
    "case_id",
    "key_status",
    "owner_id",
    "owner_zh",
    "owner_en",
    "town_id",
    "town",
    "category",
    "category_zh",
    "category_en",
    "reported_at",
    "closed_at",
    "age_days",
    "open",
    "description",
)


def key_cases(db: Database, f: Filters, at: datetime) -> pd.DataFrame:
    """Every key case reported by ``at`` in ``f``'s area (the period does not limit a standing list), oldest
    first, with ``COLUMNS``: the status code (``STATUSES``), the owner's id and names in both languages, the
    street/town's name, the category's names, ``age_days`` (whole days) and ``open`` (not resolved)."""
    return tracked(queries_mustreport.key_cases(db, f, at), catalogue.read(db), queries.unit_names(db), at)


def tracked(rows: pd.DataFrame, cat: catalogue.Catalogue, units: dict[str, dict[str, str]], at: datetime):
    """``queries_mustreport.key_cases`` rows as ``key_cases`` returns them (the catalogue and the unit names
    name the owners and categories)."""
    towns = units.get("town", {})
    status = rows["key_status"].where(rows["key_status"].isin(STATUSES[:3]), "unassessed")
    owner = rows["key_owner"].where(rows["key_owner"].notna() & (rows["key_owner"] != ""), rows["department_id"])

    def owner_name(code, lang: str) -> str:
        if code is None or (isinstance(code, float) and code != code):
            return "—"
        if code in cat.department:
            return cat.name("department", code, lang)
        return towns.get(code, str(code))

    settled = status == "resolved"
    end = pd.Series(pd.Timestamp(at), index=rows.index)
    end = end.where(~settled | rows["closed_at"].isna(), pd.to_datetime(rows["closed_at"]))
    age = ((end - pd.to_datetime(rows["reported_at"])) / pd.Timedelta(days=1)).to_numpy(float)
    out = pd.DataFrame(
        {
            "case_id": rows["case_id"],
            "key_status": status,
            "owner_id": owner,
            "owner_zh": [owner_name(o, "zh") for o in owner],
            "owner_en": [owner_name(o, "en") for o in owner],
            "town_id": rows["town_id"],
            "town": [towns.get(x, "—") if isinstance(x, str) else "—" for x in rows["town_id"]],
            "category": rows["category"],
            "category_zh": [cat.name("category", c, "zh") for c in rows["category"]],
            "category_en": [cat.name("category", c, "en") for c in rows["category"]],
            "reported_at": rows["reported_at"],
            "closed_at": rows["closed_at"],
            "age_days": np.floor(np.maximum(age, 0)).astype(int) if len(rows) else np.array([], int),
            "open": ~settled,
            "description": rows["description"],
        }
    )
    return out.reset_index(drop=True)


def counts(cases: pd.DataFrame) -> dict[str, int]:
    """Key cases per status (every status of ``STATUSES``, zero where none) and ``total``."""
    got = cases["key_status"].value_counts()
    return {s: int(got.get(s, 0)) for s in STATUSES} | {"total": len(cases)}


def caption(n: dict[str, int], lang: str = "zh") -> str:
    """ "共 37 件 · 历时最长的未化解事项", naming the cases not yet assessed when there are any."""
    parts = [t("kc_total", lang).format(n=n["total"])]
    if n.get("unassessed"):
        parts.append(f"{t('kc_unassessed', lang)} {n['unassessed']}")
    return " · ".join([*parts, t("kc_oldest_open", lang)])


def status_line(n: dict[str, int], lang: str = "zh") -> str:
    """ "已化解 14 · 有明确路径 20 · 需专项推进 3 · 共 37 件" (待研判 only when there are any)."""
    parts = [f"{t(f'kc_{s}', lang)} {n[s]}" for s in STATUSES if s != "unassessed" or n.get(s)]
    return " · ".join([*parts, t("kc_total", lang).format(n=n["total"])])


def listing(cases: pd.DataFrame) -> pd.DataFrame:
    """Every key case, the most pressing first: 需专项推进, 有明确路径, 待研判, then 已化解; oldest first within."""
    rank = cases["key_status"].map({s: i for i, s in enumerate((*OPEN, "resolved"))})
    order = cases.assign(_rank=rank).sort_values(["_rank", "age_days", "case_id"], ascending=[True, False, True])
    return order.drop(columns="_rank")


def oldest_open(cases: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` oldest key cases not yet resolved, oldest first."""
    return cases[cases["open"]].sort_values(["age_days", "case_id"], ascending=[False, True]).head(n)


def table(cases: pd.DataFrame, lang: str = "zh", *, compact: bool = False) -> pd.DataFrame:
    """Key cases for display in ``lang``: case, status, owner, street/town, category (not when ``compact``),
    age in days."""
    out = pd.DataFrame(
        {
            t("case_id", lang): cases["case_id"],
            t("kc_status", lang): [t(f"kc_{s}", lang) for s in cases["key_status"]],
            t("kc_owner", lang): cases[pick("owner_zh", "owner_en", lang)],
            t("town", lang): cases["town"],
            t("category", lang): cases[pick("category_zh", "category_en", lang)],
            t("kc_age_days", lang): cases["age_days"].astype(int),
        }
    )
    return out.drop(columns=[t("category", lang)]) if compact else out
