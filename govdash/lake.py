"""DuckLake stores: parsing ``ducklake:…`` targets, loading the extensions from their wheels, attaching.

A lake keeps tables as Parquet files under a data path and its catalog (snapshots, file lists,
statistics) in a SQL database: ``ducklake:sqlite:FILE`` for one machine, ``ducklake:postgres:CONNINFO``
(libpq key=value, e.g. ``dbname=govdash host=10.0.0.5 port=5432 user=govdash``; the password from
``PGPASSWORD`` or ``~/.pgpass``, never from the target string) for several hosts.
"""

from __future__ import annotations

import importlib.util
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

PREFIX = "ducklake:"
CATALOGS = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}  # catalog kind -> extension it needs


class LakeError(RuntimeError):
    """A lake target that cannot be used (bad name, missing extension, missing data path)."""


def is_lake(target: str | os.PathLike) -> bool:
    """Whether ``target`` (a GOVDASH_DB value) names a DuckLake rather than a DuckDB file."""
    return str(target).startswith(PREFIX)


def display(target: str | os.PathLike) -> str:
    """``target`` fit for messages and logs: a PostgreSQL conninfo's password is left out."""
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", str(target))


@dataclass(frozen=True)
class Lake:
    """A parsed lake target: ``kind`` is sqlite or postgres; ``catalog`` what follows ``ducklake:KIND:``."""

    kind: str
    catalog: str
    data_path: str  # '' when the catalog already knows it (every attach after the first)

    @property
    def uri(self) -> str:
        return f"{PREFIX}{self.kind}:{self.catalog}"


def parse(target: str, data_path: str | None = None) -> Lake:
    """Parse ``ducklake:sqlite:FILE`` or ``ducklake:postgres:CONNINFO``.

    The data path is ``data_path`` when given, else ``GOVDASH_LAKE_DATA``; for a SQLite catalog
    without either, ``FILE.files/`` beside the catalog file. A PostgreSQL lake without one can
    only be opened once created (the catalog stores its data path).
    """
    from govdash import settings

    rest = str(target)[len(PREFIX) :] if is_lake(target) else ""
    kind, sep, catalog = rest.partition(":")
    if not sep or kind not in CATALOGS or not catalog.strip():
        raise LakeError(f"{target!r}: expected ducklake:sqlite:FILE or ducklake:postgres:dbname=… host=… port=…")
    data = data_path if data_path is not None else settings.load().lake_data
    if not data and kind == "sqlite":
        data = f"{catalog}.files"
    if data:
        data = str(Path(data).expanduser().absolute()) + os.sep  # DuckLake joins file names onto it
    return Lake(kind, catalog, data or "")


def extension_path(name: str) -> str:
    """The ``.duckdb_extension`` file of ``name`` shipped by the wheel ``duckdb-extension-<name>``.

    Why from the wheel: extensions cannot be downloaded at run time (offline), and a wheel's
    file only loads into the DuckDB version it was built for, so it is looked up for this one.
    """
    pkg = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(pkg)
    if spec is None or spec.origin is None:
        raise LakeError(
            f"DuckDB extension {name!r} is not installed (pip install duckdb-extension-"
            f"{name.replace('_', '-')}=={duckdb.__version__})"
        )
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise LakeError(f"{path}: no {name} extension for DuckDB {duckdb.__version__} (pin the wheel to it)")
    return str(path)


