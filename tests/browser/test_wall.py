"""The wall screen in chromium: 1080p and 4K screenshots, no scrollbars, live cases, rotation, server restart."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import Error as PlaywrightError

from .conftest import ROOT, _free_port, is_local, wait_for_app

pytestmark = pytest.mark.browser

REFRESH_S = 3
TOWN, TOWN_NAME = "310115005", "陆家嘴街道"
DECK = '[data-testid="stDeckGlJsonChart"]'
PLOTLY = '[data-testid="stPlotlyChart"]'


class WallServer:
    """``streamlit run app.py`` on a fixed port (so it can be restarted in place) with a short refresh."""

    def __init__(self, db: str, log_dir):
        self.db, self.log_dir, self.port = db, log_dir, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.start()

    def start(self) -> None:
        env = {
            **os.environ,
            "GOVDASH_DB": self.db,
            "GOVDASH_REFRESH_SECONDS": str(REFRESH_S),
            "GOVDASH_ROTATE_SECONDS": "30",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        env.pop("GOVDASH_WALL", None)
        self._log = open(self.log_dir / f"server-{time.monotonic_ns()}.log", "wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("streamlit did not become healthy")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def live_db(demo_db, tmp_path_factory) -> str:
    """A copy of the demo database that the tests write to while the wall shows it."""
    path = tmp_path_factory.mktemp("wall") / "live.duckdb"
    shutil.copyfile(demo_db, path)
    return str(path)


@pytest.fixture(scope="module")
def wall_server(live_db, tmp_path_factory):
    s = WallServer(live_db, tmp_path_factory.mktemp("wall-logs"))
    yield s
    s.stop()


def _context(browser, width: int, height: int):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", service_workers="block")
    ctx.requests = []
    ctx.on("request", lambda r: ctx.requests.append(r.url))
    ctx.route(lambda url: not is_local(url), lambda route: route.abort())
    return ctx


def _open(pg, url: str, timeout_s: float = 180) -> None:
    """Load the wall and wait for it; the page reloads itself once when the screen is not 1080p (scale cookie)."""
    pg.goto(url)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            pg.wait_for_selector(".wall-tiles", timeout=30_000)
            wait_for_app(pg, timeout_s=60)
            scale = min(pg.evaluate("innerWidth") / 1920, pg.evaluate("innerHeight") / 1080)
            cookie = pg.evaluate("document.cookie")
            if (
                scale == 1
                or f"govdash_wall_scale={scale:g}" in cookie
                and pg.evaluate("performance.getEntriesByType('navigation')[0].type") == "reload"
            ):
                return
        except PlaywrightError:  # the context went away in the reload: look again
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"wall did not settle at {url}")
        time.sleep(0.5)


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 120))
    return len(img.getcolors(maxcolors=160 * 120))


def _wait_drawn(locator, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while _distinct_colours(locator.screenshot(timeout=120_000)) <= 8:
        assert time.monotonic() < deadline, "map stayed blank"
        time.sleep(1)


def _layout(pg) -> dict:
    return pg.evaluate("""() => {
        const box = s => { const e = document.querySelector(s); if (!e) return null;
                           const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left,
                           right: r.right, width: r.width, height: r.height}; };
        const main = document.querySelector('[data-testid="stMain"]');
        return {doc: document.documentElement.scrollHeight, docW: document.documentElement.scrollWidth,
                inner: innerHeight, innerW: innerWidth, main: main.scrollHeight, mainClient: main.clientHeight,
                header: box('.wall-top'), left: box('.wall-left'), right: box('.wall-right'),
                playbar: box('.wall-playlist'), tiles: box('.wall-tiles'), stage: box('.st-key-wall-stage'),
                ticker: box('.wall-ticker'), sidebar: !!document.querySelector('[data-testid="stSidebar"]'),
                toolbar: [...document.querySelectorAll('[data-testid="stToolbar"], [data-testid="stHeader"]')]
                    .some(e => e.getBoundingClientRect().height > 0 && getComputedStyle(e).display !== 'none'),
                cjk: document.fonts.check('20px "WenQuanYi Micro Hei"', '浦东'),
                plot: box('[data-testid="stPlotlyChart"] .main-svg'), plotBox: box('[data-testid="stPlotlyChart"]'),
                deck: box('[data-testid="stDeckGlJsonChart"]'),
                tileFont: parseFloat(getComputedStyle(document.querySelector('.wall-tile-value')).fontSize)};
    }""")


def _check_screen(pg, ctx) -> dict:
    lay = _layout(pg)
    # no scrollbars: neither the document nor Streamlit's scrolling main area overflows
    assert lay["doc"] <= lay["inner"] and lay["docW"] <= lay["innerW"], lay
    assert lay["main"] <= lay["mainClient"] + 1, lay
    # chrome-free, in order, nothing overlapping or off screen
    assert not lay["sidebar"] and not lay["toolbar"], lay
    assert lay["header"]["bottom"] <= lay["tiles"]["top"] <= lay["tiles"]["bottom"] <= lay["stage"]["top"], lay
    if lay["playbar"]:  # the playlist bar sits between the title and the clock, covering neither
        assert lay["left"]["right"] < lay["playbar"]["left"] < lay["playbar"]["right"] < lay["right"]["left"], lay
    assert lay["stage"]["bottom"] <= lay["ticker"]["top"] and lay["ticker"]["bottom"] <= lay["inner"] + 0.5, lay
    # the plot fills its box at any screen size (drawn for 1080p x scale)
    if lay["plot"]:
        assert abs(lay["plot"]["width"] - lay["plotBox"]["width"]) <= 4, lay
    assert lay["cjk"], "no CJK font: Chinese would render as boxes"
    assert not pg.locator('[data-testid="stException"]').count()
    assert not pg.locator(".wall-nodata").count(), pg.locator(".wall-nodata").first.inner_text()
    external = sorted({u for u in ctx.requests if not is_local(u)})
    assert not external, external
    return lay


@pytest.mark.parametrize(("width", "height", "name"), [(1920, 1080, "wall_1080"), (3840, 2160, "wall_4k")])
def test_wall_screenshots(browser, wall_server, width, height, name, screenshots):
    ctx = _context(browser, width, height)
    try:
        pg = ctx.new_page()
        # a still screen: with the test server's 3 s refresh a loaded machine would never see the run end
        _open(pg, wall_server.url + "/?mode=wall&panels=overview&refresh=600")
        _wait_drawn(pg.locator(DECK).first)
        assert pg.locator(f"{PLOTLY} g.trace").count() >= 3
        assert pg.locator(".wall-tile").count() == 8 and pg.locator(".wall-ticker-copy > span").count() >= 1
        lay = _check_screen(pg, ctx)
        # type scales with the screen: tile values are ~2.9 % of the width
        assert abs(lay["tileFont"] - 0.026 * width) < 2, lay["tileFont"]  # 2.6 u: eight tiles in one row
        pg.screenshot(path=str(screenshots / f"{name}.png"), timeout=180_000)
    finally:
        ctx.close()


def test_must_report_panel_is_legible_at_1080p(browser, wall_server, screenshots):
    """八必报 on the wall (issue 17 item 4): the eight items and the streets/towns fit the stage, every text ≥ 24 px."""
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, wall_server.url + "/?mode=wall&panels=must_report&refresh=600")
        pg.wait_for_selector(".wall-mr-list", timeout=120_000)
        assert pg.locator(".wall-mr-list").first.locator("tr").count() == 9  # a header and the eight items
        _check_screen(pg, ctx)
        sizes = pg.evaluate("""() => [...document.querySelectorAll('.wall-mr, .wall-mr *')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize))""")
        assert sizes and min(sizes) >= 24, sorted(sizes)[:5]
        panel = pg.locator(".wall-mr").first.bounding_box()
        ticker = pg.locator(".wall-ticker").first.bounding_box()
        assert panel["y"] + panel["height"] <= ticker["y"], (panel, ticker)
        pg.screenshot(path=str(screenshots / "wall_must_report_1080.png"), timeout=180_000)
    finally:
        ctx.close()


# every visible text node of the page (HTML and plotly's SVG), with its computed font size in CSS px
TEXT_SIZES = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const out = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walker.nextNode())) {
        const text = n.textContent.trim();
        const el = n.parentElement;
        if (!text || !el || el.closest('script, style')) continue;
        const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
        if (r.width < 1 || r.height < 1 || cs.visibility === 'hidden' || +cs.opacity === 0) continue;
        if (r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) continue;
        out.push([parseFloat(cs.fontSize), text.slice(0, 40)]);
    }
    return out;
}"""


@pytest.mark.parametrize("panel", ["overview", "map", "trend", "coverage"])
def test_no_text_under_24px_at_1080p(browser, wall_server, panel):
    """Legible from 5 m on one 1080p TV (issue 19 item 5): every text on the wall, each panel, ≥ 24 px."""
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, wall_server.url + f"/?mode=wall&panels={panel}&refresh=600")
        if panel in ("overview", "trend"):
            pg.locator(f"{PLOTLY} g.trace").first.wait_for(state="attached", timeout=120_000)
        _check_screen(pg, ctx)
        sizes = pg.evaluate(TEXT_SIZES)
        assert len(sizes) > 20, sizes  # the header, eight tiles and the panel
        small = sorted({(round(px, 1), text) for px, text in sizes if px < 24})
        assert not small, f"{panel}: {small[:10]}"
    finally:
        ctx.close()


# every visible text node of the page (HTML and plotly's SVG) outside the header and the ticker whose box runs
# below the ticker's top edge: text half under the ticker, or cut off by the stage above it
UNDER_TICKER = """() => {
    const top = document.querySelector('.wall-ticker').getBoundingClientRect().top;
    const main = document.querySelector('[data-testid="stMain"]');
    const out = [];
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walker.nextNode())) {
        const text = n.textContent.trim();
        const el = n.parentElement;
        if (!text || !el || el.closest('script, style, .wall-ticker, .wall-top, .wall-playbar')) continue;
        const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
        if (r.width < 1 || r.height < 1 || cs.visibility === 'hidden' || cs.display === 'none') continue;
        if (r.bottom > top + 0.5) out.push([Math.round(r.top), Math.round(r.bottom), text.slice(0, 30)]);
    }
    return {top, out};
}"""


