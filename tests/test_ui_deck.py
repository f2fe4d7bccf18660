"""Decks built once per view (ui_deck.deck): the frozen deck is the deck's own JSON, frames are keyed by content,
and a rerun of the heatmap or map page reuses the deck instead of building it again."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import app_test

from govdash import maps, maps_heat, ui_deck

pytestmark = pytest.mark.usefixtures("navigation_mode")

BINS = pd.DataFrame({"lon": [121.5, 121.51], "lat": [31.2, 31.2], "count": [3, 7]})
OUTLINE = pd.DataFrame({"polygon": [[[[121.5, 31.2], [121.52, 31.2], [121.52, 31.21], [121.5, 31.2]]]]})


def test_frozen_deck_is_the_decks_json_and_tooltip():
    deck = maps_heat.heat_deck(BINS, cell_m=1000.0, vmax=7.0, outline=OUTLINE)
    frozen = maps.FrozenDeck(deck)
    assert frozen.to_json() == deck.to_json()
    assert frozen._tooltip == deck._tooltip and frozen._tooltip["text"] == "{tip}"
    assert frozen.layers is None  # nothing for Streamlit to convert again
    spec = json.loads(frozen.to_json())
    assert [layer["id"] for layer in spec["layers"]] == ["outline", "density"]


def test_frame_digest_follows_the_content():
    same = OUTLINE.copy(deep=True)
    moved = pd.DataFrame({"polygon": [[[[121.5, 31.2], [121.52, 31.2], [121.52, 31.22], [121.5, 31.2]]]]})
    assert ui_deck.frame_digest(OUTLINE) == ui_deck.frame_digest(same)
    assert ui_deck.frame_digest(OUTLINE) != ui_deck.frame_digest(moved)
    assert ui_deck.frame_digest(BINS) != ui_deck.frame_digest(BINS.assign(count=[3, 8]))


def _counting(monkeypatch, module, name: str) -> list:
    calls, real = [], getattr(module, name)

    def build(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, build)
    return calls


def _decks(at) -> list[str]:
    return [d.proto.json for d in at.get("deck_gl_json_chart")]


@pytest.mark.parametrize(
    ("page", "module", "builder"), [("heatmap", maps_heat, "heat_deck"), ("map", maps, "choropleth")]
)
def test_a_rerun_reuses_the_deck(app_env, monkeypatch, page, module, builder):
    ui_deck._deck.clear()
    calls = _counting(monkeypatch, module, builder)
    at = app_test()
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    first = _decks(at)
    assert len(first) == 1 and len(calls) == 1
    at.run()  # the same view again (an interaction elsewhere on the page, a rerun)
    assert _decks(at) == first and len(calls) == 1
    ui_deck._deck.clear()
    at.run()
    assert _decks(at) == first and len(calls) == 2  # built again from the same frames: the same spec


def test_another_view_builds_another_deck(app_env, monkeypatch):
    ui_deck._deck.clear()
    calls = _counting(monkeypatch, maps_heat, "heat_deck")
    at = app_test()
    at.run()
    at.switch_page("pages/heatmap.py").run()
    first = _decks(at)
    at.select_slider(key="heat_cell").set_value(1600).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(calls) == 2 and _decks(at) != first
    assert json.loads(_decks(at)[0])["layers"][-1]["cellSize"] == 1600.0


def test_hot_spots_run_on_finer_squares_than_the_density_view(app_env):
    """The density view carries at most heatmap.MAX_BINS squares; Gi* reads up to ANALYSIS_BINS and the map draws
    only the significant ones (at most maps_heat.SPOTS_DRAWN)."""
    from govdash import heatmap

    at = app_test()
    at.run()
    at.switch_page("pages/heatmap.py").run()
    density = json.loads(_decks(at)[0])["layers"][-1]
    at.segmented_control(key="heat_mode").set_value("hot_spots").run()
    assert not at.exception, [e.value for e in at.exception]
    spots = json.loads(_decks(at)[0])["layers"][-1]
    assert (density["id"], spots["id"]) == ("density", "hotspots")
    assert spots["cellSize"] < density["cellSize"]
    assert 0 < len(spots["data"]) <= maps_heat.SPOTS_DRAWN
    assert len(density["data"]) <= heatmap.MAX_BINS
