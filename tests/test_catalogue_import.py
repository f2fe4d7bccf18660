"""An import may add catalogue entries (issue 16 item 6): the mapping's [catalogue] says per kind whether an
unknown category, channel or department is a row error (the default) or a new entry; undo removes them again.

Literal CSVs on a two-grid database whose catalogues hold categories noise/garbage, channel hotline and
department D01 (区城管执法局 / Urban Management); the expected entries are read off the CSVs by hand.
"""

from __future__ import annotations

from functools import partial

import duckdb
import pandas as pd
import pytest
import shapely

from govdash import catalogue, ingest
from govdash.db import Database, writer
from govdash.ingest import MappingError

import_cases = partial(ingest.run, "cases", in_place=True)
GRID = shapely.box(121.50, 31.20, 121.51, 31.21)
MAPPING = """
name = "literal"
[columns]
case_id = "id"
reported_at = "reported"
category = "category"
channel = "channel"
department_id = "dept"
[coords]
lon = "lon"
lat = "lat"
"""
ADD = MAPPING + '[catalogue]\ncategory = "add"\nchannel = "add"\ndepartment = "add"\n'
# rows 1-2 known values; row 3 a new category and channel; row 4 the same new category and a new
# department named by its name; row 5 the known department by its English name in another case
CSV = b"""id,reported,category,channel,dept,lon,lat
A1,2024-03-05 10:00,noise,hotline,D01,121.505,31.205
A2,2024-03-05 11:00,garbage,hotline,D01,121.505,31.205
A3,2024-03-05 12:00,pothole,app,D01,121.505,31.205
A4,2024-03-05 13:00,pothole,hotline,Parks Dept,121.505,31.205
A5,2024-03-05 14:00,noise,hotline,urban management,121.505,31.205
"""
NEW = {"category": ["pothole"], "channel": ["app"], "department": ["Parks Dept"]}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "VALUES ('G1', 'grid', 'C1', 'T1', 'C1', '一', $g)",
            {"g": shapely.to_wkb(GRID)},
        )
        con.execute(
            "INSERT INTO categories VALUES ('noise', 'n', '噪声', 'Noise', 'D01', 3), "
            "('garbage', 'g', '垃圾', 'Garbage', 'D01', 2)"
        )
        con.execute("INSERT INTO category_names VALUES ('noise', '噪声', 'Noise'), ('garbage', '垃圾', 'Garbage')")
        con.execute("INSERT INTO channels VALUES ('hotline', '热线', 'Hotline')")
        con.execute("INSERT INTO departments VALUES ('D01', '区城管执法局', 'Urban Management')")
    return path


def _mapping(tmp_path, text: str):
    p = tmp_path / "m.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _table(db, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _catalogues(db) -> dict[str, set[tuple]]:
    return {
        "category": set(_table(db, "SELECT category, name_zh, name_en FROM category_names").itertuples(index=False)),
        "channel": set(_table(db, "SELECT channel, name_zh, name_en FROM channels").itertuples(index=False)),
        "department": set(
            _table(db, "SELECT department_id, name_zh, name_en FROM departments").itertuples(index=False)
        ),
    }


def test_unknown_values_are_row_errors_by_default(db, tmp_path):
    before = _catalogues(db)
    rep = import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, MAPPING))
    assert rep.status == "rejected" and rep.failed == 2  # A3 and A4, lines 4 and 5 of the file
    got = set(zip(rep.errors["row"], rep.errors["rule"], strict=True))
    assert got == {(4, "category_unknown"), (4, "channel_unknown"), (5, "category_unknown"), (5, "department_unknown")}
    assert set(rep.errors.loc[rep.errors["rule"] == "department_unknown", "value"]) == {"Parks Dept"}
    assert _catalogues(db) == before and len(_table(db, "SELECT * FROM cases")) == 0


