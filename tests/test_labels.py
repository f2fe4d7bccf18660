"""One label table: every key in both languages, every key used somewhere, no language chosen inline."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from govdash import i18n

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("govdash/**/*.py"), ROOT / "app.py"])
# modules not yet moved onto the table (none left)
NOT_YET: set[str] = set()


def _literals_and_patterns() -> tuple[set[str], list[re.Pattern]]:
    """Every string constant outside i18n.py, and every f-string as a pattern (``f"preset_{p}"`` → ``preset_.+``)."""
    strings, patterns = set(), []
    for path in SOURCES:
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values]
                if any(isinstance(v, ast.Constant) and re.fullmatch(r"\w*_|_\w*", v.value) for v in node.values):
                    patterns.append(re.compile("".join(parts)))
    return strings, patterns


def test_every_key_has_a_text_in_both_languages():
    for key, pair in i18n.LABELS.items():
        assert isinstance(pair, tuple) and len(pair) == len(i18n.LANGS), key
        assert all(isinstance(text, str) and text.strip() for text in pair), key


def test_a_key_is_not_defined_twice():
    """``LABELS.update`` blocks would silently overwrite an earlier text of the same key."""
    tree = ast.parse((ROOT / "govdash" / "i18n.py").read_text(encoding="utf-8"))
    keys = [k.value for d in ast.walk(tree) if isinstance(d, ast.Dict) for k in d.keys if isinstance(k, ast.Constant)]
    seen, twice = set(), set()
    for k in keys:
        (twice if k in seen else seen).add(k)
    assert twice == set()


def test_every_key_is_used_somewhere():
    """A key is used when the source names it (``t("key", …)``, a tuple of keys…) or an f-string builds it
    (``t(f"preset_{p}", …)``, ``t(f"{tier}_tier", …)``)."""
    strings, patterns = _literals_and_patterns()
    unused = [k for k in i18n.LABELS if k not in strings and not any(p.fullmatch(k) for p in patterns)]
    assert unused == []


def test_no_language_is_chosen_inline():
    """``t(key, lang)`` (or ``i18n.pick`` for names held in the database) is the only way to a language's text."""
    branch = re.compile(r"""(lang|lg|current|v)\s*==\s*["']zh["']|\bif zh\b|\bzh else\b|\[0 if """)
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in SOURCES
        if p.name not in NOT_YET | {"i18n.py"}
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if branch.search(line)
    ]
    assert offenders == []


def test_pick_and_t_agree():
    assert i18n.t("filters", "zh") == "筛选" and i18n.t("filters", "en") == "Filters"
    assert i18n.pick("甲", "A", "zh") == "甲" and i18n.pick("甲", "A", "en") == "A"
    assert i18n.t("no_such_key", "en") == "no_such_key"
