"""What an import did: the report, its per-row errors and warnings, and the quarantined rows as they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govdash.ingest._readers import Table

MAX_TEXT = 32_768  # characters allowed in one text field
VALUE_CHARS = 200  # characters of a value shown in a report
REPORT_COLUMNS = ["file", "row", "field", "value", "reason", "rule"]
Progress = Callable[[float, str], None]
Issue = tuple[str, str, object, np.ndarray]  # (field, rule, reason: str or per-row Series, row mask)


@dataclass
class ImportReport:
    """What an import did (or, dry run / rejected, would do). Counts are source rows."""

    file: str
    sha256: str
    mapping: str
    on_error: str
    status: str = "rejected"  # loaded | rejected | dry_run
    import_id: str | None = None
    rows: int = 0  # rows read, malformed ones included
    failed: int = 0  # rows with at least one error
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0  # failed rows kept in the quarantine table (on_error='quarantine')
    outside_units: int = 0  # loaded rows inside the district but in no unit polygon (NULL unit ids)
    located_by_area: int = 0  # rows without a point located by the unit a column names ([area])
    catalogue_added: dict[str, list[str]] = field(default_factory=dict)  # kind -> new entries ([catalogue] add)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))
    quarantine_csv: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every row was valid."""
        return self.failed == 0

    def summary(self) -> str:
        """One line for people."""
        head = {"loaded": f"import {self.import_id}", "dry_run": "dry run", "rejected": "rejected"}[self.status]
        return (
            f"{head}: {self.file}: {self.rows} rows, {self.failed} with errors; inserted {self.inserted}, "
            f"updated {self.updated}, unchanged {self.unchanged}, quarantined {self.quarantined}, "
            f"outside every grid {self.outside_units}; {len(self.warnings)} warnings ({self.seconds:.1f} s)"
        )


def any_failed(issues: list[Issue], n: int) -> np.ndarray:
    """Rows failing at least one rule."""
    bad = np.zeros(n, bool)
    for *_, mask in issues:
        bad |= mask
    return bad


def issue_frame(
    issues: list[Issue], src: dict, rows: np.ndarray, file: str, label: Callable[[str], str]
) -> pd.DataFrame:
    """One report row per failing (row, rule): file, row, field (``label`` of the field), value as read, reason, rule.

    ``src`` holds the source text behind each field (a frame of two columns shows as "a, b").
    """
    parts = []
    for fld, rule, reason, mask in issues:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        value = src.get(fld)
        if value is None:
            shown = np.full(idx.size, None, dtype=object)
        else:
            sub = value.iloc[idx].astype("str")
            if isinstance(sub, pd.DataFrame):  # lon and lat columns
                sub = sub.iloc[:, 0].fillna("") + ", " + sub.iloc[:, 1].fillna("")
            shown = sub.str.slice(0, VALUE_CHARS).to_numpy(dtype=object)
        why = reason.iloc[idx].to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
        parts.append(
            pd.DataFrame(
                {"file": file, "row": rows[idx], "field": label(fld), "value": shown, "reason": why, "rule": rule}
            )
        )
    if not parts:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["row", "field"], kind="stable", ignore_index=True)


def fill(
    rep: ImportReport,
    table: Table,
    errs: list[Issue],
    warns: list[Issue],
    src: dict,
    label: Callable[[str], str],
    *,
    warn_failed: bool = True,
) -> np.ndarray:
    """Put the errors (malformed rows first), warnings and failed count in ``rep``; the failed rows' mask.

    ``warn_failed=False`` leaves out the warnings of rows that failed anyway.
    """
    bad = any_failed(errs, len(table.frame))
    rep.errors = issue_frame(errs, src, table.rows, rep.file, label)
    if len(table.malformed):
        mal = table.malformed.assign(file=rep.file, field="", rule="row_malformed")[REPORT_COLUMNS]
        rep.errors = pd.concat([mal, rep.errors], ignore_index=True)
    rep.failed = int(bad.sum()) + len(table.malformed)
    if not warn_failed:
        warns = [(f, r, why, m & ~bad) for f, r, why, m in warns]
    rep.warnings = issue_frame(warns, src, table.rows, rep.file, label)
    return bad


def _reasons(errors: pd.DataFrame) -> pd.Series:
    return (
        (errors["field"].astype(str).where(errors["field"] != "", "row") + ": " + errors["reason"].astype(str))
        .groupby(errors["row"].to_numpy())
        .agg("; ".join)
    )


def quarantine_rows(
    table: Table, bad: np.ndarray, errors: pd.DataFrame, import_id: str, file_name: str
) -> pd.DataFrame:
    """One quarantine row per failed source row: its reasons and the row itself as JSON."""
    why = _reasons(errors)
    frame = table.frame.loc[bad]
    records = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    recs = records.splitlines() if len(frame) else []
    mal = table.malformed
    out = pd.DataFrame(
        {
            "source_row": np.r_[table.rows[bad], mal["row"].to_numpy(dtype=np.int64)],
            "record": recs + [pd.Series({"text": v}).to_json(force_ascii=False) for v in mal["value"]],
        }
    )
    out["reasons"] = out["source_row"].map(why).fillna("")
    out["import_id"], out["file_name"] = import_id, file_name
    return out


def quarantine_csv(table: Table, bad: np.ndarray, errors: pd.DataFrame) -> pd.DataFrame:
    """The failed source rows as they were, with `_row` and `_reasons` in front (fix and re-import)."""
    why = _reasons(errors)
    frame = table.frame.loc[bad].copy()
    frame.insert(0, "_row", table.rows[bad])
    mal = table.malformed.rename(columns={"row": "_row", "value": "_text"})[["_row", "_text"]]
    out = pd.concat([frame, mal], ignore_index=True) if len(mal) else frame
    out.insert(1, "_reasons", out["_row"].map(why).fillna(""))
    return out


def report_frame(rep: ImportReport) -> pd.DataFrame:
    """Errors then warnings of a report in one table with an ``outcome`` column (error | warning)."""
    parts = [df.assign(outcome=kind) for kind, df in (("error", rep.errors), ("warning", rep.warnings)) if len(df)]
    if not parts:
        return pd.DataFrame(columns=["outcome", *REPORT_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["outcome", *REPORT_COLUMNS]]


def outcome_counts(rep: ImportReport) -> dict[str, int]:
    """Source rows by outcome: read, inserted, updated, unchanged, failed, quarantined; and the warnings."""
    return {
        "rows_read": rep.rows,
        "inserted": rep.inserted,
        "updated": rep.updated,
        "unchanged": rep.unchanged,
        "failed": rep.failed,
        "quarantined": rep.quarantined,
        "warnings": len(rep.warnings),
    }
