"""The label table: every key in both languages, with the same placeholders."""

from __future__ import annotations

from string import Formatter

from govdash.i18n import LABELS, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _problems(labels: dict) -> list[str]:
    out = []
    for key, pair in labels.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair)):
            out.append(f"{key}: not a pair of Chinese and English text: {pair!r}")
        elif _fields(pair[0]) != _fields(pair[1]):
            out.append(f"{key}: placeholders differ: {sorted(_fields(pair[0]))} vs {sorted(_fields(pair[1]))}")
    return out


def test_every_label_in_both_languages():
    assert LABELS and _problems(LABELS) == []
    key = next(iter(LABELS))
    assert (t(key, "zh"), t(key, "en")) == LABELS[key]


def test_a_missing_language_or_placeholder_is_reported():
    bad = {"a": ("甲", ""), "b": ("乙",), "c": ("{n} 件", "{count} cases"), "d": ("{n} 件", "{n} cases")}
    assert _problems(bad) == [
        "a: not a pair of Chinese and English text: ('甲', '')",
        "b: not a pair of Chinese and English text: ('乙',)",
        "c: placeholders differ: ['n'] vs ['count']",
    ]
