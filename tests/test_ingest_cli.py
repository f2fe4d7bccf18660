import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely

from govdash import cli
from govdash.cli import imports as ingest_cli
from govdash.db import writer

ROOT = Path(__file__).resolve().parent.parent
G1 = shapely.box(121.50, 31.20, 121.51, 31.21)  # grid G1 of community C1, town T1
IN_G1 = (121.505, 31.205)
FAR = (121.60, 31.30)  # outside the district
HEADER = ["case_id", "reported_at", "status", "category", "lon", "lat", "description"]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with writer(path) as con:
        con.execute(
            "INSERT INTO units (unit_id, level, parent_id, town_id, community_id, name_zh, geom) "
            "VALUES ('G1', 'grid', 'C1', 'T1', 'C1', '一', ?)",
            [shapely.to_wkb(G1)],
        )
        con.execute("INSERT INTO categories VALUES ('noise', 'n', '噪声', 'Noise', 'D03', 3)")
    return path


def cases_csv(rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


GOOD = [
    ["A1", "2024-03-05 10:00:00", "registered", "noise", *IN_G1, "路灯不亮"],
    ["A2", "2024-03-06 11:30:00", "closed", "noise", *IN_G1, "噪声扰民"],
]
BAD = GOOD + [
    ["B1", "not a time", "registered", "noise", *IN_G1, "x"],
    ["B2", "2024-03-06 11:30:00", "registered", "noise", *FAR, "y"],
]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def count(path, table: str = "cases") -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_import_cases_csv_in_each_encoding(db, tmp_path, capsys, encoding):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD, encoding))
    code, out, err = run(capsys, "import", "cases", f, "--db", db, "--user", "carol")
    assert code == 0, err
    assert "inserted 2" in out and "import imp-" in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT description FROM cases ORDER BY case_id").df()["description"].tolist() == [
        "路灯不亮",
        "噪声扰民",
    ]
    assert con.execute("SELECT user_name FROM imports").fetchone()[0] == "carol"
    con.close()


def test_explicit_encoding_option(db, tmp_path, capsys):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD, "gbk"))
    code, out, err = run(capsys, "import", "cases", f, "--db", db, "--encoding", "gb18030", "--mapping", "govdash")
    assert code == 0 and "inserted 2" in out


def test_dry_run_changes_nothing(db, tmp_path, capsys):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD))
    before = db.read_bytes()
    code, out, _ = run(capsys, "import", "cases", f, "--db", db, "--dry-run")
    assert code == 0 and out.startswith("dry run") and "inserted 2" in out
    assert db.read_bytes() == before
    assert count(db) == 0 and count(db, "imports") == 0


def test_reject_exits_1_and_names_file_row_field(db, tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_bytes(cases_csv(BAD))
    code, out, err = run(capsys, "import", "cases", f, "--db", db)
    assert code == 1
    assert "rejected: 2 of 4 rows failed" in err
    lines = [ln.split() for ln in out.splitlines() if ln.startswith("bad.csv")]
    assert [ln[:3] for ln in lines] == [["bad.csv", "4", "reported_at"], ["bad.csv", "5", "lon/lat"]]
    assert "outside the district" in out and "time not readable" in out
    assert count(db) == 0


def test_quarantine_loads_the_rest_and_report_csv(db, tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_bytes(cases_csv(BAD))
    report = tmp_path / "report.csv"
    code, out, err = run(capsys, "import", "cases", f, "--db", db, "--on-error", "quarantine", "--report", report)
    assert code == 0 and "inserted 2" in out and "quarantined 2" in out
    assert "quarantined rows:" in out
    rows = pd.read_csv(report, encoding="utf-8-sig")
    assert rows[["outcome", "row", "field"]].values.tolist() == [["error", 4, "reported_at"], ["error", 5, "lon/lat"]]


def test_file_errors_exit_2(db, tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_bytes(b"\x00\x01\x02" * 100)
    code, out, err = run(capsys, "import", "cases", f, "--db", db)
    assert code == 2 and "error:" in err and "binary" in err
    code, _, err = run(capsys, "import", "cases", tmp_path / "missing.csv", "--db", db)
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit):  # a CRS typo is a usage error
        cli.main(["import", "cases", str(f), "--db", str(db), "--crs", "mars"])


def test_progress_bar_on_a_terminal(db, tmp_path, capsys, monkeypatch):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, "import", "cases", f, "--db", db)
    assert code == 0 and "[" + "#" * 30 + "] 100% done" in err


def test_stations_units_list_and_undo(db, tmp_path, capsys):
    units = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "T1", "名称": "一镇"},
                "geometry": json.loads(shapely.to_geojson(shapely.box(121.50, 31.20, 121.52, 31.22))),
            }
        ],
    }
    u = tmp_path / "towns.geojson"
    u.write_text(json.dumps(units, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "import", "units", u, "--db", db, "--level", "town")
    assert code == 0 and "inserted 1" in out, err
    s = tmp_path / "stations.csv"
    s.write_text(f"编号,名称,经度,纬度\nS1,一站,{IN_G1[0]},{IN_G1[1]}\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", "stations", s, "--db", db)
    assert code == 0 and "inserted 1" in out
    code, out, _ = run(capsys, "import", "list", "--db", db)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["import_id", "kind", "status"]
    assert [ln.split()[1:4] for ln in lines[1:]] == [
        ["stations", "loaded", "stations.csv"],
        ["units", "loaded", "towns.geojson"],
    ]
    station_import = lines[1].split()[0]
    code, out, _ = run(capsys, "import", "undo", station_import, "--db", db)
    assert code == 0 and "removed 1" in out
    assert count(db, "stations") == 0 and count(db, "units") == 2  # the town and the fixture's grid
    code, _, err = run(capsys, "import", "undo", station_import, "--db", db)
    assert code == 2 and "already undone" in err
    code, _, err = run(capsys, "import", "undo", "imp-nope", "--db", db)
    assert code == 2 and "no import" in err


def test_undo_a_case_import(db, tmp_path, capsys):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD))
    run(capsys, "import", "cases", f, "--db", db)
    code, out, _ = run(capsys, "import", "list", "--db", db)
    import_id = out.splitlines()[1].split()[0]
    code, out, _ = run(capsys, "import", "undo", import_id, "--db", db)
    assert code == 0 and out.strip() == f"undone {import_id}: removed 2, restored 0"
    assert count(db) == 0


