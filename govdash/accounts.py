"""Local accounts: scrypt password hashes, roles, allowed streets/towns, sign-in throttling, wall device tokens,
and the audit log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from govdash import db, lake, schema, settings, writes
from govdash.db import attach

ROLES = ("viewer", "analyst", "admin")
ACTIONS = ("sign_in", "sign_in_failed", "export", "import", "account", "supervise")
MAX_FAILURES = 5  # failed sign-ins in a row of one name from one source that lock it there ...
MAX_SOURCE_FAILURES = 20  # ... and of any names from one source that lock the source (password spraying)
LOCKOUT = timedelta(minutes=15)  # the first lockout; each further one doubles it ...
LOCKOUT_MAX = timedelta(hours=4)  # ... up to this
FORGET = timedelta(hours=24)  # a name/source without a failure for this long starts again from nothing
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MB and ~50 ms per hash: slow for guessing, fine for sign-in
SALT_BYTES = 16
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
_TOWN = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
_LOG = logging.getLogger(__name__)


class AccountError(ValueError):
    """An account operation that cannot be done (unknown user, bad role, short password…)."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: ``ok``; else ``reason`` is 'invalid' (unknown user, wrong password or
    disabled: one answer, so a guesser learns nothing) or 'locked' (until ``locked_until``: too many failures
    of this name from this source, whether or not the name exists)."""

    ok: bool
    username: str
    role: str | None = None
    towns: tuple[str, ...] = ()
    reason: str = "ok"
    locked_until: datetime | None = None
    communities: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def principal(self):
        """The signed-in ``access.Principal`` (its role and scope)."""
        from govdash.access import Principal

        return Principal(self.username, self.role, self.towns, self.communities, self.departments)


def _signed(username: str, row: dict, role: str | None = None) -> SignIn:
    """A successful sign-in of the account (or wall token) ``row``, its scope lists included."""
    towns, coms, deps = writes.scope_lists(row)
    return SignIn(True, username, role or row["role"], towns, communities=coms, departments=deps)


def now_local() -> datetime:
    """Wall-clock time in the configured ``settings.timezone``, naive (how audit times are stored).

    Microseconds are kept: a lock and a password change in the same second must still be ordered
    (a new password lifts only the locks that began before it)."""
    return datetime.now(ZoneInfo(settings.load().timezone)).replace(tzinfo=None)


def path(s: settings.Settings | None = None) -> str:
    """The accounts file: ``settings.accounts_db``, by default ``accounts.duckdb`` beside the database
    (beside a SQLite-catalogued lake's catalog; a PostgreSQL lake's hosts should share one through the setting)."""
    s = s or settings.load()
    if s.accounts_db:
        return s.accounts_db
    if not lake.is_lake(s.db):
        folder = Path(s.db).resolve().parent
    elif (lk := lake.parse(s.db)).kind == "sqlite":
        folder = Path(lk.catalog).resolve().parent
    else:
        folder = settings.PROJECT_ROOT / "data"
    return str(folder / "accounts.duckdb")


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
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# a hash of nothing anybody types: unknown users cost the same scrypt as known ones (no timing oracle)
_DUMMY = hash_password(secrets.token_hex(16), salt=b"\0" * SALT_BYTES)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _check(username: str, role: str | None = None, towns=(), communities=(), departments=()) -> None:
    if not _USERNAME.match(username or ""):
        raise AccountError("a username is 1-64 letters, digits or _ . @ -")
    if role is not None and role not in ROLES:
        raise AccountError(f"role is one of {', '.join(ROLES)}")
    for what, ids in (("street/town", towns), ("居村", communities), ("department", departments)):
        bad = [t for t in ids if not _TOWN.match(t)]
        if bad:
            raise AccountError(f"not {what} ids: {', '.join(map(repr, bad))}")


def scope_text(towns=(), communities=(), departments=()) -> str:
    """An account's scope for the audit log: ``towns=… communities=… departments=…`` (``towns=*``: everything)."""
    parts = [
        f"{k}={','.join(v)}"
        for k, v in (("towns", towns), ("communities", communities), ("departments", departments))
        if v
    ]
    return " ".join(parts) or "towns=*"


# --- the accounts file: every write is one snapshot swap (readers never wait, never see half a change) ---


