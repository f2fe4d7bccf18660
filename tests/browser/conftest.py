"""Real-browser fixtures: ``streamlit run app.py`` on a free port and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1920, "height": 1080}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def pytest_collection_modifyitems(items):
    # with `-n 2 --dist loadgroup` every browser test runs on one worker: one server, one chromium.
    # Every test in this folder is a browser test, marked or not (a new file cannot start a second chromium).
    here = Path(__file__).resolve().parent
    for item in items:
        if "browser" in item.keywords or Path(item.path).resolve().parent == here:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory) -> Path:
    """The folder the screenshots go to: a temporary one, or ``--screenshots DIR`` (e.g. docs/screenshots)."""
    target = request.config.getoption("screenshots")
    path = (request.config.invocation_params.dir / target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``streamlit run app.py`` subprocess serving the given database on 127.0.0.1.

    ``script`` serve.py runs the app behind the upload guard, as deployed; ``env`` adds GOVDASH_* settings;
    ``restart()`` starts it again on the same port (the browser reconnects on its own).
    """

    def __init__(self, db: str, log: Path, *, script: str = "app.py", env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.script = script
        self.env = {
            **os.environ,
            "GOVDASH_DB": db,
            "GOVDASH_LANG": "zh",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            **(env or {}),
        }
        self._out = open(log, "wb")
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                self.script,
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
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def restart(self) -> None:
        self.stop(close_log=False)
        self._start()

    def _wait_healthy(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{self.output()}")

    @contextmanager
    def explain(self):
        """Append the tail of the server log to a failed assertion (Streamlit redacts errors in the page)."""
        try:
            yield
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- streamlit log (tail) ---\n{self.output()}") from None

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self, *, close_log: bool = True) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if close_log:
            self._out.close()


def wait_for_app(pg, timeout_s: float = 90.0) -> None:
    """Wait until the script run has finished and no element is still a loading skeleton."""
    pg.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && !document.querySelector('[data-testid="stSkeleton"]')
                && !document.querySelector('[data-stale="true"]');
        }""",
        timeout=timeout_s * 1000,
        polling=200,
    )


@pytest.fixture(scope="session")
def server(demo_db, tmp_path_factory, browser):
    """The app served on a free port with the session's demo database; stopped at the end."""
    s = Server(demo_db, tmp_path_factory.mktemp("streamlit") / "server.log")
    # open "/" once: warms the caches so the first page test measures the page, not the start-up
    context = browser.new_context(viewport=VIEWPORT)
    try:
        pg = context.new_page()
        pg.goto(s.url + "/")
        wait_for_app(pg)
    finally:
        context.close()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(demo_db, tmp_path):
    """A server of its own that no browser has visited yet."""
    s = Server(demo_db, tmp_path / "server.log")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()


def is_local(url: str) -> bool:
    u = urlparse(url)
    return u.scheme in LOCAL_SCHEMES or (u.hostname or "") in LOCAL_HOSTS


@pytest.fixture
def page(browser):
    """A 1920×1080 page whose every request (and websocket) is recorded in ``page.requests``.

    Requests to other hosts are recorded and aborted: the app must work offline.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", service_workers="block")
    context.set_default_timeout(30_000)  # a frozen tab fails the test instead of stalling the suite
    pg = context.new_page()
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("websocket", lambda ws: pg.requests.append(ws.url))
    context.route(lambda url: not is_local(url), lambda route: route.abort())
    yield pg
    context.close()
