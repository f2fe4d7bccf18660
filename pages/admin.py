"""Admin: import cases, stations or boundaries from an upload with the validation report; list, undo, quarantine."""

from pathlib import Path

import streamlit as st

from govdash import export, ingest, queries, queries_supervision, supervision, ui, ui_export
from govdash.i18n import t
from govdash.ingest import ValidationError
from govdash.schema import UNIT_LEVELS

CRS_CHOICES = ("file", "wgs84", "gcj02", "bd09", "epsg")
ENCODINGS = ("auto", "utf-8", "gb18030", "utf-16")
PAST_COLUMNS = [
    "import_id",
    "kind",
    "status",
    "file_name",
    "rows_read",
    "inserted",
    "updated",
    "unchanged",
    "quarantined",
    "warnings",
    "started_at",
    "user_name",
    "undone_at",
]
SHOWN = 1000  # report rows on screen; the download has them all

ui.require("import")  # admins only, even when run without the navigation
lang = ui.lang()
db = ui.database()
ui.header("page_admin", db)
crs, off = ui.crs_check()
st.caption(t("adm_metric_crs", lang).format(crs=crs))
if ui.crs_distorts(off):
    st.warning(t("adm_crs_distorts", lang).format(crs=crs, pct=off * 100))
path = ui.conf().db
who = ui.principal() if hasattr(ui, "principal") else None
user = who.user if who is not None and who.user != "-" else None

kind = st.radio(
    t("adm_import_kind", lang),
    ingest.KINDS,
    format_func=lambda k: t(f"adm_kind_{k}", lang),
    horizontal=True,
    key="adm_kind",
)
upload = st.file_uploader(
    t("adm_import_file", lang),
    type=list(ingest.UPLOAD_TYPES),
    help=t("adm_import_file_help", lang),
    key="adm_file",
    max_upload_size=ui.conf().max_upload_mb,
)
c1, c2, c3 = st.columns(3)
named = {"auto": t("adm_mapping_auto", lang), "upload": t("adm_mapping_upload", lang)}
mapping_choice = (
    c1.selectbox(
        t("adm_mapping", lang),
        ["auto", *ingest.builtin(kind), "upload"],
        format_func=lambda m: named.get(m, m),
        key=f"adm_mapping_{kind}",
    )
    if ingest.takes_mapping(kind)
    else "auto"
)  # a population file and the record kinds (services, meetings, estates, companies) have no mapping
toml = (
    c1.file_uploader(t("adm_mapping_file", lang), type=["toml"], key="adm_toml") if mapping_choice == "upload" else None
)
crs_choice = c2.selectbox(
    t("adm_crs", lang),
    CRS_CHOICES,
    key="adm_crs",
    format_func=lambda c: {"file": t("adm_crs_file", lang), "epsg": t("adm_crs_epsg", lang)}.get(
        c, t(f"crs_{c}", lang)
    ),
)
epsg = c2.text_input(t("adm_crs_epsg", lang), "EPSG:32651", key="adm_epsg") if crs_choice == "epsg" else None
encoding = c3.selectbox(
    t("adm_encoding", lang),
    ENCODINGS,
    key="adm_encoding",
    format_func=lambda e: t("adm_encoding_auto", lang) if e == "auto" else e,
)
level = (
    c3.selectbox(
        t("adm_unit_level", lang),
        ("file", *UNIT_LEVELS),
        key="adm_level",
        format_func=lambda v: t("adm_level_from_file", lang) if v == "file" else t(v, lang),
    )
    if kind == "units"
    else "file"
)
on_error = st.radio(
    t("adm_on_error", lang),
    ("reject", "quarantine"),
    horizontal=True,
    key="adm_on_error",
    format_func=lambda o: t(f"adm_on_error_{o}", lang),
)
dry_run = st.checkbox(t("adm_dry_run", lang), key="adm_dry_run")

if st.button(t("adm_run_import", lang), type="primary", key="adm_run"):
    if upload is None or (mapping_choice == "upload" and toml is None):
        st.warning(t("adm_need_file", lang))
    elif upload.size > ui.conf().max_upload_mb * 2**20:  # refused on its size alone, before it is parsed
        st.error(t("too_large", lang).format(size=upload.size / 2**20, limit=ui.conf().max_upload_mb))
    else:
        bar = st.progress(0.0)
        options = dict(
            crs=epsg if crs_choice == "epsg" else None if crs_choice == "file" else crs_choice,
            encoding=None if encoding == "auto" else encoding,
            on_error=on_error,
            dry_run=dry_run,
            user=user,
            name=upload.name,
            level=None if level == "file" else level,
            progress=lambda frac, text: bar.progress(min(max(frac, 0.0), 1.0), text=text),
        )
        try:
            mapping = (
                ingest.mapping_from_text(kind, toml.getvalue(), toml.name)
                if toml is not None
                else None
                if mapping_choice == "auto"
                else mapping_choice
            )
            st.session_state["adm_report"] = ingest.run(
                kind, path, upload.getvalue(), isolated=True, mapping=mapping, **options
            )
        except ValidationError as exc:
            st.session_state["adm_report"] = None
            st.error(t("adm_import_failed", lang) + ui.md_text(exc))
        else:
            if st.session_state["adm_report"].status == "loaded":
                ui_export.audit("import", st.session_state["adm_report"].summary())
                st.cache_data.clear()  # every page sees the new data at once (their keys change too)