@pytest.mark.parametrize("panel", ["overview", "map", "trend", "coverage", "must_report"])
def test_no_text_runs_under_the_ticker_at_1080p(browser, wall_server, panel):
    """Issue 19: the last row of 超期在办最多的街镇 sat half under the ticker at 1920×1080, and the overview map's
    legend wrapped beneath it. Every text box of every panel ends above the ticker's top edge."""
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, wall_server.url + f"/?mode=wall&panels={panel}&refresh=600")
        if panel in ("overview", "trend"):
            pg.locator(f"{PLOTLY} g.trace").first.wait_for(state="attached", timeout=120_000)
        seen = pg.evaluate(UNDER_TICKER)
        assert seen["top"] > 900, seen  # the ticker is at the bottom of the screen
        assert not seen["out"], f"{panel}: {seen['out'][:10]}"
    finally:
        ctx.close()


def test_the_wall_opened_for_one_town_by_its_name(browser, wall_server, live_db, screenshots):
    """Issue 18: ``?mode=wall&town=陆家嘴街道`` is that street's wall: its name in the header, its own stations and
    coverage (not the district's 1,321 stations and 95 %), no warning; the figures as govdash.wall computes them."""
    from govdash import settings, wall
    from govdash.db import Database
    from govdash.filters import Scope

    db = Database(live_db)
    try:
        want = wall.coverage_data(db, settings.load(), None, Scope(towns=(TOWN,)))
        district = wall.coverage_data(db, settings.load())
    finally:
        db.close()
    assert want["stations"] < district["stations"]
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, wall_server.url + f"/?mode=wall&panels=coverage&refresh=600&town={TOWN_NAME}")
        pg.wait_for_selector(".wall-big", timeout=120_000)
        _check_screen(pg, ctx)
        assert TOWN_NAME in pg.locator(".wall-top").inner_text() and not pg.locator(".wall-notice").count()
        card = pg.locator(".wall-card").first.inner_text()
        # doorstep stations and street/town centres are named apart on the card (issue 19 item 3)
        assert f"{want['share'] * 100:.1f}%" in card and f"{want['doorstep']:,}\n" in card + "\n", card
        assert want["doorstep"] + want["centre"] == want["stations"], want
        assert f"{district['doorstep']:,}" not in card and f"{district['share'] * 100:.1f}%" not in card, card
        pg.screenshot(path=str(screenshots / "wall_one_town_1080.png"), timeout=180_000)
    finally:
        ctx.close()


def _collected(pg) -> int:
    return int(pg.locator('.wall-tile[data-key="collected"] .wall-tile-value').inner_text().replace(",", ""))


def _wait_for(pg, predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _feed(db: str, seed: int) -> int:
    """Run ``python -m govdash feed`` for 2 s in another process; the number of new cases it wrote (> 0)."""
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "govdash",
            "feed",
            "--db",
            db,
            "--rate",
            "120",
            "--changes",
            "0",
            "--every",
            "1",
            "--duration",
            "2",
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    added = int(re.search(r"(\d+) new", res.stderr.splitlines()[-1]).group(1))
    assert added > 0
    return added


def test_case_imported_while_the_wall_runs_appears_without_reload(browser, wall_server, live_db):
    from govdash import feed
    from govdash.db import Database

    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, wall_server.url + "/?mode=wall&panels=overview&days=7")  # rolling: new cases count
        pg.evaluate("window.__wallMarker = 42")  # a reload would lose it
        before, as_of_text = _collected(pg), pg.locator(".wall-asof b").inner_text()
        ro = Database(live_db)
        at = feed.data_clock(ro)
        ro.close()
        # one new case, written by this (other) process through the import path while the server reads
        rep = feed.batch(live_db, new=1, changes=0, at=at, rng=np.random.default_rng(7), span_s=30)
        assert rep.inserted == 1
        new_id = Database(live_db).scalar("SELECT case_id FROM cases WHERE import_id = $i", {"i": rep.import_id})
        _wait_for(pg, lambda: _collected(pg) == before + 1, 20 * REFRESH_S + 60, "the new case in the tiles")
        _wait_for(pg, lambda: pg.locator(f'[data-case="{new_id}"]').count() == 1, 60, "the case in the latest list")
        assert pg.locator(".wall-asof b").inner_text() != as_of_text  # "data as of" moved to the import
        # the feed command, in yet another process, keeps adding cases at the data's own clock
        now = _collected(pg)
        added = _feed(live_db, seed=3)
        _wait_for(pg, lambda: _collected(pg) == now + added, 20 * REFRESH_S + 60, "the feed's cases")
        assert pg.evaluate("window.__wallMarker") == 42
        assert not pg.locator('[data-testid="stException"]').count()
    finally:
        ctx.close()


