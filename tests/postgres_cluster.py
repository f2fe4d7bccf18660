"""A private PostgreSQL cluster for the lake tests: own data directory, own port on 127.0.0.1, no system service."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER = "govdash"  # the cluster's superuser (trust authentication, 127.0.0.1 only)


def binaries() -> Path | None:
    """Folder of Debian's newest PostgreSQL binaries (initdb, pg_ctl, createdb), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start in a fresh folder; ``stop()`` stops it and removes the folder.

    PostgreSQL refuses to run as root, so as root its commands run as the ``postgres`` user (the
    Debian package creates it) through ``runuser``. Why the folder is not under pytest's tmp_path:
    that tree is private to root (mode 700), so the ``postgres`` user could not reach a data
    directory inside it.
    """

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="govdash-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self.as_user, str(self.bindir / tool), *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stdout}{r.stderr}{log[-2000:]}")

    def start(self) -> Cluster:
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        return self

    def createdb(self) -> str:
        """A new empty database; returns its libpq conninfo."""
        name = f"lake_{uuid.uuid4().hex[:10]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return f"dbname={name} host=127.0.0.1 port={self.port} user={USER}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
