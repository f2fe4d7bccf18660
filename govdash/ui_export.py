"""The Streamlit export edge: download buttons that mask personal data, stream whole and write the audit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from govdash import access, filters
from govdash.db import Database
from govdash.i18n import t
from govdash.ui import accounts_file, conf, principal


def _audit_export(user: str, detail: str) -> None:
    if conf().auth != "none":  # without sign-in there is nobody to name (and the demo writes no files)
        from govdash import accounts

        accounts.audit(accounts_file(), user, "export", detail)


def export_button(label: str, df: pd.DataFrame, file_name: str, *, what: str, key: str | None = None) -> None:
    """A CSV download of ``df`` for roles that may export: masked as the role requires, formula-safe, audited."""
    from govdash import export

    p = principal()
    if p is None or not p.can("export"):
        return
    st.download_button(
        label,
        export.to_csv_bytes(access.mask_frame(df, p)),
        file_name=file_name,
        mime="text/csv",
        key=key,
        on_click=_audit_export,
        args=(p.user, f"{what}: {file_name}, {len(df)} rows"),
    )


def export_cases_buttons(db: Database, f: filters.Filters, total: int, lang: str) -> None:
    """CSV and Excel downloads of every filtered case (native layout, re-importable), for roles that may
    export; built only when clicked (a callable ``data``), masked as the role requires, formula-safe, audited."""
    from govdash import export

    p = principal()
    if p is None or not p.can("export") or total == 0:
        return

    name = f"cases_{f.start}_{f.end}"
    what = f"cases: {name}, {total} rows"
    a, b = st.columns(2)
    a.download_button(
        t("export_all_csv", lang).format(n=total),
        lambda: export.filtered_cases(db, f, p, "csv"),
        file_name=f"{name}.csv",
        mime="text/csv",
        key="export_all_csv",
        on_click=_audit_export,
        args=(p.user, what + " (csv)"),
    )
    b.download_button(
        t("export_all_xlsx", lang).format(n=total),
        lambda: export.filtered_cases(db, f, p, "xlsx"),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="export_all_xlsx",
        disabled=total > export.XLSX_MAX_ROWS,
        help=t("xlsx_too_many", lang) if total > export.XLSX_MAX_ROWS else None,
        on_click=_audit_export,
        args=(p.user, what + " (xlsx)"),
    )


def audit(action: str, detail: str) -> None:
    """Record an import or another event under the signed-in user (nothing without sign-in)."""
    p = principal()
    if conf().auth != "none" and p is not None:
        from govdash import accounts

        accounts.audit(accounts_file(), p.user, action, detail)


def audited(build, what: str):
    """Wrap a download's lazy ``data`` callable so that building the file records the export."""
    user = (principal() or access.PUBLIC_WALL).user

    def run():
        _audit_export(user, what)
        return build()

    return run
