"""Cases located by a unit's name have no point (issue 16 item 4): point maps say how many are not drawn, and
a district without a grid level lists its lowest level where the heatmap listed grids.

Riverton (tests/districts.py): 30 cases with a point and 10 named only by their borough (7 in Westfield B1,
3 in Eastbrook B2), two levels (boroughs, neighbourhoods), no grids.
"""

from __future__ import annotations

import pytest
from conftest import app_pages, app_test

from govdash import cli, queries_map
from govdash.db import Database
from govdash.filters import Filters
from tests.districts import riverton
from tests.test_own_district import MAPPINGS, PLURAL, _read

pytestmark = pytest.mark.usefixtures("navigation_mode")


@pytest.fixture(scope="module")
def river(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riverton")
    fx = riverton(folder / "files")
    db = str(folder / "riverton.duckdb")
    assert cli.main(["init", "--db", db, "--name", "里弗顿", "--name-en", "Riverton", "--timezone", fx.timezone]) == 0
    for level in fx.levels:
        assert cli.main(["import", "units", str(fx.files[PLURAL[level]]), "--db", db, "--level", level]) == 0
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPINGS["riverton"] + '[area]\ntown = "Borough"\n', encoding="utf-8")
    assert cli.main(["import", "cases", str(fx.files["cases"]), "--db", db, "--mapping", str(mapping)]) == 0
    span = _read(db, "SELECT min(reported_at)::DATE AS a, max(reported_at)::DATE AS b FROM cases").iloc[0]
    return fx, db, {"from": f"{span['a']:%Y-%m-%d}", "to": f"{span['b']:%Y-%m-%d}"}


def _page(monkeypatch, db: str, url_path: str, query: dict, lang: str):
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    page = next(p for p in app_pages() if p.url_path == url_path)
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_unlocated_counts(river):
    fx, db, q = river
    assert fx.unlocated_cases == 10
    con = Database(db)
    try:
        from datetime import date

        f = Filters(start=date.fromisoformat(q["from"]), end=date.fromisoformat(q["to"]))
        assert queries_map.unlocated(con, f) == 10  # no point: on no point map
        assert queries_map.unlocated(con, f, "town") == 0  # each named its borough: counted there
        assert queries_map.unlocated(con, f, "community") == 10  # but in no neighbourhood
        assert queries_map.unlocated(con, Filters(start=f.start, end=f.end, towns=("B2",)), "community") == 3
    finally:
        con.close()


@pytest.mark.parametrize(
    ("lang", "heat", "level"),
    [
        ("en", "10 cases without a location", "10 cases without a location count only for a higher level"),
        ("zh", "另有 10 件工单无位置", "10 件工单无位置，只计入上级单元"),
    ],
)
def test_point_maps_say_how_many_cases_are_not_drawn(river, monkeypatch, lang, heat, level):
    _, db, q = river
    at = _page(monkeypatch, db, "heatmap", q, lang)
    assert any(heat in c.value for c in at.caption), [c.value for c in at.caption]
    # the map page at the neighbourhood level: the borough-named cases are in none of them
    at = _page(monkeypatch, db, "map", q, lang)
    at.segmented_control(key="map_level").set_value("community").run()
    assert not at.exception
    assert any(level in c.value for c in at.caption), [c.value for c in at.caption]


def test_the_heatmap_lists_the_lowest_level_without_grids(river, monkeypatch):
    fx, db, q = river
    at = _page(monkeypatch, db, "heatmap", q, "en")
    assert "grid" not in fx.levels
    title = next(m.value for m in at.markdown if "Most cases by" in m.value)
    table = next(d.value for d in at.dataframe if "Where" in d.value.columns or len(d.value.columns) == 3)
    assert len(table) > 0, title  # neighbourhoods with their cases, not an empty grid table
    points = _read(db, "SELECT community_id, count(*) AS n FROM cases WHERE community_id IS NOT NULL GROUP BY 1")
    assert int(table.iloc[:, 1].max()) == int(points["n"].max())


def test_repeat_complaints_group_by_the_lowest_level_without_grids(river, monkeypatch):
    from datetime import date

    _, db, q = river
    con = Database(db)
    try:
        f = Filters(start=date.fromisoformat(q["from"]), end=date.fromisoformat(q["to"]))
        got = queries_map.repeat_candidates(con, f).set_index("case_id")["grid_id"]
    finally:
        con.close()
    want = _read(db, "SELECT case_id, community_id FROM cases").set_index("case_id")["community_id"]
    assert got.notna().sum() == 30 and (got.dropna() == want.loc[got.dropna().index]).all()  # neighbourhoods
    at = _page(monkeypatch, db, "heatmap", q, "en")
    at.segmented_control(key="heat_mode").set_value("repeat_complaints").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Grid" not in at.dataframe[-1].value.columns
