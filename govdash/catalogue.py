"""The catalogues of one database (categories, channels, departments, 八必报 items): codes and their names in either
language."""

from __future__ import annotations

from dataclasses import dataclass

from govdash import queries, queries_mustreport
from govdash.db import Database
from govdash.i18n import pick

KINDS = ("category", "channel", "department", "must_report")


@dataclass(frozen=True)
class Catalogue:
    """Code -> (Chinese name, English name or None) per kind, in the database's order of codes."""

    category: dict[str, tuple[str, str | None]]
    channel: dict[str, tuple[str, str | None]]
    department: dict[str, tuple[str, str | None]]
    must_report: dict[str, tuple[str, str | None]]

    def _table(self, kind: str) -> dict[str, tuple[str, str | None]]:
        if kind not in KINDS:
            raise ValueError(f"not a catalogue: {kind!r} (one of {', '.join(KINDS)})")
        return {
            "category": self.category,
            "channel": self.channel,
            "department": self.department,
            "must_report": self.must_report,
        }[kind]

    def codes(self, kind: str) -> list[str]:
        """Every code of ``kind``."""
        return list(self._table(kind))

    def name(self, kind: str, code, lang: str = "zh") -> str:
        """The name of ``code`` in ``lang`` (the Chinese one when there is no English one); the code itself when
        the catalogue does not list it (a database whose cases use a code its catalogue lacks); "—" for none."""
        if code is None or (isinstance(code, float) and code != code):
            return "—"
        pair = self._table(kind).get(code)
        return str(code) if pair is None else pick(pair[0], pair[1] or pair[0], lang)

    def names(self, kind: str, lang: str = "zh") -> dict[str, str]:
        """Code -> name in ``lang`` for every code of ``kind``."""
        return {code: self.name(kind, code, lang) for code in self._table(kind)}


def _pairs(df, key: str) -> dict[str, tuple[str, str | None]]:
    return {
        k: (zh, en if isinstance(en, str) and en else None)
        for k, zh, en in zip(df[key], df["name_zh"], df["name_en"], strict=True)
    }


def read(db: Database) -> Catalogue:
    """The catalogues as the database holds them (tables category_names, channels, departments, must_report_items:
    the eight items of ``schema.MUST_REPORT`` when a district lists none of its own)."""
    return Catalogue(
        category=_pairs(queries.category_names(db), "category"),
        channel=_pairs(queries.channels(db), "channel"),
        department=_pairs(queries.departments(db), "department_id"),
        must_report=_pairs(queries_mustreport.items(db), "item"),
    )
