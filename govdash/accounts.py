"""Local accounts: scrypt password hashes, roles, allowed streets/towns, lockout, and the audit log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from govdash import db, schema, settings, writes

ROLES = ("viewer", "analyst", "admin")
ACTIONS = ("sign_in", "sign_in_failed", "export", "import", "account")
MAX_FAILURES = 5                  # failed sign-ins in a row that lock an account ...
LOCKOUT = timedelta(minutes=15)   # ... for this long
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1   # ~16 MB and ~50 ms per hash: slow for guessing, fine for sign-in
SALT_BYTES = 16
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
_TOWN = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


class AccountError(ValueError):
    """An account operation that cannot be done (unknown user, bad role, short password…)."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: ``ok``; else ``reason`` is 'invalid' (unknown user, wrong password or
    disabled: one answer, so a guesser learns nothing) or 'locked' (until ``locked_until``)."""

    ok: bool
    username: str
    role: str | None = None
    towns: tuple[str, ...] = ()
    reason: str = "ok"
    locked_until: datetime | None = None


def now_local() -> datetime:
    """Shanghai wall-clock time, naive (how audit times are stored)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def path(s: settings.Settings | None = None) -> str:
    """The accounts file: ``settings.accounts_db``, by default ``accounts.duckdb`` beside the database."""
    s = s or settings.load()
    return s.accounts_db or str(Path(s.db).resolve().parent / "accounts.duckdb")


# --- password hashes (pure) ---

def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password`` with a fresh 16-byte salt; parameters kept with it."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` hashes to ``stored`` (compared in constant time); False for anything malformed."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt, validate=True), n=int(n),
                             r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# a hash of nothing anybody types: unknown users cost the same scrypt as known ones (no timing oracle)
_DUMMY = hash_password(secrets.token_hex(16), salt=b"\0" * SALT_BYTES)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _check(username: str, role: str | None = None, towns=()) -> None:
    if not _USERNAME.match(username or ""):
        raise AccountError("a username is 1-64 letters, digits or _ . @ -")
    if role is not None and role not in ROLES:
        raise AccountError(f"role is one of {', '.join(ROLES)}")
    bad = [t for t in towns if not _TOWN.match(t)]
    if bad:
        raise AccountError(f"not street/town ids: {', '.join(map(repr, bad))}")


# --- the accounts file: every write is one snapshot swap (readers never wait, never see half a change) ---

def _write(file: str):
    """One write transaction on the accounts file (``db.write``), created with its tables when missing."""
    return db.write(file, tables=schema.create_accounts)


def _read(file: str, fn, *args):
    """Run ``fn(con, *args)`` on a read-only connection (an empty in-memory one when there is no file yet)."""
    if Path(file).is_file():
        con = duckdb.connect(":memory:")
        con.execute("ATTACH $p AS a (READ_ONLY)", {"p": file})
        con.execute("USE a")
    else:
        con = duckdb.connect(":memory:")
        schema.create_accounts(con)
    try:
        return fn(con, *args)
    finally:
        con.close()


def add(file: str, username: str, password: str | None, role: str, towns=(), *, by: str | None = None,
        at: datetime | None = None) -> None:
    """Create an account; ``password`` None makes a single-sign-on (OIDC) account with no local password."""
    towns = tuple(dict.fromkeys(towns))
    _check(username, role, towns)
    if password is not None:
        check_new_password(password)
    at = at or now_local()
    row = {"username": username, "role": role, "towns": list(towns), "failed": 0, "disabled": False,
           "password": hash_password(password) if password is not None else None, "created_at": at, "updated_at": at}
    with _write(file) as con:
        if writes.account_get(con, username) is not None:
            raise AccountError(f"account {username!r} exists")
        writes.account_insert(con, row)
        writes.audit_insert(con, at, by, "account", f"add {username} role={role} towns={','.join(towns) or '*'}")


def _change(file: str, username: str, what: str, by: str | None, at: datetime | None, **changes) -> None:
    at = at or now_local()
    with _write(file) as con:
        if not writes.account_update(con, username, **changes, updated_at=at):
            raise AccountError(f"no account {username!r}")
        writes.audit_insert(con, at, by, "account", f"{what} {username}")


