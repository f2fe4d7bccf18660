"""Import case files: map, validate, assign to grids, upsert in one transaction, record and undo."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from govdash import coords, export, layout, queries, schema, settings
from govdash.db import Database, writer
from govdash.mapping import Mapping, MappingError, apply_mapping, detect_mapping, load_mapping, take_strings
from govdash.readers import Table, ValidationError, open_source, read_table

__all__ = ["ImportReport", "ValidationError", "MappingError", "import_cases", "list_imports", "undo_import",
           "check_rows", "assign_units"]

DEFAULT_BBOX = (121.42, 30.82, 122.02, 31.45)  # Pudong, WGS-84 degrees: used when the DB has no units
BBOX_MARGIN = 0.01        # degrees (~1 km) around the units' extent still counted as in the district
MAX_TEXT = 32_768          # characters allowed in one text field
PLACEHOLDER_MIN = 20       # a coordinate shared by more than max(20, 1 % of rows) is a placeholder
VALUE_CHARS = 200          # characters of a value shown in a report
REPORT_COLUMNS = ["file", "row", "field", "value", "reason", "rule"]
Progress = Callable[[float, str], None]


@dataclass
class ImportReport:
    """What an import did (or, dry run / rejected, would do). Counts are source rows."""

    file: str
    sha256: str
    mapping: str
    on_error: str
    status: str = "rejected"     # loaded | rejected | dry_run
    import_id: str | None = None
    rows: int = 0                # rows read, malformed ones included
    failed: int = 0              # rows with at least one error
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0         # failed rows kept in the quarantine table (on_error='quarantine')
    outside_units: int = 0       # loaded cases inside the district but in no grid polygon (NULL unit ids)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))
    quarantine_csv: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every row was valid."""
        return self.failed == 0

    def summary(self) -> str:
        """One line for people."""
        head = {"loaded": f"import {self.import_id}", "dry_run": "dry run", "rejected": "rejected"}[self.status]
        return (f"{head}: {self.file}: {self.rows} rows, {self.failed} with errors; inserted {self.inserted}, "
                f"updated {self.updated}, unchanged {self.unchanged}, quarantined {self.quarantined}, "
                f"outside every grid {self.outside_units}; {len(self.warnings)} warnings ({self.seconds:.1f} s)")


def _now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


# --- validation and assignment (pure: arrays and frames in, masks out) ---

def _geoms(grids: pd.DataFrame) -> np.ndarray:
    """Grid polygons from WKB (DuckDB returns BLOBs as bytearray) or shapely geometries."""
    g = grids["geom"].to_numpy(dtype=object)
    if len(g) and not isinstance(g[0], shapely.Geometry):
        g = shapely.from_wkb([bytes(b) for b in g])
    return np.asarray(g, dtype=object)


def _bbox(grids: pd.DataFrame) -> tuple[float, float, float, float]:
    if grids.empty:
        return DEFAULT_BBOX
    x0, y0, x1, y1 = shapely.total_bounds(_geoms(grids))
    return x0, y0, x1, y1


