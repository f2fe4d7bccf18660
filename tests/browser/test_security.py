"""Issue 15 in a real server: the upload endpoint behind the guard (serve.py), and a wall with a device token
across a server restart."""

from __future__ import annotations

import socket
import time

import pytest

from govdash import accounts

from .conftest import VIEWPORT, Server, wait_for_app

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CSV = b"case_id,reported_at\nX1,2026-03-01 09:00\n"


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory) -> str:
    f = str(tmp_path_factory.mktemp("accounts") / "accounts.duckdb")
    accounts.add(f, "ada", PASSWORD, "admin")
    accounts.add(f, "vic", PASSWORD, "viewer")
    return f


@pytest.fixture(scope="module")
def guarded(demo_db, accounts_file, tmp_path_factory):
    """``streamlit run serve.py`` with local sign-in, as deployed."""
    s = Server(
        demo_db,
        tmp_path_factory.mktemp("guarded") / "server.log",
        script="serve.py",
        env={"GOVDASH_AUTH": "local", "GOVDASH_ACCOUNTS_DB": accounts_file},
    )
    yield s
    s.stop()


def _session(browser, url: str, wait: str | None = None):
    """A page at ``url`` (waited for, or for the ``wait`` selector) whose Streamlit session id is read from
    the server's messages (``pg.session_ids``: one entry per script run the server starts)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", service_workers="block")
    ctx.set_default_timeout(60_000)
    pg = ctx.new_page()
    pg.session_ids = []

    def frame(payload):
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:
                return
            if msg.HasField("new_session") and msg.new_session.initialize.session_id:
                pg.session_ids.append(msg.new_session.initialize.session_id)

    pg.on("websocket", lambda ws: ws.on("framereceived", frame))
    pg.goto(url)
    if wait:
        pg.wait_for_selector(wait, timeout=120_000)
    else:
        wait_for_app(pg)
    assert pg.session_ids, "no session id seen"
    return ctx, pg


def _xsrf(ctx) -> str:
    return next(c["value"] for c in ctx.cookies() if c["name"] == "_streamlit_xsrf")


def _put(ctx, server, session_id: str, file_id: str):
    """PUT a file to the upload endpoint as the browser would (XSRF cookie and header, multipart body)."""
    return ctx.request.put(
        f"{server.url}/_stcore/upload_file/{session_id}/{file_id}",
        headers={"X-Xsrftoken": _xsrf(ctx)},
        multipart={"file": {"name": "cases.csv", "mimeType": "text/csv", "buffer": CSV}},
    )


def _sign_in(pg, user: str) -> None:
    pg.get_by_label("用户名").wait_for()
    pg.get_by_label("用户名").fill(user)
    pg.get_by_label("密码").fill(PASSWORD)
    pg.get_by_role("button", name="登录").click()
    pg.wait_for_selector('[data-testid="stSidebar"]', timeout=90_000)
    wait_for_app(pg)


def test_upload_endpoint_refuses_sessions_not_signed_in_as_admin(guarded, browser):
    """Before: 204 for a 100 MB PUT from a session that never signed in (the body kept in memory)."""
    ctx, pg = _session(browser, guarded.url + "/")
    try:
        pg.get_by_label("用户名").wait_for()  # the sign-in form: nobody signed in
        sid = pg.session_ids[-1]
        with guarded.explain():
            assert _put(ctx, guarded, sid, "f1").status == 403
        # a 100 MB body announced: refused after its headers, before the body is sent (so never buffered)
        head = (
            f"PUT /_stcore/upload_file/{sid}/f2 HTTP/1.1\r\nHost: 127.0.0.1:{guarded.port}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {100 * 2**20}\r\n"
            f"Cookie: _streamlit_xsrf={_xsrf(ctx)}\r\nX-Xsrftoken: {_xsrf(ctx)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", guarded.port), timeout=20) as sock:
            sock.sendall(head + b"--b\r\n" + b"x" * 65536)
            t0 = time.monotonic()
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 403"), answer
        assert time.monotonic() - t0 < 10
        _sign_in(pg, "vic")  # a viewer may not upload either
        assert _put(ctx, guarded, sid, "f3").status == 403
    finally:
        ctx.close()


def test_a_signed_in_admin_uploads_on_the_admin_page(guarded, browser, tmp_path):
    ctx, pg = _session(browser, guarded.url + "/admin")
    try:
        _sign_in(pg, "ada")
        with guarded.explain():
            assert _put(ctx, guarded, pg.session_ids[-1], "probe").status == 204  # the same request, allowed
        f = tmp_path / "cases.csv"
        f.write_bytes(CSV)
        upload = pg.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        try:
            upload.wait_for(state="attached", timeout=90_000)
        except Exception:
            raise AssertionError(f"no file uploader at {pg.url}:\n{pg.inner_text('body')[:800]}") from None
        with pg.expect_response(
            lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT", timeout=60_000
        ) as sent:
            upload.set_input_files(str(f))
        assert sent.value.status == 204
        pg.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stFileUploader"]')]
                                .some(e => e.innerText.includes('cases.csv'))""",
            timeout=60_000,
        )
        wait_for_app(pg)
        assert not pg.locator('[data-testid="stException"]').count()
    finally:
        ctx.close()


def test_wall_with_a_device_token_survives_a_server_restart(demo_db, accounts_file, browser, tmp_path):
    """Before: a wall signed in by hand showed the sign-in form after a restart, and stayed there."""
    token = accounts.add_wall_token(accounts_file, f"lobby{time.monotonic_ns()}")
    s = Server(
        demo_db,
        tmp_path / "server.log",
        script="serve.py",
        env={"GOVDASH_AUTH": "local", "GOVDASH_ACCOUNTS_DB": accounts_file},
    )
    ctx = None
    try:
        ctx, pg = _session(browser, f"{s.url}/?mode=wall&panels=trend&rotate=0&token={token}", wait=".wall-tiles")
        pg.evaluate("window.__wallMarker = 7")
        s.restart()
        before = len(pg.session_ids)  # the old server is gone: any further script run is the new server's
        deadline = time.monotonic() + 120
        while len(pg.session_ids) == before and time.monotonic() < deadline:  # the page reconnects by itself
            pg.wait_for_timeout(500)
        with s.explain():
            assert len(pg.session_ids) > before, "no script run on the restarted server"
            pg.wait_for_selector(".wall-tiles", timeout=60_000)
            pg.wait_for_timeout(3000)  # let the rerun settle: a sign-in form would replace the wall by now
            assert pg.evaluate("window.__wallMarker") == 7  # the same page: no reload
            assert pg.locator('[data-testid="stTextInput"]').count() == 0, "sign-in form after the restart"
            assert pg.locator(".wall-tiles").count() == 1 and pg.locator(".wall-top").count() == 1
            assert not pg.locator('[data-testid="stException"]').count()
    finally:
        if ctx is not None:
            ctx.close()
        s.stop()
