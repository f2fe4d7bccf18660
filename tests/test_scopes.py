"""Scopes per level (issue 18 item 1): an account limited to streets/towns, to 居村 or to departments, enforced by
the query layer; unit names in URLs; on the demo and on qinhuai (tests/districts.py), whose 居村 ids repeat its
street ids, so a scope must compare each level with its own column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from govdash import queries, queries_map, queries_trend, wall
from govdash.db import Database
from govdash.filters import Filters, NameProblem, Scope, resolve_units, view_area
from govdash.queries_scope import scope_clause

LUJIAZUI, ZHANGJIANG = "310115005", "310115125"


# --- the Scope value (pure) ---


def test_scope_of_a_tuple_is_of_towns_and_none_is_everything():
    assert Scope.of(("T1",)) == Scope(towns=("T1",))
    assert Scope.of(None) is None
    assert Filters(date(2026, 1, 1), date(2026, 1, 1), scope=("T1",)).scope == Scope(towns=("T1",))
    assert Scope().nowhere and not Scope(departments=("D",)).nowhere and not Scope(departments=("D",)).area


def test_meet_is_idempotent_and_never_wider_than_either():
    a = Scope(towns=("T1", "T2"))
    assert a.meet(a) == a and a.meet(None) == a
    assert a.meet(Scope(towns=("T2", "T3"))) == Scope(towns=("T2",))
    assert a.meet(Scope(towns=("T9",))) == Scope()  # nothing in common: nothing
    assert a.meet(Scope(departments=("D1",))) == Scope(towns=("T1", "T2"), departments=("D1",))
    assert Scope(departments=("D1",)).meet(Scope(departments=("D2",))) == Scope()
    # a street/town met with a 居村 cannot be decided without the units: nothing rather than a guess
    assert a.meet(Scope(communities=("C1",))) == Scope()


def test_scope_clause_compares_each_level_with_its_own_column():
    clause, params = scope_clause(Scope(communities=("1",)), "cases", "c")
    assert clause == "(c.community_id IN ($scope_c_0))" and params == {"scope_c_0": "1"}
    clause, _ = scope_clause(Scope(towns=("1",), communities=("3",)), "places")
    assert clause == "(town_id IN ($scope_t_0) OR community_id IN ($scope_c_0))"
    clause, params = scope_clause(Scope(departments=("D01",)), "cases")
    assert clause == "department_id IN ($scope_d_0)" and params == {"scope_d_0": "D01"}
    assert scope_clause(Scope(departments=("D01",)), "places") == ("true", {})  # places are public to it
    assert scope_clause(Scope(communities=("1",)), "survey") == ("false", {})  # a survey is per street/town
    assert scope_clause(Scope(), "units") == ("false", {}) and scope_clause(None, "units") == ("true", {})
    with pytest.raises(ValueError, match="scope_clause on"):
        scope_clause(Scope(towns=("1",)), "stations")


def test_view_area_is_the_finest_unit_chosen():
    f = Filters(date(2026, 1, 1), date(2026, 1, 1))
    assert view_area(f) is None
    assert view_area(f.with_(towns=("T",))) == Scope(towns=("T",))
    assert view_area(f.with_(towns=("T",), communities=("C",))) == Scope(communities=("C",))


UNITS = [
    ("town", "1", "秦淮街道", "Qinhuai Street"),
    ("town", "2", "夫子庙街道", None),
    ("community", "1", "秦淮东社区", None),
    ("community", "2", "秦淮西社区", None),
    ("community", "3", "新村社区", None),
    ("community", "4", "新村社区", None),  # the same name in two places
]


def test_unit_names_in_a_url_read_as_codes():
    out, problems = resolve_units({"town": ["夫子庙街道", "1"], "community": ["秦淮西社区"], "cat": ["x"]}, UNITS)
    assert out == {"town": ["2", "1"], "community": ["2"], "cat": ["x"]} and problems == ()
    out, _ = resolve_units({"town": ["Qinhuai Street"]}, UNITS)  # the English name too
    assert out["town"] == ["1"]


def test_a_code_wins_over_a_name_and_levels_stay_apart():
    # community "1" is 秦淮东社区, not the street/town 1; the street/town named 秦淮东社区 does not exist
    out, problems = resolve_units({"community": ["1"], "town": ["秦淮东社区"]}, UNITS)
    assert out == {"community": ["1"], "town": []}
    assert problems == (NameProblem("town", "秦淮东社区", "unknown"),)


def test_an_ambiguous_or_unknown_name_is_left_out_and_reported():
    out, problems = resolve_units({"community": ["新村社区", "秦淮东社区"], "town": ["陆家嘴街道"]}, UNITS)
    assert out == {"community": ["1"], "town": []}
    assert problems == (
        NameProblem("town", "陆家嘴街道", "unknown"),
        NameProblem("community", "新村社区", "ambiguous", ("3", "4")),
    )


# --- the demo district: a 居村 account and a department account ---


@pytest.fixture(scope="module")
def demo(demo_db) -> Database:
    db = Database(demo_db)
    yield db
    db.close()


@pytest.fixture(scope="module")
def period(demo) -> Filters:
    lo, hi = queries.date_range(demo)
    return Filters(start=lo, end=hi)


@pytest.fixture(scope="module")
def community(demo) -> str:
    """A 居村 of 陆家嘴 with cases."""
    return queries.communities(demo, (LUJIAZUI,))["unit_id"].iloc[0]


def _every_filtered_query(db, scoped: Filters, chosen: Filters, at) -> None:
    """Every case query gives under ``scoped`` what it gives when ``chosen`` filters the same cases."""
    n = queries.case_count(db, chosen)
    assert queries.case_count(db, scoped) == n > 0
    assert queries.kpis(db, scoped, at) == pytest.approx(queries.kpis(db, chosen, at), nan_ok=True)
    ids = set(queries.cases_page(db, chosen, limit=100_000)["case_id"])
    assert set(queries.cases_page(db, scoped, limit=100_000)["case_id"]) == ids
    assert set(pd.concat(queries.cases_export(db, scoped))["case_id"]) == ids
    assert set(queries_trend.open_cases(db, scoped, at, limit=100_000)["case_id"]) <= ids
    pd.testing.assert_frame_equal(queries.trend(db, scoped, "month", at), queries.trend(db, chosen, "month", at))
    pd.testing.assert_frame_equal(queries_map.heat_bins(db, scoped, 400), queries_map.heat_bins(db, chosen, 400))
    pd.testing.assert_frame_equal(
        queries_trend.period_indicators(db, scoped, "month", at, "town"),
        queries_trend.period_indicators(db, chosen, "month", at, "town"),
    )
    pd.testing.assert_frame_equal(
        queries_trend.open_backlog(db, scoped, "month", at), queries_trend.open_backlog(db, chosen, "month", at)
    )
    assert len(queries_map.repeat_candidates(db, scoped)) == n
    assert queries_trend.lifecycle_stages(db, scoped)["registered"] == n
    assert queries.unit_stats(db, scoped, "community", at)["collected"].sum() == n


def test_a_community_scope_is_its_cases_only(demo, period, community):
    at = queries.as_of(demo)
    sc = Scope(communities=(community,))
    _every_filtered_query(demo, period.with_(scope=sc), period.with_(communities=(community,)), at)
    # choosing its own street/town under the scope still shows only the 居村's cases
    both = period.with_(scope=sc, towns=(LUJIAZUI,))
    assert queries.case_count(demo, both) == queries.case_count(demo, period.with_(communities=(community,)))
    assert queries.case_count(demo, period.with_(scope=sc, towns=(ZHANGJIANG,))) == 0


def test_a_community_scope_lists_its_own_places(demo, period, community):
    sc = Scope(communities=(community,))
    assert queries.towns(demo, scope=sc)["unit_id"].tolist() == [LUJIAZUI]  # its street/town, for the filter bar
    assert queries.communities(demo, scope=sc)["unit_id"].tolist() == [community]
    grids = queries.grids(demo, (community,), scope=sc)
    assert len(grids) > 0 and set(grids["community_id"]) == {community}
    assert set(queries_map.cells(demo, scope=sc)["community_id"]) == {community}
    assert set(queries_map.station_directory(demo, scope=sc)["community_id"]) <= {community}
    assert queries_trend.survey_scores(demo, scope=sc).empty  # the survey is per street/town
    names = queries.unit_names(demo, scope=sc)
    assert set(names["community"]) == {community} and set(names["town"]) == {LUJIAZUI}
    assert set(names["grid"]) == set(grids["unit_id"])
    neighbour = queries.cases_page(demo, period.with_(towns=(LUJIAZUI,)), limit=100_000)
    other = neighbour[neighbour["community_id"] != community]["case_id"].iloc[0]  # same street/town, other 居村
    assert queries.case_detail(demo, other, scope=sc).empty
    assert queries_trend.case_timeline(demo, other, scope=sc).empty


def test_a_department_scope_is_the_cases_dispatched_to_it_wherever_they_are(demo, period):
    at = queries.as_of(demo)
    sc = Scope(departments=("D01",))
    _every_filtered_query(demo, period.with_(scope=sc), period.with_(departments=("D01",)), at)
    towns = set(pd.concat(queries.cases_export(demo, period.with_(scope=sc)))["town_id"])
    assert len(towns) > 10  # all over the district
    other = queries.cases_page(demo, period.with_(departments=("D02",)), limit=1)["case_id"].iloc[0]
    assert queries.case_detail(demo, other, scope=sc).empty
    assert not queries.case_detail(demo, other).empty
    # places are the district's: a department sees every street/town to filter its cases by
    assert len(queries.towns(demo, scope=sc)) == len(queries.towns(demo))
    # with a street/town too: its cases there only
    both = Scope(towns=(LUJIAZUI,), departments=("D01",))
    chosen = period.with_(towns=(LUJIAZUI,), departments=("D01",))
    assert queries.case_count(demo, period.with_(scope=both)) == queries.case_count(demo, chosen) > 0


def test_the_wall_opened_for_one_town_has_that_towns_coverage_and_stations(demo):
    """The wall's coverage card for ``town=…``: the town's residents and its own stations, not the district's."""
    from govdash import settings

    s = settings.load()
    district = wall.coverage_data(demo, s)
    town = wall.coverage_data(demo, s, None, Scope(towns=(LUJIAZUI,)))
    assert district["stations"] == len(queries_map.stations(demo))
    assert town["stations"] == len(queries_map.stations(demo, (LUJIAZUI,))) < district["stations"]
    cells = queries_map.cells(demo)
    assert town["residents"] == pytest.approx(cells.loc[cells["town_id"] == LUJIAZUI, "residents"].sum())
    row = district["by_town"].set_index("unit_id").loc[LUJIAZUI]  # the district's own row for the town
    assert town["share"] == pytest.approx(row["share"]) and town["share"] != pytest.approx(district["share"])
    assert town["by_town"]["unit_id"].tolist() == [LUJIAZUI] and town["level"] == "community"
    coms = set(queries.communities(demo, (LUJIAZUI,))["unit_id"])
    assert set(town["by_unit"]["unit_id"]) <= coms and len(town["by_unit"]) > 1  # its 居村, lowest first
    # an account limited to the town, without a URL filter, sees the same
    assert wall.coverage_data(demo, s, Scope(towns=(LUJIAZUI,)))["stations"] == town["stations"]