def check_rows(cases: pd.DataFrame, *, bbox: tuple[float, float, float, float] = DEFAULT_BBOX,
               known_categories: set[str] | frozenset[str] = frozenset(),
               rows: np.ndarray | None = None) -> list[tuple[str, str, object, np.ndarray]]:
    """Row rules on mapped cases (lon/lat WGS-84): returns (field, rule, reason, mask) per rule.

    ``reason`` is a string or a Series of per-row strings; ``rows`` are the rows' numbers in the file
    (default 1, 2, ...). An empty ``known_categories`` skips that rule.
    """
    n = len(cases)
    rows = np.arange(1, n + 1) if rows is None else np.asarray(rows)
    out: list[tuple[str, str, object, np.ndarray]] = []
    ids = cases["case_id"] if "case_id" in cases else pd.Series(np.nan, index=cases.index, dtype="str")
    out.append(("case_id", "id_missing", "no case id", ids.isna().to_numpy(bool)))
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy(bool)
    if dup.any():
        first = pd.Series(rows, index=cases.index).groupby(ids.to_numpy()).transform("first")
        out.append(("case_id", "id_duplicate", "duplicate id (first at row " + first.astype(str) + ")", dup))
    rep = cases["reported_at"]
    if "closed_at" in cases:
        out.append(("closed_at", "closed_before_reported", "closed before it was reported",
                    (cases["closed_at"] < rep).fillna(False).to_numpy(bool)))
    for col in cases.columns:
        if pd.api.types.is_string_dtype(cases[col]) and n and (cases[col].str.len().max() or 0) > MAX_TEXT:
            out.append((col, "field_too_long", f"longer than {MAX_TEXT} characters",
                        (cases[col].str.len() > MAX_TEXT).fillna(False).to_numpy(bool)))
    if known_categories and "category" in cases:
        cat = cases["category"]
        out.append(("category", "category_unknown", "category not in the catalogue",
                    (cat.notna() & ~cat.isin(list(known_categories))).to_numpy(bool)))
    lon, lat = cases["lon"].to_numpy(float), cases["lat"].to_numpy(float)
    x0, y0, x1, y1 = bbox[0] - BBOX_MARGIN, bbox[1] - BBOX_MARGIN, bbox[2] + BBOX_MARGIN, bbox[3] + BBOX_MARGIN
    valid = np.isfinite(lon) & np.isfinite(lat)
    with np.errstate(invalid="ignore"):
        inside = valid & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        swapped = valid & ~inside & (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
    out.append(("coords", "coords_swapped", "latitude and longitude swapped", swapped))
    out.append(("coords", "coords_outside", "outside the district", valid & ~inside & ~swapped))
    if inside.any():
        kx = np.round(np.where(inside, lon, 0.0) * 1e6).astype(np.int64)
        ky = np.round(np.where(inside, lat, 0.0) * 1e6).astype(np.int64)
        key = np.where(inside, kx * 400_000_000 + ky, -1)  # ky < 1e8: the pair packs into one int64
        _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        per_row = counts[inv]
        limit = max(PLACEHOLDER_MIN, int(0.01 * n))
        ph = inside & (per_row > limit)
        times = pd.Series(per_row, index=cases.index).astype(str)
        out.append(("coords", "coords_placeholder", "same coordinate in " + times + " rows (a placeholder?)", ph))
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
    boxes = shapely.box(x0 + ix.ravel() * cs - eps, y0 + iy.ravel() * cs - eps,
                        x0 + (ix.ravel() + 1) * cs + eps, y0 + (iy.ravel() + 1) * cs + eps)
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
    cols = {"grid_id": "unit_id", "community_id": "community_id", "town_id": "town_id"}
    return pd.DataFrame({k: take_strings(grids[v].tolist(), gidx) for k, v in cols.items()})


def _report(issues, src: dict, m: Mapping, rows: np.ndarray, file: str) -> pd.DataFrame:
    parts = []
    for fld, rule, reason, mask in issues:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            continue
        value = src.get(fld)
        if value is None:
            shown = np.full(idx.size, None, dtype=object)
        else:
            sub = value.iloc[idx].astype("str")
            if isinstance(sub, pd.DataFrame):  # lon and lat columns
                sub = sub.iloc[:, 0].fillna("") + ", " + sub.iloc[:, 1].fillna("")
            shown = sub.str.slice(0, VALUE_CHARS).to_numpy(dtype=object)
        why = reason.iloc[idx].to_numpy(dtype=object) if isinstance(reason, pd.Series) else reason
        if fld == "coords":
            label = "/".join(str(v) for k, v in m.coords.items() if k in {"lon", "lat", "pair"}) or "coords"
        else:
            label = m.columns.get(fld, fld)
        parts.append(pd.DataFrame({"file": file, "row": rows[idx], "field": label, "value": shown,
                                   "reason": why, "rule": rule}))
    if not parts:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["row", "field"], kind="stable", ignore_index=True)