def _write(file: str):
    """One write transaction on the accounts file (``db.write``), created with its tables when missing."""
    return db.write(file, tables=schema.create_accounts)


def _read(file: str, fn, *args):
    """Run ``fn(con, *args)`` on a read-only connection (an empty in-memory one when there is no file yet)."""
    if Path(file).is_file():
        con = duckdb.connect(":memory:")
        attach(con, file, "a", read_only=True)
        con.execute("USE a")
    else:
        con = duckdb.connect(":memory:")
        schema.create_accounts(con)
    try:
        return fn(con, *args)
    finally:
        con.close()


def add(
    file: str,
    username: str,
    password: str | None,
    role: str,
    towns=(),
    *,
    communities=(),
    departments=(),
    by: str | None = None,
    at: datetime | None = None,
) -> None:
    """Create an account; ``password`` None makes a single-sign-on (OIDC) account with no local password.

    ``towns``, ``communities``, ``departments``: what it may see (``access.Scope``; all empty: everything)."""
    towns, communities, departments = (tuple(dict.fromkeys(x)) for x in (towns, communities, departments))
    _check(username, role, towns, communities, departments)
    if password is not None:
        check_new_password(password)
    at = at or now_local()
    row = {
        "username": username,
        "role": role,
        "towns": list(towns),
        "communities": list(communities),
        "departments": list(departments),
        "failed": 0,
        "disabled": False,
        "password": hash_password(password) if password is not None else None,
        "created_at": at,
        "updated_at": at,
    }
    with _write(file) as con:
        if writes.account_get(con, username) is not None:
            raise AccountError(f"account {username!r} exists")
        writes.account_insert(con, row)
        writes.audit_insert(
            con, at, by, "account", f"add {username} role={role} {scope_text(towns, communities, departments)}"
        )


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


def set_disabled(
    file: str, username: str, disabled: bool = True, *, by: str | None = None, at: datetime | None = None
) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    _change(file, username, "disable" if disabled else "enable", by, at, disabled=disabled)


def set_access(
    file: str,
    username: str,
    role: str,
    towns=(),
    *,
    communities=(),
    departments=(),
    by: str | None = None,
    at: datetime | None = None,
) -> None:
    """Change an account's role and scope (streets/towns, 居村, departments; all empty: everything)."""
    towns, communities, departments = (tuple(dict.fromkeys(x)) for x in (towns, communities, departments))
    _check(username, role, towns, communities, departments)
    what = f"role={role} {scope_text(towns, communities, departments)}"
    lists = {"towns": list(towns), "communities": list(communities), "departments": list(departments)}
    _change(file, username, what, by, at, role=role, **lists)


def list_accounts(file: str) -> pd.DataFrame:
    """Every account (no password hashes)."""
    return _read(file, writes.account_list)


def audit_log(file: str, limit: int = 100) -> pd.DataFrame:
    """The newest audit rows, newest first: account changes (in the accounts file) and the appended store
    (sign-ins, failed sign-ins, exports, imports)."""
    kept = _read(file, writes.audit_list, limit).assign(source=None)
    cols = ["at_time", "username", "action", "detail", "source"]
    both = pd.concat([kept.iloc[::-1][cols], _appended(file)[cols]], ignore_index=True)  # oldest first
    both["at_time"] = pd.to_datetime(both["at_time"])
    for c in cols[1:]:  # text columns as text (missing stays missing), whichever store a row came from
        both[c] = both[c].astype("str")
    both["seq"] = range(len(both))
    out = both.sort_values(["at_time", "seq"], ascending=False).drop(columns="seq").head(limit).reset_index(drop=True)
    out["at_time"] = out["at_time"].dt.floor("s")  # ordered by the exact time, shown to the second
    return out


def audit_path(file: str) -> str:
    """The append-only audit store beside the accounts file: ``accounts.audit.jsonl`` for ``accounts.duckdb``."""
    return str(Path(file).with_suffix(".audit.jsonl"))