def test_two_app_processes_serve_one_database_while_it_is_written(browser, wall_server, live_db, tmp_path):
    """Two Streamlit servers (replicas behind a load balancer) on the same database, while another
    process writes to it: both show the same figures before and after, with no error."""
    second = WallServer(live_db, tmp_path)
    contexts = [_context(browser, 1920, 1080) for _ in range(2)]
    try:
        pages = [c.new_page() for c in contexts]
        for pg, srv in zip(pages, (wall_server, second), strict=True):
            _open(pg, srv.url + "/?mode=wall&panels=overview&days=7")  # rolling: new cases count
        _wait_for(
            pages[0],
            lambda: _collected(pages[0]) == _collected(pages[1]),
            20 * REFRESH_S + 60,
            "the two servers to agree",
        )
        start = _collected(pages[0])
        added = _feed(live_db, seed=11)
        for pg in pages:
            _wait_for(
                pg, lambda pg=pg: _collected(pg) == start + added, 20 * REFRESH_S + 60, "the new cases on both servers"
            )
            assert not pg.locator('[data-testid="stException"]').count()
            assert not pg.locator(".wall-nodata").count()
    finally:
        for c in contexts:
            c.close()
        second.stop()


def _playing(pg) -> str:
    return pg.locator(".wall-playlist span.on").inner_text()


def _query(pg) -> dict:
    return {k: v for k, v in parse_qs(urlparse(pg.url).query).items()}


def test_rotation_keeps_mode_language_and_filters(browser, wall_server):
    url = f"{wall_server.url}/?mode=wall&panels=trend,coverage&rotate=5&town={TOWN}&lang=en"
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, url)
        pg.evaluate("window.__wallMarker = 7")
        first = _playing(pg)
        _wait_for(pg, lambda: _playing(pg) != first, 60, "a rotation")
        _wait_for(pg, lambda: _playing(pg) == first, 60, "a second rotation")
        q = _query(pg)
        assert (q["mode"], q["panels"], q["rotate"], q["town"], q["lang"]) == (
            ["wall"],
            ["trend,coverage"],
            ["5"],
            [TOWN],
            ["en"],
        )
        assert pg.evaluate("window.__wallMarker") == 7  # rotated in place, no reload
        assert TOWN_NAME in pg.locator(".wall-top").inner_text()  # still filtered
        assert "Data as of" in pg.locator(".wall-top").inner_text()
        lay = _layout(pg)  # English and a town filter: the widest header; the playlist covers neither side
        assert lay["left"]["right"] < lay["playbar"]["left"] < lay["playbar"]["right"] < lay["right"]["left"], lay
        pg.reload()  # a reload keeps everything too
        _open(pg, pg.url)
        assert TOWN_NAME in pg.locator(".wall-top").inner_text() and _playing(pg) in ("Trend", "15-min circle")
    finally:
        ctx.close()


def test_wall_resumes_after_a_server_restart(browser, wall_server):
    url = f"{wall_server.url}/?mode=wall&panels=trend,coverage&rotate=5&lang=en"
    ctx = _context(browser, 1920, 1080)
    try:
        pg = ctx.new_page()
        _open(pg, url)
        pg.evaluate("window.__wallMarker = 9")
        wall_server.stop()
        time.sleep(2)
        wall_server.start()
        # the browser reconnects on its own (same page, same URL) and the playlist goes on
        _wait_for(
            pg,
            lambda: pg.locator(".wall-tiles").count() == 1 and pg.locator(".wall-playlist").count() == 1,
            120,
            "the wall after the restart",
        )
        first = _playing(pg)
        _wait_for(pg, lambda: _playing(pg) != first, 60, "rotation after the restart")
        assert pg.evaluate("window.__wallMarker") == 9
        q = _query(pg)
        assert (q["mode"], q["panels"], q["rotate"], q["lang"]) == (["wall"], ["trend,coverage"], ["5"], ["en"])
        assert not pg.locator('[data-testid="stException"]').count()
    finally:
        ctx.close()