# --- the import ---

@contextmanager
def _connect(db_path, dry_run: bool):
    """The writer connection, or for a dry run a read-only one (an empty in-memory DB if there is no file)."""
    if not dry_run:
        with writer(db_path) as con:
            yield con
        return
    if Path(db_path).is_file():
        db = Database(db_path)
        try:
            yield db.connection()
        finally:
            db.close()
        return
    con = duckdb.connect(":memory:")
    try:
        schema.create(con)
        yield con
    finally:
        con.close()


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


def import_cases(db_path: str | os.PathLike, file, *, mapping: str | Path | Mapping | None = None,
                 crs: str | None = None, encoding: str | None = None, on_error: str = "reject",
                 dry_run: bool = False, user: str | None = None, progress: Progress | None = None,
                 name: str | None = None, max_mb: float | None = None,
                 quarantine_dir: str | os.PathLike | None = None) -> ImportReport:
    """Import a case file into the ``cases`` table of ``db_path``.

    Parameters
    ----------
    file : path, bytes or binary file object (an upload; ``name`` names it)
    mapping : a Mapping, a TOML path or shipped name; None picks the shipped one fitting the columns
    crs : overrides the mapping's coordinate CRS: 'wgs84' | 'gcj02' | 'bd09' | 'EPSG:n'
    encoding : text encoding; None detects UTF-8 (with or without BOM), UTF-16 (BOM) or GBK/GB18030
    on_error : 'reject' loads nothing when any row fails; 'quarantine' loads the valid rows and keeps
        the others with their reasons in the ``quarantine`` table and a CSV in ``quarantine_dir``
        (default: a ``quarantine`` folder beside the database)
    dry_run : validate and count, write nothing
    max_mb : size limit in MB (default settings.max_upload_mb); bigger files are refused unread

    Raises ValidationError (or its subclass MappingError) when the file as a whole cannot be imported.
    All writes happen in one transaction: on any failure the database is left exactly as it was.
    """
    t0 = time.perf_counter()
    if on_error not in {"reject", "quarantine"}:
        raise ValueError("on_error is 'reject' or 'quarantine'")
    if crs is not None:
        try:
            crs = coords.normalise_crs(crs)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
    say = progress or (lambda frac, text: None)
    limit_mb = settings.load().max_upload_mb if max_mb is None else max_mb
    src = open_source(file, name=name, max_bytes=int(limit_mb * 2**20))
    say(0.02, "reading")
    table: Table = read_table(src, encoding=encoding, max_bytes=int(limit_mb * 2**20))
    if isinstance(mapping, Mapping):
        m = mapping
    else:
        m = detect_mapping(table.frame.columns) if mapping is None else load_mapping(mapping)
    say(0.30, "mapping")
    mapped = apply_mapping(table.frame, m, crs=crs)
    rep = ImportReport(file=src.name, sha256=src.sha256, mapping=m.name, on_error=on_error,
                       rows=len(table.frame) + len(table.malformed))
    if mapped.absent:
        rep.notes.append(f"mapped columns not in the file (left empty): {', '.join(mapped.absent)}")
    with _connect(db_path, dry_run) as con:
        ctx = queries.import_context(con)
        ctx["grids"]["geom"] = _geoms(ctx["grids"])  # parse the WKB once
        say(0.45, "validating")
        known = set(ctx["categories"]["category"]) or {v for v in m.values.get("category", {}).values()}
        issues = mapped.issues + check_rows(mapped.cases, bbox=_bbox(ctx["grids"]), known_categories=known,
                                             rows=table.rows)
        errs = [i for i in issues if i[1] not in m.warn]
        warns = [i for i in issues if i[1] in m.warn]
        bad = np.zeros(len(mapped.cases), bool)
        for *_, mask in errs:
            bad |= mask
        rep.errors = _report(errs, mapped.raw, m, table.rows, src.name)
        if len(table.malformed):
            mal = table.malformed.assign(file=src.name, field="", rule="row_malformed")[REPORT_COLUMNS]
            rep.errors = pd.concat([mal, rep.errors], ignore_index=True)
        rep.failed = int(bad.sum()) + len(table.malformed)
        say(0.55, "assigning grids")
        keep = ~bad
        units = assign_units(mapped.cases["lon"].to_numpy(float), mapped.cases["lat"].to_numpy(float),
                             ctx["grids"])
        located = np.isfinite(mapped.cases["lon"].to_numpy(float))
        outside = keep & located & units["grid_id"].isna().to_numpy(bool)
        warns.append(("coords", "outside_units", "in the district but in no grid: kept with empty unit ids",
                      outside))
        rep.warnings = _report(warns, mapped.raw, m, table.rows, src.name)
        rep.outside_units = int(outside.sum())
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        stage = _stage(mapped.cases, keep, units, ctx)
        columns = [c for c in stage.columns if c != "case_id"]
        con.register("import_rows", pa.Table.from_pandas(stage, preserve_index=False))  # zero-copy scans
        try:
            if dry_run:
                for k, v in queries.import_preview(con, columns).items():
                    setattr(rep, k, v)
                rep.status = "dry_run"
                rep.seconds = time.perf_counter() - t0
                return rep
            say(0.70, "writing")
            qdir = Path(quarantine_dir) if quarantine_dir else Path(db_path).resolve().parent / "quarantine"
            _write(con, rep, table, bad, columns=columns, crs=crs or m.coords.get("crs"), user=user, qdir=qdir)
        finally:
            con.unregister("import_rows")
        rewrite = rep.status == "loaded" and layout.due(con)  # asked here: the file is open already
    if rewrite:
        say(0.90, "clustering")
        done = layout.maybe_recluster(db_path, due_now=True)
        if "error" in done:
            rep.notes.append(f"loaded; the file was left in arrival order ({done['error']})")
        else:
            rep.notes.append(f"cases rewritten in area order for faster views: {done['rows']:,} rows in "
                             f"{done['seconds']:.1f} s")
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep


