"""The demo's departments at work: a second department for most categories, and how well each department does.

In a real district a category of complaint is not one department's alone: neighbour disputes go to the
信访办 and to the 司法局's people's mediation, noise to the 生态环境局 and (social noise) to the police,
group renting to the 房管局 and the police. And departments differ persistently — one closes fast and
solves what it closes, another is slow and leaves more unsolved — which is what a ranking of departments
is for. Without both, a case-mix adjusted ranking has nothing true to find (each category's district rate
would be its one department's own), and the order it shows is noise (issue 18 item 4).

Drawn from a generator of its own (seeded by the demo's seed), so the rest of the demo is the same random
stream as before; the factors are normalised over the cases so the district's calibration holds
(DOMAIN.md: 解决率 99.3 %, 认可率 99.6 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# category → the second department its cases go to (the owner is demo_catalogue.CATEGORIES' fourth field)
SECOND = {
    "facility_damage": "D14",  # 水务局: sewers, flooded roads
    "back_lane": "D01",  # 城管执法局: illegal flyers, street traders
    "safety_hazard": "D15",  # 消防救援支队
    "property": "D07",  # 市场监督管理局: property-fee and service disputes
    "group_renting": "D06",  # 公安分局: residents' registration
    "ebike": "D06",  # 公安分局: charging in corridors
    "elderly": "D19",  # 医疗保障局: care insurance
    "medical": "D19",  # 医疗保障局
    "childcare": "D25",  # 妇女联合会
    "garbage": "D01",  # 城管执法局: enforcement of sorting
    "illegal_construction": "D11",  # 规划和自然资源局
    "street_order": "D07",  # 市场监督管理局: shops spilling onto the street
    "noise": "D06",  # 公安分局: social noise
    "dispute": "D17",  # 司法局: people's mediation
}
SECOND_SHARE = 0.30  # of the cases a category's owner would get
# spread of the persistent department factors (log scale for the multipliers, points for satisfaction)
SPREAD = {"eff": 0.30, "unresolved": 0.55, "unrecognised": 0.40, "sat": 1.8}


def performance(department_ids, seed: int) -> pd.DataFrame:
    """Per department: ``eff`` (handling-time multiplier), ``unresolved`` and ``unrecognised`` (multipliers of
    the towns' probabilities) and ``sat`` (points added to satisfaction), before normalisation.

    A department slower than others also tends to solve less (correlation 0.5 between its time and its
    failure factors): the differences a leader recognises, not independent noise on each indicator."""
    rng = np.random.default_rng([seed, 1818])
    n = len(department_ids)
    common = rng.normal(0, 1, n)  # the department's overall quality: slow and unsolved go together
    own = rng.normal(0, 1, (3, n))
    mix = np.sqrt(0.5)
    return pd.DataFrame(
        {
            "eff": np.exp(SPREAD["eff"] * (mix * common + mix * own[0])),
            "unresolved": np.exp(SPREAD["unresolved"] * (mix * common + mix * own[1])),
            "unrecognised": np.exp(SPREAD["unrecognised"] * (mix * common + mix * own[2])),
            "sat": -SPREAD["sat"] * common,
        },
        index=pd.Index(department_ids, name="department_id"),
    )


def second_department(department: np.ndarray, owner: np.ndarray, category: np.ndarray, rng) -> np.ndarray:
    """``department`` with ``SECOND_SHARE`` of the cases that went to their category's owner moved to the
    category's second department (``SECOND``)."""
    second = pd.Series(category).map(SECOND).to_numpy(dtype=object)
    move = (department == owner) & pd.notna(second) & (rng.random(len(department)) < SECOND_SHARE)
    return np.where(move, second, department)


def factors(perf: pd.DataFrame, department: np.ndarray) -> dict[str, np.ndarray]:
    """Each case's department factors, normalised over these cases: the multipliers to mean 1 and the
    satisfaction offset to mean 0, so the district's rates stay where the towns put them."""
    out = {}
    for col in perf.columns:
        v = perf[col].reindex(department).to_numpy(float)
        out[col] = v - v.mean() if col == "sat" else v / v.mean()
    return out
