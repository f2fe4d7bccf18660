"""The command line: --help lists the commands; kpi agrees with the query layer; bad input exits clearly."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from govdash import cli, queries
from govdash.cli import kpi
from govdash.db import Database
from govdash.filters import Filters

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govdash", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _kpi_json(capsys, *args: str) -> dict:
    assert cli.main(["kpi", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _same(cli_out: dict, expected: dict) -> None:
    for key in kpi.KPI_KEYS:
        want = expected[key]
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert cli_out[key] is None, key
        else:
            assert cli_out[key] == pytest.approx(float(want)), key


def test_help_lists_commands():
    out = _run("--help")
    assert out.returncode == 0, out.stderr
    for command in ("demo", "kpi"):
        assert command in out.stdout
    kpi = _run("kpi", "--help")
    for option in ("--db", "--from", "--to", "--town", "--json"):
        assert option in kpi.stdout


def test_kpi_json_equals_query_layer(demo_db, capsys):
    db = Database(demo_db)
    lo, hi = queries.date_range(db)
    expected = queries.kpis(db, Filters(start=lo, end=hi), queries.as_of(db))
    got = _kpi_json(capsys, "--db", demo_db)
    assert (got["from"], got["to"], got["towns"]) == (lo.isoformat(), hi.isoformat(), [])
    _same(got, expected)
    assert got["collected"] > 0


def test_kpi_json_with_filters(demo_db, capsys):
    db = Database(demo_db)
    f = Filters(start=date(2026, 1, 1), end=date(2026, 6, 30), towns=("310115005", "310115130"))
    expected = queries.kpis(db, f, queries.as_of(db))
    # a town by its Chinese name or by its code
    got = _kpi_json(
        capsys, "--db", demo_db, "--from", "2026-01-01", "--to", "2026-06-30", "--town", "陆家嘴街道", "310115130"
    )
    assert got["towns"] == ["310115005", "310115130"]
    _same(got, expected)


def test_kpi_empty_selection_prints_dash(demo_db, capsys):
    got = _kpi_json(capsys, "--db", demo_db, "--from", "2001-01-01", "--to", "2001-01-31")
    assert got["collected"] == 0 and got["resolution_rate"] is None
    assert cli.main(["kpi", "--db", demo_db, "--from", "2001-01-01", "--to", "2001-01-31"]) == 0
    text = capsys.readouterr().out
    assert "—" in text and "resolution_rate" in text


def test_unknown_town_is_a_clear_error(demo_db):
    out = _run("kpi", "--db", demo_db, "--town", "不存在镇")
    assert out.returncode != 0
    assert "unknown street/town" in out.stderr and "不存在镇" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_date_is_a_clear_error(demo_db):
    out = _run("kpi", "--db", demo_db, "--from", "2026-13-01")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr, out.stderr[-800:]
    assert "--from" in out.stderr and "2026-13-01" in out.stderr
