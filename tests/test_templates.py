"""Every HTML the app writes comes from autoescaping templates: hostile unit, category and description show as text."""

from __future__ import annotations

from datetime import date, datetime

import jinja2
import literal_cases
import pandas as pd
import pytest
from literal_cases import AS_OF, CASES, XSS, build_db
from markupsafe import Markup, escape

from govdash import briefing, maps, render, svg, wall, wall_view
from govdash.filters import Filters

UNIT = '<img src=x onerror="alert(1)">甲街道'
CATEGORY = "<script>alert(2)</script>"
HOSTILE = {"unit": UNIT, "category": CATEGORY, "description": XSS}
# A05 (T1, open and overdue at the data time) and A09 (overdue at the end of February) get the hostile category
CASES_HOSTILE = [(c[0], c[1], CATEGORY if c[0] in ("A05", "A09") else c[2], *c[3:]) for c in CASES]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(literal_cases, "TOWNS", [("T1", UNIT), ("T2", "乙镇"), ("T3", "丙镇")])
        database = build_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb", cases=CASES_HOSTILE)
    yield database
    database.close()


def _wall_pieces(db, lang: str) -> str:
    f = Filters(start=date(2026, 3, 25), end=date(2026, 3, 31), towns=("T1", "T2"))
    towns = {"T1": UNIT, "T2": "乙镇"}
    m = wall.map_data(db, f, AS_OF)
    return "".join(
        [
            wall_view.header_html(
                lang=lang,
                now=datetime(2026, 3, 31, 12),
                data_time=AS_OF,
                stale=False,
                period=wall.scope_text(f, towns, lang),
                synthetic=True,
            ),
            wall_view.ticker_html(wall.ticker(db, f, AS_OF, lang), lang),
            wall_view.lagging_html(m["stats"], lang),
            wall_view.latest_html(wall.latest_cases(db, f), lang),
            wall_view.playlist_html([UNIT, CATEGORY], 0),
            wall_view.title_html(UNIT, CATEGORY),
        ]
    )


def _legends(lang: str) -> str:
    legend = maps.color_scale(pd.Series([0.5, 0.9]), "resolution_rate", 0.8)[1]
    return "".join(
        [
            maps.legend_html(legend, "resolution_rate", lang=lang, title=UNIT + CATEGORY + XSS),
            maps.swatches_html([((1, 2, 3), UNIT), ((4, 5, 6), CATEGORY), ((7, 8, 9), XSS)]),
        ]
    )


def _charts() -> str:
    return "".join(
        [
            svg.line_chart([UNIT, CATEGORY], [1.0, 2.0], title=XSS),
            svg.hbar_chart([UNIT, CATEGORY], [1.0, 0.9], title=XSS, ref=1.0),
        ]
    )


RENDERS = {
    "briefing": lambda db, lang: briefing.build(db, "2026-02", lang=lang),
    "wall": _wall_pieces,
    "map legends": lambda db, lang: _legends(lang),
    "svg charts": lambda db, lang: _charts(),
}
SHOWN = {  # which hostile texts each rendering contains (the briefing's overdue table has the description)
    "briefing": ("unit", "category", "description"),
    "wall": ("unit", "category"),
    "map legends": ("unit", "category", "description"),
    "svg charts": ("unit", "category", "description"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(RENDERS))
def test_hostile_text_is_escaped(db, name, lang):
    out = str(RENDERS[name](db, lang))
    for key in SHOWN[name]:
        text = HOSTILE[key]
        assert text not in out, f"{key} unescaped in {name}"
        assert str(escape(text)) in out, f"{key} missing from {name}"
    assert "<script" not in out.lower() and "<img" not in out.lower() and 'onerror="' not in out


def test_escaped_forms_are_the_expected_entities():
    # worked by hand: < > & " ' become entities; the text reads the same in the browser
    assert str(escape(UNIT)) == "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;甲街道"
    assert str(escape(XSS)) == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 井盖 &amp; 路灯"


def test_the_template_environment_escapes_and_rejects_missing_values():
    assert render.environment().autoescape is True
    assert str(render.macro("wall.html", "nodata", "<b>")) == '<div class="wall wall-nodata">&lt;b&gt;</div>'
    assert str(render.macro("wall.html", "nodata", Markup("<b>"))) == '<div class="wall wall-nodata"><b></div>'
    with pytest.raises(jinja2.UndefinedError):  # a value the template needs but was not given fails loudly
        render.page("briefing.html", title="x")
