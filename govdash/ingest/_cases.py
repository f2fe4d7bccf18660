"""The cases pipeline: map, validate, assign to grids, stage and upsert a case file in one transaction."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from govdash import lake, layout, schema, settings, writes
from govdash.i18n import t
from govdash.ingest import _catalogue, _plumbing, _sql
from govdash.ingest._coords import extent, placed
from govdash.ingest._mapping import TIME_FIELDS, Mapping, apply_mapping, detect_mapping, load_mapping, take_strings
from govdash.ingest._readers import read_table
from govdash.ingest._report import MAX_TEXT, ImportReport, Issue, Progress, any_failed, fill

PLACEHOLDER_MIN = 20  # a coordinate shared by more than max(20, 1 % of rows) is a placeholder, and so is
PLACEHOLDER_SHARE = 0.05  # one above a gap, whatever the file's size: on more than 5 % of the located rows,
PLACEHOLDER_GAP = 10  # more than 10x as many as the most frequent coordinate below it,
PLACEHOLDER_FLOOR = 5  # and on at least 5 rows (a geocoder's default point: 19 of 100 rows)
FUTURE = pd.Timedelta(days=1)  # a time may lie this far past now or the data's as-of (clock skew)
DEADLINE_AHEAD = pd.Timedelta(days=366)  # and a deadline this much further: open cases are due later


# --- validation and assignment (pure: arrays and frames in, masks out) ---


def _geoms(grids: pd.DataFrame) -> np.ndarray:
    """Grid polygons from WKB (DuckDB returns BLOBs as bytearray) or shapely geometries."""
    g = grids["geom"].to_numpy(dtype=object)
    if len(g) and not isinstance(g[0], shapely.Geometry):
        g = shapely.from_wkb([bytes(b) for b in g])
    return np.asarray(g, dtype=object)


def time_bounds(as_of=None, first_year: int | None = None, tz: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(earliest, latest) plausible case time: 1 January of the first year (settings.import_first_year), and a
    day past the later of now (in the district's zone ``tz``) and the data's own as-of."""
    year = settings.load().import_first_year if first_year is None else first_year
    now = pd.Timestamp(_plumbing.now(tz))
    ref = max(now, pd.Timestamp(as_of)) if as_of is not None and not pd.isna(pd.Timestamp(as_of)) else now
    return pd.Timestamp(year=year, month=1, day=1), ref + FUTURE


def _time_issues(cases: pd.DataFrame, bounds: tuple[pd.Timestamp, pd.Timestamp]) -> list[Issue]:
    lo, hi = bounds
    out = []
    for fld in TIME_FIELDS:
        if fld in cases:
            t, top = cases[fld], hi + (DEADLINE_AHEAD if fld == "deadline_at" else pd.Timedelta(0))
            early, late = (t < lo).fillna(False).to_numpy(bool), (t > top).fillna(False).to_numpy(bool)
            if early.any() or late.any():
                why = pd.Series(
                    np.where(
                        early,
                        f"before {lo:%Y-%m-%d} (GOVDASH_IMPORT_FIRST_YEAR)",
                        f"after {top:%Y-%m-%d %H:%M}, more than "
                        f"{'a year and ' if fld == 'deadline_at' else ''}a day past now or the "
                        "data's as-of",
                    ),
                    index=cases.index,
                )
                out.append((fld, "time_out_of_range", why, early | late))
    return out


