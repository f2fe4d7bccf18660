"""One number, one definition (issue 19 item 3): the same quantity through the overview's, the trends page's and
the wall's code paths, on the literal cases (tests/literal_cases.py), with the values worked out by hand.

The view is January 2026 as of 31 March 12:00, so its end (its ``cutoff``) is 1 February 00:00:

case  reported       deadline       closed         open at 1 Feb 00:00   past its deadline then
A01   Jan 5          Jan 8          Jan 6          no
A02   Jan 10         Jan 12 10:00   Jan 12 10:00   no
A03   Jan 30 09:00   Jan 31 09:00   Feb 1 09:00    yes                   yes
A07   Dec 20 2025    Dec 25 2025    Feb 10         yes                   yes
(A04–A06, A08, A09 are reported after 1 February)

so 在办（全部） = 2 and 超期在办（全部） = 2; both count A07, reported in 2025. The cases *reported* in January are all
closed by 31 March, so 在办（本期受理） = 超期在办（本期受理） = 0: the old overview's 0 beside the wall's 2 was this
pair under two names. The period before is December 2025 at the same age (its end 1 January 00:00): only A07
is open then, past its deadline — 1 and 1, so both changes read +100.0%.

The callback score (回访满意度) of February: A08's 100 (A04 and A09 are unrated); January at the same age
(31 March 12:00 − 1 March 00:00 = 30.5 days after 1 February, 3 March 12:00): A01 90, A02 80 and A03 60,
all closed by then, mean 76.67: a change of +23.3 points, never a percentage.
"""

from __future__ import annotations

import re

import pytest
from literal_cases import AS_OF, FEB, JAN, build_db

from govdash import indicators, leader, queries_trend, settings, ui, wall, wall_view
from govdash.i18n import t


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("one") / "one.duckdb")
    yield database
    database.close()


def _overview(db, f, lang: str) -> dict[str, tuple[str, str, str]]:
    """key -> (label, value, change) as pages/overview.py writes its tiles."""
    now, before = leader.overview(db, f, AS_OF)
    return {
        k: (t(k, lang), indicators.fmt(now.get(k), k), ui.delta(now.get(k), before.get(k), k, lang) or "—")
        for k in indicators.INDICATORS
        if k in now
    }


def _trends(db, f, lang: str) -> dict[str, tuple[str, str, str]]:
    """key -> (label, value, change) of the trends page's headline (indicators.headline)."""
    cmp = indicators.headline(db, f, AS_OF, settings.load(), lang)
    return {r.key: (r.indicator, r.value, r.change) for r in cmp.itertuples()}


def _wall(db, f, lang: str) -> dict[str, wall.Tile]:
    return {tile.key: tile for tile in wall.headline(db, f, AS_OF, settings.load(), lang)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overdue_open_reads_the_same_on_the_overview_the_trends_page_and_the_wall(db, lang):
    over, trends, tiles = _overview(db, JAN, lang), _trends(db, JAN, lang), _wall(db, JAN, lang)
    name = t("overdue_at_end", lang)
    assert name == ("超期在办（全部）" if lang == "zh" else "Overdue open (all)")
    want = (name, "2", "+100.0%")  # A03 and A07; December: A07 only
    assert over["overdue_at_end"] == want
    assert trends["overdue_at_end"] == want
    tile = tiles["overdue_at_end"]
    assert (tile.label, tile.value, tile.change) == want
    # 在办（全部）: the overview's tile, the trends page's, and the note under the wall's tile
    open_all = (t("backlog", lang), "2", "+100.0%")
    assert over["backlog"] == open_all == trends["backlog"]
    assert tile.note == f"{open_all[0]} 2"


def test_the_cases_reported_in_the_period_are_a_second_quantity_with_its_own_name(db):
    now = leader.overview(db, JAN, AS_OF)[0]
    # A01–A03, reported in January, are all closed by 31 March: none of January's own cases is open
    assert (now["open"], now["overdue"]) == (0, 0)
    assert (t("open", "zh"), t("overdue", "zh")) == ("在办（本期受理）", "超期在办（本期受理）")
    assert len({t(k, "zh") for k in ("open", "overdue", "backlog", "overdue_at_end")}) == 4


def test_the_trend_charts_last_month_ends_with_the_same_open_cases(db):
    table = indicators.trend_table(db, JAN, "month", AS_OF)
    assert int(table["backlog"].iloc[-1]) == 2  # January's end: A03 and A07


def test_the_walls_towns_add_up_to_its_tile(db):
    """The map's status and the list 超期在办（全部）最多的街镇 count at the tile's instant: T1 has A03, T2 has A07."""
    stats = wall.map_data(db, JAN, AS_OF)["stats"].set_index("unit_id")["overdue"]
    assert stats.to_dict() == {"T1": 1, "T2": 1, "T3": 0}
    assert stats.sum() == queries_trend.stock(db, JAN, AS_OF)["overdue_at_end"] == 2
    html = str(wall_view.lagging_html(wall.map_data(db, JAN, AS_OF)["stats"], "zh"))
    assert t("wall_lagging", "zh").startswith(t("overdue_at_end", "zh")) and t("wall_lagging", "zh") in html


@pytest.mark.parametrize("lang, unit", [("zh", "分"), ("en", "pts")])
def test_a_scores_change_is_in_points_on_every_page_and_the_wall(db, lang, unit):
    want = f"+23.3 {unit}"  # 100 − (90 + 80 + 60) / 3
    assert _overview(db, FEB, lang)["satisfaction"][2] == want
    assert _trends(db, FEB, lang)["satisfaction"][2] == want
    assert _wall(db, FEB, lang)["satisfaction"].change == want
    assert not re.search(r"\d%", want)


def test_the_judged_rates_agree_too(db):
    """解决率 of January over its three cases due (A01–A03, all resolved): 100.0% on every path."""
    assert _overview(db, JAN, "zh")["resolution_rate"][1] == "100.0%"
    assert _trends(db, JAN, "zh")["resolution_rate"][1] == "100.0%"
    assert _wall(db, JAN, "zh")["resolution_rate"].value == "100.0%"
