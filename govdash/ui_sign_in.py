"""The Streamlit sign-in edge: local and single sign-on forms, the page asked for before sign-in, the account box."""

from __future__ import annotations

import streamlit as st

from govdash import access, queries
from govdash.i18n import t
from govdash.ui import accounts_file, app_title, cached, catalogue, conf, lang, md_text, principal, scope


def require_sign_in() -> access.Principal:
    """The session's principal; before sign-in, show the sign-in form (local or OIDC) and stop the run."""
    p = principal()
    if p is not None:
        return p
    lg = lang()
    st.session_state.setdefault("wanted_page", _requested_page())  # where to go once signed in
    st.title(app_title(lg))
    if conf().auth == "oidc":
        _oidc_sign_in(lg)
    else:
        _local_sign_in(lg)
    st.stop()


def _requested_page() -> str:
    """The page named by the URL's last path segment ('' for the root, or when Streamlit cannot say)."""
    from urllib.parse import urlparse

    try:
        return urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    except Exception:  # AppTest has no request context
        return ""


def return_to_wanted_page(pages: list, page):
    """After sign-in, the page the URL asked for before it (the rerun that signs in lands on the default page)."""
    wanted = st.session_state.pop("wanted_page", "")
    for p in pages:
        if wanted and p.url_path == wanted and p.url_path != page.url_path:
            st.switch_page(p)
    return page


def _local_sign_in(lg: str) -> None:
    from govdash import accounts

    file = accounts_file()
    if not accounts.exists(file):
        st.warning(t("no_accounts", lg))
    with st.form("sign_in"):
        user = st.text_input(t("username", lg), key="sign_in_user")
        password = st.text_input(t("password", lg), type="password", key="sign_in_password")
        go = st.form_submit_button(t("sign_in", lg), type="primary")
    if go:
        r = accounts.sign_in(file, user, password, source=_client_address())
        if r.ok:
            st.session_state["principal"] = r.principal()
            st.rerun()
        elif r.reason == "locked":
            st.error(t("locked", lg).format(until=f"{r.locked_until:%H:%M}"))
        else:
            st.error(t("sign_in_failed", lg))


def _client_address() -> str:
    """Where this session connects from (the sign-in throttle's source); '-' when Streamlit cannot say."""
    try:
        return str(st.context.ip_address or "-")
    except Exception:  # AppTest and older runtimes have no request context
        return "-"


def _oidc_sign_in(lg: str) -> None:
    """Single sign-on through st.login; the role and towns come from the account of the same name (e-mail)."""
    from govdash import accounts

    user = getattr(st, "user", None)
    if user is not None and getattr(user, "is_logged_in", False):  # the attribute is missing until configured
        name = str(user.get("email") or user.get("sub") or "")
        r = accounts.sso_account(accounts_file(), name)
        if r.ok:
            accounts.audit(accounts_file(), name, "sign_in", "oidc")
            st.session_state["principal"] = r.principal()
            st.rerun()
        st.error(t("oidc_no_account", lg).format(user=md_text(name)))
        if st.button(t("sign_out", lg)):
            st.logout()
        return
    if st.button(t("sign_in", lg), type="primary"):
        try:
            st.login()
        except Exception as exc:  # no [auth] section in secrets.toml: say so instead of a traceback
            st.error(f"{t('oidc_not_configured', lg)} ({type(exc).__name__})")


def account_box() -> None:
    """Who is signed in, and a sign-out button (nothing without sign-in)."""
    p = principal()
    if conf().auth == "none" or p is None or "principal" not in st.session_state:
        return
    lg = lang()
    names, cat = cached(queries.unit_names, scope=scope()), catalogue()
    where = "、".join(
        [names.get("town", {}).get(x, x) for x in p.towns]
        + [names.get("community", {}).get(x, x) for x in p.communities]
        + [cat.name("department", x, lg) for x in p.departments]
    ) or t("all", lg)
    st.sidebar.caption(f"{t('signed_in_as', lg)} **{md_text(p.user)}** · {t('role_' + p.role, lg)} · {md_text(where)}")
    if st.sidebar.button(t("sign_out", lg), key="sign_out"):
        for key in list(st.session_state.keys()):
            del st.session_state[key]
        if conf().auth == "oidc":
            st.logout()
        st.rerun()
