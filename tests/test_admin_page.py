"""The admin page (pages/admin.py) through AppTest on a copy of the demo database, and govdash.ingest."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest
import shapely
from conftest import app_test

from govdash import ingest
from govdash.i18n import t
from govdash.ingest import ImportReport, Mapping, MappingError
from govdash.ui import md_text

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

PAGE = "pages/admin.py"


@pytest.fixture
def live(demo_db, tmp_path, monkeypatch) -> str:
    """A private copy of the demo database as the app's database (imports must not touch the shared one)."""
    path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("GOVDASH_DB", str(path))
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    return str(path)


def _sample(path: str) -> dict:
    """A point inside a demo grid, a known category and the newest report time (inside the default period)."""
    con = duckdb.connect(path, read_only=True)
    try:
        wkb = con.execute("SELECT geom FROM units WHERE level = 'grid' ORDER BY unit_id LIMIT 1").fetchone()[0]
        category = con.execute("SELECT min(category) FROM categories").fetchone()[0]
        newest = con.execute("SELECT max(reported_at) FROM cases").fetchone()[0]
    finally:
        con.close()
    p = shapely.point_on_surface(shapely.from_wkb(bytes(wkb)))
    return {
        "lon": round(p.x, 6),
        "lat": round(p.y, 6),
        "category": category,
        "reported_at": pd.Timestamp(newest).floor("min").isoformat(sep=" "),
    }


def _csv(path: str, bad: bool = False) -> bytes:
    s = _sample(path)
    rows = [
        ("ADM1", s["reported_at"], "registered", s["category"], s["lon"], s["lat"], "路灯不亮"),
        ("ADM2", s["reported_at"], "registered", s["category"], s["lon"], s["lat"], "=cmd|' /C calc'!A0"),
    ]
    if bad:
        rows.append(("ADM3", "not a time", "registered", s["category"], s["lon"], s["lat"], "x"))
    df = pd.DataFrame(rows, columns=["case_id", "reported_at", "status", "category", "lon", "lat", "description"])
    return df.to_csv(index=False).encode("utf-8")


def _open():
    at = app_test()
    at.run()
    _ok(at)
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _upload(at, name: str, data: bytes, **choices):
    at.file_uploader(key="adm_file").set_value((name, data, "text/csv"))
    for key, value in choices.items():
        getattr(at, "radio" if key in ("adm_kind", "adm_on_error") else "selectbox")(key=key).set_value(value)
    at.run()
    at.button(key="adm_run").click().run()
    _ok(at)
    return at


def _count(path: str, sql: str = "SELECT count(*) FROM cases WHERE case_id LIKE 'ADM%'") -> int:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_page_renders_with_every_option(live):
    at = _open()
    assert at.title[0].value == t("page_admin", "zh")
    assert at.file_uploader(key="adm_file").allowed_type
    assert t("synthetic", "zh") in [i.value for i in at.info]
    for kind in ingest.KINDS:
        at.radio(key="adm_kind").set_value(kind).run()
        _ok(at)
    at.radio(key="adm_kind").set_value("units").run()
    assert at.selectbox(key="adm_level")  # units only
    at.selectbox(key="adm_crs").set_value("epsg").run()
    assert at.text_input(key="adm_epsg").value == "EPSG:32651"
    at.button(key="adm_run").click().run()  # nothing uploaded
    assert [w.value for w in at.warning] == [t("adm_need_file", "zh")]


def test_upload_import_report_listing_undo_and_fresh_data(live):
    at = _open()
    at.switch_page("pages/cases.py").run()
    at.session_state["w_preset"] = "all"  # the default, the last complete month, would not see today's cases
    at.run()
    before = at.metric[0].value
    at.switch_page(PAGE).run()
    _upload(at, "cases.csv", _csv(live))
    assert _count(live) == 2
    import_id = ingest.listing(live).loc[0, "import_id"]
    assert [s.value for s in at.success] == [t("adm_import_loaded", "zh").format(id=md_text(import_id))]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics[t("adm_rows_read", "zh")], metrics[t("adm_inserted", "zh")]) == ("2", "2")
    past = at.dataframe[-1].value
    assert past.loc[0, "import_id"] == import_id and past.loc[0, "status"] == "loaded"
    # the other pages see the new cases at once
    at.switch_page("pages/cases.py").run()
    _ok(at)
    assert int(at.metric[0].value.replace(",", "")) == int(before.replace(",", "")) + 2
    # undo
    at.switch_page(PAGE).run()
    assert at.selectbox(key="adm_undo_pick").value == import_id
    at.button(key="adm_undo").click().run()
    _ok(at)
    done = md_text(t("adm_undo_done", "zh").format(id=import_id, removed=2, restored=0))  # shown as typed
    assert done in [s.value for s in at.success]
    assert _count(live) == 0
    assert at.dataframe[-1].value.loc[0, "status"] == "undone"


def test_rejected_upload_shows_the_report_and_loads_nothing(live):
    at = _open()
    _upload(at, "bad.csv", _csv(live, bad=True))
    assert [e.value for e in at.error] == [t("adm_import_rejected", "zh").format(n=1)]
    errors = at.dataframe[0].value
    assert errors[["file", "row", "field", "rule"]].values.tolist() == [
        ["bad.csv", 4, "reported_at", "time_unparsable"]
    ]
    assert at.get("download_button")  # the full report
    assert _count(live) == 0


