"""Read case files (CSV, Excel, Parquet, JSON lines, Open311 JSON/XML) into frames, refusing hostile ones clearly."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree

_CHUNK = 1 << 20
_HEAD = 1 << 16
_BLOCK = 4 << 20  # pyarrow CSV block (bigger blocks parse slower)
_BIG_BLOCK = 64 << 20  # retry size when a row is longer than a block: the longest row read
_BATCH = 65_536  # Parquet rows per batch read
FORMATS = ("csv", "xlsx", "parquet", "jsonl", "json", "xml")


class ValidationError(ValueError):
    """A file that cannot be imported at all (too big, binary, undecodable, malformed); the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one import may read: rows, and bytes once unpacked (None: no limit); from settings by default."""

    max_rows: int | None = None
    max_unpacked: int | None = None

    @classmethod
    def load(cls) -> Limits:
        from govdash import settings

        s = settings.load()
        return cls(max_rows=s.import_max_rows, max_unpacked=s.import_max_unpacked_mb * 2**20)

    def rows(self, name: str, n: int, *, claimed: bool = False, stopped: bool = False) -> None:
        """Refuse ``n`` rows over the limit (``claimed``: as the file's metadata says, before loading;
        ``stopped``: reading stopped one row past the limit)."""
        if self.max_rows is not None and n > self.max_rows:
            how = "claims" if claimed else "has"
            count = f"more than {self.max_rows:,}" if stopped else f"{n:,}"
            raise ValidationError(
                f"{name}: the file {how} {count} rows, over the import limit of {self.max_rows:,} "
                "rows (GOVDASH_IMPORT_MAX_ROWS); split it"
            )

    def unpacked(self, name: str, n: int) -> None:
        """Refuse a file that unpacks to ``n`` bytes over the limit."""
        if self.max_unpacked is not None and n > self.max_unpacked:
            raise ValidationError(
                f"{name}: unpacks to {n / 2**20:,.0f} MB, over the import limit of "
                f"{self.max_unpacked / 2**20:,.0f} MB (GOVDASH_IMPORT_MAX_UNPACKED_MB)"
            )

    def members(self, name: str, infos: list[zipfile.ZipInfo]) -> None:
        """Refuse an archive whose members unpack past the limit, by the sizes its directory declares.

        Python's zipfile never inflates a member past its declared size (a CRC error instead), so
        the check holds for what is extracted afterwards.
        """
        self.unpacked(name, sum(i.file_size for i in infos))


@dataclass
class Source:
    """An input file: a path on disk or bytes in memory (an upload), with its name, size and SHA-256."""

    name: str
    size: int
    path: Path | None = None
    data: bytes | None = None
    sha256: str = ""

    def open(self) -> BinaryIO:
        return open(self.path, "rb") if self.path is not None else io.BytesIO(self.data)

    def head(self, n: int = _HEAD) -> bytes:
        with self.open() as fh:
            return fh.read(n)


def open_source(file, *, name: str | None = None, max_bytes: int | None = None) -> Source:
    """Wrap a path, bytes or binary file object (e.g. a Streamlit upload); refuse it before reading if too big."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        if not path.is_file():
            raise ValidationError(f"{path.name}: no such file")
        src = Source(name or path.name, path.stat().st_size, path=path)
    elif isinstance(file, (bytes, bytearray, memoryview)):
        src = Source(name or "upload", len(file), data=bytes(file))
    elif hasattr(file, "read"):
        size = getattr(file, "size", None)
        if size is None and hasattr(file, "seek"):
            pos = file.seek(0, io.SEEK_END)
            file.seek(0)
            size = pos
        label = name or Path(str(getattr(file, "name", "upload"))).name
        if max_bytes is not None and size is not None and size > max_bytes:
            raise ValidationError(f"{label}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit")
        data = file.read(max_bytes + 1 if max_bytes is not None else -1)
        src = Source(label, len(data), data=bytes(data))
    else:
        raise ValidationError(f"cannot read {type(file).__name__}: give a path, bytes or a file object")
    if max_bytes is not None and src.size > max_bytes:
        raise ValidationError(f"{src.name}: {src.size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit")
    if src.size == 0:
        raise ValidationError(f"{src.name}: the file is empty")
    h = hashlib.sha256()
    with src.open() as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    src.sha256 = h.hexdigest()
    return src