# --- qinhuai: 居村 ids repeat street ids ---


@pytest.fixture(scope="module")
def qinhuai_db(tmp_path_factory):
    from tests.districts import qinhuai
    from tests.test_own_district import build

    folder = tmp_path_factory.mktemp("qinhuai")
    fx = qinhuai(folder / "files")
    db = Database(build(fx, folder))
    yield db
    db.close()


def _qinhuai_cases() -> dict[str, set[str]]:
    """Case ids per 居村 by construction (tests/districts.py): case k lies in street/town k % 2, at 300 +
    (k·173 mod 3400) m east of its west edge; 居村 2t+1 is the western 2 km, 2t+2 the eastern."""
    out: dict[str, set[str]] = {}
    for k in range(24):
        town, east = k % 2, 300 + (k * 173) % 3400
        out.setdefault(str(2 * town + (east >= 2000) + 1), set()).add(f"NJ{k:05d}")
    return out


def test_qinhuai_scopes_are_per_level(qinhuai_db):
    db = qinhuai_db
    lo, hi = queries.date_range(db)
    f = Filters(lo, hi)
    by_com = _qinhuai_cases()
    ids = lambda g: set(queries.cases_page(db, g, limit=1000)["case_id"])  # noqa: E731
    # 居村 "2" lies in street/town "1"; street/town "2" holds 居村 "3" and "4"
    assert ids(f.with_(scope=Scope(communities=("2",)))) == by_com["2"]
    assert ids(f.with_(scope=Scope(towns=("2",)))) == by_com["3"] | by_com["4"]
    assert ids(f.with_(scope=Scope(communities=("1",)))) == by_com["1"] != ids(f.with_(scope=Scope(towns=("1",))))
    assert ids(f.with_(scope=Scope(towns=("1",)))) == by_com["1"] | by_com["2"]
    sc = Scope(communities=("2",))
    assert queries.towns(db, scope=sc)["unit_id"].tolist() == ["1"]
    assert queries.communities(db, scope=sc)["unit_id"].tolist() == ["2"]
    names = queries.unit_names(db, scope=sc)
    assert names["town"] == {"1": "秦淮街道"} and names["community"] == {"2": "秦淮西社区"}
    assert set(names["grid"]) == {"2-01", "2-02"}
    other = next(iter(by_com["1"]))
    assert queries.case_detail(db, other, scope=sc).empty
    # a URL's names: 居村 by name, street/town by name, on their own levels
    units = queries.unit_labels(db).itertuples(index=False, name=None)
    out, problems = resolve_units({"town": ["夫子庙街道"], "community": ["秦淮西社区"]}, units)
    assert out == {"town": ["2"], "community": ["2"]} and not problems


