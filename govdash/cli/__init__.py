"""Command line (``python -m govdash``): the parser; one module per command, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import sys

from govdash.cli import (
    account,
    bench,
    catalogue,
    coverage,
    demo,
    export,
    feed,
    imports,
    init,
    kpi,
    migrate,
    optimize,
    report,
    supervise,
)
from govdash.db import WriteError

# in the order --help lists them
COMMANDS = (
    init,
    demo,
    kpi,
    optimize,
    migrate,
    coverage,
    imports,
    catalogue,
    export,
    report,
    supervise,
    bench,
    feed,
    account,
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govdash", description="govdash command line")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except WriteError as exc:  # disk full, a constraint: one line; the database is as it was
        print(exc, file=sys.stderr)
        return 1
