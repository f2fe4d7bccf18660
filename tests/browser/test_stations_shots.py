"""Stations at work and the property red/black list in a real chromium at 1920×1080 (issue 18): the rankings
page's property list and the coverage page's station directory draw, with screenshots."""

from __future__ import annotations

import pytest

from govdash.i18n import t

from .conftest import wait_for_app
from .test_pages import _exceptions, render


def _click(page, role: str, name: str) -> None:
    target = page.get_by_role(role, name=name) if role == "tab" else page.get_by_text(name, exact=True)
    target.first.click()
    page.wait_for_timeout(500)  # the rerun starts
    wait_for_app(page)
    assert not _exceptions(page), _exceptions(page)


def test_property_red_black_list(server, page, screenshots):
    with server.explain():
        render(page, server.url + "/rankings", None, (0, 1))
        _click(page, "text", t("rank_property", "zh"))
        heads = page.locator('[data-testid="stMain"] h3').all_inner_texts()
        assert any(t("prop_red", "zh") in h for h in heads) and any(t("prop_black", "zh") in h for h in heads)
        page.screenshot(path=str(screenshots / "rankings-property.png"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_station_directory_and_stations_at_work(server, page, screenshots, lang):
    with server.explain():
        render(page, server.url + f"/coverage?lang={lang}", None, (1, 0))
        _click(page, "tab", t("tab_directory", lang))
        header = page.locator('th[role="columnheader"]', has_text=t("services_short", lang))
        header.first.wait_for(state="attached", timeout=60_000)
        page.locator('[role="tabpanel"]').last.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"coverage-directory-{lang}.png"))
        # the directory fits the 1920 px screen: every column in view, no sideways scrolling (issue 18)
        grid = page.locator('[data-testid="stDataFrame"]', has=header.first)
        width = grid.first.evaluate(
            """el => { const s = el.querySelector('.dvn-scroller'); const r = el.getBoundingClientRect();
                       return {scroll: s.scrollWidth, client: s.clientWidth, right: r.right}; }"""
        )
        assert width["scroll"] <= width["client"] + 1 and width["right"] <= 1920, width
        _click(page, "tab", t("tab_operations", lang))
        page.get_by_text(t("ops_busiest", lang)).first.wait_for(timeout=60_000)
        page.get_by_text(t("ops_busiest", lang)).first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"coverage-stations-at-work-{lang}.png"))
