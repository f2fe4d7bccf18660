"""A tiny literal database for the trend, ranking, lifecycle and briefing tests (answers worked by hand).

Eight cases reported January–March 2026 plus one reported in December 2025 (A07) that is
still open at the end of January. Times are exact so every indicator can be computed by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import shapely

from govdash.db import Database, writer
from govdash.filters import Filters

AS_OF = datetime(2026, 3, 31, 12, 0)
ALL = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
JAN = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
FEB = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))
H = timedelta(hours=1)
D = datetime
XSS = "<script>alert('x')</script> 井盖 & 路灯"

# case_id, town, category, department, tier, reported, deadline, closed, resolved, recognised, satisfaction
# closed cases: dispatched 1 h after report, handled 2 h before closure
CASES = [
    (
        "A01",
        "T1",
        "noise",
        "D01",
        "community",
        D(2026, 1, 5, 8),
        D(2026, 1, 8, 8),
        D(2026, 1, 6, 8),
        True,
        True,
        90.0,
    ),  # 24 h, on time
    (
        "A02",
        "T1",
        "dispute",
        "D01",
        "community",
        D(2026, 1, 10, 10),
        D(2026, 1, 12, 10),
        D(2026, 1, 12, 10),
        True,
        True,
        80.0,
    ),  # 48 h, closed exactly at the deadline: on time
    (
        "A03",
        "T1",
        "garbage",
        "D02",
        "street",
        D(2026, 1, 30, 9),
        D(2026, 1, 31, 9),
        D(2026, 2, 1, 9),
        True,
        False,
        60.0,
    ),  # 48 h, late; open at the end of January, closed in February
    (
        "A04",
        "T1",
        "dispute",
        "D02",
        "street",
        D(2026, 2, 3, 9),
        D(2026, 2, 5, 9),
        D(2026, 2, 4, 21),
        False,
        None,
        None,
    ),  # 36 h, on time, closed unresolved
    (
        "A05",
        "T1",
        "noise",
        "D01",
        "community",
        D(2026, 3, 20, 10),
        D(2026, 3, 25, 10),
        None,
        None,
        None,
        None,
    ),  # open (handling), overdue from 25 March 10:00:01
    (
        "A06",
        "T2",
        "noise",
        "D01",
        "district",
        D(2026, 3, 28, 10),
        D(2026, 4, 2, 10),
        None,
        None,
        None,
        None,
    ),  # open (registered, never dispatched)
    (
        "A07",
        "T2",
        "garbage",
        "D03",
        "community",
        D(2025, 12, 20, 10),
        D(2025, 12, 25, 10),
        D(2026, 2, 10, 10),
        True,
        True,
        None,
    ),  # reported before 2026, still open at the end of January
    (
        "A08",
        "T2",
        "dispute",
        "D03",
        "district",
        D(2026, 2, 20, 10),
        D(2026, 2, 22, 10),
        D(2026, 2, 21, 10),
        True,
        True,
        100.0,
    ),  # 24 h, on time
    (
        "A09",
        "T2",
        "garbage",
        "D02",
        "street",
        D(2026, 2, 10, 10),
        D(2026, 2, 15, 10),
        D(2026, 3, 5, 10),
        True,
        False,
        None,
    ),  # 552 h, late; overdue and open at the end of February
]
DESCRIPTIONS = {"A09": XSS}
TOWNS = [("T1", "甲街道"), ("T2", "乙镇"), ("T3", "丙镇")]  # 丙镇 has no case


def build_db(path, cases=CASES, extra_sql: list[str] = ()) -> Database:
    """Write the literal database to ``path`` and open it."""
    with writer(path) as con:
        con.execute(
            "INSERT INTO meta VALUES ('as_of', ?), ('synthetic', 'true'), ('district', '测试区')",
            [AS_OF.isoformat(sep=" ")],
        )
        for i, (uid, name) in enumerate(TOWNS):
            con.execute(
                "INSERT INTO units (unit_id, level, town_id, name_zh, name_en, residents, geom) "
                "VALUES (?, 'town', ?, ?, ?, 1000, ?)",
                [uid, uid, name, uid, shapely.box(121.5 + i / 100, 31.2, 121.51 + i / 100, 31.21).wkb],
            )
        con.execute(
            "INSERT INTO departments VALUES ('D01', '城管', 'Urban'), ('D02', '建交委', 'Works'), "
            "('D03', '环境', 'Ecology')"
        )
        con.execute(
            "INSERT INTO category_names VALUES ('noise', '噪声扰民', 'Noise'), "
            "('dispute', '矛盾纠纷与信访', 'Neighbour disputes and petitions'), "
            "('garbage', '垃圾分类与大件垃圾', 'Garbage sorting and bulky waste')"
        )
        con.execute("INSERT INTO channels VALUES ('hotline_12345', '12345热线', '12345 hotline')")
        for cid, town, cat, dept, tier, rep, dl, closed, res, rec, sat in cases:
            status = "closed" if closed else ("handling" if cid == "A05" else "registered")
            dispatched = rep + H if (closed or cid == "A05") else None
            handled = closed - 2 * H if closed else (D(2026, 3, 21, 10) if cid == "A05" else None)
            con.execute(
                "INSERT INTO cases (case_id, town_id, category, subcategory, channel, department_id, tier, "
                "reported_at, dispatched_at, handled_at, deadline_at, closed_at, status, resolved, "
                "recognised, satisfaction, description) "
                "VALUES (?, ?, ?, 'x', 'hotline_12345', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    cid,
                    town,
                    cat,
                    dept,
                    tier,
                    rep,
                    dispatched,
                    handled,
                    dl,
                    closed,
                    status,
                    res,
                    rec,
                    sat,
                    DESCRIPTIONS.get(cid, f"{cid} 描述"),
                ],
            )
        for q, (t1, t2) in (("2026Q1", (80.0, 70.0)), ("2025Q4", (78.0, 74.0))):
            for dim, off in (("convenience", 2.0), ("safety", -2.0)):
                con.execute(
                    "INSERT INTO satisfaction_survey VALUES ('T1', ?, ?, ?), ('T2', ?, ?, ?)",
                    [q, dim, t1 + off, q, dim, t2 + off],
                )
        con.execute(
            "INSERT INTO governance_index VALUES (2026, 'overall', 90.0), (2025, 'overall', 88.5), "
            "(2026, 'progress', 10.0), (2026, 'social_order', 85.0), (2025, 'social_order', 86.0)"
        )
        for sql in extra_sql:
            con.execute(sql)
    return Database(path)
