"""Categories, channels and departments come from the database's catalogue tables, not from the demo generator:
a tiny literal database whose catalogue is not the demo's is named by its own rows everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import app_test
from literal_cases import ALL, AS_OF, build_db

from govdash import briefing, catalogue, indicators, lifecycle, queries_trend

ROOT = Path(__file__).resolve().parent.parent
# not one of these is a demo category or channel (the demo's noise is "噪声扰民", its channels are hotlines…)
CATALOGUE = [
    "DELETE FROM category_names",
    "DELETE FROM channels",  # the literal database's own catalogue, replaced
    "INSERT INTO category_names VALUES ('noise', '噪声', 'Noise'), ('dispute', '邻里纠纷', NULL), "
    "('garbage', '垃圾堆放', 'Rubbish')",
    "INSERT INTO channels VALUES ('hotline_12345', '市民热线', 'Citizen hotline'), ('letter', '来信', 'Letter')",
]


@pytest.fixture(scope="module")
def lit(tmp_path_factory):
    db = build_db(tmp_path_factory.mktemp("cat") / "cat.duckdb", extra_sql=CATALOGUE)
    yield db
    db.close()


def test_the_catalogue_is_read_from_the_database(lit):
    cat = catalogue.read(lit)
    assert cat.codes("category") == ["dispute", "garbage", "noise"]
    assert cat.names("category", "zh") == {"dispute": "邻里纠纷", "garbage": "垃圾堆放", "noise": "噪声"}
    assert cat.names("category", "en") == {"dispute": "邻里纠纷", "garbage": "Rubbish", "noise": "Noise"}  # no en
    assert cat.names("channel", "en") == {"hotline_12345": "Citizen hotline", "letter": "Letter"}
    assert cat.names("department", "en") == {"D01": "Urban", "D02": "Works", "D03": "Ecology"}
    assert cat.name("category", "potholes", "zh") == "potholes"  # a code the catalogue lacks: shown as it is
    assert cat.name("category", None, "zh") == "—"
    with pytest.raises(ValueError, match="not a catalogue"):
        cat.codes("tier")


def test_an_empty_catalogue_names_cases_by_their_codes(tmp_path):
    db = build_db(tmp_path / "bare.duckdb", extra_sql=["DELETE FROM category_names", "DELETE FROM channels"])
    try:
        cat = catalogue.read(db)
        assert cat.codes("category") == [] and cat.name("category", "noise", "en") == "noise"
        assert lifecycle.oldest(db, ALL, AS_OF, lang="en")["category_name"].tolist() == ["noise", "noise"]
    finally:
        db.close()


def test_analyses_name_categories_channels_and_departments_from_the_catalogue(lit):
    cat = catalogue.read(lit)
    assert indicators.series_labels("category", "en", {}, cat) == {
        "dispute": "邻里纠纷",
        "garbage": "Rubbish",
        "noise": "Noise",
    }
    assert indicators.series_labels("channel", "zh", {}, cat) == {"hotline_12345": "市民热线", "letter": "来信"}
    assert indicators.series_labels("department", "zh", {}, cat) == {"D01": "城管", "D02": "建交委", "D03": "环境"}
    oldest = lifecycle.oldest(lit, ALL, AS_OF, lang="zh").set_index("case_id")
    assert oldest.loc["A05", "category_name"] == "噪声" and oldest.loc["A05", "department"] == "城管"
    fields = lifecycle.case_fields(queries_trend.case_timeline(lit, "A03").iloc[0], cat, "en")
    values = dict(zip(fields.iloc[:, 0], fields.iloc[:, 1], strict=True))
    assert values["Category"] == "Rubbish / x" and values["Channel"] == "Citizen hotline"
    assert briefing.anomaly_list(lit, ALL, lang="zh").empty  # nine cases make no spike; it runs on this catalogue


def test_no_page_or_product_module_reads_the_demo_generators_lists():
    pattern = re.compile(
        r"demo\.(CATEGORIES|CHANNELS|CHANNEL_CODES|DEPARTMENTS)|from govdash\.demo import|"
        r"schema\.CHANNELS|import CHANNELS"
    )
    offenders = [
        str(p.relative_to(ROOT))
        for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("govdash/**/*.py"), ROOT / "app.py"]
        if p.name != "demo.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.fixture
def lit_app(lit, monkeypatch):
    monkeypatch.setenv("GOVDASH_DB", lit.path)
    monkeypatch.setenv("GOVDASH_LANG", "zh")
    return lit.path


@pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page
def test_the_filter_bar_and_the_case_table_show_the_databases_catalogue(lit_app):
    at = app_test()
    at.query_params["from"] = "2026-01-01"
    at.query_params["to"] = "2026-03-31"
    at.run()
    at.switch_page("pages/cases.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="w_categories").options == ["邻里纠纷", "垃圾堆放", "噪声"]
    assert at.multiselect(key="w_channels").options == ["市民热线", "来信"]
    assert at.multiselect(key="w_departments").options == ["城管", "建交委", "环境"]
    table = at.dataframe[0].value
    assert set(table["category"]) == {"垃圾堆放", "噪声", "邻里纠纷"}
    assert set(table["channel"]) == {"市民热线"}