@dataclass
class Table:
    """What a reader got: the source columns, each row's number in the file, and the rows it could not read."""

    frame: pd.DataFrame
    rows: np.ndarray  # 1-based row number per frame row (the header, if any, is row 1)
    format: str
    encoding: str | None = None
    malformed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "value", "reason"]))


def sniff_format(src: Source) -> str:
    """Tell the format from the content (magic bytes, first character), then the file extension."""
    head = src.head()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"{src.name}: legacy .xls workbook: save it as .xlsx or CSV")
    bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not bom:
        raise ValidationError(f"{src.name}: binary content, not a CSV, Excel, Parquet or JSON file")
    text = head.decode("utf-16" if bom else "latin-1", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "xml"
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        return "json" if Path(src.name).suffix.lower() == ".json" and "\n{" not in text else "jsonl"
    return "csv"


def detect_encoding(src: Source, encoding: str | None = None) -> str:
    """The text encoding: the one given, a BOM's, else UTF-8 if the whole file decodes, else GB18030."""
    if encoding:
        try:
            return codecs.lookup(encoding).name
        except LookupError as exc:
            raise ValidationError(f"unknown encoding {encoding!r}") from exc
    head = src.head(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with src.open() as fh:
                for chunk in iter(lambda: fh.read(_CHUNK), b""):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"{src.name}: text is neither UTF-8 nor GBK/GB18030; give the encoding")


def read_table(src: Source, *, encoding: str | None = None, limits: Limits | None = None) -> Table:
    """Read any supported format within ``limits`` (default: the settings'); ValidationError with a plain message
    when the file is unreadable or over a limit (Parquet and Excel are refused before their rows are loaded)."""
    limits = limits or Limits.load()
    fmt = sniff_format(src)
    try:
        if fmt == "parquet":
            table = _read_parquet(src, limits)
        elif fmt == "xlsx":
            table = _read_xlsx(src, limits)
        elif fmt == "csv":
            table = _read_csv_any(src, encoding)
        else:
            enc = detect_encoding(src, encoding)
            table = {"jsonl": _read_jsonl, "json": _read_json, "xml": _read_xml}[fmt](src, enc)
            table.encoding = enc
    except ValidationError:
        raise
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValidationError(f"{src.name}: cannot decode the text ({exc}); give the encoding") from exc
    except Exception as exc:  # every parser has its own exception types: report them plainly
        msg = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ValidationError(f"{src.name}: not a readable {fmt.upper()} file: {msg}") from exc
    limits.rows(src.name, len(table.frame) + len(table.malformed))
    frame = table.frame
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    dup = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dup:
        raise ValidationError(f"{src.name}: duplicate column names: {', '.join(dup[:10])}")
    if len(frame.columns) == 0:
        raise ValidationError(f"{src.name}: no columns found")
    blank = frame.isna().all(axis=1).to_numpy(bool)
    if blank.any():  # spreadsheet exports often end in empty rows
        table.frame = frame.loc[~blank].reset_index(drop=True)
        table.rows = table.rows[~blank]
    return table


def _with_skips(n: int, first: int, skipped: np.ndarray) -> np.ndarray:
    """Row numbers of n kept rows numbered from ``first`` when the rows ``skipped`` were left out."""
    s = np.sort(np.asarray(skipped, dtype=np.int64))
    adj = s - first - np.arange(len(s))  # kept rows before each skipped one
    i = np.arange(n, dtype=np.int64)
    return i + first + np.searchsorted(adj, i, side="right")


def _delimiter(src: Source, enc: str) -> str:
    line = src.head().decode(enc, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv_any(src: Source, encoding: str | None) -> Table:
    """CSV in the given encoding, a BOM's, else UTF-8 (Arrow validates it while parsing), else GB18030."""
    import pyarrow as pa

    head = src.head()
    if encoding or head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encs = [detect_encoding(src, encoding)]
    else:
        try:  # the first 64 KB settle it when they hold Chinese text
            codecs.getincrementaldecoder("utf-8")().decode(head)
            # UTF-8 Chinese in the head: a bad byte later is damage, not GBK (which would load as mojibake)
            encs = ["utf-8"] if max(head, default=0) >= 0x80 else ["utf-8", "gb18030"]
        except UnicodeDecodeError:
            encs = ["gb18030"]  # a superset of GBK and GB2312
    for i, enc in enumerate(encs):
        try:
            table = _read_csv(src, enc)
            table.encoding = enc
            return table
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            text = str(exc).lower()
            if i + 1 < len(encs) and ("utf8" in text or "utf-8" in text or isinstance(exc, UnicodeDecodeError)):
                continue
            if isinstance(exc, UnicodeDecodeError) or "utf8" in text:
                raise ValidationError(f"{src.name}: text is not {' or '.join(encs)}; give the encoding") from exc
            raise
    raise AssertionError("unreachable")


def _read_csv(src: Source, enc: str) -> Table:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    delim = _delimiter(src, enc)
    pyenc = "utf8" if enc == "utf-8" else enc
    ropt = pcsv.ReadOptions(encoding=pyenc, block_size=_BLOCK)
    popt = dict(delimiter=delim, newlines_in_values=True)
    head = src.head().decode(enc, errors="replace").lstrip("\ufeff")
    names = next(csv.reader(io.StringIO(head, newline=""), delimiter=delim), [])
    if not names:
        raise ValidationError(f"{src.name}: no header row")
    if len(set(names)) != len(names):
        raise ValidationError(f"{src.name}: duplicate column names in the header")
    bad: list[tuple[int, int, str]] = []

    def on_bad(row) -> str:
        bad.append((row.expected_columns, row.actual_columns, row.text))
        return "skip"

    conv = pcsv.ConvertOptions(
        column_types={c: pa.string() for c in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    try:
        with src.open() as fh:
            tbl = pcsv.read_csv(
                fh,
                read_options=ropt,
                convert_options=conv,
                parse_options=pcsv.ParseOptions(**popt, invalid_row_handler=on_bad),
            )
    except pa.ArrowInvalid as exc:
        if "straddling" not in str(exc):
            raise
        bad.clear()  # a row longer than a block: once more with blocks as big as rows may be
        with src.open() as fh:
            big = pcsv.ReadOptions(encoding=pyenc, block_size=_BIG_BLOCK)
            tbl = pcsv.read_csv(
                fh,
                read_options=big,
                convert_options=conv,
                parse_options=pcsv.ParseOptions(**popt, invalid_row_handler=on_bad),
            )
    frame = tbl.to_pandas()
    del tbl
    if not bad:
        return Table(frame, np.arange(len(frame), dtype=np.int64) + 2, "csv")
    # rare: find the ragged records' numbers with the csv module (pyarrow does not give them with
    # multi-line values); its field limit is raised for the duration only
    old = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    rows, skipped = [], []
    try:
        with src.open() as fh, io.TextIOWrapper(fh, encoding=enc, newline="", errors="replace") as text:
            rec = 1
            for i, fields in enumerate(csv.reader(text, delimiter=delim)):
                if i == 0 or not fields:
                    continue
                rec += 1
                if len(fields) != len(names):
                    rows.append(
                        (
                            rec,
                            delim.join(fields)[:200],
                            f"ragged row: {len(fields)} fields where the header has {len(names)}",
                        )
                    )
                    skipped.append(rec)
    finally:
        csv.field_size_limit(old)
    if len(skipped) != len(bad):  # the two parsers disagree: report what pyarrow saw, unnumbered
        rows = [(0, t[:200], f"ragged row: {a} fields where the header has {e}") for e, a, t in bad]
        skipped = []
    malformed = pd.DataFrame(rows, columns=["row", "value", "reason"])
    return Table(frame, _with_skips(len(frame), 2, np.array(skipped)), "csv", malformed=malformed)


def _read_parquet(src: Source, limits: Limits) -> Table:
    """Rows and uncompressed size from the footer checked first; then read in batches, counted again as they
    come (a footer may lie), so a small file claiming millions of rows never reaches memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with src.open() as fh:
        pf = pq.ParquetFile(fh)
        meta = pf.metadata
        limits.rows(src.name, meta.num_rows, claimed=True)
        limits.unpacked(src.name, sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
        batches, rows, size = [], 0, 0
        for batch in pf.iter_batches(batch_size=_BATCH):
            rows, size = rows + batch.num_rows, size + batch.nbytes
            limits.rows(src.name, rows)
            limits.unpacked(src.name, size)
            batches.append(batch)
        frame = pa.Table.from_batches(batches, schema=pf.schema_arrow).to_pandas()
    return Table(frame, np.arange(len(frame), dtype=np.int64) + 1, "parquet")


def _read_xlsx(src: Source, limits: Limits) -> Table:
    """The first sheet; the workbook's unpacked size checked before opening it, and reading stops one row past
    the row limit."""
    with src.open() as fh, zipfile.ZipFile(fh) as zf:
        names = zf.namelist()
        infos = zf.infolist()
    if "xl/workbook.xml" not in names:
        raise ValidationError(f"{src.name}: a ZIP archive, not an Excel .xlsx workbook")
    limits.members(src.name, infos)
    nrows = None if limits.max_rows is None else limits.max_rows + 1
    with src.open() as fh:
        frame = pd.read_excel(fh, sheet_name=0, engine="openpyxl", dtype=object, nrows=nrows)
    limits.rows(src.name, len(frame), stopped=True)
    return Table(frame, np.arange(len(frame), dtype=np.int64) + 2, "xlsx")


def _records_frame(records: list, fmt: str, first: int = 1) -> Table:
    ok = [i for i, r in enumerate(records) if isinstance(r, dict)]
    frame = pd.DataFrame.from_records([records[i] for i in ok]) if ok else pd.DataFrame()
    bad = [(i + first, str(r)[:200], "not a JSON object") for i, r in enumerate(records) if not isinstance(r, dict)]
    return Table(
        frame,
        np.array(ok, dtype=np.int64) + first,
        fmt,
        malformed=pd.DataFrame(bad, columns=["row", "value", "reason"]),
    )


def _read_jsonl(src: Source, enc: str) -> Table:
    with src.open() as fh:
        lines = io.TextIOWrapper(fh, encoding=enc, errors="strict").read().lstrip("\ufeff").splitlines()
    records, rows, bad = [], [], []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            bad.append((i, line[:200], f"not valid JSON: {exc.msg}"))
            continue
        if isinstance(obj, dict):
            records.append(obj)
            rows.append(i)
        else:
            bad.append((i, line[:200], "not a JSON object"))
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return Table(
        frame, np.array(rows, dtype=np.int64), "jsonl", malformed=pd.DataFrame(bad, columns=["row", "value", "reason"])
    )


def _read_json(src: Source, enc: str) -> Table:
    """Open311 GeoReport v2 JSON: an array of requests, or an object holding one."""
    with src.open() as fh:
        doc = json.loads(io.TextIOWrapper(fh, encoding=enc).read().lstrip("\ufeff"))
    if isinstance(doc, dict):
        for key in ("service_requests", "requests", "data", "records"):
            if isinstance(doc.get(key), list):
                doc = doc[key]
                break
        else:
            doc = [doc]
    if not isinstance(doc, list):
        raise ValidationError(f"{src.name}: JSON is not a list of requests")
    return _records_frame(doc, "json")


def _read_xml(src: Source, enc: str) -> Table:
    """Open311 GeoReport v2 XML: <service_requests><request>...</request>...</service_requests>."""
    with src.open() as fh:
        data = fh.read()
    try:  # the parser refuses any DTD, whatever the encoding: Open311 never uses one, and entities are attacks
        root = SafeTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValidationError(f"{src.name}: XML with a DTD or entities is refused ({type(exc).__name__})") from exc
    items = list(root) if root.tag != "request" else [root]
    records = [{child.tag: (child.text or "").strip() or None for child in item} for item in items]
    if root.tag == "errors" or (records and "code" in records[0] and "service_request_id" not in records[0]):
        raise ValidationError(f"{src.name}: an Open311 error response, not requests")
    return _records_frame(records, "xml")
