import io
from datetime import datetime

import duckdb
import openpyxl
import pandas as pd
import pytest
import shapely

from govdash import cli, ingest, queries
from govdash.db import writer

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "<script>alert(1)</script>"]
G1 = shapely.box(121.50, 31.20, 121.51, 31.21)  # grid of community C1, town T1
G2 = shapely.box(121.51, 31.20, 121.52, 31.21)  # grid of community C2, town T2


def case(i: int, description: str, *, town="T1", category="noise", channel="hotline_12345", dept="D01", day=5) -> dict:
    return {
        "case_id": f"A{i}",
        "channel": channel,
        "category": category,
        "description": description,
        "complainant_name": "王小明",
        "complainant_phone": "13812341234",
        "address": "一路1号",
        "lon": 121.505 if town == "T1" else 121.515,
        "lat": 31.205,
        "grid_id": f"G{town[1]}",
        "community_id": f"C{town[1]}",
        "town_id": town,
        "reported_at": datetime(2024, 3, day, 10, 0),
        "deadline_at": datetime(2024, 3, day + 3, 10, 0),
        "department_id": dept,
        "status": "registered",
        "resolved": False,
    }


CASES = [case(i, d) for i, d in enumerate(HOSTILE)] + [
    case(10, "plain", town="T2", category="garbage", channel="app", dept="D02", day=20)
]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, town_id, name_zh) VALUES ('T1', 'town', 'T1', '一镇'), "
            "('T2', 'town', 'T2', '二镇')"
        )
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh) VALUES "
            "('C1', 'community', 'T1', 'T1', 'C1', '一居委'), ('C2', 'community', 'T2', 'T2', 'C2', '二居委')"
        )
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "VALUES ('G1', 'grid', 'C1', 'T1', 'C1', '一', ?), ('G2', 'grid', 'C2', 'T2', 'C2', '二', ?)",
            [shapely.to_wkb(G1), shapely.to_wkb(G2)],
        )
        con.execute(
            "INSERT INTO categories VALUES ('noise', 'n', '噪声', 'Noise', 'D01', 3), "
            "('garbage', 'g', '垃圾', 'Garbage', 'D02', 2)"
        )
        con.execute("INSERT INTO category_names VALUES ('noise', '噪声', 'Noise'), ('garbage', '垃圾', 'Garbage')")
        con.execute(
            "INSERT INTO channels VALUES ('hotline_12345', '12345热线', '12345 hotline'), ('app', '移动端', 'App')"
        )
        con.execute(
            "INSERT INTO departments VALUES ('D01', '区城管执法局', 'Urban Management'), "
            "('D02', '区绿化市容局', 'Greening')"
        )
        df = pd.DataFrame(CASES)
        con.register("c", df)
        con.execute(f"INSERT INTO cases ({', '.join(df.columns)}) SELECT * FROM c")
    return path


def export(capsys, *argv) -> tuple[int, str]:
    code = cli.main(["export", "cases", *map(str, argv)])
    return code, capsys.readouterr().err


def test_csv_is_bom_utf8_neutralised_and_without_personal_data(db, tmp_path, capsys):
    out = tmp_path / "cases.csv"
    code, err = export(capsys, "--db", db, "--out", out)
    assert code == 0 and f"wrote 7 cases (2024-03-05 – 2024-03-20) to {out}" in err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str, keep_default_na=False)
    assert list(df.columns) == list(queries.EXPORT_COLUMNS)  # no complainant name or phone by default
    got = dict(zip(df["case_id"], df["description"], strict=True))
    assert [got[f"A{i}"] for i in range(6)] == [
        "'=cmd|' /C calc'!A0",
        "'+1+1",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\t=1+1",
        "<script>alert(1)</script>",
    ]
    assert df["lon"].iloc[0] == "121.505"  # numbers stay numbers


def test_xlsx_cells_are_neutralised_and_typed(db, tmp_path, capsys):
    out = tmp_path / "cases.xlsx"
    code, _ = export(capsys, "--db", db, "--out", out, "--personal")
    assert code == 0
    ws = openpyxl.load_workbook(out).active
    head = [c.value for c in ws[1]]
    assert head[-2:] == ["complainant_name", "complainant_phone"]
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["A0"]["description"] == "'=cmd|' /C calc'!A0"
    assert rows["A3"]["description"] == "'@SUM(A1:A9)"
    assert all(not str(r["description"]).startswith(("=", "+", "-", "@")) for r in rows.values())
    assert rows["A0"]["lon"] == 121.505 and isinstance(rows["A0"]["reported_at"], datetime)
    assert rows["A0"]["complainant_phone"] == "13812341234"


