"""Record imports: station services, 三会 meetings, estates and property companies (rows appended, undone whole)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from govdash.ingest import _coords, _plumbing, _sql
from govdash.ingest._mapping import MappingError
from govdash.ingest._readers import ValidationError, read_table
from govdash.ingest._report import ImportReport, Progress, fill

# the words a column may carry for each vocabulary: its code, the Chinese and the English label
TIERS = {
    **{k: "baseline" for k in ("baseline", "底线", "底线民生")},
    **{k: "basic" for k in ("basic", "基本", "基本民生")},
    **{k: "quality" for k in ("quality", "质量", "质量民生")},
}
MEETINGS = {
    **{k: "hearing" for k in ("hearing", "听证会")},
    **{k: "coordination" for k in ("coordination", "协调会")},
    **{k: "review" for k in ("review", "评议会")},
}
REFERENCES = {  # a column naming a row elsewhere, and why a row fails when it names none
    "station_id": "unknown station",
    "community_id": "unknown community (居村)",
    "company_id": "unknown property company: import it first",
}


@dataclass(frozen=True)
class Field:
    name: str  # column in the table
    kind: str  # text | int | time | date | lon | lat | tier | meeting
    required: bool
    guesses: tuple[str, ...]  # source column names recognised for it (lower case)


SPECS: dict[str, tuple[str, tuple[Field, ...], str | None]] = {  # kind -> (table, fields, id column)
    "station_services": (
        "station_services",
        (
            Field("station_id", "text", True, ("station_id", "station", "服务站编码", "服务站")),
            Field("item", "text", True, ("item", "item_id", "服务事项", "事项")),
            Field("tier", "tier", True, ("tier", "层级", "事项层级")),
            Field("served_at", "time", True, ("served_at", "at", "time", "服务时间", "时间")),
            Field("residents", "int", True, ("residents", "count", "服务人次", "人次", "人数")),
        ),
        None,
    ),
    "station_meetings": (
        "station_meetings",
        (
            Field("type", "meeting", True, ("type", "类型", "会议类型")),
            Field("station_id", "text", True, ("station_id", "station", "服务站编码", "服务站")),
            Field("held_on", "date", True, ("held_on", "date", "日期", "召开日期")),
            Field("topic", "text", False, ("topic", "议题", "主题")),
            Field("attendance", "int", False, ("attendance", "参加人数", "人数")),
        ),
        None,
    ),
    "property_companies": (
        "property_companies",
        (
            Field("company_id", "text", True, ("company_id", "id", "企业编码", "公司编码")),
            Field("name_zh", "text", True, ("name_zh", "name", "名称", "公司名称")),
            Field("name_en", "text", False, ("name_en", "英文名称")),
        ),
        "company_id",
    ),
    "estates": (
        "estates",
        (
            Field("estate_id", "text", True, ("estate_id", "id", "小区编码")),
            Field("name_zh", "text", True, ("name_zh", "name", "小区名称", "名称")),
            Field("community_id", "text", False, ("community_id", "community", "居村编码", "居委编码")),
            Field("households", "int", True, ("households", "户数", "住户数")),
            Field("lon", "lon", False, ("lon", "lng", "longitude", "经度")),
            Field("lat", "lat", False, ("lat", "latitude", "纬度")),
            Field("company_id", "text", False, ("company_id", "company", "物业公司编码", "物业公司")),
        ),
        "estate_id",
    ),
}
KINDS = tuple(SPECS)


def _columns(frame: pd.DataFrame, fields: tuple[Field, ...], name: str) -> dict[str, str]:
    """Source column per field: its own name, else a known alias; a required field without one refuses the file."""
    lower = {str(c).strip().lower(): c for c in frame.columns}
    out = {}
    for fld in fields:
        hit = next((lower[g] for g in (fld.name, *fld.guesses) if g in lower), None)
        if hit is None and fld.required:
            raise MappingError(
                f"{name}: no column for {fld.name} (any of {', '.join((fld.name, *fld.guesses))}); "
                f"the file has: {', '.join(map(str, frame.columns))}"
            )
        if hit is not None:
            out[fld.name] = hit
    return out


def _parse(fld: Field, text: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    """Values of one field, the rows whose (present) value is not valid, and why."""
    present = text.notna().to_numpy()
    if fld.kind == "text":
        return text.where(text.notna(), None), np.zeros(len(text), bool), ""
    if fld.kind in ("tier", "meeting"):
        vocab = TIERS if fld.kind == "tier" else MEETINGS
        val = text.map(lambda v: vocab.get(v, vocab.get(str(v).lower())) if v is not None else None)
        return val, present & val.isna().to_numpy(), f"not one of {', '.join(sorted(set(vocab.values())))}"
    if fld.kind == "int":
        num = pd.to_numeric(text, errors="coerce")
        bad = present & ~(num.notna() & (num >= 0) & (num == num.round())).to_numpy()
        return num.where(~bad).astype("Int64"), bad, "not a whole number ≥ 0"
    if fld.kind in ("lon", "lat"):
        num = pd.to_numeric(text, errors="coerce")
        lim = 180 if fld.kind == "lon" else 90
        bad = present & ~(num.notna() & num.abs().le(lim)).to_numpy()
        return num.where(~bad), bad, f"not a {'longitude' if fld.kind == 'lon' else 'latitude'}"
    when = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = present & when.isna().to_numpy()
    if fld.kind == "date":
        return when.dt.normalize(), bad, "not a date"
    return when, bad, "not a date and time"


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
    """Append the rows of ``file`` to the ``kind`` table of ``db_path`` (a file no other process has open).

    Columns are found by their own names or the aliases in SPECS (Chinese or English). A row fails
    (per-row error naming file, row and field) for a missing required value, a value that does not
    parse, an unknown station / 居村 / company, or an id already present in the file or the database;
    with ``on_error='reject'`` (the default) nothing is written when any row fails. Undo removes the
    import's rows. Other options as for ``govdash.ingest.run``; ``crs`` converts estate points.
    """
    if mapping is not None or level is not None:
        raise ValidationError(f"a {kind} import takes no mapping and no level: columns are found by name")
    t0 = time.perf_counter()
    _, fields, id_col = SPECS[kind]
    src, crs = _plumbing.begin(file, name=name, crs=crs, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    say(0.05, "reading")
    table = read_table(src, encoding=encoding)
    cols = _columns(table.frame, fields, src.name)
    rep = ImportReport(file=src.name, sha256=src.sha256, mapping="columns", on_error=on_error)
    rep.rows = len(table.frame) + len(table.malformed)
    with _plumbing.session(db_path, dry_run) as con:
        text = {
            f: table.frame[c].astype("string").str.strip().replace("", pd.NA).astype(object) for f, c in cols.items()
        }
        text = {f: v.where(pd.notna(v), None) for f, v in text.items()}
        values, errs = {}, []
        n = len(table.frame)
        for fld in fields:
            if fld.name not in text:
                values[fld.name] = pd.Series([None] * n, dtype=object)
                continue
            val, bad, why = _parse(fld, text[fld.name])
            values[fld.name] = val
            missing = text[fld.name].isna().to_numpy()
            if fld.required and missing.any():
                errs.append((fld.name, "required", "missing", missing))
            if bad.any():
                errs.append((fld.name, f"{fld.kind}_invalid", why, bad))
        for col, why in REFERENCES.items():
            if col in text and col != id_col:
                v = values[col]
                unknown = v.notna().to_numpy() & ~v.isin(_sql.known_ids(con, col)).to_numpy()
                if unknown.any():
                    errs.append((col, "reference_unknown", why, unknown))
        if id_col is not None:
            ids = values[id_col]
            dup = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
            taken = ids.isin(_sql.known_ids(con, id_col)).to_numpy()
            if dup.any():
                errs.append((id_col, "id_duplicate", "appears earlier in the file", dup))
            if taken.any():
                errs.append((id_col, "id_exists", "already in the database", taken))
        if "lon" in values and "lat" in values:
            one = values["lon"].notna().to_numpy() ^ values["lat"].notna().to_numpy()
            if one.any():
                errs.append(("lon", "coords_partial", "longitude and latitude go together", one))
        bad = fill(rep, table, errs, [], text, lambda f: cols.get(f, f))
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        stage = pd.DataFrame({f.name: values[f.name] for f in fields})[~bad]
        if "lon" in stage:
            has = stage["lon"].notna().to_numpy()
            lon, lat = stage["lon"].to_numpy(float), stage["lat"].to_numpy(float)
            if has.any():
                lon[has], lat[has] = _coords.to_wgs84(lon[has], lat[has], crs)
            stage["lon"], stage["lat"] = lon, lat
        say(0.8, "checking the write" if dry_run else "writing")
        qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
        with _plumbing.staged(con, pa.Table.from_pandas(stage.reset_index(drop=True), preserve_index=False)):
            _plumbing.write(
                con,
                kind,
                rep,
                table,
                bad,
                columns=[f.name for f in fields],
                crs=crs,
                user=user,
                qdir=qdir,
                dry_run=dry_run,
            )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep
