"""The non-Pudong fixture districts hold the answers they claim (checked by independent means)."""

from __future__ import annotations

import csv
import json

import pytest
import shapely
from pyproj import Transformer
from shapely.ops import transform

from tests.districts import qinhuai, riverton


@pytest.fixture(params=["riverton", "qinhuai"])
def fx(request, tmp_path):
    return {"riverton": riverton, "qinhuai": qinhuai}[request.param](tmp_path)


def test_areas_are_the_rectangles_they_were_drawn_as(fx):
    # a 3 km x 2 km (riverton) or 2 km x 4 km (qinhuai) community is 6 / 8 km2 in its UTM zone;
    # the geodesic area differs by the zone's scale factor only (well under 0.2 %)
    expected = 6.0 if fx.name == "riverton" else 8.0
    comms = {k: v for k, v in fx.area_km2.items() if k.startswith("community:")}
    assert len(comms) == 4
    for area in comms.values():
        assert area == pytest.approx(expected, rel=2e-3)


def test_the_demo_crs_would_distort_riverton(tmp_path):
    # what the fixture is for: measured in UTM 51N (the demo's zone), Los Angeles is far too large
    fx = riverton(tmp_path)
    feats = json.loads(fx.files["towns"].read_text())["features"]
    poly = shapely.geometry.shape(feats[0]["geometry"])
    wrong = transform(Transformer.from_crs(4326, 32651, always_xy=True).transform, poly).area / 1e6
    assert wrong > 1.5 * fx.area_km2["town:B1"]


def test_cases_file_counts(fx):
    with open(fx.files["cases"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(fx.cases_by_town.values()) == fx.located_cases + fx.unlocated_cases


def test_network_is_a_lattice(fx):
    text = fx.files["network"].read_text()
    cols, rows = (13, 9) if fx.name == "riverton" else (17, 9)
    assert text.count("<node ") == cols * rows
    assert text.count("<way ") == cols + rows
