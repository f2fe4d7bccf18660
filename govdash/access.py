"""Who may see what: the signed-in principal, what each role may do, area scope, and personal-data masking."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from govdash.filters import Filters

ROLES = ("viewer", "analyst", "admin")
# what each role may do; every role sees the read-only pages and the wall
RIGHTS = {
    "viewer": frozenset(),
    "analyst": frozenset({"cases", "export", "personal_data"}),
    "admin": frozenset({"cases", "export", "personal_data", "import"}),
}
PERSONAL = ("complainant_name", "complainant_phone", "address", "description")  # columns masked for viewers
_DIGITS = re.compile(r"\d")
_HOUSE = re.compile(r"[0-9０-９一二三四五六七八九十百零〇甲乙丙丁\-—－~～]+(?:号|弄|室|栋|幢|楼|单元|层|户|支弄)")
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


@dataclass(frozen=True)
class Principal:
    """A signed-in user: ``role`` (viewer | analyst | admin) and ``towns``, the street/town ids the
    account may see (empty: all of them)."""

    user: str
    role: str
    towns: tuple[str, ...] = ()

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role is one of {ROLES}")

    def can(self, right: str) -> bool:
        """True when the role has ``right``: cases, export, personal_data or import."""
        return right in RIGHTS[self.role]

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The towns for ``Filters.scope``: None when the account may see every town."""
        return tuple(self.towns) if self.towns else None


# what an app without sign-in (settings.auth = none) and the public wall act as
EVERYONE = Principal("-", "admin")
PUBLIC_WALL = Principal("wall", "viewer")


def restrict(f: Filters, scope: tuple[str, ...] | None) -> Filters:
    """``f`` limited to ``scope`` (an account's towns; None: no limit), intersected with any scope it has."""
    if scope is None:
        return f
    mine = tuple(scope) if f.scope is None else tuple(t for t in f.scope if t in scope)
    return f if mine == f.scope else f.with_(scope=mine)


def allowed_towns(towns, scope: tuple[str, ...] | None) -> tuple[str, ...]:
    """The ``towns`` chosen (e.g. from a URL) that lie inside ``scope``."""
    return tuple(towns) if scope is None else tuple(t for t in towns if t in scope)


# --- masking (pure) ---

def mask_phone(phone) -> object:
    """'13812341234' → '138****1234': first 3 and last 4 digits kept (a +86 prefix dropped); short ones starred."""
    if not isinstance(phone, str) or not phone:
        return phone
    digits = _DIGITS.findall(phone)
    if len(digits) == 13 and digits[:2] == ["8", "6"]:  # +86 country code
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * len(phone)
    return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])


def mask_name(name) -> object:
    """'王小明' → '王*': the first character (the family name) kept."""
    if not isinstance(name, str) or not name.strip():
        return name
    return name.strip()[0] + "*"


def mask_address(address) -> object:
    """'川沙新镇金春居委华兰路436号' → '川沙新镇金春居委华兰路': everything from the first digit cut (house,
    lane and room numbers)."""
    if not isinstance(address, str):
        return address
    cut = re.split(r"[0-9０-９]", address, maxsplit=1)[0].rstrip(" ,，-—")
    return cut if cut != address else _HOUSE.sub("", address)


def mask_text(text) -> object:
    """Free text with mobile numbers masked and house numbers removed ('华兰路436号附近' → '华兰路附近')."""
    if not isinstance(text, str):
        return text
    return _HOUSE.sub("", _PHONE.sub(r"\1****\2", text))


_MASKS = {"complainant_name": mask_name, "complainant_phone": mask_phone, "address": mask_address,
          "description": mask_text}


def mask_frame(df: pd.DataFrame, principal: Principal) -> pd.DataFrame:
    """``df`` with personal columns masked unless ``principal`` may see personal data (a copy when masked)."""
    cols = [c for c in df.columns if c in _MASKS]
    if principal.can("personal_data") or not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(_MASKS[c], na_action="ignore")
    return out


def mask_record(rec: dict | pd.Series, principal: Principal):
    """One row (dict or Series) with personal fields masked unless allowed."""
    if principal.can("personal_data"):
        return rec
    out = rec.copy()
    for c, fn in _MASKS.items():
        if c in out:
            out[c] = fn(out[c])
    return out
