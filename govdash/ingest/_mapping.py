"""Declarative TOML mappings from a source file's columns and values to the case model."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from govdash import schema
from govdash.ingest import _coords
from govdash.ingest._readers import ValidationError
from govdash.settings import PROJECT_ROOT

MAPPINGS_DIR = PROJECT_ROOT / "data" / "mappings"
LOCAL_TZ = "Asia/Shanghai"  # the default district zone: cases store naive local times of the district (schema.py)

TEXT_FIELDS = (
    "case_id",
    "channel",
    "category",
    "subcategory",
    "description",
    "complainant_name",
    "complainant_phone",
    "address",
    "department_id",
    "tier",
    "repeat_of",
    "must_report",
    "key_status",
    "key_owner",
)
TIME_FIELDS = ("reported_at", "dispatched_at", "handled_at", "closed_at", "deadline_at")
BOOL_FIELDS = ("resolved", "recognised", "key_difficult")
NUMBER_FIELDS = ("satisfaction",)
REQUIRED = ("case_id", "reported_at")  # other mapped columns may be absent from a file
CASE_FIELDS = TEXT_FIELDS + TIME_FIELDS + BOOL_FIELDS + NUMBER_FIELDS + ("status",)
# targets a status value may map to: the schema's statuses, plus closed-and-(un)resolved
STATUS_TARGETS = frozenset(schema.STATUSES) | {"resolved", "unresolved", "open"}
AREA_LEVELS = ("town", "community", "grid")  # [area] keys: a case located by a unit's name or id, no point
RULES = (
    "id_missing",
    "id_duplicate",
    "time_missing",
    "time_unparsable",
    "time_out_of_range",
    "closed_before_reported",
    "coords_missing",
    "coords_invalid",
    "coords_zero",
    "coords_swapped",
    "coords_outside",
    "coords_placeholder",
    "area_unknown",
    "category_unknown",
    "channel_unknown",
    "department_unknown",
    "must_report_unknown",
    "key_status_unknown",
    "status_unknown",
    "value_invalid",
    "field_too_long",
    "row_malformed",
)
_TRUE = {"1", "true", "t", "yes", "y", "是", "已解决", "解决", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "否", "未解决", "0.0"}
NULL_TOKENS = ("nan", "null", "none", "na", "n/a", "#n/a", "nat", "-")
_PAIR = r"^\s*[\(\[]?\s*(-?\d+(?:\.\d*)?)\s*[,;\s]\s*(-?\d+(?:\.\d*)?)\s*[\)\]]?\s*$"
_OFFSET = r"(?:[zZ]|[+-]\d\d:?\d\d)$"


class MappingError(ValidationError):
    """A mapping file is malformed or does not fit the source columns."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping. See data/mappings/*.toml for the file format."""

    name: str
    columns: dict[str, str]  # case field -> source column
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> lower(source) -> value
    timezone: str | None = None  # zone of times without an offset; None: the district's
    time_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dayfirst: bool | None = None  # for "auto" columns whose dates read both ways; None: refuse
    coords: dict[str, str] = field(default_factory=dict)  # lon/lat or pair(+order), crs
    warn: frozenset[str] = frozenset()  # rules reported as warnings, rows still load
    area: dict[str, str] = field(default_factory=dict)  # level -> column naming a unit (name or id) of that level
    catalogue: dict[str, str] = field(default_factory=dict)  # kind -> "error" | "add" for unknown values

    def source_columns(self) -> set[str]:
        """Every source column the mapping reads."""
        cols = set(self.columns.values())
        cols.update(v for k, v in self.coords.items() if k in {"lon", "lat", "pair"})
        cols.update(self.area.values())
        return cols


def builtin_mappings() -> dict[str, Path]:
    """Shipped mappings by name (file stem): e.g. 'govdash', 'open311', '12345'."""
    return {p.stem: p for p in sorted(MAPPINGS_DIR.glob("*.toml"))}


