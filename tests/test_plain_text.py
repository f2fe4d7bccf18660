"""Text stays text: markdown escaping of data and URL strings (ui.md_text) and plotly label escaping."""

from __future__ import annotations

import html
import re
import string

import pandas as pd
import pytest

from govdash import charts
from govdash.ui import WORD_JOINER, md_text

LINK = "[会话过期,点此重新登录](http://evil.example)"
ATTACKS = [
    LINK,
    "![x](http://evil.example/x.png)",
    "<img src=http://evil.example/y.png>",
    "http://evil.example/z",
    "www.evil.example",
    "<a href='http://evil.example'>a</a>",
    "[x][r]\n\n[r]: http://evil.example",
    ":red[红] :material/home: :smile: $x^2$",
    "**粗** _斜_ `码` ~~删~~ # 标题",
    "&lt;b&gt; \\[",
    "- 列表\n1. 项",
    "mailto:a@evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "WWW.evil.example",
]
# what CommonMark/GFM and Streamlit's extensions give a meaning to (links, images, HTML, entities, emphasis,
# code, headings, lists, tables, autolinks, :colour[]/:icon:, $LaTeX$)
MEANINGFUL = set("\\`*_[]()<>#+-.!|~:$&")


def _unescape(md: str) -> str:
    """Undo markdown's backslash escapes of ASCII punctuation and hard breaks (CommonMark 2.4, 6.7)."""
    md = md.replace("  \n", "\n").replace(WORD_JOINER, "")
    return re.sub("\\\\([" + re.escape(string.punctuation) + "])", r"\1", md)


@pytest.mark.parametrize("attack", ATTACKS)
def test_md_text_renders_as_typed(attack):
    out = md_text(attack)
    assert _unescape(out) == attack  # shows exactly what was typed
    plain = re.sub(r"\\(.)", r"\1", out)  # the text GFM looks for autolinks in: none left
    assert not re.search(r"https?://|www\.|@\w", plain, re.IGNORECASE), plain
    i = 0
    while i < len(out):  # and every character with a meaning is escaped
        if out[i] == "\\":
            i += 2
            continue
        assert out[i] not in MEANINGFUL, (attack, out, i)
        i += 1


def test_md_text_keeps_plain_text():
    assert md_text("陆家嘴街道") == "陆家嘴街道"
    assert md_text(12) == "12"
    assert md_text("a\nb") == "a  \nb"


def test_chart_labels_are_escaped():
    evil = "<a href='http://evil.example'>乙镇</a>"
    ranked = pd.DataFrame(
        {
            "label": [evil, "甲街道"],
            "score": [1.1, 0.9],
            "rank": [1, 2],
            "eligible": [True, True],
            "list": ["red", "black"],
        }
    )
    fig = charts.ranking_bars(ranked, "label")
    assert list(fig.data[0].y) == [html.escape(evil, quote=False), "甲街道"]
    fig = charts.spike_chart(
        pd.DataFrame({"date": pd.to_datetime(["2026-01-01"]), "count": [3]}), "2026-01-01", "2026-01-01", title=evil
    )
    assert fig.layout.title.text == "&lt;a href='http://evil.example'&gt;乙镇&lt;/a&gt;"
    trend = pd.DataFrame(
        {"period": pd.to_datetime(["2026-01-01"] * 2), "series": ["s1", "s2"], "resolution_rate": [0.9, 0.8]}
    )
    fig = charts.trend_lines(trend, "resolution_rate", series_labels={"s1": evil, "s2": "![i](http://e.x/i.png)"})
    assert [tr.name for tr in fig.data] == [html.escape(evil, quote=False), "![i](http://e.x/i.png)"]