def test_account_cli_takes_scopes_by_code_or_name(qinhuai_db, tmp_path, monkeypatch):
    from govdash import accounts, cli

    monkeypatch.setenv("GOVDASH_DB", qinhuai_db.path)
    file = str(tmp_path / "accounts.duckdb")
    run = lambda *a: cli.main(["account", "--accounts-db", file, *a])  # noqa: E731
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("correct horse battery\n" * 4))
    assert run("add", "com2", "--role", "viewer", "--scope-community", "秦淮西社区", "--password-stdin") == 0
    assert run("add", "town1", "--role", "analyst", "--scope-town", "1", "--password-stdin") == 0
    assert run("add", "bad", "--role", "viewer", "--scope-community", "无此社区", "--password-stdin") == 2
    ok = accounts.sign_in(file, "com2", "correct horse battery", at=pd.Timestamp("2026-06-01").to_pydatetime())
    assert ok.ok and ok.principal().scope == Scope(communities=("2",))
    town = accounts.sign_in(file, "town1", "correct horse battery", at=pd.Timestamp("2026-06-01").to_pydatetime())
    assert town.principal().scope == Scope(towns=("1",))
    assert accounts.list_accounts(file).set_index("username").loc["com2", "communities"].tolist() == ["2"]


def test_an_accounts_file_from_before_scopes_still_signs_in(tmp_path):
    """A file with only ``towns`` (made before 居村/department scopes) is read as it is, and migrated on write."""
    import duckdb

    from govdash import accounts

    file = str(tmp_path / "old.duckdb")
    con = duckdb.connect(file)
    con.execute(
        "CREATE TABLE accounts (username VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, towns VARCHAR[] NOT NULL, "
        "password VARCHAR, disabled BOOLEAN NOT NULL DEFAULT false, failed INTEGER NOT NULL DEFAULT 0, "
        "locked_until TIMESTAMP, created_at TIMESTAMP, updated_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO accounts VALUES ('old', 'viewer', ['T1'], $p, false, 0, NULL, NULL, NULL)",
        {"p": accounts.hash_password("correct horse battery")},
    )
    con.close()
    at = pd.Timestamp("2026-06-01").to_pydatetime()
    r = accounts.sign_in(file, "old", "correct horse battery", at=at)
    assert r.ok and r.principal().scope == Scope(towns=("T1",))
    accounts.add(file, "dep", "correct horse battery", "viewer", departments=["D01"], at=at)
    assert accounts.sign_in(file, "dep", "correct horse battery", at=at).principal().scope == Scope(
        departments=("D01",)
    )
    assert accounts.sign_in(file, "old", "correct horse battery", at=at).principal().scope == Scope(towns=("T1",))
    assert Path(file).is_file()


