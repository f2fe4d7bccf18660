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


EXPORTS = (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def export_cases_buttons(db: Database, f: filters.Filters, total: int, lang: str) -> None:
    """CSV and Excel files of every filtered case (native layout, re-importable), for roles that may export:
    a button writes the file with a progress bar (rows written of all), then a download button hands it over;
    masked as the role requires, formula-safe, audited when downloaded. A file made for other filters is
    not offered."""
    from govdash import export

    p = principal()
    if p is None or not p.can("export") or total == 0:
        return

    name = f"cases_{f.start}_{f.end}"
    what = f"cases: {name}, {total} rows"
    for column, (fmt, mime) in zip(st.columns(2), EXPORTS, strict=True):
        made = st.session_state.get(f"export_file_{fmt}")
        if made is not None and made[0] == (f, total, p.user):
            column.download_button(
                t("export_download", lang).format(file=f"{name}.{fmt}"),
                made[1],
                file_name=f"{name}.{fmt}",
                mime=mime,
                key=f"export_all_{fmt}",
                on_click=_audit_export,
                args=(p.user, f"{what} ({fmt})"),
                type="primary",
            )
            continue
        too_many = fmt == "xlsx" and total > export.XLSX_MAX_ROWS
        if column.button(
            t(f"export_all_{fmt}", lang).format(n=total),
            key=f"export_make_{fmt}",
            disabled=too_many,
            help=t("xlsx_too_many", lang) if too_many else None,
        ):
            bar = column.progress(0.0, text=t("export_progress", lang).format(done=0, n=total))
            data = export.filtered_cases(
                db,
                f,
                p,
                fmt,
                progress=lambda done, bar=bar: bar.progress(
                    min(done / total, 1.0), text=t("export_progress", lang).format(done=done, n=total)
                ),
            )
            st.session_state[f"export_file_{fmt}"] = ((f, total, p.user), data)
            st.rerun()


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
