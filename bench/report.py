"""Markdown tables for docs/benchmarks.md from the JSON files of ``python -m govdash bench --out``.

    python -m bench.report 1M=bench/out/1m.json "1M·feed=bench/out/1m-feed.json" 10M=… "10M·feed=…"

One table of landing views (district, last 30 days), one of every view (median of the seven filters), one
of the 20 concurrent sessions, each with a column group per run; CPU ratios (the stable ones on a shared
machine): competent peer ÷ govdash and govdash ÷ floor.
"""

from __future__ import annotations

import json
import sys

from bench.run import _gmean

TARGET_LANDING_CPU_MS = 150  # issue 21: every page's landing view
TARGET_VIEW_CPU_MS = 1000  # every view
TARGET_X_COMPETENT = 5.0  # district views
TARGET_OF_FLOOR = 1.5
TARGET_SESSION_P95_MS = 3000


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _x(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "—"
    return f"{v:.{max(digits, 2)}f}×" if v < 0.1 else f"{v:.{digits}f}×"  # 0.04×, not 0.0×


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def _table(runs: dict[str, dict], column: str, pages, cell) -> str:
    """A markdown table: a row per page, a column per run headed ``"<run> <column>"``, ``cell(run, page)`` in it."""
    lines = ["| page | " + " | ".join(f"{k} {column}" for k in runs) + " |", "|---|" + "---|" * len(runs)]
    for page in pages:
        lines.append(f"| {page} | " + " | ".join(cell(run, page) for run in runs.values()) + " |")
    return "\n".join(lines)


def _rows(run: dict, page: str) -> list[dict]:
    return [r for r in run["rows"] if r["page"] == page]


def landing(runs: dict[str, dict]) -> str:
    """Per page: each run's landing view CPU ms (✓/✗ against 150 ms), × competent (CPU), × floor (CPU)."""

    def cell(run: dict, page: str) -> str:
        rows = _rows(run, page)
        if not rows:
            return "—"
        r = rows[0]  # the first filter is the landing view (bench.pages.typical_filters)
        cpu = r["govdash_warm"]["cpu_median_ms"]
        return (
            f"{_ms(cpu)}{_mark(cpu <= TARGET_LANDING_CPU_MS)} · {_x(r.get('x_competent_cpu'))} · "
            f"{_x(r.get('of_floor_cpu'), 2)}"
        )

    pages = dict.fromkeys(r["page"] for run in runs.values() for r in run["rows"])
    return _table(runs, "CPU ms · ×peer · ×floor", pages, cell)


def views(runs: dict[str, dict]) -> str:
    """Per page: each run's median and worst filter CPU ms (✓/✗ against 1 s), geometric-mean CPU ratios."""

    def cell(run: dict, page: str) -> str:
        rows = _rows(run, page)
        summary = next((s for s in run["pages"] if s["page"] == page), None)
        if not rows or summary is None:
            return "—"
        worst = max(r["govdash_warm"]["cpu_median_ms"] for r in rows)
        # a run without peers has borrowed their ratios per row (borrow_peers), not in its summary
        x_peer = summary.get("x_competent_cpu") or _gmean(rows, "x_competent_cpu")
        return (
            f"{_ms(summary['cpu_median_ms'])} · {_ms(worst)}{_mark(worst <= TARGET_VIEW_CPU_MS)} · "
            f"{_x(x_peer)} · {_x(summary.get('of_floor_cpu'), 2)}"
        )

    pages = dict.fromkeys(s["page"] for run in runs.values() for s in run["pages"])
    return _table(runs, "CPU ms median · worst · ×peer · ×floor", pages, cell)


def sessions(runs: dict[str, dict]) -> str:
    """Per page under the concurrent sessions: median and p95 ms (✓/✗ against p95 ≤ 3 s)."""
    with_sessions = {k: v["sessions"] for k, v in runs.items() if v.get("sessions")}
    if not with_sessions:
        return "(no sessions measured)"
    pages = dict.fromkeys(p for s in with_sessions.values() for p in s["pages"])

    def cell(p: dict | None) -> str:
        ok = None if not p else p["p95_ms"] <= TARGET_SESSION_P95_MS
        return "—" if not p else f"{_ms(p['median_ms'])} · {_ms(p['p95_ms'])}{_mark(ok)}"

    def both(s: dict, page: str) -> str:
        shared = s.get("shared", {}).get("pages", {}).get(page)
        return cell(s["pages"].get(page)) + (f" / {cell(shared)}" if shared else "")

    table = _table(with_sessions, "median · p95 ms (alone / shared)", pages, both)
    foot = "; ".join(
        f"{k}: {s['sessions']} sessions × {s['rounds']} rounds, {s['requests']} page computations in "
        f"{s['wall_s']:.0f} s, server peak RSS {s['peak_rss_mb']:,.0f} MB, errors {len(s['errors'])}"
        + (
            f"; sharing: {s['shared']['computed']} computed, all served in {s['shared']['wall_s']:.0f} s"
            if s.get("shared")
            else ""
        )
        for k, s in with_sessions.items()
    )
    return table + "\n\n" + foot


def context(runs: dict[str, dict]) -> str:
    """One line per run: cases, load average, naive load, feed batches, import, peak RSS."""
    out = []
    for k, run in runs.items():
        m, d, f, n = run["machine"], run["database"], run.get("feed"), run.get("naive", {})
        parts = [
            f"{d['cases']:,} cases",
            f"load {m['loadavg_start']:.1f} → {m['loadavg_end']:.1f}",
            f"repeat {run['repeat']}",
        ]
        if "load_s" in n:
            parts.append(f"peers loaded in {n['load_s']:.0f} s (+{n['rss_added_mb']:,.0f} MB)")
        if f:
            parts.append(
                f"feed: {f['batches']} batches while timed, {f['failed']} failed, median {f['median_s']} s, "
                f"slowest {f['max_s']} s"
            )
        imp = run.get("import", {})
        if "rows_per_s" in imp:
            parts.append(f"import {imp['rows']:,} rows at {imp['rows_per_s']:,.0f} rows/s")
        parts.append(f"bench peak RSS {run['bench_peak_rss_mb']:,.0f} MB")
        eq = all(s["all_equal"] for s in run["pages"])
        parts.append("all peers equal" if eq else "peers not compared for equality (feed)" if f else "NOT all equal")
        out.append(f"- **{k}**: " + " · ".join(parts))
    return "\n".join(out)


def borrow_peers(runs: dict[str, dict]) -> None:
    """A run without the pandas peers (``--no-naive``, e.g. under the feed) gets its competent-peer CPU ratio from
    a run of the same database that has them: the peers read their own frame, so the feed does not change their
    time. Marked ``peer_borrowed`` on the row."""
    for run in runs.values():
        same = (r for r in runs.values() if r is not run and r["database"]["cases"] == run["database"]["cases"])
        ref = next((r for r in same if any("competent" in x for x in r["rows"])), None)
        if ref is None:
            continue
        peers = {(r["page"], r["filter"]): r["competent"]["cpu_median_ms"] for r in ref["rows"] if "competent" in r}
        for r in run["rows"]:
            key = (r["page"], r["filter"])
            if "x_competent_cpu" not in r and key in peers and r["govdash_warm"]["cpu_median_ms"] > 0:
                r["x_competent_cpu"] = peers[key] / r["govdash_warm"]["cpu_median_ms"]
                r["peer_borrowed"] = True


def main(argv: list[str]) -> int:
    runs = {}
    for arg in argv:
        label, _, path = arg.partition("=")
        runs[label] = json.loads(open(path, encoding="utf-8").read())
    borrow_peers(runs)
    print(context(runs), "\n\nLanding views (district, last 30 days), CPU:\n", landing(runs), sep="\n")
    print("\nEvery view (seven filters), CPU:\n", views(runs), sep="\n")
    print("\nConcurrent sessions (wall clock):\n", sessions(runs), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
