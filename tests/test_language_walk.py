"""Every page in both languages (AppTest): no raw Python value and no string of the other language on screen.

A raw value is what Python prints for a missing or boolean value ("None", "NaN", "nan", "NaT", "<NA>",
"True", "False"): tables and details show "—" and 是/否 (i18n.plain / i18n.readable). The other language:
Chinese characters in the English UI (place and station names aside: they stay Chinese), English words in
the Chinese UI (units, codes and file formats aside).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import app_test

from govdash import queries, queries_map
from govdash.db import Database
from govdash.i18n import MISSING, plain, readable

pytestmark = pytest.mark.usefixtures("navigation_mode")  # AppTest runs app.py around the page

RAW = re.compile(r"(?<![\w.])(None|NaN|nan|NaT|<NA>|True|False)(?![\w.])")
CJK = re.compile(r"[\u3400-\u9fff]")
# ASCII words a Chinese screen may carry: units, codes, formats, methods' names, the product's name
ZH_ALLOWED = {
    "govdash", "km", "pp", "P50", "P90", "CSV", "Excel", "xlsx", "csv", "OSM", "UTM", "CRS", "GCJ", "WGS",
    "ID", "id", "URL", "PDF", "HTML", "GeoJSON", "GeoPackage", "Shapefile", "TV", "KPI", "GB", "MB", "EPSG",
    "zip", "shp", "duckdb", "python", "import", "population", "data", "min", "AM", "PM", "Top", "open", "GPS",
    "utf", "English",
}  # fmt: skip


def _texts(at) -> list[str]:
    """What the page shows as text: prose, figures, labels, options, table cells and HTML blocks' text."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value), str(m.delta or "")]
    for kind in ("button", "toggle", "checkbox", "number_input", "text_input", "date_input", "slider"):
        out += [str(e.label) for e in getattr(at, kind)]
    for kind in ("radio", "selectbox", "multiselect"):
        for e in getattr(at, kind):
            out += [str(e.label)]
            try:
                out += [str(o) for o in e.options]
            except Exception:  # noqa: BLE001 - options formatted by a function the tree lacks
                pass
    out += [str(e.label) for e in at.tabs] + [str(e.label) for e in at.expander]
    for h in at.get("html"):  # the text of an HTML block, not its script or style
        out.append(re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", h.proto.body)))
    return out


def _cells(at) -> list[str]:
    """The text and boolean cells of the page's tables (their headers come from the column config)."""
    out = []
    for df in at.dataframe:
        frame = df.value
        for col in frame.columns:
            s = frame[col]
            if s.dtype == bool or str(s.dtype) in ("object", "string", "str", "boolean"):
                out += [repr(v) if not isinstance(v, str) else v for v in s.tolist()]
    return out


@pytest.fixture(scope="module")
def names(demo_db) -> set[str]:
    """Place and station names (Chinese in both languages)."""
    db = Database(demo_db)
    units = queries.unit_names(db)
    out = {n for level in units.values() for n in level.values() if n}
    out |= set(queries_map.stations(db)["name_zh"].dropna())
    db.close()
    return out


def _open(app_page, lang: str):
    at = app_test()
    for k, v in {**dict(app_page.query), "lang": lang}.items():
        at.query_params[k] = v
    at.run()
    if not app_page.default:
        at.switch_page(app_page.path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_one_language_without_raw_values(app_env, app_page, lang, names):
    at = _open(app_page, lang)
    texts, cells = _texts(at), _cells(at)
    assert texts, f"{app_page.url_path} shows no text"
    raw = sorted({m for s in texts + cells for m in RAW.findall(s) if not (lang == "en" and m == "None")})
    assert not raw, f"{app_page.url_path} ({lang}) shows raw values {raw}: " + repr(
        [s[:120] for s in texts + cells if RAW.search(s)][:5]
    )
    foreign = []
    for s in texts if lang == "en" else texts + cells:  # the data's own text (descriptions) stays as typed
        if lang == "en":
            for n in sorted(names, key=len, reverse=True):
                s = s.replace(n, "")
            if CJK.search(s.replace("中文", "")):  # the language switch names each language in itself
                foreign.append(s[:120])
        else:
            words = {w for w in re.findall(r"[A-Za-z]{3,}", s) if w not in ZH_ALLOWED}
            if words and not CJK.search(s):  # an English sentence or label with no Chinese at all
                foreign.append(s[:120])
    assert not foreign, f"{app_page.url_path} ({lang}) shows the other language: {foreign[:8]}"


def test_plain_values():
    assert plain(None) == MISSING and plain(float("nan")) == MISSING and plain(pd.NaT) == MISSING
    assert plain(pd.NA) == MISSING
    assert (plain(True), plain(False), plain(True, "en"), plain(False, "en")) == ("是", "否", "Yes", "No")
    assert plain("陆家嘴") == "陆家嘴" and plain(3) == "3"


def test_readable_table():
    frame = pd.DataFrame(
        {
            "name": ["甲", None],
            "open": [True, False],
            "maybe": pd.array([True, None], dtype="boolean"),
            "n": [1.5, float("nan")],
        }
    )
    out = readable(frame, "zh")
    assert out["name"].tolist() == ["甲", "—"]
    assert out["open"].tolist() == ["是", "否"]
    assert out["maybe"].tolist() == ["是", "—"]
    assert out["n"].iloc[0] == 1.5 and pd.isna(out["n"].iloc[1])  # numbers keep their type for the table's format
    assert frame["open"].dtype == bool  # the caller's frame is untouched
