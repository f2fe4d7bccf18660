"""The bench's equality checks: every page's headline numbers agree between govdash, naive pandas and floor SQL."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bench import pages as bp
from bench import views
from bench.competent import CompetentData
from bench.naive import NaiveData
from govdash import queries
from govdash.db import Database


@pytest.fixture(scope="module")
def bench_env(demo_db):
    db = Database(demo_db)
    yield db, queries.as_of(db), bp.typical_filters(db), NaiveData.load(db)
    db.close()


def test_typical_filters_cover_district_town_community_and_category(bench_env):
    _, _, filters, _ = bench_env
    assert set(filters) == {
        "district·30d",
        "district·365d",
        "town·30d",
        "town·365d",
        "community·30d",
        "community·365d",
        "district·365d·category",
    }
    assert all((f.end - f.start).days + 1 in (30, 365) for f in filters.values())
    assert filters["community·30d"].communities and filters["district·365d·category"].categories


@pytest.mark.parametrize("page", ["overview", "map", "heatmap", "trends", "cases"])
def test_govdash_equals_naive_and_floor(bench_env, page):
    db, at, filters, naive = bench_env
    spec = views.registry()[page]
    for name, f in filters.items():
        ref = bp.headline(page, spec.govdash(db, f, at))
        assert ref, (page, name)
        p = spec.params(db, f, at)
        assert bp.compare(ref, spec.naive(naive, f, at, p)) == [], (page, name, "naive")
        assert bp.compare(ref, spec.floor(db, f, at, p)) == [], (page, name, "floor")


def test_headlines_are_not_vacuous(bench_env):
    db, at, filters, _ = bench_env
    h = bp.headline("overview", bp.overview(db, filters["district·365d"], at))
    assert h["now.collected"] > 1000 and 0.9 < h["now.resolved"] / h["now.collected"] <= 1
    assert len(h["monthly.collected"]) == 13 and len(h["towns.collected"]) == 36
    t = bp.headline("trends", bp.trends(db, filters["district·365d"], at))
    assert len(t["table.backlog"]) >= 13 and t["table.backlog"].min() >= 0 and t["now.backlog"] >= 0
    assert t["now.collected"] == h["now.collected"] and t["prev.collected"] > 0 and t["yb.collected"] > 0
    hm = bp.headline("heatmap", bp.heatmap(db, filters["district·365d"], at))
    top = hm["top.collected"].reindex(list(hm["top.order"]))
    assert len(top) == 10 and top.is_monotonic_decreasing and top.iloc[-1] > 0


def test_map_with_median_hours_equals_naive_and_floor(bench_env, monkeypatch):
    """The map computes quantiles only for an indicator that needs them; that path agrees too."""
    db, at, filters, naive = bench_env
    monkeypatch.setattr(bp, "MAP_INDICATOR", "median_hours")
    spec, f = views.registry()["map"], filters["town·365d"]
    ref = bp.headline("map", spec.govdash(db, f, at))
    assert ref["unit.median_hours"].notna().mean() > 0.5  # communities without a closed case have none
    assert bp.compare(ref, spec.naive(naive, f, at, {})) == []
    assert bp.compare(ref, spec.floor(db, f, at, {})) == []


def test_compare_counts_exact_rates_to_1e9():
    a = {"x.collected": 10.0, "x.resolution_rate": 0.5, "s.count": pd.Series([1.0, 2.0], index=[0, 1])}
    assert bp.compare(a, dict(a)) == []
    assert bp.compare(a, {**a, "x.resolution_rate": 0.5 + 1e-12}) == []
    assert bp.compare(a, {**a, "x.resolution_rate": 0.5 + 1e-6}) != []
    assert bp.compare(a, {**a, "x.collected": 10.000001}) != []
    assert bp.compare(a, {**a, "s.count": pd.Series([1.0, 3.0], index=[0, 1])}) != []
    assert bp.compare(a, {**a, "s.count": pd.Series([1.0, 2.0], index=[0, 2])}) != []
    assert bp.compare({"v": math.nan}, {"v": np.nan}) == []
    assert bp.compare(a, {"x.collected": 10.0}) != []


def test_bench_registers_its_command():
    from govdash import cli

    args = cli.parser().parse_args(["bench", "--cases", "1000", "--repeat", "1", "--sessions", "0"])
    assert args.func.__module__ == "govdash.cli.bench" and args.repeat == 1


@pytest.fixture(scope="module")
def competent(bench_env):
    return CompetentData.load(bench_env[3])


@pytest.mark.parametrize("page", ["overview", "map", "heatmap", "trends", "rankings", "cases"])
def test_competent_peer_equals_govdash(bench_env, competent, page):
    """The competent peer (searchsorted slices, sorted tail, searchsorted backlog) against govdash's SQL."""
    db, at, filters, _ = bench_env
    spec = views.registry()[page]
    for name, f in filters.items():
        ref = bp.headline(page, spec.govdash(db, f, at))
        assert bp.compare(ref, spec.competent(competent, f, at, spec.params(db, f, at))) == [], (page, name)


def test_competent_newest_cases_reach_back_past_one_block(bench_env, competent, monkeypatch):
    """With a tail block of 7 rows and a town filter, the newest page needs many blocks read back."""
    from bench import competent as cp

    monkeypatch.setattr(cp, "TAIL_BLOCK", 7)
    db, at, filters, _ = bench_env
    f = filters["town·365d"]
    ref = bp.headline("cases", bp.cases(db, f, at))
    assert len(ref["case_ids"]) == bp.CASES_PAGE_SIZE
    assert bp.compare(ref, cp.cases(competent, f, at, {})) == []


def test_competent_backlog_counts_by_hand():
    """Three cases: open at t counts reported before t minus done (closed, never before reported) before t."""
    from bench.competent import _done, _open_at

    ts = pd.to_datetime
    c = pd.DataFrame(
        {
            "reported_at": ts(["2026-01-01", "2026-01-02", "2026-01-03"]),
            "closed_at": ts(["2026-01-05", None, "2026-01-02"]),
        }
    )  # the third closed "before" reported
    done = _done(c)
    t = ts(["2026-01-01 00:00", "2026-01-02 12:00", "2026-01-03 12:00", "2026-01-06 00:00"]).to_numpy("datetime64[ns]")
    reported = c["reported_at"].to_numpy("datetime64[ns]")
    # 01-01: none reported before; 01-02 12h: #1, #2 open; 01-03 12h: #3 reported and done at once -> #1, #2;
    # 01-06: #1 closed on 01-05 -> only #2
    assert _open_at(reported, done, t).tolist() == [0, 2, 2, 1]


def test_every_page_and_wall_panel_is_benched(bench_env):
    """The registry covers every page in pages/ but admin, and every wall panel; each runs on the demo."""
    from pathlib import Path

    from govdash import wall

    db, at, filters, _ = bench_env
    reg = views.registry()
    pages = {p.stem for p in (Path(__file__).resolve().parent.parent / "pages").glob("*.py")} - {"admin", "wall"}
    assert pages == {name for name in reg if "·" not in name}
    assert {f"wall·{p}" for p in wall.PANELS} <= set(reg)
    for name in ("rankings", "lifecycle", "wall·overview"):
        out = reg[name].govdash(db, filters["district·30d"], at)
        assert all(v is not None for v in out.values()), name
    r = bp.headline("rankings", bp.rankings(db, filters["district·365d"], at))
    assert len(r["rank.rank"]) == 36 and r["rank.rank"].min() == 1 and set(r["rank.list"]) <= {"red", "black", ""}
    # ranks are bands (issue 18 item 4): the 20 k demo's year has a few, the lists take whole bands only
    assert 1 < r["rank.rank"].max() < 36


def test_the_feed_writes_a_copy_while_the_bench_times_it(demo_db, tmp_path):
    """``--feed``: batches go into a copy (more cases there), the original is left as it was, the copy is removed."""
    import os
    import shutil
    import time
    from pathlib import Path

    from bench.run import Feeding

    original = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, original)
    before = os.stat(original)
    n0 = Database(original).scalar("SELECT count(*) FROM cases")
    with Feeding(Path(original), 1.0) as feeding:
        deadline = time.time() + 90
        while time.time() < deadline and Database(feeding.path).scalar("SELECT count(*) FROM cases") == n0:
            time.sleep(1)
        grown = Database(feeding.path).scalar("SELECT count(*) FROM cases")
        time.sleep(2.5)
    fig = feeding.figures()
    assert grown > n0 and fig["batches"] >= 1 and fig["failed"] == 0 and fig["median_s"] > 0
    after = os.stat(original)
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert Database(original).scalar("SELECT count(*) FROM cases") == n0
    assert not feeding.path.exists()


def test_report_marks_targets_from_literal_runs():
    """bench.report on two hand-made runs: the landing row is the first filter's, ✓/✗ against 150 ms CPU and
    1 s worst view, p95 ≤ 3 s under sessions; a page missing from a run reads "—"."""
    from bench import report

    def row(page, flt, cpu, **ratios):
        return {"page": page, "filter": flt, "govdash_warm": {"cpu_median_ms": cpu}, **ratios}

    one = {
        "rows": [
            row("overview", "district·30d", 120.0, x_competent_cpu=6.04, of_floor_cpu=1.234),
            row("overview", "district·365d", 1500.0, x_competent_cpu=2.0, of_floor_cpu=2.0),
            row("lifecycle", "district·30d", 151.0),
        ],
        "pages": [
            {"page": "overview", "cpu_median_ms": 810.0, "x_competent_cpu": 3.5, "of_floor_cpu": 1.57},
            {"page": "lifecycle", "cpu_median_ms": 151.0},
        ],
        "sessions": {
            "sessions": 20,
            "rounds": 2,
            "requests": 60,
            "wall_s": 12.4,
            "peak_rss_mb": 1500.0,
            "errors": [],
            "pages": {
                "overview": {"median_ms": 900.0, "p95_ms": 3000.0},
                "lifecycle": {"median_ms": 1.0, "p95_ms": 3001.0},
            },
            "shared": {"wall_s": 1.0, "computed": 2, "pages": {"overview": {"median_ms": 0.4, "p95_ms": 2500.0}}},
        },
    }
    two = {"rows": [row("overview", "district·30d", 2000.0)], "pages": [{"page": "overview", "cpu_median_ms": 2000.0}]}
    lines = report.landing({"1M": one, "10M": two}).splitlines()
    assert lines[2] == "| overview | 120 ✓ · 6.0× · 1.23× | 2,000 ✗ · — · — |"
    assert lines[3] == "| lifecycle | 151 ✗ · — · — | — |"
    lines = report.views({"1M": one}).splitlines()
    assert lines[2] == "| overview | 810 · 1,500 ✗ · 3.5× · 1.57× |"  # worst of 120 and 1,500
    assert lines[3] == "| lifecycle | 151 · 151 ✓ · — · — |"
    lines = report.sessions({"1M": one, "10M": two}).splitlines()
    assert lines[2:4] == ["| overview | 900 · 3,000 ✓ / 0 · 2,500 ✓ |", "| lifecycle | 1 · 3,001 ✗ |"]


def test_report_borrows_the_peer_of_the_same_size_for_a_run_without_peers():
    from bench import report

    warm = lambda cpu: {"cpu_median_ms": cpu}  # noqa: E731
    ref = {"database": {"cases": 10}, "rows": [{"page": "map", "filter": "d", "competent": warm(90.0)}]}
    fed = {"database": {"cases": 10}, "rows": [{"page": "map", "filter": "d", "govdash_warm": warm(30.0)}]}
    other = {"database": {"cases": 99}, "rows": [{"page": "map", "filter": "d", "govdash_warm": warm(30.0)}]}
    report.borrow_peers({"a": ref, "b": fed, "c": other})
    assert fed["rows"][0]["x_competent_cpu"] == 3.0 and fed["rows"][0]["peer_borrowed"]
    assert "x_competent_cpu" not in other["rows"][0]  # no run of its size has peers


def test_sessions_compute_alone_then_share_each_view_once(demo_db):
    """bench.run.session_worker in this process: 3 sessions × 1 round over the 15 views. Alone, every session
    computes every view (3 × 15 latencies); sharing, sessions 0, 1 and 2 take filters 0, 1 and 2, so each
    (view, filter) is computed once: 45 computations, one per session and view, none twice."""
    from bench import run

    sent = []
    conn = type("Conn", (), {"send": lambda self, x: sent.append(x), "close": lambda self: None})()
    run.session_worker(demo_db, 3, 1, conn)
    (out,) = sent
    n_views = len(views.registry())
    assert out["errors"] == [] and out["requests"] == 3 * n_views
    assert all(p["n"] == 3 for p in out["pages"].values())
    assert out["shared"]["computed"] == 3 * n_views
    assert all(p["n"] == 3 for p in out["shared"]["pages"].values())


def test_shared_results_compute_a_key_once_while_others_wait():
    import threading
    import time

    from bench.run import SharedResults

    shared, calls, started = SharedResults(), [], threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "v"

    got = []
    first = threading.Thread(target=lambda: got.append(shared.get(("a",), slow)))
    first.start()
    started.wait()
    others = [threading.Thread(target=lambda: got.append(shared.get(("a",), slow))) for _ in range(4)]
    for th in others:
        th.start()
    for th in [first, *others]:
        th.join()
    assert got == ["v"] * 5 and len(calls) == 1 and shared.computed == 1
    assert shared.get(("b",), lambda: "w") == "w" and shared.computed == 2
