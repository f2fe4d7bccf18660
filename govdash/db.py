"""The one door to DuckDB: connections and ``execute(sql, params)`` with bound parameters, row cap and time limit."""

from __future__ import annotations

import fcntl
import glob
import os
import random
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from govdash import lake, schema, settings


class QueryTimeout(RuntimeError):
    """A query ran past its time limit and was interrupted."""


class TooManyRows(RuntimeError):
    """A result that must be whole to be right (``execute(..., complete=True)``) has more rows than the cap."""


class Database:
    """A DuckDB file or a DuckLake opened read-only, shared by every session of one process.

    A file: the connection is reopened when the file is replaced (new mtime/inode), so an
    importer that swaps in a new file is seen at the next query. Queries already running
    finish on the file they started on.

    A lake (``path`` = ``ducklake:sqlite:FILE`` or ``ducklake:postgres:CONNINFO``, see govdash.lake):
    one connection for the process's life; every query is its own transaction and so reads the
    lake's newest snapshot, whichever host committed it, unless a block of queries shares one
    (``one_snapshot``: a page's queries). Queries run alike on both: the store is attached as
    ``data`` and made the default database.
    """

    def __init__(self, path: str | os.PathLike, *, max_rows: int = 200_000, timeout_s: float = 30.0):
        self.path = str(path)
        self.lake = lake.parse(self.path) if lake.is_lake(self.path) else None
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()
        self._pinned = threading.local()  # .cur: this thread's cursor inside ``one_snapshot``, else None

    def _file_stamp(self) -> tuple:
        if self.lake is not None:
            return ("lake",)  # never reopened: a lake's new snapshots are read through the same connection
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise DatabaseMissing(f"no database at {self.path}") from None
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

    @contextmanager
    def one_snapshot(self):
        """Run this thread's queries in the block as one read transaction: on a lake, one snapshot for all.

        Why: DuckLake looks the current snapshot up in its catalog at the start of every transaction
        (two catalog transactions per autocommitted query), so a page's 4–20 queries each pay for it;
        in one transaction they pay once, and the page's figures all come from the same commit.
        A file is left as it is (a file's queries cost no catalog lookups). Nested blocks join the
        outer one; a query that fails ends the shared transaction and the block's later queries run
        on their own. Streams (``stream``) always take a cursor of their own.
        """
        if self.lake is None or getattr(self._pinned, "cur", None) is not None:
            yield
            return
        cur = self.connection()
        cur.execute("BEGIN TRANSACTION")
        self._pinned.cur = cur
        try:
            yield
        finally:
            self._unpin()

    def _unpin(self) -> None:
        cur, self._pinned.cur = getattr(self._pinned, "cur", None), None
        if cur is not None:
            with suppress(duckdb.Error):
                cur.execute("ROLLBACK")  # read only: nothing to commit
            cur.close()

    @contextmanager
    def _cursor(self):
        """The thread's shared cursor inside ``one_snapshot`` (kept open), else a fresh one (closed after)."""
        cur = getattr(self._pinned, "cur", None)
        if cur is None:
            cur = self.connection()
            try:
                yield cur
            finally:
                cur.close()
            return
        try:
            yield cur
        except BaseException:
            self._unpin()  # a failed or interrupted query aborts the transaction: the rest run on their own
            raise

    def version(self) -> tuple:
        """A value that changes whenever the data changes (a cache key): the file's stamp, a lake's snapshot id."""
        if self.lake is None:
            return self._file_stamp()
        with self._cursor() as cur:
            return ("lake", lake.snapshot_id(cur))

    def execute(
        self, sql: str, params: dict | list | None = None, *, max_rows: int | None = None, complete: bool = False
    ) -> pd.DataFrame:
        """Run one query with bound parameters; return at most ``max_rows`` rows as a DataFrame.

        The cap is ``max_rows`` (default: the configured ``GOVDASH_MAX_ROWS``). Rows are fetched in
        chunks and fetching stops after cap + 1: ``df.attrs["truncated"]`` is True when the query had
        more rows than were returned, and whoever shows the result says so. With ``complete`` a
        result over the cap raises TooManyRows instead (aggregates and lookups whose consumers would
        be wrong on part of them). Results meant to be whole at any size (exports) use ``stream``.
        Raises QueryTimeout when the query (fetching included) runs past ``timeout_s``.
        """
        cap = self.max_rows if max_rows is None else int(max_rows)
        with self._cursor() as cur, self._time_limit(cur):
            cur.execute(sql, params or [])
            df, truncated = _fetch(cur, cap)
        if truncated and complete:
            raise TooManyRows(f"more than {cap:,} rows: narrow the filters, or raise GOVDASH_MAX_ROWS")
        df.attrs["truncated"] = truncated
        return df

    def stream(
        self, sql: str, params: dict | list | None = None, *, batch_rows: int = 100_000
    ) -> Iterator[pd.DataFrame]:
        """Every row of a query, as DataFrames of about ``batch_rows`` rows: no cap, for exports.

        The first batch comes even when empty (it carries the columns). The time limit applies to
        the query's start and to each batch, not to the whole.
        """
        vectors = max(1, -(-batch_rows // 2048))
        cur = self.connection()
        try:
            with self._time_limit(cur):
                cur.execute(sql, params or [])
            first = True
            while True:
                with self._time_limit(cur):
                    part = cur.fetch_df_chunk(vectors)
                if part.empty and not first:
                    return
                yield part
                if part.empty:
                    return
                first = False
        finally:
            cur.close()

    @contextmanager
    def _time_limit(self, cur: duckdb.DuckDBPyConnection):
        """Interrupt ``cur`` after ``timeout_s`` and raise QueryTimeout."""
        timer = threading.Timer(self.timeout_s, cur.interrupt)
        timer.start()
        try:
            yield
        except duckdb.InterruptException as exc:
            raise QueryTimeout(f"query exceeded {self.timeout_s:g} s") from exc
        finally:
            timer.cancel()

    def scalar(self, sql: str, params: dict | list | None = None):
        """Run a query returning one value."""
        df = self.execute(sql, params, max_rows=1)
        return None if df.empty else df.iat[0, 0]

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _fetch(cur: duckdb.DuckDBPyConnection, cap: int) -> tuple[pd.DataFrame, bool]:
    """At most ``cap`` rows of the pending result, and whether there were more (reads ``cap + 1`` at most).

    DuckDB hands rows out in vectors of 2,048; one chunk large enough for ``cap + 1`` rows is asked
    for first, so a result under the cap costs one call. Later chunks only when a vector came short.
    """
    want = cap + 1
    vectors = max(1, -(-want // 2048))
    first = cur.fetch_df_chunk(vectors)
    parts, got = [first], len(first)
    while 0 < got < want:
        more = cur.fetch_df_chunk(max(1, -(-(want - got) // 2048)))
        if more.empty:
            break
        parts.append(more)
        got += len(more)
    df = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if len(df) > cap:
        return df.iloc[:cap], True
    return df, False


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
            raise RuntimeError(
                f"{path} was written by a newer DuckDB than {duckdb.__version__} (govdash pins it for "
                "DuckLake): rebuild it (python -m govdash demo), or with the newer DuckDB run "
                "EXPORT DATABASE 'DIR' and here IMPORT DATABASE 'DIR'"
            ) from exc
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


def attach(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike,
    alias: str,
    *,
    read_only: bool = False,
    options: tuple[str, ...] = (),
) -> None:
    """``ATTACH path AS alias`` on ``con`` (``alias`` and ``options`` are constants of ours)."""
    if not alias.isidentifier():
        raise ValueError(f"unexpected alias {alias!r}")
    opts = (("READ_ONLY",) if read_only else ()) + tuple(options)
    con.execute(f"ATTACH {sql_literal(str(path))} AS {alias}" + (f" ({', '.join(opts)})" if opts else ""))


class DatabaseMissing(FileNotFoundError):
    """The configured database does not exist (and is not to be created here)."""


class WriteError(RuntimeError):
    """A write failed (disk full, a constraint, an I/O error); the database is left exactly as it was.

    ``str()`` is one line naming the database and the cause; ``reason`` is the cause alone (the
    exception's type and first line); the original exception is ``__cause__``.
    """

    def __init__(self, message: str, *, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


@contextmanager
def write(
    target: str | os.PathLike,
    *,
    create: bool = True,
    fresh: bool = False,
    tables: Callable[[duckdb.DuckDBPyConnection], None] = schema.create,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write to the database ``target``: yields a connection inside an open transaction.

    Parameters
    ----------
    target : the database (today a DuckDB file path)
    create : a missing ``target`` is created; with False it raises DatabaseMissing and nothing is written
    fresh : the connection is on a new, empty database that replaces ``target`` whole (the layout's
        re-sort, the demo build); ``target``'s current contents, if any, are attached read-only as ``src``
    tables : creates the tables that do not exist yet (``schema.create``; the accounts file passes
        ``schema.create_accounts``), run first inside the transaction

    Semantics, the contract any store implements: the block's statements are one transaction.
    When the block ends normally the transaction commits and the change is durable and visible
    to every reader at its next query, all of it at once. When the block raises, nothing of it
    is kept and ``target`` is exactly as it was. An OSError or DuckDB error, whether of the store
    (disk full, I/O) or of the block's statements (a constraint), is raised as a one-line
    WriteError; any other exception of the block (a validation error) propagates unchanged.
    Writers are serialised. The caller never commits, rolls back or checkpoints, and never sees
    where the data lives.

    How a file does it: DuckDB refuses to open a file for writing while another process (the
    dashboard's ``Database``) holds it open read-only, so the write goes to a private copy
    (``.<name>.<pid>.<thread>.tmp`` beside it, same mode and owner), which is committed,
    checkpointed (its log folded in), fsynced and renamed over ``target`` in one atomic step;
    readers reopen at their next query because the inode changed. Writers queue on an exclusive
    ``flock`` of ``<target>.lock`` (two copies written at once would lose one's changes); the next
    writer removes any killed writer's leftovers. Cost: one file copy per write (~0.1 s per 100 MB).

    How a lake does it (``ducklake:…``): the block is one DuckLake transaction on the lake itself (no
    copy, no lock: DuckLake's snapshots isolate readers and let writers on other hosts commit too);
    the cost is the batch, not the database. ``fresh`` is refused: a lake is built by ``migrate``.
    """
    if lake.is_lake(target):
        with _lake_transaction(str(target), fresh=fresh, tables=tables) as con:
            yield con
        return
    path = Path(target)
    if not create and not path.is_file():  # checked before the lock too: a missing database gets no lock file
        raise DatabaseMissing(f"no database at {path}")
    with _writer_lock(path):
        if not create and not path.is_file():
            raise DatabaseMissing(f"no database at {path}")
        with (
            _one_line(path),
            _swapped(path, copy=not fresh) as tmp,
            _transaction(tmp, src=str(path) if fresh and path.is_file() else None, tables=tables) as con,
        ):
            yield con


@contextmanager
def write_private(
    path: str | os.PathLike, *, fresh: bool = False, tables: Callable[[duckdb.DuckDBPyConnection], None] = schema.create
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``write`` on a file no other process has open and no other writer can reach: no lock, and no
    copy unless ``fresh`` (DuckDB's own transaction keeps such a file whole).

    Only for the import subsystem's private copy inside ``replacing_writer``, until it writes
    through ``write``: the feed sets its clock and ``layout.recluster`` re-sorts such a copy with it.
    """
    if lake.is_lake(path):
        with _lake_transaction(str(path), fresh=fresh, tables=tables) as con:
            yield con
        return
    path = Path(path)
    with _one_line(path):
        if not fresh:
            with _transaction(path, src=None, tables=tables) as con:
                yield con
            return
        with _swapped(path, copy=False) as tmp, _transaction(tmp, src=str(path), tables=tables) as con:
            yield con


@contextmanager
def writer(path: str | os.PathLike):
    """Open a file no other process holds for writing, create missing tables, and close it afterwards.

    For building test databases and for the import subsystem until it writes through ``write``;
    statements autocommit.
    """
    if lake.is_lake(path):  # the lake itself: each statement (or the caller's BEGIN … COMMIT) commits a snapshot
        con = lake.connect(lake.parse(str(path)))
        con.execute("USE data")
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
    try:
        schema.create(con)
        yield con
    finally:
        con.close()


@contextmanager
def replacing_writer(path: str | os.PathLike):
    """Yield the path of a private copy of ``path`` that is swapped in when the block ends (as ``write``).

    For the import subsystem until it writes through ``write`` (which yields a connection instead);
    the block opens and closes its own connections on the copy. Errors come through as raised (the
    import subsystem words them itself).
    """
    if lake.is_lake(path):  # no copy to swap: the block's own transactions commit on the lake
        yield str(path)
        return
    path = Path(path)
    with _writer_lock(path), _swapped(path, copy=True) as tmp:
        yield str(tmp)
        _checkpoint(tmp)


# --- the file store's plumbing ---


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _leftovers(path: Path) -> list[Path]:
    """Temporary files and folders of writers of ``path``: ``.<name>.*`` copies, their logs and spill folders,
    and ``..<name>.*`` ones made beside a copy (a re-sort of the import's private copy)."""
    name = glob.escape(path.name)
    return sorted({*path.parent.glob(f".{name}.*.tmp*"), *path.parent.glob(f"..{name}.*")})


@contextmanager
def _writer_lock(path: Path):
    """Hold the exclusive writer lock of ``path`` (``<path>.lock``); clear what killed writers left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            for stale in _leftovers(path):  # a killed writer's (we hold the lock, so none is running)
                _remove(stale)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


@contextmanager
def _swapped(path: Path, *, copy: bool):
    """Yield a private file beside ``path`` (a copy of it when ``copy``); when the block ends normally,
    fsync it and rename it over ``path`` keeping ``path``'s mode and owner. Always remove what is left."""
    tmp = _temp_name(path)
    for p in _companions(tmp):
        _remove(p)
    try:
        if copy and path.is_file():
            shutil.copyfile(path, tmp)
        yield tmp
        if Path(f"{tmp}.wal").exists():  # pragma: no cover - a checkpoint that left a log would lose writes
            raise RuntimeError(f"{tmp}: write-ahead log not folded in; not replacing {path}")
        if path.is_file():
            _keep_permissions(path, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        for p in _companions(tmp):
            _remove(p)


def _companions(tmp: Path) -> tuple[Path, ...]:
    return tmp, Path(f"{tmp}.wal"), Path(f"{tmp}.spill")


def _keep_permissions(original: Path, tmp: Path) -> None:
    """Give ``tmp`` the mode (``chmod 600`` survives a write) and, when allowed, the owner and group of ``original``."""
    st = original.stat()
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except PermissionError:  # only root may give a file away; the writer's own files keep their owner anyway
        pass


@contextmanager
def _transaction(tmp: Path, *, src: str | None, tables):
    """A connection on ``tmp`` in one transaction (``src`` attached read-only); commit and checkpoint on success."""
    con = duckdb.connect(str(tmp), config={"temp_directory": f"{tmp}.spill"})  # spill beside, removed afterwards
    try:
        if src is not None:
            attach(con, src, "src", read_only=True)
        con.execute("BEGIN TRANSACTION")
        try:
            tables(con)
            yield con
            con.execute("COMMIT")
        except BaseException:
            with suppress(duckdb.Error):  # the transaction may be gone already (a failed COMMIT)
                con.execute("ROLLBACK")
            raise
        if src is not None:
            con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def exists(target: str | os.PathLike) -> bool:
    """Whether ``target`` names a database that is there: a file, or any lake (a lake's absence shows on attach)."""
    return lake.is_lake(target) or Path(target).is_file()


def side_folder(target: str | os.PathLike) -> Path:
    """The local folder for files that go beside a database (quarantine CSVs): the file's folder; a
    SQLite-catalogued lake's catalog folder; a PostgreSQL lake's hosts ``data/`` of the project."""
    if not lake.is_lake(target):
        return Path(target).resolve().parent
    lk = lake.parse(str(target))
    return Path(lk.catalog).resolve().parent if lk.kind == "sqlite" else settings.PROJECT_ROOT / "data"


T = TypeVar("T")
LAKE_RETRIES = 5  # a lake commit that lost a race with another writer's is run again this many times


def is_conflict(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or its cause) is a lake commit that lost a race with another writer (worth a retry)."""
    while exc is not None:
        text = str(exc).lower()
        if isinstance(exc, duckdb.TransactionException) and (
            "conflict" in text or "failed to commit ducklake transaction" in text
        ):
            return True
        exc = exc.__cause__
    return False


def retrying(target: str | os.PathLike, work: Callable[[], T]) -> T:
    """``work()``; on a lake, run again from the start (jittered back-off) when its commit lost a race.

    DuckLake checks at commit whether another writer changed what this transaction changed; the
    loser's transaction is rolled back whole, so running the work again loses and doubles nothing.
    A file store serialises writers on its lock and never needs this.
    """
    for attempt in range(LAKE_RETRIES + 1):
        try:
            return work()
        except Exception as exc:
            if not (lake.is_lake(target) and attempt < LAKE_RETRIES and is_conflict(exc)):
                raise
            time.sleep(0.05 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")


@contextmanager
def _lake_transaction(target: str, *, fresh: bool, tables):
    """A connection with the lake as its default catalog, in one transaction; errors as one-line WriteErrors."""
    if fresh:
        raise WriteError(f"{target}: not written: a lake is built by `python -m govdash migrate`, not rewritten whole")
    with _one_line(target):
        con = lake.connect(lake.parse(target))
        try:
            con.execute("USE data")
            con.execute("BEGIN TRANSACTION")
            try:
                tables(con)
                yield con
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):  # the transaction may be gone already (a failed COMMIT)
                    con.execute("ROLLBACK")
                raise
        finally:
            con.close()


def _checkpoint(tmp: Path) -> None:
    con = duckdb.connect(str(tmp))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()


@contextmanager
def _one_line(path: Path):
    """Turn a failure of the store (OSError, a DuckDB error) into a one-line WriteError naming ``path``."""
    try:
        yield
    except (OSError, duckdb.Error) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        raise WriteError(f"{lake.display(path)}: not written, left as it was: {reason}", reason=reason) from exc
