"""Hardening in a real browser: concurrent deep links on a fresh server; no markup from data or URLs."""

from __future__ import annotations

import pytest

from .conftest import wait_for_app

pytestmark = pytest.mark.browser

DEEP_LINKS = ["/trends?town=310115005", "/map?cat=noise", "/rankings?from=2026-09-01&to=2026-09-30",
              "/lifecycle?channel=hotline_12345", "/heatmap?town=310115005&from=2026-10-01&to=2026-10-31"]
TITLES = {"trends": "办结趋势", "map": "网格地图", "rankings": "红黑榜", "lifecycle": "工单全流程",
          "heatmap": "问题热力图"}


def _exceptions(pg) -> list[str]:
    return [e.inner_text()[:300] for e in pg.locator('[data-testid="stException"]').all()]


def test_five_concurrent_deep_links_on_a_fresh_server(fresh_server, browser):
    """Five first visits at once to different deep links: every one gets its page inside app.py's frame
    (filter bar, title), none the error page (issue 15.8: a race in the pages-folder workaround)."""
    from playwright.sync_api import expect

    from .conftest import VIEWPORT
    contexts = [browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in DEEP_LINKS]
    try:
        pages = [c.new_page() for c in contexts]
        for pg, link in zip(pages, DEEP_LINKS, strict=True):  # all five sessions start before any run ends
            pg.goto(fresh_server.url + link, wait_until="commit")
        with fresh_server.explain():
            for pg, link in zip(pages, DEEP_LINKS, strict=True):
                expect(pg.locator('[data-testid="stSidebar"]')).to_contain_text("筛选", timeout=120_000)
                wait_for_app(pg)
                assert not _exceptions(pg), (link, _exceptions(pg))
                title = TITLES[link[1:].split("?")[0]]
                expect(pg.locator('[data-testid="stMain"] h1').first).to_have_text(title, timeout=30_000)
    finally:
        for c in contexts:
            c.close()
