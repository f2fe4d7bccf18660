"""The one door to DuckDB: connections and ``execute(sql, params)`` with bound parameters, row cap and time limit."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from govdash import lake, schema


class QueryTimeout(RuntimeError):
    """A query ran past its time limit and was interrupted."""


class Database:
    """A DuckDB file or a DuckLake opened read-only, shared by every session of one process.

    A file: the connection is reopened when the file is replaced (new mtime/inode), so an
    importer that swaps in a new file is seen at the next query. Queries already running
    finish on the file they started on.

    A lake (``path`` = ``ducklake:sqlite:FILE`` or ``ducklake:postgres:CONNINFO``, see govdash.lake):
    one connection for the process's life; every query is its own transaction and so reads the
    lake's newest snapshot, whichever host committed it. Queries run alike on both: the store is
    attached as ``data`` and made the default database.
    """

    def __init__(self, path: str | os.PathLike, *, max_rows: int = 200_000, timeout_s: float = 30.0):
        self.path = str(path)
        self.lake = lake.parse(self.path) if lake.is_lake(self.path) else None
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def _file_stamp(self) -> tuple:
        if self.lake is not None:
            return ("lake",)  # never reopened: a lake's new snapshots are read through the same connection
        st = os.stat(self.path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """Return a cursor on the current file (thread-safe: one cursor per call)."""
        with self._lock:
            stamp = self._file_stamp()
            if self._con is None or stamp != self._stamp:
                # the old connection is dropped, not closed: closing it under another session's
                # running query raises "connection is busy"; it closes with its last cursor
                self._con = lake.connect(self.lake, read_only=True) if self.lake else _attach(self.path)
                self._stamp = stamp
            cur = self._con.cursor()
        cur.execute("USE data")  # the default database is per cursor
        return cur

    def version(self) -> tuple:
        """A value that changes whenever the data changes (a cache key): the file's stamp, a lake's snapshot id."""
        if self.lake is None:
            return self._file_stamp()
        cur = self.connection()
        try:
            return ("lake", lake.snapshot_id(cur))
        finally:
            cur.close()

    def execute(self, sql: str, params: dict | list | None = None, *, max_rows: int | None = None) -> pd.DataFrame:
        """Run one query with bound parameters; return at most ``max_rows`` rows as a DataFrame."""
        cap = self.max_rows if max_rows is None else max_rows
        cur = self.connection()
        timer = threading.Timer(self.timeout_s, cur.interrupt)
        timer.start()
        try:
            rel = cur.execute(sql, params or [])
            df = rel.df()
        except duckdb.InterruptException as exc:  # pragma: no cover - depends on timing
            raise QueryTimeout(f"query exceeded {self.timeout_s:.0f} s") from exc
        finally:
            timer.cancel()
            cur.close()
        return df.iloc[:cap] if len(df) > cap else df

    def scalar(self, sql: str, params: dict | list | None = None):
        """Run a query returning one value."""
        df = self.execute(sql, params, max_rows=1)
        return None if df.empty else df.iat[0, 0]

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _attach(path: str) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB with ``path`` attached read-only as ``data``.

    Why not ``duckdb.connect(path, read_only=True)``: DuckDB keeps one instance per path in a
    process, so while any cursor on the replaced file is still open, connect() hands back that
    old instance and the new file stays unseen.
    """
    con = duckdb.connect(":memory:", config={"temp_directory": f"{path}.tmp"})  # spill beside the file, as before
    try:
        attach(con, path, "data", read_only=True)
    except duckdb.IOException as exc:
        con.close()
        if "newer version" in str(exc):
            raise RuntimeError(f"{path} was written by a newer DuckDB than {duckdb.__version__} (govdash pins it for "
                               "DuckLake): rebuild it (python -m govdash demo), or with the newer DuckDB run "
                               "EXPORT DATABASE 'DIR' and here IMPORT DATABASE 'DIR'") from exc
        raise
    return con


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal, for ATTACH only: DuckDB 1.5 cannot bind its path as a parameter.

    The text is a database path or lake target from settings or the command line, never text typed
    into a page; quotes are doubled, and a NUL (which would end the string early) is refused.
    """
    if "\x00" in text:
        raise ValueError("NUL in a database path")
    return "'" + text.replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, alias: str, *, read_only: bool = False,
           options: tuple[str, ...] = ()) -> None:
    """``ATTACH path AS alias`` on ``con`` (``alias`` and ``options`` are constants of ours)."""
    if not alias.isidentifier():
        raise ValueError(f"unexpected alias {alias!r}")
    opts = (("READ_ONLY",) if read_only else ()) + tuple(options)
    con.execute(f"ATTACH {sql_literal(str(path))} AS {alias}" + (f" ({', '.join(opts)})" if opts else ""))


@contextmanager
def writer(path: str | os.PathLike):
    """Open the file for writing, create missing tables, and close it afterwards."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        schema.create(con)
        yield con
    finally:
        con.close()


@contextmanager
def replacing_writer(path: str | os.PathLike):
    """Write to a private copy of ``path`` and swap it in with one atomic rename; yields the copy's path.

    Why: DuckDB refuses to open a file for writing while another process (the dashboard's
    ``Database``) holds it open read-only, and the dashboard keeps it open between queries. So
    live writers (the feed, imports while the wall runs) never open the live file: they copy it,
    write the copy, fold its write-ahead log in (CHECKPOINT), fsync it and ``os.replace`` it over
    the original. A reader sees either the old or the new file, never a torn one, and
    ``Database.connection`` reopens at its next query because the inode changed. Writers are
    serialised by an exclusive ``flock`` on ``<path>.lock`` (two copies written at once would lose
    one's changes). On any error the live file is left exactly as it was. Cost: one file copy per
    write (~0.1 s per 100 MB here), so batch small writes.
    """
    import fcntl
    import glob
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(f"{path}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp*"):  # a killed writer's (we hold the lock)
            stale.unlink(missing_ok=True)
        try:
            if path.exists():
                shutil.copyfile(path, tmp)
            yield str(tmp)
            con = duckdb.connect(str(tmp))
            try:
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if Path(f"{tmp}.wal").exists():  # pragma: no cover - a checkpoint that left a log would lose writes
                raise RuntimeError(f"{tmp}: write-ahead log not folded in; not replacing {path}")
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            Path(tmp).unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)