def test_list_without_imports(tmp_path, capsys):
    code, out, _ = run(capsys, "import", "list", "--db", tmp_path / "none.duckdb")
    assert code == 0 and out.strip() == "no imports yet"


def test_module_entry_point(db, tmp_path):
    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD, "gbk"))
    p = subprocess.run(
        [sys.executable, "-m", "govdash", "import", "cases", str(f), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "inserted 2" in p.stdout and "[" not in p.stderr  # no progress bar when stderr is not a terminal


def test_print_report_shows_the_first_rows_only(capsys):
    from govdash.ingest import REPORT_COLUMNS, ImportReport

    errors = pd.DataFrame(
        [["f.csv", i, "x", "v", "why", "rule"] for i in range(ingest_cli.SHOWN + 5)], columns=REPORT_COLUMNS
    )
    ingest_cli.print_report(ImportReport(file="f.csv", sha256="", mapping="m", on_error="reject", errors=errors))
    out = capsys.readouterr().out
    assert f"errors (first {ingest_cli.SHOWN} of {ingest_cli.SHOWN + 5}; --report FILE writes all):" in out
    assert len([ln for ln in out.splitlines() if ln.startswith("f.csv")]) == ingest_cli.SHOWN


def test_the_readme_mapping_example_imports_a_file(db, tmp_path, capsys):
    import re

    from govdash.ingest import _coords as coords

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Data import") :]
    (tmp_path / "city.toml").write_text(re.search(r"```toml\n(.*?)```", section, re.S).group(1), encoding="utf-8")
    gx, gy = coords.wgs84_to_gcj02(IN_G1[0], IN_G1[1])
    f = tmp_path / "city.csv"
    f.write_text(
        f"工单号,受理时间,办结时间,状态,类别,经度,纬度\nX1,2024/03/05 10:00,2024/03/06 09:00,已办结,noise,"
        f"{float(gx):.7f},{float(gy):.7f}\n",
        encoding="gbk",
    )
    code, out, err = run(capsys, "import", "cases", f, "--db", db, "--mapping", tmp_path / "city.toml")
    assert code == 0 and "inserted 1" in out, out + err
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute("SELECT status, resolved, grid_id, closed_at, lon FROM cases").fetchone()
    con.close()
    assert row[:3] == ("closed", True, "G1") and str(row[3]) == "2024-03-06 09:00:00"
    assert abs(row[4] - IN_G1[0]) < 1e-7


def test_command_line_imports_and_exports_are_audited_when_there_are_accounts(db, tmp_path, capsys, monkeypatch):
    """With accounts configured, `import`, `import undo` and `export` (personal data included) leave audit rows
    under cli:<user>; without accounts (the demo) no accounts file is created."""
    from govdash import accounts

    f = tmp_path / "cases.csv"
    f.write_bytes(cases_csv(GOOD))
    file = str(tmp_path / "acc.duckdb")
    monkeypatch.setenv("GOVDASH_ACCOUNTS_DB", file)
    code, _, _ = run(capsys, "import", "cases", f, "--db", db, "--user", "ops")
    assert code == 0 and not Path(file).exists()  # no accounts: nothing to audit into, nothing created
    accounts.add(file, "ada", "correct horse battery", "admin")
    code, out, _ = run(capsys, "import", "cases", f, "--db", db, "--user", "ops")
    assert code == 0
    imp = [ln.split()[0] for ln in run(capsys, "import", "list", "--db", db)[1].splitlines()[1:]][0]
    assert run(capsys, "import", "undo", imp, "--db", db, "--user", "ops")[0] == 0
    assert run(capsys, "export", "cases", "--db", db, "--personal", "--out", tmp_path / "x.csv")[0] == 0
    log = accounts.audit_log(file)
    cli_rows = log[log["username"].str.startswith("cli:")]
    assert list(cli_rows["action"])[::-1] == ["import", "import", "export"]
    assert (cli_rows["username"].iloc[-2:] == "cli:ops").all()
    assert "with personal data" in cli_rows["detail"].iloc[0] and "undo" in cli_rows["detail"].iloc[1]
