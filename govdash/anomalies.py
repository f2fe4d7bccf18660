"""Spikes in daily case counts against a weekday-adjusted, outlier-robust baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAD_TO_SD = 1.4826  # MAD of a normal distribution times this is its standard deviation

EVENT_COLUMNS = ["start", "end", "days", "peak_date", "peak_count", "observed", "expected", "excess", "ratio", "max_z"]


def _anscombe(v: np.ndarray) -> np.ndarray:
    # variance-stabilising for Poisson counts: about N(2 sqrt(lambda), 1), tails near normal
    return 2.0 * np.sqrt(v + 0.375)


def _robust_z(counts: np.ndarray, weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and robust z of daily counts (days, series); days without full history are NaN.

    The baseline is the median of the same weekday in the previous ``weeks`` weeks. z compares
    Anscombe-transformed count and baseline, 2 sqrt(x + 3/8) - 2 sqrt(median + 3/8), divided by
    the series' spread of that difference (1.4826 MAD over all its tested days), floored at the
    pure-Poisson value sqrt(1 + pi / (2 weeks)) (whose second term is the noise of a median of
    ``weeks`` values). Pooling the spread over days keeps it stable where 8 values would not.
    """
    days, n = counts.shape
    med = np.full((days, n), np.nan)
    lead = 7 * weeks
    if days <= lead:
        return med, med.copy()
    # chunk the series so the (weeks, days, chunk) stack stays around 160 MB at most
    step = max(1, int(2e7 // (weeks * days)))
    for c0 in range(0, n, step):
        block = counts[:, c0 : c0 + step]
        lags = np.stack([block[lead - 7 * k : days - 7 * k] for k in range(1, weeks + 1)])
        med[lead:, c0 : c0 + step] = np.median(lags, axis=0)
    r = _anscombe(counts) - _anscombe(med)
    spread = MAD_TO_SD * np.median(np.abs(r[lead:] - np.median(r[lead:], axis=0)), axis=0)
    return med, r / np.maximum(spread, np.sqrt(1.0 + np.pi / (2 * weeks)))


def detect_spikes(
    daily: pd.DataFrame,
    *,
    keys: list[str] | None = None,
    date: str = "date",
    count: str = "count",
    baseline_weeks: int = 8,
    threshold: float = 3.5,
    min_count: int = 5,
) -> pd.DataFrame:
    """Find spikes per series (e.g. category x town) in daily case counts.

    Each day is compared with the same weekday in the previous ``baseline_weeks`` weeks, so
    ordinary weekly cycles (quiet weekends) are expected; their median keeps the baseline robust
    to past spikes. The robust z compares square roots of count and baseline (Poisson noise
    then looks normal at any level) in units of the series' own MAD spread. A smooth seasonal
    trend moves the median with a lag of about half the window, too little to fire. A day is
    anomalous when z >= ``threshold`` and its count >= ``min_count`` (so that tiny series do
    not fire on 0 -> 2). Consecutive anomalous days of a series make one event.

    Parameters
    ----------
    daily : DataFrame
        One row per day and series: ``date``, the key columns, ``count``. Missing days count 0;
        every series spans the overall first to last date. Pass at least ``baseline_weeks``
        weeks of history before the period of interest: earlier days are not tested.
    keys : list of str, optional
        Columns naming a series; default all columns except ``date`` and ``count``.
    baseline_weeks : int
        Number of previous same-weekday values forming the baseline.
    threshold : float
        Robust z at or above which a day is anomalous.
    min_count : int
        Fewest cases on a day for it to be anomalous.

    Returns
    -------
    DataFrame, one row per event sorted by ``start`` then keys: the key columns, ``start``,
    ``end`` (dates, inclusive), ``days``, ``peak_date``, ``peak_count``, ``observed`` (cases in
    the event), ``expected`` (sum of baseline medians), ``excess`` (observed - expected),
    ``ratio`` (observed / expected, NaN when expected is 0), ``max_z``.
    """
    keys = [c for c in daily.columns if c not in (date, count)] if keys is None else list(keys)
    empty = pd.DataFrame(columns=[*keys, *EVENT_COLUMNS])
    if daily.empty:
        return empty
    by = keys or ["_series"]  # one unnamed series: a constant key, dropped at the end
    d = daily.assign(**{date: pd.to_datetime(daily[date]).dt.normalize(), "_series": 0})
    wide = d.groupby([date, *by])[count].sum().unstack(by, fill_value=0)
    days = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
    wide = wide.reindex(days, fill_value=0)
    x = wide.to_numpy(dtype=float)
    med, z = _robust_z(x, baseline_weeks)
    with np.errstate(invalid="ignore"):
        flag = (z >= threshold) & (x >= min_count)
    if not flag.any():
        return empty

    # runs of flagged days per series: a run starts where a flag follows a non-flag
    pad = np.vstack([np.zeros((1, flag.shape[1]), bool), flag])
    start_mark = pad[1:] & ~pad[:-1]
    day_i, ser_i = np.nonzero(flag)
    order = np.lexsort((day_i, ser_i))
    day_i, ser_i = day_i[order], ser_i[order]
    run = np.cumsum(start_mark[day_i, ser_i]) - 1
    ev = pd.DataFrame(
        {"run": run, "ser": ser_i, "day": day_i, "obs": x[day_i, ser_i], "exp": med[day_i, ser_i], "z": z[day_i, ser_i]}
    )
    peak = ev.loc[ev.groupby("run")["obs"].idxmax(), ["run", "day", "obs"]].set_index("run")
    g = ev.groupby("run")
    out = pd.DataFrame(
        {
            "ser": g["ser"].first(),
            "d0": g["day"].min(),
            "d1": g["day"].max(),
            "days": g.size(),
            "observed": g["obs"].sum(),
            "expected": g["exp"].sum(),
            "max_z": g["z"].max(),
        }
    )
    out["start"] = days[out["d0"].to_numpy()]
    out["end"] = days[out["d1"].to_numpy()]
    out["peak_date"] = days[peak["day"].reindex(out.index).to_numpy()]
    out["peak_count"] = peak["obs"].reindex(out.index).to_numpy().astype(np.int64)
    out["observed"] = out["observed"].astype(np.int64)
    out["excess"] = out["observed"] - out["expected"]
    out["ratio"] = out["observed"] / out["expected"].where(out["expected"] > 0)
    series = wide.columns[out["ser"].to_numpy()]
    key_frame = (
        series.to_frame(index=False) if isinstance(series, pd.MultiIndex) else pd.DataFrame({k: series for k in by})
    )[keys]
    res = pd.concat([key_frame.reset_index(drop=True), out[EVENT_COLUMNS].reset_index(drop=True)], axis=1)
    return res.sort_values(["start", *keys], kind="stable").reset_index(drop=True)
