"""The case summary (table case_days, govdash.writes_days) equals a recomputation from the cases after every kind of
write: the demo build, imports, undo and the live feed, on a file and on a DuckLake, and on the qinhuai district.

The recomputation (``expected``) is independent of the SQL: each case's contributions counted in pandas, row by row.
Hand-worked on the literal cases (tests/literal_cases.py): A07 (乙镇 T2, garbage, reported 20 Dec 2025 10:00,
deadline 25 Dec 10:00, closed 10 Feb 2026, resolved and recognised, community tier, not rated) counts on
20 Dec as collected, resolved, closed (late: not on time), recognised, with a deadline, recognition known,
closed at community level and with a time to close of 1,248 hours (52 days); on 25 Dec as due (judged at its
deadline, before its closing), resolved and recognised by now, and its deadline passed; on 10 Feb as closed (a
closure) and closed past its deadline.
"""

from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pandas as pd
from literal_cases import build_db
from test_freshness import A05_CLOSED, L1, load

from govdash import feed, ingest, migrate, schema, writes_days
from govdash.db import Database, writer

COLS = list(writes_days.COLUMNS)


def _true(s: pd.Series) -> pd.Series:
    return s.eq(True).fillna(False).astype(bool)


def expected(db: Database) -> pd.DataFrame:
    """Every case's contributions added up per (day, town, category), in pandas."""
    c = db.execute("SELECT * FROM cases", complete=True)
    rep, dl, cl = c["reported_at"], c["deadline_at"], c["closed_at"]
    closed, open_ = c["status"].eq("closed").fillna(False), c["status"].ne("closed") & c["status"].notna()
    resolved, recognised = _true(c["resolved"]), _true(c["recognised"])
    judged = pd.concat([cl, dl], axis=1).min(axis=1)  # the earlier of closing and deadline, either when one is known
    has_dl, has_cl = dl.notna(), cl.notna()
    on_time = has_cl & has_dl & (cl <= dl)
    hours = (cl - rep).dt.total_seconds() / 3600
    parts = [
        (
            rep,
            pd.Series(True, index=c.index),
            {
                "collected": pd.Series(True, index=c.index),
                "resolved": resolved,
                "closed": closed,
                "closed_on_time": closed & on_time,
                "recognised": recognised,
                "open": open_,
                "closed_due": closed & has_dl,
                "recognition_known": resolved & c["recognised"].notna(),
                "open_due": open_ & has_dl,
                "rated": c["satisfaction"].notna(),
                **{f"closed_{t}": closed & c["tier"].eq(t).fillna(False) for t in ("community", "street", "district")},
                "tiered": c["tier"].notna(),
                "satisfaction_sum": c["satisfaction"].fillna(0.0),
                "late": closed & has_dl & has_cl & ~(cl <= dl),
                "unrecognised": resolved & c["recognised"].eq(False).fillna(False),
                "timed": has_cl,
                "hours": hours.fillna(0.0),
                "hours_sq": (hours**2).fillna(0.0),
                "shortfall_sq": ((100 - c["satisfaction"]) ** 2).fillna(0.0),
            },
        ),
        (
            judged,
            judged.notna(),
            {
                "due": judged.notna(),
                "due_on_time": on_time,
                "due_resolved": has_cl & resolved,
                "due_recognised": has_cl & resolved & recognised,
                "due_recognition_known": has_cl & resolved & c["recognised"].notna(),
                "due_reported_later": rep.dt.normalize() > judged.dt.normalize(),
            },
        ),
        (pd.concat([cl, rep], axis=1).max(axis=1), has_cl, {"closures": has_cl}),
        (pd.concat([dl, rep], axis=1).max(axis=1), has_dl, {"deadline_passed": has_dl}),
        (pd.concat([dl, rep, cl], axis=1).max(axis=1), has_dl & has_cl, {"deadline_passed_closed": has_dl & has_cl}),
    ]
    frames = []
    for day, keep, measures in parts:
        f = pd.DataFrame({"day": day.dt.normalize(), "town_id": c["town_id"], "category": c["category"]})
        for m in COLS:
            f[m] = measures[m].astype(float) if m in measures else 0.0
        frames.append(f[keep.to_numpy()])
    out = pd.concat(frames).groupby(["day", "town_id", "category"], dropna=False, as_index=False)[COLS].sum()
    return _tidy(out)


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(day=pd.to_datetime(df["day"]).astype("datetime64[us]"))
    df = df[(df[COLS] != 0).any(axis=1)]
    df[COLS] = df[COLS].astype(float)
    return df.sort_values(["day", "town_id", "category"], na_position="first").reset_index(drop=True)


