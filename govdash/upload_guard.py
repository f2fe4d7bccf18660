"""The upload endpoint's guard: file bodies only from sessions signed in as admins, and never past the size limit."""

from __future__ import annotations

import logging
import re

from govdash import settings

_LOG = logging.getLogger(__name__)
# Streamlit's st.file_uploader endpoint: PUT/DELETE /_stcore/upload_file/<session id>/<file id>
_UPLOAD = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/[^/]+/?$")
MULTIPART_MARGIN = 64 * 1024  # bytes of multipart framing allowed beyond the file itself
_installed = False


def installed() -> bool:
    """True once the guard wraps this process's server (``streamlit run serve.py``)."""
    return _installed


def limit_bytes(s: settings.Settings | None = None) -> int:
    """The largest upload body accepted: ``settings.max_upload_mb`` plus the multipart framing margin."""
    return (s or settings.load()).max_upload_mb * 1024 * 1024 + MULTIPART_MARGIN


def session_may_upload(session_id: str, s: settings.Settings | None = None) -> bool:
    """True when the Streamlit session ``session_id`` may send files: it is signed in with the import right,
    or the deployment has no sign-in (``settings.auth`` none: everyone is an admin). Unknown: False."""
    s = s or settings.load()
    if s.auth == "none":
        return True
    try:
        from streamlit.runtime import Runtime

        info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
        state = info.session.session_state if info is not None else None
        principal = state["principal"] if state is not None and "principal" in state else None
    except Exception as exc:  # a Streamlit whose internals moved: refuse (fail closed) and say why in the log
        _LOG.warning("upload refused: cannot look up session %s (%s)", session_id, exc)
        return False
    return principal is not None and getattr(principal, "can", lambda _: False)("import")


class UploadGuard:
    """ASGI middleware in front of Streamlit: a PUT to the upload endpoint from a session that may not
    upload gets 403 before any of its body is read; an allowed one is cut off with 413 as soon as its body
    passes ``limit_bytes`` (whatever its Content-Length says)."""

    def __init__(self, app):
        global _installed
        self.app = app
        _installed = True

    async def __call__(self, scope, receive, send):
        m = _UPLOAD.search(scope.get("path", "")) if scope["type"] == "http" else None
        if m is None or scope.get("method") != "PUT":
            return await self.app(scope, receive, send)
        s = settings.load()
        if not session_may_upload(m["session"], s):
            return await _refuse(send, 403, b"sign in as an administrator to upload")
        cap = limit_bytes(s)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            return await _refuse(send, 413, b"file too large")
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise _TooLarge
            return message

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _refuse(send, 413, b"file too large")


class _TooLarge(Exception):
    pass


async def _refuse(send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(text)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})
