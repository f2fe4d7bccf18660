"""Live demo feed: new cases and status changes (dispatch, handle, close, escalate) written in real time via import."""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from govdash import bins, db, queries, queries_trend
from govdash.db import Database, replacing_writer

JITTER_M = 80.0  # new cases land within about this many metres of a recent case
TEMPLATE_DAYS = 30  # new cases are modelled on cases reported in the last month
ESCALATE_SHARE = 0.15  # share of status changes that escalate a case one tier instead
RESOLVED_SHARE = 0.96  # closed cases that are resolved (the demo runs at 92-99 %)
RECOGNISED_SHARE = 0.98  # resolved cases the community accepts
RATED_SHARE = 0.6  # closed cases with a callback score
NEXT_STATUS = {
    "registered": ("dispatched", "dispatched_at"),
    "dispatched": ("handling", "handled_at"),
    "handling": ("closed", "closed_at"),
}
NEXT_TIER = {"community": "street", "street": "district"}


@dataclass
class FeedStats:
    """What a feed run wrote."""

    batches: int = 0
    inserted: int = 0
    updated: int = 0
    failed_batches: int = 0
    seconds_writing: float = 0.0
    clock: list[datetime] = field(default_factory=list)  # data time of each batch


def data_clock(db: Database) -> datetime:
    """Where the data's time stands: the demo's 'now' (meta as_of), else the newest report or update."""
    return queries.as_of(db).replace(microsecond=0)


def new_cases(
    templates: pd.DataFrame, at: datetime, n: int, rng: np.random.Generator, span_s: float = 60.0
) -> pd.DataFrame:
    """``n`` new registered cases reported in the ``span_s`` seconds up to ``at``, each modelled on a random template.

    Position is the template's moved by up to ``JITTER_M`` metres (WGS-84 degrees out, at each template's own
    latitude on the ellipsoid, anywhere on Earth); deadline and units are left for the import to fill from the
    catalogue and the grid polygons.
    """
    if n <= 0 or templates.empty:
        return pd.DataFrame()
    pick = templates.iloc[rng.integers(0, len(templates), n)].reset_index(drop=True)
    reported = sorted(at - timedelta(seconds=float(s)) for s in rng.uniform(0, span_s, n).round())
    out = pick.copy()
    out["case_id"] = [f"FD{r:%y%m%d%H%M%S}{secrets.token_hex(3).upper()}" for r in reported]
    out["reported_at"] = pd.to_datetime(reported)
    m_lon, m_lat = np.array([bins.metres_per_degree(float(v)) for v in pick["lat"]]).reshape(-1, 2).T
    out["lon"] = pick["lon"] + rng.uniform(-JITTER_M, JITTER_M, n) / m_lon
    out["lat"] = pick["lat"] + rng.uniform(-JITTER_M, JITTER_M, n) / m_lat
    out["status"] = "registered"
    out["resolved"] = False
    out["key_difficult"] = False
    return out


