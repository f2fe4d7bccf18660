"""Period reports (周例会, 月研判, 季总结, 年考核): periods by hand, real PDF, formats, a district not the demo."""

from __future__ import annotations

import re
from datetime import date, datetime

import pypdf
import pytest
from districts import qinhuai, riverton
from literal_cases import build_db
from test_own_district import build as build_district

from govdash import briefing, periods
from govdash.cli import main
from govdash.periods import Period, PeriodError


@pytest.fixture(scope="module")
def lit(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "lit.duckdb"
    database = build_db(path)
    yield str(path)
    database.close()


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qinhuai")
    return build_district(qinhuai(folder / "files"), folder)


@pytest.fixture(scope="module")
def los_angeles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riverton")
    return build_district(riverton(folder / "files"), folder)


# --- periods, worked by hand on a calendar ---


@pytest.mark.parametrize(
    ("kind", "at", "start", "end", "key"),
    [
        ("week", "2026-03-04", date(2026, 3, 2), date(2026, 3, 8), "2026-W10"),  # a Wednesday: Monday 2 – Sunday 8
        ("week", "2026-03-08", date(2026, 3, 2), date(2026, 3, 8), "2026-W10"),  # the Sunday is in the same week
        ("week", "2026-03-09", date(2026, 3, 9), date(2026, 3, 15), "2026-W11"),  # the Monday starts the next
        ("week", "2025-12-31", date(2025, 12, 29), date(2026, 1, 4), "2026-W01"),  # across the new year
        ("month", "2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),  # a leap February
        ("month", "2026-02-17", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("quarter", "2026-05-17", date(2026, 4, 1), date(2026, 6, 30), "2026Q2"),
        ("quarter", "2026-01", date(2026, 1, 1), date(2026, 3, 31), "2026Q1"),
        ("quarter", "2026-12-31", date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
        ("year", "2026", date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("year", "2024-07", date(2024, 1, 1), date(2024, 12, 31), "2024"),
    ],
)
def test_period_ranges_by_hand(kind, at, start, end, key):
    p = periods.parse(kind, at)
    assert (p.start, p.end, p.key()) == (start, end, key)


def test_previous_periods_and_labels():
    assert periods.parse("week", "2026-01-01").previous() == Period("week", date(2025, 12, 22), date(2025, 12, 28))
    assert periods.parse("month", "2026-03").previous() == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert periods.parse("quarter", "2026-02").previous() == Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    assert periods.parse("year", "2026").previous() == Period("year", date(2025, 1, 1), date(2025, 12, 31))
    assert periods.parse("week", "2025-12-31").label("zh") == "2026年第1周"  # ISO week of its Monday's year
    assert periods.parse("month", "2026-02").label("zh") == "2026年2月"
    assert periods.parse("quarter", "2026-08").label("zh") == "2026年第3季度"
    assert periods.parse("quarter", "2026-08").label("en") == "Q3 2026"


def test_last_complete_period_at_an_instant():
    sunday_night = datetime(2026, 3, 8, 23, 59)
    assert periods.last_complete("week", sunday_night).start == date(2026, 3, 2)  # its last minute counts
    assert periods.last_complete("week", datetime(2026, 3, 9, 0, 0)).start == date(2026, 3, 2)
    assert periods.last_complete("week", datetime(2026, 3, 8, 12, 0)).start == date(2026, 2, 23)
    assert periods.last_complete("month", datetime(2026, 11, 15, 23, 59)).key() == "2026-10"
    assert periods.last_complete("quarter", datetime(2026, 3, 31, 12)).key() == "2025Q4"
    assert periods.last_complete("year", datetime(2026, 3, 31, 12)).key() == "2025"
    months = periods.options("month", date(2025, 11, 20), datetime(2026, 3, 31, 12))
    assert [p.key() for p in months] == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert periods.options("month", date(2026, 3, 2), datetime(2026, 3, 31, 12)) == []  # March still running


@pytest.mark.parametrize(
    ("kind", "at"),
    [("week", "2026-03"), ("month", "2026-13"), ("month", "2026-02-30"), ("quarter", "2026"), ("fortnight", "2026")],
)
def test_what_names_no_period_is_an_error(kind, at):
    with pytest.raises(PeriodError):
        periods.parse(kind, at)


# --- the report command: one template, four periods, two formats ---


def _headline_cells(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr[^>]*><td[^>]*>{label}</td>(.*?)</tr>", html).group(1)
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


@pytest.mark.parametrize(
    ("period", "at", "title", "dates", "collected"),
    [
        # week of Tue 10 Feb: Mon 9 – Sun 15 Feb holds A09 (reported 10 Feb) only; the week before holds A04
        ("week", "2026-02-10", "基层社会治理周例会简报 · 2026年第7周", "2026-02-09 – 2026-02-15", ["1", "1"]),
        # Q1 2026: A01–A06, A08, A09 (A07 was reported in December); Q4 2025: A07
        ("quarter", "2026-02", "基层社会治理季度总结 · 2026年第1季度", "2026-01-01 – 2026-03-31", ["8", "1"]),
        ("year", "2026", "基层社会治理年度考核报告 · 2026年", "2026-01-01 – 2026-12-31", ["8", "1"]),
    ],
)
def test_each_period_from_one_template(lit, tmp_path, period, at, title, dates, collected):
    out = tmp_path / f"{period}.html"
    assert main(["report", "--db", lit, "--period", period, "--at", at, "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert title in html and dates in html
    assert _headline_cells(html, "受理工单")[:2] == collected
    for sid in ("headline", "trends", "rankings", "supervision", "overdue", "definitions"):
        assert f'<section id="{sid}">' in html


def test_month_report_is_a_real_pdf_with_the_chinese_font_embedded(lit, tmp_path):
    out = tmp_path / "month.pdf"
    assert main(["report", "--db", lit, "--period", "month", "--at", "2026-02", "--out", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(out)
    page = reader.pages[0]
    assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]  # A4 in points
    embedded = []
    for pg in reader.pages:
        for font in (pg["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for d in font.get("/DescendantFonts") or []:
                desc = d.get_object()["/FontDescriptor"].get_object()
                if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.append(str(desc["/FontName"]))
    assert embedded, "no embedded CID font"
    text = page.extract_text()
    assert "基层社会治理月研判简报 · 2026年2月" in text and "2026-02-01 – 2026-02-28" in text
    # February, worked by hand in literal_cases: 3 collected, 2 of them resolved (A08, A09) = 66.7 %
    assert re.search(r"解决率 66\.7% 100\.0%", text)
    # the charts are vectors: no raster image anywhere in the document
    for pg in reader.pages:
        xobjects = (pg["/Resources"].get("/XObject") or {}).values()
        assert not [x for x in xobjects if x.get_object().get("/Subtype") == "/Image"]


def test_the_format_follows_the_extension_and_anything_else_is_an_error(lit, tmp_path, capsys):
    out = tmp_path / "report.docx"
    assert main(["report", "--db", lit, "--at", "2026-02", "--out", str(out)]) == 2
    assert (
        "the report's format follows the file's extension, .pdf or .html: got 'report.docx'" in capsys.readouterr().err
    )
    assert not out.exists()
    assert briefing.output_format("x.PDF") == "pdf" and briefing.output_format("a/b.htm") == "html"
    with pytest.raises(SystemExit):
        main(["report", "--db", lit, "--period", "fortnight", "--out", str(tmp_path / "x.html")])


def test_a_pdf_without_chromium_says_what_to_install(lit, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GOVDASH_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "month.pdf"
    assert main(["report", "--db", lit, "--at", "2026-02", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install chromium fonts-wqy-microhei" in err and "or write the report as .html" in err
    assert not out.exists()


def test_a_district_that_is_not_the_demo(nanjing, tmp_path):
    # qinhuai: 24 cases every 11 h from Wed 13 May 2026 09:00; the week Mon 11 – Sun 17 May ends 111 h after the
    # first, so it holds cases 0..10 (at 0, 11, …, 110 h): 11 cases
    week = tmp_path / "week.html"
    assert main(["report", "--db", nanjing, "--period", "week", "--at", "2026-05-13", "--out", str(week)]) == 0
    html = week.read_text(encoding="utf-8")
    assert _headline_cells(html, "受理工单")[0] == "11"
    out = tmp_path / "month.pdf"
    assert main(["report", "--db", nanjing, "--period", "month", "--at", "2026-05", "--out", str(out)]) == 0
    text = "".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    assert "秦淮区" in text and "2026年5月" in text and "受理工单 24" in text
    for name in ("浦东", "Pudong", "陆家嘴"):
        assert name not in text and name not in html


def test_the_reports_list_key_cases_as_they_stood_at_the_period_end(tmp_path):
    # A09 (reported 10 Feb 10:00) is a key case needing a special push, owned by D02 (建交委); at the end of
    # February (1 March 00:00) it is 18 days 14 h old: 18 whole days. A05 (reported 20 March) is not yet one.
    mark = "UPDATE cases SET key_difficult = true, key_status = $s, key_owner = 'D02' WHERE case_id = $c"
    path = tmp_path / "key.duckdb"
    db = build_db(
        path,
        extra_sql=[
            mark.replace("$s", "'special_push'").replace("$c", "'A09'"),
            mark.replace("$s", "'clear_path'").replace("$c", "'A05'"),
        ],
    )
    html = briefing.build(db, "2026-02")
    part = html[html.index('<section id="key_cases">') : html.index('<section id="definitions">')]
    assert "已化解 0 · 有明确路径 0 · 需专项推进 1 · 共 1 件" in part
    cells = re.findall(r"<td[^>]*>(.*?)</td>", part)
    assert cells == ["A09", "需专项推进", "建交委", "乙镇", "垃圾分类与大件垃圾", "18"]
    march = briefing.build(db, "2026-03")
    assert "有明确路径 1 · 需专项推进 1 · 共 2 件" in march
    db.close()


def test_a_district_abroad_in_english(los_angeles, tmp_path):
    # riverton: 40 cases every 7 h from Mon 2 March 2026 08:00 (the last on 13 March): all in Q1; the week of
    # 2 March (Monday 2 – Sunday 8) ends 9 March 00:00, 160 h after the first: cases 0..22 (at 0, 7, …, 154 h): 23
    out = tmp_path / "q.html"
    argv = ["report", "--db", los_angeles, "--lang", "en"]
    assert main([*argv, "--period", "quarter", "--at", "2026-03-15", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Quarterly Summary of Grassroots Governance · Q1 2026" in html and "Riverton" in html
    assert _headline_cells(html, "Cases collected")[:2] == ["40", "0"]
    assert main([*argv, "--period", "week", "--at", "2026-03-04", "--out", str(out)]) == 0
    assert _headline_cells(out.read_text(encoding="utf-8"), "Cases collected")[0] == "23"
    for name in ("浦东", "Pudong", "陆家嘴"):
        assert name not in html
