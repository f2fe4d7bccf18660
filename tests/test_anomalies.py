"""Tests of govdash.anomalies: spikes against a weekday-adjusted robust baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govdash.anomalies import EVENT_COLUMNS, detect_spikes

START = pd.Timestamp("2024-01-01")  # a Monday


def _weekly_series(seed: int, spike_at: int | None = None, spike: int = 50, days: int = 182) -> pd.DataFrame:
    """Weekdays ~30, weekends ~10, a smooth yearly +-20 % seasonal swing, Poisson noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    dates = pd.date_range(START, periods=days, freq="D")
    lam = 30 * (1 + 0.2 * np.sin(2 * np.pi * t / 365)) * np.where(dates.day_of_week >= 5, 1 / 3, 1.0)
    counts = rng.poisson(lam)
    if spike_at is not None:
        counts[spike_at : spike_at + 3] += spike
    return pd.DataFrame({"date": dates, "category": "noise", "town_id": "T1", "count": counts})


def test_constant_series_with_one_spike_hand_computed():
    daily = pd.DataFrame({"date": pd.date_range(START, periods=84), "count": 10})
    daily.loc[70, "count"] = 40
    ev = detect_spikes(daily)
    assert list(ev.columns) == EVENT_COLUMNS
    assert len(ev) == 1
    row = ev.iloc[0]
    assert row["start"] == row["end"] == row["peak_date"] == START + pd.Timedelta(days=70)
    assert (row["days"], row["peak_count"], row["observed"]) == (1, 40, 40)
    assert row["expected"] == 10 and row["excess"] == 30 and row["ratio"] == 4
    # z: Anscombe difference over the Poisson floor (MAD of the other days is 0)
    z = (2 * np.sqrt(40.375) - 2 * np.sqrt(10.375)) / np.sqrt(1 + np.pi / 16)
    assert row["max_z"] == pytest.approx(z)


def test_finds_injected_spike_start_and_size():
    spike_at = 120  # a Tuesday, weeks past the 8-week baseline
    ev = detect_spikes(_weekly_series(seed=7, spike_at=spike_at))
    assert len(ev) == 1
    row = ev.iloc[0]
    assert (row["category"], row["town_id"]) == ("noise", "T1")
    assert row["start"] == START + pd.Timedelta(days=spike_at)
    assert row["end"] == START + pd.Timedelta(days=spike_at + 2)
    assert row["days"] == 3
    assert row["excess"] == pytest.approx(150, abs=30)  # 3 x 50 injected, baseline noise aside
    assert row["ratio"] > 2


def test_weekly_cycle_and_trend_alone_give_no_event():
    assert detect_spikes(_weekly_series(seed=7)).empty


def test_series_are_separate_and_missing_days_count_zero():
    quiet = _weekly_series(seed=7).assign(town_id="T2")
    spiky = _weekly_series(seed=7, spike_at=120)
    daily = pd.concat([quiet, spiky[spiky["date"] != START + pd.Timedelta(days=3)]])  # a gap: zero
    ev = detect_spikes(daily, keys=["category", "town_id"])
    assert ev["town_id"].tolist() == ["T1"]


def test_min_count_guard_on_tiny_series():
    daily = pd.DataFrame({"date": pd.date_range(START, periods=84), "count": 0})
    daily.loc[70, "count"] = 2  # z = (2 sqrt(2.375) - 2 sqrt(0.375)) / 1.094 = 1.70
    assert detect_spikes(daily).empty
    assert detect_spikes(daily, threshold=1.0).empty  # the count guard (5) holds
    assert len(detect_spikes(daily, threshold=1.0, min_count=2)) == 1


def test_needs_full_baseline_and_handles_empty_input():
    daily = pd.DataFrame({"date": pd.date_range(START, periods=56), "count": 1})
    daily.loc[55, "count"] = 100  # day 56 is the first with 8 weeks of history
    assert detect_spikes(daily).empty
    assert detect_spikes(daily.iloc[:0]).empty
