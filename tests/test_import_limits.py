"""Bounded imports: row and unpacked-size limits checked before loading, and imports in a memory-capped child."""

import io
import zipfile

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govdash import ingest
from govdash.ingest import ValidationError
from govdash.ingest._readers import Limits, open_source, read_table

CSV = b"case_id,reported_at,lon,lat\nA1,2024-03-01 08:00:00,121.5,31.2\nA2,2024-03-01 09:00:00,121.5,31.2\n"


def _read(data: bytes, name: str, **limits):
    return read_table(open_source(data, name=name), limits=Limits(**limits))


def test_a_tiny_parquet_claiming_20_million_rows_is_refused_before_loading(monkeypatch):
    buf = io.BytesIO()
    pq.write_table(pa.table({"case_id": pa.nulls(20_000_000, pa.null())}), buf, compression="zstd")
    data = buf.getvalue()
    assert len(data) < 200_000 and pq.ParquetFile(io.BytesIO(data)).metadata.num_rows == 20_000_000

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were read")

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", no_rows)
    monkeypatch.setattr(pq, "read_table", no_rows)
    with pytest.raises(
        ValidationError,
        match=r"^bomb\.parquet: the file claims 20,000,000 rows, over the import "
        r"limit of 5,000,000 rows \(GOVDASH_IMPORT_MAX_ROWS\)",
    ):
        read_table(open_source(data, name="bomb.parquet"))  # the default limits, from settings


def test_a_parquet_whose_footer_understates_its_rows_is_stopped_while_reading():
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": np.arange(300)}), buf, row_group_size=100)
    assert _read(buf.getvalue(), "ok.parquet", max_rows=300).frame["x"].tolist() == list(range(300))
    with pytest.raises(ValidationError, match="ok.parquet: the file claims 300 rows, over the import limit of 299"):
        _read(buf.getvalue(), "ok.parquet", max_rows=299)


def test_a_parquet_unpacking_past_the_cap_is_refused_by_its_footer():
    buf = io.BytesIO()
    pq.write_table(pa.table({"x": np.zeros(2_000_000)}), buf, compression="zstd")  # 16 MB of zeros, ~1 KB
    with pytest.raises(
        ValidationError,
        match=r"z\.parquet: unpacks to \d+ MB, over the import limit of 1 MB "
        r"\(GOVDASH_IMPORT_MAX_UNPACKED_MB\)",
    ):
        _read(buf.getvalue(), "z.parquet", max_unpacked=2**20)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_zipped_shapefile_member_unpacking_past_the_cap_is_refused(tmp_path, monkeypatch):
    # 40 MB of zeros deflate to ~40 KB: well under the old rule (20 x the 512 MB upload limit = 10 GB)
    data = _zip({"g.shp": b"\0" * 100, "g.shx": b"\0" * 100, "g.dbf": b"\0" * (40 << 20)})
    assert len(data) < 100_000
    monkeypatch.setenv("GOVDASH_IMPORT_MAX_UNPACKED_MB", "32")
    db = tmp_path / "t.duckdb"
    with pytest.raises(
        ValidationError,
        match=r"^grids\.zip: unpacks to 40 MB, over the import limit of 32 MB "
        r"\(GOVDASH_IMPORT_MAX_UNPACKED_MB\)$",
    ):
        ingest.run("units", db, data, name="grids.zip", level="grid")
    assert not db.exists()


def _xlsx(rows: int) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame({"case_id": [f"A{i}" for i in range(rows)], "reported_at": "2024-03-01 08:00:00"}).to_excel(
        buf, index=False
    )
    return buf.getvalue()


def test_an_xlsx_bomb_is_refused_by_its_members_sizes():
    # a workbook whose sheet XML inflates 60 MB from ~60 KB: refused before openpyxl opens it
    bomb = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"<sheetData>" + b" " * (60 << 20) + b"</sheetData>",
        }
    )
    assert len(bomb) < 150_000
    with pytest.raises(ValidationError, match=r"^b\.xlsx: unpacks to 60 MB, over the import limit of 50 MB"):
        _read(bomb, "b.xlsx", max_unpacked=50 << 20)


def test_an_xlsx_with_more_rows_than_the_limit_stops_reading_one_row_past_it():
    data = _xlsx(30)
    assert len(_read(data, "x.xlsx", max_rows=30).frame) == 30
    with pytest.raises(ValidationError, match=r"^x\.xlsx: the file has more than 20 rows, over the import limit"):
        _read(data, "x.xlsx", max_rows=20)


def test_a_csv_over_the_row_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVDASH_IMPORT_MAX_ROWS", "1")
    with pytest.raises(ValidationError, match=r"^c\.csv: the file has 2 rows, over the import limit of 1 rows"):
        ingest.run("cases", tmp_path / "t.duckdb", CSV, name="c.csv")


# --- the admin page's path: a child process ---


def test_an_isolated_import_runs_in_a_child_and_returns_its_report(tmp_path):
    db = tmp_path / "t.duckdb"
    rep = ingest.run("cases", db, CSV, isolated=True, name="c.csv", mapping="govdash")
    assert (rep.status, rep.inserted, rep.file) == ("loaded", 2, "c.csv")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 2
    finally:
        con.close()


def test_a_child_that_runs_out_of_memory_leaves_the_caller_and_the_database_as_they_were(tmp_path):
    db = tmp_path / "t.duckdb"
    ingest.run("cases", db, CSV, name="c.csv", mapping="govdash")
    before = db.read_bytes()
    # 80 MB of address space cannot even load pandas: the child fails, this process carries on
    with pytest.raises(
        ValidationError,
        match=r"^big\.csv: the import (ran out of memory \(limit 80 MB, "
        r"GOVDASH_IMPORT_MEMORY_MB\)|process stopped)",
    ):
        ingest.run("cases", db, CSV.replace(b"A", b"B"), isolated=True, name="big.csv", memory_mb=80)
    assert db.read_bytes() == before
    assert ingest.listing(db)["file_name"].tolist() == ["c.csv"]


def test_isolated_validation_errors_come_back_as_one_line(tmp_path):
    with pytest.raises(ValidationError, match=r"^x\.csv: the file is empty$"):
        ingest.run("cases", tmp_path / "t.duckdb", b"", isolated=True, name="x.csv")
