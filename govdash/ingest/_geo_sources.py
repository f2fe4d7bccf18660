"""Read stations and boundary files (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile) and map their columns."""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govdash import schema
from govdash.ingest import _coords
from govdash.ingest._mapping import MappingError, as_text, toml_doc
from govdash.ingest._readers import Limits, Source, Table, ValidationError, read_table
from govdash.ingest._report import MAX_TEXT

KINDS = ("stations", "units")
TEXT = {
    "stations": ("station_id", "name_zh", "level", "community_id", "town_id", "opening_hours"),
    "units": ("unit_id", "name_zh", "name_en", "level", "parent_id", "kind"),
}
FLAGS = {"stations": (*schema.FUNCTIONS, "extended_hours"), "units": ()}
NUMBERS = {"stations": ("floor_area_m2", "lon", "lat"), "units": ("residents",)}
FIELDS = {k: TEXT[k] + FLAGS[k] + NUMBERS[k] for k in KINDS}
# source column names tried, case-insensitively, for fields the mapping does not name
GUESS = {
    "station_id": ("station_id", "id", "code", "编号", "站点编号", "服务站编号"),
    "unit_id": ("unit_id", "id", "code", "adcode", "编码", "代码", "区划代码"),
    "name_zh": ("name_zh", "name", "名称", "站点名称", "服务站名称"),
    "name_en": ("name_en",),
    "level": ("level", "层级"),
    "parent_id": ("parent_id", "parent", "上级编码", "上级代码"),
    "community_id": ("community_id", "居村编码"),
    "town_id": ("town_id", "街镇编码"),
    "kind": ("kind",),
    "residents": ("residents", "population", "人口", "常住人口"),
    "opening_hours": ("opening_hours", "开放时间"),
    "extended_hours": ("extended_hours", "错时延时"),
    "floor_area_m2": ("floor_area_m2", "面积"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "f_party": ("f_party", "党建服务站", "党建"),
    "f_gov": ("f_gov", "政务受理服务站", "政务"),
    "f_culture": ("f_culture", "文化服务站", "文化"),
    "f_joint": ("f_joint", "联勤联动站", "联勤"),
    "f_clinic": ("f_clinic", "卫生室"),
}
# level words (case-insensitive) understood without a [values.level] table
LEVEL_WORDS = {
    "units": {
        **dict.fromkeys(("town", "street", "街道", "镇", "街镇", "乡"), "town"),
        **dict.fromkeys(("community", "village", "居委", "居委会", "村", "村委会", "居村", "社区"), "community"),
        **dict.fromkeys(("grid", "网格"), "grid"),
    },
    "stations": {
        **dict.fromkeys(("doorstep", "家门口服务站", "服务站"), "doorstep"),
        **dict.fromkeys(("centre", "center", "服务中心", "街镇服务中心"), "centre"),
    },
}
KIND_WORDS = ("街道", "镇", "居委", "村", "网格")  # a level word kept as units.kind
LEVELS = {"units": schema.UNIT_LEVELS, "stations": schema.STATION_LEVELS}
_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√", "✓"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", "×"}
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class GeoMapping:
    """A stations / units mapping: the TOML keys kind, name, crs, [columns], [constants], [values.<field>]."""

    kind: str
    name: str = "auto"
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    crs: str | None = None


def parse_geo_mapping(doc: dict, kind: str, name: str = "mapping") -> GeoMapping:
    """Build a GeoMapping from a parsed TOML document, checking every key."""
    extra = set(doc) - {"kind", "name", "crs", "columns", "constants", "values"}
    if extra:
        raise MappingError(f"unknown keys in mapping: {sorted(extra)}")
    if doc.get("kind", kind) != kind:
        raise MappingError(f"this mapping is for {doc['kind']}, not {kind}")
    for table in ("columns", "constants", "values"):
        bad = set(doc.get(table, {})) - set(FIELDS[kind])
        if bad:
            raise MappingError(f"unknown {kind} fields in [{table}]: {sorted(bad)}; allowed: {', '.join(FIELDS[kind])}")
    if not all(isinstance(v, str) and v for v in doc.get("columns", {}).values()):
        raise MappingError("[columns] values must be source column names")
    values = {}
    for fld, table in doc.get("values", {}).items():
        if not isinstance(table, dict):
            raise MappingError(f"[values.{fld}] must be a table of source value = value")
        values[fld] = {str(k).strip().lower(): v for k, v in table.items()}
    try:
        crs = _coords.normalise_crs(doc["crs"]) if "crs" in doc else None
    except ValueError as exc:
        raise MappingError(str(exc)) from exc
    return GeoMapping(
        kind, str(doc.get("name", name)), dict(doc.get("columns", {})), dict(doc.get("constants", {})), values, crs
    )