def _write(con, rep: ImportReport, table: Table, bad: np.ndarray, *, columns: list[str], crs: str | None,
           user: str | None, qdir: Path) -> None:
    """Everything that changes the database, in one transaction; fills in the report's counts."""
    started = _now()
    import_id = f"imp-{started:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    prior = queries.import_same_file(con, rep.sha256)
    csv_path = None
    con.execute("BEGIN TRANSACTION")
    try:
        counts = queries.import_apply(con, import_id, started, columns)
        for k, v in counts.items():
            setattr(rep, k, v)
        if rep.failed:
            quarantined = _quarantine_rows(table, bad, rep.errors, import_id, rep.file)
            con.register("import_bad", quarantined)
            try:
                queries.import_quarantine(con)
            finally:
                con.unregister("import_bad")
            rep.quarantined = len(quarantined)
            qdir.mkdir(parents=True, exist_ok=True)
            csv_path = qdir / f"{import_id}.csv"
            csv_path.write_bytes(export.to_csv_bytes(_quarantine_csv(table, bad, rep.errors)))
        rep.import_id, rep.status = import_id, "loaded"
        queries.import_record(con, {
            "import_id": import_id, "kind": "cases", "file_name": rep.file, "sha256": rep.sha256,
            "mapping": rep.mapping, "crs": crs, "on_error": rep.on_error,
            "rows_read": rep.rows, "inserted": rep.inserted, "updated": rep.updated, "unchanged": rep.unchanged,
            "quarantined": rep.quarantined, "outside_units": rep.outside_units, "warnings": len(rep.warnings),
            "started_at": started, "finished_at": _now(), "user_name": user})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        if csv_path is not None:
            csv_path.unlink(missing_ok=True)
        rep.import_id, rep.status, rep.quarantine_csv = None, "rejected", None
        raise
    rep.quarantine_csv = str(csv_path) if csv_path else None
    if prior:
        rep.notes.append(f"the same file was imported before as {', '.join(prior)}")


