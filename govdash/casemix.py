"""Case-mix adjustment for rankings: indirect standardisation by category, empirical-Bayes shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHA = 0.05  # units whose counts do not differ at this level (chi-square) are not told apart: they tie
# half-width of the score intervals that make the ranking's bands, in standard deviations: two units with equal
# standard deviations whose 1.39 sd intervals do not overlap differ at the 5 % level (Goldstein & Healy 1995)
BAND_Z = 1.39
# adjusted components: (column of the ranking, events column, exposure column, kind)
# kind 'failures': the rate is 1 - failures ÷ exposure; 'mean': the value is the mean of events per
# exposure, lower better (hours); 'score': a 0-100 score, higher better (its shortfall from 100 is standardised)
COMPONENTS = {
    "resolution_rate": ("unresolved", "collected", "failures"),
    "on_time_rate": ("late", "closed_due", "failures"),
    "recognition_rate": ("unrecognised", "recognition_known", "failures"),
    "dispute_rate": ("disputes_unresolved", "disputes", "failures"),
    "median_hours": ("hours", "closed", "mean"),
    "satisfaction": ("shortfall", "rated", "score"),
}


def standardise(by_cat: pd.DataFrame, events: str, exposure: str, key: str = "key") -> pd.DataFrame:
    """Indirect standardisation: per ``key``, observed = Σ events, expected = Σ over its categories of its
    exposure × the district's rate for the category (Σ events ÷ Σ exposure over all units).

    ``by_cat``: one row per (key, category) with the ``events`` and ``exposure`` columns. Returns key,
    observed, expected, exposure (summed) and ratio = observed ÷ expected (NaN when nothing is expected).
    """
    cat = by_cat.groupby("category")[[events, exposure]].sum()
    rate = (cat[events] / cat[exposure].where(cat[exposure] > 0)).fillna(0.0)
    part = by_cat.assign(expected=by_cat[exposure] * by_cat["category"].map(rate).fillna(0.0))
    out = (
        part.groupby(key)
        .agg(observed=(events, "sum"), expected=("expected", "sum"), exposure=(exposure, "sum"))
        .reset_index()
    )
    out["ratio"] = out["observed"] / out["expected"].where(out["expected"] > 0)
    return out


def differ(observed: np.ndarray, expected: np.ndarray, *, p: float = ALPHA) -> bool:
    """Whether counts ``observed`` differ from ``expected`` more than Poisson chance: Pearson's
    X² = Σ (O - E)² ÷ E over the units with E > 0 above the chi-square quantile 1 - ``p`` with n - 1 df."""
    from scipy.stats import chi2

    o, e = np.asarray(observed, float), np.asarray(expected, float)
    keep = e > 0
    if keep.sum() < 2:
        return False
    x2 = float((((o - e) ** 2)[keep] / e[keep]).sum())
    return x2 > chi2.ppf(1 - p, int(keep.sum()) - 1)


def posterior(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes (Poisson-gamma) ratios and their posterior standard deviations (Marshall 1991).

    The prior is a gamma fitted by moments: m = Σ O ÷ Σ E; between-unit variance
    v = Σ E (O/E - m)² ÷ Σ E - m ÷ Ē (Ē the mean of E); β = m ÷ v, α = m β. Each unit's posterior is
    gamma(O + α, E + β): ratio (O + α) ÷ (E + β), standard deviation √(O + α) ÷ (E + β). When v ≤ 0, or
    the units differ no more than chance (``differ``), every ratio is m with no spread: the units tie.
    Units with E = 0 get m (and no spread: nothing is known of them, they are not told apart).
    """
    o, e = np.asarray(observed, float), np.asarray(expected, float)
    ok = e > 0
    if not ok.any():
        return np.full(len(e), np.nan), np.full(len(e), np.nan)
    m = o[ok].sum() / e[ok].sum()
    sr = o[ok] / e[ok]
    v = (e[ok] * (sr - m) ** 2).sum() / e[ok].sum() - m / e[ok].mean()
    if v <= 0 or not differ(o[ok], e[ok] * m):
        return np.full(len(e), m), np.zeros(len(e))
    beta = m / v
    rate = np.where(ok, e, 0.0) + beta
    return np.where(ok, (o + m * beta) / rate, m), np.where(ok, np.sqrt(o + m * beta) / rate, 0.0)


