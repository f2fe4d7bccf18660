"""Stations at work: use against expected use, 错时延时 hours kept, and 居村 coverage (DataFrames in and out)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

BELOW = 0.5  # a station delivering under this share of its expected services is "below expected use"
MIN_EXPECTED = 10.0  # fewer expected services than this: too few to call a station under-used
KEPT_SHARE = 0.5  # 错时延时 is kept in a period when at least this share of its weeks saw an out-of-hours record


def weeks(start: date, end: date) -> int:
    """Monday-based weeks the days ``start``–``end`` (inclusive) touch."""
    monday = start - timedelta(days=start.weekday())
    return (end - monday).days // 7 + 1


def expected_use(
    activity: pd.DataFrame, served: pd.DataFrame, *, below: float = BELOW, min_expected: float = MIN_EXPECTED
) -> pd.DataFrame:
    """Each station's services against what its residents would bring at the area's rate.

    Parameters
    ----------
    activity : station_id, level, services (records in the period)
    served : station_id, residents (residents the station serves: those nearest it within the walk)

    Returns ``activity`` with ``residents``, ``expected`` (services the station would deliver at its
    level's rate: Σ services ÷ Σ residents over the stations of that level that serve anyone, times
    its residents), ``use_ratio`` = services ÷ expected and ``below`` (use_ratio < ``below`` where at least
    ``min_expected`` services were expected: fewer are chance). A station serving nobody has no expectation
    (NaN, never below).
    """
    out = activity.merge(served[["station_id", "residents"]], on="station_id", how="left")
    out["residents"] = out["residents"].fillna(0.0).astype(float)
    serving = out["residents"] > 0
    rate = (out[serving].groupby("level")["services"].sum() / out[serving].groupby("level")["residents"].sum()).replace(
        [np.inf], np.nan
    )
    out["expected"] = (out["level"].map(rate) * out["residents"]).where(serving)
    out["use_ratio"] = out["services"] / out["expected"].where(out["expected"] > 0)
    out["below"] = ((out["use_ratio"] < below) & (out["expected"] >= min_expected)).fillna(False).astype(bool)
    return out


def hours_kept(activity: pd.DataFrame, start: date, end: date, *, share: float = KEPT_SHARE) -> pd.Series:
    """错时延时 per station: 'kept' (declared, and an out-of-hours record in ≥ ``share`` of the period's weeks),
    'not_kept' (declared, fewer), 'standard' (not declared). ``activity``: extended_hours, weeks_kept."""
    declared = activity["extended_hours"].fillna(False).astype(bool)
    kept = activity["weeks_kept"] >= share * weeks(start, end)
    return pd.Series(np.where(declared, np.where(kept, "kept", "not_kept"), "standard"), index=activity.index)


def community_coverage(communities: pd.DataFrame) -> dict:
    """居村 coverage: 居村 with at least one doorstep station ÷ all 居村 (``communities``: stations per 居村),
    with the residents of the 居村 without one."""
    n = len(communities)
    has = communities["stations"] > 0
    return {
        "communities": n,
        "with_station": int(has.sum()),
        "share": float(has.sum() / n) if n else float("nan"),
        "residents_without": int(communities.loc[~has, "residents"].fillna(0).sum()),
    }


def station_table(
    listing: pd.DataFrame,
    activity: pd.DataFrame,
    start: date,
    end: date,
    *,
    below: float = BELOW,
    min_expected: float = MIN_EXPECTED,
) -> pd.DataFrame:
    """The station directory (service_circle.directory: station_id, level, extended_hours, residents served)
    with the period's activity (queries_stations.station_activity): services, served_residents, expected,
    use_ratio, below, hours ('kept' | 'not_kept' | 'standard') and meetings (三会 held)."""
    counts = [c for c in activity.columns if c != "station_id"]
    out = listing.merge(activity, on="station_id", how="left")
    out[counts] = out[counts].fillna(0).astype(int)
    use = expected_use(
        out[["station_id", "level", "services"]],
        out[["station_id", "residents"]],
        below=below,
        min_expected=min_expected,
    )
    out[["expected", "use_ratio", "below"]] = use[["expected", "use_ratio", "below"]].to_numpy()
    out["below"] = out["below"].astype(bool)
    out["hours"] = hours_kept(out, start, end)
    out["meetings"] = out["hearing"] + out["coordination"] + out["review"]
    return out


def summary(table: pd.DataFrame) -> dict:
    """Headline figures of ``station_table``: services, residents served, stations below expected use,
    stations declaring 错时延时 and those keeping it, 三会 by type."""
    declared = table["hours"] != "standard"
    return {
        "services": int(table["services"].sum()),
        "served_residents": int(table["served_residents"].sum()),
        "stations": len(table),
        "below": int(table["below"].sum()),
        "declared": int(declared.sum()),
        "kept": int((table["hours"] == "kept").sum()),
        **{k: int(table[k].sum()) for k in ("hearing", "coordination", "review")},
    }


def directory_view(listing: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The station directory folded to fit one 1920 px screen in either language (issue 18): the 四站一室 as one
    column (``functions``: 齐全 / complete, or the ones missing), the three tiers' item counts as one
    (``tiers``: baseline / basic / quality) and the opening hours with the 错时延时 mark (``opening``: only
    when the operating columns, which judge the hours kept, are not shown — ``hours`` absent)."""
    from govdash.i18n import t
    from govdash.schema import FUNCTIONS, ITEM_TIERS

    out = listing.copy()
    have = out[list(FUNCTIONS)].fillna(False).astype(bool)
    missing = [
        [t(fn[2:] + "_short", lang) for fn, ok in zip(FUNCTIONS, row, strict=True) if not ok]
        for row in have.itertuples(index=False)
    ]
    out["functions"] = [
        t("fn_all", lang) if not m else t("fn_missing", lang).format(names=t("name_sep", lang).join(m)) for m in missing
    ]
    out["tiers"] = [" / ".join(str(int(v)) for v in row) for row in out[list(ITEM_TIERS)].itertuples(index=False)]
    late = "hours" not in out and out["extended_hours"].fillna(False).astype(bool)
    out["opening"] = out["opening_hours"].fillna("") + np.where(late, " · " + t("extended_hours", lang), "")
    return out
