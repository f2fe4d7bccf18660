"""CI runs the README's test command, and that command runs the suite on two workers."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**Install what the tests need and run the whole suite**") :]
    return re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = _readme_test_command()
    assert command.endswith("python -m pytest") and "chromium fonts-wqy-microhei" in command
    assert "ruff check . && .venv/bin/ruff format --check . &&" in command  # style is part of CI
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert command in lines


def test_the_suite_runs_on_two_workers_with_the_browser_tests_grouped():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"][
        "addopts"
    ].split()
    assert addopts[addopts.index("-n") + 1] == "2"
    assert addopts[addopts.index("--dist") + 1] == "loadgroup"
    assert 'xdist_group("browser")' in (ROOT / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