def load_extensions(con: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """Load ducklake and the catalog's scanner into ``con`` from their wheels."""
    for name in ("ducklake", CATALOGS[lake.kind]):
        con.execute(f"LOAD '{extension_path(name)}'")  # a path of an installed package, not user input


def attach(con: duckdb.DuckDBPyConnection, lake: Lake, alias: str = "data", *, read_only: bool = False) -> None:
    """Attach ``lake`` to ``con`` as ``alias`` (a name of ours), creating it when the catalog is empty."""
    from govdash.db import attach as attach_path
    from govdash.db import sql_literal

    load_extensions(con, lake)
    if lake.kind == "sqlite":
        Path(lake.catalog).expanduser().parent.mkdir(parents=True, exist_ok=True)
    opts: tuple[str, ...] = ()
    if lake.data_path:
        if lake.data_path.startswith("/"):
            Path(lake.data_path).mkdir(parents=True, exist_ok=True)
        opts = (f"DATA_PATH {sql_literal(lake.data_path)}",)
    try:
        attach_path(con, lake.uri, alias, read_only=read_only, options=opts)
    except duckdb.Error as exc:
        raise LakeError(f"{lake.uri}: cannot attach the lake: {exc}") from exc


# --- how a lake lays out and reads its data (issue 20 item 3; figures in docs/benchmarks.md) ---

# new cases go to one folder of files per month (DuckLake prunes whole files by these keys before it opens
# any), in area order inside each (``queries.CLUSTER_ORDER``, as layout.py orders the file)
PARTITION_BY = "year(reported_at), month(reported_at)"
LAKE_OPTIONS = {
    # rows of small commits kept in the catalog cost two more catalog queries on every scan of their
    # table, written or not: every commit writes files, and `optimize` merges the small ones
    "data_inlining_row_limit": 0,
    # a row group is what Parquet's min/max let a scan skip: one street/town of one month is a few
    # thousand cases, so groups of 16 Ki rows let a town's view skip the rest of its month
    "parquet_row_group_size": 16_384,
}
READ_SETTINGS = {
    # a lake's Parquet files are never changed once written (a change writes a new file), so their
    # footers and blocks, once read, stay valid: keep them in memory and do not re-check them
    "parquet_metadata_cache": True,
    "validate_external_file_cache": "NO_VALIDATION",
}


def lay_out(con: duckdb.DuckDBPyConnection, alias: str, *, tables: bool) -> None:
    """Set the lake ``alias``'s write options; with ``tables``, the cases table's partitions and order.

    Called by ``migrate`` on a new lake (options before the tables exist, the rest after) and by
    ``optimize`` on an existing one; only data written afterwards is laid out anew.
    """
    from govdash import queries

    if not alias.isidentifier():
        raise ValueError(f"unexpected alias {alias!r}")
    for name, value in LAKE_OPTIONS.items():  # constants of ours
        con.execute(f"CALL {alias}.set_option('{name}', {value!r})")
    if tables:
        con.execute(f"ALTER TABLE {alias}.cases SET PARTITIONED BY ({PARTITION_BY})")
        con.execute(f"ALTER TABLE {alias}.cases SET SORTED BY ({queries.CLUSTER_ORDER})")


_INSTANCES: dict[tuple[str, str, bool], duckdb.DuckDBPyConnection] = {}  # (uri, data path, read only) -> instance
_INSTANCES_LOCK = threading.Lock()


def connect(lake: Lake, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with ``lake`` attached as ``data``: its own transactions, closed by the caller.

    It is a cursor of one in-memory DuckDB per lake and mode, made at the first call and kept for
    the process's life (extensions from their wheels). Why: loading the two extensions and attaching
    cost ~0.2–0.5 s of CPU per new instance (a feed batch opened two), and one instance keeps
    DuckLake's schema cache between transactions. Each cursor still reads the newest snapshot at
    the start of its transactions, whichever host committed it.
    """
    key = (lake.uri, lake.data_path, read_only)
    with _INSTANCES_LOCK:
        base = _INSTANCES.get(key)
        if base is None:
            base = _INSTANCES[key] = _instance(lake, read_only=read_only)
        return base.cursor()


def _instance(lake: Lake, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,  # offline: never try to download
            "temp_directory": str(Path(tempfile.gettempdir()) / "govdash_spill"),
        },
    )
    try:
        attach(con, lake, read_only=read_only)
        for name, value in READ_SETTINGS.items():  # constants of ours; after attach loaded parquet
            con.execute(f"SET GLOBAL {name} = {value!r}")  # GLOBAL: every cursor of the instance
    except BaseException:
        con.close()
        raise
    return con


def snapshot_id(con: duckdb.DuckDBPyConnection, alias: str = "data") -> int:
    """The lake's current snapshot id (grows with every commit): the cache key of a lake."""
    if not alias.isidentifier():
        raise ValueError(f"unexpected alias {alias!r}")
    return int(con.execute(f"SELECT id FROM {alias}.current_snapshot()").fetchone()[0])


KEEP_SNAPSHOTS = "7 days"  # snapshots younger than this survive optimize (time travel, undo by snapshot)
FILE_GRACE = "1 hour"  # files no snapshot needs are deleted this long after they were dropped (running reads)


def optimize(target: str) -> dict:
    """``python -m govdash optimize`` on a lake: DuckLake's compaction in area order, then snapshot expiry.

    The lake's layout is set again (``lay_out``: months as partitions, cases in ``queries.CLUSTER_ORDER``
    inside them, as ``layout`` orders the file), so new and merged files follow it. Rows of small
    commits that the catalog holds inline are written to files and never inlined again (they cost two
    catalog queries on every scan of their table), small files of many commits are merged
    (``ducklake_merge_adjacent_files``), snapshots older than ``KEEP_SNAPSHOTS`` are expired and files
    no snapshot needs are deleted after ``FILE_GRACE``.
    Returns ``{"files_before", "files_after", "expired", "seconds"}``.
    """
    import time

    from govdash import writes

    t0 = time.perf_counter()
    con = connect(parse(target))
    try:
        before = writes.lake_files(con)
        # inline rows go to files first: with a sort expression set, DuckLake 1.5.5 cannot flush them
        con.execute("SELECT count(*) FROM ducklake_flush_inlined_data('data')").fetchall()
        lay_out(con, "data", tables=True)
        con.execute("SELECT count(*) FROM ducklake_merge_adjacent_files('data')").fetchall()
        expired = con.execute(
            f"SELECT count(*) FROM ducklake_expire_snapshots('data', older_than => now() - INTERVAL '{KEEP_SNAPSHOTS}')"
        ).fetchone()[0]
        con.execute(
            f"SELECT count(*) FROM ducklake_cleanup_old_files('data', older_than => now() - INTERVAL '{FILE_GRACE}')"
        ).fetchall()
        after = writes.lake_files(con)
    finally:
        con.close()
    return {"files_before": before, "files_after": after, "expired": int(expired), "seconds": time.perf_counter() - t0}