def load_geo_mapping(spec, kind: str) -> GeoMapping:
    """A GeoMapping from a GeoMapping, a TOML file path, or None (column names guessed)."""
    if spec is None or isinstance(spec, GeoMapping):
        return spec or GeoMapping(kind)
    path = Path(spec)
    return parse_geo_mapping(toml_doc(path, path.name, f"no mapping file {str(spec)!r}"), kind, path.stem)


# --- reading ---


@dataclass
class GeoTable:
    """Source attributes and, for GIS formats, one shapely geometry per row and the file's CRS."""

    table: Table
    geoms: np.ndarray | None = None
    crs: Any = None


def sniff(src: Source) -> str:
    """'geojson' | 'gpkg' | 'shapefile' (a zip holding a .shp) | 'table' (what _readers reads)."""
    head = src.head(4096)
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with src.open() as fh, zipfile.ZipFile(fh) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise ValidationError(f"{src.name}: a damaged ZIP archive") from exc
        return "shapefile" if any(n.lower().endswith(".shp") for n in names) else "table"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if src.name.lower().endswith(".geojson") or (text.startswith("{") and "Feature" in text and '"type"' in text):
        return "geojson"
    if src.name.lower().endswith(".shp"):
        raise ValidationError(f"{src.name}: a Shapefile is several files: zip the .shp, .shx, .dbf and .prj")
    return "table"


def _unpack_shapefile(src: Source, into: Path, limits: Limits) -> tuple[Path, bool]:
    """Extract the one layer of a zipped Shapefile by member basename (no paths kept); (path, has .cpg)."""
    with src.open() as fh, zipfile.ZipFile(fh) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        limits.members(src.name, infos)
        shps = [i for i in infos if i.filename.lower().endswith(".shp") and not i.filename.startswith("__MACOSX")]
        if len(shps) != 1:
            raise ValidationError(f"{src.name}: {len(shps)} .shp files in the archive: zip one layer")
        stem = shps[0].filename[:-4]
        parts = {i.filename[len(stem) :].lower(): i for i in infos if i.filename.startswith(stem)}
        missing = [s for s in (".shp", ".shx", ".dbf") if s not in parts]
        if missing:
            raise ValidationError(f"{src.name}: the Shapefile lacks {', '.join(missing)}")
        for suffix, info in parts.items():
            if suffix in _SHP_PARTS:
                (into / f"layer{suffix}").write_bytes(zf.read(info))
    return into / "layer.shp", ".cpg" in parts


def _dbf_encoding(path: Path) -> str:
    """UTF-8 when the attribute table decodes as such, else GB18030 (Chinese GIS exports without a .cpg)."""
    try:
        path.with_suffix(".dbf").read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_geo(src: Source, kind: str, *, encoding: str | None = None, limits: Limits | None = None) -> GeoTable:
    """Read a stations / units file; GIS formats with geopandas (pyogrio; first layer of the kind's geometry type)."""
    limits = limits or Limits.load()
    fmt = sniff(src)
    if fmt == "table":
        if kind == "units":
            raise ValidationError(f"{src.name}: boundaries need GeoJSON, GeoPackage or a zipped Shapefile")
        return GeoTable(read_table(src, encoding=encoding, limits=limits))
    import geopandas as gpd

    with tempfile.TemporaryDirectory(prefix="govdash-geo-") as tmp:
        if fmt == "shapefile":
            path, has_cpg = _unpack_shapefile(src, Path(tmp), limits)
            if encoding is None and not has_cpg:
                encoding = _dbf_encoding(path)
        else:
            path = Path(tmp) / f"layer.{fmt}"
            with src.open() as fh:
                path.write_bytes(fh.read())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                layers = gpd.list_layers(path)
                want = "Polygon" if kind == "units" else "Point"
                pick = next(
                    (
                        str(n)
                        for n, g in zip(layers["name"], layers["geometry_type"], strict=True)
                        if g and want in str(g)
                    ),
                    str(layers["name"].iloc[0]),
                )
                rows = None if limits.max_rows is None else slice(0, limits.max_rows + 1)
                gdf = gpd.read_file(path, layer=pick, encoding=encoding, rows=rows, engine="pyogrio")
        except ValidationError:
            raise
        except Exception as exc:  # GDAL's errors: report them plainly
            msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            raise ValidationError(f"{src.name}: not a readable {fmt} file: {msg}") from exc
    limits.rows(src.name, len(gdf), stopped=True)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    return GeoTable(Table(frame, np.arange(1, len(frame) + 1, dtype=np.int64), fmt), geoms, gdf.crs)


# --- mapping and checking (frames and arrays in, columns and masks out) ---


def resolve_columns(columns, m: GeoMapping) -> dict[str, str]:
    """Field -> source column: the mapping's, else the first guessed name present (case-insensitive)."""
    missing = [c for c in m.columns.values() if c not in columns]
    if missing:
        raise MappingError(
            f"mapping '{m.name}': columns not in the file: {', '.join(missing)}; "
            f"the file has: {', '.join(map(str, list(columns)[:30]))}"
        )
    lower = {str(c).lower(): c for c in columns}
    out = dict(m.columns)
    for fld in FIELDS[m.kind]:
        if fld not in out and fld not in m.constants:
            hit = next((lower[g] for g in GUESS.get(fld, ()) if g in lower), None)
            if hit is not None:
                out[fld] = hit
    return out