def test_add_makes_new_entries_labelled_by_their_value_and_undo_removes_them(db, tmp_path):
    before = _catalogues(db)
    rep = import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, ADD))
    assert rep.status == "loaded" and rep.inserted == 5, rep.errors
    assert rep.catalogue_added == NEW
    assert any("pothole" in n and "app" in n and "Parks Dept" in n for n in rep.notes)
    after = _catalogues(db)
    assert after["category"] - before["category"] == {("pothole", "pothole", "pothole")}
    assert after["channel"] - before["channel"] == {("app", "app", "app")}
    assert after["department"] - before["department"] == {("Parks Dept", "Parks Dept", "Parks Dept")}
    cases = _table(db, "SELECT case_id, department_id FROM cases ORDER BY case_id")
    assert list(cases["department_id"]) == ["D01", "D01", "D01", "Parks Dept", "D01"]  # names resolve to ids
    ro = Database(str(db))
    try:
        cat = catalogue.read(ro)
        assert cat.name("category", "pothole", "zh") == "pothole" and cat.name("channel", "app", "en") == "app"
    finally:
        ro.close()
    out = ingest.undo(db, rep.import_id, in_place=True)
    assert out == {"removed": 5, "restored": 0, "catalogue_removed": 3}
    assert _catalogues(db) == before


def test_undo_keeps_an_added_entry_a_later_import_still_uses(db, tmp_path):
    m = _mapping(tmp_path, ADD)
    first = import_cases(db, CSV, name="c.csv", mapping=m)
    later = b"id,reported,category,channel,dept,lon,lat\nB1,2024-03-06 10:00,pothole,hotline,D01,121.505,31.205\n"
    second = import_cases(db, later, name="d.csv", mapping=m)
    assert second.status == "loaded" and second.catalogue_added == {}  # pothole is in the catalogue now
    out = ingest.undo(db, first.import_id, in_place=True)
    assert out["removed"] == 5 and out["catalogue_removed"] == 2  # app and Parks Dept; pothole is B1's
    assert ("pothole", "pothole", "pothole") in _catalogues(db)["category"]


def test_a_dry_run_lists_the_new_entries_and_adds_none(db, tmp_path):
    before = _catalogues(db)
    rep = import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, ADD), dry_run=True)
    assert rep.status == "dry_run" and rep.catalogue_added == NEW
    assert _catalogues(db) == before


def test_a_kind_left_at_error_still_refuses_while_another_adds(db, tmp_path):
    text = MAPPING + '[catalogue]\ncategory = "add"\n'
    rep = import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, text))
    assert rep.status == "rejected"
    assert set(zip(rep.errors["row"], rep.errors["rule"], strict=True)) == {
        (4, "channel_unknown"),
        (5, "department_unknown"),
    }


@pytest.mark.parametrize("section", ['[catalogue]\ncategory = "maybe"\n', '[catalogue]\nstreet = "add"\n'])
def test_a_bad_catalogue_section_is_a_mapping_error(db, tmp_path, section):
    with pytest.raises(MappingError, match="catalogue"):
        import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, MAPPING + section))


def test_added_categories_widen_the_daily_series_bound(db, tmp_path):
    """daily_counts caps its rows at days x (categories + 1) x (towns + 1): added categories count (7 new ones on
    one day in one town are 7 rows; the bound from the two subcategory rows alone would be 1 x 3 x 2 = 6)."""
    from datetime import date

    from govdash import queries_trend
    from govdash.filters import Filters

    rows = "".join(f"N{i},2024-03-05 10:00,kind{i},hotline,D01,121.505,31.205\n" for i in range(7))
    rep = import_cases(
        db, (CSV.splitlines(keepends=True)[0] + rows.encode()), name="n.csv", mapping=_mapping(tmp_path, ADD)
    )
    assert rep.status == "loaded" and len(rep.catalogue_added["category"]) == 7
    ro = Database(str(db))
    try:
        got = queries_trend.daily_counts(ro, Filters(start=date(2024, 3, 5), end=date(2024, 3, 5)))
    finally:
        ro.close()
    assert len(got) == 7 and int(got["count"].sum()) == 7


def test_an_added_entry_is_renamed_from_the_command_line(db, tmp_path, capsys):
    from govdash import cli

    rep = import_cases(db, CSV, name="c.csv", mapping=_mapping(tmp_path, ADD))
    assert rep.status == "loaded"
    argv = ["catalogue", "rename", "category", "pothole", "--zh", "路面坑洼", "--en", "Pothole", "--db", str(db)]
    assert cli.main(argv) == 0
    assert ("pothole", "路面坑洼", "Pothole") in _catalogues(db)["category"]
    assert cli.main(["catalogue", "rename", "channel", "nope", "--zh", "x", "--db", str(db)]) == 2
    assert "no channel 'nope'" in capsys.readouterr().err
    assert ("app", "app", "app") in _catalogues(db)["channel"]  # the others unchanged