def _append(file: str, at: datetime, username: str | None, action: str, detail: str, source: str | None) -> None:
    """One JSON line appended to the audit store (created owner-only); one write() call, so lines never mix."""
    line = (
        json.dumps(
            {
                "at": at.isoformat(sep=" "),
                "username": username,
                "action": action,
                "detail": detail[:2000],
                "source": source,
            },
            ensure_ascii=False,
        )
        + "\n"
    )
    fd = os.open(audit_path(file), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _appended(file: str) -> pd.DataFrame:
    """The audit store's lines as rows (a torn last line, e.g. after a full disk, is skipped)."""
    rows = []
    try:
        with open(audit_path(file), encoding="utf-8") as fh:
            for line in fh:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        pass
    df = pd.DataFrame(rows, columns=["at", "username", "action", "detail", "source"])
    return df.assign(at_time=pd.to_datetime(df["at"])).drop(columns="at")


def audit(
    file: str,
    username: str | None,
    action: str,
    detail: str = "",
    *,
    at: datetime | None = None,
    source: str | None = None,
) -> None:
    """Record an export, an import or another event in the append-only audit store (the accounts file is not
    rewritten); an OSError (e.g. a full disk) propagates, so an export is not made unrecorded."""
    if action not in ACTIONS:
        raise ValueError(f"action is one of {ACTIONS}")
    _append(file, at or now_local(), username, action, detail, source)


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
    return _signed(username, row)


class Throttle:
    """Failed sign-ins counted in memory per (name, source) and per source, with doubling lockouts.

    Keyed by what was typed, not by what exists, so an unknown name locks exactly like a real one. A
    lock of a name at one source leaves it free at every other source: a guesser elsewhere cannot lock
    the admin out of a known workstation. Nothing is written: sign-in needs no writable disk. A
    restart forgets the counts (the attempts stay in the audit store).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: dict[tuple, dict] = {}

    def locked_until(self, key: tuple, at: datetime, since: datetime | None = None) -> datetime | None:
        """The end of ``key``'s lock when it still runs at ``at``; a lock that began before ``since`` (e.g. the
        account's new password) no longer counts."""
        with self._lock:
            e = self._seen.get(key)
            if e and e["until"] and e["until"] > at and (since is None or e["locked_at"] > since):
                return e["until"]
        return None

    def failed(self, limits: dict[tuple, int], at: datetime) -> datetime | None:
        """Count one failure under each key (``key → failures that lock it``); the lock end when one locks."""
        until = None
        with self._lock:
            for key, limit in limits.items():
                e = self._seen.get(key)
                if e is None or at - e["last"] > FORGET:
                    e = self._seen[key] = {"failures": 0, "lockouts": 0, "until": None, "locked_at": None}
                e["failures"] += 1
                e["last"] = at
                if e["failures"] >= limit:
                    e["lockouts"] += 1
                    e["failures"] = 0
                    e["locked_at"] = at
                    e["until"] = at + min(LOCKOUT * 2 ** min(e["lockouts"] - 1, 16), LOCKOUT_MAX)
                    until = max(until or e["until"], e["until"])
        return until

    def succeeded(self, key: tuple) -> None:
        with self._lock:
            self._seen.pop(key, None)


THROTTLE = Throttle()  # one per server process: every session's sign-ins count together


def _record(file: str, at: datetime, username: str | None, action: str, detail: str, source: str) -> None:
    """Append a sign-in to the audit store; a failure to write (full disk) is logged, never blocks a sign-in."""
    try:
        _append(file, at, username, action, detail, source)
    except OSError as exc:
        _LOG.warning("sign-in of %r not recorded in %s: %s", username, audit_path(file), exc)


def sign_in(file: str, username: str, password: str, *, source: str = "-", at: datetime | None = None) -> SignIn:
    """Check a password against the accounts file, read-only; throttle failures in memory; append to the audit store.

    ``source`` is where the attempt comes from (the client's address). ``MAX_FAILURES`` in a row of
    one name from one source, or ``MAX_SOURCE_FAILURES`` of any names from one source, lock that
    name there (or that source) for ``LOCKOUT``, doubling with each further lockout up to
    ``LOCKOUT_MAX``. While locked no password is checked. A new password (``set_password``) lifts
    earlier locks of the name. The accounts file is never written here.
    """
    at = at or now_local()
    username = (username or "").strip()[:64]
    source = str(source or "-")[:64]
    mine, theirs = ("name", file, username, source), ("source", file, source)
    row = _read(file, writes.account_get, username) if _USERNAME.match(username) else None
    since = row["updated_at"] if row is not None and pd.notna(row["updated_at"]) else None
    since = since.to_pydatetime() if since is not None else None  # a new password lifts the name's locks
    ends = (THROTTLE.locked_until(mine, at, since), THROTTLE.locked_until(theirs, at))
    until = max((u for u in ends if u is not None), default=None)
    if until is not None:
        _record(file, at, username or None, "sign_in_failed", "locked", source)
        return SignIn(False, username, reason="locked", locked_until=until)
    good = verify_password(password or "", row["password"] if row is not None else _DUMMY)
    if row is None or row["disabled"] or not good:
        why = "unknown user" if row is None else "disabled" if row["disabled"] else "wrong password"
        _record(file, at, username or None, "sign_in_failed", why, source)
        until = THROTTLE.failed({mine: MAX_FAILURES, theirs: MAX_SOURCE_FAILURES}, at)
        if until is not None:
            _record(file, at, username or None, "sign_in_failed", f"locked until {until:%H:%M:%S}", source)
            return SignIn(False, username, reason="locked", locked_until=until)
        return SignIn(False, username, reason="invalid")
    THROTTLE.succeeded(mine)
    _record(file, at, username, "sign_in", "local", source)
    return _signed(username, row)


# --- wall-screen device tokens: a long random token in the wall's URL, kept hashed, revocable ---

WALL_TOKEN_BYTES = 32


def _token_hash(token: str) -> str:
    # a 256-bit random token needs no slow hash: nobody can guess its way to a preimage
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_wall_token(
    file: str,
    name: str,
    towns=(),
    *,
    communities=(),
    departments=(),
    by: str | None = None,
    at: datetime | None = None,
) -> str:
    """Issue a device token for the wall screen ``name`` (showing ``towns``, ``communities``, ``departments``;
    none: all); returns the token, which is shown once and stored only as its SHA-256."""
    towns, communities, departments = (tuple(dict.fromkeys(x)) for x in (towns, communities, departments))
    _check(name, None, towns, communities, departments)
    at = at or now_local()
    token = secrets.token_urlsafe(WALL_TOKEN_BYTES)
    with _write(file) as con:
        if not writes.wall_token_names(con).query("name == @name").empty:
            raise AccountError(f"wall token {name!r} exists (revoke it first, or pick another name)")
        writes.wall_token_insert(con, name, _token_hash(token), list(towns), at, communities, departments)
        writes.audit_insert(con, at, by, "account", f"wall-token {name} {scope_text(towns, communities, departments)}")
    return token


def revoke_wall_token(file: str, name: str, *, by: str | None = None, at: datetime | None = None) -> None:
    """Revoke the wall screen ``name``'s token: the screen shows the sign-in form at its next rerun."""
    at = at or now_local()
    with _write(file) as con:
        if not writes.wall_token_revoke(con, name):
            raise AccountError(f"no wall token {name!r}")
        writes.audit_insert(con, at, by, "account", f"wall-revoke {name}")


def wall_tokens(file: str) -> pd.DataFrame:
    """Every wall token: name, towns, revoked, created_at (never the token or its hash)."""
    return _read(file, _tables_or_empty(writes.wall_token_names))


def wall_screen(file: str, token: str | None) -> SignIn:
    """The wall screen a device token belongs to (read-only; ``role`` 'wall'), or 'invalid'."""
    if not token or len(token) > 200 or not Path(file).is_file():
        return SignIn(False, "", reason="invalid")
    row = _read(file, _tables_or_empty(writes.wall_token_find), _token_hash(token))
    if row is None:
        return SignIn(False, "", reason="invalid")
    return _signed(f"wall:{row['name']}", row, "wall")


def _tables_or_empty(fn):
    """``fn`` on an accounts file from before wall tokens existed: its result on an empty table."""

    def run(con, *args):
        try:
            return fn(con, *args)
        except duckdb.CatalogException:
            mem = duckdb.connect(":memory:")
            try:
                schema.create_accounts(mem)
                return fn(mem, *args)
            finally:
                mem.close()

    return run


def exists(file: str) -> bool:
    """True when the accounts file holds at least one account."""
    return os.path.isfile(file) and not list_accounts(file).empty
