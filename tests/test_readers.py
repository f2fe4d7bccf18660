import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from govdash.ingest._readers import ValidationError, _with_skips, open_source, read_table, sniff_format


def _read(data: bytes, name="f.csv", **kw):
    return read_table(open_source(data, name=name), **kw)


def test_with_skips_numbers_kept_rows_around_skipped_ones():
    # rows 2..8, with 4 and 6 skipped: kept rows are 2, 3, 5, 7, 8
    assert _with_skips(5, 2, np.array([6, 4])).tolist() == [2, 3, 5, 7, 8]
    assert _with_skips(3, 2, np.array([], dtype=np.int64)).tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "data, name, fmt",
    [
        (b"PAR1....", "x.csv", "parquet"),
        (b"PK\x03\x04....", "x.csv", "xlsx"),
        (b"<?xml version='1.0'?><service_requests/>", "x.txt", "xml"),
        (b'[{"a": 1}]', "x.json", "json"),
        (b'{"a": 1}\n{"a": 2}\n', "x.json", "jsonl"),
        (b"\xef\xbb\xbfa,b\n1,2\n", "x.txt", "csv"),
    ],
)
def test_sniff_format_by_content(data, name, fmt):
    assert sniff_format(open_source(data, name=name)) == fmt


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x00\x01\x02\x03binary\xff" * 10, "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy .xls"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_are_refused_plainly(data, words):
    with pytest.raises(ValidationError, match=words):
        _read(data)


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(ValidationError, match="not an Excel"):
        _read(buf.getvalue(), "x.xlsx")


def test_size_limit_is_checked_before_reading():
    class Upload(io.BytesIO):
        size = 50 * 2**20

        def read(self, *a):
            raise AssertionError("read before the size check")

    with pytest.raises(ValidationError, match="over the 10 MB limit"):
        open_source(Upload(b"x"), name="big.csv", max_bytes=10 * 2**20)


def test_ragged_rows_reported_with_their_row_numbers_and_multiline_values_kept():
    data = b'id,text,n\n1,"two\nlines",1\n2,x,2,EXTRA\n3,y\n4,z,4\n'
    t = _read(data)
    assert t.frame["id"].tolist() == ["1", "4"]
    assert t.frame["text"][0] == "two\nlines"
    assert t.rows.tolist() == [2, 5]
    assert t.malformed["row"].tolist() == [3, 4]
    assert t.malformed["reason"].str.contains("ragged").all()


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_delimiter_is_sniffed(sep):
    t = _read(f"a{sep}b\n1{sep}2\n".encode())
    assert list(t.frame.columns) == ["a", "b"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_text_encodings_detected(encoding):
    data = "工单编号,问题描述\n1,路灯不亮，噪声扰民\n".encode(encoding)
    t = _read(data)
    assert list(t.frame.columns) == ["工单编号", "问题描述"]
    assert t.frame["问题描述"][0] == "路灯不亮，噪声扰民"


def test_damaged_utf8_is_refused_not_read_as_gbk():
    data = ("a\n" + "噪声\n" * 20_000).encode() + b"x\xff\xfey\n"  # the bad bytes lie past the first 64 KB
    with pytest.raises(ValidationError, match="not utf-8"):
        _read(data)


def test_given_encoding_wins_and_bad_names_are_refused():
    data = "a\n噪声\n".encode("gbk")
    assert _read(data, encoding="gbk").frame["a"][0] == "噪声"
    with pytest.raises(ValidationError, match="unknown encoding"):
        _read(data, encoding="klingon")


def test_blank_rows_dropped_numbering_kept():
    t = _read(b"a,b\n1,2\n,\n3,4\n")
    assert t.frame["a"].tolist() == ["1", "3"]
    assert t.rows.tolist() == [2, 4]


def test_duplicate_columns_refused():
    with pytest.raises(ValidationError, match="duplicate column"):
        _read(b"a,a\n1,2\n")


def test_jsonl_bad_lines_are_row_errors():
    t = _read(b'{"a": "1"}\nnot json\n[1, 2]\n{"a": "2"}\n', "x.jsonl")
    assert t.frame["a"].tolist() == ["1", "2"]
    assert t.rows.tolist() == [1, 4]
    assert t.malformed["row"].tolist() == [2, 3]


def test_xml_with_a_dtd_is_refused():
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><service_requests/>'
    with pytest.raises(ValidationError, match="DTD"):
        _read(data, "x.xml")


def test_open311_error_response_is_refused():
    with pytest.raises(ValidationError, match="error response"):
        _read(
            b'<?xml version="1.0"?><errors><error><code>403</code><description>key</description></error></errors>',
            "x.xml",
        )


def test_xlsx_reads_typed_cells():
    buf = io.BytesIO()
    pd.DataFrame({"id": [2024030500001], "t": pd.to_datetime(["2024-03-05 10:00"])}).to_excel(buf, index=False)
    t = _read(buf.getvalue(), "x.xlsx")
    assert t.rows.tolist() == [2]
    assert t.frame["id"][0] == 2024030500001


def test_utf16_xml_with_an_internal_entity_is_refused():
    # the old guard looked for the bytes b"<!DOCTYPE": in UTF-16 they are b"<\x00!\x00D\x00..." and passed,
    # and the standard parser then expanded the entity into every request
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE s [<!ENTITY a "AAAAAAAAAA">]>'
        "<service_requests><request><service_request_id>&a;</service_request_id>"
        "<requested_datetime>2024-03-01T08:00:00+08:00</requested_datetime></request></service_requests>"
    )
    data = doc.encode("utf-16")
    assert b"<!DOCTYPE" not in data.upper()
    with pytest.raises(ValidationError, match=r"x\.xml: XML with a DTD or entities is refused"):
        _read(data, "x.xml")
