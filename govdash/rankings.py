"""Rankings (红黑榜): streets/towns and departments scored CityScore-style on each indicator ÷ its target."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from govdash import casemix, queries, queries_trend
from govdash.db import Database
from govdash.filters import Filters
from govdash.indicators import INDICATORS, target
from govdash.settings import Settings

BAND_Z = casemix.BAND_Z

COMPONENTS = ("resolution_rate", "on_time_rate", "recognition_rate", "dispute_rate", "satisfaction", "median_hours")
LEVELS = ("town", "department")


def ratios(stats: pd.DataFrame, targets: dict[str, float], *, cap: float = 1.2) -> pd.DataFrame:
    """``ratio_<k>`` = value ÷ target (target ÷ value when lower is better), capped at ``cap``; NaN without data."""
    out = pd.DataFrame(index=stats.index)
    for k, goal in targets.items():
        v = stats[k].astype(float)
        with np.errstate(divide="ignore"):
            r = goal / v if INDICATORS[k].direction == "down" else v / goal  # 0 hours → inf → cap
        out[f"ratio_{k}"] = r.clip(upper=cap)
    return out


def ratio_sd(stats: pd.DataFrame, targets: dict[str, float], *, cap: float = 1.2) -> pd.DataFrame:
    """``sd_ratio_<k>``: the standard deviation of each ratio from ``sd_<k>`` (the value's, e.g. the case-mix
    posterior's; 0 without it): sd ÷ target, or target × sd ÷ value² when lower is better (the delta method);
    0 where the ratio sits at the cap (a change of the value does not move it)."""
    out = pd.DataFrame(index=stats.index)
    for k, goal in targets.items():
        v = stats[k].astype(float)
        sd = stats[f"sd_{k}"].astype(float) if f"sd_{k}" in stats else pd.Series(0.0, index=stats.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            down = INDICATORS[k].direction == "down"
            r = goal / v if down else v / goal
            s = goal * sd / v**2 if down else sd / goal
        out[f"sd_ratio_{k}"] = s.where(r < cap, 0.0).fillna(0.0)
    return out


def composite(
    stats: pd.DataFrame, targets: dict[str, float], weights: dict[str, float], *, cap: float = 1.2, min_cases: int = 30
) -> pd.DataFrame:
    """Add ratio columns, ``score`` (weighted mean of the available ratios), its interval ``score_lo`` –
    ``score_hi``, ``eligible`` and ``rank`` (1 = best): the unit's band (``bands``).

    A unit lacking an indicator (no disputes, no rated case) is scored on the others, their
    weights renormalised. Units with fewer than ``min_cases`` collected cases are not ranked.
    The score's standard deviation combines the ratios' (``ratio_sd``) as independent:
    √Σ (wₖ ÷ Σw)² sdₖ²; the interval is ± casemix.BAND_Z of it (zero wide without ``sd_<k>`` columns,
    so equal scores share a band and each other score has its own).
    """
    keys = [k for k in targets if targets[k] and weights.get(k, 0) > 0]
    r = ratios(stats, {k: targets[k] for k in keys}, cap=cap)
    sds = ratio_sd(stats, {k: targets[k] for k in keys}, cap=cap).to_numpy(float)
    w = np.array([weights[k] for k in keys], float)
    vals = r.to_numpy(float)
    have = ~np.isnan(vals)
    num = np.where(have, vals, 0.0) @ w
    den = have.astype(float) @ w
    safe = np.where(den > 0, den, 1.0)
    out = pd.concat([stats, r], axis=1)
    out["score"] = np.where(den > 0, num / safe, np.nan)
    sd = np.sqrt(((np.where(have, sds, 0.0) * w) ** 2).sum(axis=1)) / safe
    out["score_lo"] = out["score"] - casemix.BAND_Z * sd
    out["score_hi"] = out["score"] + casemix.BAND_Z * sd
    out["eligible"] = (stats["collected"].fillna(0) >= min_cases) & out["score"].notna()
    out["rank"] = bands(out)
    return out


def bands(scored: pd.DataFrame) -> pd.Series:
    """Rank bands of the eligible units (NaN for the others): units whose scores cannot be told apart share one.

    Down the scores (best first; equal scores by key), the best unit opens band 1 and leads it; each next
    unit joins the current band when its interval reaches the leader's (``score_hi`` ≥ the leader's
    ``score_lo``), else it opens and leads the next band. Bands follow the scores (a better score never has a
    worse band), and a unit is apart from its band's leader only when their intervals are apart.
    """
    by = ["score", "key"] if "key" in scored else ["score"]
    ok = scored[scored["eligible"]].sort_values(by, ascending=[False] + [True] * (len(by) - 1))
    out = pd.Series(np.nan, index=scored.index)
    band, floor = 0, np.inf
    for idx, lo, hi in zip(ok.index, ok["score_lo"], ok["score_hi"], strict=True):
        if hi < floor - 1e-12:  # below the leader's interval (a tolerance: equal scores computed apart)
            band, floor = band + 1, lo
        out[idx] = band
    return out


def _all_tied(ranked: pd.DataFrame) -> bool:
    """Whether every ranked unit shares one band (the case-mix check found no difference beyond chance)."""
    return ranked["rank"].dropna().nunique() <= 1


def with_movement(now: pd.DataFrame, before: pd.DataFrame, key: str = "key") -> pd.DataFrame:
    """Add ``prev_rank``, ``movement`` (bands gained since the previous period; NaN if unranked then) and
    ``movement_known``: False in both periods when either ranks every unit alike — going from "all equal"
    to a spread is no movement of anyone (it read as ▲24 / ▼24 for departments that merely stopped tying)."""
    prev = before.set_index(key)["rank"]
    out = now.copy()
    out["prev_rank"] = out[key].map(prev)
    out["movement"] = out["prev_rank"] - out["rank"]
    out["movement_known"] = not (_all_tied(now) or _all_tied(before))
    return out


def red_black(ranked: pd.DataFrame, n: int, district: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The red list (good) and the black list (排名后n位: a list, not 挂牌督办), worst first, at most ``n`` units
    each, and with fewer than 2 n ranked units at most half of them, so no unit is on both.

    With ``district`` (the district's own score): a funnel-plot rule — red are the units whose whole score
    interval lies above the district, black those whose whole interval lies below it, the surest first
    (the red by ``score_lo``, the black by ``score_hi``); a unit the data cannot tell from the district is on
    neither. Without it (no intervals: the raw ranking, the property companies' places): whole bands only,
    from the top and from the bottom — splitting a band would let chance pick who is named — the worst band
    never red, the best never black; a list is empty when its outermost band alone is larger than allowed.
    """
    by = ["rank", "score", "key"] if "score" in ranked else ["rank", "key"]  # the property list has no score
    ok = ranked[ranked["eligible"]].sort_values(by, ascending=[by_ != "score" for by_ in by])
    k = min(n, len(ok) // 2)
    if district is not None and np.isfinite(district):
        red = ok[ok["score_lo"] > district].sort_values(["score_lo", "key"], ascending=[False, True]).head(k)
        black = ok[ok["score_hi"] < district].sort_values(["score_hi", "key"]).head(k)
        return red, black
    sizes = ok.groupby("rank").size()
    if not k or len(sizes) < 2:
        return ok.head(0), ok.head(0)
    top = sizes.index[(sizes.cumsum() <= k).to_numpy()]
    bottom = sizes.index[(sizes[::-1].cumsum() <= k).to_numpy()[::-1]]
    red = ok[ok["rank"].isin(top) & (ok["rank"] < sizes.index.max())]
    black = ok[ok["rank"].isin(bottom) & (ok["rank"] > sizes.index.min())].iloc[::-1]
    return red, black


def score_settings(s: Settings) -> tuple[dict[str, float], dict[str, float]]:
    """Targets and weights of the score components from settings."""
    return ({k: target(k, s) for k in COMPONENTS}, {k: getattr(s, f"weight_{k}") for k in COMPONENTS})


def _stats(db: Database, f: Filters, level: str, at: datetime) -> pd.DataFrame:
    if level == "town":
        names = queries.towns(db, scope=f.scope)[["unit_id", "name_zh", "name_en"]].rename(columns={"unit_id": "key"})
    else:
        names = queries.departments(db).rename(columns={"department_id": "key"})
    stats = queries_trend.split_indicators(db, f, level, at)
    out = names.merge(stats, on="key", how="left")
    out["collected"] = out["collected"].fillna(0).astype(int)
    return out


def _adjusted(db: Database, f: Filters, level: str, stats: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """``stats`` with each component adjusted for case mix and shrunk toward the district (govdash.casemix), and
    its posterior standard deviation as ``sd_<component>`` (the score's interval, so its band); and the
    district's own components (``casemix.district``: what the lists compare each unit with)."""
    by_cat = queries_trend.split_by_category(db, f, level)
    if by_cat.empty:
        return stats, {}
    median = queries_trend.median_hours(db, f)
    levels = {"median_hours": median} if np.isfinite(median) else None
    adj = casemix.adjust(by_cat, levels=levels)
    out = stats.copy()
    by_key = adj.set_index("key")
    for k in casemix.COMPONENTS:
        if k in by_key:
            out[k] = out["key"].map(by_key[k])
            out[f"sd_{k}"] = out["key"].map(by_key[f"{k}_sd"])
    return out, casemix.district(by_cat, levels=levels)


def scope(f: Filters, level: str) -> Filters:
    """Rank every unit of the level: drop the filter's own choice of units of that level (kept for highlighting)."""
    return f.with_(towns=(), communities=(), grids=()) if level == "town" else f.with_(departments=())


def _scored(db: Database, f: Filters, level: str, at: datetime, s: Settings) -> tuple[pd.DataFrame, float | None]:
    """The units' raw indicators, scored (on the case-mix adjusted values when the method says so), and the
    district's own score (None for the raw method: no intervals to compare it with)."""
    targets, weights = score_settings(s)
    kw = {"cap": s.score_cap, "min_cases": s.ranking_min_cases}
    stats = _stats(db, f, level, at)
    if s.ranking_method != "adjusted":
        return composite(stats, targets, weights, **kw), None
    adjusted, whole = _adjusted(db, f, level, stats)
    out = composite(adjusted, targets, weights, **kw)
    for k in casemix.COMPONENTS:  # scored on the adjusted values; the table shows the rates as they are
        out[f"adjusted_{k}"] = out[k]
        out[k] = stats[k]
    return out, district_score(whole, s)


def district_score(whole: dict[str, float], s: Settings) -> float | None:
    """The district's own score from its components (``casemix.district``); None without them."""
    if not whole:
        return None
    targets, weights = score_settings(s)
    row = pd.DataFrame([{**whole, "key": "", "collected": 0}])
    return float(composite(row, targets, weights, cap=s.score_cap, min_cases=0)["score"].iloc[0])


def ranking(
    db: Database, f: Filters, level: str, at: datetime, s: Settings, previous: Filters | None = None
) -> pd.DataFrame:
    """Scored and ranked towns or departments for the filter period, with movement since the previous period.

    ``previous`` defaults to ``f.previous()`` (the equally long period before); the briefing passes
    the previous calendar month. Adds ``list`` ('red', 'black' or '': ``red_black``, against the district's
    own score with the adjusted method) and ``district_score`` (that score; NaN with the raw method).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    fr = scope(f, level)
    now, district = _scored(db, fr, level, at, s)
    before, _ = _scored(db, scope(previous, level) if previous is not None else fr.previous(), level, at, s)
    out = with_movement(now, before)
    red, black = red_black(out, s.ranking_list_size, district)
    out["list"] = np.where(out["key"].isin(red["key"]), "red", np.where(out["key"].isin(black["key"]), "black", ""))
    out["district_score"] = np.nan if district is None else district
    # within a band by score (the band is the rank: the order inside it is for reading, not a verdict)
    return out.sort_values(["rank", "score", "key"], ascending=[True, False, True], na_position="last").reset_index(
        drop=True
    )


def filter_to(f: Filters, level: str, key: str) -> Filters:
    """The app's filter narrowed to one ranked street/town or department (what clicking its row does)."""
    if level == "town":
        return f.with_(towns=(key,), communities=(), grids=())
    return f.with_(departments=(key,))


def movement_text(m, lang: str = "zh", known: bool = True) -> str:
    """▲n / ▼n places since the previous period, 'unchanged', 'new' when it was not ranked then, or "—" when
    ``known`` is False (one of the two periods ranks every unit alike)."""
    from govdash.i18n import MISSING, t

    if not known:
        return MISSING
    if pd.isna(m):
        return t("rank_new", lang)
    return f"▲{int(m)}" if m > 0 else (f"▼{int(-m)}" if m < 0 else t("rank_same", lang))


def band_text(ranked: pd.DataFrame, s: Settings, lang: str = "zh") -> str:
    """How the ranks and lists are made (the bands, the district's score, the fewest cases), for the page
    and the briefing."""
    from govdash.i18n import MISSING, t

    whole = ranked["district_score"].dropna() if "district_score" in ranked else pd.Series(dtype=float)
    return t("band_method", lang).format(
        z=BAND_Z,
        district=f"{whole.iloc[0]:.3f}" if len(whole) else MISSING,
        n=s.ranking_list_size,
        min_cases=s.ranking_min_cases,
    )


def list_title(key: str, n: int, lang: str = "zh", *, apart: bool = False) -> str:
    """'排名前五位' / '排名后五位' ('Top 5' / 'Bottom 5'): ``key`` red_list or black_list, ``n`` the list's size
    (a Chinese numeral up to ten, as office documents write it); with ``apart`` the lists of units apart from
    the district ('红榜：明显好于全区（三个）')."""
    from govdash.i18n import t

    words = t("list_numerals", lang).split(",")
    word = words[n - 1] if 1 <= n <= len(words) else str(n)
    return t(f"{key}_apart" if apart else key, lang).format(n=word)


def black_list_name(s, lang: str = "zh") -> str:
    """The black list's name in the bottom note: '黑榜' for lists of units apart from the district (the
    case-mix adjusted method), '排名后五位' for lists by place."""
    from govdash.i18n import t

    if s.ranking_method == "adjusted":
        return t("black_list_word", lang)
    return list_title("black_list", s.ranking_list_size, lang)


def names(ranked: pd.DataFrame, level: str, lang: str = "zh") -> pd.Series:
    """The ranked units' names in ``lang``: streets/towns always by their Chinese name (place names stay Chinese),
    departments by their English name in English where they have one."""
    from govdash.i18n import pick

    zh = ranked["name_zh"]
    return zh if level == "town" else pick(zh, ranked["name_en"].fillna(zh), lang)


def display_table(
    ranked: pd.DataFrame, level: str, lang: str = "zh", selected: tuple = (), *, method: str = "adjusted"
) -> pd.DataFrame:
    """The ranking for reading: rank (band), movement arrows, name, list, score and its interval, each ratio and
    the raw indicators. The list column names the lists as the page does for ``method`` (setting
    ``ranking_method``): 红榜/黑榜 for units apart from the district, 靠前/靠后 for lists by place."""
    from govdash.i18n import t
    from govdash.indicators import fmt

    name = names(ranked, level, lang)
    known = ranked["movement_known"] if "movement_known" in ranked else pd.Series(True, index=ranked.index)
    move = [
        movement_text(m, lang, k) if e else ""
        for m, e, k in zip(ranked["movement"], ranked["eligible"], known, strict=True)
    ]
    short = ("red_badge", "black_badge") if method == "adjusted" else ("red_short", "black_short")
    badge = ranked["list"].map({"red": t(short[0], lang), "black": t(short[1], lang)}).fillna("")
    out = pd.DataFrame(
        {
            t("rank_band", lang): ranked["rank"].astype("Int64"),
            t("movement", lang): move,
            t("town" if level == "town" else "department", lang): [
                ("● " if k in selected else "") + str(n) for k, n in zip(ranked["key"], name, strict=True)
            ],
            t("list", lang): badge,
            t("score", lang): ranked["score"].round(3),
            t("score_range", lang): [
                f"{lo:.3f}–{hi:.3f}" if pd.notna(lo) else ""
                for lo, hi in zip(ranked["score_lo"], ranked["score_hi"], strict=True)
            ],
            t("collected", lang): ranked["collected"],
        }
    )
    for k in COMPONENTS:
        out[t(k, lang)] = [fmt(v, k) for v in ranked[k]]
    out.loc[~ranked["eligible"].to_numpy(), t("rank_band", lang)] = pd.NA
    return out


def property_board(db: Database, f: Filters, s: Settings, metric_crs: str, months: int = 6) -> dict:
    """The property red/black list for the filter: companies ranked by complaints per 1,000 households
    (govdash.property), the district rate, the warning line, complaints without an estate, and the monthly
    rates over the ``months`` months to the period's end (``trend``: month, company_id, complaints, rate)."""
    from govdash import property as prop
    from govdash import queries_property

    est = queries_property.estates(db, f)
    now = prop.assigned_complaints(queries_property.complaints(db, f), est, metric_crs)
    rates, district = prop.company_rates(
        est,
        now["estate_id"].value_counts(),
        min_households=s.property_min_households,
        list_size=s.ranking_list_size,
    )
    rates["warned"] = prop.warned(rates, district, s.property_warning_factor)
    first = (pd.Timestamp(f.end).to_period("M") - (months - 1)).to_timestamp().date()
    past = prop.assigned_complaints(queries_property.complaints(db, f.with_(start=first)), est, metric_crs)
    trend = prop.monthly(est, past.dropna(subset=["estate_id"]))
    households = float(est["households"].sum())
    per_month = trend.groupby("month")["complaints"].sum() / households * 1000 if households else None
    return {
        "rates": rates,
        "district": district,
        "warning": s.property_warning_factor * district,
        "unassigned": int(now["estate_id"].isna().sum()),
        "trend": trend,
        "district_trend": per_month,
        "categories": queries_property.category_names(db),
    }


def property_table(rates: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The property companies for reading: rank, company, list, estates, households, complaints, rate, warning."""
    from govdash.i18n import t

    out = pd.DataFrame(
        {
            t("ranking", lang): rates["rank"].astype("Int64"),
            t("prop_company", lang): rates["label"],
            t("list", lang): rates["list"]
            .map({"red": t("red_badge", lang), "black": t("black_badge", lang)})
            .fillna(""),
            t("prop_estates", lang): rates["estates"],
            t("prop_households", lang): rates["households"],
            t("prop_complaints", lang): rates["complaints"],
            t("prop_rate", lang): rates["rate"].round(2),
            t("prop_warning", lang): np.where(rates["warned"], "⚠ " + t("prop_warned", lang), ""),
        }
    )
    out.loc[~rates["eligible"].to_numpy(), t("ranking", lang)] = pd.NA
    return out
