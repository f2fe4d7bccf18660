"""Stations at work and the property red/black list in a real chromium at 1920×1080 (issue 18): the rankings
page's property list and the coverage page's station directory draw, with screenshots."""

from __future__ import annotations

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


def test_station_directory_and_stations_at_work(server, page, screenshots):
    with server.explain():
        render(page, server.url + "/coverage", None, (1, 0))
        _click(page, "tab", t("tab_directory", "zh"))
        header = page.locator('th[role="columnheader"]', has_text=t("ops_services", "zh"))
        header.first.wait_for(state="attached", timeout=60_000)
        page.locator('[role="tabpanel"]').last.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "coverage-directory.png"))
        _click(page, "tab", t("tab_operations", "zh"))
        page.get_by_text(t("ops_busiest", "zh")).first.wait_for(timeout=60_000)
        page.get_by_text(t("ops_busiest", "zh")).first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "coverage-stations-at-work.png"))