def set_password(file: str, username: str, password: str, *, by: str | None = None, at: datetime | None = None) -> None:
    """Set a new password; also lifts a lockout."""
    check_new_password(password)
    _change(file, username, "passwd", by, at, password=hash_password(password), failed=0, locked_until=None)


def set_disabled(file: str, username: str, disabled: bool = True, *, by: str | None = None,
                 at: datetime | None = None) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    _change(file, username, "disable" if disabled else "enable", by, at, disabled=disabled)


def set_access(file: str, username: str, role: str, towns=(), *, by: str | None = None,
               at: datetime | None = None) -> None:
    """Change an account's role and streets/towns."""
    towns = tuple(dict.fromkeys(towns))
    _check(username, role, towns)
    _change(file, username, f"role={role} towns={','.join(towns) or '*'}", by, at, role=role, towns=list(towns))


def list_accounts(file: str) -> pd.DataFrame:
    """Every account (no password hashes)."""
    return _read(file, writes.account_list)


def audit_log(file: str, limit: int = 100) -> pd.DataFrame:
    """The newest audit rows."""
    return _read(file, writes.audit_list, limit)


def audit(file: str, username: str | None, action: str, detail: str = "", *, at: datetime | None = None) -> None:
    """Record an export, an import or another event in the audit log."""
    if action not in ACTIONS:
        raise ValueError(f"action is one of {ACTIONS}")
    with _write(file) as con:
        writes.audit_insert(con, at or now_local(), username, action, detail[:2000])


def audit_cli(action: str, detail: str, user: str | None = None) -> None:
    """Record a command-line import or export under ``cli:<user>`` (default: $USER) when the deployment has
    accounts (settings.accounts_db, or accounts.duckdb beside the database); the demo, without, records nothing."""
    file = path()
    if exists(file):
        audit(file, f"cli:{user or os.environ.get('USER') or 'unknown'}", action, detail)


def sso_account(file: str, username: str) -> SignIn:
    """The role and towns of an enabled account signed in elsewhere (OIDC); 'invalid' when there is none."""
    row = _read(file, writes.account_get, username) if _USERNAME.match(username or "") else None
    if row is None or row["disabled"]:
        return SignIn(False, username, reason="invalid")
    return SignIn(True, username, row["role"], tuple(row["towns"]))


def sign_in(file: str, username: str, password: str, *, at: datetime | None = None) -> SignIn:
    """Check a password, count failures (``MAX_FAILURES`` in a row lock the account for ``LOCKOUT``), audit it.

    The check and the count happen under the writer lock, so parallel guesses cannot overrun the
    limit. While locked, no password is checked at all.
    """
    at = at or now_local()
    username = (username or "").strip()
    with _write(file) as con:
        row = writes.account_get(con, username) if _USERNAME.match(username) else None
        if row is not None and pd.notna(row["locked_until"]) and row["locked_until"] > at:
            writes.audit_insert(con, at, username, "sign_in_failed", "locked")
            return SignIn(False, username, reason="locked", locked_until=row["locked_until"].to_pydatetime())
        good = verify_password(password or "", row["password"] if row is not None else _DUMMY)
        if row is None or row["disabled"] or not good:
            why = "unknown user" if row is None else "disabled" if row["disabled"] else "wrong password"
            writes.audit_insert(con, at, username[:64] or None, "sign_in_failed", why)
            if row is not None and not row["disabled"]:
                failed = int(row["failed"]) + 1
                if failed >= MAX_FAILURES:
                    writes.account_update(con, username, failed=0, locked_until=at + LOCKOUT)
                    writes.audit_insert(con, at, username, "sign_in_failed", f"locked for {LOCKOUT}")
                    return SignIn(False, username, reason="locked", locked_until=at + LOCKOUT)
                writes.account_update(con, username, failed=failed)
            return SignIn(False, username, reason="invalid")
        writes.account_update(con, username, failed=0, locked_until=None)
        writes.audit_insert(con, at, username, "sign_in", "local")
        return SignIn(True, username, row["role"], tuple(row["towns"]))


def exists(file: str) -> bool:
    """True when the accounts file holds at least one account."""
    return os.path.isfile(file) and not list_accounts(file).empty