@pytest.mark.parametrize(
    "argv, ids",
    [
        (["--town", "二镇"], ["A10"]),
        (["--town", "T1", "--category", "noise"], ["A0", "A1", "A2", "A3", "A4", "A5"]),
        (["--channel", "app"], ["A10"]),
        (["--channel", "移动端"], ["A10"]),  # a channel by its name in the catalogue
        (["--category", "Garbage"], ["A10"]),
        (["--department", "区城管执法局"], ["A0", "A1", "A2", "A3", "A4", "A5"]),
        (["--department", "D02", "Urban Management"], ["A0", "A1", "A2", "A3", "A4", "A5", "A10"]),
        (["--from", "2024-03-10"], ["A10"]),
        (["--to", "2024-03-10"], ["A0", "A1", "A2", "A3", "A4", "A5"]),
        (["--from", "2025-01-01"], []),
        (["--community", "二居委"], ["A10"]),
        (["--town", "T1", "--community", "C1", "--grid", "G1"], ["A0", "A1", "A2", "A3", "A4", "A5"]),
        (["--grid", "二"], ["A10"]),
    ],
)
def test_filters(db, tmp_path, capsys, argv, ids):
    out = tmp_path / "cases.csv"
    code, _ = export(capsys, "--db", db, "--out", out, *argv)
    assert code == 0
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str)["case_id"].tolist()
    assert sorted(got) == sorted(ids)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "cases.txt"], "must end in .csv or .xlsx"),
        (["--out", "c.csv", "--department", "D99"], "unknown department: D99"),
        (["--out", "c.csv", "--category", "nope"], "unknown category: nope"),
        (["--out", "c.csv", "--channel", "fax"], "unknown channel: fax"),
        (["--out", "c.csv", "--town", "火星"], "unknown street/town"),
        (["--out", "c.csv", "--community", "nope"], "unknown community: nope"),
        (["--out", "c.csv", "--town", "T1", "--grid", "G2"], "unknown grid: G2"),
    ],
)
def test_bad_options(db, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        cli.main(["export", "cases", "--db", str(db), *argv])
    assert not list(tmp_path.glob("c*.*"))


def test_export_then_import_changes_nothing(db, tmp_path, capsys):
    """The export is the native layout: importing it back with the govdash mapping finds every case unchanged."""
    con = duckdb.connect(str(db))
    con.execute("UPDATE cases SET description = 'text ' || case_id")  # no formula prefixes: those gain a quote
    con.close()
    out = tmp_path / "cases.csv"
    assert export(capsys, "--db", db, "--out", out, "--personal")[0] == 0
    rep = ingest.run("cases", db, out, mapping="govdash")
    assert (rep.status, rep.inserted, rep.updated, rep.unchanged) == ("loaded", 0, 0, 7)


def test_export_without_personal_masks_as_a_viewer_sees_it(db, tmp_path, capsys):
    """Issue 15: addresses, descriptions and coordinates went out in full without --personal."""
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE cases SET description = $d, lon = 121.505678, lat = 31.205432 WHERE case_id = 'A10'",
        {"d": "王小明（身份证31011519900307123X）说一路1号楼下噪声，电话138 1234 5678"},
    )
    con.close()
    masked, full = tmp_path / "masked.csv", tmp_path / "full.csv"
    assert export(capsys, "--db", db, "--out", masked)[0] == 0
    assert export(capsys, "--db", db, "--out", full, "--personal")[0] == 0
    m = pd.read_csv(masked, dtype=str, encoding="utf-8-sig").set_index("case_id").loc["A10"]
    f = pd.read_csv(full, dtype=str, encoding="utf-8-sig").set_index("case_id").loc["A10"]
    assert m["address"] == "一路"
    assert m["description"] == "王*（身份证******************）说一路楼下噪声，电话138****5678"
    assert (m["lon"], m["lat"]) == ("121.506", "31.205")
    assert (f["address"], f["lon"], f["complainant_name"]) == ("一路1号", "121.505678", "王小明")
    assert f["description"].startswith("王小明（身份证31011519900307123X）")
