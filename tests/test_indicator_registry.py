"""One indicator registry: every indicator is written the same on pages, maps, charts, the wall, the briefing and
the CLI, checked against values worked out by hand."""

from __future__ import annotations

import html

import pandas as pd
import pytest
from literal_cases import build_db

from govdash import charts, cli, drill, indicators, maps, queries, settings, ui, wall
from govdash.cli import kpi

# key -> (value, its text by hand): rates are shares written as % with one decimal, scores, hours and
# densities one decimal, counts whole with thousands separators
HAND = {
    "collected": (12345, "12,345"),
    "resolved": (7, "7"),
    "resolution_rate": (0.9932, "99.3%"),
    "on_time_rate": (0.98765, "98.8%"),
    "recognition_rate": (1.0, "100.0%"),
    "dispute_rate": (0.95, "95.0%"),  # the maps' own formatter once wrote "0"
    "satisfaction": (80.62, "80.6"),
    "survey_satisfaction": (80.62, "80.6"),
    "governance_index": (89.32, "89.3"),
    "progress_index": (10.83, "10.8"),
    "in_handling": (59, "59"),
    "due": (1082, "1,082"),
    "median_hours": (23.96, "24.0"),
    "p90_hours": (100, "100.0"),
    "backlog": (1234.0, "1,234"),
    "overdue_at_end": (0, "0"),
    "open": (3, "3"),
    "overdue": (2, "2"),
    "cases_per_1000": (12.34, "12.3"),
    "coverage_share": (0.876, "87.6%"),
    "patrol_found_rate": (0.2841, "28.4%"),
    "patrol_coverage": (0.99, "99.0%"),
    "reports_per_worker": (12.345, "12.3"),
    "residents_per_worker": (1234.4, "1,234"),
}


def test_every_indicator_has_a_hand_worked_text():
    assert set(HAND) == set(indicators.INDICATORS)
    for key, (value, text) in HAND.items():
        assert indicators.fmt(value, key) == text, key
        assert indicators.fmt(None, key) == "—" and indicators.fmt(float("nan"), key) == "—", key


def test_an_unknown_indicator_is_an_error_not_a_guess():
    with pytest.raises(KeyError):
        indicators.fmt(0.5, "no_such_indicator")


def test_every_indicator_has_a_label_and_a_unit_in_both_languages():
    from govdash.i18n import LABELS

    for key, ind in indicators.INDICATORS.items():
        assert key in LABELS and ind.unit in LABELS, key
        assert ind.label("zh") != ind.label("en"), key
        assert ind.kind in ("count", "rate", "score", "hours", "density", "ratio")
        assert ind.direction in ("up", "down", None)
        assert ind.target is None or hasattr(settings.Settings(), ind.target), key


def test_the_pages_edge_writes_what_the_registry_writes():
    for key, (value, text) in HAND.items():
        assert ui.fmt(value, key) == text, key


def test_map_legend_tooltips_labels_and_ranking_write_what_the_registry_writes():
    for key in maps.MAP_INDICATORS:
        value, text = HAND[key]
        legend = maps.color_scale(pd.Series([value, value]), key)[1]
        assert html.escape(text) in maps.legend_html(legend, key, lang="en"), key
        stats = pd.DataFrame(
            {
                "unit_id": ["U1"],
                "town_id": ["T1"],
                "parent_id": ["T1"],
                "name_zh": ["甲"],
                "lon": [121.5],
                "lat": [31.2],
                "residents": [1000],
                "collected": [12345],
                "closed": [99],
                "resolved": [99],
                **{k: [HAND[k][0]] for k in maps.MAP_INDICATORS},
            }
        )
        ranked = drill.ranking(stats, key, lang="en")
        unit = indicators.INDICATORS[key].unit_label("en")
        assert ranked[f"{indicators.INDICATORS[key].label('en')} ({unit})"].tolist() == [text], key
        assert [d["label"] for d in maps._label_layer(stats, key, 12).data] == [f"甲\n{text}"], key
        shapes = pd.DataFrame({"unit_id": ["U1"], "polygon": [[[[121.5, 31.2], [121.51, 31.2], [121.51, 31.21]]]]})
        tip = maps.choropleth(stats, shapes, key, lang="en")[0].layers[0].data[0]["tip"]
        assert f"{indicators.INDICATORS[key].label('en')}: {text}" in tip.split("\n"), key


def test_charts_draw_every_rate_in_percent():
    df = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-01-01", "2026-02-01"]),
            "dispute_rate": [0.95, 0.9],
            "satisfaction": [80.62, 81.0],
        }
    )
    assert list(charts.trend_lines(df, "dispute_rate", target=0.95).data[0].y) == pytest.approx([95.0, 90.0])
    assert list(charts.trend_lines(df, "satisfaction").data[0].y) == pytest.approx([80.62, 81.0])


def test_wall_tiles_and_the_briefings_table_write_what_the_registry_writes():
    now = {k: HAND[k][0] for k in wall.TILES} | {"backlog": HAND["backlog"][0]}
    tiles = wall.tiles(now, now, settings.Settings(), "en")
    assert [tile.value for tile in tiles] == [HAND[k][1] for k in wall.TILES]
    assert tiles[1].target == "target ≥99.0%"
    # the briefing's and the trends page's headline table
    cmp = indicators.comparison(
        now | {"dispute_rate": 0.95},
        {},
        {},
        settings.Settings(),
        "en",
        keys=("collected", "dispute_rate", "satisfaction"),
    )
    assert cmp["value"].tolist() == ["12,345", "95.0%", "80.6"]
    assert cmp["target"].tolist() == ["", "95.0%", "80.0"]


def test_cli_kpi_writes_what_the_registry_writes(tmp_path, monkeypatch, capsys):
    db = build_db(tmp_path / "lit.duckdb")
    path = db.path
    db.close()
    monkeypatch.setattr(queries, "kpis", lambda *a, **k: {key: HAND[key][0] for key in kpi.KPI_KEYS})
    assert cli.main(["kpi", "--db", str(path)]) == 0
    lines = {line.split()[0]: line.split()[-1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines == {key: HAND[key][1] for key in kpi.KPI_KEYS}
