"""The property red/black list (物业红黑榜): complaints assigned to estates, companies per 1,000 households."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

# the case categories that are about property management (codes of the demo's catalogue), and the words
# that mark one in another district's catalogue (its Chinese category names)
CATEGORIES = ("property", "group_renting")
WORDS = ("物业", "电梯", "停车", "保洁", "群租")
NEAREST_M = 500.0  # a complaint goes to the nearest estate within this distance in its community
NEIGHBOURS = 8  # estates looked at per complaint (the nearest of them in its community wins)


def assign(
    case_xy: np.ndarray,
    case_community: np.ndarray,
    estate_xy: np.ndarray,
    estate_community: np.ndarray,
    *,
    max_m: float = NEAREST_M,
) -> np.ndarray:
    """Index of each complaint's estate: the nearest within ``max_m`` metres in the same community, else -1.

    Parameters
    ----------
    case_xy, estate_xy : (n, 2), (m, 2) metres in a metric CRS
    case_community, estate_community : community ids; a complaint without one (None / NaN) takes the
        nearest estate within ``max_m`` wherever it is
    """
    n = len(case_xy)
    out = np.full(n, -1, np.int64)
    if n == 0 or len(estate_xy) == 0:
        return out
    k = min(NEIGHBOURS, len(estate_xy))
    dist, idx = cKDTree(np.asarray(estate_xy, float)).query(np.asarray(case_xy, float), k=k)
    dist, idx = dist.reshape(n, k), idx.reshape(n, k)
    comm = pd.Series(case_community, dtype=object)
    known = comm.notna().to_numpy()
    same = (
        np.asarray(estate_community, dtype=object)[np.minimum(idx, len(estate_xy) - 1)]
        == np.asarray(comm, dtype=object)[:, None]
    )
    ok = (dist <= max_m) & (same | ~known[:, None])
    first = np.argmax(ok, axis=1)  # neighbours come nearest first
    hit = ok[np.arange(n), first]
    out[hit] = idx[np.arange(n), first][hit]
    return out


def company_rates(
    estates: pd.DataFrame, complaints: pd.Series, *, min_households: int = 500, list_size: int = 5
) -> tuple[pd.DataFrame, float]:
    """Per company: estates, households, complaints, complaints per 1,000 households, rank (1 = fewest),
    list ('red' best / 'black' worst / '') and eligible (manages ≥ ``min_households``).

    ``estates``: estate_id, company_id, households (and company names, kept); ``complaints``: complaints
    per estate_id. Returns the table and the district rate (all assigned complaints ÷ all households × 1,000).
    """
    from govdash.rankings import red_black

    e = estates.assign(complaints=estates["estate_id"].map(complaints).fillna(0).astype(int))
    names = [c for c in ("name_zh", "name_en") if c in e]
    out = (
        e.groupby("company_id", dropna=False)
        .agg(
            estates=("estate_id", "size"),
            households=("households", "sum"),
            complaints=("complaints", "sum"),
            **{c: (c, "first") for c in names},
        )
        .reset_index()
    )
    total = float(out["households"].sum())
    district = float(out["complaints"].sum()) / total * 1000 if total > 0 else float("nan")
    out["rate"] = out["complaints"] / out["households"].where(out["households"] > 0) * 1000
    out["eligible"] = (out["households"] >= min_households) & out["rate"].notna()
    out["rank"] = out["rate"].where(out["eligible"]).rank(method="min")
    out["key"] = out["company_id"]
    red, black = red_black(out, list_size)
    out["list"] = np.where(out["key"].isin(red["key"]), "red", np.where(out["key"].isin(black["key"]), "black", ""))
    return out.sort_values(["rank", "key"], na_position="last").drop(columns="key").reset_index(drop=True), district


def warned(rates: pd.DataFrame, district: float, factor: float) -> pd.Series:
    """Companies at or over the warning line (``factor`` × the district's rate per 1,000 households)."""
    return rates["eligible"] & (rates["rate"] >= factor * district)


def monthly(estates: pd.DataFrame, assigned: pd.DataFrame) -> pd.DataFrame:
    """Complaints per 1,000 households per company and month: month, company_id, complaints, rate.

    ``assigned``: one row per assigned complaint with estate_id and month. Months without a complaint
    count 0 for every company.
    """
    if assigned.empty:
        return pd.DataFrame({"month": [], "company_id": [], "complaints": [], "rate": []})
    households = estates.groupby("company_id")["households"].sum().astype(float)
    per = assigned.merge(estates[["estate_id", "company_id"]], on="estate_id").groupby(["month", "company_id"]).size()
    months = sorted(assigned["month"].unique())
    grid = pd.MultiIndex.from_product([months, households.index], names=["month", "company_id"])
    out = per.reindex(grid, fill_value=0).rename("complaints").reset_index()
    out["rate"] = out["complaints"] / out["company_id"].map(households) * 1000
    return out


def assigned_complaints(complaints: pd.DataFrame, estates: pd.DataFrame, metric_crs: str) -> pd.DataFrame:
    """``complaints`` (lon, lat, community_id, WGS-84) with the estate_id each is assigned to (None: no estate
    within NEAREST_M in its community); points projected to ``metric_crs`` for the distances."""
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    cx, cy = tr.transform(complaints["lon"].to_numpy(float), complaints["lat"].to_numpy(float))
    ex, ey = tr.transform(estates["lon"].to_numpy(float), estates["lat"].to_numpy(float))
    idx = assign(
        np.column_stack([cx, cy]),
        complaints["community_id"].to_numpy(object),
        np.column_stack([ex, ey]),
        estates["community_id"].to_numpy(object),
    )
    ids = estates["estate_id"].to_numpy(object)
    return complaints.assign(estate_id=np.where(idx >= 0, ids[np.maximum(idx, 0)], None))


def trend_wide(trend: pd.DataFrame, rates: pd.DataFrame, district: pd.Series | None, label: str) -> pd.DataFrame:
    """The monthly rates of the black-listed companies (else the five highest) by name, and the district's
    (``district``: rate per month) under ``label``, one column each, indexed by month: a line chart's input."""
    worst = rates.loc[rates["list"] == "black", "company_id"].tolist()
    if not worst:
        worst = rates[rates["eligible"]].sort_values("rate", ascending=False)["company_id"].head(5).tolist()
    names = dict(zip(rates["company_id"], rates["name_zh"], strict=True)) if "name_zh" in rates else {}
    part = trend[trend["company_id"].isin(worst)]
    wide = part.pivot(index="month", columns="company_id", values="rate").rename(columns=names)
    if district is not None and len(wide):
        wide[label] = district.reindex(wide.index).to_numpy()
    return wide