def shrink(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The empirical-Bayes ratios alone (``posterior``'s first part)."""
    return posterior(observed, expected)[0]


def adjust(by_cat: pd.DataFrame, key: str = "key", *, levels: dict[str, float] | None = None) -> pd.DataFrame:
    """The ranking's components adjusted for case mix and shrunk, per ``key``.

    ``by_cat``: one row per (key, category) with the events and exposures of COMPONENTS (unresolved,
    collected, late, closed_due, …, hours: summed hours to close, shortfall: summed 100 - satisfaction).
    A failure rate becomes 1 - f × r, a mean (hours) m × r, a score 100 - s × r, where f, m, s are the
    district's overall failure rate, mean hours and mean shortfall and r the shrunk standardised ratio.
    Hours and shortfalls are counted in units of the district's variance ÷ mean (from ``<events>_sq``,
    the summed squares; without them, of the mean) before testing and shrinking: a sum of n values of
    mean μ and variance σ² so counted has a Poisson-like spread (mean = variance = n μ² ÷ σ²).
    ``levels`` replaces the district level a component is shown at (the ranking passes the district's
    median hours: r scales the median). Columns: key and one per component (NaN where the unit has no
    exposure), plus ``<component>_ratio`` (the shrunk ratio) and ``<component>_sd`` (the posterior standard
    deviation of the adjusted value: the ratio's times the district level; 0 where the units tie).
    """
    keys = pd.Index(sorted(by_cat[key].dropna().unique()), name=key)  # cases without one count in the rates only
    out = pd.DataFrame(index=keys)
    for comp, (events, exposure, kind) in COMPONENTS.items():
        if events not in by_cat or exposure not in by_cat:
            continue
        total_e, total_x = float(by_cat[events].sum()), float(by_cat[exposure].sum())
        if total_x <= 0:
            out[comp] = out[f"{comp}_sd"] = np.nan
            continue
        level = total_e / total_x  # failure rate, mean hours or mean shortfall
        unit = 1.0
        if kind in ("mean", "score") and level > 0:  # sums of values: counted in units of variance ÷ mean
            sq = f"{events}_sq"
            var = float(by_cat[sq].sum()) / total_x - level**2 if sq in by_cat else level**2
            unit = max(var, 0.0) / level or level
        std = standardise(by_cat.assign(**{events: by_cat[events] / unit}), events, exposure, key).set_index(key)
        std = std.reindex(keys)
        r, sd = posterior(std["observed"].fillna(0).to_numpy(), std["expected"].fillna(0).to_numpy())
        if total_e == 0:  # nobody fails (every case on time …): each unit is at the district's level, exactly
            r, sd = np.ones(len(keys)), np.zeros(len(keys))
        has = std["exposure"].fillna(0).to_numpy() > 0
        r = np.where(has, r, np.nan)
        out[f"{comp}_ratio"] = r
        out[f"{comp}_sd"] = np.where(has, sd * ((levels or {}).get(comp, level) if kind == "mean" else level), np.nan)
        if kind == "failures":
            out[comp] = 1.0 - level * r
        elif kind == "mean":
            out[comp] = (levels or {}).get(comp, level) * r
        else:
            out[comp] = 100.0 - level * r
    return out.reset_index()


def district(by_cat: pd.DataFrame, *, levels: dict[str, float] | None = None) -> dict[str, float]:
    """The district as a whole on each component ``adjust`` computes: the value a unit has at the standardised
    ratio 1 (1 - the failure rate, the mean hours or ``levels``' figure, 100 - the mean shortfall); NaN
    without exposure. What the ranking's lists compare each unit with."""
    out = {}
    for comp, (events, exposure, kind) in COMPONENTS.items():
        if events in by_cat and exposure in by_cat:
            x = float(by_cat[exposure].sum())
            level = float(by_cat[events].sum()) / x if x > 0 else np.nan
            out[comp] = 1 - level if kind == "failures" else 100 - level if kind == "score" else level
            if kind == "mean" and np.isfinite(level):
                out[comp] = (levels or {}).get(comp, level)
    return out
