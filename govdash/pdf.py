"""HTML to A4 PDF offline through a headless Chromium: text stays text (fonts embedded), inline SVG stays vector."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# no network at all: no first-run fetches, no component or safe-browsing updates, no QUIC
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-pdf-header-footer",
)
INSTALL = (
    "PDF reports are printed by a headless Chromium with a Chinese font: on Debian, "
    "apt-get install chromium fonts-wqy-microhei (or set GOVDASH_CHROMIUM to a Chromium/Chrome binary); "
    "or write the report as .html"
)


class PdfUnavailable(RuntimeError):
    """No Chromium (or no Chinese font) to print a PDF with on this machine."""


class PdfFailed(RuntimeError):
    """Chromium ran but wrote no PDF."""


def browser(configured: str = "") -> str:
    """The Chromium binary: ``configured`` (settings.chromium) when set, else the first of BROWSERS on PATH."""
    if configured:
        path = shutil.which(configured)
        if not path:
            raise PdfUnavailable(f"GOVDASH_CHROMIUM={configured!r} is not an executable. {INSTALL}")
        return path
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    raise PdfUnavailable(f"no Chromium found (looked for {', '.join(BROWSERS)}). {INSTALL}")


def cjk_font_missing() -> bool:
    """True when fontconfig lists no font covering Chinese (the PDF would show boxes); False when unsure."""
    fc = shutil.which("fc-list")
    if not fc:
        return False
    out = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False)
    return out.returncode == 0 and not out.stdout.strip()


@lru_cache(maxsize=4)
def available(configured: str = "") -> str | None:
    """None when a PDF can be printed here, else the reason (for a page to show instead of a PDF button);
    looked up once per process and configured binary."""
    try:
        browser(configured)
    except PdfUnavailable as e:
        return str(e)
    if cjk_font_missing():
        return f"no Chinese font installed. {INSTALL}"
    return None


def from_html(html: str, out: str | os.PathLike, *, chromium: str = "", timeout_s: float = 180.0) -> Path:
    """Print the self-contained ``html`` (no external resources) to the PDF file ``out`` (A4 from its @page rule).

    The PDF is written beside ``out`` and renamed over it only when Chromium has produced a file
    starting with ``%PDF``: ``out`` is never left half-written. Raises PdfUnavailable when there is
    no Chromium or no Chinese font, PdfFailed when Chromium fails or times out.
    """
    exe = browser(chromium)
    if cjk_font_missing():
        raise PdfUnavailable(f"no Chinese font installed. {INSTALL}")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="govdash-pdf-") as tmp:
        src, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={pdf}", src.as_uri()]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise PdfFailed(f"{exe} did not finish printing the PDF in {timeout_s:.0f} s") from None
        if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            tail = " | ".join((run.stderr or "").strip().splitlines()[-3:])
            raise PdfFailed(f"{exe} wrote no PDF (exit {run.returncode}): {tail[:400]}")
        part = out.with_name(f".{out.name}.{os.getpid()}.part")
        shutil.copyfile(pdf, part)
        os.replace(part, out)
    return out


def to_bytes(html: str, *, chromium: str = "") -> bytes:
    """``from_html`` for a download: the PDF's bytes."""
    with tempfile.TemporaryDirectory(prefix="govdash-pdf-out-") as tmp:
        return from_html(html, Path(tmp) / "report.pdf", chromium=chromium).read_bytes()
