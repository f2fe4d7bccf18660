"""The grid workers and patrols pipeline: a table (CSV, Excel, Parquet, JSON) mapped to fields, checked, upserted."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govdash.ingest import _plumbing, _sql
from govdash.ingest._mapping import MappingError, as_text, parse_times, toml_doc
from govdash.ingest._readers import read_table
from govdash.ingest._report import ImportReport, Progress, fill

KINDS = ("workers", "patrols")
FIELDS = {
    "workers": ("worker_id", "name", "grid_id", "role", "on_duty"),
    "patrols": (
        "patrol_id",
        "worker_id",
        "grid_id",
        "started_at",
        "ended_at",
        "route_m",
        "points_visited",
        "issues_reported",
    ),
}
REQUIRED = {"workers": ("worker_id", "grid_id"), "patrols": ("patrol_id", "started_at")}
# source column names tried, case-insensitively, for fields the mapping does not name
GUESS = {
    "worker_id": ("worker_id", "网格员编号", "人员编号", "工号"),
    "name": ("name", "姓名", "网格员"),
    "grid_id": ("grid_id", "grid", "网格编码", "网格编号", "网格"),
    "role": ("role", "角色", "类别", "岗位"),
    "on_duty": ("on_duty", "在岗"),
    "patrol_id": ("patrol_id", "id", "巡查编号", "记录编号"),
    "started_at": ("started_at", "start", "开始时间", "巡查开始时间"),
    "ended_at": ("ended_at", "end", "结束时间", "巡查结束时间"),
    "route_m": ("route_m", "里程", "巡查里程(米)", "路线长度"),
    "points_visited": ("points_visited", "点位数", "巡查点位"),
    "issues_reported": ("issues_reported", "上报问题数", "发现问题数", "上报数"),
}
# role words (case-insensitive) understood without a [values.role] table
ROLE_WORDS = {
    **dict.fromkeys(("grid_worker", "网格员", "专职网格员", "worker"), "grid_worker"),
    **dict.fromkeys(("assistant", "协管员", "网格协管员"), "assistant"),
    **dict.fromkeys(("volunteer", "公益员", "网格公益员", "志愿者"), "volunteer"),
}
_TRUE = {"1", "true", "t", "yes", "y", "是", "在岗", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "不在岗", "离岗", "×"}


@dataclass(frozen=True)
class WorkMapping:
    """A workers / patrols mapping: TOML keys kind, name, [columns], [values.role], timezone, time_format, dayfirst."""

    kind: str
    name: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    time_format: str | None = None
    dayfirst: bool | None = None


def parse_work_mapping(doc: dict, kind: str, name: str = "mapping") -> WorkMapping:
    """A WorkMapping from a parsed TOML document, every key checked."""
    extra = set(doc) - {"kind", "name", "columns", "values", "timezone", "time_format", "dayfirst"}
    if extra:
        raise MappingError(f"unknown keys in mapping: {sorted(extra)}")
    if doc.get("kind", kind) != kind:
        raise MappingError(f"this mapping is for {doc['kind']}, not {kind}")
    bad = set(doc.get("columns", {})) - set(FIELDS[kind])
    if bad:
        raise MappingError(f"unknown {kind} fields in [columns]: {sorted(bad)}; allowed: {', '.join(FIELDS[kind])}")
    values = doc.get("values", {})
    if set(values) - {"role"}:
        raise MappingError("only [values.role] is allowed")
    roles = {str(k).strip().lower(): str(v) for k, v in values.get("role", {}).items()}
    wrong = sorted(set(roles.values()) - set(ROLE_WORDS.values()))
    if wrong:
        raise MappingError(f"[values.role] maps to {wrong}; roles are grid_worker, assistant, volunteer")
    return WorkMapping(
        kind,
        str(doc.get("name", name)),
        {k: str(v) for k, v in doc.get("columns", {}).items()},
        roles,
        doc.get("timezone"),
        doc.get("time_format"),
        None if doc.get("dayfirst") is None else bool(doc["dayfirst"]),
    )


def load_work_mapping(spec, kind: str) -> WorkMapping:
    """A WorkMapping from a WorkMapping, a TOML file path, or None (column names guessed)."""
    if spec is None or isinstance(spec, WorkMapping):
        return spec or WorkMapping(kind)
    path = Path(spec)
    return parse_work_mapping(toml_doc(path, path.name, f"no mapping file {str(spec)!r}"), kind, path.stem)


def _columns(columns, m: WorkMapping) -> dict[str, str]:
    """Field -> source column: the mapping's, else the first guessed name present; MappingError when a required
    field has none."""
    missing = [c for c in m.columns.values() if c not in columns]
    if missing:
        raise MappingError(f"mapping '{m.name}': columns not in the file: {', '.join(missing)}")
    lower = {str(c).lower(): c for c in columns}
    out = dict(m.columns)
    for fld in FIELDS[m.kind]:
        if fld not in out:
            hit = next((lower[g.lower()] for g in GUESS[fld] if g.lower() in lower), None)
            if hit is not None:
                out[fld] = hit
    for fld in REQUIRED[m.kind]:
        if fld not in out:
            raise MappingError(
                f"no {fld} column: none of {', '.join(GUESS[fld])} (any case), and the mapping names none; "
                f"the file has: {', '.join(map(str, list(columns)[:30]))}. "
                f'Name it in a mapping: [columns] {fld} = "..."'
            )
    return out


def _number(text: pd.Series, integral: bool) -> tuple[pd.Series, np.ndarray]:
    """Numbers ≥ 0 (whole numbers when ``integral``) and the mask of values that are not."""
    val = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype(float)
    bad = text.notna() & (val.isna() | (val < 0) | ((val != val.round()) if integral else False))
    return val, bad.to_numpy(bool)


def _check(kind: str, src: dict, m: WorkMapping, ctx: dict, tz: str) -> tuple[pd.DataFrame, list]:
    """Typed fields and per-row issues (field, rule, reason, mask) against the district's grids and workers."""
    n = len(next(iter(src.values())))
    out, issues = pd.DataFrame(index=range(n)), []
    key = FIELDS[kind][0]
    ids = src[key].reset_index(drop=True)
    out[key] = ids
    issues.append((key, "id_missing", "no id", ids.isna().to_numpy(bool)))
    issues.append(
        (
            key,
            "id_duplicate",
            "the same id on another row of the file",
            (ids.notna() & ids.duplicated(keep=False)).to_numpy(bool),
        )
    )
    grids = set(ctx["grids"])
    grid = src["grid_id"].reset_index(drop=True) if "grid_id" in src else pd.Series([None] * n, dtype=object)
    if kind == "workers":
        out["name"] = src["name"].reset_index(drop=True) if "name" in src else None
        role_text = src["role"].reset_index(drop=True) if "role" in src else pd.Series(["grid_worker"] * n)
        table = {**ROLE_WORDS, **m.roles}
        role = role_text.map(lambda v: table.get(str(v).strip().lower()), na_action="ignore")
        out["role"] = role.where(role_text.notna(), "grid_worker")
        issues.append(
            (
                "role",
                "value_invalid",
                "not a role: 网格员/协管员/公益员 (grid_worker/assistant/volunteer)",
                (role_text.notna() & role.isna()).to_numpy(bool),
            )
        )
        duty = (
            src["on_duty"].reset_index(drop=True).str.lower()
            if "on_duty" in src
            else pd.Series([None] * n, dtype=object)
        )
        out["on_duty"] = np.where(duty.isin(_FALSE), False, True)
        issues.append(
            (
                "on_duty",
                "value_invalid",
                "not a yes/no value",
                (duty.notna() & ~duty.isin(_TRUE | _FALSE)).to_numpy(bool),
            )
        )
    else:
        workers = ctx["workers"].set_index("worker_id")["grid_id"]
        worker = src["worker_id"].reset_index(drop=True) if "worker_id" in src else pd.Series([None] * n, dtype=object)
        out["worker_id"] = worker
        issues.append(
            (
                "worker_id",
                "worker_unknown",
                "not a grid worker of this district (import workers first)",
                (worker.notna() & ~worker.isin(workers.index)).to_numpy(bool),
            )
        )
        grid = grid.where(grid.notna(), worker.map(workers, na_action="ignore"))  # the worker's own grid
        fmt = (m.time_format,) if m.time_format else ("auto",)
        for fld in ("started_at", "ended_at"):
            text = src[fld].reset_index(drop=True) if fld in src else pd.Series([None] * n, dtype=object)
            out[fld] = parse_times(text, fmt, m.timezone or tz, m.dayfirst, store_tz=tz, column=fld).reset_index(
                drop=True
            )
            issues.append((fld, "time_invalid", "not a time", (text.notna() & out[fld].isna()).to_numpy(bool)))
        issues.append(
            (
                "started_at",
                "time_missing",
                "no start time",
                src["started_at"].reset_index(drop=True).isna().to_numpy(bool),
            )
        )
        issues.append(
            ("ended_at", "time_order", "ends before it starts", (out["ended_at"] < out["started_at"]).to_numpy(bool))
        )
        for fld, integral in (("route_m", False), ("points_visited", True), ("issues_reported", True)):
            text = src[fld].reset_index(drop=True) if fld in src else pd.Series([None] * n, dtype=object)
            out[fld], bad = _number(text, integral)
            issues.append((fld, "value_invalid", "not a whole number ≥ 0" if integral else "not a number ≥ 0", bad))
        out["issues_reported"] = out["issues_reported"].fillna(0)
    out["grid_id"] = grid
    issues.append(("grid_id", "grid_missing", "no grid", grid.isna().to_numpy(bool)))
    issues.append(
        (
            "grid_id",
            "grid_unknown",
            "not a grid of this district (import the grid level first)",
            (grid.notna() & ~grid.isin(grids)).to_numpy(bool),
        )
    )
    return out[list(FIELDS[kind])], issues


