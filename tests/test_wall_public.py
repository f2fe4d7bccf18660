"""The public wall is no query interface: its URL picks panels, language and one of a few periods only."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from conftest import app_test

from govdash import settings, wall
from govdash.filters import Filters

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

TOWN = "310115005"
END = date(2026, 11, 15)


def test_days_snap_to_a_bounded_set():
    s = settings.load()
    asked = [wall.state({"days": [str(d)]}, s).days for d in (1, 5, 17, 29, 31, 45, 200, 366, 9999, -3)]
    assert asked == [1, 7, 14, 30, 30, 30, 180, 365, 365, 1]  # nearest of PERIOD_DAYS; the shorter on a tie
    assert wall.state({}, s).days == 0 == s.wall_days  # the last complete month (docs/indicators.md)
    assert wall.state({}, replace(s, wall_days=29)).days == 30


def test_public_wall_ignores_url_filters_and_dates():
    params = {"from": ["2026-01-01"], "to": ["2026-01-31"], "town": [TOWN], "cat": ["noise"]}
    assert wall.wall_filters(params, END, 30, public=True) == Filters(date(2026, 10, 17), END)
    assert wall.wall_filters(params, END, 30).towns == (TOWN,)  # a signed-in wall keeps them


@pytest.mark.parametrize(
    "params",
    [
        {"from": ["2020-01-01"], "to": ["2026-11-15"]},  # longer than MAX_DAYS
        {"from": ["2026-11-01"], "to": ["2027-01-31"]},
    ],
)  # past the data's end
def test_pinned_periods_are_bounded_for_everyone(params):
    assert wall.wall_filters(params, END, 7) == Filters(date(2026, 11, 9), END)


def _period(query: dict) -> str:
    at = app_test()
    for k, v in {"mode": "wall", **query}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    header = next(h.proto.body for h in at.get("html") if "wall-sub" in h.proto.body)
    return re.search(r'class="wall-sub">([^<]*)<', header).group(1)


def test_public_wall_urls_give_the_same_cached_view(app_env, tmp_path, monkeypatch):
    """Unsigned, every URL variant shows the playlist's own view (same filters: the same cache entries)."""
    monkeypatch.setenv("GOVDASH_AUTH", "local")
    monkeypatch.setenv("GOVDASH_ACCOUNTS_DB", str(tmp_path / "accounts.duckdb"))
    monkeypatch.setenv("GOVDASH_WALL_PUBLIC", "1")
    plain = _period({})
    assert plain == "2026-10-01 – 2026-10-31"  # the last complete month
    for query in ({"town": TOWN, "cat": "noise"}, {"from": "2026-01-01", "to": "2026-01-31"}):
        assert _period(query) == plain, query
    assert _period({"days": "29"}) == "2026-10-17 – 2026-11-15"  # 30 days
    assert _period({"days": "17"}) == "2026-11-02 – 2026-11-15"  # 14 days
