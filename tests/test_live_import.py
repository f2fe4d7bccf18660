"""Live imports beside readers: 100 k cases in batches under 10 reader threads, kill -9 midway, two reader processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from live_worker import PREFIX, counts, read_loop

from bench import sql
from govdash import ingest, schema
from govdash.db import Database

ROOT = Path(__file__).resolve().parent.parent
WORKER = str(Path(__file__).with_name("live_worker.py"))
BATCH = 10_000
N_BATCHES = 10  # 100 k cases
READERS = 10
SMALL_BATCHES = 4  # of 2,000 cases: the kill and two-process tests


def _batches(demo_db: str, out: Path, n: int, size: int) -> list[str]:
    """``n`` Parquet files of ``size`` valid cases each (demo cases under new ids ``LV<batch><row>``)."""
    db = Database(demo_db)
    try:
        template = sql.sample(db, size)
    finally:
        db.close()
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for b in range(n):
        path = out / f"batch{b:03d}.parquet"
        template.assign(case_id=[f"{PREFIX}{b:03d}{j:06d}" for j in range(size)]).to_parquet(path, index=False)
        files.append(str(path))
    return files


@pytest.fixture(scope="module")
def files(demo_db, tmp_path_factory) -> list[str]:
    return _batches(demo_db, tmp_path_factory.mktemp("batches"), N_BATCHES, BATCH)


@pytest.fixture
def live_db(demo_db, tmp_path) -> str:
    path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, path)
    return str(path)


def _writer(db: str, files: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, WORKER, "write", db, *files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _table(path: str) -> pd.DataFrame:
    """The cases as an import leaves them (ids and importable columns), sorted."""
    con = duckdb.connect(path, read_only=True)
    try:
        cols = ", ".join(("case_id", *schema.IMPORT_COLUMNS))
        return con.execute(f"SELECT {cols} FROM cases ORDER BY case_id").df()
    finally:
        con.close()


def test_100k_cases_imported_in_batches_while_10_readers_query(live_db, files):
    db = Database(live_db)  # one per process, shared by every session thread, as in the app
    base_live, base_total = counts(db)
    stop = threading.Event()
    seen: list[list[int]] = [[] for _ in range(READERS)]
    errors: list[str] = []
    latencies: list[float] = []
    threads = [threading.Thread(target=read_loop, args=(db, stop, seen[i], errors, latencies)) for i in range(READERS)]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    proc = _writer(live_db, files)
    out, err = proc.communicate(timeout=600)
    seconds = time.perf_counter() - t0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(s and s[-1] == N_BATCHES * BATCH for s in seen):
        time.sleep(0.05)  # each reader sees the last swap at its next query
    stop.set()
    for th in threads:
        th.join()
    assert proc.returncode == 0, err[-2000:]
    assert not errors, errors[:5]
    assert base_live == 0
    live, total = counts(db)
    assert (live, total) == (N_BATCHES * BATCH, base_total + N_BATCHES * BATCH)
    assert db.scalar("SELECT count(DISTINCT case_id) FROM cases") == total  # nothing duplicated
    for s in seen:  # every reader saw whole batches only, never going back, and finally all of them
        assert s and all(v % BATCH == 0 for v in s), sorted(set(s))
        assert all(a <= b for a, b in zip(s, s[1:], strict=False))
        assert s[-1] == N_BATCHES * BATCH
    assert len({v for s in seen for v in s}) > 2  # the readers did run during the import
    lat = pd.Series(latencies)
    print(
        f"\n{N_BATCHES * BATCH / seconds:,.0f} rows/s imported beside {READERS} readers; "
        f"{len(lat):,} reads, p50 {lat.quantile(0.5) * 1000:.1f} ms, p95 {lat.quantile(0.95) * 1000:.1f} ms"
    )
    db.close()


@pytest.fixture(scope="module")
def small_files(demo_db, tmp_path_factory) -> list[str]:
    return _batches(demo_db, tmp_path_factory.mktemp("small"), SMALL_BATCHES, 2_000)


@pytest.fixture(scope="module")
def reference(demo_db, small_files, tmp_path_factory) -> pd.DataFrame:
    """The cases after importing every small batch without interruption."""
    path = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    shutil.copyfile(demo_db, path)
    for f in small_files:
        assert ingest.run("cases", path, f, mapping="govdash").status == "loaded"
    return _table(str(path))


@pytest.mark.parametrize("delay_s", [0.0, 0.3])
def test_kill_9_midway_leaves_a_consistent_database_and_a_rerun_completes_it(live_db, small_files, reference, delay_s):
    proc = _writer(live_db, small_files)
    done = []
    for line in proc.stdout:  # kill during the third batch: after its copy started, before or after its swap
        if line.startswith("done"):
            done.append(line)
        if line.strip() == "start 2":
            time.sleep(delay_s)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    db = Database(live_db)
    live, _ = counts(db)
    db.close()
    assert live in (2 * 2_000, 3 * 2_000), live  # the state before batch 2 or after it: never part of one
    rerun = _writer(live_db, small_files)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err[-2000:]
    pd.testing.assert_frame_equal(_table(live_db), reference)
    assert not list(Path(live_db).parent.glob(".live.duckdb.*.tmp*"))  # the killed writer's copy is gone


def test_two_reader_processes_serve_the_same_file_during_imports(live_db, small_files, tmp_path):
    """Like two app replicas: separate processes, each its own Database, reading while batches land."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outs = [str(tmp_path / f"reader{i}.json") for i in range(2)]
    readers = [
        subprocess.Popen(
            [sys.executable, WORKER, "read", live_db, "300", out], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for out in outs
    ]
    time.sleep(1.0)  # both are reading before the first batch lands
    writer = _writer(live_db, small_files)
    _, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err[-2000:]
    time.sleep(0.5)
    for out in outs:
        Path(out + ".stop").touch()
    for r in readers:
        _, rerr = r.communicate(timeout=120)
        assert r.returncode == 0, rerr[-2000:]
    for out in outs:
        got = json.loads(Path(out).read_text())
        assert got["n_errors"] == 0, got["errors"]
        assert got["final"] == SMALL_BATCHES * 2_000
        seen = [v for thread in got["seen"] for v in thread]
        assert seen and all(v % 2_000 == 0 for v in seen)
        assert len(set(seen)) > 1, "the reader saw no import land"
