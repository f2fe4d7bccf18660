"""Time to the first rendered page: ``streamlit run app.py`` started cold, chromium opening the overview.

Run: python -m bench.first_render [--db PATH] [--cases 500000] [--loads 3]

Prints, in seconds: server start until /_stcore/health answers; the first load of "/" until the
overview's headline and charts are drawn (cold: Streamlit caches empty); then ``--loads`` more loads
in new browser contexts (warm caches, a new session each, like a second user). Builds the demo
database first when ``--db`` does not exist (its build time is printed too).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser import CHROMIUM, ensure_demo, free_port, start_server  # noqa: E402

DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelectorAll('[data-testid="stMetric"]').length >= 4
        && document.querySelector('.js-plotly-plot .main-svg') !== null
        && !document.querySelector('[data-testid="stSkeleton"]');
}"""


def _load(browser, url: str) -> float:
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_function(DRAWN, timeout=300_000, polling=100)
        return time.perf_counter() - t0
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="bench/out/first_render.duckdb")
    ap.add_argument("--cases", type=int, default=500_000)
    ap.add_argument("--loads", type=int, default=3)
    args = ap.parse_args(argv)
    ensure_demo(args.db, args.cases)
    from playwright.sync_api import sync_playwright

    port = free_port()
    t0 = time.perf_counter()
    server = start_server(args.db, port)
    try:
        print(f"server start to health: {time.perf_counter() - t0:.2f} s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-dev-shm-usage"])
            url = f"http://127.0.0.1:{port}/"
            print(f"first page, cold caches: {_load(browser, url):.2f} s")
            warm = [_load(browser, url) for _ in range(args.loads)]
            print(
                f"first page, warm caches (new session): median {statistics.median(warm):.2f} s "
                f"over {len(warm)} loads ({', '.join(f'{w:.2f}' for w in warm)})"
            )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
