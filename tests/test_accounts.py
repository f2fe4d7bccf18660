"""Local accounts: password hashes, lockout, disabling, the audit log, and the account command line."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
from dataclasses import astuple
from datetime import datetime, timedelta

import pytest

from govdash import accounts, cli
from govdash.accounts import AccountError

T0 = datetime(2026, 3, 1, 9, 0)
PW = "correct horse"


@pytest.fixture
def file(tmp_path) -> str:
    f = str(tmp_path / "accounts.duckdb")
    accounts.add(f, "li", PW, "analyst", ["310115005"], at=T0)
    return f


# --- hashes ---


def test_hash_is_salted_scrypt_with_its_parameters():
    a, b = accounts.hash_password(PW), accounts.hash_password(PW)
    assert a != b  # a fresh 16-byte salt each time
    kind, n, r, p, salt, digest = a.split("$")
    assert (kind, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(accounts.base64.b64decode(salt)) == 16 and len(accounts.base64.b64decode(digest)) == 32
    assert accounts.verify_password(PW, a) and accounts.verify_password(PW, b)
    assert not accounts.verify_password(PW + " ", a)


def test_known_hash_with_a_fixed_salt():
    h = accounts.hash_password("pässwörd", salt=bytes(range(16)))
    assert h == accounts.hash_password("pässwörd", salt=bytes(range(16)))
    assert h.startswith("scrypt$16384$8$1$AAECAwQFBgcICQoLDA0ODw==$")


@pytest.mark.parametrize("stored", [None, "", "md5$x", "scrypt$16384$8$1$!!$!!", "scrypt$a$b$c$d$e", "plain"])
def test_malformed_stored_hashes_never_match(stored):
    assert not accounts.verify_password(PW, stored)


# --- sign-in, lockout, disable ---


def test_sign_in_gives_role_and_towns(file):
    r = accounts.sign_in(file, "li", PW, at=T0)
    assert (r.ok, r.role, r.towns) == (True, "analyst", ("310115005",))


def test_unknown_user_and_wrong_password_get_the_same_answer(file):
    assert accounts.sign_in(file, "nobody", PW, at=T0).reason == "invalid"
    assert accounts.sign_in(file, "li", "wrong", at=T0).reason == "invalid"


def test_five_failures_lock_for_15_minutes(file):
    for i in range(accounts.MAX_FAILURES - 1):
        assert accounts.sign_in(file, "li", "wrong", at=T0 + timedelta(seconds=i)).reason == "invalid"
    fifth = accounts.sign_in(file, "li", "wrong", at=T0 + timedelta(seconds=10))
    assert fifth.reason == "locked" and fifth.locked_until == T0 + timedelta(seconds=10, minutes=15)
    assert accounts.sign_in(file, "li", PW, at=T0 + timedelta(minutes=15)).reason == "locked"  # even the right one
    assert accounts.sign_in(file, "li", PW, at=T0 + timedelta(minutes=15, seconds=11)).ok


def test_a_success_resets_the_failure_count(file):
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.sign_in(file, "li", "wrong", at=T0)
    assert accounts.sign_in(file, "li", PW, at=T0).ok
    for _ in range(accounts.MAX_FAILURES - 1):
        accounts.sign_in(file, "li", "wrong", at=T0)
    assert accounts.sign_in(file, "li", PW, at=T0).ok


def test_new_password_lifts_a_lockout(file):
    for _ in range(accounts.MAX_FAILURES):
        accounts.sign_in(file, "li", "wrong", at=T0)
    accounts.set_password(file, "li", "another horse", at=T0)
    assert accounts.sign_in(file, "li", "another horse", at=T0).ok
    assert not accounts.sign_in(file, "li", PW, at=T0).ok


def test_a_lock_in_the_second_the_account_was_made_holds(tmp_path):
    # CI once ran the app's five failures within the second the account was added, on the default clock
    f = str(tmp_path / "accounts.duckdb")
    accounts.add(f, "li", PW, "analyst", ["310115005"])
    for _ in range(accounts.MAX_FAILURES):
        accounts.sign_in(f, "li", "wrong", source="s1")
    assert accounts.sign_in(f, "li", PW, source="s1").reason == "locked"
    made = T0 + timedelta(microseconds=10)
    accounts.set_password(f, "li", "another horse", at=made)
    for _ in range(accounts.MAX_FAILURES):
        accounts.sign_in(f, "li", "wrong", source="s2", at=made + timedelta(microseconds=1))
    assert (
        accounts.sign_in(f, "li", "another horse", source="s2", at=made + timedelta(microseconds=2)).reason == "locked"
    )


def test_disabled_account_cannot_sign_in(file):
    accounts.set_disabled(file, "li")
    assert accounts.sign_in(file, "li", PW, at=T0).reason == "invalid"
    accounts.set_disabled(file, "li", False)
    assert accounts.sign_in(file, "li", PW, at=T0).ok


def test_sso_account_has_no_password(file):
    accounts.add(file, "wang@gov.example", None, "viewer")
    assert not accounts.sign_in(file, "wang@gov.example", "", at=T0).ok
    r = accounts.sso_account(file, "wang@gov.example")
    assert (r.ok, r.role, r.towns) == (True, "viewer", ())
    assert not accounts.sso_account(file, "stranger@gov.example").ok


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda f: accounts.add(f, "li", PW, "viewer"), "exists"),
        (lambda f: accounts.add(f, "x", PW, "root"), "role"),
        (lambda f: accounts.add(f, "x", "short", "viewer"), "8 characters"),
        (lambda f: accounts.add(f, "a b", PW, "viewer"), "username"),
        (lambda f: accounts.set_password(f, "nobody", PW), "no account"),
    ],
)
def test_account_errors_are_plain(file, call, message):
    with pytest.raises(AccountError, match=message):
        call(file)


def test_audit_log_records_sign_ins_and_exports(file):
    accounts.sign_in(file, "li", PW, at=T0 + timedelta(minutes=1))
    accounts.sign_in(file, "li", "wrong", at=T0 + timedelta(minutes=2))
    accounts.audit(file, "li", "export", "cases_2026.csv, 12 rows", at=T0 + timedelta(minutes=3))
    log = accounts.audit_log(file)
    assert log[["username", "action", "detail"]].values.tolist()[:3] == [
        ["li", "export", "cases_2026.csv, 12 rows"],
        ["li", "sign_in_failed", "wrong password"],
        ["li", "sign_in", "local"],
    ]
    with pytest.raises(ValueError):
        accounts.audit(file, "li", "format_disk")


def test_list_never_shows_hashes(file):
    listed = accounts.list_accounts(file)
    assert "password" not in listed.columns and listed["username"].tolist() == ["li"]


def test_default_file_lies_beside_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVDASH_DB", str(tmp_path / "x" / "govdash.duckdb"))
    monkeypatch.delenv("GOVDASH_ACCOUNTS_DB", raising=False)
    assert accounts.path() == str(tmp_path / "x" / "accounts.duckdb")


# --- command line ---


def test_cli_add_list_disable_passwd(tmp_path, monkeypatch, capsys, demo_db):
    monkeypatch.setenv("GOVDASH_DB", demo_db)
    f = str(tmp_path / "a.duckdb")
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert (
        cli.main(
            [
                "account",
                "--accounts-db",
                f,
                "add",
                "zhang",
                "--role",
                "viewer",
                "--towns",
                "陆家嘴街道",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert cli.main(["account", "--accounts-db", f, "list"]) == 0
    out = capsys.readouterr().out
    assert "zhang" in out and "310115005" in out and "scrypt" not in out
    assert cli.main(["account", "--accounts-db", f, "disable", "zhang"]) == 0
    assert not accounts.sign_in(f, "zhang", PW).ok
    assert cli.main(["account", "--accounts-db", f, "enable", "zhang"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("new password 2\n"))
    assert cli.main(["account", "--accounts-db", f, "passwd", "zhang", "--password-stdin"]) == 0
    assert accounts.sign_in(f, "zhang", "new password 2").ok
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\n"))
    assert (
        cli.main(
            ["account", "--accounts-db", f, "add", "x", "--role", "viewer", "--towns", "火星街道", "--password-stdin"]
        )
        == 2
    )
    assert "unknown street/town" in capsys.readouterr().err
    assert cli.main(["account", "--accounts-db", f, "audit"]) == 0
    assert "disable zhang" in capsys.readouterr().out


# --- known answers: the stored encoding and parameters must not drift (issue 15) ---


def test_password_hash_known_answer_computed_independently():
    salt = bytes(range(16))
    digest = hashlib.scrypt("pässwörd".encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    want = "scrypt$16384$8$1$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
    assert accounts.hash_password("pässwörd", salt=salt) == want
    assert want == (
        "scrypt$16384$8$1$AAECAwQFBgcICQoLDA0ODw==$XePXvxZzRj6L1K6Fof7AUZumo8fHft2FRonOsXgR7YI="
    )  # from `openssl kdf ... SCRYPT`


def test_verify_accepts_the_rfc_7914_test_vector():
    # RFC 7914 section 12: scrypt(P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64)
    dk = bytes.fromhex(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
    )
    stored = f"scrypt$1024$8$16${base64.b64encode(b'NaCl').decode()}${base64.b64encode(dk).decode()}"
    assert accounts.verify_password("password", stored)
    assert not accounts.verify_password("Password", stored)


# --- throttling per name and source, read-only sign-in (issue 15) ---


def _fail(file, name, source, n, at=T0):
    return [accounts.sign_in(file, name, "wrong", source=source, at=at + timedelta(seconds=i)) for i in range(n)]


def test_a_guesser_elsewhere_cannot_lock_the_admin_out_of_their_workstation(file):
    assert _fail(file, "li", "203.0.113.9", accounts.MAX_FAILURES)[-1].reason == "locked"
    assert accounts.sign_in(file, "li", PW, source="203.0.113.9", at=T0 + timedelta(minutes=1)).reason == "locked"
    assert accounts.sign_in(file, "li", PW, source="10.0.0.5", at=T0 + timedelta(minutes=1)).ok


def test_lockouts_double_up_to_a_cap(file):
    ends = []
    at = T0
    for _ in range(6):
        r = _fail(file, "li", "203.0.113.9", accounts.MAX_FAILURES, at)[-1]
        ends.append(r.locked_until - (at + timedelta(seconds=accounts.MAX_FAILURES - 1)))
        at = r.locked_until + timedelta(seconds=1)
    m = timedelta(minutes=1)
    assert ends == [15 * m, 30 * m, 60 * m, 120 * m, 240 * m, 240 * m]


def test_one_source_guessing_many_names_is_locked_as_a_source(file):
    names = [f"guess{i}" for i in range(accounts.MAX_SOURCE_FAILURES)]
    answers = [accounts.sign_in(file, n, "wrong", source="198.51.100.7", at=T0) for n in names]
    assert [a.reason for a in answers] == ["invalid"] * (accounts.MAX_SOURCE_FAILURES - 1) + ["locked"]
    assert accounts.sign_in(file, "li", PW, source="198.51.100.7", at=T0).reason == "locked"
    assert accounts.sign_in(file, "li", PW, source="10.0.0.5", at=T0).ok


def test_unknown_and_existing_names_get_identical_answers(file):
    def seq(name):
        out = [(r.ok, r.reason, r.locked_until) for r in _fail(file, name, "203.0.113.9", accounts.MAX_FAILURES + 2)]
        out.append(astuple(accounts.sign_in(file, name, PW, source="203.0.113.9", at=T0 + timedelta(minutes=1)))[1:])
        return out

    known, unknown = seq("li"), seq("nobody")
    assert known[:-1] == unknown[:-1]
    locked = (None, (), "locked", T0 + timedelta(seconds=4, minutes=15), (), ())  # no scope of either
    assert known[-1][1:] == unknown[-1][1:] == locked


def _fingerprint(path):
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size, hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_sign_in_never_rewrites_the_accounts_file(file):
    before = _fingerprint(file)
    _fail(file, "li", "203.0.113.9", accounts.MAX_FAILURES + 1)
    _fail(file, "nobody", "203.0.113.9", 2)
    assert accounts.sign_in(file, "li", PW, source="10.0.0.5", at=T0 + timedelta(minutes=1)).ok
    assert _fingerprint(file) == before
    log = accounts.audit_log(file)
    # li: 4 wrong, the 5th wrong and its lock, 1 refused while locked; nobody: 2 wrong
    assert log["action"].tolist()[0] == "sign_in" and (log["action"] == "sign_in_failed").sum() == 4 + 2 + 1 + 2
    assert set(log["source"].dropna()) == {"203.0.113.9", "10.0.0.5"}
    assert stat.S_IMODE(os.stat(accounts.audit_path(file)).st_mode) == 0o600


def test_sign_in_works_with_a_full_disk(file):
    os.symlink("/dev/full", accounts.audit_path(file))  # every append fails with ENOSPC, as on a full disk
    assert accounts.sign_in(file, "li", PW, source="10.0.0.5", at=T0).ok
    assert accounts.sign_in(file, "li", "wrong", source="10.0.0.5", at=T0).reason == "invalid"
    with pytest.raises(OSError):  # an export must not go unrecorded
        accounts.audit(file, "li", "export", "x.csv")


# --- wall-screen device tokens (issue 15) ---


def test_wall_token_is_long_random_stored_hashed_and_revocable(file):
    token = accounts.add_wall_token(file, "lobby", ["310115005"], at=T0)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    raw = open(file, "rb").read()
    assert token.encode() not in raw and hashlib.sha256(token.encode()).hexdigest().encode() in raw
    r = accounts.wall_screen(file, token)
    assert (r.ok, r.username, r.role, r.towns) == (True, "wall:lobby", "wall", ("310115005",))
    assert not accounts.wall_screen(file, token[:-1] + ("A" if token[-1] != "A" else "B")).ok
    assert not accounts.wall_screen(file, "").ok and not accounts.wall_screen(file, None).ok
    with pytest.raises(AccountError, match="exists"):
        accounts.add_wall_token(file, "lobby")
    before = _fingerprint(file)
    accounts.wall_screen(file, token)
    assert _fingerprint(file) == before  # checking a token is read-only
    accounts.revoke_wall_token(file, "lobby")
    assert not accounts.wall_screen(file, token).ok
    listed = accounts.wall_tokens(file)
    assert listed.columns.tolist() == ["name", "towns", "communities", "departments", "revoked", "created_at"]
    assert listed["revoked"].tolist() == [True]
    with pytest.raises(AccountError, match="no wall token"):
        accounts.revoke_wall_token(file, "hall")


def test_wall_token_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GOVDASH_DB", str(tmp_path / "none.duckdb"))
    f = str(tmp_path / "a.duckdb")
    assert cli.main(["account", "--accounts-db", f, "wall-token", "lobby"]) == 0
    token = capsys.readouterr().out.split("token=")[1].split()[0]
    assert accounts.wall_screen(f, token).ok
    assert cli.main(["account", "--accounts-db", f, "wall-list"]) == 0
    out = capsys.readouterr().out
    assert "lobby" in out and token not in out
    assert cli.main(["account", "--accounts-db", f, "wall-revoke", "lobby"]) == 0
    assert not accounts.wall_screen(f, token).ok
    assert cli.main(["account", "--accounts-db", f, "wall-revoke", "lobby"]) == 2