def _as_formats(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingError(f"{where}: a time format is a string or a list of strings")


def parse_mapping(doc: dict, name: str = "mapping") -> Mapping:
    """Build a Mapping from a parsed TOML document, checking every key."""
    known = {
        "name",
        "timezone",
        "time_format",
        "dayfirst",
        "columns",
        "time_formats",
        "constants",
        "coords",
        "values",
        "checks",
        "area",
        "catalogue",
    }
    extra = set(doc) - known
    if extra:
        raise MappingError(f"unknown keys in mapping: {sorted(extra)}")
    columns = doc.get("columns", {})
    bad = set(columns) - set(CASE_FIELDS)
    if bad:
        raise MappingError(f"unknown case fields in [columns]: {sorted(bad)}; allowed: {', '.join(CASE_FIELDS)}")
    if not all(isinstance(v, str) and v for v in columns.values()):
        raise MappingError("[columns] values must be source column names")
    constants = doc.get("constants", {})
    if set(constants) - set(CASE_FIELDS):
        raise MappingError(f"unknown case fields in [constants]: {sorted(set(constants) - set(CASE_FIELDS))}")
    default_fmt = _as_formats(doc.get("time_format", "ISO8601"), "time_format")
    per = doc.get("time_formats", {})
    if set(per) - set(TIME_FIELDS):
        raise MappingError(f"[time_formats] keys must be time fields: {', '.join(TIME_FIELDS)}")
    formats = {f: _as_formats(per.get(f), f"time_formats.{f}") if f in per else default_fmt for f in TIME_FIELDS}
    values = {}
    for fld, table in doc.get("values", {}).items():
        if fld not in CASE_FIELDS or not isinstance(table, dict):
            raise MappingError(f"[values.{fld}]: not a case field table")
        values[fld] = {str(k).strip().lower(): v for k, v in table.items()}
    bad_status = {v for v in values.get("status", {}).values() if v not in STATUS_TARGETS}
    if bad_status:
        raise MappingError(f"[values.status] targets must be one of {sorted(STATUS_TARGETS)}: {sorted(bad_status)}")
    crd = dict(doc.get("coords", {}))
    crd = {{"x": "lon", "y": "lat"}.get(k, k): v for k, v in crd.items()}
    if set(crd) - {"lon", "lat", "pair", "order", "crs"}:
        raise MappingError("[coords] keys: lon, lat (or x, y), pair, order, crs")
    if ("lon" in crd) != ("lat" in crd) or ("pair" in crd and "lon" in crd):
        raise MappingError("[coords] needs lon and lat (or x and y), or pair")
    if crd.get("order", "latlon") not in {"latlon", "lonlat"}:
        raise MappingError("[coords] order is 'latlon' or 'lonlat'")
    try:
        crd["crs"] = _coords.normalise_crs(crd.get("crs"))
    except ValueError as exc:
        raise MappingError(str(exc)) from exc
    area = doc.get("area", {})
    if (
        not isinstance(area, dict)
        or set(area) - set(AREA_LEVELS)
        or not all(isinstance(v, str) and v for v in area.values())
    ):
        raise MappingError(
            f"[area]: level = source column, levels {', '.join(AREA_LEVELS)} "
            '(e.g. town = "Borough": the column names the case\'s town by name or id)'
        )
    cat = doc.get("catalogue", {})
    if (
        not isinstance(cat, dict)
        or set(cat) - {"category", "channel", "department"}
        or set(cat.values()) - {"error", "add"}
    ):
        raise MappingError('[catalogue]: kind = "error" | "add" for kinds category, channel, department')
    warn = frozenset(doc.get("checks", {}).get("warn", []))
    if warn - set(RULES):
        raise MappingError(f"[checks] warn: unknown rules {sorted(warn - set(RULES))}; rules: {', '.join(RULES)}")
    tz = doc.get("timezone")
    try:
        if tz is not None:
            pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as exc:
        raise MappingError(f"unknown time zone {tz!r}") from exc
    dayfirst = doc.get("dayfirst")
    return Mapping(
        name=str(doc.get("name", name)),
        columns=dict(columns),
        constants=dict(constants),
        values=values,
        timezone=tz,
        time_formats=formats,
        dayfirst=None if dayfirst is None else bool(dayfirst),
        coords=crd,
        warn=warn,
        area=dict(area),
        catalogue=dict(cat),
    )


def toml_doc(text: str | bytes | Path, name: str, missing: str = "") -> dict:
    """A parsed TOML document from text, bytes or a file path; MappingError naming ``name`` when unreadable."""
    try:
        if isinstance(text, Path):
            text = text.read_bytes()
        return tomllib.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except FileNotFoundError as exc:
        raise MappingError(missing or f"no mapping file {name!r}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{name}: {exc}") from exc


def load_mapping(spec: str | Path) -> Mapping:
    """Load a mapping from a TOML file path or a shipped mapping name ('govdash', 'open311', '12345')."""
    shipped = builtin_mappings()
    path = shipped.get(str(spec)) or Path(spec)
    doc = toml_doc(path, path.name, f"no mapping {spec!r}: give a TOML file or one of {', '.join(shipped)}")
    return parse_mapping(doc, path.stem)


def detect_mapping(columns) -> Mapping:
    """Pick the shipped mapping whose id and reported-time columns are in ``columns``."""
    cols = set(columns)
    for path in builtin_mappings().values():
        m = load_mapping(path)
        if {m.columns.get("case_id"), m.columns.get("reported_at")} <= cols:
            return m
    raise MappingError(
        "no shipped mapping fits these columns; give one with --mapping "
        f"(columns seen: {', '.join(map(str, list(cols)[:20]))})"
    )


# --- applying a mapping (vectorised: per distinct value or in Arrow, never a Python loop over rows) ---

_ISO_LIKE = {"ISO8601", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}


def take_strings(values: list, codes: np.ndarray) -> pd.Series:
    """Strings ``values[codes]`` (code -1, None or NaN: missing) as a str Series, gathered in Arrow."""
    clean = [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
    arr = pa.array([*clean, None], type=pa.large_string())
    return pa.chunked_array([arr.take(np.where(codes < 0, len(values), codes))]).to_pandas()


def _per_value(s: pd.Series, fn) -> tuple[list, np.ndarray, pd.Index]:
    """``fn`` of each distinct non-missing value, each row's code (-1 when missing), the distinct values."""
    codes, uniq = pd.factorize(s)
    return [fn(u) for u in uniq], np.asarray(codes), uniq


def as_text(s: pd.Series) -> pd.Series:
    """Source values as stripped strings, NaN where blank; integral floats lose their '.0'."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S").astype("str")
    if pd.api.types.is_bool_dtype(s):
        return s.astype("string").str.lower().astype("str")
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(v) & (v == np.round(v)) & (np.abs(v) < 2**53)
        out = s.astype("str")
        out[integral] = pd.Series(v[integral].astype(np.int64)).astype("str").to_numpy()
        return out.where(np.isfinite(v))
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("str").where(s.notna())
    if s.dtype == object:  # mixed cells (Excel): render each kind like the typed paths above
        s = s.map(_cell_text, na_action="ignore")
    t = s.astype("str").str.strip()
    return t.where(t != "")


def _typed(s: pd.Series) -> bool:
    """A numeric, boolean or datetime column (not text that needs parsing)."""
    return (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s)) and s.dtype != object


def _drop_null_tokens(text: pd.Series) -> pd.Series:
    """'nan', 'null', 'N/A'... mean no value in a number, time, flag or coordinate column."""
    return text.where(~text.str.lower().isin(NULL_TOKENS))


def _cell_text(v) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _to_float(text: pd.Series) -> pd.Series:
    try:  # Arrow's cast is ~20x faster than to_numeric but all-or-nothing
        return pd.Series(
            pc.cast(pa.array(text, from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False), index=text.index
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype(float)


def _localise(t: pd.Series, tz: str) -> pd.Series:
    """Naive times in ``tz`` -> aware UTC (ambiguous hours read as standard time)."""
    t = t.dt.tz_localize(tz, ambiguous=np.zeros(len(t), bool), nonexistent="shift_forward")
    return t.dt.tz_convert("UTC")


def _local(aware: pd.Series, store_tz: str = LOCAL_TZ) -> pd.Series:
    return aware.dt.tz_convert(store_tz).dt.tz_localize(None).astype("datetime64[us]")


def _fast_iso(text: pd.Series, tz: str, store_tz: str = LOCAL_TZ) -> pd.Series | None:
    """All values ISO 8601 without offsets, or all with: parsed in Arrow; else None."""
    arr = pa.array(text, from_pandas=True)
    for unit_tz in (None, "UTC"):
        try:
            got = pd.Series(pc.cast(arr, pa.timestamp("us", tz=unit_tz)).to_pandas(), index=text.index)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if unit_tz is None:
            return got.astype("datetime64[us]") if tz == store_tz else _local(_localise(got, tz), store_tz)
        return _local(got, store_tz)
    return None


# "auto": one reading per column, decided from all its values (never per value)
_DATE_HEAD = r"^(\d{1,4})([/.-])(\d{1,2})[/.-](\d{1,4})(?:$|[ T])"
_TIME_TAILS = (
    " %H:%M:%S",
    " %H:%M",
    " %I:%M:%S %p",
    " %I:%M %p",
    "",
    " %H:%M:%S.%f",
    "T%H:%M:%S",
    "T%H:%M",
    " %I %p",
    " %I:%M:%S%p",
    " %I:%M%p",
)


def _heads(text: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The date heads of a column's distinct values (groups: first number, separator, second, third), and
    which of them start with the year."""
    vals = text.dropna().drop_duplicates()
    head = vals.str.extract(_DATE_HEAD)
    head = head[head[0].notna()]
    head["value"] = vals.loc[head.index]
    return head, head[0].str.len() >= 3


def date_order(text: pd.Series) -> str | None:
    """How a column writes day and month, from all its values: 'dmy', 'mdy', 'either' (no value tells: no day
    above 12), or None (no such dates, or no one order fits every value)."""
    head, ymd = _heads(text)
    rest = head[~ymd]
    if rest.empty:
        return None
    a, b = rest[0].astype(int), rest[2].astype(int)
    as_dmy = bool(((a >= 1) & (a <= 31) & (b >= 1) & (b <= 12)).all())
    as_mdy = bool(((a >= 1) & (a <= 12) & (b >= 1) & (b <= 31)).all())
    if as_dmy and as_mdy:
        return "either" if (a != b).any() else "dmy"  # 01/01, 02/02 ... read the same both ways
    return "dmy" if as_dmy else "mdy" if as_mdy else None


def auto_formats(text: pd.Series, column: str = "?", dayfirst: bool | None = None) -> tuple[str, ...]:
    """The formats of a time column, decided from all its values: ISO 8601, or one date order (day-first or
    month-first, from the values whose first or second number exceeds 12) with or without seconds and AM/PM.

    ``dayfirst`` settles a column whose dates read both ways (no day above 12 anywhere); without it such a
    column is refused with a MappingError naming it.
    """
    head, ymd = _heads(text)
    formats = []
    for sep in sorted(set(head.loc[ymd, 1])):
        formats += ["ISO8601"] * (sep == "-") + [f"%Y{sep}%m{sep}%d{t}" for t in _TIME_TAILS]
    rest = head[~ymd]
    if not rest.empty:
        order = date_order(text)
        if order == "either" and dayfirst is None:
            example = rest.loc[rest[0] != rest[2], "value"].iloc[0]
            raise MappingError(
                f"time column {column!r}: its dates read both day-first and month-first (no day above 12, "
                f'e.g. {example!r}); give time_format (e.g. "%d/%m/%Y %H:%M") or dayfirst = true / false '
                "in the mapping"
            )
        first = order == "dmy" if order in ("dmy", "mdy") else bool(dayfirst)  # None: the rows fail as unreadable
        year = "%Y" if (rest[3].str.len() == 4).all() else "%y"
        for sep in sorted(set(rest[1])):
            date = f"%d{sep}%m{sep}{year}" if first else f"%m{sep}%d{sep}{year}"
            formats += [date + t for t in _TIME_TAILS]
    if not formats:
        return ("ISO8601",)
    sample = head["value"].iloc[:: max(1, len(head) // 500)]  # the most frequent forms first: few failed passes
    hits = {
        f: 0 if f == "ISO8601" else int(pd.to_datetime(sample, format=f, errors="coerce").notna().sum())
        for f in formats
    }
    return tuple(sorted(formats, key=lambda f: -hits[f]))


def parse_times(
    s: pd.Series,
    formats=("ISO8601",),
    tz: str = LOCAL_TZ,
    dayfirst: bool | None = None,
    *,
    store_tz: str = LOCAL_TZ,
    column: str = "?",
) -> pd.Series:
    """Parse times to naive local time of ``store_tz`` (the district's zone; datetime64[us]); NaT where blank
    or unparsable.

    Values carrying an offset use it (converted); the others are read in ``tz``. Formats are tried in order,
    then ISO 8601; 'auto' decides the column's format from all its values (``auto_formats``; an ambiguous
    column raises MappingError naming ``column``).
    """
    if pd.api.types.is_datetime64_any_dtype(s):
        return _local(s if s.dt.tz is not None else _localise(s, tz), store_tz)
    text = as_text(s)
    if formats[0] in _ISO_LIKE or formats[0] == "auto":
        got = _fast_iso(text, tz, store_tz)
        if got is not None:
            return got
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    todo = text.notna()
    order = [f for fmt in formats for f in (auto_formats(text, column, dayfirst) if fmt == "auto" else (fmt,))]
    for fmt in (*order, "ISO8601"):
        if not todo.any():
            break
        sub = text[todo]
        kw = {"format": fmt}
        has_off = sub.str.contains(_OFFSET, regex=True) if fmt == "ISO8601" else None
        if "%z" in fmt or (has_off is not None and has_off.all()):
            got = pd.to_datetime(sub, utc=True, errors="coerce", **kw)
        elif has_off is not None and has_off.any():
            got = pd.concat(
                [
                    pd.to_datetime(sub[has_off], utc=True, errors="coerce", **kw),
                    _localise(pd.to_datetime(sub[~has_off], errors="coerce", **kw), tz),
                ]
            )
        else:
            got = _localise(pd.to_datetime(sub, errors="coerce", **kw), tz)
        out[todo] = got.reindex(sub.index).astype("datetime64[us, UTC]")
        todo = todo & out.isna()
    return _local(out, store_tz)


@dataclass
class Mapped:
    """Result of applying a mapping: typed case columns, the source values behind them, and row issues."""

    cases: pd.DataFrame
    raw: dict[str, pd.Series | pd.DataFrame]  # case field -> source values (the report's value); coords: lon, lat
    issues: list[tuple[str, str, str, np.ndarray]]  # (field, rule, reason, bool mask over rows)
    absent: list[str] = field(default_factory=list)  # optional mapped columns the file lacks
    area: pd.DataFrame | None = None  # [area] columns as text, one per level present in the file


def _value_map(fld: str, text: pd.Series, m: Mapping) -> tuple[pd.Series, np.ndarray]:
    """Apply [values.<fld>] to text: (values, was-mapped mask); unmapped values pass through."""
    table = m.values.get(fld)
    if not table:
        return text, np.zeros(len(text), bool)
    hits, codes, uniq = _per_value(text, lambda u: table.get(str(u).lower()))
    was = np.array([h is not None for h in hits] + [False])[codes]
    values = [u if h is None else h for u, h in zip(uniq, hits, strict=True)]
    if all(isinstance(v, str) for v in values):
        return take_strings(values, codes), was
    return pd.Series(np.array([*values, None], dtype=object)[codes], index=text.index), was


def _to_bool(text: pd.Series, table: dict | None) -> pd.Series:
    """yes/no text (or a [values] map) -> nullable boolean."""

    def one(u):
        key = str(u).strip().lower()
        if table and key in table:
            return bool(table[key])
        return True if key in _TRUE else False if key in _FALSE else None

    vals, codes, _ = _per_value(text, one)
    known = np.array([v is not None for v in vals] + [False])[codes]
    value = np.array([bool(v) for v in vals] + [False])[codes]
    return pd.Series(pd.arrays.BooleanArray(value, ~known), index=text.index)


def apply_mapping(raw: pd.DataFrame, m: Mapping, *, crs: str | None = None, tz: str = LOCAL_TZ) -> Mapped:
    """Turn a source frame into typed case columns (lon/lat in WGS-84) plus vectorised row issues.

    ``crs`` overrides the mapping's coordinate CRS; ``tz`` is the district's zone: times are stored as its
    naive local time, and times without an offset are read in it unless the mapping names another zone.
    Raises MappingError when the id or reported-time column is absent; other mapped columns may be missing
    (listed in ``absent``).
    """
    need = [m.columns[f] for f in REQUIRED if f in m.columns]
    if len(need) < len(REQUIRED) or any(c not in raw.columns for c in need):
        raise MappingError(
            f"mapping '{m.name}' needs the id and reported-time columns "
            f"({', '.join(map(str, need))}); the file has: {', '.join(map(str, raw.columns[:30]))}"
        )
    raw = raw.reset_index(drop=True)
    absent = sorted(str(c) for c in m.source_columns() if c not in raw.columns)
    out = pd.DataFrame(index=raw.index)
    src: dict[str, pd.Series] = {}
    issues: list[tuple[str, str, str, np.ndarray]] = []
    for fld in CASE_FIELDS:
        if fld in m.columns and m.columns[fld] in raw.columns:
            col = raw[m.columns[fld]]
            if fld not in TEXT_FIELDS and fld != "status" and _typed(col):
                src[fld] = col  # numbers, flags and times already typed (Parquet, Excel) stay so
            else:
                src[fld] = as_text(col)
                if fld not in TEXT_FIELDS and fld != "status":
                    src[fld] = _drop_null_tokens(src[fld])
        elif fld in m.constants:
            src[fld] = pd.Series(str(m.constants[fld]), index=raw.index, dtype="str")
    for fld in TEXT_FIELDS:
        if fld in src:
            out[fld] = _value_map(fld, src[fld], m)[0].astype("str")
    if "reported_at" in src:
        issues.append(("reported_at", "time_missing", "no reported time", src["reported_at"].isna().to_numpy(bool)))
    dayfirst = m.dayfirst if m.dayfirst is not None else _file_order(src, m)
    for fld in TIME_FIELDS:
        if fld in src:
            out[fld] = parse_times(
                src[fld], m.time_formats[fld], m.timezone or tz, dayfirst, store_tz=tz, column=m.columns.get(fld, fld)
            )
            bad = (src[fld].notna() & out[fld].isna()).to_numpy(bool)
            issues.append((fld, "time_unparsable", "time not readable with the mapping's format", bad))
    for fld in NUMBER_FIELDS:
        if fld in src:
            given = src[fld]
            if not _typed(given):
                mapped, was = _value_map(fld, given, m)
                given = mapped if not was.any() else pd.to_numeric(mapped, errors="coerce")
            out[fld] = given.astype(float) if _typed(given) else _to_float(given)
            issues.append((fld, "value_invalid", "not a number", (src[fld].notna() & out[fld].isna()).to_numpy(bool)))
    for fld in BOOL_FIELDS:
        if fld in src and pd.api.types.is_bool_dtype(src[fld]):
            out[fld] = src[fld].astype("boolean")
        elif fld in src:
            text = as_text(src[fld])  # 1/0 from a numeric column
            out[fld] = _to_bool(text, m.values.get(fld))
            issues.append((fld, "value_invalid", "not a yes/no value", (text.notna() & out[fld].isna()).to_numpy(bool)))
    _apply_status(out, src, m, issues)
    lon, lat, craw = _read_coords(raw, m, crs, issues)
    out["lon"], out["lat"] = lon, lat
    src["coords"] = craw
    area = pd.DataFrame({lv: as_text(raw[c]) for lv, c in m.area.items() if c in raw.columns}, index=raw.index)
    if len(area.columns):
        first = area.iloc[:, 0]  # the first named unit of each row, column by column (bfill along rows is per
        for col in area.columns[1:]:  # row on Arrow strings: 85 of 93 s for 50 k rows)
            first = first.fillna(area[col])
        src["area"] = first
    return Mapped(out, src, issues, absent, area)


def _file_order(src: dict, m: Mapping) -> bool | None:
    """Day-first (True) or month-first (False) as the file's "auto" time columns that tell agree on it: a column
    whose own dates read both ways (closed times all in the first twelve days) is read like its siblings;
    None when none tells or they disagree."""
    told = {
        date_order(src[f])
        for f in TIME_FIELDS
        if f in src and "auto" in m.time_formats[f] and not pd.api.types.is_datetime64_any_dtype(src[f])
    }
    told &= {"dmy", "mdy"}
    return (told == {"dmy"}) if len(told) == 1 else None


_STATUS_OF = {"resolved": "closed", "unresolved": "closed", "open": "registered"}
_RESOLVED_OF = {"resolved": True, "unresolved": False}


def _apply_status(out: pd.DataFrame, src: dict, m: Mapping, issues: list) -> None:
    """status -> schema.STATUSES, plus the resolved flag; closed_at is kept only for closed cases."""
    n = len(out)
    has_close = out["closed_at"].notna().to_numpy(bool) if "closed_at" in out else np.zeros(n, bool)
    names = list(schema.STATUSES)
    code = np.where(has_close, names.index("closed"), names.index("registered"))  # derived from the times
    resolved_known, resolved_val = np.zeros(n, bool), np.zeros(n, bool)
    if "status" in src:
        table = m.values.get("status", {})
        targets, codes, _ = _per_value(src["status"], lambda u: str(table.get(str(u).lower(), u)).lower())
        ok_u = np.array([t in STATUS_TARGETS for t in targets] + [False])
        ok = ok_u[codes]
        unknown = (codes >= 0) & ~ok
        issues.append(("status", "status_unknown", "status value not in the mapping", unknown))
        code_u = np.array([names.index(_STATUS_OF.get(t, t)) if t in STATUS_TARGETS else -1 for t in targets] + [-1])
        code = np.where(ok, code_u[codes], code)
        rk = np.array([t in _RESOLVED_OF for t in targets] + [False])[codes]
        rv = np.array([_RESOLVED_OF.get(t, False) for t in targets] + [False])[codes]
        resolved_known, resolved_val = rk & ok, rv
    closed = code == names.index("closed")
    if "resolved" in out:  # an explicit resolved column wins where it has a value
        given = out["resolved"]
        has = given.notna().to_numpy(bool)
        resolved_val = np.where(has, given.fillna(False).to_numpy(bool), resolved_val)
        resolved_known = resolved_known | has
    resolved_known = resolved_known | ~closed  # open cases are not (yet) resolved
    resolved_val = resolved_val & closed
    out["status"] = take_strings(names, code)
    out["resolved"] = pd.arrays.BooleanArray(resolved_val, ~resolved_known)
    if "closed_at" in out:
        out["closed_at"] = out["closed_at"].where(closed)


def _read_coords(raw: pd.DataFrame, m: Mapping, crs: str | None, issues: list):
    """Read coordinates (lon/lat columns or a "(lat, lon)" string) and convert to WGS-84."""
    n = len(raw)
    c = m.coords
    if any(c.get(k) is not None and c[k] not in raw.columns for k in ("pair", "lon", "lat")):
        c = {}  # the file lacks the coordinate columns: every row reports coords_missing
    if "pair" in c:
        text = _drop_null_tokens(as_text(raw[c["pair"]]))
        parts = text.str.extract(_PAIR)
        a, b = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
        x, y = (b, a) if c.get("order", "latlon") == "latlon" else (a, b)
        shown, present = text, text.notna()
    elif "lon" in c:
        cx, cy = raw[c["lon"]], raw[c["lat"]]
        tx = cx if _typed(cx) else _drop_null_tokens(as_text(cx))
        ty = cy if _typed(cy) else _drop_null_tokens(as_text(cy))
        x = tx.astype(float) if _typed(tx) else _to_float(tx)
        y = ty.astype(float) if _typed(ty) else _to_float(ty)
        present = tx.notna() | ty.notna()
        shown = pd.DataFrame({"lon": tx, "lat": ty})  # joined into "lon, lat" only for reported rows
    else:
        nan = np.full(n, np.nan)
        issues.append(
            ("coords", "coords_missing", "no coordinate columns in the mapping or the file", np.ones(n, bool))
        )
        return nan, nan, pd.Series(np.nan, index=raw.index, dtype="str")
    x = x.to_numpy(dtype=float, na_value=np.nan)
    y = y.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(x) & np.isfinite(y)
    present = present.to_numpy(bool)
    issues.append(("coords", "coords_missing", "no coordinates", ~present))
    issues.append(("coords", "coords_invalid", "coordinates not numbers", present & ~finite))
    zero = finite & (x == 0) & (y == 0)
    issues.append(("coords", "coords_zero", "coordinates are (0, 0)", zero))
    x = np.where(finite & ~zero, x, np.nan)
    y = np.where(finite & ~zero, y, np.nan)
    lon, lat = _coords.to_wgs84(x, y, crs or m.coords.get("crs", "wgs84"))
    return lon, lat, shown
