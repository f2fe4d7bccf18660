"""Who may see what: the signed-in principal, what each role may do, area scope, and personal-data masking."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from govdash.filters import Filters, Scope

ROLES = ("viewer", "analyst", "admin", "wall")
# what each role may do; every role sees the read-only pages and the wall ("wall": a wall screen's device
# token, which shows the wall only)
RIGHTS = {
    "wall": frozenset(),
    "viewer": frozenset(),
    "analyst": frozenset({"cases", "export", "personal_data"}),
    "admin": frozenset({"cases", "export", "personal_data", "import"}),
}
PERSONAL = ("complainant_name", "complainant_phone", "address", "description")  # columns masked for viewers
_DIGITS = re.compile(r"\d")
_HOUSE = re.compile(r"[0-9０-９一二三四五六七八九十百零〇甲乙丙丁\-—－~～]+(?:号|弄|室|栋|幢|楼|单元|层|户|支弄)")
# free-text patterns, applied in this order (each one's output no longer matches the later ones)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9])[A-Za-z0-9_.%+\-]*@"
    r"([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)
# resident ID: 6-digit area, birth date 18xx-20xx, 3-digit sequence, check digit or X; and the old 15-digit form
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"|\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?![0-9A-Za-z])"
)
# mobile: 1[3-9]x xxxx xxxx, digits grouped by spaces or dashes, with an optional +86 / 0086 / 86 prefix
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s\-]?)?(1[3-9]\d)[\s\-]?\d{4}[\s\-]?(\d{4})(?!\d)")
# landline: area code 0xx / 0xxx, bare, in (half- or full-width) brackets or followed by a dash or space, then
# a 7-8 digit number (maybe split 3/4 or 4/4) and an optional extension; or 0 + 9-11 digits written solid
_LANDLINE = re.compile(
    r"(?<![\d+])(?:(?:[(（](0\d{2,3})[)）]\s?|(0\d{2,3})[\s\-])\d{3,4}[\s\-]?\d{4}"
    r"|(0\d{9,11}))(?:(?:\s?(?:-|转|ext\.?)\s?)\d{1,5})?(?!\d)"
)
COORD_DECIMALS = 3  # case coordinates for viewers and the wall: 0.001° ≈ 111 m north-south, 95 m east-west here


@dataclass(frozen=True)
class Principal:
    """A signed-in user: ``role`` (viewer | analyst | admin) and what the account may see: ``towns`` (street/town
    ids), ``communities`` (居村 ids), ``departments`` (department ids: the cases dispatched to them, wherever
    they lie); all empty: everything (``Scope``)."""

    user: str
    role: str
    towns: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role is one of {ROLES}")

    def can(self, right: str) -> bool:
        """True when the role has ``right``: cases, export, personal_data or import."""
        return right in RIGHTS[self.role]

    @property
    def scope(self) -> Scope | None:
        """``Filters.scope``: None when the account may see everything."""
        sc = Scope(tuple(self.towns), tuple(self.communities), tuple(self.departments))
        return None if sc.nowhere else sc


# what an app without sign-in (settings.auth = none) and the public wall act as
EVERYONE = Principal("-", "admin")
PUBLIC_WALL = Principal("wall", "viewer")


def restrict(f: Filters, scope: Scope | tuple[str, ...] | None) -> Filters:
    """``f`` limited to ``scope`` (an account's; a plain tuple is of streets/towns; None: no limit), met with
    any scope it has (``Scope.meet``)."""
    scope = Scope.of(scope)
    if scope is None:
        return f
    mine = scope if f.scope is None else f.scope.meet(scope)
    return f if mine == f.scope else f.with_(scope=mine)


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


def _landline(m: re.Match) -> str:
    """The area code kept ('021-********'); a number written solid keeps its first three digits."""
    area = m.group(1) or m.group(2)
    return f"{area}-********" if area else m.group(3)[:3] + "*" * (len(m.group(0)) - 3)


def mask_text(text, name=None) -> object:
    """Free text as a viewer sees it: e-mail addresses ('w***@example.cn'), resident ID numbers (all starred),
    mobile numbers however grouped or prefixed ('138****5678'), landlines ('021-********'), the complainant's
    own ``name`` ('王*'; its given name too when 2+ characters) and house numbers ('华兰路436号附近' → '华兰路附近')."""
    if not isinstance(text, str):
        return text
    out = _EMAIL.sub(r"\1***@\2", text)
    out = _ID_CARD.sub(lambda m: "*" * len(m.group(0)), out)
    out = _MOBILE.sub(r"\1****\2", out)
    out = _LANDLINE.sub(_landline, out)
    if isinstance(name, str) and len(name.strip()) >= 2:
        name = name.strip()
        out = out.replace(name, mask_name(name))
        if len(name) >= 3:  # the given name alone ('小明'); a one-character given name would hit ordinary words
            out = out.replace(name[1:], "*")
    return _HOUSE.sub("", out)


def round_coords(values, decimals: int = COORD_DECIMALS):
    """Coordinates (degrees) rounded to ``decimals`` places: a case's place to ~100 m, not its doorstep."""
    return values.round(decimals) if hasattr(values, "round") else round(values, decimals)


_MASKS = {
    "complainant_name": mask_name,
    "complainant_phone": mask_phone,
    "address": mask_address,
    "description": mask_text,
}


def mask_frame(df: pd.DataFrame, principal: Principal) -> pd.DataFrame:
    """``df`` with personal columns masked unless ``principal`` may see personal data (a copy when masked).

    The description is masked with the row's own complainant name when the frame has it; the
    coordinates of case rows (frames with ``case_id``) are rounded to ``COORD_DECIMALS``.
    """
    cols = [c for c in df.columns if c in _MASKS]
    coords = [c for c in ("lon", "lat") if c in df.columns and "case_id" in df.columns]
    if principal.can("personal_data") or not (cols or coords):
        return df
    out = df.copy()
    if "description" in cols and "complainant_name" in cols:
        out["description"] = [mask_text(d, n) for d, n in zip(df["description"], df["complainant_name"], strict=True)]
        cols.remove("description")
    for c in cols:
        out[c] = out[c].map(_MASKS[c], na_action="ignore")
    for c in coords:
        out[c] = round_coords(out[c])
    return out


def mask_record(rec: dict | pd.Series, principal: Principal):
    """One row (dict or Series) with personal fields masked unless allowed (as ``mask_frame``)."""
    if principal.can("personal_data"):
        return rec
    out = rec.copy()
    for c, fn in _MASKS.items():
        if c in out:
            out[c] = fn(out[c], rec.get("complainant_name")) if c == "description" else fn(out[c])
    for c in ("lon", "lat"):
        if c in out and "case_id" in out and out[c] is not None and not pd.isna(out[c]):
            out[c] = round_coords(float(out[c]))
    return out