def test_quarantine_upload_offers_the_held_rows(live):
    at = _open()
    _upload(at, "bad.csv", _csv(live, bad=True), adm_on_error="quarantine")
    assert _count(live) == 2
    import_id = ingest.listing(live).loc[0, "import_id"]
    assert at.selectbox(key="adm_quarantine_pick").value == import_id
    held = ingest.quarantine_frame(live, import_id)
    assert held[["_row", "case_id"]].values.tolist() == [[4, "ADM3"]]
    assert "time not readable" in held.loc[0, "_reasons"]


def test_unreadable_upload_is_a_plain_error(live):
    at = _open()
    _upload(at, "x.csv", b"\x00\x01\x02" * 100)
    assert at.error and t("adm_import_failed", "zh") in at.error[0].value and "binary" in at.error[0].value


def test_the_upload_is_imported_in_a_child_process(live, monkeypatch):
    from govdash.ingest import _child

    calls, real = [], _child.run

    def spy(*args, **kwargs):
        calls.append(kwargs["name"])
        return real(*args, **kwargs)

    monkeypatch.setattr(_child, "run", spy)
    at = _open()
    _upload(at, "cases.csv", _csv(live))
    assert calls == ["cases.csv"] and _count(live) == 2 and at.success


def test_an_upload_that_exhausts_the_import_memory_leaves_the_app_serving(live, monkeypatch):
    """As a decompression bomb would: the child dies at its cap, the page says so in one line and keeps working."""
    monkeypatch.setenv("GOVDASH_IMPORT_MEMORY_MB", "80")  # too little even to load pandas
    at = _open()
    _upload(at, "bomb.csv", _csv(live))
    assert len(at.error) == 1 and md_text("bomb.csv: the import") in at.error[0].value, [e.value for e in at.error]
    assert _count(live) == 0
    at.switch_page("pages/cases.py").run()
    _ok(at)


def test_stations_upload_with_a_uploaded_mapping(live):
    s = _sample(live)
    at = _open()
    at.radio(key="adm_kind").set_value("stations").run()
    at.selectbox(key="adm_mapping_stations").set_value("upload").run()
    toml = b'kind = "stations"\n[columns]\nstation_id = "ZD"\nname_zh = "MC"\nlon = "X"\nlat = "Y"\n'
    at.file_uploader(key="adm_toml").set_value(("stations.toml", toml, "application/toml"))
    _upload(at, "stations.csv", f"ZD,MC,X,Y\nADMS1,新站,{s['lon']},{s['lat']}\n".encode())
    assert at.success, [e.value for e in at.error]
    assert _count(live, "SELECT count(*) FROM stations WHERE station_id = 'ADMS1'") == 1


# --- govdash.ingest ---


def test_mapping_from_text():
    m = ingest.mapping_from_text("cases", b'[columns]\ncase_id = "ID"\nreported_at = "T"\n', "mine.toml")
    assert isinstance(m, Mapping) and m.name == "mine"
    g = ingest.mapping_from_text("units", '[constants]\nlevel = "grid"\n', "grids.toml")
    assert g.kind == "units" and g.constants == {"level": "grid"}
    with pytest.raises(MappingError):
        ingest.mapping_from_text("units", "[columns\n", "broken.toml")
    with pytest.raises(MappingError, match="for stations"):
        ingest.mapping_from_text("units", 'kind = "stations"\n', "x.toml")
    assert ingest.builtin("cases")[:1] and ingest.builtin("units") == []


def test_report_frame_and_counts():
    cols = ["file", "row", "field", "value", "reason", "rule"]
    rep = ImportReport(
        file="f.csv",
        sha256="",
        mapping="m",
        on_error="reject",
        rows=3,
        failed=1,
        errors=pd.DataFrame([["f.csv", 2, "a", "x", "bad", "r1"]], columns=cols),
        warnings=pd.DataFrame([["f.csv", 3, "b", "y", "odd", "r2"]], columns=cols),
    )
    df = ingest.report_frame(rep)
    assert df[["outcome", "row"]].values.tolist() == [["error", 2], ["warning", 3]]
    assert ingest.outcome_counts(rep)["warnings"] == 1
    empty = ImportReport(file="f.csv", sha256="", mapping="m", on_error="reject")
    assert ingest.report_frame(empty).empty


def test_run_refuses_unknown_kinds(tmp_path):
    from govdash.ingest import ValidationError

    with pytest.raises(ValidationError, match="cannot import"):
        ingest.run("people", tmp_path / "x.duckdb", b"a\n1\n")
    with pytest.raises(ValidationError, match="no import"):
        ingest.undo(tmp_path / "x.duckdb", "imp-1")
    assert ingest.listing(tmp_path / "x.duckdb").empty


def test_quarantine_frame_reads_json_records(tmp_path):
    from govdash.db import writer

    path = tmp_path / "q.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO quarantine VALUES ('imp-1', 'f.csv', 3, 'why', ?), ('imp-1', 'f.csv', 2, 'how', ?)",
            [json.dumps({"a": "=1", "b": 2}), json.dumps({"a": "x"})],
        )
    got = ingest.quarantine_frame(path, "imp-1")
    assert got.fillna({"b": -1}).to_dict("records") == [
        {"_row": 2, "_reasons": "how", "a": "x", "b": -1.0},
        {"_row": 3, "_reasons": "why", "a": "=1", "b": 2.0},
    ]
