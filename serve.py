"""Server entry: ``streamlit run serve.py`` serves app.py with uploads only for signed-in admins.

Streamlit's upload endpoint takes files before any page script runs; the guard (govdash.upload_guard)
refuses them there unless the session has signed in with the import right, and holds every upload to
GOVDASH_MAX_UPLOAD_MB (which also becomes server.maxUploadSize, the upload widget's limit).
"""

from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from govdash.upload_guard import UploadGuard


@asynccontextmanager
async def _limits(_app):
    from streamlit import config

    from govdash import settings

    config.set_option("server.maxUploadSize", settings.load().max_upload_mb)
    yield


app = st.App("app.py", middleware=[Middleware(UploadGuard)], lifespan=_limits)