def import_file(
    kind: str,
    db_path: str | os.PathLike,
    file,
    *,
    mapping=None,
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
) -> ImportReport:
    """Import grid workers (网格员: id, name, grid, role 网格员/协管员/公益员, on duty) or their patrols (id, worker,
    grid, start, end, route metres, points visited, issues reported) into ``db_path``, a file no other process has
    open. A bad row (no id, an id twice, an unknown grid or worker, a time that is not one, a patrol ending
    before it starts, a negative count) is an error naming file, row and field; with ``on_error='reject'``
    nothing is written. Rows are upserted by id in one transaction. ``crs`` and ``level`` are accepted and
    unused (no coordinates, no units). Other options as for ``govdash.ingest.run``."""
    t0 = time.perf_counter()
    if kind not in KINDS:
        raise ValueError("kind is 'workers' or 'patrols'")
    src, _ = _plumbing.begin(file, name=name, crs=crs, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    m = load_work_mapping(mapping, kind)
    say(0.05, "reading")
    table = read_table(src, encoding=encoding)
    cols = _columns(table.frame.columns, m)
    text = {f: as_text(table.frame[c]) for f, c in cols.items()}
    rep = ImportReport(
        file=src.name,
        sha256=src.sha256,
        mapping=m.name,
        on_error=on_error,
        rows=len(table.frame) + len(table.malformed),
    )
    say(0.30, "checking")
    with _plumbing.session(db_path, dry_run) as con:
        ctx = _sql.grid_work_context(con)
        stage, issues = _check(kind, text, m, ctx, _sql.district_timezone(con))
        bad = fill(rep, table, issues, [], text, lambda f: cols.get(f, f))
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        keep = stage.loc[~bad].reset_index(drop=True)
        with _plumbing.staged(con, keep):
            say(0.70, "checking the write" if dry_run else "writing")
            qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
            _plumbing.write(
                con,
                kind,
                rep,
                table,
                bad,
                columns=list(keep.columns),
                crs=None,
                user=user,
                qdir=qdir,
                dry_run=dry_run,
            )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep
