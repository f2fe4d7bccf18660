"""Case events (issue 17 items 1 and 3): a literal event log worked by hand (stage counts, median stage times,
退单率, 重派率, 延期率, 核查不通过率, 督办, escalation, 吹哨报到), the timeline, the demo's chains agreeing with
its case rows, an event file import with a bad row (per-row errors, nothing written) and its undo on qinhuai."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pytest

from govdash import events, ingest, queries_events, schema, writes
from govdash.db import Database
from govdash.filters import Filters

MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
T = datetime.fromisoformat
# case, reported (all in March but E), tier
CASES = [
    ("A", "2026-03-02 08:00", "community"),
    ("B", "2026-03-05 10:00", "community"),
    ("C", "2026-03-10 08:00", "street"),
    ("D", "2026-03-20 09:00", "community"),
    ("E", "2026-02-10 09:00", "community"),  # February: outside the filter
    ("BB", "2026-02-11 09:00", "community"),  # February too, its id between March's A and D (they bound the reads)
]
# case, time, event, from, to, reason, new deadline, result
LOG = [
    ("A", "2026-03-02 08:00", "accept", None, None, None, None, None),
    ("A", "2026-03-02 09:00", "dispatch", None, "D1", None, None, None),
    ("A", "2026-03-02 10:00", "return", "D1", None, "not_our_remit", None, None),
    ("A", "2026-03-02 11:00", "redispatch", None, "D2", None, None, None),
    ("A", "2026-03-02 21:00", "handled", "D2", None, None, None, None),
    ("A", "2026-03-03 09:00", "verify", None, None, None, None, "passed"),
    ("A", "2026-03-03 11:00", "close", None, None, None, None, "resolved"),
    ("A", "2026-03-04 11:00", "callback", None, None, None, None, "90"),
    ("B", "2026-03-05 10:00", "accept", None, None, None, None, None),
    ("B", "2026-03-05 12:00", "dispatch", None, "D1", None, None, None),
    ("B", "2026-03-06 12:00", "handled", "D1", None, None, None, None),
    ("B", "2026-03-06 14:00", "verify", None, None, "not_fixed", None, "failed"),
    ("B", "2026-03-06 16:00", "extend", "D1", None, None, "2026-03-12 10:00", None),
    ("B", "2026-03-07 12:00", "handled", "D1", None, None, None, None),
    ("B", "2026-03-07 16:00", "verify", None, None, None, None, "passed"),
    ("B", "2026-03-07 18:00", "close", None, None, None, None, "resolved"),
    ("C", "2026-03-10 08:00", "accept", None, None, None, None, None),
    ("C", "2026-03-10 08:30", "dispatch", None, "D3", None, None, None),
    ("C", "2026-03-10 09:00", "escalate", "community", "street", "cross_department", None, None),
    ("C", "2026-03-10 10:00", "whistle", "T1", "D3", None, None, None),
    ("C", "2026-03-10 13:00", "report", "D3", "T1", None, None, None),
    ("C", "2026-03-11 10:00", "urge", None, "D3", None, None, None),
    ("C", "2026-03-12 10:00", "supervise", None, "D3", "overdue", None, None),
    ("C", "2026-03-13 10:00", "supervise", None, "D3", "overdue", None, None),
    ("C", "2026-03-13 20:00", "handled", "D3", None, None, None, None),
    ("C", "2026-03-14 08:00", "close", None, None, None, None, "unresolved"),
    ("C", "2026-03-14 20:00", "callback", None, None, None, None, "60"),
    ("D", "2026-03-20 09:00", "accept", None, None, None, None, None),
    ("E", "2026-02-10 09:00", "accept", None, None, None, None, None),
    ("E", "2026-02-10 10:00", "dispatch", None, "D1", None, None, None),
    ("E", "2026-02-10 11:00", "return", "D1", None, None, None, None),
    ("BB", "2026-02-11 09:00", "accept", None, None, None, None, None),
    ("BB", "2026-02-11 09:30", "escalate", "community", "street", "major", None, None),
    ("BB", "2026-02-11 10:00", "whistle", "T1", "D1", None, None, None),
]


@pytest.fixture(scope="module")
def lit(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("events") / "lit.duckdb"
    con = duckdb.connect(str(path))
    schema.create(con)
    for cid, at, tier in CASES:
        con.execute(
            "INSERT INTO cases (case_id, reported_at, town_id, tier, status) VALUES (?, ?, 'T1', ?, 'registered')",
            [cid, T(at), tier],
        )
    con.execute("INSERT INTO departments VALUES ('D1', '城管', 'City management'), ('D3', '住建', 'Housing')")
    con.execute("INSERT INTO units (unit_id, level, town_id, name_zh) VALUES ('T1', 'town', 'T1', '甲街道')")
    for i, (cid, at, ev, frm, to, why, dl, res) in enumerate(LOG):
        con.execute(
            "INSERT INTO case_events VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, false, 'lit')",
            [cid, i, T(at), ev, frm, to, why, T(dl) if dl else None, res],
        )
    writes.refresh_chain(con, None)  # the per-case summary the page reads, derived from the log
    con.close()
    db = Database(path)
    yield db
    db.close()


def test_stage_counts_and_median_stage_times_by_hand(lit):
    s = queries_events.chain_summary(lit, MARCH)
    assert s["cases"] == 4  # A B C D; E was reported in February
    assert [s[f"n_{st}"] for st in events.STAGES] == [4, 3, 3, 2, 3, 2]
    # 派单 after 受理: A 1 h, B 2 h, C 0.5 h -> 1
    assert s["dispatch_median"] == pytest.approx(1.0)
    # 处置 (last 处置完成) after the first 派单: A 12 h, B 48 h, C 83.5 h -> 48
    assert s["handled_median"] == pytest.approx(48.0)
    # 核查 (passed) after the last 处置完成: A 12 h, B 4 h -> 8
    assert s["verify_median"] == pytest.approx(8.0)
    # 结案 after 核查, or 处置 when not verified: A 2 h, B 2 h, C 12 h -> 2
    assert s["close_median"] == pytest.approx(2.0)
    # 回访 after 结案: A 24 h, C 12 h -> 18
    assert s["callback_median"] == pytest.approx(18.0)


def test_rates_by_hand(lit):
    s = queries_events.chain_summary(lit, MARCH)
    r = events.rates(s)
    assert r["ev_return_rate"] == pytest.approx(1 / 3)  # A returned, of A B C dispatched
    assert r["ev_redispatch_rate"] == pytest.approx(1 / 3)
    assert r["ev_extension_rate"] == pytest.approx(1 / 4)  # B, of four accepted
    assert r["ev_verify_fail_rate"] == pytest.approx(1 / 3)  # B's first of three verifications
    assert (s["supervised"], s["supervise_events"], s["urged"]) == (1, 2, 1)
    table = events.stage_table(s, "zh")
    assert list(table["环节"]) == ["受理", "派单", "处置", "核查", "结案", "回访"]
    assert list(table["中位耗时（小时）"]) == ["—", "1.0", "48.0", "8.0", "2.0", "18.0"]


def test_rates_with_nothing_due_are_none():
    assert events.rates({"dispatched": 0, "n_accept": 0, "verifications": 0}) == dict.fromkeys(events.RATES)


def test_escalation_path_and_whistle_by_hand(lit):
    esc = queries_events.escalations(lit, MARCH)
    assert esc[["from_party", "to_party", "reason", "n"]].values.tolist() == [
        ["community", "street", "cross_department", 1]
    ]
    assert esc["median_hours"].iloc[0] == pytest.approx(1.0)  # an hour after 受理
    table = events.escalation_table(esc, "zh")
    assert table.iloc[0].tolist()[:3] == ["社区 → 街镇", "涉及多个部门", 1]
    wh = queries_events.whistles(lit, MARCH)
    assert wh[["department_id", "whistles", "answered"]].values.tolist() == [["D3", 1, 1]]
    assert wh["median_hours"].iloc[0] == pytest.approx(3.0)  # 吹哨 10:00, 报到 13:00
    assert events.whistle_table(wh, events.party_names(lit, "zh"), "zh").iloc[0, 0] == "住建"


def test_timeline_lists_every_event_in_order_with_labels(lit):
    zh = events.timeline_data(lit, "B", lang="zh")
    assert list(zh["环节"]) == ["受理", "派单", "处置完成", "核查", "延期", "处置完成", "核查", "结案"]
    assert zh["结果"].tolist()[3] == "不通过，退回处置" and zh["办理时限"].tolist()[4] == "2026-03-12 10:00"
    assert zh["接收方"].tolist()[1] == "城管"
    en = events.timeline_data(lit, "C", lang="en")
    assert en["Event"].tolist()[2:5] == ["Escalated", "Whistle (street calls departments)", "Department reported"]
    assert en["From"].tolist()[3] == "甲街道"  # the street that blew the whistle, by its name
    assert events.timeline_data(lit, "B", scope=("T9",), lang="zh").empty  # outside the account's area


def test_demo_chains_agree_with_the_case_rows(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    try:
        bad = con.execute("""
            SELECT count(*) FILTER (WHERE e.d IS DISTINCT FROM c.dispatched_at),
                   count(*) FILTER (WHERE e.h IS DISTINCT FROM c.handled_at),
                   count(*) FILTER (WHERE e.cl IS DISTINCT FROM c.closed_at),
                   count(*) FILTER (WHERE e.dl IS DISTINCT FROM c.deadline_at),
                   count(*) FILTER (WHERE e.tier IS DISTINCT FROM c.tier),
                   count(*) FILTER (WHERE e.first <> c.reported_at)
            FROM cases c JOIN (
                SELECT case_id, min(at_time) FILTER (WHERE event = 'dispatch') AS d,
                       max(at_time) FILTER (WHERE event = 'handled') AS h,
                       min(at_time) FILTER (WHERE event = 'close') AS cl, min(at_time) AS first,
                       arg_max(new_deadline, at_time) FILTER (WHERE new_deadline IS NOT NULL) AS dl,
                       coalesce(arg_max(to_party, at_time) FILTER (WHERE event = 'escalate'),
                                min(to_party) FILTER (WHERE event = 'register')) AS tier
                FROM case_events GROUP BY case_id) e USING (case_id)""").fetchone()
        assert bad == (0, 0, 0, 0, 0, 0)
        n_cases, with_log = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE case_id IN (SELECT case_id FROM case_events)) FROM cases"
        ).fetchone()
        assert n_cases == with_log
    finally:
        con.close()
    s = queries_events.chain_summary(Database(demo_db), Filters(start=date(2025, 1, 1), end=date(2026, 10, 31)))
    r = events.rates(s)
    assert 0.02 < r["ev_return_rate"] < 0.06 and r["ev_redispatch_rate"] == r["ev_return_rate"]
    assert 0.02 < r["ev_verify_fail_rate"] < 0.05  # "2-5 % failed verifications"
    assert 0.005 < r["ev_extension_rate"] < 0.10 and s["supervised"] > 0 and s["whistled"] > 0


# --- import of an event file (12345 流转记录) on a district that is not the demo ---

GOOD = [
    ("NJ00001", "2026-05-13 20:00", "受理", "", ""),
    ("NJ00001", "2026-05-13 21:00", "派单", "区城管局", ""),
    ("NJ00001", "2026-05-13 22:00", "退单", "区城管局", "不属本部门职责"),
    ("NJ00001", "2026-05-13 23:00", "重派", "区市场监管局", ""),
    ("NJ00001", "2026-05-14 08:00", "延期", "区市场监管局", "延期至2026-05-20 18:00"),
    ("NJ00001", "2026-05-14 12:00", "处置完成", "区市场监管局", ""),
    ("NJ00001", "2026-05-14 13:00", "核查", "", "核查不通过，重新处置"),
    ("NJ00001", "2026-05-14 15:00", "处置完成", "区市场监管局", ""),
    ("NJ00001", "2026-05-14 15:30", "核查", "", "通过"),
    ("NJ00001", "2026-05-14 16:00", "结案", "", ""),
    ("NJ00001", "2026-05-15 10:00", "回访", "", "满意"),
]
BAD = [
    ("NJ00002", "2026-13-45 25:00", "派单", "区城管局", ""),  # row 2: no such time
    ("NJ99999", "2026-05-14 08:00", "派单", "区城管局", ""),  # row 3: no such case
    ("NJ00002", "2026-05-14 09:00", "喝茶", "区城管局", ""),  # row 4: no such event
]


def _csv(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["工单编号", "操作时间", "操作类型", "操作部门", "意见"])
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def qinhuai_db(tmp_path_factory):
    from tests.districts import qinhuai
    from tests.test_own_district import build

    folder = tmp_path_factory.mktemp("qinhuai_events")
    fx = qinhuai(folder / "files")
    return build(fx, folder)


def _events_of(db, case_id):
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT event, at_time, from_party, to_party, new_deadline, result, implied FROM case_events "
            "WHERE case_id = ? ORDER BY at_time, seq",
            [case_id],
        ).fetchall()
    finally:
        con.close()


def test_imported_cases_get_the_events_their_times_imply(qinhuai_db):
    closed = _events_of(qinhuai_db, "NJ00001")  # reported 13/05 20:00, closed 20 h later
    assert [(e, str(t)) for e, t, *_ in closed] == [
        ("accept", "2026-05-13 20:00:00"),
        ("close", "2026-05-14 16:00:00"),
    ]
    assert all(implied for *_, implied in closed)
    assert [e for e, *_ in _events_of(qinhuai_db, "NJ00004")] == ["accept"]  # still in handling


def test_event_file_with_a_bad_row_is_rejected_whole(qinhuai_db, tmp_path):
    before = _events_of(qinhuai_db, "NJ00001")
    rep = ingest.run("events", qinhuai_db, _csv(tmp_path / "流转记录.csv", GOOD + BAD), mapping="12345")
    assert rep.status == "rejected" and rep.failed == 3 and rep.import_id is None
    errs = rep.errors[["row", "field", "rule"]].values.tolist()
    assert errs == [
        [13, "操作时间", "time_unreadable"],
        [14, "工单编号", "case_unknown"],
        [15, "操作类型", "event_unknown"],
    ]  # rows of the file: the header is row 1, GOOD fills rows 2-12
    assert rep.errors["file"].eq("流转记录.csv").all() and rep.errors["value"].tolist()[0] == "2026-13-45 25:00"
    assert _events_of(qinhuai_db, "NJ00001") == before  # nothing written


def test_event_file_import_replaces_the_log_derives_the_row_and_undoes(qinhuai_db, tmp_path):
    def row():
        con = duckdb.connect(qinhuai_db, read_only=True)
        try:
            return con.execute(
                "SELECT dispatched_at, handled_at, closed_at, deadline_at, status FROM cases WHERE case_id = 'NJ00001'"
            ).fetchone()
        finally:
            con.close()

    prior_row, prior_log = row(), _events_of(qinhuai_db, "NJ00001")
    rep = ingest.run("events", qinhuai_db, _csv(tmp_path / "流转记录.csv", GOOD))  # the 12345 mapping, detected
    assert rep.status == "loaded" and rep.inserted == 11 and rep.mapping == "12345 流转记录"
    log = _events_of(qinhuai_db, "NJ00001")
    assert [e for e, *_ in log] == [
        "accept",
        "dispatch",
        "return",
        "redispatch",
        "extend",
        "handled",
        "verify",
        "handled",
        "verify",
        "close",
        "callback",
    ]
    assert log[2][2] == "区城管局" and log[3][3] == "区市场监管局"  # 退单 from, 重派 to
    assert str(log[4][4]) == "2026-05-20 18:00:00"  # 延期至… in 意见
    assert [log[6][5], log[8][5], log[10][5]] == ["failed", "passed", "满意"]
    assert not any(implied for *_, implied in log)
    assert row() == (
        T("2026-05-13 21:00"),  # the first 派单
        T("2026-05-14 15:00"),  # the last 处置完成
        T("2026-05-14 16:00"),
        T("2026-05-20 18:00"),  # the extended deadline
        "closed",
    )
    db = Database(qinhuai_db)
    try:
        s = queries_events.chain_summary(db, Filters(start=date(2026, 5, 1), end=date(2026, 5, 31)))
        r = events.rates(s)
        assert s["cases"] == 24 and s["returned"] == 1 and s["dispatched"] == 1
        assert r["ev_return_rate"] == 1.0 and r["ev_extension_rate"] == pytest.approx(1 / 24)
        assert r["ev_verify_fail_rate"] == pytest.approx(1 / 2)
    finally:
        db.close()
    out = ingest.undo(qinhuai_db, rep.import_id)
    assert out["restored"] == 1
    assert _events_of(qinhuai_db, "NJ00001") == prior_log and row() == prior_row
    db = Database(qinhuai_db)
    try:  # the per-case summary followed the undo
        s = queries_events.chain_summary(db, Filters(start=date(2026, 5, 1), end=date(2026, 5, 31)))
        assert (s["returned"], s["dispatched"], s["n_close"], s["extended"]) == (0, 0, 18, 0)
    finally:
        db.close()


def _older_file(qinhuai_db: str, tmp_path):
    """A copy of the qinhuai file as made before the events log: no ``case_events``, no ``case_chain``."""
    import shutil

    old = tmp_path / "old.duckdb"
    shutil.copy(qinhuai_db, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE case_events")
    con.execute("DROP TABLE case_chain")
    con.close()
    return old


def test_an_older_file_without_events_gets_them_on_the_next_cases_import(qinhuai_db, tmp_path):
    old = _older_file(qinhuai_db, tmp_path)
    assert not queries_events.has_events(Database(old))
    one = _csv_cases(tmp_path / "one.csv", qinhuai_db)
    rep = ingest.run("cases", str(old), one, mapping=str(tmp_path / "m.toml"))
    assert rep.status == "loaded"
    assert [e for e, *_ in _events_of(str(old), "NJ00001")] == ["accept", "close"]  # an older case, implied
    assert [e for e, *_ in _events_of(str(old), "NJ90000")] == ["accept"]  # the new one (NJ00000: open)


def test_an_older_case_whose_imported_log_is_undone_gets_its_implied_events_back(qinhuai_db, tmp_path):
    # Cases without events are looked for once per database (by the first cases import): a case an events undo
    # leaves without any gets its implied events from the undo itself. NJ00001 (reported 13/05 20:00, closed 20 h
    # later) in an older file: its log from an events file, then that import undone.
    old = _older_file(qinhuai_db, tmp_path)
    rep = ingest.run("events", str(old), _csv(tmp_path / "流转记录.csv", GOOD))
    assert rep.status == "loaded" and len(_events_of(str(old), "NJ00001")) == 11
    assert _events_of(str(old), "NJ00004") == []  # not in the file: no events yet
    ingest.undo(str(old), rep.import_id)
    log = _events_of(str(old), "NJ00001")
    assert [(e, str(t), implied) for e, t, *_, implied in log] == [
        ("accept", "2026-05-13 20:00:00", True),
        ("close", "2026-05-14 16:00:00", True),
    ]
    assert _events_of(str(old), "NJ00004") == []  # the undo touches only the cases of its import


# --- the pages (AppTest): the lifecycle page and a case's timeline, on the demo and on qinhuai ---


def _open(monkeypatch, db: str, page: str, lang: str, **query):
    from conftest import app_test

    monkeypatch.setenv("GOVDASH_DB", db)
    monkeypatch.setenv("GOVDASH_LANG", lang)
    at = app_test()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


RATE_LABELS = {"zh": ["退单率", "重派率", "延期率", "核查不通过率", "督办工单", "催办工单"]}


def test_lifecycle_page_on_the_demo(demo_db, monkeypatch, navigation_mode):
    at = _open(monkeypatch, demo_db, "pages/lifecycle.py", "zh", **{"from": "2026-01-01", "to": "2026-10-31"})
    metrics = {m.label: m.value for m in at.metric}
    assert all(label in metrics for label in RATE_LABELS["zh"])
    assert all(metrics[k].endswith("%") for k in RATE_LABELS["zh"][:4])
    stages = _frame_with(at, "中位耗时（小时）")
    assert list(stages["环节"]) == ["受理", "派单", "处置", "核查", "结案", "回访"]
    esc = _frame_with(at, "升级路径")
    assert {"社区 → 街镇", "街镇 → 区级"} <= set(esc["升级路径"])
    assert len(_frame_with(at, "吹哨次数")) > 0
    # pick the oldest open case: its timeline lists its events
    oldest = _frame_with(at, "已办天数")
    at.session_state["open_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    con = duckdb.connect(demo_db, read_only=True)
    try:
        logged = [
            r[0]
            for r in con.execute(
                "SELECT event FROM case_events WHERE case_id = ? ORDER BY at_time, seq", [oldest.iloc[0]["工单"]]
            ).fetchall()
        ]
    finally:
        con.close()
    from govdash.i18n import t

    assert list(_frame_with(at, "发起方")["环节"]) == [t(f"event_{e}", "zh") for e in logged]


def test_case_timeline_on_the_demo_shows_returns_extensions_supervision_verification(
    demo_db, monkeypatch, navigation_mode
):
    con = duckdb.connect(demo_db, read_only=True)
    try:
        case_id, reported = con.execute("""
            SELECT case_id, min(at_time) FROM case_events GROUP BY case_id
            ORDER BY (count(*) FILTER (WHERE event = 'return') > 0)::INT
                   + (count(*) FILTER (WHERE event = 'extend') > 0)::INT
                   + (count(*) FILTER (WHERE event = 'supervise') > 0)::INT
                   + (count(*) FILTER (WHERE result = 'failed') > 0)::INT DESC, case_id LIMIT 1""").fetchone()
        logged = [
            r[0]
            for r in con.execute(
                "SELECT event FROM case_events WHERE case_id = ? ORDER BY at_time, seq", [case_id]
            ).fetchall()
        ]
    finally:
        con.close()
    day = reported.date().isoformat()
    at = _open(monkeypatch, demo_db, "pages/cases.py", "zh", case=case_id, **{"from": day, "to": day})
    log = _frame_with(at, "发起方")
    from govdash.i18n import t

    assert list(log["环节"]) == [t(f"event_{e}", "zh") for e in logged]  # every event, in order, labelled
    assert len({"return", "extend", "supervise", "verify"} & set(logged)) >= 3


def test_lifecycle_page_and_timeline_on_qinhuai(qinhuai_db, monkeypatch, navigation_mode):
    may = {"from": "2026-05-01", "to": "2026-05-31"}
    at = _open(monkeypatch, qinhuai_db, "pages/lifecycle.py", "zh", **may)
    stages = _frame_with(at, "中位耗时（小时）")
    # implied events only: 24 accepted, 18 closed (every fourth case is open), closed 20 h after acceptance
    assert stages.set_index("环节")["工单数"].to_dict() == {
        "受理": 24,
        "派单": 0,
        "处置": 0,
        "核查": 0,
        "结案": 18,
        "回访": 0,
    }
    assert stages.set_index("环节").loc["结案", "中位耗时（小时）"] == "20.0"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["退单率"] == "—" and metrics["核查不通过率"] == "—" and metrics["延期率"] == "0.0%"
    en = _open(monkeypatch, qinhuai_db, "pages/cases.py", "en", case="NJ00001", **may)
    log = _frame_with(en, "From")
    assert list(log["Event"]) == ["Accepted", "Closed"]
    assert set(log["Source"]) == {"Implied by the case's times"}


def test_import_events_on_the_command_line_names_the_bad_row(qinhuai_db, tmp_path, capsys):
    from govdash import cli

    bad = _csv(tmp_path / "log.csv", GOOD[:3] + BAD[1:2])
    assert cli.main(["import", "events", str(bad), "--db", qinhuai_db, "--mapping", "12345"]) == 1
    out = capsys.readouterr()
    assert "log.csv" in out.out and "工单编号" in out.out and "NJ99999" in out.out and "case_unknown" in out.out
    assert "nothing was loaded" in out.err
    assert [e for e, *_ in _events_of(qinhuai_db, "NJ00001")] == ["accept", "close"]  # as imported, implied


def _csv_cases(path, db: str):
    """The first case of qinhuai's own file under a new id (NJ90000), and the mapping test_own_district uses."""
    from pathlib import Path

    from tests.test_own_district import MAPPINGS

    (path.parent / "m.toml").write_text(MAPPINGS["qinhuai"], encoding="utf-8")
    lines = (Path(db).parent / "files" / "工单导出.csv").read_text(encoding="utf-8-sig").splitlines()
    path.write_text(lines[0] + "\n" + lines[1].replace("NJ00000", "NJ90000") + "\n", encoding="utf-8")
    return path


def test_the_live_feed_keeps_the_log_in_step_with_the_rows(demo_db, tmp_path):
    import shutil
    from datetime import timedelta

    import numpy as np

    from govdash import feed

    path = tmp_path / "feed.duckdb"
    shutil.copy(demo_db, path)
    ro = Database(path)
    at = feed.data_clock(ro) + timedelta(seconds=5)
    rep = feed.batch(str(path), new=4, changes=6, at=at, rng=np.random.default_rng(5), span_s=5)
    assert rep.status == "loaded" and rep.updated == 6
    gaps = ro.execute(
        """SELECT c.case_id,
                  c.dispatched_at IS NOT NULL AND count(*) FILTER (WHERE e.event = 'dispatch') = 0 AS no_dispatch,
                  c.handled_at IS NOT NULL AND count(*) FILTER (WHERE e.event = 'handled') = 0 AS no_handled,
                  c.closed_at IS NOT NULL AND count(*) FILTER (WHERE e.event = 'close') = 0 AS no_close
           FROM cases c LEFT JOIN case_events e ON e.case_id = c.case_id
           WHERE c.import_id = $id GROUP BY c.case_id, c.dispatched_at, c.handled_at, c.closed_at""",
        {"id": rep.import_id},
    )
    assert len(gaps) == 10 and not gaps[["no_dispatch", "no_handled", "no_close"]].any().any()
    chain = ro.execute(
        "SELECT count(*) AS n FROM case_chain k JOIN cases c USING (case_id) WHERE c.import_id = $id",
        {"id": rep.import_id},
    )
    assert int(chain["n"].iloc[0]) == 10  # the per-case summary followed
    ro.close()


# --- implied events from the batch's own rows (issue 20: a feed batch that does not grow with the data) ---

# case, reported, dispatched, handled, closed, resolved, satisfaction: P closed and rated, Q dispatched only,
# R stored but not in the batch (its row implies a 派单 its log lacks: left alone)
IMPLY_ROWS = [
    ("P", "2026-03-01 08:00", "2026-03-01 09:00", "2026-03-02 10:00", "2026-03-02 12:00", True, 80.0),
    ("Q", "2026-03-03 08:00", "2026-03-03 09:00", None, None, None, None),
    ("R", "2026-03-04 08:00", "2026-03-04 09:00", None, None, None, None),
]
# case, seq, time, event, implied: P's log holds 受理 and 派单 (logged at other times than its row's) and a stale
# implied 结案; R's a logged 受理; S (in the batch, no longer stored) an implied 受理 and a logged 派单
IMPLY_LOG = [
    ("P", 1, "2026-03-01 08:05", "accept", False),
    ("P", 2, "2026-03-01 09:30", "dispatch", False),
    ("P", 3, "2026-03-02 11:00", "close", True),
    ("R", 1, "2026-03-04 08:00", "accept", False),
    ("S", 1, "2026-03-05 08:00", "accept", True),
    ("S", 2, "2026-03-05 09:00", "dispatch", False),
]


@pytest.mark.parametrize("store", ["file", "lake"])
def test_implied_events_of_a_batch_keep_its_logged_kinds_and_leave_other_cases_alone(store, tmp_path):
    from govdash import db

    target = str(tmp_path / "x.duckdb") if store == "file" else f"ducklake:sqlite:{tmp_path}/cat.sqlite"
    with db.write(target) as con:
        for cid, rep, dis, han, clo, res, sat in IMPLY_ROWS:
            con.execute(
                "INSERT INTO cases (case_id, reported_at, dispatched_at, handled_at, closed_at, resolved, satisfaction,"
                " town_id, tier, department_id, status, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'T1', 'community',"
                " 'D1', 'x', 'imp0')",
                [cid, T(rep), T(dis), T(han) if han else None, T(clo) if clo else None, res, sat],
            )
        for cid, seq, at, ev, implied in IMPLY_LOG:
            con.execute(
                "INSERT INTO case_events (case_id, seq, at_time, event, implied, import_id) "
                "VALUES (?, ?, ?, ?, ?, 'old')",
                [cid, seq, T(at), ev, implied],
            )
        con.execute("CREATE TEMP TABLE batch_ids AS SELECT unnest(['P', 'Q', 'S']) AS case_id")
        written = writes.implied_events(con, "batch_ids", "imp1")
        log = con.execute(
            "SELECT case_id, event, strftime(at_time, '%m-%d %H:%M'), implied, import_id, to_party, from_party, result "
            "FROM case_events ORDER BY case_id, at_time, seq"
        ).fetchall()
        chain = con.execute(
            "SELECT case_id, strftime(t_accept, '%m-%d %H:%M'), strftime(t_dispatch, '%m-%d %H:%M'), "
            "strftime(t_close, '%m-%d %H:%M'), strftime(t_callback, '%m-%d %H:%M') FROM case_chain ORDER BY case_id"
        ).fetchall()
    # P: its logged 受理 and 派单 stay (no implied ones of those kinds), the stale implied 结案 goes; its row implies
    # 处置完成, 结案 (resolved) and 回访 (80). Q: 受理 (to its tier) and 派单 (to its department). S: its implied
    # 受理 goes with its row, the logged 派单 stays. R is not in the batch: its log as it was. 3 + 2 written.
    assert written == 5
    assert log == [
        ("P", "accept", "03-01 08:05", False, "old", None, None, None),
        ("P", "dispatch", "03-01 09:30", False, "old", None, None, None),
        ("P", "handled", "03-02 10:00", True, "imp1", None, "D1", None),
        ("P", "close", "03-02 12:00", True, "imp1", None, None, "resolved"),
        ("P", "callback", "03-02 12:00", True, "imp1", None, None, "80"),
        ("Q", "accept", "03-03 08:00", True, "imp1", "community", None, None),
        ("Q", "dispatch", "03-03 09:00", True, "imp1", "D1", None, None),
        ("R", "accept", "03-04 08:00", False, "old", None, None, None),
        ("S", "dispatch", "03-05 09:00", False, "old", None, None, None),
    ]
    assert chain == [  # rewritten for the batch only (R has none: never summed up)
        ("P", "03-01 08:05", "03-01 09:30", "03-02 12:00", "03-02 12:00"),
        ("Q", "03-03 08:00", "03-03 09:00", None, None),
        ("S", None, "03-05 09:00", None, None),
    ]


def _log_db(path, cases: list[tuple[str, str]]) -> Database:
    """Cases (id, reported) in town T1, each with an 受理 and an 升级 an hour later, and their chains."""
    con = duckdb.connect(str(path))
    schema.create(con)
    con.execute("INSERT INTO units (unit_id, level, town_id, name_zh) VALUES ('T1', 'town', 'T1', '甲街道')")
    for i, (cid, at) in enumerate(cases):
        con.execute(
            "INSERT INTO cases (case_id, reported_at, town_id, tier, status) "
            "VALUES (?, ?, 'T1', 'community', 'registered')",
            [cid, T(at)],
        )
        for j, (ev, hours) in enumerate((("accept", 0), ("escalate", 1))):
            con.execute(
                "INSERT INTO case_events VALUES (?, ?, ?, ?, 'community', ?, 'major', NULL, NULL, NULL, false, 'lit')",
                [
                    cid,
                    2 * i + j,
                    T(at) + timedelta(hours=hours),
                    ev,
                    "street" if ev == "escalate" else None,
                ],
            )
    writes.refresh_chain(con, None)
    con.close()
    return Database(path)


def test_two_id_schemes_are_read_as_two_ranges_and_the_counts_stay_exact(tmp_path):
    """A hotline's SH… and the grid's WG… ids in one view: one range from SH0001 to WG0005 would span every row
    group between them (TT…, February's SH0002); a range per scheme does not, and nothing is lost or added."""
    db = _log_db(
        tmp_path / "two.duckdb",
        [
            ("SH0001", "2026-03-02 08:00"),
            ("SH0002", "2026-02-20 08:00"),  # February, between March's SH ids
            ("SH0003", "2026-03-09 08:00"),
            ("TT0001", "2026-02-21 08:00"),  # February, between the two schemes
            ("WG0005", "2026-03-15 08:00"),
        ],
    )
    clause, params = queries_events.where(MARCH)
    assert queries_events._id_ranges(db, clause, params) == {
        "lo0": "SH0001",
        "hi0": "SH0003",
        "lo1": "WG0005",
        "hi1": "WG0005",
    }
    esc = queries_events.escalations(db, MARCH)
    assert esc[["from_party", "to_party", "n"]].values.tolist() == [["community", "street", 3]]  # March's three
    assert esc["median_hours"].iloc[0] == pytest.approx(1.0)
    s = queries_events.chain_summary(db, MARCH)
    assert (s["cases"], s["n_accept"], s["escalated"]) == (3, 3, 3)
    nobody = Filters(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert queries_events._id_ranges(db, *queries_events.where(nobody)) == {}
    assert queries_events.escalations(db, nobody).empty and queries_events.chain_summary(db, nobody)["cases"] == 0


def test_more_schemes_than_the_limit_are_one_range(tmp_path):
    ids = [f"{chr(ord('A') + i)}X{i}" for i in range(queries_events.MAX_RANGES + 1)]  # AX0, BX1, … IX8
    db = _log_db(tmp_path / "many.duckdb", [(cid, "2026-03-02 08:00") for cid in ids])
    clause, params = queries_events.where(MARCH)
    assert queries_events._id_ranges(db, clause, params) == {"lo0": ids[0], "hi0": ids[-1]}
    assert queries_events.escalations(db, MARCH)["n"].tolist() == [len(ids)]
