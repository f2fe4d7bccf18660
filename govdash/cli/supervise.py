"""``python -m govdash supervise add|list``: record and list 挂牌督办 decisions (who, when, which unit, why)."""

from __future__ import annotations

import getpass
import json
import sys

from govdash import settings
from govdash.cli._common import day, db_arg, open_db


def _unit_id(db, level: str, text: str) -> str:
    """A street/town or department given by id or by its Chinese or English name (ids win)."""
    from govdash import queries

    df = queries.towns(db) if level == "town" else queries.departments(db)
    key = "unit_id" if level == "town" else "department_id"
    if text in set(df[key]):
        return text
    hits = df[(df["name_zh"] == text) | (df["name_en"] == text)][key].tolist()
    return hits[0] if len(hits) == 1 else text  # unknown or ambiguous: supervision.add names it


def cmd_add(args) -> int:
    from datetime import date

    from govdash import queries, supervision

    path = args.db or settings.load().db
    db = open_db(path)
    d = supervision.Decision(
        level=args.level,
        unit_id=_unit_id(db, args.level, args.unit),
        decided_on=date.fromisoformat(args.on),
        decided_by=args.by,
        reason=args.reason,
    )
    try:
        n = supervision.add(path, d, at=supervision.now(db, queries.as_of(db)), recorded_by=getpass.getuser())
    except supervision.SupervisionError as e:
        print(f"supervise add: {e}; nothing recorded", file=sys.stderr)
        return 2
    print(f"recorded decision {n}: {d.level} {d.unit_id} on {d.decided_on}")
    return 0


def cmd_list(args) -> int:
    from govdash import queries_supervision, supervision

    db = open_db(args.db)
    df = queries_supervision.decisions(db)
    if args.json:
        rows = [
            {**r, "decided_on": f"{r['decided_on']:%Y-%m-%d}", "decision_id": int(r["decision_id"])}
            for r in df[["decision_id", "level", "unit_id", "name_zh", "decided_on", "decided_by", "reason"]].to_dict(
                "records"
            )
        ]
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    lang = args.lang or settings.load().lang
    if df.empty:
        print("—")
        return 0
    print(supervision.display_table(df, lang).to_string(index=False))
    return 0


def register(subparsers) -> None:
    """Add the ``supervise`` subcommand with ``add`` and ``list``."""
    p = subparsers.add_parser("supervise", help="record or list 挂牌督办 decisions (listed supervision of a unit)")
    sub = p.add_subparsers(dest="action", required=True)
    a = sub.add_parser("add", help="record a decision: which unit, when, who decided, why")
    db_arg(a)
    a.add_argument("--level", required=True, choices=("town", "department"), help="a street/town or a department")
    a.add_argument("--unit", required=True, help="its id or name")
    a.add_argument("--on", required=True, type=day, help="the day the decision was taken, YYYY-MM-DD")
    a.add_argument("--by", required=True, help="who took it (a leader, a meeting)")
    a.add_argument("--reason", required=True, help="why")
    a.set_defaults(func=cmd_add)
    li = sub.add_parser("list", help="list the recorded decisions, newest first")
    db_arg(li)
    li.add_argument("--lang", choices=("zh", "en"), default=None, help="language (default: GOVDASH_LANG)")
    li.add_argument("--json", action="store_true", help="print JSON")
    li.set_defaults(func=cmd_list)