def check_rows(
    cases: pd.DataFrame,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    known_categories: set[str] | frozenset[str] = frozenset(),
    rows: np.ndarray | None = None,
    times: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> list[Issue]:
    """Row rules on mapped cases (lon/lat WGS-84): returns (field, rule, reason, mask) per rule.

    ``reason`` is a string or a Series of per-row strings; ``rows`` are the rows' numbers in the file
    (default 1, 2, ...). An empty ``known_categories`` skips that rule; ``times`` are the (earliest,
    latest) plausible times (``time_bounds``; default: from settings and now).
    """
    n = len(cases)
    rows = np.arange(1, n + 1) if rows is None else np.asarray(rows)
    out: list[Issue] = []
    ids = cases["case_id"] if "case_id" in cases else pd.Series(np.nan, index=cases.index, dtype="str")
    out.append(("case_id", "id_missing", "no case id", ids.isna().to_numpy(bool)))
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy(bool)
    if dup.any():
        first = pd.Series(rows, index=cases.index).groupby(ids.to_numpy()).transform("first")
        out.append(("case_id", "id_duplicate", "duplicate id (first at row " + first.astype(str) + ")", dup))
    out += _time_issues(cases, times or time_bounds())
    rep = cases["reported_at"]
    if "closed_at" in cases:
        out.append(
            (
                "closed_at",
                "closed_before_reported",
                "closed before it was reported",
                (cases["closed_at"] < rep).fillna(False).to_numpy(bool),
            )
        )
    for col in cases.columns:
        if pd.api.types.is_string_dtype(cases[col]) and n and (cases[col].str.len().max() or 0) > MAX_TEXT:
            out.append(
                (
                    col,
                    "field_too_long",
                    f"longer than {MAX_TEXT} characters",
                    (cases[col].str.len() > MAX_TEXT).fillna(False).to_numpy(bool),
                )
            )
    if known_categories and "category" in cases:
        cat = cases["category"]
        out.append(
            (
                "category",
                "category_unknown",
                "category not in the catalogue",
                (cat.notna() & ~cat.isin(list(known_categories))).to_numpy(bool),
            )
        )
    lon, lat = cases["lon"].to_numpy(float), cases["lat"].to_numpy(float)
    valid = np.isfinite(lon) & np.isfinite(lat)
    inside, swapped = placed(lon, lat, valid, bbox)
    out.append(("coords", "coords_swapped", "latitude and longitude swapped", swapped))
    out.append(("coords", "coords_outside", "outside the district", valid & ~inside & ~swapped))
    if inside.any():
        kx = np.round(np.where(inside, lon, 0.0) * 1e6).astype(np.int64)
        ky = np.round(np.where(inside, lat, 0.0) * 1e6).astype(np.int64)
        key = np.where(inside, kx * 400_000_000 + ky, -1)  # ky < 1e8: the pair packs into one int64
        per_row = placeholder_counts(key, inside)
        ph = per_row > 0
        times = pd.Series(per_row, index=cases.index).astype(str)
        out.append(("coords", "coords_placeholder", "same coordinate in " + times + " rows (a placeholder?)", ph))
    return out


def placeholder_counts(key: np.ndarray, located: np.ndarray) -> np.ndarray:
    """Per row, how many located rows share its coordinate ``key`` when that coordinate is a placeholder, else 0.

    A placeholder is on more than max(PLACEHOLDER_MIN, 1 %) of the rows (the absolute rule of large files), or
    above a gap (the relative rule, the same on 100 rows as on a million): on more than PLACEHOLDER_SHARE of
    the located rows, on at least PLACEHOLDER_FLOOR, and on more than PLACEHOLDER_GAP times as many rows as the
    most frequent coordinate below it (every coordinate above the lowest such gap is one; a file whose rows all
    share one point has no gap: "more often than any other" needs another).
    """
    n = int(located.sum())
    out = np.zeros(len(key), dtype=np.int64)
    if not n:
        return out
    uniq, inv, counts = np.unique(key[located], return_inverse=True, return_counts=True)
    desc = np.sort(counts)[::-1]
    below = np.append(desc[1:], 0)
    gap = (desc > PLACEHOLDER_SHARE * n) & (desc >= PLACEHOLDER_FLOOR) & (desc > PLACEHOLDER_GAP * below) & (below > 0)
    limit = max(PLACEHOLDER_MIN, int(0.01 * n))
    if gap.any():
        limit = min(limit, int(desc[np.flatnonzero(gap)[-1]]) - 1)
    per_row = counts[inv]
    out[located] = np.where(per_row > limit, per_row, 0)
    return out


def _lookup_raster(geoms: np.ndarray, tree: shapely.STRtree, max_cells: int = 1_000_000):
    """A regular raster over the polygons whose cells lying wholly inside one polygon know it (-1 elsewhere).

    Points in such cells need no exact test; only points in boundary cells go to the STRtree.
    """
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    side = np.sqrt((x1 - x0) * (y1 - y0) / len(geoms))
    cs = max(side / 6.0, np.sqrt((x1 - x0) * (y1 - y0) / max_cells))
    x0, y0 = x0 - cs / 2, y0 - cs / 2  # not aligned with anything in the data
    nx, ny = int(np.ceil((x1 - x0) / cs)) + 1, int(np.ceil((y1 - y0) / cs)) + 1
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    eps = cs * 1e-6  # a slightly grown cell: its closed square must lie inside the polygon
    boxes = shapely.box(
        x0 + ix.ravel() * cs - eps,
        y0 + iy.ravel() * cs - eps,
        x0 + (ix.ravel() + 1) * cs + eps,
        y0 + (iy.ravel() + 1) * cs + eps,
    )
    bi, gi = tree.query(boxes, predicate="within")
    owner = np.full(nx * ny, -1, dtype=np.int64)
    owner[bi] = gi
    return owner, (x0, y0, cs, nx, ny)


def assign_units(lon: np.ndarray, lat: np.ndarray, grids: pd.DataFrame) -> pd.DataFrame:
    """Grid / community / town of each WGS-84 point by point-in-polygon; NULL where in no grid.

    ``grids`` has unit_id, community_id, town_id and geom (WKB or shapely). Polygons are indexed
    with a shapely STRtree; a point on an edge shared by two grids goes to the first by row order.
    """
    n = len(lon)
    gidx = np.full(n, -1, dtype=np.int64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if len(grids) and ok.any():
        geoms = _geoms(grids)
        tree = shapely.STRtree(geoms)
        owner, (x0, y0, cs, nx, ny) = _lookup_raster(geoms, tree)
        with np.errstate(invalid="ignore"):
            cx = np.floor((lon - x0) / cs)
            cy = np.floor((lat - y0) / cs)
        on = ok & (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
        cell = np.where(on, cy * nx + cx, 0).astype(np.int64)
        gidx = np.where(on, owner[cell], -1)
        todo = np.flatnonzero(ok & (gidx < 0))
        if todo.size:
            pi, gi = tree.query(shapely.points(lon[todo], lat[todo]), predicate="intersects")
            best = np.full(todo.size, np.iinfo(np.int64).max)
            np.minimum.at(best, pi, gi)
            found = best < len(geoms)
            gidx[todo[found]] = best[found]
    cols = {
        "grid_id": "grid_id" if "grid_id" in grids else "unit_id",
        "community_id": "community_id",
        "town_id": "town_id",
    }
    return pd.DataFrame({k: take_strings(grids[v].tolist(), gidx) for k, v in cols.items()})


def locate_by_area(area: pd.DataFrame, units: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Grid / community / town ids of cases named by a unit (``area``: one text column per level, values a unit's
    id, Chinese or English name, any case) — the lowest level that names one unit wins.

    Returns the ids (NULL where none), the rows whose named unit is unknown or ambiguous, and a reason per row.
    ``units`` has level, unit_id, name_zh, name_en, grid_id, community_id, town_id.
    """
    n = len(area)
    ids = pd.DataFrame(
        {c: pd.Series(None, index=area.index, dtype="str") for c in ("grid_id", "community_id", "town_id")}
    )
    found = np.zeros(n, bool)
    unknown = np.zeros(n, bool)
    why = pd.Series("", index=area.index, dtype="str")
    for level in ("grid", "community", "town"):
        if level not in area:
            continue
        rows = units[units["level"] == level]
        lut: dict[str, set[int]] = {}
        for col in ("unit_id", "name_zh", "name_en"):
            for i, key in zip(range(len(rows)), rows[col], strict=True):
                if isinstance(key, str) and key.strip():
                    lut.setdefault(key.strip().lower(), set()).add(i)
        text = area[level]
        hits, codes, uniq = [], *pd.factorize(text)
        hits = [lut.get(str(u).lower(), set()) for u in uniq]
        idx = np.array([next(iter(h)) if len(h) == 1 else -1 for h in hits] + [-1])[codes]
        many = np.array([len(h) > 1 for h in hits] + [False])[codes]
        given = np.asarray(codes) >= 0
        take = given & (idx >= 0) & ~found
        for c in ids:
            ids.loc[take, c] = rows[c].to_numpy(dtype=object)[idx[take]]
        miss = given & (idx < 0) & ~found
        why[miss] = np.where(many[miss], f"names more than one {level}", f"no {level} with this name or id")
        unknown |= miss
        found |= take
    return ids, unknown & ~found, why


# --- 八必报 items and 重点难点 statuses: codes, or names in either language ---


def _lookup(pairs) -> dict[str, str]:
    """lower(code / Chinese name / English name) -> code, from (code, name_zh, name_en) rows."""
    out = {}
    for code, *names in pairs:
        out.update({str(k).strip().lower(): code for k in (code, *names) if isinstance(k, str) and k})
    return out


def resolve_codes(cases: pd.DataFrame, must_report: pd.DataFrame) -> list[Issue]:
    """Turn the names in ``must_report`` and ``key_status`` (codes, or names in either language: 安全隐患,
    有明确路径) into codes in place; a value that is neither fails its row, naming the value and what it may be.

    ``must_report`` is the database's must-report catalogue (item, name_zh, name_en): ``schema.MUST_REPORT``
    when it lists none.
    """
    items = must_report.itertuples(index=False, name=None) if len(must_report) else schema.MUST_REPORT
    tables = {
        "must_report": _lookup(items),
        "key_status": _lookup((s, t(f"kc_{s}", "zh"), t(f"kc_{s}", "en")) for s in schema.KEY_STATUSES),
    }
    out: list[Issue] = []
    for fld, lut in tables.items():
        if fld not in cases:
            continue
        codes, uniq = pd.factorize(cases[fld])
        hits = [lut.get(str(u).strip().lower()) for u in uniq]
        cases[fld] = take_strings([h or u for h, u in zip(hits, uniq, strict=True)], np.asarray(codes)).set_axis(
            cases.index
        )
        unknown = np.array([h is None for h in hits] + [False])[np.asarray(codes)]
        allowed = ", ".join(sorted({v for v in lut.values()}))
        why = "'" + cases[fld].astype(str) + f"' is not a {fld} code or name (one of {allowed})"
        out.append((fld, f"{fld}_unknown", why, unknown))
    return out


# --- the import ---


def _stage(cases: pd.DataFrame, keep: np.ndarray, units: pd.DataFrame, ctx: dict) -> pd.DataFrame:
    """The rows to load: mapped columns, unit ids, resolved department ids, default deadlines."""
    stage = pd.concat([cases, units], axis=1)
    if not keep.all():
        stage = stage.loc[keep].reset_index(drop=True)
    deps = ctx["departments"]
    if "department_id" in stage and not deps.empty:  # names (承办单位) to ids, per distinct value
        lut = {}
        for col in ("name_en", "name_zh", "department_id"):
            pairs = zip(deps[col], deps["department_id"], strict=True)
            lut.update({str(k).lower(): v for k, v in pairs if pd.notna(k)})
        codes, uniq = pd.factorize(stage["department_id"])
        stage["department_id"] = take_strings([lut.get(str(u).lower(), u) for u in uniq], np.asarray(codes))
    cats = ctx["categories"].dropna(subset=["deadline_days"])
    if "category" in stage and not cats.empty:  # a deadline from the catalogue where the file has none
        days_of = dict(zip(cats["category"], cats["deadline_days"].astype(float), strict=True))
        codes, uniq = pd.factorize(stage["category"])
        days = np.array([days_of.get(u, np.nan) for u in uniq] + [np.nan])[np.asarray(codes)]
        due = stage["reported_at"] + pd.to_timedelta(days, unit="D")
        stage["deadline_at"] = stage["deadline_at"].fillna(due) if "deadline_at" in stage else due
    if "deadline_at" in stage:
        stage["deadline_at"] = stage["deadline_at"].astype("datetime64[us]")
    return stage


def _also(added: dict, as_of: datetime | None):
    """The writes a case import adds to its transaction: new catalogue entries, the data's clock."""
    if not added and as_of is None:
        return None

    def also(con, import_id: str) -> None:
        if added:
            _catalogue.write(con, import_id, added)
        if as_of is not None:
            writes.set_as_of(con, as_of)

    return also


def import_file(
    db_path: str | os.PathLike,
    file,
    *,
    mapping: str | Path | Mapping | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    on_error: str = "reject",
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    max_mb: float | None = None,
    quarantine_dir: str | os.PathLike | None = None,
    level: str | None = None,
    as_of: datetime | None = None,
) -> ImportReport:
    """Import a case file into the ``cases`` table of ``db_path``, a file no other process has open.

    Options as for ``govdash.ingest.run`` (``level`` is for units: None here); ``as_of`` moves the
    data's clock (meta 'as_of') in the same transaction (the live feed: a batch and its clock are one
    commit, on a lake too). All writes happen in one transaction: on any failure the database is left
    exactly as it was.
    """
    t0 = time.perf_counter()
    if level is not None:
        raise ValueError("level is for units imports")
    src, crs = _plumbing.begin(file, name=name, crs=crs, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    say(0.02, "reading")
    table = read_table(src, encoding=encoding)
    if isinstance(mapping, Mapping):
        m = mapping
    else:
        m = detect_mapping(table.frame.columns) if mapping is None else load_mapping(mapping)
    rep = ImportReport(
        file=src.name,
        sha256=src.sha256,
        mapping=m.name,
        on_error=on_error,
        rows=len(table.frame) + len(table.malformed),
    )

    def label(fld: str) -> str:
        if fld == "coords":
            return "/".join(str(v) for k, v in m.coords.items() if k in {"lon", "lat", "pair"}) or "coords"
        if fld == "area":
            return "/".join(m.area.values())
        return m.columns.get(fld, fld)

    with _plumbing.session(db_path, dry_run) as con:
        ctx = _sql.context(con, "cases")
        say(0.30, "mapping")
        mapped = apply_mapping(table.frame, m, crs=crs, tz=ctx["timezone"])  # stored in the district's zone
        if mapped.absent:
            rep.notes.append(f"mapped columns not in the file (left empty): {', '.join(mapped.absent)}")
        ctx["grids"]["geom"] = _geoms(ctx["grids"])  # parse the WKB once
        ctx["extent"] = extent(shapely.from_wkb([bytes(b) for b in ctx["extent"]["geom"]]))
        say(0.45, "validating")
        known = _catalogue.known(ctx)["category"] or {v for v in m.values.get("category", {}).values()}
        issues = mapped.issues + resolve_codes(mapped.cases, ctx["must_report"])
        issues += check_rows(
            mapped.cases,
            bbox=ctx["extent"],
            known_categories=None if m.catalogue.get("category") == "add" else known,
            rows=table.rows,
            times=time_bounds(ctx["as_of"], tz=ctx["timezone"]),
        )
        issues += _catalogue.issues(mapped.cases, ctx, m.catalogue)
        lon, lat = mapped.cases["lon"].to_numpy(float), mapped.cases["lat"].to_numpy(float)
        if mapped.area is not None and len(mapped.area.columns):  # no point, but a unit named: located by it
            by_area, area_bad, area_why = locate_by_area(mapped.area, ctx["units"])
            named = mapped.area.notna().any(axis=1).to_numpy(bool) & ~np.isfinite(lon)
            issues = [(f, r, why, mask & ~named if r == "coords_missing" else mask) for f, r, why, mask in issues]
            issues.append(("area", "area_unknown", area_why, named & area_bad))
        errs = [i for i in issues if i[1] not in m.warn]
        warns = [i for i in issues if i[1] in m.warn]
        say(0.55, "assigning grids")
        units = assign_units(lon, lat, ctx["grids"])
        if mapped.area is not None and len(mapped.area.columns):
            units = units.where(~pd.Series(named, index=units.index), by_area.set_axis(units.index))
            rep.located_by_area = int((named & ~area_bad).sum())
            rep.notes.append(
                f"{rep.located_by_area} cases without a point located by the unit "
                f"{'/'.join(m.area.values())} names (no point: unlocated on point maps)"
            )
        keep = ~any_failed(errs, len(mapped.cases))
        outside = keep & np.isfinite(lon) & units["town_id"].isna().to_numpy(bool)
        warns.append(("coords", "outside_units", "in the district but in no unit: kept with empty unit ids", outside))
        bad = fill(rep, table, errs, warns, mapped.raw, label)
        rep.outside_units = int(outside.sum())
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        rep.catalogue_added = _catalogue.additions(mapped.cases, ~bad, ctx, m.catalogue)
        if rep.catalogue_added:
            rep.notes.append(_catalogue.note(rep.catalogue_added))
        stage = _stage(mapped.cases, ~bad, units, ctx)
        columns = [c for c in stage.columns if c != "case_id"]
        with _plumbing.staged(con, pa.Table.from_pandas(stage, preserve_index=False)):
            say(0.70, "checking the write" if dry_run else "writing")
            qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
            _plumbing.write(
                con,
                "cases",
                rep,
                table,
                bad,
                columns=columns,
                crs=crs or m.coords.get("crs"),
                user=user,
                qdir=qdir,
                dry_run=dry_run,
                also=_also(rep.catalogue_added, as_of),
            )
        # asked here: the file is open already; a lake orders its files itself (`optimize`)
        rewrite = rep.status == "loaded" and not lake.is_lake(db_path) and layout.due(con)
    if rewrite:
        say(0.90, "clustering")
        done = layout.maybe_recluster(db_path, due_now=True)
        if "error" in done:
            rep.notes.append(f"loaded; the file was left in arrival order ({done['error']})")
        else:
            rep.notes.append(
                f"cases rewritten in area order for faster views: {done['rows']:,} rows in {done['seconds']:.1f} s"
            )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep
