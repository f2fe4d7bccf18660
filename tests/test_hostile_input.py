"""Hostile input: random URL parameters, SQL injection through every filter and query parameter, bad imports."""

from __future__ import annotations

import io
import shutil
import string
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest
from conftest import app_test
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdash import accounts, filters, ingest, queries, queries_map, queries_trend, wall
from govdash import settings as gsettings
from govdash.db import Database, attach
from govdash.filters import FilterError, Filters

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

INJECTIONS = [
    "x' OR 1=1 --",
    "1; DROP TABLE cases",
    "') OR ('1'='1",
    '" OR ""="',
    "x'; DELETE FROM cases; --",
    "$scope_0",
    "?",
    "\x00",
    "%27%20OR%201=1",
    "' UNION SELECT complainant_phone FROM cases --",
]
FALLBACK = filters.default(date(2026, 11, 15))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
nasty = st.one_of(text, st.sampled_from(INJECTIONS), st.text(alphabet=string.digits + "-T:", max_size=30))
params = st.dictionaries(
    st.one_of(
        st.sampled_from(
            [
                "from",
                "to",
                "town",
                "community",
                "grid",
                "cat",
                "channel",
                "dept",
                "scope",
                "lang",
                "mode",
                "panels",
                "rotate",
                "refresh",
                "days",
            ]
        ),
        text,
    ),
    st.lists(nasty, min_size=0, max_size=4),
    max_size=8,
)


# --- URL query parameters: a Filters or a FilterError, nothing else, and never a scope ---


@FAST
@given(params)
def test_from_params_gives_filters_or_a_filter_error(p):
    try:
        f = filters.from_params(p, FALLBACK)
    except FilterError as exc:
        assert str(exc)  # names the problem
        return
    assert f.scope is None  # the area an account may see never comes from a URL
    assert f.start <= f.end
    for name in filters.names():
        assert all(filters._ID.match(v) for v in getattr(f, name))


@FAST
@given(params)
def test_wall_state_never_raises(p):
    s = gsettings.load()
    state = wall.state(p, s)
    assert state.panels and set(state.panels) <= set(wall.PANELS)
    f = wall.wall_filters(p, date(2026, 11, 15), state.days)
    assert f.scope is None and f.start <= f.end


# --- the running app: hostile links give a warning, never a traceback ---

HOSTILE_LINKS = [
    {
        "town": "x' OR 1=1 --",
        "cat": "1; DROP TABLE cases",
        "dept": "\u202e",
        "lang": "<script>",
        "mode": "app'--",
        "grid": "G" * 5000,
        "community": "%00",
    },
    {
        "from": "0001-01-01",
        "to": "9999-12-31",
        "channel": ["a"] * 300,
        "rotate": "1e999",
        "days": "-5",
        "panels": "../../etc/passwd",
    },
]


@pytest.mark.parametrize("link", range(len(HOSTILE_LINKS)))
def test_hostile_links_on_every_page(app_env, app_page, link):
    at = app_test()
    for k, v in {**HOSTILE_LINKS[link], **dict(app_page.query)}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warned = bool(at.sidebar.warning)  # shown once, on the run that read the link
    if not app_page.default:
        at.switch_page(app_page.path).run()
        assert not at.exception, [e.value for e in at.exception]
    if not app_page.query:  # pages with the filter bar fall back to the default view and say why
        f = at.session_state["filters"]
        assert not f.towns and not f.categories and not f.grids and not f.channels
        assert warned


# --- SQL injection through every filter and every query parameter ---


@pytest.fixture
def db(demo_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, path)
    d = Database(path)
    yield d
    d.close()


