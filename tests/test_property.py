"""The property red/black list (issue 18 item 4): complaints to estates, companies per 1,000 households by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from govdash import property as prop


def test_a_complaint_goes_to_the_nearest_estate_of_its_community():
    estates = np.array([[0.0, 0.0], [100.0, 0.0], [1000.0, 0.0]])
    communities = np.array(["C1", "C2", "C1"], dtype=object)
    cases = np.array([[10.0, 0.0], [90.0, 0.0], [600.0, 0.0], [95.0, 0.0], [5000.0, 0.0]])
    of = np.array(["C1", "C1", "C1", None, None], dtype=object)
    # 10 m from E0; 90 m from E0 (E1 is 10 m away but in C2); 600 m from E0, 400 m from E2: none within 300 m;
    # no community: the nearest (E1, 5 m); 4 km from everything: none
    assert prop.assign(cases, of, estates, communities, max_m=300).tolist() == [0, 0, -1, 1, -1]
    assert prop.assign(cases, of, estates, communities, max_m=700).tolist() == [0, 0, 2, 1, -1]
    assert prop.assign(cases[:0], of[:0], estates, communities).tolist() == []


ESTATES = pd.DataFrame(
    {
        "estate_id": ["E1", "E2", "E3", "E4"],
        "company_id": ["P1", "P1", "P2", "P3"],
        "households": [400, 600, 2000, 100],
        "name_zh": ["甲物业", "甲物业", "乙物业", "丙物业"],
    }
)
COMPLAINTS = pd.Series({"E1": 3, "E2": 2, "E3": 4, "E4": 5})


def test_company_rates_per_thousand_households_by_hand():
    rates, district = prop.company_rates(ESTATES, COMPLAINTS, min_households=500, list_size=1)
    r = rates.set_index("company_id")
    # P1: 5 complaints ÷ 1,000 households; P2: 4 ÷ 2,000; P3: 5 ÷ 100 but under 500 households: not ranked
    assert r.loc["P1", ["estates", "households", "complaints"]].tolist() == [2, 1000, 5]
    assert r["rate"].to_dict() == pytest.approx({"P1": 5.0, "P2": 2.0, "P3": 50.0})
    assert district == pytest.approx(14 / 3100 * 1000)
    assert r.loc["P2", "rank"] == 1 and r.loc["P1", "rank"] == 2 and np.isnan(r.loc["P3", "rank"])
    assert r["list"].to_dict() == {"P1": "black", "P2": "red", "P3": ""}
    assert r.loc["P1", "name_zh"] == "甲物业"
    # warning line: 1.5 × 4.52 = 6.77 per 1,000: nobody ranked is over it; at 1 × it P1 is (5.0 ≥ 4.52)
    assert not prop.warned(rates, district, 1.5).any()
    assert rates.loc[prop.warned(rates, district, 1.0), "company_id"].tolist() == ["P1"]


def test_monthly_rates_count_zero_months():
    assigned = pd.DataFrame(
        {"estate_id": ["E1", "E3", "E3"], "month": [date(2026, 1, 1), date(2026, 1, 1), date(2026, 2, 1)]}
    )
    out = prop.monthly(ESTATES, assigned).set_index(["month", "company_id"])
    assert out.loc[(date(2026, 1, 1), "P1"), "rate"] == pytest.approx(1.0)  # 1 ÷ 1,000 households
    assert out.loc[(date(2026, 2, 1), "P2"), "rate"] == pytest.approx(0.5)
    assert out.loc[(date(2026, 2, 1), "P1"), "complaints"] == 0


def test_assigned_complaints_in_metres():
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True)
    lon, lat = tr.transform([380_000.0, 380_450.0, 380_000.0], [3_460_000.0, 3_460_000.0, 3_460_600.0])
    estates = pd.DataFrame({"estate_id": ["E1"], "community_id": ["C1"], "lon": [lon[0]], "lat": [lat[0]]})
    cases = pd.DataFrame({"lon": lon, "lat": lat, "community_id": ["C1", "C1", "C1"]})
    out = prop.assigned_complaints(cases, estates, "EPSG:32651")
    assert out["estate_id"].isna().tolist() == [False, False, True]  # 0 m, 450 m, 600 m (> 500 m)
    assert out["estate_id"].iloc[:2].tolist() == ["E1", "E1"]
