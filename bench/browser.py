"""Every page in a real browser: drawn time, server CPU, browser CPU and websocket bytes, in the app and cold.

Run: python -m bench.browser [--db PATH] [--cases 200000] [--repeats 3] [--pages map,heatmap]

Starts ``streamlit run app.py`` on the database (built with the demo generator when ``--db`` does not
exist) and drives Debian's chromium (Playwright, 1920×1080, software WebGL) through every page twice:

- **in the app**: in one tab kept open for the whole run, a click on the page's link in the navigation from the
  page shown before (the previous page of the list), as a person moves through the app (not the wall: it has no
  link, a screen opens it by its URL, so it is measured from a new session only). Until 6 December each in-app
  visit opened a fresh tab on another page first, so every visit also paid for loading the scripts of its
  elements (deck.gl: ~1.1 s of skeleton before a map's first visit in a tab, on this machine);
- **new session**: a new browser context loading the page's URL (a second user, or a bookmark).

Each visit starts once the browser and the server are idle (the previous page's software drawing done: ``settle``)
and is measured from the click (or the load) until the page is *drawn*: the script run has
ended, no element is a loading skeleton or stale, every plotly chart shows its traces, every map its
canvas with a first WebGL draw made in it (``MARK_DRAWN``), every table its grid, the page has its minimum
of maps and charts (``EXPECT``), and the browser has then painted two more frames. Per visit: that time; the
CPU seconds the server process spent (psutil, user + system, delta); the CPU seconds of every chromium process
under this one (browser, renderers, GPU process: software WebGL draws on the CPU; the GPU process's share is shown
apart as "GL", and its drawing may go on after the page counts as drawn); and the bytes the page received
over Streamlit's websocket (Playwright's frame events; the protocol sends the element tree, the
tables as Arrow and the deck and plotly specs as JSON). One pass over every page warms the server's
caches and the in-app context's scripts first (``--cold`` skips it); the table shows medians over
``--repeats`` visits.

Targets (issue 19): in-app navigation ≤ 1 s for every page, ≤ 2 s for the map pages; the ratio column
is the median over the target. Figures, not assertions: the machine is shared and timings vary.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
VIEWPORT = {"width": 1920, "height": 1080}


@dataclass(frozen=True)
class Page:
    """One page of the app: its name, the path that opens it, its minimum of (maps, plotly charts)."""

    name: str
    path: str
    expect: tuple[int, int] = (0, 0)
    map_page: bool = False

    @property
    def target_s(self) -> float:
        return 2.0 if self.map_page else 1.0


PAGES = (
    Page("overview", "/", (0, 2)),
    Page("map", "/map", (1, 0), map_page=True),
    Page("heatmap", "/heatmap", (1, 0), map_page=True),
    Page("trends", "/trends", (0, 1)),
    Page("rankings", "/rankings", (0, 1)),
    Page("lifecycle", "/lifecycle", (0, 1)),
    Page("coverage", "/coverage", (1, 0), map_page=True),
    Page("grid", "/grid"),
    Page("cases", "/cases"),
    Page("wall", "/?mode=wall", map_page=True),  # its first panel (map or charts) depends on the clock
)
# the page a visit inside the app starts from (the overview's own visit starts from trends)
START = {"overview": "/trends"}

# true once the script is idle and every element present is drawn (the browser paints it on the next frames)
DRAWN = """([decks, plots, titled]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')) return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || !main.innerText.trim() || (titled && !main.querySelector('h1'))) return false;
    // armed before a click: the new page's run has begun (seen), or its title is there (a run too quick to see)
    const h1 = main.querySelector('h1');
    if (window.__benchRan === false && !(h1 && h1.innerText !== window.__benchFrom)) return false;
    // elements in a closed expander or a hidden tab are not drawn until opened: only the visible ones count
    const shown = sel => [...main.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0);
    const d = shown('[data-testid="stDeckGlJsonChart"]');
    const p = shown('[data-testid="stPlotlyChart"]');
    if (d.length < decks || p.length < plots) return false;
    if (!d.every(e => { const c = e.querySelector('canvas'); return c && c.width > 0 && c.height > 0 && c.__drawn; }))
        return false;
    if (!p.every(e => e.querySelector('.main-svg g.trace'))) return false;
    return shown('[data-testid="stDataFrame"]').every(e => e.querySelector('canvas'));
}"""
# in every page before its scripts: a WebGL canvas is marked once its first draw call has been made, so that a map
# counts as drawn when it is, not when its (still blank) canvas is in the page; the programs linked are counted
MARK_DRAWN = """(() => {
    const get = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        const ctx = get.call(this, kind, ...rest);
        if (ctx && String(kind).startsWith('webgl') && !ctx.__marked) {
            ctx.__marked = true;
            const canvas = this;
            for (const f of ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced']) {
                const draw = ctx[f];
                if (draw) ctx[f] = function (...args) { canvas.__drawn = true; return draw.apply(this, args); };
            }
            // and every shader program linked, counted per document: a fixed cost of a map's first frame when
            // WebGL is drawn in software, and a count no other load on the machine changes
            const link = ctx.linkProgram;
            ctx.linkProgram = function (...args) {
                window.__benchPrograms = (window.__benchPrograms || 0) + 1;
                return link.apply(this, args);
            };
        }
        return ctx;
    };
})();"""
# before a click inside the app: the page shown is idle and drawn too, so wait for the next script run to start
# (or the new page's title: React may fold a quick run's running → idle into one render, leaving nothing to see)
ARM = """() => {
    window.__benchRan = false;
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    window.__benchFrom = h1 ? h1.innerText : null;
    new MutationObserver((changes, observer) => {
        // any state but idle (rerunRequested, running) on the app element, whichever element that is by then
        if (!changes.some(c => c.target.getAttribute('data-test-script-state') !== 'notRunning')) return;
        window.__benchRan = true;
        observer.disconnect();
    }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
}"""
PROGRAMS = "() => window.__benchPrograms || 0"
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


@dataclass(frozen=True)
class Visit:
    """One measured visit of a page."""

    page: str
    mode: str  # "in-app" or "new session"
    drawn_s: float
    server_cpu_s: float
    browser_cpu_s: float
    ws_bytes: int
    gl_cpu_s: float = 0.0  # the part of browser_cpu_s spent in the GPU process (software WebGL)
    programs: int = 0  # WebGL shader programs linked during the visit (deck.gl links each layer type's per map)

    def line(self) -> str:
        return (
            f"{self.page:<10} {self.mode:<7} {self.drawn_s:6.2f} s, server {self.server_cpu_s:.2f} s, "
            f"browser {self.browser_cpu_s:.2f} s (GL {self.gl_cpu_s:.2f} s, {self.programs} programs), "
            f"{self.ws_bytes / 1e3:,.0f} KB"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, *, log=subprocess.DEVNULL, env: dict | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` on ``db`` at 127.0.0.1:``port``, returned once /_stcore/health answers."""
    environ = {
        **os.environ,
        "GOVDASH_DB": str(Path(db).resolve()),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("streamlit not healthy after 120 s")


def ensure_demo(db: str, cases: int) -> None:
    """Build the demo database at ``db`` with ``cases`` cases unless the file exists (prints the build time)."""
    if Path(db).exists():
        return
    from govdash import demo

    Path(db).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    demo.build(db, cases=cases)
    print(f"demo build ({cases:,} cases): {time.perf_counter() - t0:.1f} s, {os.path.getsize(db) / 1e6:.0f} MB")


def _cpu(proc) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def browser_cpu(root_pid: int | None = None) -> dict[int, float]:
    """CPU seconds so far of every chromium process under ``root_pid`` (default: this process), by pid."""
    return {pid: cpu for pid, (cpu, _) in _chromium(root_pid).items()}


def gl_pids(root_pid: int | None = None) -> set[int]:
    """The chromium GPU processes under ``root_pid``: with ``--disable-gpu`` WebGL runs there in software
    (SwiftShader), so their CPU is the maps' drawing, apart from the renderer's script and layout."""
    return {pid for pid, (_, kind) in _chromium(root_pid).items() if kind == "gpu-process"}


def _chromium(root_pid: int | None) -> dict[int, tuple[float, str]]:
    import psutil

    out = {}
    for proc in psutil.Process(root_pid or os.getpid()).children(recursive=True):
        try:
            if "chrom" in proc.name():
                kind = next((a[7:] for a in proc.cmdline() if a.startswith("--type=")), "browser")
                out[proc.pid] = (_cpu(proc), kind)
        except psutil.NoSuchProcess:  # a renderer that ended meanwhile
            continue
    return out


class Socket:
    """Counts the bytes a page receives over its websockets (every socket the page opens, from now on)."""

    def __init__(self, page):
        self.received = 0
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.received += len(payload if isinstance(payload, bytes) else payload.encode())


STATE = """() => {
    const q = s => [...document.querySelectorAll(s)].filter(e => e.getClientRects().length > 0);
    const map = '[data-testid="stDeckGlJsonChart"]', chart = '[data-testid="stPlotlyChart"]';
    const app = document.querySelector('[data-testid="stApp"]');
    return {path: location.pathname, state: app && app.getAttribute('data-test-script-state'),
            ran: window.__benchRan, skeleton: q('[data-testid="stSkeleton"]').length,
            stale: q('[data-stale="true"]').length, h1: q('[data-testid="stMain"] h1').length,
            maps: q(map).length, canvases: q(map + ' canvas').length,
            charts: q(chart).length, traces: q(chart + ' .main-svg g.trace').length,
            tables: q('[data-testid="stDataFrame"]').length, grids: q('[data-testid="stDataFrame"] canvas').length};
}"""


class NotDrawn(RuntimeError):
    """A page not drawn within the time limit; the message says what the page showed by then."""


def wait_drawn(page, app_page: Page, timeout_s: float = 180.0) -> None:
    """Until the page is drawn (``DRAWN``) and the browser has painted two more frames."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    titled = app_page.name != "wall"
    try:
        page.wait_for_function(DRAWN, arg=[*app_page.expect, titled], timeout=timeout_s * 1000, polling=50)
    except PlaywrightTimeout:
        raise NotDrawn(f"{app_page.name} not drawn after {timeout_s:.0f} s: {page.evaluate(STATE)}") from None
    page.evaluate(TWO_FRAMES)


def settle(server_pid: int, *, step_s: float = 0.25, idle_cpu_s: float = 0.03, max_s: float = 20.0) -> None:
    """Wait until the browser and the server are idle (under ``idle_cpu_s`` of CPU together in ``step_s``).

    Why: software WebGL goes on drawing the previous page (or the start page) after it counts as drawn; without
    this, a visit pays for the one before it, and the figures depend on the order of the pages."""
    import psutil

    server = psutil.Process(server_pid)
    before = sum(browser_cpu().values()) + _cpu(server)
    end = time.perf_counter() + max_s
    while time.perf_counter() < end:
        time.sleep(step_s)
        now = sum(browser_cpu().values()) + _cpu(server)
        if now - before < idle_cpu_s:
            return
        before = now


def measure(page, app_page: Page, action, *, server_pid: int, socket: Socket, mode: str) -> Visit:
    """Run ``action()`` (a click or a load), once the machine has settled, and measure until ``app_page`` is drawn."""
    import psutil

    settle(server_pid)
    server = psutil.Process(server_pid)
    s0, b0, w0, n0 = _cpu(server), browser_cpu(), socket.received, page.evaluate(PROGRAMS)
    t0 = time.perf_counter()
    action()
    wait_drawn(page, app_page)
    drawn = time.perf_counter() - t0
    b1, gl = browser_cpu(), gl_pids()
    # a new session's page is a new document, counting from 0
    programs = page.evaluate(PROGRAMS) - (n0 if mode == "in-app" else 0)
    return Visit(
        app_page.name,
        mode,
        drawn,
        _cpu(server) - s0,
        sum(v - b0.get(pid, 0.0) for pid, v in b1.items()),  # a renderer started by the visit counts from 0
        socket.received - w0,
        sum(v - b0.get(pid, 0.0) for pid, v in b1.items() if pid in gl),
        programs,
    )


def nav_link(page, app_page: Page):
    """The page's link in the navigation (the overview's is the app's root)."""
    if app_page.name == "overview":
        return page.locator('[data-testid="stSidebarNav"] a').first
    return page.locator(f'[data-testid="stSidebarNav"] a[href$="{app_page.path}"]')


class Tab:
    """One browser tab a user moves through the app in: opened once, each visit a click on the next page's link
    from the page shown (the deck.gl, plotly and table scripts load on the first visit that needs them, as they do
    for a person; a fresh tab per visit would pay that load on every visit)."""

    def __init__(self, context, base: str):
        self.context, self.base, self.page, self.sock, self.shown = context, base, None, None, None

    def visit(self, app_page: Page, *, server_pid: int) -> Visit:
        if self.page is None or self.shown == app_page.name:  # the first visit, or one to the page shown
            if self.page is not None:
                self.page.close()
            self.page = self.context.new_page()
            self.sock = Socket(self.page)
            start = START.get(app_page.name, "/")
            self.page.goto(self.base + start)
            wait_drawn(self.page, PAGES_BY_NAME[start.strip("/") or "overview"])
        link = nav_link(self.page, app_page)
        self.page.evaluate(ARM)
        self.shown = app_page.name
        return measure(self.page, app_page, link.click, server_pid=server_pid, socket=self.sock, mode="in-app")


def new_session(browser, base: str, app_page: Page, *, server_pid: int) -> Visit:
    """A new browser context (no cache, no session) loading the page's URL."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.add_init_script(MARK_DRAWN)
    try:
        page = context.new_page()
        sock = Socket(page)
        return measure(
            page, app_page, lambda: page.goto(base + app_page.path), server_pid=server_pid, socket=sock, mode="new"
        )
    finally:
        context.close()


PAGES_BY_NAME = {p.name: p for p in PAGES}


def table(visits: list[Visit], pages: tuple[Page, ...]) -> str:
    """Medians per page and mode, with the in-app target and the ratio to it."""
    head = f"{'page':<10} {'visit':<8} {'drawn s':>8} {'target':>7} {'ratio':>6} {'server CPU s':>13} "
    head += f"{'browser CPU s':>14} {'socket KB':>10} {'of which GL s':>14} {'GL programs':>12}"
    rows = [head, "-" * len(head)]
    for p in pages:
        for mode in ("in-app", "new"):
            mine = [v for v in visits if v.page == p.name and v.mode == mode]
            if not mine:
                continue
            drawn = statistics.median(v.drawn_s for v in mine)
            rows.append(
                f"{p.name:<10} {mode:<8} {drawn:>8.2f} {p.target_s:>7.1f} {drawn / p.target_s:>6.2f} "
                f"{statistics.median(v.server_cpu_s for v in mine):>13.2f} "
                f"{statistics.median(v.browser_cpu_s for v in mine):>14.2f} "
                f"{statistics.median(v.ws_bytes for v in mine) / 1e3:>10.0f} "
                f"{statistics.median(v.gl_cpu_s for v in mine):>14.2f} "
                f"{statistics.median(v.programs for v in mine):>12.0f}"
            )
    return "\n".join(rows)


def _visit(visits: list[Visit], run, tag: str = "") -> None:
    """Measure one visit and print it; a page not drawn in time is reported and left out of the medians."""
    try:
        visits.append(run())
        print(f"{tag:>9} " + visits[-1].line(), flush=True)
    except NotDrawn as exc:
        print(f"  NOT DRAWN: {exc}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="bench/out/browser.duckdb")
    ap.add_argument("--cases", type=int, default=200_000, help="demo size when --db does not exist")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pages", default=",".join(p.name for p in PAGES), help="comma-separated page names")
    ap.add_argument("--cold", action="store_true", help="no warm-up pass (the first visits fill the caches)")
    args = ap.parse_args(argv)
    pages = tuple(PAGES_BY_NAME[n] for n in args.pages.split(","))
    ensure_demo(args.db, args.cases)
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(args.db, port)
    base = f"http://127.0.0.1:{port}"
    load = os.getloadavg()[0]
    visits: list[Visit] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            context.add_init_script(MARK_DRAWN)
            tab = Tab(context, base)
            if not args.cold:  # the server's caches, and the in-app context's scripts (deck.gl, plotly) loaded once
                warm: list[Visit] = []
                for p in pages:
                    _visit(warm, lambda p=p: new_session(browser, base, p, server_pid=server.pid), "warm-up")
                    if p.name != "wall":
                        _visit(warm, lambda p=p: tab.visit(p, server_pid=server.pid), "warm-up")
            for _ in range(args.repeats):
                for p in pages:
                    if p.name != "wall":  # no link to it: a screen opens the wall by its URL
                        _visit(visits, lambda p=p: tab.visit(p, server_pid=server.pid))
                    _visit(visits, lambda p=p: new_session(browser, base, p, server_pid=server.pid))
            context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(table(visits, pages))
    # the drawn times wait for a core when others run: the CPU columns are the steadier figures
    print(f"load average (1 min) at start {load:.1f}, at end {os.getloadavg()[0]:.1f}, on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