rep = st.session_state.get("adm_report")
if rep is not None:
    if rep.status == "loaded":
        st.success(t("adm_import_loaded", lang).format(id=ui.md_text(rep.import_id)))
    elif rep.status == "dry_run":
        st.info(t("adm_import_dry_run", lang))
    else:
        st.error(t("adm_import_rejected", lang).format(n=rep.failed))
    st.caption(ui.md_text(rep.summary()))
    for col, (key, value) in zip(st.columns(7), ingest.outcome_counts(rep).items(), strict=True):
        col.metric(t(f"adm_{key}", lang), f"{value:,}")
    for note in rep.notes:
        st.caption(ui.md_text(note))
    for key, df in (("adm_errors", rep.errors), ("adm_warnings", rep.warnings)):
        if len(df):
            st.subheader(f"{t(key, lang)} ({len(df):,})")
            ui.table(df.head(SHOWN), hide_index=True, width="stretch")
    d1, d2 = st.columns(2)
    report = ingest.report_frame(rep)
    if len(report):
        d1.download_button(
            t("adm_download_report", lang),
            export.to_csv_bytes(report),
            mime="text/csv",
            file_name=f"report_{Path(rep.file).stem}.csv",
            key="adm_dl_report",
        )
    if rep.quarantine_csv and Path(rep.quarantine_csv).is_file():
        d2.download_button(
            t("adm_download_quarantine", lang),
            Path(rep.quarantine_csv).read_bytes(),
            file_name=Path(rep.quarantine_csv).name,
            mime="text/csv",
            key="adm_dl_quarantine",
        )

st.subheader(t("adm_past_imports", lang))
if "adm_undone" in st.session_state:
    st.success(ui.md_text(st.session_state.pop("adm_undone")))
past = ingest.listing(db)
if past.empty:
    st.info(t("adm_no_imports", lang))
else:
    ui.table(past[[c for c in PAST_COLUMNS if c in past.columns]], hide_index=True, width="stretch")
    u1, u2 = st.columns(2)
    loaded = past.loc[past["status"] == "loaded", "import_id"].tolist()
    if loaded:
        pick = u1.selectbox(t("adm_undo_pick", lang), loaded, key="adm_undo_pick")
        if u1.button(t("adm_undo_import", lang), key="adm_undo"):
            try:
                done = ingest.undo(path, pick, user=user)
            except ValidationError as exc:
                u1.error(ui.md_text(exc))
            else:
                st.session_state["adm_undone"] = t("adm_undo_done", lang).format(id=pick, **done)
                ui_export.audit("import", f"undo {pick}: {done}")
                st.cache_data.clear()
                st.rerun()
    held = past.loc[past["quarantined"].fillna(0) > 0, "import_id"].tolist()
    if held:
        q = u2.selectbox(t("adm_quarantine_pick", lang), held, key="adm_quarantine_pick")
        u2.download_button(
            t("adm_download_quarantine", lang),
            export.to_csv_bytes(ingest.quarantine_frame(db, q)),
            file_name=f"{q}.csv",
            mime="text/csv",
            key="adm_dl_held",
        )

# --- 挂牌督办: a decision taken after inspection, recorded here (who, when, which unit, why) ---
st.subheader(t("sup_add", lang))
st.caption(t("sup_intro", lang))
sup_level = st.radio(
    t("sup_level", lang),
    supervision.LEVELS,
    horizontal=True,
    key="sup_level",
    format_func=lambda v: t("town" if v == "town" else "department", lang),
)
sup_units = ui.cached(queries.towns, scope=ui.scope()) if sup_level == "town" else ui.cached(queries.departments)
sup_ids = sup_units["unit_id" if sup_level == "town" else "department_id"].tolist()
sup_names = dict(zip(sup_ids, sup_units["name_zh"], strict=True))
sup_now = supervision.now(db, ui.cached(queries.as_of))
with st.form("sup_form", clear_on_submit=True):
    s1, s2, s3 = st.columns(3)
    sup_unit = s1.selectbox(t("sup_unit", lang), sup_ids, format_func=lambda u: sup_names.get(u, u), key="sup_unit")
    sup_on = s2.date_input(t("sup_decided_on", lang), value=sup_now.date(), max_value=sup_now.date(), key="sup_on")
    sup_by = s3.text_input(t("sup_decided_by", lang), max_chars=supervision.MAX_TEXT, key="sup_by")
    sup_why = st.text_area(t("sup_reason", lang), max_chars=supervision.MAX_TEXT, key="sup_why")
    if st.form_submit_button(t("sup_add", lang), type="primary", key="sup_submit"):
        decision = supervision.Decision(sup_level, sup_unit or "", sup_on, sup_by, sup_why)
        try:
            n = supervision.add(path, decision, at=sup_now, recorded_by=user)
        except supervision.SupervisionError as exc:
            st.error(t("sup_failed", lang).format(e=t(supervision.FIELD_LABELS.get(exc.field, "sup_reason"), lang)))
        else:
            ui_export.audit("supervise", f"decision {n}: {sup_level} {sup_unit} {sup_on}")
            st.cache_data.clear()
            st.success(t("sup_saved", lang).format(n=n))
sup_list = ui.cached(queries_supervision.decisions)
if sup_list.empty:
    st.caption(t("sup_none", lang))
else:
    ui.table(supervision.display_table(sup_list, lang), hide_index=True, width="stretch", key="sup_list")
