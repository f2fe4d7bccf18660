"""Import (admins): upload a case file, check it, load it beside the running app; recent imports."""

import streamlit as st

from govdash import ingest, ui
from govdash.i18n import t

ui.require("import")
lang = ui.lang()
db = ui.database()
s = ui.conf()
ui.header("page_import", db)

upload = st.file_uploader(t("import_file", lang), type=["csv", "txt", "tsv", "xlsx", "parquet", "json", "jsonl",
                                                       "xml"], max_upload_size=s.max_upload_mb, key="import_upload")
on_error = st.radio(t("on_error_reject", lang), ["reject", "quarantine"], horizontal=True, key="import_on_error",
                    label_visibility="collapsed", format_func=lambda v: t(f"on_error_{v}", lang))
c1, c2, _ = st.columns([1, 1, 4])
check = c1.button(t("check_only", lang), disabled=upload is None, key="import_check")
load = c2.button(t("do_import", lang), disabled=upload is None, type="primary", key="import_go")

if upload is not None and (check or load):
    if upload.size > s.max_upload_mb * 2**20:  # refused on its size alone, before a byte is parsed
        st.error(t("too_large", lang).format(size=upload.size / 2**20, limit=s.max_upload_mb))
        st.stop()
    user = ui.principal().user
    try:
        with st.spinner(upload.name):
            rep = ingest.import_live(s.db, upload, name=upload.name, on_error=on_error, dry_run=check, user=user)
    except ingest.ValidationError as exc:
        st.error(t("import_refused", lang) + str(exc))
        st.stop()
    if not check:
        ui.audit("import", rep.summary())
    (st.success if rep.status in ("loaded", "dry_run") else st.error)(rep.summary())
    for note in rep.notes:
        st.caption(note)
    for key, frame in (("import_errors", rep.errors), ("import_warnings", rep.warnings)):
        if len(frame):
            st.subheader(f"{t(key, lang)} · {len(frame):,}")
            st.dataframe(ui.masked(frame), hide_index=True, width="stretch", height=260)

st.subheader(t("recent_imports", lang))
st.dataframe(ingest.list_imports(s.db, 20), hide_index=True, width="stretch")
