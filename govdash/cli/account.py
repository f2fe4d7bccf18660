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


def _ids(values) -> list[str]:
    return [x.strip() for x in ",".join(values or []).split(",") if x.strip()]


def _scope(args) -> dict[str, tuple[str, ...]]:
    """--scope-town (or --towns), --scope-community and --scope-department as ids; each value is a code or a
    name, looked up in the database (so 陆家嘴街道 works too); an unknown or ambiguous name is an error."""
    raw = {
        "towns": _ids(getattr(args, "scope_town", None)),
        "communities": _ids(getattr(args, "scope_community", None)),
        "departments": _ids(getattr(args, "scope_department", None)),
    }
    db_path = settings.load().db
    if not any(raw.values()) or not Path(db_path).is_file():
        return {k: tuple(v) for k, v in raw.items()}
    from govdash import filters, queries
    from govdash.db import Database

    db = Database(db_path)
    try:
        units = queries.unit_labels(db)
        deps = queries.departments(db)
    finally:
        db.close()
    rows = list(units.itertuples(index=False, name=None))
    rows += [
        ("department", d, zh, en) for d, zh, en in deps[["department_id", "name_zh", "name_en"]].itertuples(index=False)
    ]
    params = {"town": raw["towns"], "community": raw["communities"], "grid": [], "dept": raw["departments"]}
    out, problems = filters.resolve_units(params, rows, {**filters.UNIT_PARAMS, "dept": "department"})
    if problems:
        what = {"town": "street/town", "community": "居村 (community)", "dept": "department"}
        raise accounts.AccountError(
            "; ".join(
                f"{what[p.param]} {p.value!r} names several ({', '.join(p.ids)}): give its code"
                if p.kind == "ambiguous"
                else f"unknown {what[p.param]}: {p.value}"
                for p in problems
            )
        )
    return {"towns": tuple(out["town"]), "communities": tuple(out["community"]), "departments": tuple(out["dept"])}


def _scope_words(sc: dict) -> str:
    return accounts.scope_text(sc["towns"], sc["communities"], sc["departments"])


def cmd_account(args) -> int:
    """CLI body of ``python -m govdash account ...``."""
    file = args.accounts_db or accounts.path()
    by = os.environ.get("USER") or "cli"
    try:
        if args.action == "add":
            password = None if args.sso else _password(args)
            sc = _scope(args)
            accounts.add(file, args.username, password, args.role, **sc, by=by)
            print(f"added {args.username} ({args.role}, {_scope_words(sc)}) to {file}")
        elif args.action in ("disable", "enable"):
            accounts.set_disabled(file, args.username, args.action == "disable", by=by)
            print(f"{args.action}d {args.username}")
        elif args.action == "passwd":
            accounts.set_password(file, args.username, _password(args), by=by)
            print(f"new password for {args.username}; any lockout lifted")
        elif args.action == "access":
            sc = _scope(args)
            accounts.set_access(file, args.username, args.role, **sc, by=by)
            print(f"{args.username}: {args.role}, {_scope_words(sc)}")
        elif args.action == "wall-token":
            token = accounts.add_wall_token(file, args.name, **_scope(args), by=by)
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


def _scope_options(p, verb: str) -> None:
    """The scope options of add, access and wall-token (none given: the whole district)."""
    p.add_argument("--scope-town", "--towns", dest="scope_town", nargs="*", help=f"street/town codes or names {verb}")
    p.add_argument("--scope-community", nargs="*", help=f"居村 (community) codes or names {verb}")
    p.add_argument(
        "--scope-department",
        nargs="*",
        help=f"department codes or names: the cases dispatched to them {verb}, wherever they lie "
        "(with a town or 居村: its cases there only)",
    )


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
    _scope_options(a, "it may see")
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
    _scope_options(r, "it may see")
    wt = sub.add_parser("wall-token", help="issue a wall-screen device token (read-only wall, survives restarts)")
    wt.add_argument("name", help="the screen, e.g. lobby")
    _scope_options(wt, "it shows")
    sub.add_parser("wall-revoke", help="revoke a wall screen's token").add_argument("name")
    sub.add_parser("wall-list", help="list wall tokens (never the tokens themselves)")
    sub.add_parser("list", help="list accounts (no password hashes)")
    g = sub.add_parser("audit", help="the newest audit log rows")
    g.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_account)
