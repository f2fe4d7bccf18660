"""Import of a case event log (流转记录) beside the case file: each case in the file gets the file's events as its
log (replacing what it had, implied events included), and its row's derived fields follow the log."""

from __future__ import annotations

import os
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from govdash.ingest import _plumbing, _sql_events
from govdash.ingest._mapping import MAPPINGS_DIR, MappingError
from govdash.ingest._readers import read_table
from govdash.ingest._report import MAX_TEXT, ImportReport, Progress, fill
from govdash.schema import EVENTS

EVENT_MAPPINGS_DIR = MAPPINGS_DIR / "events"
FIELDS = (
    "case_id",
    "at_time",
    "event",
    "party",  # the department acting: to_party or from_party by the event (PARTY_SENDS)
    "from_party",
    "to_party",
    "actor_role",
    "reason",
    "new_deadline",
    "result",
)
STORED = (
    "case_id",
    "seq",
    "at_time",
    "event",
    "from_party",
    "to_party",
    "actor_role",
    "reason",
    "new_deadline",
    "result",
)
PARTY_SENDS = {"return", "extend", "handled", "report"}  # the acting department sends these; it receives the others
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2}))?")


@dataclass
class EventMapping:
    """Which source column holds which event field, how its times read and which values mean which event."""

    name: str
    columns: dict[str, str]
    time_formats: tuple[str, ...] = ("ISO8601",)
    events: dict[str, str] = field(default_factory=dict)  # source value -> code or "code:result"


def builtin() -> dict[str, Path]:
    """Shipped event mappings by name: 'govdash' (the native layout) and '12345' (a 流转记录 export)."""
    return {p.stem: p for p in sorted(EVENT_MAPPINGS_DIR.glob("*.toml"))}


def load(spec: str | Path | None, columns) -> EventMapping:
    """A shipped mapping by name, a TOML file, or (None) the shipped one whose columns the file has."""
    shipped = builtin()
    if spec is None:
        for path in shipped.values():
            m = load(path, columns)
            if {m.columns["case_id"], m.columns["at_time"], m.columns["event"]} <= set(columns):
                return m
        raise MappingError(
            "no shipped event mapping fits these columns (govdash: case_id, at_time, event; 12345: 工单编号, "
            f"操作时间, 操作类型); give one with --mapping (columns seen: {', '.join(map(str, list(columns)[:20]))})"
        )
    path = shipped.get(str(spec)) or Path(spec)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(f"no event mapping {spec!r}: give a TOML file or one of {', '.join(shipped)}") from None
    return parse(text, Path(path).name)


def parse(text: str | bytes, name: str) -> EventMapping:
    """An event mapping from TOML text (``name`` names it in errors); MappingError when it is not one."""
    try:
        doc = tomllib.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{name}: not valid TOML ({exc})") from None
    cols = doc.get("columns") or {}
    unknown = sorted(set(cols) - set(FIELDS))
    if unknown:
        raise MappingError(f"{name}: [columns] has unknown fields {unknown}; known: {', '.join(FIELDS)}")
    missing = [k for k in ("case_id", "at_time", "event") if k not in cols]
    if missing:
        raise MappingError(f"{name}: [columns] must name {', '.join(missing)}")
    fmts = doc.get("time_format", "ISO8601")
    values = (doc.get("values") or {}).get("event") or {}
    bad = sorted({str(v) for v in values.values() if str(v).split(":")[0] not in EVENTS})
    if bad:
        raise MappingError(f"{name}: [values.event] maps to unknown events {bad}; known: {', '.join(EVENTS)}")
    return EventMapping(
        name=str(doc.get("name") or Path(name).stem),
        columns={k: str(v) for k, v in cols.items()},
        time_formats=(fmts,) if isinstance(fmts, str) else tuple(fmts),
        events={str(k): str(v) for k, v in values.items()},
    )


