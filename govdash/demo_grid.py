"""The demo's grid workers (网格员) and daily patrols (每日巡查), vectorised, consistent with its patrol cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govdash import writes

TWO_WORKERS_RESIDENTS = 1_500  # grids with more residents have a second worker (协管员 or 公益员) …
TWO_WORKERS_SHARE = 0.35  # … and this share of the smaller ones
ASSISTANT_SHARE = 0.7  # of second workers: assistants 网格协管员, the rest volunteers 网格公益员
OFF_DUTY = 0.08  # second workers not on duty (leave, vacancy): they patrol nothing
PATCHY_GRIDS = 0.04  # share of grids whose patrols lapse now and then (a worker on leave, a vacancy) …
LAPSE_START = 0.03  # … a lapse starting on this share of their days …
LAPSE_DAYS = (2, 8)  # … and lasting 2-7 days
MISS = 0.003  # single days any grid goes unpatrolled
SECOND_MAX = 0.85  # chance of an afternoon patrol in the densest grids (weekdays; half on weekends)
MORNING_H, AFTERNOON_H = 8.5, 14.0  # earliest patrol starts, hours
ROUTE_M = (800.0, 12_000.0)  # route length bounds, metres
PATROL_DAYS = 366  # patrol records kept: the last year (a patrol app's online history; cases go back further)


def workers(grids: pd.DataFrame, names: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One 网格员 per grid, a second worker in the more populous ones.

    ``grids`` has unit_id and residents; ``names`` holds at least two names per grid (used in order).
    Returns worker_id, name, grid_id, role, on_duty; a grid's first worker is its 网格员, always on duty.
    """
    n = len(grids)
    two = (grids["residents"].to_numpy() > TWO_WORKERS_RESIDENTS) | (rng.random(n) < TWO_WORKERS_SHARE)
    counts = 1 + two.astype(int)
    gi = np.repeat(np.arange(n), counts)
    k = np.arange(len(gi)) - np.repeat(np.cumsum(counts) - counts, counts)
    second = k == 1
    role = np.where(second, np.where(rng.random(len(gi)) < ASSISTANT_SHARE, "assistant", "volunteer"), "grid_worker")
    grid_id = grids["unit_id"].to_numpy(dtype=object)[gi]
    return pd.DataFrame(
        {
            "worker_id": "W" + pd.Series(grid_id).astype(str) + "-" + pd.Series(k + 1).astype(str),
            "name": names[: len(gi)],
            "grid_id": grid_id,
            "role": role,
            "on_duty": ~(second & (rng.random(len(gi)) < OFF_DUTY)),
        }
    )


