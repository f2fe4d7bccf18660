"""Ranking stability: how far streets/towns and departments move between consecutive 30-day windows.

Run: python -m bench.ranking_bands --db /tmp/d200k.duckdb [--windows 8]. For each of ``windows``
consecutive 30-day windows ending at the data's time the ranking (``rankings.ranking``, the settings'
method) is computed once; two readings of it are compared between each window and the one before:

- places: the rank by score alone (1 + the number of better scores), what the rankings page showed
  before rank bands (issue 18 item 4);
- bands: the shown rank now, the unit's band (``rankings.bands``: units whose score intervals overlap the
  band leader's share it).

Printed per level: the max and median swing (|rank now - rank before|) over every unit ranked in both
windows of every pair, the number of bands per window, and how many of the red/black lists' units are
on the same list in the next window. A swing of bands is not comparable one for one with a swing of
places (there are fewer bands than places); the lists' persistence is.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import numpy as np
import pandas as pd

from govdash import queries, rankings, settings
from govdash.db import Database
from govdash.filters import default


def windows(db: Database, level: str, n: int, s) -> list[pd.DataFrame]:
    """The ranking of ``level`` in ``n`` consecutive 30-day windows, oldest first, with ``place`` (by score)."""
    at = queries.as_of(db)
    out = []
    for j in range(n - 1, -1, -1):
        f = default(at.date() - timedelta(days=30 * j))
        r = rankings.ranking(db, f, level, at, s)
        r["place"] = r["score"].where(r["eligible"]).rank(ascending=False, method="min")
        out.append(r.set_index("key"))
    return out


def swings(ranks: list[pd.Series]) -> np.ndarray:
    """|rank in a window - rank in the window before| for every unit ranked in both, over all pairs."""
    parts = [(b - a).abs().dropna() for a, b in zip(ranks, ranks[1:], strict=False)]
    return np.concatenate([p.to_numpy() for p in parts]) if parts else np.array([])


def kept_on_lists(frames: list[pd.DataFrame], lists: list[tuple[set, set]]) -> tuple[int, int]:
    """(units on a list in one window and on the same list in the next, units on a list in a window with a next)."""
    kept = total = 0
    for (red, black), (red2, black2) in zip(lists, lists[1:], strict=False):
        kept += len(red & red2) + len(black & black2)
        total += len(red) + len(black)
    return kept, total


def report(path: str, n: int) -> None:
    s = settings.load()
    db = Database(path)
    cases = int(db.scalar("SELECT count(*) FROM cases"))
    print(
        f"\n{path}: {cases:,} cases; {n} windows of 30 days to {queries.as_of(db):%Y-%m-%d}; method {s.ranking_method}"
    )
    heads = f"{'max swing':>9} {'median':>7} {'mean':>6} {'bands/window':>13} {'lists kept':>11}"
    print(f"{'level':<11} {'reading':<7} {heads}")
    for level in rankings.LEVELS:
        frames = windows(db, level, n, s)
        size = s.ranking_list_size
        band_lists = [
            tuple(set(part.index) for part in (r[r["list"] == "red"], r[r["list"] == "black"])) for r in frames
        ]
        place_lists = []
        for r in frames:
            ok = r[r["eligible"]].sort_values(["place", "score"], ascending=[True, False])
            place_lists.append((set(ok.index[:size]), set(ok.index[-size:])))
        for name, col, lists in (("places", "place", place_lists), ("bands", "rank", band_lists)):
            sw = swings([r[col] for r in frames])
            per = [int(r[col].nunique()) for r in frames]
            kept, total = kept_on_lists(frames, lists)
            print(
                f"{level:<11} {name:<7} {sw.max():9.0f} {np.median(sw):7.1f} {sw.mean():6.2f} "
                f"{f'{min(per)}–{max(per)}':>13} {f'{kept}/{total}':>11}"
            )
    db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", nargs="+", default=["/tmp/t1.duckdb"], help="demo databases to measure")
    p.add_argument("--windows", type=int, default=8)
    args = p.parse_args()
    for path in args.db:
        report(path, args.windows)


if __name__ == "__main__":
    main()
