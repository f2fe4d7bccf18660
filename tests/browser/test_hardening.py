"""Hardening in a real browser: concurrent deep links on a fresh server; no markup from data or URLs."""

from __future__ import annotations

import pytest

from .conftest import is_local, wait_for_app

pytestmark = pytest.mark.browser

DEEP_LINKS = [
    "/trends?town=310115005",
    "/map?cat=noise",
    "/rankings?from=2026-09-01&to=2026-09-30",
    "/lifecycle?channel=hotline_12345",
    "/heatmap?town=310115005&from=2026-10-01&to=2026-10-31",
]
TITLES = {
    "trends": "办结趋势",
    "map": "网格地图",
    "rankings": "红黑榜",
    "lifecycle": "工单全流程",
    "heatmap": "问题热力图",
}


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


# --- text stays text: link, image and HTML syntax through every data field and URL parameter ---

EVIL_LINK = "[会话过期,点此重新登录](http://evil.example/login)"
EVIL_IMG = "![x](http://evil.example/pixel.png)"
EVIL_HTML = "<img src=http://evil.example/h.png><a href='http://evil.example/a'>点我</a>"
EVIL_AUTO = "http://evil.example/auto www.evil.example"
EVIL_SQL = [
    f"UPDATE units SET name_zh = '甲{EVIL_LINK}', name_en = '{EVIL_IMG}' WHERE unit_id = 'T1'",
    f"UPDATE units SET name_zh = '乙{EVIL_IMG}', name_en = '{EVIL_LINK}' WHERE unit_id = 'T2'",
    f"UPDATE units SET name_zh = '丙{EVIL_HTML.replace(chr(39), chr(39) * 2)}' WHERE unit_id = 'T3'",
    f"UPDATE departments SET name_zh = '城管{EVIL_LINK}', name_en = '{EVIL_HTML.replace(chr(39), chr(39) * 2)}'",
    f"UPDATE cases SET category = '{EVIL_LINK}' WHERE case_id IN ('A01', 'A05')",
    f"UPDATE cases SET channel = '{EVIL_IMG}' WHERE case_id IN ('A02', 'A06')",
    f"UPDATE cases SET case_id = '{EVIL_LINK}' WHERE case_id = 'A05'",
    f"UPDATE cases SET case_id = '{EVIL_IMG}' WHERE case_id = 'A06'",
    f"UPDATE cases SET description = '{EVIL_HTML.replace(chr(39), chr(39) * 2)} {EVIL_AUTO}'",
    "DELETE FROM meta WHERE key = 'as_of'",
]
URL_ATTACKS = {"cat": EVIL_LINK, "dept": EVIL_IMG, "town": EVIL_AUTO, "grid": EVIL_HTML, "lang": EVIL_LINK}
FOREIGN = """() => {
    const local = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
    const out = [];
    for (const el of document.querySelectorAll('a, img, image, iframe, source, video, audio, link, object, embed')) {
        for (const attr of ['href', 'src', 'xlink:href', 'data', 'srcset']) {
            const v = el.getAttribute(attr);
            if (!v) continue;
            let u;
            try { u = new URL(v, location.href); } catch (e) { continue; }
            if (['http:', 'https:'].includes(u.protocol) && !local.has(u.hostname)) out.push(el.tagName + ' ' + v);
        }
    }
    return out;
}"""


@pytest.fixture
def evil_server(tmp_path):
    import sys

    from .conftest import ROOT, Server

    sys.path.insert(0, str(ROOT / "tests"))
    from literal_cases import build_db

    path = tmp_path / "evil.duckdb"
    build_db(path, extra_sql=EVIL_SQL).close()
    s = Server(str(path), tmp_path / "server.log")
    yield s
    s.stop()


def test_no_markup_from_data_or_urls_on_any_page(evil_server, page):
    """Every page (and the map's breadcrumb, the lifecycle timeline, the wall) with hostile names, ids,
    categories, channels, departments, descriptions and URL parameters: no link or image to another
    host in the DOM, and no request leaves the machine."""
    from urllib.parse import urlencode

    from tests.conftest import app_pages

    urls = []
    for p in app_pages():
        base = "/" if p.default else f"/{p.url_path}"
        urls.append(base + "?" + urlencode({**dict(p.query), **URL_ATTACKS}))
        urls.append(base + "?" + urlencode({**dict(p.query), "town": "T1", "from": "2025-12-01", "to": "2026-03-31"}))
    with evil_server.explain():
        for url in urls:
            page.goto(evil_server.url + url)
            wait_for_app(page)
            if "lifecycle" in url and "T1" in url:  # open the oldest case's timeline (its id is a link)
                page.locator('[data-testid="stDataFrame"]').first.wait_for()
            found = page.evaluate(FOREIGN)
            assert not found, (url, found)
            assert not _exceptions(page), (url, _exceptions(page))
    foreign = [u for u in page.requests if not is_local(u)]  # recorded, then aborted by the fixture
    assert not foreign, foreign