def _flag(text: pd.Series, table: dict | None) -> tuple[pd.Series, np.ndarray]:
    """yes/no text -> nullable boolean, and the mask of values that are neither."""
    low = text.str.lower()
    if table:
        low = low.map(lambda v: str(table.get(v, v)).lower(), na_action="ignore")
    val = pd.Series(pd.NA, index=text.index, dtype="boolean")
    val[low.isin(_TRUE)] = True
    val[low.isin(_FALSE)] = False
    return val, (text.notna() & val.isna()).to_numpy(bool)


def map_fields(frame: pd.DataFrame, cols: dict[str, str], m: GeoMapping, level: str | None = None):
    """Typed fields (text, nullable flags, floats) plus the source text behind each and row issues."""
    kind, n = m.kind, len(frame)
    src = {f: as_text(frame[c]) for f, c in cols.items()}
    src.update({f: pd.Series(str(v), index=frame.index, dtype="str") for f, v in m.constants.items()})
    if level is not None:
        src["level"] = pd.Series(level, index=frame.index, dtype="str")
    out, issues = pd.DataFrame(index=frame.index), []
    for fld in TEXT[kind]:
        if fld in src:
            table = {**(LEVEL_WORDS[kind] if fld == "level" else {}), **m.values.get(fld, {})}
            s = src[fld]
            out[fld] = s.map(lambda v, t=table: t.get(v.lower(), v), na_action="ignore").astype("str") if table else s
    for fld in FLAGS[kind]:
        if fld in src:
            out[fld], bad = _flag(src[fld], m.values.get(fld))
            issues.append((fld, "value_invalid", "not a yes/no value", bad))
    for fld in NUMBERS[kind]:
        if fld in src:
            out[fld] = pd.to_numeric(src[fld].str.replace(",", "", regex=False), errors="coerce").astype(float)
            if fld not in ("lon", "lat"):
                bad = (src[fld].notna() & (out[fld].isna() | (out[fld] < 0))).to_numpy(bool)
                issues.append((fld, "value_invalid", "not a number ≥ 0", bad))
    key = "station_id" if kind == "stations" else "unit_id"
    if key not in out:  # not a per-row problem: the whole file lacks the column
        has = [str(c) for c in frame.columns if str(c) != "geometry"]
        raise MappingError(
            f"no {key} column: none of {', '.join(GUESS[key])} (any case), and the mapping names "
            f"none; the file has: {', '.join(has[:30]) or 'no columns'}"
            f'{" …" if len(has) > 30 else ""}. Name it in a mapping: [columns] {key} = "..."'
        )
    ids = out[key]
    issues.append((key, "id_missing", "no id", ids.isna().to_numpy(bool)))
    if ids.notna().any():  # a unit's key is its id within its level: community 1 and street 1 are two units
        same = ids + "\x00" + out["level"].fillna("") if kind == "units" and "level" in out else ids
        rows = pd.Series(np.arange(n), index=frame.index)
        first = rows.groupby(same.to_numpy()).transform("first")
        dup = (same.duplicated(keep="first") & ids.notna()).to_numpy(bool)
        issues.append((key, "id_duplicate", "duplicate id (first at data row " + (first + 1).astype(str) + ")", dup))
    name = out["name_zh"] if "name_zh" in out else pd.Series(pd.NA, index=frame.index, dtype="str")
    issues.append(("name_zh", "name_missing", "no name", name.isna().to_numpy(bool)))
    if "level" not in out and kind == "units":
        raise MappingError('units need a level: a level column, [constants] level = "grid", or --level')
    if kind == "stations":  # a station is a doorstep station unless the file says otherwise
        out["level"] = (
            out["level"].fillna("doorstep") if "level" in out else pd.Series("doorstep", index=frame.index, dtype="str")
        )
    lv = out["level"]
    issues.append(
        (
            "level",
            "level_unknown",
            f"level not one of {', '.join(LEVELS[kind])}",
            (lv.notna() & ~lv.isin(LEVELS[kind])).to_numpy(bool) | lv.isna().to_numpy(bool),
        )
    )
    for fld in TEXT[kind]:
        if fld in out and n and (out[fld].str.len().max() or 0) > MAX_TEXT:
            issues.append(
                (
                    fld,
                    "field_too_long",
                    f"longer than {MAX_TEXT} characters",
                    (out[fld].str.len() > MAX_TEXT).fillna(False).to_numpy(bool),
                )
            )
    if kind == "units" and "kind" not in out and "level" in src and src["level"].isin(KIND_WORDS).any():
        out["kind"] = src["level"].where(src["level"].isin(KIND_WORDS)).astype("str")  # 街道 / 镇 / 居委 / 村 / 网格
    return out, src, issues