def parse_times(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Times from text by the first format each value reads with; NaT where none does."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    s = text.astype("string").str.strip()
    for f in formats:
        todo = out.isna() & s.notna() & (s != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=f, errors="coerce")
    return out


def _deadline_in(text: pd.Series) -> pd.Series:
    """A date (and time) named in free text ("延期至2026-05-20 18:00"), else NaT."""
    parts = text.astype("string").str.extract(_DATE)
    stamp = (
        parts[0]
        + "-"
        + parts[1].str.zfill(2)
        + "-"
        + parts[2].str.zfill(2)
        + " "
        + parts[3].fillna("23").str.zfill(2)
        + ":"
        + parts[4].fillna("59")
    )
    return pd.to_datetime(stamp, format="%Y-%m-%d %H:%M", errors="coerce")


def map_rows(frame: pd.DataFrame, m: EventMapping, known_cases: set[str]) -> tuple[pd.DataFrame, dict, list]:
    """The file's rows as stored event rows, the source text behind each field, and the per-row issues
    (field, rule, reason, mask) that make a row fail."""
    n = len(frame)
    col = lambda k: frame[m.columns[k]] if k in m.columns and m.columns[k] in frame else pd.Series([None] * n)  # noqa: E731
    missing = [m.columns[k] for k in ("case_id", "at_time", "event") if m.columns[k] not in frame]
    if missing:
        raise MappingError(f"the file has no column {', '.join(missing)} (mapping {m.name})")
    src = {k: col(k) for k in FIELDS if k in m.columns}
    text = lambda s: s.astype("string").str.strip().replace("", pd.NA)  # noqa: E731
    case_id = text(col("case_id"))
    raw_event = text(col("event"))
    coded = raw_event.map(lambda v: m.events.get(v, v) if isinstance(v, str) else None)
    event = coded.str.split(":").str[0]
    result = text(col("result")).astype(object)
    from_result = coded.str.split(":").str[1]
    result = result.where(result.notna(), from_result)
    at = parse_times(col("at_time"), m.time_formats)
    deadline_text = text(col("new_deadline"))
    deadline = parse_times(col("new_deadline"), m.time_formats)
    reason = text(col("reason"))
    if "new_deadline" not in m.columns:  # 延期至… in the remark
        deadline = deadline.where(event != "extend", _deadline_in(reason))
    verify_text = reason.fillna("").str.contains("不通过|未通过|failed", regex=True)
    result = result.where(~((event == "verify") & result.isna()), np.where(verify_text, "failed", "passed"))
    result = result.where(~((event == "callback") & result.isna()), reason)
    party = text(col("party"))
    sends = event.isin(list(PARTY_SENDS)).fillna(False).to_numpy(bool)
    from_party = text(col("from_party")).where(text(col("from_party")).notna(), party.where(sends))
    to_party = text(col("to_party")).where(text(col("to_party")).notna(), party.where(~sends))
    rows = pd.DataFrame(
        {
            "case_id": case_id.astype(object),
            "seq": np.arange(1, n + 1, dtype=np.int32),  # the file's order settles events at the same time
            "at_time": at,
            "event": event.astype(object),
            "from_party": from_party.astype(object),
            "to_party": to_party.astype(object),
            "actor_role": text(col("actor_role")).astype(object),
            "reason": reason.str.slice(0, MAX_TEXT).astype(object),
            "new_deadline": deadline,
            "result": result.astype(object),
        }
    )
    no_case = case_id.isna().to_numpy(bool)
    issues = [
        ("case_id", "case_missing", "no case id", no_case),
        (
            "case_id",
            "case_unknown",
            "no such case in the database (import the case file first)",
            ~no_case & ~case_id.isin(known_cases).fillna(False).to_numpy(bool),
        ),
        ("at_time", "time_unreadable", f"not a time in {' / '.join(m.time_formats)}", at.isna().to_numpy(bool)),
        (
            "event",
            "event_unknown",
            f"not an event this mapping knows ({', '.join(sorted(m.events) or EVENTS)})",
            ~event.isin(list(EVENTS)).fillna(False).to_numpy(bool),
        ),
        (
            "new_deadline",
            "deadline_unreadable",
            "not a time",
            (deadline_text.notna() & deadline.isna()).to_numpy(bool),
        ),
    ]
    return rows, src, issues


def import_file(
    db_path: str | os.PathLike,
    file,
    *,
    mapping: str | Path | EventMapping | None = None,
    encoding: str | None = None,
    on_error: str = "reject",
    dry_run: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    max_mb: float | None = None,
    quarantine_dir: str | os.PathLike | None = None,
    crs: str | None = None,
    level: str | None = None,
) -> ImportReport:
    """Import an event log into ``case_events`` of ``db_path`` (a file no other process has open), in one
    transaction: every case named in the file gets the file's events as its log, its earlier events are kept
    for undo, and its row's derived fields follow the log. Options as for ``govdash.ingest.run`` (``crs`` and
    ``level`` do not apply and are ignored). Any failing row rejects the file unless ``on_error='quarantine'``."""
    t0 = time.perf_counter()
    del crs, level  # an event log has no coordinates or unit level: the options of other kinds are ignored
    src, _ = _plumbing.begin(file, name=name, crs=None, on_error=on_error, max_mb=max_mb)
    say = progress or (lambda frac, text: None)
    say(0.05, "reading")
    table = read_table(src, encoding=encoding)
    m = mapping if isinstance(mapping, EventMapping) else load(mapping, table.frame.columns)
    rep = ImportReport(
        file=src.name,
        sha256=src.sha256,
        mapping=m.name,
        on_error=on_error,
        rows=len(table.frame) + len(table.malformed),
    )
    with _plumbing.session(db_path, dry_run) as con:
        say(0.30, "validating")
        rows, source, issues = map_rows(table.frame, m, _sql_events.case_ids(con))
        bad = fill(rep, table, issues, [], source, lambda k: m.columns.get(k, k))
        if rep.failed and on_error == "reject":
            rep.seconds = time.perf_counter() - t0
            return rep
        stage = rows.loc[~bad].reset_index(drop=True)
        with _plumbing.staged(con, pa.Table.from_pandas(stage, preserve_index=False)):
            say(0.60, "checking the write" if dry_run else "writing")
            qdir = _plumbing.quarantine_folder(db_path, quarantine_dir)
            _plumbing.write(
                con,
                "events",
                rep,
                table,
                bad,
                columns=list(STORED),
                crs=None,
                user=user,
                qdir=qdir,
                dry_run=dry_run,
            )
    if rep.status in ("loaded", "dry_run"):
        rep.notes.append(
            f"the event logs of {getattr(rep, 'cases', 0)} cases replaced by the file's; their rows follow"
        )
    rep.seconds = time.perf_counter() - t0
    say(1.0, "done")
    return rep
