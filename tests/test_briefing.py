"""The monthly briefing (sections, figures, offline, escaped) and the anomaly list it shares with the wall screen."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from literal_cases import XSS, build_db

from govdash import briefing, settings
from govdash.cli import main
from govdash.filters import Filters

SECTIONS = (
    "headline",
    "trends",
    "rankings",
    "supervision",
    "anomalies",
    "overdue",
    "lifecycle",
    "survey",
    "must_report",
    "key_cases",
    "definitions",
)
MONDAY = date(2025, 11, 3)
SPIKE_DAY = date(2026, 1, 26)  # a Monday, 12 weeks in


def _weekly_cases() -> list[tuple]:
    """14 weeks of T1 noise (4 a weekday, 1 a weekend day) and T2 garbage (2 / 0), plus 20 extra on SPIKE_DAY."""
    rows = []
    for d in range(98):
        day = MONDAY + timedelta(days=d)
        weekend = day.weekday() >= 5
        for town, cat, n in (("T1", "noise", 1 if weekend else 4), ("T2", "garbage", 0 if weekend else 2)):
            n += 20 if (day == SPIKE_DAY and town == "T1") else 0
            for i in range(n):
                rep = datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=i)
                rows.append(
                    (
                        f"S{d:03d}{town}{i:02d}",
                        town,
                        cat,
                        "D01",
                        "community",
                        rep,
                        rep + timedelta(days=3),
                        rep + timedelta(hours=5),
                        True,
                        True,
                        90.0,
                    )
                )
    return rows


@pytest.fixture(scope="module")
def spike_db(tmp_path_factory):
    database = build_db(tmp_path_factory.mktemp("spike") / "spike.duckdb", cases=_weekly_cases())
    yield database
    database.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("brief") / "brief.duckdb"
    database = build_db(path)
    database.path_for_cli = str(path)
    yield database
    database.close()


def test_anomaly_list_finds_the_injected_spike_only(spike_db):
    f = Filters(start=date(2026, 1, 19), end=date(2026, 2, 8))
    ev = briefing.anomaly_list(spike_db, f)
    assert len(ev) == 1  # the weekly cycle of both series raises nothing
    r = ev.iloc[0]
    assert (r["category"], r["town_id"], r["town"]) == ("noise", "T1", "甲街道")
    assert r["start"].date() == r["end"].date() == SPIKE_DAY
    assert (r["observed"], r["expected"], r["excess"], r["ratio"]) == (24, 4.0, 20.0, 6.0)
    assert r["text"] == "1月26日起 甲街道 噪声扰民：1天24件（常态约4件，为常态6.0倍）"
    en = briefing.anomaly_list(spike_db, f, lang="en").iloc[0]["text"]
    assert en.startswith("From 26 Jan: Noise in 甲街道, 24 cases in 1 day(s)")
    # a period after the spike lists nothing; the spike's series for the chart has zeros filled in
    assert briefing.anomaly_list(spike_db, f.with_(start=date(2026, 2, 2))).empty
    daily = briefing.spike_daily(spike_db, f, "noise", "T1")
    assert len(daily) == 21 + 56 and daily.set_index("date").loc["2026-01-26", "count"] == 24
    assert daily.set_index("date").loc["2026-01-24", "count"] == 1  # a Saturday


def test_briefing_sections_and_figures(db):
    html = briefing.build(db, "2026-02", lang="zh", s=replace(settings.load(), ranking_min_cases=1))
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in html, sid
    assert "基层社会治理月研判简报 · 2026年2月" in html
    # February: collected 3, resolved 2 (A08, A09); January taken at the same age (30.5 days after
    # its end): all 3 resolved
    row = re.search(r"<tr[^>]*><td[^>]*>解决率</td>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[:3] == ["66.7%", "100.0%", "-33.3 pp"]
    row = re.search(r"<tr[^>]*><td[^>]*>受理工单</td>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[:3] == ["3", "3", "0.0%"]
    # A09 is the one case open and overdue on 1 March 00:00 (deadline 15 Feb 10:00: 13.6 days)
    overdue = html[html.index('<section id="overdue">') : html.index('<section id="lifecycle">')]
    assert "A09" in overdue and "<td class=n>14</td>" in overdue
    # three cases tell no town from the district: the adjusted ranking's lists name nobody, and say so
    assert "甲街道" in html and "乙镇" in html and "红榜：明显好于全区（0个）" in html and "名次按档" in html
    raw = briefing.build(
        db, "2026-02", lang="zh", s=replace(settings.load(), ranking_min_cases=1, ranking_method="raw")
    )
    assert "排名前一位" in raw and "排名后一位" in raw  # by raw scores, whole bands: 2 ranked, 1 each
    assert "本期未发现异常波动" in html
    assert "本月尚未结束" not in html  # February is complete at the data time


def test_briefing_is_offline_and_escapes_user_text(db):
    html = briefing.build(db, "2026-02", lang="en")
    assert not re.search(r"https?://", html)  # no external host: no CDN, font, image or link
    assert "<script" not in html.lower()  # no script at all; charts are inline SVG
    assert "<svg" in html and "@page" in html
    assert XSS not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 井盖 &amp; 路灯" in html
    assert "Headline indicators" in html


def test_briefing_for_a_running_and_an_empty_month(db):
    assert "本月尚未结束" in briefing.build(db, "2026-03")
    empty = briefing.build(db, "2025-06")
    assert "—" in empty and '<section id="headline">' in empty


def test_report_command(db, tmp_path, capsys):
    out = tmp_path / "b.html"
    argv = ["report", "--db", db.path_for_cli, "--period", "month", "--at", "2026-02", "--lang", "en"]
    assert main([*argv, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main([*argv[:-2], "--at", "2026-13", "--out", str(out)]) == 2
    assert "--at for a month must be YYYY-MM or YYYY-MM-DD: got '2026-13'" in capsys.readouterr().err
