"""Sign-in, roles and area scope in the running app (AppTest): every page, URL parameters and exports."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import json
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import app_test

from govdash import accounts, ui
from govdash.access import Principal
from govdash.db import Database
from govdash.filters import Scope
from govdash.i18n import t

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

LUJIAZUI = "310115005"  # 陆家嘴街道: the one street/town of the limited accounts
ZHANGJIANG = "310115125"  # 张江镇
PASSWORD = "correct horse battery"


@pytest.fixture
def local(app_env, tmp_path, monkeypatch) -> str:
    """Sign-in with local accounts: li (analyst, 陆家嘴 only), vic (viewer, 陆家嘴 only), ada (admin, all)."""
    file = str(tmp_path / "accounts.duckdb")
    monkeypatch.setenv("GOVDASH_AUTH", "local")
    monkeypatch.setenv("GOVDASH_ACCOUNTS_DB", file)
    accounts.add(file, "li", PASSWORD, "analyst", [LUJIAZUI])
    accounts.add(file, "vic", PASSWORD, "viewer", [LUJIAZUI])
    accounts.add(file, "ada", PASSWORD, "admin")
    return file


@pytest.fixture(scope="module")
def town_names(demo_db) -> dict[str, str]:
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return dict(con.execute("SELECT unit_id, name_zh FROM units WHERE level = 'town'").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def station_names(demo_db) -> list[str]:
    """Names of service stations: public places, shown across borders (they serve residents next door)."""
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT name_zh FROM stations ORDER BY length(name_zh) DESC").fetchall()]
    finally:
        con.close()


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _rendered(at) -> bytes:
    """Everything the run sent to the browser: every element's protobuf (text, tables as Arrow, chart JSON)."""
    return b"".join(n.proto.SerializeToString() for n in at._tree if getattr(n, "proto", None) is not None)


def _mentions(blob: bytes, name: str) -> bool:
    return name.encode() in blob or json.dumps(name)[1:-1].encode() in blob  # plain or JSON-escaped


def _signed_in(principal: Principal | None, query: dict | None = None):
    at = app_test()
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if principal is not None:
        at.session_state["principal"] = principal
    return at.run()


def _open(app_page, principal, query=None):
    at = _signed_in(principal, {**dict(app_page.query), **(query or {})})
    _ok(at)
    if not app_page.default:
        at.switch_page(app_page.path).run()
        _ok(at)
    return at


# --- sign-in ---


def test_nothing_but_a_sign_in_form_before_sign_in(local):
    at = _signed_in(None, {"town": ZHANGJIANG})
    _ok(at)
    assert [w.key for w in at.text_input] == ["sign_in_user", "sign_in_password"]
    assert "filters" not in at.session_state and not at.sidebar.multiselect
    assert not at.metric and not at.dataframe


def test_wrong_then_right_password(local):
    at = _signed_in(None)
    at.text_input(key="sign_in_user").input("li")
    at.text_input(key="sign_in_password").input("nope")
    at.button[0].click().run()
    _ok(at)
    assert at.error[0].value == t("sign_in_failed", "zh") and "principal" not in at.session_state
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    _ok(at)
    assert at.session_state["principal"] == Principal("li", "analyst", (LUJIAZUI,))
    assert at.title[0].value == t("page_overview", "zh")
    assert at.session_state["filters"].scope == Scope(towns=(LUJIAZUI,))
    log = accounts.audit_log(local)
    assert log["action"].tolist()[:2] == ["sign_in", "sign_in_failed"]


def test_five_failures_lock_the_account(local):
    at = _signed_in(None)
    at.text_input(key="sign_in_user").input("li")
    for _ in range(accounts.MAX_FAILURES):
        at.text_input(key="sign_in_password").input("wrong password")
        at.button[0].click().run()
    assert "锁定" in at.error[0].value
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert "principal" not in at.session_state  # the right password does not help while locked


def test_public_wall_needs_no_sign_in(local, monkeypatch):
    monkeypatch.setenv("GOVDASH_WALL_PUBLIC", "1")
    at = _signed_in(None, {"mode": "wall"})
    _ok(at)
    assert not at.text_input and at.get("html")
    at = _signed_in(None)  # the pages still need it
    assert [w.key for w in at.text_input] == ["sign_in_user", "sign_in_password"]


# --- an account limited to one street/town, on every page ---


