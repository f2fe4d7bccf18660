"""The map as a filter: which level a selection shows, what a click selects, and the breadcrumb back up."""

from __future__ import annotations

import pandas as pd

from govdash.filters import Filters
from govdash.i18n import t
from govdash.indicators import INDICATORS, fmt
from govdash.maps import shown_values

LEVELS = ("town", "community", "grid")


def depth(f: Filters) -> int:
    """How deep the area selection goes: 0 district, 1 street/town, 2 community, 3 grid."""
    return 3 if f.grids else 2 if f.communities else 1 if f.towns else 0


def levels(f: Filters, present: tuple[str, ...] = LEVELS) -> tuple[str, ...]:
    """Levels a map can show inside the selection, the first being the natural one (one below it), of those
    ``present`` in the district; at the deepest level present, that level."""
    shown = tuple(lv for lv in LEVELS[min(depth(f), 2) :] if lv in present)
    return shown or tuple(lv for lv in LEVELS if lv in present)[-1:] or LEVELS[:1]


def area(f: Filters) -> Filters:
    """The filters that fix which units a map shows: the selected grid stays highlighted among its siblings."""
    return f.with_(grids=())


def select(
    f: Filters, level: str, unit_id: str, *, town_id: str | None = None, parent_id: str | None = None
) -> Filters:
    """Filters after clicking ``unit_id`` shown at ``level`` (``parent_id``: a grid's community).

    A street/town or community narrows the area (the map then shows the level below); a grid is
    selected among its siblings, and clicking the selected grid again clears it.
    """
    if level == "town":
        return f.with_(towns=(unit_id,), communities=(), grids=())
    towns = (town_id,) if town_id else f.towns
    if level == "community":
        return f.with_(towns=towns, communities=(unit_id,), grids=())
    if level == "grid":
        if f.grids == (unit_id,):
            return f.with_(grids=())
        communities = (parent_id,) if parent_id else f.communities
        return f.with_(towns=towns, communities=communities, grids=(unit_id,))
    raise ValueError(f"unknown level {level!r}")


def up(f: Filters) -> Filters:
    """One level up: drop the deepest part of the selection."""
    if f.grids:
        return f.with_(grids=())
    if f.communities:
        return f.with_(communities=())
    return f.with_(towns=())


def _names(ids: tuple[str, ...], names: dict[str, str], lang: str, what: str) -> str:
    if len(ids) <= 2:
        return "、".join(names.get(i, i) for i in ids)
    return t("n_units", lang).format(n=len(ids), what=t(what, lang))


def crumbs(f: Filters, names: dict[str, dict[str, str]], lang: str = "zh") -> list[tuple[str, Filters]]:
    """The breadcrumb: (label, filters that go back there) from the district down to the selection;
    ``names`` is level → {unit_id → name} (ids repeat across levels)."""
    out = [(t("district", lang), f.with_(towns=(), communities=(), grids=()))]
    if f.towns:
        out.append((_names(f.towns, names.get("town", {}), lang, "town"), f.with_(communities=(), grids=())))
    if f.communities:
        out.append((_names(f.communities, names.get("community", {}), lang, "community"), f.with_(grids=())))
    if f.grids:
        out.append((_names(f.grids, names.get("grid", {}), lang, "grid"), f))
    return out


def ranking(stats: pd.DataFrame, indicator: str, *, lang: str = "zh", selected: str | None = None) -> pd.DataFrame:
    """Units ranked by ``indicator``, worst first: the table beside the map shows who lags.

    Units whose rate rests on fewer than ``maps.MIN_BASE`` cases come after the ranked ones, unnumbered
    (their value is still shown), then units with no value at all.

    Keeps ``unit_id``, ``town_id``, ``parent_id`` (to select a row like a map click) and marks the
    selected unit with ▶.
    """
    better_high = INDICATORS[indicator].direction == "up"
    df = stats.assign(_v=shown_values(stats, indicator))
    df = df.sort_values(
        ["_v", indicator, "unit_id"], ascending=[better_high, better_high, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
    has = df["_v"].notna()
    out = pd.DataFrame(
        {
            "unit_id": df["unit_id"],
            "town_id": df["town_id"],
            "parent_id": df["parent_id"],
            "#": [
                ("▶ " if u == selected else "") + (str(i + 1) if h else "—")
                for i, (u, h) in enumerate(zip(df["unit_id"], has, strict=True))
            ],
            t("name", lang): df["name_zh"],
            f"{t(indicator, lang)} ({INDICATORS[indicator].unit_label(lang)})": [
                fmt(v, indicator) for v in df[indicator]
            ],
        }
    )
    if indicator != "collected":
        out[t("collected", lang)] = df["collected"].astype(int)
    out[t("residents", lang)] = df["residents"]
    return out