# --- riverton: two levels, no grids, English names, population as census blocks ---


@pytest.fixture(scope="module")
def riverton_db(tmp_path_factory):
    from tests.districts import riverton
    from tests.test_own_district import build

    folder = tmp_path_factory.mktemp("riverton")
    fx = riverton(folder / "files")
    db = Database(build(fx, folder))
    yield fx, db
    db.close()


def test_riverton_wall_for_one_borough_by_its_name(riverton_db):
    """``town=Eastbrook``: read as B2; its wall's coverage counts B2's residents and B2's stations only, and the
    two boroughs' walls add up to the district's."""
    from govdash import settings

    fx, db = riverton_db
    out, problems = resolve_units({"town": ["Eastbrook"]}, queries.unit_labels(db).itertuples(index=False, name=None))
    assert out["town"] == ["B2"] and not problems
    s = settings.load()
    district = wall.coverage_data(db, s)
    parts = {b: wall.coverage_data(db, s, None, Scope(towns=(b,))) for b in ("B1", "B2")}
    assert district and all(parts.values())
    assert sum(p["residents"] for p in parts.values()) == pytest.approx(district["residents"])
    assert sum(p["uncovered"] for p in parts.values()) == pytest.approx(district["uncovered"])
    assert sum(p["stations"] for p in parts.values()) == district["stations"]
    for b, p in parts.items():
        assert p["stations"] == len(queries_map.stations(db, (b,)))
        assert p["by_town"]["unit_id"].tolist() == [b] and p["level"] == "community"
    # a neighbourhood account sees its neighbourhood's cases only, and its borough in the filter bar
    com = queries.communities(db, ("B2",))["unit_id"].iloc[0]
    lo, hi = queries.date_range(db)
    sc = Filters(lo, hi, scope=Scope(communities=(com,)))
    assert queries.towns(db, scope=sc.scope)["unit_id"].tolist() == ["B2"]
    got = queries.cases_page(db, sc, limit=1000)
    assert set(got["community_id"]) <= {com}
    assert len(got) == queries.case_count(db, Filters(lo, hi, communities=(com,)))


def test_a_wall_token_for_one_community(tmp_path):
    """A 居村 station's screen: its device token carries the 居村 scope (``wall-token --scope-community``)."""
    from govdash import accounts

    file = str(tmp_path / "a.duckdb")
    token = accounts.add_wall_token(file, "station", communities=["310115005001"])
    r = accounts.wall_screen(file, token)
    assert r.ok and r.principal().scope == Scope(communities=("310115005001",)) and r.role == "wall"
    assert accounts.wall_tokens(file).iloc[0]["communities"].tolist() == ["310115005001"]
