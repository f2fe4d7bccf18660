"""The upload endpoint's guard as ASGI middleware (the real server is in tests/browser/test_security.py)."""

from __future__ import annotations

import asyncio
import tomllib

import pytest

from govdash import settings, upload_guard
from govdash.settings import PROJECT_ROOT

PATH = "/_stcore/upload_file/5f0c-session/9a1e-file"


def _run(guard, scope, chunks=(b"",)):
    """Call ``guard`` with ``chunks`` as the body; returns (status, body, chunks read, whether the app ran)."""
    sent, read, ran = [], [], []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        read.append(1)
        return queue.pop(0)

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        ran.append(1)
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    coro = upload_guard.UploadGuard(app)(scope, receive, send) if guard is None else guard(scope, receive, send)
    # a fresh loop of its own: another test on this worker (Playwright's sync API) may leave one running
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), len(read), bool(ran)


def _scope(path=PATH, method="PUT", length=None):
    headers = [(b"content-length", str(length).encode())] if length is not None else []
    return {"type": "http", "path": path, "method": method, "headers": headers}


@pytest.fixture
def local(monkeypatch):
    monkeypatch.setenv("GOVDASH_AUTH", "local")
    monkeypatch.setenv("GOVDASH_MAX_UPLOAD_MB", "1")


def test_a_session_that_is_not_signed_in_gets_403_before_its_body_is_read(local):
    status, body, read, ran = _run(None, _scope(length=100 * 2**20), [b"x" * 65536] * 3)
    assert (status, read, ran) == (403, 0, False) and b"sign in" in body


def test_a_signed_in_admin_session_passes_and_is_cut_off_past_the_limit(local, monkeypatch):
    monkeypatch.setattr(upload_guard, "session_may_upload", lambda sid, s=None: sid == "5f0c-session")
    assert _run(None, _scope(length=10), [b"0123456789"])[::2] == (204, 1)
    assert _run(None, _scope(length=2 * 2**20))[:1] == (413,)  # announced too large: refused unread
    assert upload_guard.limit_bytes() == 17 * 65536  # 1 MB + the 64 KB framing margin
    status, _, read, ran = _run(None, _scope(), [b"x" * 65536] * 30)  # chunked, no length
    assert (status, ran) == (413, True) and read == 18  # stopped at the first chunk past the limit


def test_other_requests_pass_untouched(local):
    for scope in (_scope(method="GET"), _scope(path="/_stcore/health"), _scope(method="DELETE")):
        assert _run(None, scope)[0] == 204
    assert _run(None, {"type": "websocket", "path": PATH})[3]


def test_without_sign_in_everyone_may_upload(monkeypatch):
    monkeypatch.setenv("GOVDASH_AUTH", "none")
    assert upload_guard.session_may_upload("any")
    monkeypatch.setenv("GOVDASH_AUTH", "local")
    assert not upload_guard.session_may_upload("no-such-session")  # no runtime here: refused, not crashed


def test_streamlit_upload_limit_agrees_with_the_setting():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == settings.Settings().max_upload_mb
