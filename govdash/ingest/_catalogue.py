"""Catalogue values a case file brings: unknown ones are row errors, or new entries when the mapping says so.

A mapping's ``[catalogue]`` section says per kind (category, channel, department) what an unknown value
is: ``"error"`` (the default: a row error, rule ``<kind>_unknown``; as before, a kind whose catalogue is
empty has nothing to check against) or ``"add"`` (a new entry, its value as both labels until renamed).
The entries an import added are recorded in ``catalogue_additions`` and removed again by its undo
(those no remaining case uses).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govdash.ingest._report import Issue

KINDS = ("category", "channel", "department")
MODES = ("error", "add")
FIELD = {"category": "category", "channel": "channel", "department": "department_id"}  # case column per kind
# kind -> (table, code column); the table has name_zh, name_en
TABLES = {"category": ("category_names", "category"), "channel": ("channels", "channel"),
          "department": ("departments", "department_id")}  # fmt: skip


def known(ctx: dict) -> dict[str, set[str]]:
    """Per kind, the values a case may carry (lower-cased for departments, matched by id or either name)."""
    cats = set(ctx["categories"]["category"].dropna()) | set(ctx["category_names"]["category"].dropna())
    deps = ctx["departments"]
    dep = {str(v).lower() for c in ("department_id", "name_zh", "name_en") for v in deps[c].dropna()}
    return {"category": cats, "channel": set(ctx["channels"]["channel"].dropna()), "department": dep}


def _unknown(cases: pd.DataFrame, kind: str, values: set[str]) -> np.ndarray:
    col = FIELD[kind]
    if col not in cases or not values:  # nothing mapped, or an empty catalogue: nothing to check against
        return np.zeros(len(cases), bool)
    v = cases[col]
    probe = v.str.lower() if kind == "department" else v
    return (v.notna() & ~probe.isin(list(values))).to_numpy(bool)


def issues(cases: pd.DataFrame, ctx: dict, modes: dict[str, str]) -> list[Issue]:
    """Row errors for unknown channels and departments whose mapping mode is 'error' (categories: check_rows)."""
    have = known(ctx)
    return [
        (FIELD[k], f"{k}_unknown", f"{k} not in the catalogue", _unknown(cases, k, have[k]))
        for k in ("channel", "department")
        if modes.get(k, "error") == "error"
    ]


def additions(cases: pd.DataFrame, keep: np.ndarray, ctx: dict, modes: dict[str, str]) -> dict[str, list[str]]:
    """Per kind in 'add' mode, the distinct values of the loaded rows its catalogue lacks (sorted)."""
    have = known(ctx)
    out = {}
    for k in KINDS:
        col = FIELD[k]
        if modes.get(k) != "add" or col not in cases:
            continue
        v = cases.loc[keep, col].dropna().astype(str).str.strip()
        v = v[v != ""]
        new = sorted({x for x in v.unique() if (x.lower() if k == "department" else x) not in have[k]})
        if new:
            out[k] = new
    return out


def write(con, import_id: str, added: dict[str, list[str]]) -> None:
    """Add the new entries (the value as both labels) and record them for undo, on the import's transaction."""
    for kind, codes in added.items():
        table, key = TABLES[kind]
        frame = pd.DataFrame({"code": codes})
        con.register("catalogue_new", frame)
        try:
            con.execute(
                f"INSERT INTO {table} ({key}, name_zh, name_en) SELECT code, code, code FROM catalogue_new "
                f"WHERE code NOT IN (SELECT {key} FROM {table})"
            )
            con.execute(
                "INSERT INTO catalogue_additions (import_id, kind, code) SELECT $id, $kind, code FROM catalogue_new",
                {"id": import_id, "kind": kind},
            )
        finally:
            con.unregister("catalogue_new")


def undo(con, import_id: str) -> int:
    """Remove the entries ``import_id`` added that no remaining case uses; how many were removed."""
    removed = 0
    for kind, (table, key) in TABLES.items():
        removed += con.execute(
            f"DELETE FROM {table} WHERE {key} IN (SELECT code FROM catalogue_additions "
            f"WHERE import_id = $id AND kind = $kind) "
            f"AND {key} NOT IN (SELECT {FIELD[kind]} FROM cases WHERE {FIELD[kind]} IS NOT NULL)",
            {"id": import_id, "kind": kind},
        ).fetchone()[0]
    return int(removed)


def note(added: dict[str, list[str]]) -> str:
    """The import report's line listing the new entries."""
    return "new catalogue entries (labelled by their value until renamed): " + "; ".join(
        f"{k}: {', '.join(v)}" for k, v in added.items()
    )