def test_every_page_shows_only_the_accounts_town(local, app_page, town_names, station_names):
    """A limited admin (every page, exports included) never gets another street/town's name on screen
    (station names aside: the coverage page shows neighbouring stations that serve the town's residents)."""
    at = _open(app_page, Principal("ada2", "admin", (LUJIAZUI,)))
    blob = _rendered(at)
    for name in station_names:
        blob = blob.replace(name.encode(), b"").replace(json.dumps(name)[1:-1].encode(), b"")
    assert _mentions(blob, town_names[LUJIAZUI]) or app_page.url_path in (
        "admin",
        "trends",
        "lifecycle",
        "overview",
        "wall",
    )
    leaks = [name for uid, name in town_names.items() if uid != LUJIAZUI and _mentions(blob, name)]
    assert not leaks, f"{app_page.url_path} shows {leaks}"
    if not app_page.query:
        assert at.session_state["filters"].scope == Scope(towns=(LUJIAZUI,))


@pytest.mark.parametrize("query", [{"town": ZHANGJIANG}, {"town": [LUJIAZUI, ZHANGJIANG]}])
def test_a_link_to_another_town_shows_nothing_of_it(local, query, town_names):
    at = _signed_in(Principal("li", "analyst", (LUJIAZUI,)), query)
    _ok(at)
    f = at.session_state["filters"]
    assert ZHANGJIANG not in f.towns and f.scope == Scope(towns=(LUJIAZUI,))
    assert any(t("out_of_scope", "zh") in w.value for w in at.sidebar.warning)
    at.switch_page("pages/cases.py").run()
    _ok(at)
    assert not _mentions(_rendered(at), town_names[ZHANGJIANG])


def test_case_export_holds_only_the_accounts_cases(local, monkeypatch):
    from govdash import export

    exported = []
    real = export.to_csv_bytes
    monkeypatch.setattr(export, "to_csv_bytes", lambda df: exported.append(df) or real(df))
    at = _signed_in(Principal("li", "analyst", (LUJIAZUI,)), {"from": "2020-01-01", "to": "2026-12-31"})
    at.switch_page("pages/cases.py").run()
    _ok(at)
    assert exported and set(exported[-1]["town"]) == {"陆家嘴街道"}
    at.get("download_button")[0].click().run()  # the download is written to the audit log
    _ok(at)
    log = accounts.audit_log(local)
    assert log.iloc[0]["action"] == "export" and log.iloc[0]["username"] == "li"


# --- roles ---


