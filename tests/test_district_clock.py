"""Clocks follow the district (issue 16 item 7): no Shanghai time at run time on a district elsewhere.

Riverton (tests/districts.py) is in Los Angeles: its wall clock, the trusted window's bound and the
wall's ticking script are in America/Los_Angeles, and the feed's jitter is metres at its latitude.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from conftest import app_test
from pyproj import Geod

from govdash import district_record, feed, queries, wall, wall_view
from govdash.db import Database
from tests.districts import riverton
from tests.test_own_district import build

LA = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def river(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riverton")
    fx = riverton(folder / "files")
    return fx, build(fx, folder)


def _near(got: datetime, zone: ZoneInfo) -> bool:
    return abs(got - datetime.now(zone).replace(tzinfo=None)) < timedelta(minutes=2)


def test_the_clock_is_the_districts_zone(river):
    fx, path = river
    db = Database(path)
    try:
        assert fx.timezone == "America/Los_Angeles"
        assert queries.district_timezone(db) == "America/Los_Angeles"
        assert district_record.read(db).timezone == "America/Los_Angeles"
        # Los Angeles is 15 or 16 hours behind Shanghai: the clock is LA's, not Shanghai's
        assert _near(queries.clock(db), LA) and not _near(queries.clock(db), SHANGHAI)
        assert _near(queries.trusted_window(db)["hi"] - queries.FUTURE_SLACK, LA)
        assert _near(wall.local_now(district_record.read(db).timezone), LA)
    finally:
        db.close()


def test_as_of_clock_mode_is_los_angeles_time(river, monkeypatch):
    _, path = river
    monkeypatch.setenv("GOVDASH_AS_OF", "clock")
    db = Database(path)
    try:
        assert _near(queries.as_of(db), LA)
    finally:
        db.close()


def test_a_database_without_a_record_uses_the_setting(monkeypatch):
    monkeypatch.setenv("GOVDASH_TIMEZONE", "Europe/Lisbon")
    assert district_record.District().timezone == "Europe/Lisbon"


def test_the_wall_clock_script_ticks_in_the_zone_it_is_given():
    html = str(wall_view.clock_script("America/Los_Angeles"))
    assert '"America/Los_Angeles"' in html and "Shanghai" not in html


def test_the_wall_page_ticks_in_los_angeles(river, monkeypatch, navigation_mode):
    _, path = river
    monkeypatch.setenv("GOVDASH_DB", path)
    at = app_test()
    at.query_params["mode"] = "wall"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    html = " ".join(h.proto.body for h in at.get("html"))
    assert "America/Los_Angeles" in html and "Asia/Shanghai" not in html


def test_feed_jitter_is_metres_at_the_templates_latitude():
    # a Los Angeles template (34° N): within JITTER_M metres along each axis on the ellipsoid
    t = pd.DataFrame({"lon": [-118.25], "lat": [34.05], "channel": ["x"], "category": ["y"]})
    out = feed.new_cases(t, datetime(2026, 3, 1, 12), 50, np.random.default_rng(2), span_s=10)
    geod = Geod(ellps="WGS84")
    _, _, east = geod.inv(np.full(50, -118.25), np.full(50, 34.05), out["lon"].to_numpy(), np.full(50, 34.05))
    _, _, north = geod.inv(np.full(50, -118.25), np.full(50, 34.05), np.full(50, -118.25), out["lat"].to_numpy())
    assert east.max() <= feed.JITTER_M * 1.001 and north.max() <= feed.JITTER_M * 1.001
    assert east.max() > feed.JITTER_M * 0.8 and north.max() > feed.JITTER_M * 0.8


def test_import_times_are_the_districts_clock(river):
    from govdash import ingest

    _, path = river
    db = Database(path)
    try:
        listed = ingest.listing(db)
    finally:
        db.close()
    # the fixture's imports ran moments ago: their times are Los Angeles time, not Shanghai's
    started = [t.to_pydatetime() for t in pd.to_datetime(listed["started_at"])]
    assert started and all(abs(t - datetime.now(LA).replace(tzinfo=None)) < timedelta(hours=1) for t in started)