def status_changes(open_cases: pd.DataFrame, at: datetime, rng: np.random.Generator) -> pd.DataFrame:
    """Move each open case one step on: escalate a tier (``ESCALATE_SHARE``) or advance its status.

    Rows are whole cases (every importable column), so an import updates only what changed.
    Closing sets ``resolved``, ``recognised`` and sometimes a satisfaction score.
    """
    if open_cases.empty:
        return pd.DataFrame()
    out = open_cases.copy().reset_index(drop=True)
    for col in ("dispatched_at", "handled_at", "closed_at"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    out["recognised"] = out["recognised"].astype("boolean")
    out["satisfaction"] = out["satisfaction"].astype(float)
    stamp = pd.Timestamp(at)
    for i in range(len(out)):
        tier = out.at[i, "tier"]
        if tier in NEXT_TIER and rng.random() < ESCALATE_SHARE:
            out.at[i, "tier"] = NEXT_TIER[tier]
            continue
        status, when = NEXT_STATUS.get(out.at[i, "status"], NEXT_STATUS["registered"])
        out.at[i, "status"] = status
        out.at[i, when] = stamp
        if status == "closed":
            resolved = bool(rng.random() < RESOLVED_SHARE)
            out.at[i, "resolved"] = resolved
            out.at[i, "recognised"] = bool(rng.random() < RECOGNISED_SHARE) if resolved else pd.NA
            if rng.random() < RATED_SHARE:
                out.at[i, "satisfaction"] = float(np.clip(rng.normal(84.0, 9.0), 0, 100).round())
    return out


def write_cases(db_path: str, frame: pd.DataFrame, *, name: str, user: str = "feed", as_of: datetime | None = None):
    """Upsert whole case rows into ``db_path`` through ``ingest.run`` (native mapping, Parquet).

    The one write path shared by the feed and anything else that has case rows in memory: rows
    get the same validation, grid assignment, versioning (undo) and import record as a file;
    ``as_of`` moves the data's clock in the same transaction.
    ``db_path`` must not be open in another process: the private copy inside ``db.replacing_writer``.
    """
    from govdash import ingest

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return ingest.run(
        "cases", db_path, buf.getvalue(), in_place=True, mapping="govdash", name=name, user=user, as_of=as_of
    )


def batch(db_path: str, *, new: int, changes: int, at: datetime, rng: np.random.Generator, span_s: float = 60.0):
    """One atomic write: ``new`` cases and ``changes`` status changes at data time ``at``; returns the import report.

    The batch and the clock are one transaction of the import: on a file one swap of a private copy,
    on a lake one commit (readers never see the batch without its clock). A batch whose commit lost a
    race with another writer (an import at the same moment) is made again from the start."""
    return db.retrying(db_path, lambda: _batch(db_path, new=new, changes=changes, at=at, rng=rng, span_s=span_s))


def _batch(db_path: str, *, new: int, changes: int, at: datetime, rng: np.random.Generator, span_s: float):
    # the import takes a file path until govdash.ingest writes through db.write; its transaction moves the clock
    with replacing_writer(db_path) as tmp:
        snap = Database(tmp)
        try:
            salt = int(rng.integers(0, 2**31))
            templates = queries_trend.feed_templates(snap, at - timedelta(days=TEMPLATE_DAYS), 500, salt)
            moving = queries_trend.feed_open_cases(snap, changes, salt) if changes > 0 else pd.DataFrame()
        finally:
            snap.close()
        frame = (
            pd.concat(
                [
                    f
                    for f in (new_cases(templates, at, new, rng, span_s), status_changes(moving, at, rng))
                    if not f.empty
                ],
                ignore_index=True,
            )
            if (new or changes)
            else pd.DataFrame()
        )
        if frame.empty:
            return None
        rep = write_cases(tmp, frame, name=f"feed-{at:%Y%m%d-%H%M%S}.parquet", as_of=at)
        if rep.status != "loaded":
            raise RuntimeError(rep.summary())
    return rep


def _counts(rate_per_min: float, seconds: float, carry: float) -> tuple[int, float]:
    """Whole events due in ``seconds`` at ``rate_per_min``, carrying the fraction to the next batch."""
    due = rate_per_min * seconds / 60.0 + carry
    return int(due), due - int(due)


def run(
    db_path: str,
    *,
    rate: float = 20.0,
    changes: float | None = None,
    every: float = 5.0,
    duration: float = 0.0,
    clock: str = "data",
    seed: int | None = None,
    echo=None,
) -> FeedStats:
    """Write new cases at ``rate`` per minute and status changes at ``changes`` per minute, one batch every
    ``every`` seconds, for ``duration`` seconds (0: until interrupted).

    ``clock='data'`` continues the database's own time (the demo's fixed 'now') at real speed, so
    a demo database gets no gap; ``clock='now'`` stamps cases with the wall clock of the district's zone.
    """
    if clock not in ("data", "now"):
        raise ValueError("clock is 'data' or 'now'")
    changes = rate if changes is None else changes
    rng = np.random.default_rng(seed)
    stats = FeedStats()
    ro = Database(db_path)
    try:
        start_data = data_clock(ro)
        tz = queries.district_timezone(ro)  # clock='now': the district's wall clock
    finally:
        ro.close()
    t0 = last = time.monotonic()
    carry_new = carry_chg = 0.0
    while True:
        time.sleep(max(0.0, last + every - time.monotonic()))
        now = time.monotonic()
        n_new, carry_new = _counts(rate, now - last, carry_new)
        n_chg, carry_chg = _counts(changes, now - last, carry_chg)
        last = now
        at = (start_data + timedelta(seconds=round(now - t0))) if clock == "data" else queries.now_in(tz)
        w0 = time.perf_counter()
        try:
            rep = batch(db_path, new=n_new, changes=n_chg, at=at, rng=rng, span_s=every)
        except Exception as exc:  # a bad batch must not stop a feed that runs all day
            stats.failed_batches += 1
            if echo:
                echo(f"{at:%Y-%m-%d %H:%M:%S} batch failed: {exc}")
        else:
            stats.batches += 1
            stats.clock.append(at)
            if rep is not None:
                stats.inserted += rep.inserted
                stats.updated += rep.updated
                if echo:
                    echo(
                        f"{at:%Y-%m-%d %H:%M:%S} +{rep.inserted} new, {rep.updated} changed "
                        f"({time.perf_counter() - w0:.2f} s)"
                    )
        stats.seconds_writing += time.perf_counter() - w0
        if duration and now - t0 >= duration:
            return stats
