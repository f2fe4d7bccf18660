"""The shared filter state: URL round trip, validation naming the field, previous period and year before."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdash import filters
from govdash.filters import FilterError, Filters

FALLBACK = filters.default(date(2026, 11, 15))


def _as_query(params: dict) -> dict[str, list[str]]:
    """What the browser sends back: every value as a list of strings."""
    return {k: v if isinstance(v, list) else [v] for k, v in params.items()}


def test_default_is_the_last_30_days():
    assert FALLBACK == Filters(start=date(2026, 10, 17), end=date(2026, 11, 15))
    assert filters.default(date(2026, 1, 7), days=7).start == date(2026, 1, 1)


def test_round_trip_full():
    f = Filters(
        start=date(2026, 1, 1),
        end=date(2026, 6, 30),
        towns=("310115005", "310115008"),
        communities=("310115005001",),
        grids=("31011500500101",),
        categories=("noise", "back_lane"),
        channels=("hotline_12345",),
        departments=("D01", "D13"),
    )
    params = f.to_params()
    assert params["from"] == "2026-01-01" and params["to"] == "2026-06-30"
    assert params["town"] == ["310115005", "310115008"] and params["cat"] == ["noise", "back_lane"]
    assert filters.from_params(_as_query(params), FALLBACK) == f


def test_empty_lists_stay_out_of_the_url():
    assert FALLBACK.to_params() == {"from": "2026-10-17", "to": "2026-11-15"}
    assert filters.from_params({}, FALLBACK) == FALLBACK


def test_missing_fields_come_from_the_fallback():
    f = filters.from_params({"town": ["310115005"]}, FALLBACK)
    assert f == FALLBACK.with_(towns=("310115005",))
    f = filters.from_params({"to": ["2026-11-01"]}, FALLBACK)
    assert (f.start, f.end) == (FALLBACK.start, date(2026, 11, 1))


def test_repeated_values_are_kept_once_in_order():
    f = filters.from_params({"town": ["b", "a", "b"]}, FALLBACK)
    assert f.towns == ("b", "a")


def test_unknown_params_are_ignored():
    assert filters.from_params({"lang": ["en"], "mode": ["wall"]}, FALLBACK) == FALLBACK


_ids = st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,40}", fullmatch=True), max_size=4, unique=True).map(tuple)


@given(
    start=st.dates(date(2000, 1, 1), date(2030, 12, 31)), days=st.integers(0, 800), towns=_ids, cats=_ids, depts=_ids
)
def test_round_trip_property(start, days, towns, cats, depts):
    f = Filters(
        start=start, end=date.fromordinal(start.toordinal() + days), towns=towns, categories=cats, departments=depts
    )
    assert filters.from_params(_as_query(f.to_params()), FALLBACK) == f


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": ["2026-13-01"]}, "from"),
        ({"from": ["yesterday"]}, "from"),
        ({"to": ["2026-02-30"]}, "to"),
        ({"to": [""]}, "to"),
        ({"town": ["陆家嘴"]}, "town"),  # names are not ids
        ({"community": ["a b"]}, "community"),
        ({"grid": ["x" * 41]}, "grid"),
        ({"cat": ["noise;"]}, "cat"),
        ({"channel": ["<script>"]}, "channel"),
        ({"dept": ["D01", "../etc"]}, "dept"),
        ({"town": [str(i) for i in range(filters.MAX_VALUES + 1)]}, "town"),
    ],
)
def test_bad_values_name_the_field(params, field):
    with pytest.raises(FilterError) as err:
        filters.from_params(params, FALLBACK)
    assert str(err.value).startswith(field)


def test_from_after_to_is_an_error():
    with pytest.raises(FilterError, match="after"):
        filters.from_params({"from": ["2026-05-02"], "to": ["2026-05-01"]}, FALLBACK)


def test_filter_error_is_a_value_error():
    assert issubclass(FilterError, ValueError)


@pytest.mark.parametrize(
    "start, end, prev_start, prev_end",
    [
        (date(2026, 3, 2), date(2026, 4, 1), date(2026, 1, 30), date(2026, 3, 1)),  # 31 days
        (date(2024, 3, 2), date(2024, 4, 1), date(2024, 1, 31), date(2024, 3, 1)),  # leap year
        (date(2026, 5, 4), date(2026, 5, 4), date(2026, 5, 3), date(2026, 5, 3)),  # one day
        (date(2026, 1, 1), date(2026, 1, 7), date(2025, 12, 25), date(2025, 12, 31)),  # across the year
    ],
)
def test_previous_period(start, end, prev_start, prev_end):
    f = Filters(start=start, end=end, towns=("310115005",))
    p = f.previous()
    assert (p.start, p.end) == (prev_start, prev_end)
    assert (p.end - p.start) == (f.end - f.start)
    assert p.towns == f.towns


@pytest.mark.parametrize(
    "start, end, ys, ye",
    [
        (date(2026, 3, 1), date(2026, 3, 31), date(2025, 3, 1), date(2025, 3, 31)),
        (date(2024, 2, 1), date(2024, 2, 29), date(2023, 2, 1), date(2023, 2, 28)),  # 29 Feb → 28 Feb
        (date(2024, 2, 29), date(2024, 2, 29), date(2023, 2, 28), date(2023, 2, 28)),
        (date(2025, 2, 28), date(2025, 3, 1), date(2024, 2, 28), date(2024, 3, 1)),
    ],
)
def test_year_before(start, end, ys, ye):
    f = Filters(start=start, end=end, categories=("noise",))
    y = f.year_before()
    assert (y.start, y.end) == (ys, ye)
    assert y.categories == ("noise",)


def test_names_are_the_list_fields():
    assert filters.names() == ("towns", "communities", "grids", "categories", "channels", "departments")


def test_filters_are_hashable_cache_keys():
    a = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), towns=("x",))
    assert hash(a) == hash(Filters(start=date(2026, 1, 1), end=date(2026, 1, 31), towns=("x",)))


@pytest.mark.parametrize(
    "start, end, prev_start, prev_end",
    [
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        (date(2026, 1, 1), date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),  # across the year
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)),
    ],
)
def test_previous_of_a_calendar_month_is_the_month_before(start, end, prev_start, prev_end):
    p = Filters(start=start, end=end).previous()
    assert (p.start, p.end) == (prev_start, prev_end)


@pytest.mark.parametrize(
    "as_of, start, end",
    [
        (date(2026, 11, 15), date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)),  # October is not over on its last day
        (date(2026, 1, 10), date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_last_complete_month(as_of, start, end):
    f = filters.last_month(as_of)
    assert (f.start, f.end) == (start, end)