def _table_counts(db: Database) -> dict:
    tables = db.execute("SELECT table_name FROM information_schema.tables")["table_name"].tolist()
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in tables}  # names from the catalogue itself


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_through_every_filter_field_reads_nothing_and_changes_nothing(db, value):
    before = _table_counts(db)
    lo, hi = queries.date_range(db)
    at = queries.as_of(db)
    for name in (*filters.names(), "scope"):
        f = Filters(start=lo, end=hi).with_(**{name: (value,)})
        assert queries.case_count(db, f) == 0
        assert queries.kpis(db, f, at)["collected"] == 0
        assert queries.cases_page(db, f).empty
        assert pd.concat(queries.cases_export(db, f)).empty
        assert queries_map.heat_bins(db, f, 400).empty
        assert queries_map.case_points(db, f).empty
        assert queries.trend(db, f, "month", at).empty
        assert queries_trend.daily_counts(db, f).empty
        assert queries_trend.open_cases(db, f, at).empty
        assert queries_trend.indicator_totals(db, f, at)["backlog"] == 0
        assert queries_trend.lifecycle_stages(db, f)["registered"] == 0
        assert queries.unit_stats(db, f, "town", at)["collected"].sum() == 0
        if name not in ("communities", "grids"):  # by design it counts cases around stations of f.towns
            assert queries_map.station_cases_nearby(db, f).empty
    sc = (value,)
    assert queries.case_detail(db, value).empty and queries_trend.case_timeline(db, value).empty
    assert queries.towns(db, scope=sc).empty and queries_map.cells(db, scope=sc).empty
    assert queries.communities(db, sc).empty and queries.grids(db, sc).empty and queries_map.stations(db, sc).empty
    assert queries_map.station_directory(db, sc).empty and not queries.unit_names(db, scope=sc)
    assert _table_counts(db) == before


@pytest.mark.parametrize("value", INJECTIONS[:3])
def test_injection_into_identifier_parameters_is_refused_before_any_sql(db, value):
    """Period, split, order, level, frame and columns pick SQL text from allow-lists: anything else is a KeyError."""
    lo, hi = queries.date_range(db)
    f, at = Filters(start=lo, end=hi), datetime(2026, 1, 1)
    for call in (
        lambda: queries.trend(db, f, value, at),
        lambda: queries.trend(db, f, "month", at, value),
        lambda: queries.cases_page(db, f, order=value),
        lambda: queries.unit_stats(db, f, value, at),
        lambda: queries_map.heat_bins(db, f, 400, value),
        lambda: queries_trend.daily_counts(db, f, (value,)),
        lambda: queries_trend.period_indicators(db, f, value, at),
    ):
        with pytest.raises(KeyError):
            call()
    assert list(queries.cases_page(db, f, limit=1, columns=("case_id", value)).columns) == ["case_id"]


def test_injection_into_accounts(tmp_path):
    file = str(tmp_path / "a.duckdb")
    accounts.add(file, "li", "long enough", "viewer")
    for value in INJECTIONS:
        assert not accounts.sign_in(file, value, value).ok
        assert not accounts.sign_in(file, "li", value).ok
        with pytest.raises(accounts.AccountError):
            accounts.add(file, value, "long enough", "viewer")
        with pytest.raises(accounts.AccountError):
            accounts.add(file, "x", "long enough", "viewer", [value])
    assert accounts.list_accounts(file)["username"].tolist() == ["li"]


# --- imports: random bytes are a report or a ValidationError; the live file is never left half-written ---


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.json", "x.parquet", "x.xml"]))
def test_live_import_of_random_bytes(small_db, data, name):
    before = _cases(small_db)
    try:
        rep = ingest.run("cases", small_db, data, name=name)
    except ingest.ValidationError as exc:
        assert str(exc)
        assert _cases(small_db) == before
        return
    assert rep.status in ("loaded", "rejected")
    if rep.status == "rejected":
        assert _cases(small_db) == before


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> str:
    from literal_cases import build_db

    path = tmp_path_factory.mktemp("small") / "small.duckdb"
    build_db(path).close()
    return str(path)


def _cases(path: str) -> int:
    con = duckdb.connect(":memory:")
    try:
        attach(con, path, "d", read_only=True)
        return con.execute("SELECT count(*) FROM d.cases").fetchone()[0]
    finally:
        con.close()


class _Huge(io.RawIOBase):
    """An upload that says it is 10 GB and fails the test if anybody reads it."""

    name = "huge.csv"
    size = 10 * 2**30

    def read(self, n=-1):
        raise AssertionError("read an oversized upload")


def test_oversized_upload_is_refused_before_a_byte_is_read(small_db):
    with pytest.raises(ingest.ValidationError, match="over the 512 MB limit"):
        ingest.run("cases", small_db, _Huge(), name="huge.csv", max_mb=512)