def patrols(
    grids: pd.DataFrame,
    staff: pd.DataFrame,
    days: pd.DatetimeIndex,
    case_days: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Daily patrols of every grid over ``days``: one in the morning, a second in the afternoon the more
    likely the denser the grid (fewer on weekends); a few grids lapse on some days, never on a day
    their worker reported a case (``case_days``: grid_id, day). Times local, route in metres.

    ``grids`` has unit_id, residents and area_km2; ``staff`` is ``workers`` output. Returns one row per
    patrol with positions, not ids (a few million rows: ``writes.demo_patrols`` writes the ids and stretches
    the patrols over their cases in SQL): seq (1, 2, … in time order, the rows' order), grid_i (row of
    ``grids``), worker_i (row of ``staff``), started_at, ended_at, route_m, points_visited.
    """
    g, d = len(grids), len(days)
    ids = grids["unit_id"].to_numpy(dtype=object)
    area = np.maximum(grids["area_km2"].to_numpy(float), 0.01)
    density = grids["residents"].to_numpy(float) / area
    p_second = SECOND_MAX * np.clip(density / max(np.quantile(density, 0.9), 1.0), 0, 1)
    weekend = np.asarray(days.day_of_week >= 5)
    patchy = rng.random(g) < PATCHY_GRIDS

    gi = np.repeat(np.arange(g, dtype=np.int32), d)  # one row per grid-day, grid-major
    di = np.tile(np.arange(d, dtype=np.int32), g)
    covered = rng.random(g * d) >= MISS
    start = np.flatnonzero(patchy[gi] & (rng.random(g * d) < LAPSE_START))
    length = rng.integers(*LAPSE_DAYS, len(start))
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    lapsed = np.repeat(start, length) + offset
    covered[lapsed[np.repeat(di[start], length) + offset < d]] = False  # a lapse ends with its grid's days
    if len(case_days):
        pos = pd.Series(np.arange(g), index=ids)
        cg = pos.reindex(case_days["grid_id"].to_numpy()).to_numpy()
        cd = days.get_indexer(pd.DatetimeIndex(case_days["day"]))
        ok = ~np.isnan(cg) & (cd >= 0)
        covered[cg[ok].astype(int) * d + cd[ok]] = True  # a reported case means someone patrolled
    second = covered & (rng.random(g * d) < p_second[gi] * np.where(weekend[di], 0.5, 1.0))
    n_per = covered.astype(np.int64) + second
    row = np.repeat(np.arange(g * d), n_per)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(n_per) - n_per, n_per)  # 0 morning, 1 afternoon
    pg, pday = gi[row], di[row]
    n = len(row)

    # who walks: the 网格员 in the morning (mostly), the second worker on duty in the afternoon (mostly)
    first_w, second_w = _grid_staff(ids, staff)
    use_second = (second_w[pg] >= 0) & (rng.random(n) < np.where(slot == 1, 0.7, 0.2))
    start_h = np.where(slot == 1, AFTERNOON_H, MORNING_H) + rng.uniform(0, 1.2, n)
    minutes = np.clip(rng.lognormal(np.log(95), 0.3, n), 40, 200)
    day0 = np.datetime64(days[0].date(), "s")
    started = day0 + pday.astype("timedelta64[D]") + (start_h * 3600).astype("timedelta64[s]")
    route = np.clip(2.5 * np.sqrt(area[pg] * 1e6) * rng.uniform(0.7, 1.3, n), *ROUTE_M).round(-1)
    started = started + (pg % 60).astype("timedelta64[s]")  # grids of one slot never start in the same second
    order = np.argsort(started, kind="stable")  # time order: the ids' and the table's
    return (
        pd.DataFrame(
            {
                "seq": np.arange(1, n + 1),
                "grid_i": pg,
                "worker_i": np.where(use_second, second_w[pg], first_w[pg]).astype(np.int32),
                "started_at": started,
                "ended_at": started + (minutes * 60).astype("timedelta64[s]"),
                "route_m": route,
                "points_visited": ((route / 400).astype(int) + rng.integers(0, 4, n)).astype(np.int32),
            }
        )
        .iloc[order]
        .assign(seq=np.arange(1, n + 1))
    )


def _grid_staff(ids: np.ndarray, staff: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per grid (in ``ids`` order): the row in ``staff`` of its 网格员, and of its second worker when on
    duty (-1 when there is none)."""
    pos = staff.assign(i=np.arange(len(staff)))
    on = pos[pos["on_duty"]]
    first = on[on["role"] == "grid_worker"].drop_duplicates("grid_id").set_index("grid_id")["i"]
    second = on[on["role"] != "grid_worker"].drop_duplicates("grid_id").set_index("grid_id")["i"]
    return first.reindex(ids).fillna(-1).to_numpy(np.int64), second.reindex(ids).fillna(-1).to_numpy(np.int64)


def write(con, grids: pd.DataFrame, names: np.ndarray, days: pd.DatetimeIndex, rng: np.random.Generator) -> None:
    """Generate and write the demo's workers and the last ``PATROL_DAYS`` of ``days``' patrols on ``con``, after
    its cases (inside ``db.write``): patrols stretched over the patrol cases they reported, and counting them."""
    staff = workers(grids, names, rng)
    recent = days[-PATROL_DAYS:]
    rounds = patrols(grids, staff, recent, writes.demo_patrol_case_days(con, recent[0].date()), rng)
    writes.insert_frame(con, "grid_workers", staff)
    writes.demo_patrols(con, rounds, grids["unit_id"], staff["worker_id"])
