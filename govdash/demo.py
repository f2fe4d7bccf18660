"""A deterministic synthetic Pudong-like district: geography, stations, catalogue and cases, calibrated to DOMAIN.md."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from govdash import (
    db,
    demo_departments,
    demo_grid,
    demo_stations,
    district,
    district_record,
    queries,
    schema,
    writes,
    writes_days,
    writes_log,
)
from govdash.demo_catalogue import (
    CATEGORIES,
    CATEGORY_SHARE,
    CHANNEL_BASE,
    CHANNEL_BOOST,
    CHANNEL_CODES,
    CHANNELS,
    DEPARTMENTS,
    GIVEN,
    GOV_SUBDOMAINS,
    PHRASES,
    SURNAMES,
    SURVEY_OFFSET,
    TIER_FACTOR,
    TIER_SHARE,
)

AS_OF = datetime(2026, 11, 15, 23, 59)  # the demo's "now"; fixed so a seed always gives the same database
# cases are generated and written this many at a time: a whole 10 M-case table built at once took
# ~20 GB of RAM (Python strings); in chunks of 1 M the build peaks at 4.3 GB (140 s)
CHUNK_CASES = 1_000_000
BUILD_MEMORY = "2GB"  # DuckDB's share while merging the chunks (sorting 10 M cases), spilled beyond it
# service records on an average station's weekday: one per this many cases asked for, 0.25 to 3
# (2.5 at the default 500 k cases: ~1.9 M records over two years; 0.25 in the tests' 20 k demo)
SERVICE_CASES_PER_RECORD = 200_000
KEY_DIFFICULT = (37, ("illegal_construction", "group_renting", "dispute"))  # Pudong listed 37 重点难点
KEY_STATUS_COUNTS = {"special_push": 3, "resolved": 14, "clear_path": 20}  # Pudong's 37: 3 / 14 / 20
# 八必报 on grid patrols (Xiacheng): category -> ((item, share of the category's patrol cases that carry it), …).
# Damage, unclean lanes and hazards a grid worker finds are must-report items as found; the five items that are
# no complaint category ride on the patrol reports closest to them (a rental behind group renting, a resident
# taken to hospital behind a medical or elderly-care visit, a new pregnancy behind a childcare one)
MUST_REPORT_SHARE = {
    "facility_damage": (("facility_damage", 1.0),),
    "back_lane": (("back_lane", 1.0),),
    "safety_hazard": (("safety_hazard", 1.0),),
    "group_renting": (("house_rented", 0.5), ("incoming_migrants", 0.3)),
    "medical": (("hospitalised", 0.4),),
    "elderly": (("hospitalised", 0.15),),
    "childcare": (("new_pregnancy", 0.4),),
    "dispute": (("unstable_factor", 0.25),),
}


def _progress(cb: Callable[[float, str], None] | None, frac: float, text: str) -> None:
    if cb is not None:
        cb(frac, text)


def build(
    path: str | os.PathLike,
    *,
    cases: int = 500_000,
    years: float = 2.0,
    seed: int = 20161,
    metric_crs: str = "EPSG:32651",
    progress: Callable[[float, str], None] | None = None,
) -> Path:
    """Write a complete demo database to ``path`` (replaced atomically) and return the path.

    Parameters
    ----------
    cases : approximate number of cases (工单) to generate.
    years : span of case history ending at ``AS_OF``, in years.
    seed : random seed; the same seed gives the same database.
    progress : optional callback ``(fraction 0-1, message)``.
    """
    rng = np.random.default_rng(seed)
    path = Path(path)
    _progress(progress, 0.02, "geography")
    geo = district.build(rng, metric_crs)
    fwd, inv = district.transformers(metric_crs)
    _progress(progress, 0.20, "units")
    units = _units(geo, inv)
    cells = geo.cells.copy()
    cells["lon"], cells["lat"] = inv.transform(cells["x"].to_numpy(), cells["y"].to_numpy())
    cells["size_m"] = district.CELL_M
    stations = geo.stations.copy()
    stations["lon"], stations["lat"] = inv.transform(stations["x"].to_numpy(), stations["y"].to_numpy())
    items, station_items = demo_stations.catalogue(stations, rng)
    towns = geo.towns
    town_perf = _town_performance(towns, rng)
    dept = (demo_departments.performance([d[0] for d in DEPARTMENTS], seed), np.random.default_rng([seed, 1819]))
    _progress(progress, 0.30, "cases")
    sizes = _chunk_sizes(cases)
    chunked = len(sizes) > 1  # then the cases come after the surveys: keep the progress bar moving forward

    def generate(k: int) -> pd.DataFrame:
        """Chunk ``k`` of the cases; its share of the progress bar between 0.30 and 0.85."""
        step = (
            (
                lambda f, text: _progress(
                    progress, 0.30 + 0.55 * (k + (f - 0.30) / 0.55) / len(sizes), f"{text} {k + 1}/{len(sizes)}"
                )
            )
            if chunked
            else progress
        )
        return _cases(geo, town_perf, units, sizes[k], years, rng, inv, step, dept)

    # one chunk: generated here, before the survey, so a demo of ≤ CHUNK_CASES is the same as before chunks
    case_df = None if chunked else generate(0)
    _progress(progress, 0.30 if chunked else 0.85, "surveys")
    survey = _survey(towns, town_perf, years, rng)
    gov = pd.DataFrame(
        [(AS_OF.year - 1, s, v - 1.2 + rng.normal(0, 0.3)) for s, v in GOV_SUBDOMAINS]
        + [(AS_OF.year, s, v) for s, v in GOV_SUBDOMAINS]
        + [(AS_OF.year, "overall", 89.32), (AS_OF.year, "progress", 10.83), (AS_OF.year - 1, "overall", 88.1)],
        columns=["year", "subdomain", "score"],
    )
    cats = pd.DataFrame(
        [(c[0], s[0], s[1], s[2], c[3], float(c[4])) for c in CATEGORIES for s in c[10]],
        columns=["category", "subcategory", "name_zh", "name_en", "department_id", "deadline_days"],
    )
    # stations at work and the estates: a random stream of their own, so the cases stay as they were
    ops = np.random.default_rng([seed, 18])
    span = (AS_OF - timedelta(days=int(365.25 * years)), AS_OF)
    weights = demo_stations.station_weights(stations, units)
    per_day = float(np.clip(cases / SERVICE_CASES_PER_RECORD, 0.25, 3.0))
    served = demo_stations.services(stations, station_items, items, weights, *span, per_day, ops)
    held = demo_stations.meetings(stations, *span, ops)
    estates = demo_stations.estates(geo.communities, cells, district.road_names(ops, 400), ops)
    meta = pd.DataFrame(
        {
            "key": ["synthetic", "as_of", "seed", "cases_requested", "district", "metric_crs"],
            "value": ["true", AS_OF.isoformat(sep=" "), str(seed), str(cases), "浦东新区 (synthetic)", metric_crs],
        }
    )  # the district table holds the record

    _progress(progress, 0.30 if chunked else 0.90, "writing database")
    with db.write(path, fresh=True) as con:  # a new file replacing whatever was at ``path``, in one step
        frames = {
            "meta": meta,
            "units": units,
            "cells": cells[
                ["cell_id", "x", "y", "lon", "lat", "size_m", "residents", "grid_id", "community_id", "town_id"]
            ],
            "departments": pd.DataFrame(DEPARTMENTS, columns=["department_id", "name_zh", "name_en"]),
            "categories": cats,
            "category_names": pd.DataFrame([c[:3] for c in CATEGORIES], columns=["category", "name_zh", "name_en"]),
            "channels": pd.DataFrame(CHANNELS, columns=["channel", "name_zh", "name_en"]),
            "must_report_items": pd.DataFrame(list(schema.MUST_REPORT), columns=["item", "name_zh", "name_en"]),
            "stations": stations.drop(columns=["x", "y"]),
            "service_items": items,
            "station_items": station_items,
            "station_services": served,
            "station_meetings": held,
            "property_companies": demo_stations.companies(),
            "estates": estates,
            "satisfaction_survey": survey,
            "governance_index": gov,
        }
        if not chunked:
            frames["cases"] = case_df
        for table, df in frames.items():
            con.register("frame", df)
            cols = ", ".join(df.columns)  # our own column names, not user input
            order = f" ORDER BY {queries.CLUSTER_ORDER}" if table == "cases" else ""  # see govdash.layout
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM frame{order}")
            con.unregister("frame")
        district_record.write(con, dataclasses.replace(district_record.DEMO, metric_crs=metric_crs))
        if chunked:
            _write_chunks(con, generate, len(sizes), progress)
        del case_df
        writes.demo_key_tracking(con, KEY_STATUS_COUNTS)
        _progress(progress, 0.93, "grid workers and patrols")
        grids = units.loc[units["level"] == "grid", ["unit_id", "residents", "area_km2"]].reset_index(drop=True)
        demo_grid.write(con, grids, _names(rng, 2 * len(grids)), _days(years), rng)
        _progress(progress, 0.95, "case events")
        writes.demo_events(con, AS_OF)  # the handling chains, drawn from the stored cases (govdash.events)
        writes.set_clustered_rows(con, writes.case_rows(con))
        writes_days.rebuild(con)  # the case summary of every case, in the build's transaction
        writes_log.everything(con)  # a new database: no cached figure of another one may be taken for its own
    _progress(progress, 1.0, "done")
    return path


def _chunk_sizes(cases: int) -> list[int]:
    """Cases per chunk: ``ceil(cases / CHUNK_CASES)`` chunks of nearly equal size."""
    parts = max(1, -(-cases // CHUNK_CASES))
    return [cases // parts + (k < cases % parts) for k in range(parts)]


def _write_chunks(con, generate: Callable[[int], pd.DataFrame], parts: int, progress) -> None:
    """Stage every chunk's cases, then write them numbered in time order across chunks.

    Each chunk numbers its cases and links its repeats on its own; the merge gives the final ids
    (``GD`` + time rank), remaps ``repeat_of`` within each chunk and flags the district's oldest
    hard cases as 重点难点, as one generation would.
    """
    con.execute(f"SET memory_limit = '{BUILD_MEMORY}'")  # a constant of ours; spills beside the file (db.write)
    for k in range(parts):
        df = generate(k)
        con.register("frame", df.assign(chunk=k))
        if k == 0:
            con.execute("CREATE TEMP TABLE stage AS SELECT * FROM frame")
        else:
            con.execute("INSERT INTO stage BY NAME SELECT * FROM frame")
        con.unregister("frame")
        del df
    _progress(progress, 0.86, "numbering cases")
    writes.demo_merge_chunks(con, "stage", KEY_DIFFICULT[0], KEY_DIFFICULT[1])
    con.execute("DROP TABLE stage")


def _units(geo: district.District, inv) -> pd.DataFrame:
    """One table of 街镇, 居村 and 网格 with WGS-84 WKB polygons, areas and residents."""
    res_grid = geo.cells.groupby("grid_id")["residents"].sum()
    res_com = geo.cells.groupby("community_id")["residents"].sum()
    res_town = geo.cells.groupby("town_id")["residents"].sum()
    t = geo.towns
    frames = [
        pd.DataFrame(
            {
                "unit_id": t["code"],
                "level": "town",
                "parent_id": None,
                "town_id": t["code"],
                "community_id": None,
                "name_zh": t["name_zh"],
                "name_en": t["name_en"],
                "kind": t["kind_zh"],
                "geom_m": t["geom"],
                "residents": t["code"].map(res_town).fillna(0).astype(int),
            }
        ),
        pd.DataFrame(
            {
                "unit_id": geo.communities["unit_id"],
                "level": "community",
                "parent_id": geo.communities["town_id"],
                "town_id": geo.communities["town_id"],
                "community_id": geo.communities["unit_id"],
                "name_zh": geo.communities["name_zh"],
                "name_en": None,
                "kind": geo.communities["kind"],
                "geom_m": geo.communities["geom"],
                "residents": geo.communities["unit_id"].map(res_com).fillna(0).astype(int),
            }
        ),
        pd.DataFrame(
            {
                "unit_id": geo.grids["unit_id"],
                "level": "grid",
                "parent_id": geo.grids["community_id"],
                "town_id": geo.grids["town_id"],
                "community_id": geo.grids["community_id"],
                "name_zh": geo.grids["name_zh"],
                "name_en": None,
                "kind": "网格",
                "geom_m": geo.grids["geom"],
                "residents": geo.grids["unit_id"].map(res_grid).fillna(0).astype(int),
            }
        ),
    ]
    units = pd.concat(frames, ignore_index=True)
    geoms = np.array(units["geom_m"].to_list(), dtype=object)
    units["area_km2"] = shapely.area(geoms) / 1e6
    label = shapely.point_on_surface(geoms)
    lx, ly = inv.transform(shapely.get_x(label), shapely.get_y(label))
    units["lon"], units["lat"] = lx, ly
    wgs = shapely.transform(geoms, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
    units["geom"] = shapely.to_wkb(wgs)
    return units.drop(columns=["geom_m"])


def _town_performance(towns: pd.DataFrame, rng) -> pd.DataFrame:
    """Per-town levels that make towns differ: efficiency, resolution, recognition, satisfaction."""
    n = len(towns)
    rural = (towns["villages"] / (towns["communities"] + towns["villages"])).to_numpy()
    eff = np.exp(rng.normal(0, 0.22, n) + 0.25 * rural)  # handling-time multiplier
    # closed unresolved ~0.6 %: with the cases still open past their (extended) deadlines the month's
    # 解决率 over cases due comes out at Pudong's 99.3 % (extensions in the case chains keep ~0.4 % overdue)
    unresolved = np.clip(rng.lognormal(np.log(0.005), 0.6, n), 0.0012, 0.03)
    unrecognised = np.clip(rng.lognormal(np.log(0.0035), 0.5, n), 0.0005, 0.015)
    sat = 80.6 + rng.normal(0, 2.6, n) - 2.0 * (rural - rural.mean())
    return pd.DataFrame(
        {"town_id": towns["code"], "eff": eff, "unresolved": unresolved, "unrecognised": unrecognised, "sat": sat}
    )


def _daily_weights(days: pd.DatetimeIndex, peak_month: int, amp: float) -> np.ndarray:
    """Relative case volume per day for one category: growth, seasonal cycle, weekday cycle."""
    t = (days - days[0]).days.to_numpy() / 365.25
    doy = days.day_of_year.to_numpy()
    peak = (peak_month - 0.5) * 30.4
    seasonal = 1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25)
    weekday = np.where(days.day_of_week.to_numpy() >= 5, 0.72, 1.0)
    # spring festival lull (~late January / February)
    lull = np.where(((days.month == 2) & (days.day < 12)), 0.6, 1.0)
    return (1 + 0.08 * t) * seasonal * weekday * lull


def _cases(geo, town_perf, units, n_cases, years, rng, inv, progress, dept) -> pd.DataFrame:
    """Generate the cases table (vectorised); ``dept``: the departments' performance and their own generator."""
    days = _days(years)
    cells = geo.cells
    town_ids = geo.towns["code"].to_numpy()
    urban_cell = cells["community_id"].map(geo.communities.set_index("unit_id")["urban"]).to_numpy(bool)
    pop = cells["residents"].to_numpy(float)

    # persistent hot spots: a few neighbourhoods that generate far more of one category
    hot_specs = [
        ("310115125", "group_renting", 25.0),
        ("310115005", "street_order", 12.0),
        ("310115130", "noise", 10.0),
        ("310115008", "back_lane", 10.0),
        ("310115132", "property", 8.0),
        ("310115104", "safety_hazard", 8.0),
    ]
    hot_cells = {}
    for tcode, cat, mult in hot_specs:
        sel = np.flatnonzero(cells["town_id"].to_numpy() == tcode)
        centre = sel[np.argmax(pop[sel])]
        d2 = (cells["x"] - cells["x"].iat[centre]) ** 2 + (cells["y"] - cells["y"].iat[centre]) ** 2
        hot_cells.setdefault(cat, []).append((np.flatnonzero(d2.to_numpy() < 400.0**2), mult))
    # an emerging hot spot: e-bike charging in Kangqiao during the last two months only
    sel = np.flatnonzero(cells["town_id"].to_numpy() == "310115136")
    centre = sel[np.argmax(pop[sel])]
    d2 = ((cells["x"] - cells["x"].iat[centre]) ** 2 + (cells["y"] - cells["y"].iat[centre]) ** 2).to_numpy()
    emerging_cells = np.flatnonzero(d2 < 350.0**2)

    share = CATEGORY_SHARE / CATEGORY_SHARE.sum()
    per_cat = rng.multinomial(n_cases, share)
    parts = []
    for ci, (code, _zh, _en, _dept, _deadline, _med_h, ubias, peak, amp, _evening, _subs) in enumerate(CATEGORIES):
        n = int(per_cat[ci])
        if n == 0:
            continue
        w = pop * np.where(urban_cell, ubias, 1.0 / ubias)
        for idx, mult in hot_cells.get(code, []):
            w[idx] *= mult
        w = w / w.sum()
        cell_idx = rng.choice(len(cells), size=n, p=w)
        dw = _daily_weights(days, peak, amp)
        day_idx = rng.choice(len(days), size=n, p=dw / dw.sum())
        parts.append(pd.DataFrame({"cat_i": ci, "cell": cell_idx, "day": day_idx}))
    # the emerging spot and a typhoon spike (safety hazards and facility damage, 3 days, 5 towns)
    recent = np.flatnonzero(days >= days[-1] - pd.Timedelta(days=60))
    n_em = max(20, n_cases // 2500)
    parts.append(pd.DataFrame({"cat_i": 5, "cell": rng.choice(emerging_cells, n_em), "day": rng.choice(recent, n_em)}))
    storm_day = np.flatnonzero(days == pd.Timestamp(f"{AS_OF.year}-08-14"))
    if len(storm_day):
        storm_towns = ["310115103", "310115139", "310115131", "310115145", "310115110"]
        sc = np.flatnonzero(cells["town_id"].isin(storm_towns).to_numpy())
        n_st = max(30, n_cases // 600)
        parts.append(
            pd.DataFrame(
                {
                    "cat_i": rng.choice([0, 2], n_st),
                    "cell": rng.choice(sc, n_st, p=pop[sc] / pop[sc].sum()),
                    "day": storm_day[0] + rng.integers(0, 3, n_st),
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    n = len(df)
    _progress(progress, 0.40, "case attributes")

    cat_codes = np.array([c[0] for c in CATEGORIES])
    cat = cat_codes[df["cat_i"].to_numpy()]
    # channel by category
    chan_p = np.tile(CHANNEL_BASE, (len(CATEGORIES), 1))
    for ci, c in enumerate(CATEGORIES):
        for ch, m in CHANNEL_BOOST.get(c[0], {}).items():
            chan_p[ci, CHANNEL_CODES.index(ch)] *= m
    chan_p /= chan_p.sum(1, keepdims=True)
    u = rng.random(n)
    chan_i = (u[:, None] > np.cumsum(chan_p, 1)[df["cat_i"].to_numpy()]).sum(1)
    channel = np.array(CHANNEL_CODES)[np.minimum(chan_i, len(CHANNEL_CODES) - 1)]
    # weekends: patrols and walk-ins thin out; move some of them to the next Monday-ish
    # hour of day: daytime for patrols/cameras/walk-ins, evening bump for hotline and noise
    evening_share = np.array([c[9] for c in CATEGORIES])[df["cat_i"].to_numpy()]
    daytime = np.isin(channel, ["grid_patrol", "walk_in", "survey"])
    evening = (~daytime) & (rng.random(n) < evening_share)
    hour = np.where(evening, rng.normal(20.5, 1.6, n), rng.normal(11.5, 2.6, n))
    hour = np.where(daytime, np.clip(hour, 8.5, 17.5), hour)
    hour = np.mod(hour, 24)
    reported = (
        np.datetime64(days[0].to_datetime64(), "s")
        + df["day"].to_numpy().astype("timedelta64[D]").astype("timedelta64[s]")
        + (hour * 3600).astype("timedelta64[s]")
    )

    # location: uniform inside the 100 m cell, then exact grid by point-in-polygon
    x = cells["x"].to_numpy()[df["cell"]] + rng.uniform(-49, 49, n)
    y = cells["y"].to_numpy()[df["cell"]] + rng.uniform(-49, 49, n)
    grid_id = cells["grid_id"].to_numpy()[df["cell"]]
    grid_units = units[units["level"] == "grid"]
    # assign by polygon: jitter can cross a grid line
    gtree = shapely.STRtree(geo.grids["geom"].to_list())
    pi, gi = gtree.query(shapely.points(x, y), predicate="within")
    grid_id = grid_id.copy()
    grid_id[pi] = geo.grids["unit_id"].to_numpy()[gi]
    outside = np.ones(n, bool)
    outside[pi] = False
    x[outside] = cells["x"].to_numpy()[df["cell"]][outside]  # centre is inside its grid
    y[outside] = cells["y"].to_numpy()[df["cell"]][outside]
    gmeta = grid_units.set_index("unit_id")
    community_id = gmeta["community_id"].reindex(grid_id).to_numpy()
    town_id = gmeta["town_id"].reindex(grid_id).to_numpy()
    lon, lat = inv.transform(x, y)

    # tier, department, deadlines and handling times
    tier = rng.choice(list(TIER_SHARE), n, p=list(TIER_SHARE.values()))
    big = np.isin(cat, ["illegal_construction", "group_renting", "dispute"])
    tier = np.where(big & (rng.random(n) < 0.25), "district", tier)
    dept_default = np.array([c[3] for c in CATEGORIES])[df["cat_i"].to_numpy()]
    other_dept = np.array([d[0] for d in DEPARTMENTS])[rng.integers(0, 26, n)]
    department = np.where(rng.random(n) < 0.88, dept_default, other_dept)
    department = demo_departments.second_department(department, dept_default, cat, dept[1])
    dfac = demo_departments.factors(dept[0], department)  # persistent differences between departments
    deadline_h = np.array([c[4] for c in CATEGORIES], float)[df["cat_i"].to_numpy()] * 24
    deadline_h = deadline_h * np.vectorize(lambda t: {"community": 1, "street": 1.5, "district": 2}[t])(tier)
    perf = town_perf.set_index("town_id").reindex(town_id)
    med = np.array([c[5] for c in CATEGORIES], float)[df["cat_i"].to_numpy()]
    tf = np.vectorize(TIER_FACTOR.get)(tier)
    close_h = rng.lognormal(np.log(med * tf * perf["eff"].to_numpy() * dfac["eff"] * 0.55), 0.75, n)
    dispatch_h = rng.lognormal(np.log(0.6), 0.8, n)
    close_h = np.maximum(close_h, dispatch_h + 0.25)
    handled_h = dispatch_h + (close_h - dispatch_h) * rng.uniform(0.6, 0.95, n)
    to_s = lambda h: (np.asarray(h) * 3600).astype("timedelta64[s]")  # noqa: E731
    dispatched = reported + to_s(dispatch_h)
    handled = reported + to_s(handled_h)
    closed = reported + to_s(close_h)
    deadline = reported + to_s(deadline_h)
    asof = np.datetime64(AS_OF, "s")
    is_closed = closed <= asof
    status = np.where(
        is_closed,
        "closed",
        np.where(handled <= asof, "handling", np.where(dispatched <= asof, "dispatched", "registered")),
    )
    nat = np.datetime64("NaT", "s")
    dispatched = np.where(dispatched <= asof, dispatched, nat)
    handled = np.where(handled <= asof, handled, nat)
    closed = np.where(is_closed, closed, nat)
    resolved = is_closed & (
        rng.random(n) >= perf["unresolved"].to_numpy() * dfac["unresolved"] * np.where(cat == "dispute", 2, 1)
    )
    recognised = np.where(resolved, rng.random(n) >= perf["unrecognised"].to_numpy() * dfac["unrecognised"], None)
    rated = is_closed & (rng.random(n) < 0.55)
    sat = np.clip(rng.normal(np.where(resolved, perf["sat"].to_numpy() + dfac["sat"] + 2.5, 45), 11), 0, 100).round()
    satisfaction = np.where(rated, sat, np.nan)
    _progress(progress, 0.60, "case texts")

    # texts and (fake) personal data
    sub_idx = np.floor(rng.random(n) * np.array([len(c[10]) for c in CATEGORIES])[df["cat_i"].to_numpy()]).astype(int)
    sub_code = np.empty(n, dtype=object)
    sub_zh = np.empty(n, dtype=object)
    for ci, c in enumerate(CATEGORIES):
        m = df["cat_i"].to_numpy() == ci
        sub_code[m] = np.array([s[0] for s in c[10]], dtype=object)[sub_idx[m]]
        sub_zh[m] = np.array([s[1] for s in c[10]], dtype=object)[sub_idx[m]]
    names = units.set_index("unit_id")["name_zh"]
    roads = district.road_names(rng, 400)
    address = (
        pd.Series(names.reindex(town_id).to_numpy())
        + pd.Series(names.reindex(community_id).to_numpy())
        + pd.Series(roads[rng.integers(0, len(roads), n)])
        + pd.Series(rng.integers(1, 999, n)).astype(str)
        + "号"
    )
    description = address + "附近" + pd.Series(sub_zh) + "，" + pd.Series(PHRASES[rng.integers(0, len(PHRASES), n)])
    person = pd.Series(_names(rng, n))
    phone = (
        "1" + pd.Series(rng.choice(list("35789"), n)) + pd.Series(rng.integers(0, 10**9, n)).astype(str).str.zfill(9)
    )

    out = pd.DataFrame(
        {
            "channel": channel,
            "category": cat,
            "subcategory": sub_code,
            "description": description,
            "complainant_name": person,
            "complainant_phone": phone,
            "address": address,
            "lon": lon,
            "lat": lat,
            "grid_id": grid_id,
            "community_id": community_id,
            "town_id": town_id,
            "reported_at": reported,
            "dispatched_at": dispatched,
            "handled_at": handled,
            "closed_at": closed,
            "deadline_at": deadline,
            "department_id": department,
            "tier": tier,
            "status": status,
            "resolved": resolved,
            "recognised": pd.array(recognised, dtype="boolean"),
            "satisfaction": satisfaction,
            "repeat_of": None,
            "key_difficult": False,
            "must_report": _must_report(channel, cat),
            "import_id": "demo",
            "updated_at": np.datetime64(AS_OF, "s"),
        }
    )
    out = _add_repeats(out, rng)
    _progress(progress, 0.75, "key cases")
    # 重点难点: Pudong listed 37; flag the oldest district-tier cases of the hardest categories
    hard = out[(out["tier"] == "district") & out["category"].isin(list(KEY_DIFFICULT[1]))]
    key = hard.sort_values("reported_at").index[: min(KEY_DIFFICULT[0], len(hard))]
    out.loc[key, "key_difficult"] = True
    del town_ids
    return out


def _days(years: float) -> pd.DatetimeIndex:
    """The calendar days of the case history: ``years`` back from ``AS_OF``'s day, inclusive."""
    start = (AS_OF - timedelta(days=int(365.25 * years))).replace(hour=0, minute=0)
    return pd.date_range(start.date(), AS_OF.date(), freq="D")


def _names(rng, n: int) -> np.ndarray:
    """``n`` invented Chinese personal names (surname and one or two characters)."""
    return (
        pd.Series(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)])
        + pd.Series(np.array(GIVEN)[rng.integers(0, len(GIVEN), n)])
        + pd.Series(np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], ""))
    ).to_numpy(dtype=object)


def _must_report(channel: np.ndarray, category: np.ndarray) -> np.ndarray:
    """The 八必报 item of each case (None for most): grid-patrol cases of ``MUST_REPORT_SHARE``'s categories.

    Drawn from a generator of its own (seeded by the number of cases), so the rest of the demo is the same
    random stream as before the items existed.
    """
    rng = np.random.default_rng(len(channel) + 8)
    u = rng.random(len(channel))
    out = np.full(len(channel), None, dtype=object)
    patrol = channel == "grid_patrol"
    for cat, items in MUST_REPORT_SHARE.items():
        lo = 0.0
        for item, share in items:
            out[patrol & (category == cat) & (u >= lo) & (u < lo + share)] = item
            lo += share
    return out


def _add_repeats(cases: pd.DataFrame, rng, share: float = 0.012) -> pd.DataFrame:
    """Repeat complaints: for a share of cases the root cause is not fixed and the same person
    reports the same problem at the same spot again 2-25 days later (repeat_of links them).
    Then sort by time and assign case ids."""
    asof = np.datetime64(AS_OF, "s")
    origin = np.flatnonzero(rng.random(len(cases)) < share)
    copies = rng.integers(1, 4, len(origin))
    src = np.repeat(origin, copies)
    step = np.concatenate([np.arange(1, c + 1) for c in copies]) if len(copies) else np.array([], int)
    shift = (rng.uniform(2, 12, len(src)) * step * 86400).astype("timedelta64[s]")
    rep = cases.iloc[src].copy()
    for col in ("reported_at", "dispatched_at", "handled_at", "closed_at", "deadline_at"):
        rep[col] = rep[col].to_numpy().astype("datetime64[s]") + shift
    keep = (rep["status"] == "closed").to_numpy() & (rep["closed_at"].to_numpy() <= asof)
    rep = rep[keep]
    rep["origin"] = src[keep]
    out = pd.concat([cases.assign(origin=-1), rep], ignore_index=False)
    out["row"] = out.index
    out = out.sort_values("reported_at", kind="stable").reset_index(drop=True)
    out.insert(0, "case_id", "GD" + pd.Series(np.arange(1, len(out) + 1)).astype(str).str.zfill(9))
    first_id = out[out["origin"] < 0].set_index("row")["case_id"]
    out["repeat_of"] = out["origin"].map(first_id).where(out["origin"] >= 0)
    return out.drop(columns=["origin", "row"])


def _survey(towns: pd.DataFrame, perf: pd.DataFrame, years: float, rng) -> pd.DataFrame:
    """Satisfaction survey: 6 dimensions × street/town × quarter, around 80.6 with spread between towns."""
    quarters = pd.period_range(end=pd.Period(AS_OF, "Q"), periods=max(1, int(round(years * 4))), freq="Q")
    rows = []
    for ti, tcode in enumerate(towns["code"]):
        for qi, q in enumerate(quarters):
            for dim, off in SURVEY_OFFSET.items():
                score = perf["sat"].iat[ti] + off + 0.15 * (qi - len(quarters) / 2) + rng.normal(0, 0.8)
                rows.append((tcode, str(q), dim, round(float(np.clip(score, 0, 100)), 2)))
    return pd.DataFrame(rows, columns=["town_id", "quarter", "dimension", "score"])