def stored(db: Database) -> pd.DataFrame:
    assert set(db.execute("SELECT * FROM case_days LIMIT 0").columns) == {"day", "town_id", "category", *COLS}
    return _tidy(db.execute(f"SELECT day, town_id, category, {', '.join(COLS)} FROM case_days"))


def assert_in_step(db: Database) -> None:
    assert db.scalar("SELECT value FROM meta WHERE key = 'case_days'") == "v1"
    pd.testing.assert_frame_equal(stored(db), expected(db), check_dtype=False)


def test_a07_counts_where_it_was_worked_by_hand(tmp_path):
    path = tmp_path / "tiny.duckdb"
    build_db(path).close()
    with writer(path) as con:
        writes_days.rebuild(con)
    db = Database(path)
    rows = stored(db).set_index(["day", "town_id", "category"])
    rec = rows.loc[(pd.Timestamp(2025, 12, 20), "T2", "garbage")]
    ones = {"collected", "resolved", "closed", "recognised", "closed_due", "recognition_known", "closed_community"}
    ones |= {"tiered", "late", "timed"}  # closed 47 days after its deadline
    hours = 52 * 24  # 20 Dec 10:00 to 10 Feb 10:00: 11 + 31 + 10 days
    assert {m for m in COLS if rec[m]} == ones | {"hours", "hours_sq"} and all(rec[m] == 1 for m in ones)
    assert (rec["hours"], rec["hours_sq"]) == (hours, hours**2) == (1248, 1_557_504)
    due = rows.loc[(pd.Timestamp(2025, 12, 25), "T2", "garbage")]
    ones = {"due", "due_resolved", "due_recognised", "due_recognition_known", "deadline_passed"}
    assert {m for m in COLS if due[m]} == ones and all(due[m] == 1 for m in ones)
    feb10 = rows.loc[(pd.Timestamp(2026, 2, 10), "T2", "garbage")]  # A09 is reported that day too
    assert feb10["closures"] == 1 and feb10["deadline_passed_closed"] == 1 and feb10["collected"] == 1
    assert_in_step(db)


def _imports_and_undo(target: str, tmp_path) -> None:
    db = Database(target)
    load(target, L1, tmp_path, "l1.csv")  # a file made without the summary: built whole in this commit
    assert_in_step(db)
    got = stored(db)
    assert got[got["day"] == pd.Timestamp(2026, 3, 30)][["town_id", "collected", "open"]].values.tolist() == [
        ["T1", 1.0, 1.0]
    ]
    rep = load(target, A05_CLOSED, tmp_path, "a05.csv")  # A05 closed: its days move
    assert_in_step(db)
    before = stored(db)
    ingest.undo(target, rep.import_id)
    assert_in_step(db)
    assert not stored(db).equals(before)


def test_imports_and_undo_keep_the_summary_on_a_file(tmp_path):
    path = tmp_path / "tiny.duckdb"
    build_db(path).close()
    _imports_and_undo(str(path), tmp_path)


def test_imports_and_undo_keep_the_summary_on_a_lake(tmp_path):
    path = tmp_path / "tiny.duckdb"
    build_db(path).close()
    target = f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    migrate.migrate(str(path), target)
    _imports_and_undo(target, tmp_path)


def test_a_file_made_before_the_rankings_columns_migrates_whole(tmp_path):
    """Its tables compare on the columns it has, and the copy's summary is rebuilt with the new ones."""
    path = tmp_path / "old.duckdb"
    build_db(path).close()
    with writer(path) as con:
        writes_days.rebuild(con)
        for column in schema.ADDED_SUMMARY_COLUMNS:  # as a file of the version before them
            con.execute(f"ALTER TABLE case_days DROP COLUMN {column}")
    for target in (str(tmp_path / "new.duckdb"), f"ducklake:sqlite:{tmp_path}/cat.sqlite"):
        migrate.migrate(str(path), target)
        assert_in_step(Database(target))


def test_the_demo_build_and_feed_batches_keep_the_summary(demo_db, tmp_path):
    path = str(tmp_path / "demo.duckdb")
    shutil.copyfile(demo_db, path)
    db = Database(path)
    assert_in_step(db)  # built with the demo
    at = feed.data_clock(db)
    for b in range(2):
        at = at.replace(minute=(at.minute + 1) % 60) if at.minute < 59 else at
        feed.batch(path, new=6, changes=4, at=at, rng=np.random.default_rng(b), span_s=30)
        assert_in_step(db)


def test_the_summary_on_qinhuai(tmp_path):
    from test_own_district import build

    from tests.districts import qinhuai

    db = Database(build(qinhuai(tmp_path / "files"), tmp_path))
    assert_in_step(db)
    assert stored(db)["collected"].sum() == db.scalar("SELECT count(*) FROM cases") == 24
    assert date(2026, 5, 1) <= stored(db)["day"].min().date()
