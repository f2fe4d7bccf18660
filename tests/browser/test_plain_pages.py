"""In chromium: natural paths lead to their page, and no page shows a raw Python value in either language."""

from __future__ import annotations

import re

import pytest

from .conftest import wait_for_app

pytestmark = pytest.mark.browser

RAW = re.compile(r"(?<![\w.])(None|NaN|nan|NaT|<NA>|True|False)(?![\w.])")


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/overview", "总览"), ("/index", "总览"), ("/map", "网格地图"), ("/wall", None)],
)
def test_natural_paths_lead_to_their_page(server, page, path, heading):
    with server.explain():
        page.goto(server.url + path)
        wait_for_app(page)
        page.wait_for_timeout(1000)  # "/wall" reruns once as the wall screen
        wait_for_app(page)
        body = page.locator("body").inner_text()
        assert "not found" not in body.lower(), f"{path}: {body[:200]}"
        assert page.url.split("?")[0].endswith(path), page.url
        if heading:
            assert heading in page.locator('[data-testid="stMain"] h1').first.inner_text()
        else:  # the wall screen: its own header and tiles
            assert "mode=wall" in page.url and page.locator(".wall-title").count() == 1
            assert page.locator(".wall-tile").count() >= 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_shows_a_raw_value(server, page, app_page, lang):
    url = server.url + app_page.url()
    url += ("&" if "?" in url else "?") + f"lang={lang}"
    with server.explain():
        page.goto(url)
        wait_for_app(page)
        text = page.locator("body").inner_text()
        found = sorted({m for m in RAW.findall(text) if not (lang == "en" and m == "None")})
        assert not found, f"{app_page.url_path} ({lang}) shows {found}: " + repr(
            [line for line in text.splitlines() if RAW.search(line)][:5]
        )