def _reasons(errors: pd.DataFrame) -> pd.Series:
    return (errors["field"].astype(str).where(errors["field"] != "", "row") + ": " + errors["reason"].astype(str)
            ).groupby(errors["row"].to_numpy()).agg("; ".join)


def _quarantine_rows(table: Table, bad: np.ndarray, errors: pd.DataFrame, import_id: str,
                     file_name: str) -> pd.DataFrame:
    """One quarantine row per failed source row: its reasons and the row itself as JSON."""
    why = _reasons(errors)
    frame = table.frame.loc[bad]
    records = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    recs = records.splitlines() if len(frame) else []
    mal = table.malformed
    out = pd.DataFrame({
        "source_row": np.r_[table.rows[bad], mal["row"].to_numpy(dtype=np.int64)],
        "record": recs + [pd.Series({"text": v}).to_json(force_ascii=False) for v in mal["value"]],
    })
    out["reasons"] = out["source_row"].map(why).fillna("")
    out["import_id"], out["file_name"] = import_id, file_name
    return out


def _quarantine_csv(table: Table, bad: np.ndarray, errors: pd.DataFrame) -> pd.DataFrame:
    """The failed source rows as they were, with `_row` and `_reasons` in front (fix and re-import)."""
    why = _reasons(errors)
    frame = table.frame.loc[bad].copy()
    frame.insert(0, "_row", table.rows[bad])
    mal = table.malformed.rename(columns={"row": "_row", "value": "_text"})[["_row", "_text"]]
    out = pd.concat([frame, mal], ignore_index=True) if len(mal) else frame
    out.insert(1, "_reasons", out["_row"].map(why).fillna(""))
    return out


def list_imports(db_path: str | os.PathLike, limit: int = 100) -> pd.DataFrame:
    """Recorded imports, newest first."""
    with _connect(db_path, dry_run=True) as con:
        return queries.import_list(con, limit)


def undo_import(db_path: str | os.PathLike, import_id: str, *, user: str | None = None) -> dict[str, int]:
    """Undo a loaded import in one transaction: remove the cases it inserted, restore those it updated.

    Refused (ValidationError) while a later, still-loaded import changed the same cases: undo that first.
    """
    with writer(db_path) as con:
        found = queries.import_kind(con, import_id)
        if found is None:
            raise ValidationError(f"no import {import_id!r}")
        kind, status = found
        if kind != "cases":  # stations and units imports are undone by ingest_geo.undo_file
            raise ValidationError(f"import {import_id} is a {kind} import")
        if status != "loaded":
            raise ValidationError(f"import {import_id} is already {status}")
        later = queries.import_blockers(con, import_id)
        if later:
            raise ValidationError(f"later imports changed the same cases; undo them first: {', '.join(later)}")
        con.execute("BEGIN TRANSACTION")
        try:
            out = queries.import_undo(con, import_id, _now(), user)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return out


# --- live imports beside readers ---
# Issue 8. The app keeps the database open read-only, so DuckDB would refuse import_cases' writer
# on the live file: a live import writes a private copy and swaps it in (db.replacing_writer).

def import_live(db_path: str | os.PathLike, file, **kwargs) -> ImportReport:
    """``import_cases`` while other processes read ``db_path``: into a copy swapped in atomically.

    Readers see the file as it was until the import commits, then the whole import at once; a
    process killed midway leaves the live file untouched (re-running the import completes it, as
    rows already loaded are upserted unchanged). Imports are serialised by the writer lock.
    Keyword arguments are those of ``import_cases``; a dry run reads the live file directly.
    """
    from govdash.db import replacing_writer
    if kwargs.get("dry_run"):
        return import_cases(db_path, file, **kwargs)
    with replacing_writer(db_path) as tmp:
        return import_cases(tmp, file, quarantine_dir=kwargs.pop("quarantine_dir", None)
                            or Path(db_path).resolve().parent / "quarantine", **kwargs)
