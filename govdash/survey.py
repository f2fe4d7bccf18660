"""Satisfaction survey (6 dimensions × street/town × quarter) and the social governance index: spread and progress."""

from __future__ import annotations

import pandas as pd

from govdash.schema import SURVEY_DIMENSIONS


def quarter_of(day) -> str:
    """'2026Q4' for a date."""
    ts = pd.Timestamp(day)
    return f"{ts.year}Q{ts.quarter}"


def latest_quarter(scores: pd.DataFrame, upto) -> str | None:
    """The newest surveyed quarter not after the quarter of ``upto``."""
    q = sorted(x for x in scores["quarter"].unique() if x <= quarter_of(upto))
    return q[-1] if q else None


def matrix(scores: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Town × dimension scores of one quarter (rows: town names, ordered by their mean, best first)."""
    q = scores[scores["quarter"] == quarter]
    wide = q.pivot_table(index="name_zh", columns="dimension", values="score", aggfunc="mean")
    wide = wide.reindex(columns=[d for d in SURVEY_DIMENSIONS if d in wide.columns])
    return wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]


def spread(scores: pd.DataFrame) -> pd.DataFrame:
    """Per quarter and dimension ('overall' = mean of the dimensions): min, median, max across towns and who."""
    overall = (
        scores.groupby(["quarter", "town_id", "name_zh"], as_index=False)["score"].mean().assign(dimension="overall")
    )
    both = pd.concat([scores, overall], ignore_index=True)
    g = both.groupby(["quarter", "dimension"])["score"]
    out = g.agg(["min", "median", "max"]).reset_index()
    lo = both.loc[g.idxmin(), ["quarter", "dimension", "name_zh"]].rename(columns={"name_zh": "min_town"})
    hi = both.loc[g.idxmax(), ["quarter", "dimension", "name_zh"]].rename(columns={"name_zh": "max_town"})
    out = out.merge(lo, on=["quarter", "dimension"]).merge(hi, on=["quarter", "dimension"])
    out["range"] = out["max"] - out["min"]
    return out


def town_overall(scores: pd.DataFrame) -> pd.DataFrame:
    """Each town's mean over the dimensions per quarter."""
    return scores.groupby(["quarter", "town_id", "name_zh"], as_index=False)["score"].mean()


def governance_progress(gov: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Sub-domain scores of ``year`` (default the newest) against the year before, with the change.

    Rows: 'overall', 'progress' (the progress index), then the sub-domains alphabetically.
    """
    if gov.empty:
        return pd.DataFrame(columns=["subdomain", "score", "previous", "change"])
    year = int(gov["year"].max()) if year is None else year
    now = gov[gov["year"] == year].set_index("subdomain")["score"]
    before = gov[gov["year"] == year - 1].set_index("subdomain")["score"]
    out = pd.DataFrame({"score": now, "previous": before.reindex(now.index)})
    out["change"] = out["score"] - out["previous"]
    out = out.reset_index().rename(columns={"index": "subdomain"})
    first = out["subdomain"].map({"overall": 0, "progress": 1}).fillna(2)  # the totals lead
    return out.assign(_o=first).sort_values(["_o", "subdomain"]).drop(columns="_o").reset_index(drop=True)


def spread_table(spread_q: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """One quarter's spread per dimension, labelled for display (overall first)."""
    from govdash.i18n import t

    order = {d: i for i, d in enumerate(("overall", *SURVEY_DIMENSIONS))}
    s = spread_q.assign(_o=spread_q["dimension"].map(order)).sort_values("_o")
    return pd.DataFrame(
        {
            t("dimension", lang): [t(d, lang) for d in s["dimension"]],
            t("median", lang): s["median"].round(1).to_numpy(),
            t("lowest", lang): [f"{v:.1f} {n}" for v, n in zip(s["min"], s["min_town"], strict=True)],
            t("highest", lang): [f"{v:.1f} {n}" for v, n in zip(s["max"], s["max_town"], strict=True)],
            t("spread", lang): s["range"].round(1).to_numpy(),
        }
    )