def test_viewer_has_no_case_page_no_exports_and_no_personal_data(local):
    at = _signed_in(Principal("vic", "viewer", (LUJIAZUI,)))
    _ok(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a viewer's navigation
        at.switch_page("pages/cases.py").run()
    at = _signed_in(Principal("vic", "viewer", (LUJIAZUI,)))
    at.switch_page("pages/trends.py").run()
    _ok(at)
    assert not at.get("download_button")


@pytest.mark.parametrize("role, masked", [("viewer", True), ("analyst", False)])
def test_case_points_on_the_heatmap_are_masked_for_viewers(local, role, masked):
    """The heatmap's case tooltips carry descriptions ('…华兰路436号附近…'): house numbers only for analysts."""
    at = _signed_in(Principal("u", role, (LUJIAZUI,)), {"cat": "noise"})
    at.switch_page("pages/heatmap.py").run()
    _ok(at)
    blob = _rendered(at).decode("utf-8", "replace")
    text = blob.encode().decode("unicode_escape", "ignore") if "\\u" in blob else blob
    house = re.search(r"\d+(号|\\u53f7)", blob) or re.search(r"\d+号", text)
    assert (house is None) == masked


def test_admin_only_pages(local):
    at = _signed_in(Principal("li", "analyst"))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py").run()
    at = _signed_in(Principal("ada", "admin"))
    at.switch_page("pages/admin.py").run()
    _ok(at)
    assert at.title[0].value == t("page_admin", "zh")


def test_the_admin_page_run_by_a_viewer_stops(local):
    """Even run directly (not through the navigation), a page checks the role itself."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.session_state["principal"] = Principal("vic", "viewer")
    at.run()
    assert at.error and at.error[0].value == t("no_right", "zh")
    assert not at.get("file_uploader")


def test_oidc_without_configuration_says_so(app_env, tmp_path, monkeypatch):
    """GOVDASH_AUTH=oidc without an [auth] section in secrets.toml: a plain message, never a traceback."""
    monkeypatch.setenv("GOVDASH_AUTH", "oidc")
    monkeypatch.setenv("GOVDASH_ACCOUNTS_DB", str(tmp_path / "a.duckdb"))
    at = _signed_in(None)
    _ok(at)
    assert "filters" not in at.session_state
    at.button[0].click().run()
    _ok(at)
    assert at.error and t("oidc_not_configured", "zh") in at.error[0].value


def test_export_of_all_filtered_cases_holds_only_the_accounts_cases(local):
    """The cases page offers every filtered case (not just the page shown) as CSV and Excel; the file
    (export.filtered_cases, which the buttons call on click) holds only the account's area."""
    from govdash import export

    p = Principal("li", "analyst", (LUJIAZUI,))
    at = _signed_in(p, {"from": "2020-01-01", "to": "2026-12-31"})
    at.switch_page("pages/cases.py").run()
    _ok(at)
    total = int(at.metric[0].value.replace(",", ""))
    assert total > 100  # more than one page
    make = {b.key: b for b in at.button if b.key and b.key.startswith("export_make_")}
    assert set(make) == {"export_make_csv", "export_make_xlsx"}
    assert all(f"{total:,}" in b.label for b in make.values()), [b.label for b in make.values()]
    make["export_make_csv"].click().run()  # writes the file (with a progress bar), then offers it
    _ok(at)
    made = at.session_state["export_file_csv"][1]
    offered = [b.proto.label for b in at.get("download_button")]
    assert any(lab.endswith(".csv") for lab in offered), offered
    db = Database(os.environ["GOVDASH_DB"])  # the database the app serves (set by the `local` fixture)
    scoped = at.session_state["filters"].with_(scope=(LUJIAZUI,))
    assert export.filtered_cases(db, scoped, p, "csv") == made  # what the button wrote
    csv = pd.read_csv(io.BytesIO(made), encoding="utf-8-sig", dtype=str)
    xlsx = pd.read_excel(io.BytesIO(export.filtered_cases(db, scoped, p, "xlsx")), dtype=str)
    assert len(csv) == len(xlsx) == total
    assert set(csv["town_id"]) == set(xlsx["town_id"]) == {LUJIAZUI}
    viewer = pd.read_csv(
        io.BytesIO(export.filtered_cases(db, scoped, Principal("v", "viewer", (LUJIAZUI,)))),
        encoding="utf-8-sig",
        dtype=str,
    )
    assert viewer["complainant_phone"].str.contains(r"\*\*\*\*").all()
    assert not csv["complainant_phone"].str.contains(r"\*\*\*\*").any()


def _layer_points(at, layer_id: str) -> list[dict]:
    """The data rows of one deck.gl layer in any chart of the run."""
    rows = []
    for chart in at.get("deck_gl_json_chart"):
        for layer in json.loads(chart.proto.json).get("layers", []):
            if layer.get("id") == layer_id:
                rows += layer.get("data", [])
    return rows


def _decimals(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


@pytest.mark.parametrize("role, most", [("viewer", 3), ("analyst", 5)])
def test_case_coordinates_for_viewers_are_rounded_to_about_100_m(local, role, most):
    """Issue 15: the heatmap's case points carried coordinates to ~1 m, re-identifying masked addresses."""
    from govdash.maps import LAYER_CASES

    at = _signed_in(Principal("u", role, (LUJIAZUI,)), {"cat": "noise"})
    at.switch_page("pages/heatmap.py").run()
    _ok(at)
    pts = _layer_points(at, LAYER_CASES)
    assert pts, "no case points drawn"
    assert max(_decimals(p["lon"]) for p in pts) == most and max(_decimals(p["lat"]) for p in pts) == most


def test_the_walls_last_day_points_are_rounded_to_about_100_m(local, monkeypatch):
    monkeypatch.setenv("GOVDASH_WALL_PUBLIC", "1")
    at = _signed_in(None, {"mode": "wall", "panels": "map"})
    _ok(at)
    pts = [row["p"] for row in _layer_points(at, "recent")]  # the wall sends [lon, lat] pairs
    assert pts and max(_decimals(lon) for lon, _ in pts) <= 3 and max(_decimals(lat) for _, lat in pts) <= 3


def test_wall_device_token_shows_the_wall_and_nothing_else(local):
    """Issue 15: a wall screen signed in by hand fell back to the sign-in form after a restart; a device
    token in its URL survives (the browser test restarts a real server)."""
    token = accounts.add_wall_token(local, "lobby", [LUJIAZUI])
    at = _signed_in(None, {"mode": "wall", "token": token})
    _ok(at)
    assert not at.text_input and at.get("html")  # the wall, not the sign-in form
    assert at.session_state["wall_device"][1] == Principal("wall:lobby", "wall", (LUJIAZUI,))
    at = _signed_in(None, {"token": token})  # the pages still need a sign-in
    assert [w.key for w in at.text_input] == ["sign_in_user", "sign_in_password"]
    at = _signed_in(None, {"mode": "wall", "token": token[:-2]})
    assert [w.key for w in at.text_input] == ["sign_in_user", "sign_in_password"]


def _edge_calls():
    """Every ``ui.cached(fn, …)`` / ``cached(fn, …)`` call in pages/ and govdash/ui.py: (file, line, fn, call)."""
    root = Path(__file__).resolve().parents[1]
    for path in sorted([*root.glob("pages/*.py"), root / "govdash" / "ui.py"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            if not (
                (
                    isinstance(fn, ast.Attribute)
                    and fn.attr == "cached"
                    and isinstance(fn.value, ast.Name)
                    and fn.value.id == "ui"
                )
                or (isinstance(fn, ast.Name) and fn.id == "cached")
            ):
                continue
            target = node.args[0]
            assert isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name), (
                f"{path.name}:{node.lineno}: the cache edge takes a function by reference (module.function)"
            )
            # ui.py may import a module under another name (``catalogue as catalogue_``); pages import by name
            module = (vars(ui).get(target.value.id) if path.name == "ui.py" else None) or importlib.import_module(
                f"govdash.{target.value.id}"
            )
            yield path.name, node.lineno, getattr(module, target.attr), node


def _calls_scope(node: ast.expr) -> bool:
    """``ui.scope()`` or, inside ui.py, ``scope()``."""
    return (
        isinstance(node, ast.Call)
        and not node.args
        and (
            (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "scope"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ui"
            )
            or (isinstance(node.func, ast.Name) and node.func.id == "scope")
        )
    )


def test_every_cached_listing_query_is_given_the_sessions_scope_explicitly():
    """A query that takes ``scope`` (towns, unit names, case timelines…) is called through the cache with
    ``scope=ui.scope()`` written at the call: nothing injects it, so a call without it would list every town."""
    calls = list(_edge_calls())
    assert len(calls) > 40
    scoped = 0
    for name, line, fn, node in calls:
        if "scope" in inspect.signature(fn).parameters:
            given = [k.value for k in node.keywords if k.arg == "scope"]
            assert given and _calls_scope(given[0]), f"{name}:{line}: {fn.__qualname__} needs scope=ui.scope()"
            scoped += 1
    assert scoped >= 15  # towns, communities, grids, unit names, paths, cells, timelines, survey, directory


# --- a 居村 account and a department account, on every page (issue 18 item 1) ---

DEPARTMENT = "D01"  # 区城管执法局
EVERYTHING = {"from": "2020-01-01", "to": "2026-12-31"}  # every case, so every page lists as many as it can


@pytest.fixture(scope="module")
def demo_cases(demo_db) -> pd.DataFrame:
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return con.execute("SELECT case_id, town_id, community_id, department_id FROM cases").df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def lujiazui_community(demo_db) -> tuple[str, str]:
    """The 居村 of 陆家嘴 with the most cases: (id, name)."""
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return con.execute(
            "SELECT c.community_id, u.name_zh FROM cases c JOIN units u ON u.unit_id = c.community_id "
            "AND u.level = 'community' WHERE c.town_id = $t GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1",
            {"t": LUJIAZUI},
        ).fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def community_names(demo_db) -> dict[str, str]:
    con = duckdb.connect(demo_db, read_only=True)
    try:
        return dict(con.execute("SELECT unit_id, name_zh FROM units WHERE level = 'community'").fetchall())
    finally:
        con.close()


def _case_ids(blob: bytes) -> set[str]:
    return {m.decode() for m in re.findall(rb"GD\d{9}", blob)}


def _without(blob: bytes, names) -> bytes:
    for name in names:
        blob = blob.replace(name.encode(), b"").replace(json.dumps(name)[1:-1].encode(), b"")
    return blob


def test_a_community_account_sees_only_its_community_on_every_page(
    local, app_page, demo_cases, lujiazui_community, town_names, community_names, station_names
):
    """A 居村 admin: no case of another 居村 (its own street/town's included) and no other street/town's or
    居村's name on any page (station names aside: neighbouring stations serve its residents)."""
    com, com_name = lujiazui_community
    at = _open(app_page, Principal("jc", "admin", communities=(com,)), EVERYTHING)
    blob = _rendered(at)
    shown = _case_ids(blob)
    mine = set(demo_cases.loc[demo_cases["community_id"] == com, "case_id"])
    assert shown <= mine, f"{app_page.url_path} shows {sorted(shown - mine)[:5]}"
    if app_page.url_path == "cases":
        assert shown, "the cases page lists the 居村's cases"
    blob = _without(blob, station_names)
    leaks = [n for uid, n in town_names.items() if uid != LUJIAZUI and _mentions(blob, n)]
    leaks += [n for uid, n in community_names.items() if uid != com and n != com_name and _mentions(blob, n)]
    assert not leaks, f"{app_page.url_path} shows {leaks[:5]}"
    if not app_page.query:
        assert at.session_state["filters"].scope == Scope(communities=(com,))


def test_a_department_account_sees_only_the_cases_dispatched_to_it_on_every_page(local, app_page, demo_cases):
    at = _open(app_page, Principal("cg", "admin", departments=(DEPARTMENT,)), EVERYTHING)
    shown = _case_ids(_rendered(at))
    mine = set(demo_cases.loc[demo_cases["department_id"] == DEPARTMENT, "case_id"])
    assert shown <= mine, f"{app_page.url_path} shows {sorted(shown - mine)[:5]}"
    if app_page.url_path == "cases":
        assert shown
    if not app_page.query:
        assert at.session_state["filters"].scope == Scope(departments=(DEPARTMENT,))


def test_a_street_account_sees_no_other_towns_case_on_any_page(local, app_page, demo_cases):
    at = _open(app_page, Principal("jd", "admin", (LUJIAZUI,)), EVERYTHING)
    shown = _case_ids(_rendered(at))
    assert shown <= set(demo_cases.loc[demo_cases["town_id"] == LUJIAZUI, "case_id"])


def test_exports_of_a_community_and_a_department_account(local, demo_cases, lujiazui_community):
    """The cases page's files (export.filtered_cases, which its buttons call) hold only the account's cases."""
    from govdash import export

    com, _ = lujiazui_community
    db = Database(os.environ["GOVDASH_DB"])
    for p, column, value in (
        (Principal("jc", "analyst", communities=(com,)), "community_id", com),
        (Principal("cg", "analyst", departments=(DEPARTMENT,)), "department_id", DEPARTMENT),
    ):
        at = _signed_in(p, EVERYTHING)
        at.switch_page("pages/cases.py").run()
        _ok(at)
        f = at.session_state["filters"]
        assert f.scope == p.scope
        got = pd.read_csv(io.BytesIO(export.filtered_cases(db, f, p, "csv")), encoding="utf-8-sig", dtype=str)
        want = demo_cases[demo_cases[column] == value]
        assert set(got["case_id"]) == set(want["case_id"]) and len(got) == len(want) > 0


def test_a_link_by_name_opens_that_unit_and_a_bad_name_says_so(local):
    """The README's ``town=陆家嘴街道``: read as its code on the pages; an unknown name is named in a warning."""
    at = _signed_in(Principal("ada", "admin"), {"town": "陆家嘴街道"})
    _ok(at)
    assert at.session_state["filters"].towns == (LUJIAZUI,) and not at.sidebar.warning
    at = _signed_in(Principal("ada", "admin"), {"town": "陆家嘴", "lang": "en"})
    _ok(at)
    assert at.session_state["filters"].towns == ()
    shown = [w.value.replace("\\", "") for w in at.sidebar.warning]  # markdown escapes removed
    assert any("town=陆家嘴:" in w and "no street/town of this district has this code" in w for w in shown), shown


def test_a_community_account_given_another_community_in_a_link(local, lujiazui_community, demo_db):
    com, _ = lujiazui_community
    con = duckdb.connect(demo_db, read_only=True)
    try:
        other = con.execute(
            "SELECT unit_id FROM units WHERE level = 'community' AND town_id = $t AND unit_id <> $c LIMIT 1",
            {"t": LUJIAZUI, "c": com},
        ).fetchone()[0]
    finally:
        con.close()
    at = _signed_in(Principal("jc", "analyst", communities=(com,)), {"town": LUJIAZUI, "community": other})
    _ok(at)
    f = at.session_state["filters"]
    assert f.communities == () and f.towns == (LUJIAZUI,)
    assert any(t("out_of_scope", "zh") in w.value for w in at.sidebar.warning)


def test_the_overview_opened_for_one_town_ranks_its_communities(local, community_names):
    at = _signed_in(Principal("ada", "admin"), {"town": "陆家嘴街道"})
    _ok(at)
    assert any(s.value.startswith(t("community_ranking_title", "zh")) for s in at.subheader)
    blob = _rendered(at)  # (the filter bar of this unrestricted account lists every street/town)
    ours = [n for uid, n in community_names.items() if uid.startswith(LUJIAZUI)]
    assert sum(_mentions(blob, n) for n in ours) >= 5  # the ranking's bars name its 居村
