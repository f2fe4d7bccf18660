"""The coverage page on a district with no population: it says so and shows coverage by area and by community."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import app_test

from govdash import indicators, settings
from govdash.i18n import t
from tests.districts import riverton
from tests.test_own_district import build


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riverton")
    fx = riverton(folder / "files")
    del fx.files["population"]  # units, cases and stations: no population
    return build(fx, folder)


def _expected_share() -> float:
    """Cells of 100 m within the straight-line 15-minute radius of riverton's two stations, of its 2,400 cells.

    Both stations stand on lattice corners more than the radius from every edge (1 km, 1 km; 1.5 km, 1 km), so
    each reaches the same whole disc of cell centres (offset 50 m from the corner) and the discs do not meet.
    """
    s = settings.load()
    radius = 15 / 60 * s.walk_kmh * 1000 / s.circuity
    centres = np.arange(-2000, 2000, 100) + 50.0
    gx, gy = np.meshgrid(centres, centres)
    return 2 * int((np.hypot(gx, gy) <= radius).sum()) / 2400


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coverage_by_area_and_by_community_without_population(db, lang, monkeypatch, navigation_mode):
    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "15")
    monkeypatch.delenv("GOVDASH_NETWORK_FILE", raising=False)
    at = app_test()
    at.run()
    at.switch_page("pages/coverage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] == [t("cov_no_population", lang)]
    assert at.subheader[0].value == t("cov_area_title", lang)
    shown = {m.label: m.value for m in at.metric}
    share = _expected_share()
    assert shown[t("cov_area_share", lang).format(m=15)] == indicators.fmt(share, "resolution_rate")
    assert shown[t("cov_units_with_station", lang)] == "2 / 4"  # B1-S and B2-N hold the two stations
    assert shown[t("cov_area_km2", lang)] == "24.00"
    table = at.dataframe[0].value
    assert list(table["has_station"]) == [t("no", lang), t("no", lang), t("yes", lang), t("yes", lang)]  # 否/是
    assert sorted(table["stations"]) == [0, 0, 1, 1]
    # each station's disc lies in its own community: half the district's covered cells each, of 600
    got = dict(zip(table["community"], table["share"], strict=True))
    assert got["Westfield South"] == pytest.approx(share * 2400 / 2 / 600)
    assert got["Westfield North"] == 0.0
