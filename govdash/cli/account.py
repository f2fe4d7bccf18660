"""Command line for local accounts: ``python -m govdash account add|disable|enable|passwd|access|list|audit``
and wall-screen device tokens (``wall-token|wall-revoke|wall-list``)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from govdash import accounts, settings


def _password(args) -> str:
    """The new password: one line of stdin with --password-stdin (scripts), else typed twice at a prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise accounts.AccountError("the two passwords differ")
    return first


def _towns(args) -> tuple[str, ...]:
    """--towns as street/town ids; names are looked up in the database (so 陆家嘴街道 works too)."""
    raw = [x.strip() for x in ",".join(args.towns or []).split(",") if x.strip()]
    db_path = settings.load().db
    if not raw or not Path(db_path).is_file():
        return tuple(raw)
    from govdash import queries
    from govdash.db import Database

    db = Database(db_path)
    try:
        t = queries.towns(db)
    finally:
        db.close()
    lookup = dict(zip(t["name_zh"], t["unit_id"], strict=True)) | dict(zip(t["unit_id"], t["unit_id"], strict=True))
    bad = [x for x in raw if x not in lookup]
    if bad:
        raise accounts.AccountError(f"unknown street/town: {', '.join(bad)}")
    return tuple(lookup[x] for x in raw)


def cmd_account(args) -> int:
    """CLI body of ``python -m govdash account ...``."""
    file = args.accounts_db or accounts.path()
    by = os.environ.get("USER") or "cli"
    try:
        if args.action == "add":
            password = None if args.sso else _password(args)
            accounts.add(file, args.username, password, args.role, _towns(args), by=by)
            print(f"added {args.username} ({args.role}) to {file}")
        elif args.action in ("disable", "enable"):
            accounts.set_disabled(file, args.username, args.action == "disable", by=by)
            print(f"{args.action}d {args.username}")
        elif args.action == "passwd":
            accounts.set_password(file, args.username, _password(args), by=by)
            print(f"new password for {args.username}; any lockout lifted")
        elif args.action == "access":
            towns = _towns(args)
            accounts.set_access(file, args.username, args.role, towns, by=by)
            print(f"{args.username}: {args.role}, towns {','.join(towns) or 'all'}")
        elif args.action == "wall-token":
            token = accounts.add_wall_token(file, args.name, _towns(args), by=by)
            print(
                f"wall screen {args.name}: open http://HOST:8501/?mode=wall&token={token}\n"
                "(shown once, stored hashed; revoke with: python -m govdash account wall-revoke "
                f"{args.name})"
            )
        elif args.action == "wall-revoke":
            accounts.revoke_wall_token(file, args.name, by=by)
            print(f"revoked the wall token {args.name}")
        elif args.action == "wall-list":
            print(accounts.wall_tokens(file).to_string(index=False))
        elif args.action == "list":
            print(accounts.list_accounts(file).to_string(index=False))
        else:
            print(accounts.audit_log(file, args.limit).to_string(index=False))
    except accounts.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers) -> None:
    """Add ``account`` to the command line."""
    p = subparsers.add_parser(
        "account",
        help="local accounts: add, disable, enable, passwd, access, list, audit, wall-token, wall-revoke, wall-list",
    )
    p.add_argument(
        "--accounts-db",
        default=None,
        help="accounts file (default: GOVDASH_ACCOUNTS_DB or accounts.duckdb beside the database)",
    )
    sub = p.add_subparsers(dest="action", required=True)
    a = sub.add_parser("add", help="create an account (asks for the password)")
    a.add_argument("username")
    a.add_argument("--role", choices=accounts.ROLES, required=True)
    a.add_argument("--towns", nargs="*", help="street/town ids or names it may see (default: all)")
    a.add_argument("--sso", action="store_true", help="no local password: signs in through OIDC only")
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for name, text in (("disable", "stop an account signing in"), ("enable", "let a disabled account sign in")):
        sub.add_parser(name, help=text).add_argument("username")
    w = sub.add_parser("passwd", help="set a new password (also lifts a lockout)")
    w.add_argument("username")
    w.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    r = sub.add_parser("access", help="change an account's role and streets/towns")
    r.add_argument("username")
    r.add_argument("--role", choices=accounts.ROLES, required=True)
    r.add_argument("--towns", nargs="*", help="street/town ids or names (default: all)")
    wt = sub.add_parser("wall-token", help="issue a wall-screen device token (read-only wall, survives restarts)")
    wt.add_argument("name", help="the screen, e.g. lobby")
    wt.add_argument("--towns", nargs="*", help="street/town ids or names it shows (default: all)")
    sub.add_parser("wall-revoke", help="revoke a wall screen's token").add_argument("name")
    sub.add_parser("wall-list", help="list wall tokens (never the tokens themselves)")
    sub.add_parser("list", help="list accounts (no password hashes)")
    g = sub.add_parser("audit", help="the newest audit log rows")
    g.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_account)
