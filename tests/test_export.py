import io

import openpyxl
import pandas as pd
import pytest

from govdash.export import neutralise, safe_cell, to_csv_bytes, to_xlsx_bytes


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("噪声扰民", "噪声扰民"),
        ("a=b", "a=b"),
        ("", ""),
        (-2, -2),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


@pytest.fixture
def hostile():
    return pd.DataFrame(
        {
            "case_id": ["A1", "A2", "A3"],
            "description": ['=HYPERLINK("http://evil","点我")', "<script>alert(1)</script>", None],
            "phone": ["+8613800000000", "13800000000", "@x"],
            "satisfaction": [-5.0, 80.0, None],
            "reported_at": pd.to_datetime(["2024-03-05 10:00", "2024-03-06 11:00", None]),
        }
    )


def test_neutralise_keeps_numbers_times_and_input(hostile):
    before = hostile.copy()
    out = neutralise(hostile)
    assert out["description"].tolist()[:2] == ['\'=HYPERLINK("http://evil","点我")', "<script>alert(1)</script>"]
    assert pd.isna(out["description"][2])
    assert out["phone"].tolist() == ["'+8613800000000", "13800000000", "'@x"]
    assert out["satisfaction"].tolist()[:2] == [-5.0, 80.0]
    assert out["reported_at"].equals(hostile["reported_at"])
    pd.testing.assert_frame_equal(hostile, before)


def test_csv_has_bom_and_no_live_formula(hostile):
    data = to_csv_bytes(hostile)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "点我" in text
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert not back["description"].str.startswith(("=", "+", "-", "@")).any()
    assert back["phone"][0] == "'+8613800000000"


def test_xlsx_cells_are_text_not_formulas(hostile):
    data = to_xlsx_bytes(hostile.assign(note=["ok\x01", "\x02=1+1", "x" * 40_000]))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    rows = {h: [r[i] for r in ws.iter_rows(min_row=2, values_only=True)] for i, h in enumerate(header)}
    assert rows["description"][0] == '\'=HYPERLINK("http://evil","点我")'
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    # a control character is stripped first, so "\x02=1+1" cannot become a formula
    assert rows["note"][:2] == ["ok", "'=1+1"]
    assert len(rows["note"][2]) < 32_768
    assert rows["satisfaction"][0] == -5


def test_workbook_streamed_in_chunks_reads_back_as_written(monkeypatch):
    """Frames written one chunk at a time (progress told after each) read back as one sheet: the same
    values, times without their zone, text kept as text (a number-like id, a link), missing values empty."""
    from govdash import export

    monkeypatch.setattr(export, "PROGRESS_ROWS", 4)
    frames = [
        pd.DataFrame(
            {
                "case_id": [f"{i:05d}" for i in range(start, start + n)],
                "url": ["http://intranet/case"] * n,
                "hours": [i / 4 if i % 3 else None for i in range(start, start + n)],
                "overdue": [bool(i % 2) for i in range(start, start + n)],
                "at": pd.date_range("2026-11-01 08:30", periods=n, freq="h", tz="Asia/Shanghai")
                + pd.Timedelta(hours=start),
            }
        )
        for start, n in ((0, 10), (10, 3))
    ]
    seen = []
    buf = io.BytesIO()
    assert export.write_xlsx(iter(frames), buf, "cases", progress=seen.append) == 13
    assert seen == [4, 8, 10, 13]
    back = pd.read_excel(io.BytesIO(buf.getvalue()), sheet_name="cases", dtype={"case_id": str})
    want = pd.concat(frames, ignore_index=True)
    assert back["case_id"].tolist() == want["case_id"].tolist()  # "00001" stays text
    assert (back["url"] == "http://intranet/case").all()
    assert back["hours"].isna().tolist() == want["hours"].isna().tolist()
    assert back["hours"].dropna().tolist() == want["hours"].dropna().tolist()
    assert back["overdue"].tolist() == want["overdue"].tolist()
    assert back["at"].tolist() == want["at"].dt.tz_localize(None).tolist()
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert ws["A2"].data_type == "s" and ws["B2"].hyperlink is None
