"""Live feed: generated cases and status changes, the reader-tolerant writer, and one batch through the import path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from govdash import feed, queries, schema
from govdash.db import Database, replacing_writer

AT = datetime(2026, 11, 16, 8, 0, 0)


def _open_case(case_id: str, status: str, tier: str = "community") -> dict:
    row = {c: None for c in schema.IMPORT_COLUMNS}
    row.update(
        case_id=case_id,
        status=status,
        tier=tier,
        reported_at=pd.Timestamp("2026-11-10 09:00"),
        resolved=False,
        recognised=None,
        satisfaction=None,
        dispatched_at=None,
        handled_at=None,
        closed_at=None,
    )
    return row


def test_new_cases_are_registered_near_their_template():
    templates = pd.DataFrame(
        {
            "channel": ["walk_in"],
            "category": ["noise"],
            "subcategory": ["night"],
            "description": ["d"],
            "complainant_name": ["n"],
            "complainant_phone": ["p"],
            "address": ["a"],
            "lon": [121.5],
            "lat": [31.2],
            "department_id": ["D03"],
            "tier": ["community"],
        }
    )
    out = feed.new_cases(templates, AT, 5, np.random.default_rng(1), span_s=10)
    assert len(out) == 5 and out["case_id"].is_unique and (out["status"] == "registered").all()
    assert out["reported_at"].between(pd.Timestamp(AT) - pd.Timedelta(seconds=10), pd.Timestamp(AT)).all()
    # within JITTER_M metres of the template along each axis, measured on the ellipsoid (pyproj.Geod)
    geod = Geod(ellps="WGS84")
    _, _, east = geod.inv(np.full(5, 121.5), np.full(5, 31.2), out["lon"].to_numpy(), np.full(5, 31.2))
    _, _, north = geod.inv(np.full(5, 121.5), np.full(5, 31.2), np.full(5, 121.5), out["lat"].to_numpy())
    assert (east <= feed.JITTER_M * 1.001).all() and (north <= feed.JITTER_M * 1.001).all()
    assert east.max() > feed.JITTER_M / 4 and north.max() > feed.JITTER_M / 4  # metres, not degrees' worth
    assert feed.new_cases(templates, AT, 0, np.random.default_rng(1)).empty


def test_status_changes_move_each_case_one_step():
    cases = pd.DataFrame(
        [
            _open_case("R", "registered", "district"),
            _open_case("D", "dispatched", "district"),
            _open_case("H", "handling", "district"),
        ]
    )
    out = feed.status_changes(cases, AT, np.random.default_rng(0)).set_index("case_id")
    # district cases cannot escalate further, so each advances
    assert out["status"].to_dict() == {"R": "dispatched", "D": "handling", "H": "closed"}
    assert out.at["R", "dispatched_at"] == pd.Timestamp(AT) and out.at["D", "handled_at"] == pd.Timestamp(AT)
    assert out.at["H", "closed_at"] == pd.Timestamp(AT)
    assert pd.isna(out.at["R", "closed_at"])


def test_status_changes_escalate_a_tier():
    cases = pd.DataFrame([_open_case(f"C{i}", "registered", "community") for i in range(200)])
    out = feed.status_changes(cases, AT, np.random.default_rng(3))
    escalated = out["tier"] == "street"
    # about ESCALATE_SHARE of them escalate; they keep their status
    assert 10 < escalated.sum() < 60
    assert (out.loc[escalated, "status"] == "registered").all()
    assert (out.loc[~escalated, "status"] == "dispatched").all()


def test_counts_carry_fractions():
    n, carry = feed._counts(10, 5, 0.0)  # 10/min for 5 s = 0.83
    assert (n, round(carry, 4)) == (0, 0.8333)
    n, carry = feed._counts(10, 5, carry)
    assert (n, round(carry, 4)) == (1, 0.6667)


@pytest.fixture
def db_copy(demo_db, tmp_path) -> str:
    path = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, path)
    return str(path)


def _count(path: str) -> int:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        con.close()


def test_replacing_writer_while_a_reader_holds_the_file(db_copy):
    reader = Database(db_copy)
    before = int(reader.scalar("SELECT count(*) FROM cases"))  # the reader's connection stays open
    # why: another process may not open the file for writing while the reader holds it
    res = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({db_copy!r})"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0 and "lock" in res.stderr.lower()
    with replacing_writer(db_copy) as tmp:
        con = duckdb.connect(tmp)
        con.execute("DELETE FROM cases WHERE case_id IN (SELECT case_id FROM cases ORDER BY case_id LIMIT 3)")
        con.close()
    assert int(reader.scalar("SELECT count(*) FROM cases")) == before - 3  # reopened on the new file
    reader.close()


def test_replacing_writer_leaves_the_file_alone_on_error(db_copy, tmp_path):
    before = _count(db_copy)
    with pytest.raises(RuntimeError), replacing_writer(db_copy) as tmp:
        con = duckdb.connect(tmp)
        con.execute("DELETE FROM cases")
        con.close()
        raise RuntimeError("import failed half way")
    assert _count(db_copy) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no copy left behind


def test_batch_writes_through_the_import_path(db_copy):
    ro = Database(db_copy)
    at = feed.data_clock(ro) + timedelta(seconds=5)
    open_before = int(ro.scalar("SELECT count(*) FROM cases WHERE status <> 'closed'"))
    before = int(ro.scalar("SELECT count(*) FROM cases"))
    rep = feed.batch(db_copy, new=4, changes=3, at=at, rng=np.random.default_rng(5), span_s=5)
    assert (rep.status, rep.inserted, rep.updated) == ("loaded", 4, 3)
    assert int(ro.scalar("SELECT count(*) FROM cases")) == before + 4
    new = ro.execute("SELECT * FROM cases WHERE import_id = $id AND case_id LIKE 'FD%'", {"id": rep.import_id})
    assert len(new) == 4 and new["grid_id"].notna().all() and new["deadline_at"].notna().all()
    assert (new["status"] == "registered").all()
    assert queries.as_of(ro) == at  # the demo clock moved on
    assert ro.scalar("SELECT count(*) FROM imports WHERE import_id = $id", {"id": rep.import_id}) == 1
    # status changes are versioned like any import, so the batch can be undone
    assert (
        ro.scalar("SELECT count(*) FROM case_versions WHERE import_id = $id AND op = 'update'", {"id": rep.import_id})
        == 3
    )
    assert int(ro.scalar("SELECT count(*) FROM cases WHERE status <> 'closed'")) >= open_before + 4 - 3
    ro.close()


def test_feed_command_runs_for_a_duration(db_copy):
    before = _count(db_copy)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "govdash",
            "feed",
            "--db",
            db_copy,
            "--rate",
            "120",
            "--every",
            "1",
            "--duration",
            "2",
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert _count(db_copy) > before
    assert "batches" in res.stderr
