"""The leader's ranking (issue 19 item 4): every unit, the worst on top, the whole axis, the target line."""

from __future__ import annotations

import dataclasses

import pandas as pd

from govdash import settings
from govdash.ranking_chart import BREACH, MET, unit_ranking


def _settings(**kw):
    return dataclasses.replace(settings.load(), **kw)


def test_every_unit_worst_first_on_the_whole_axis_with_the_target():
    stats = pd.DataFrame(
        {
            "name_zh": ["甲", "乙", "丙", "丁", "戊"],
            "resolution_rate": [0.995, 0.97, 0.99, None, 0.60],
        }
    )
    fig = unit_ranking(stats, "name_zh", "resolution_rate", _settings(target_resolution=0.99), lang="zh")
    bar = fig.data[0]
    assert list(bar.y) == ["戊", "乙", "丙", "甲"]  # the worst on top; a unit without a rate is not drawn
    assert [round(v, 6) for v in bar.x] == [60.0, 97.0, 99.0, 99.5]
    assert list(bar.marker.color) == [BREACH, BREACH, MET, MET]  # 99.0 % meets a 99 % target
    assert list(fig.layout.xaxis.range) == [0, 100]  # the whole axis: a point's gap looks like one
    line = fig.layout.shapes[0]
    assert (line.x0, line.x1) == (99.0, 99.0)
    assert "目标" in fig.layout.annotations[0].text and "99" in fig.layout.annotations[0].text
    assert bar.textposition == "inside"  # values inside the bars, clear of the target's label above the plot
    assert fig.layout.height >= 21 * 4 + 100  # a row per unit


def test_a_lower_is_better_indicator_puts_the_slowest_on_top():
    stats = pd.DataFrame({"name_zh": ["甲", "乙"], "median_hours": [10.0, 30.0]})
    fig = unit_ranking(stats, "name_zh", "median_hours", _settings(target_median_hours=24.0), lang="en")
    assert list(fig.data[0].y) == ["乙", "甲"] and list(fig.data[0].marker.color) == [BREACH, MET]
