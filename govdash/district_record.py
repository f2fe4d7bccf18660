"""The district as data: its names, time zone, metric CRS and level names (the ``district`` table).

Every title, header and metric computation reads the record here instead of assuming the demo:
``read`` gives the record of a database (a default one for a database from before the table, or
an empty one), ``metric_crs`` the CRS areas, distances and walking minutes are computed in, and
``choose_crs`` / ``distortion`` pick and check it from the units' own extent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np

from govdash import settings

LEVEL_NAMES = {"town": ("街镇", "Town"), "community": ("居村", "Community"), "grid": ("网格", "Grid")}
DISTORTION_LIMIT = 0.01  # a metric CRS whose scale is off by more than this share is warned about
COLUMNS = ("name_zh", "name_en", "timezone", "metric_crs", "crs_auto", "level_names", "synthetic", "first_year")


@dataclass(frozen=True)
class District:
    """One district's record; ``metric_crs`` is '' until chosen (auto: from the first units imported)."""

    name_zh: str = ""
    name_en: str = ""
    timezone: str = field(default_factory=lambda: settings.load().timezone)  # IANA name; unset: settings'
    metric_crs: str = ""
    crs_auto: bool = True
    level_names: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(LEVEL_NAMES))
    synthetic: bool = False
    first_year: int | None = None

    def name(self, lang: str) -> str:
        """The district's name in ``lang`` (the other language's when it has none; '' when unnamed)."""
        return (self.name_en or self.name_zh) if lang == "en" else (self.name_zh or self.name_en)

    def title(self, lang: str) -> str:
        """The app's title with the district's name ("Riverton Social Governance Dashboard")."""
        from govdash.i18n import t

        return t("app_title", lang).format(name=self.name(lang)).strip()

    def level_name(self, level: str, lang: str) -> str:
        zh, en = self.level_names.get(level, LEVEL_NAMES.get(level, (level, level)))
        return en if lang == "en" else zh

    def row(self) -> dict:
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en or None,
            "timezone": self.timezone,
            "metric_crs": self.metric_crs or None,
            "crs_auto": self.crs_auto,
            "level_names": json.dumps({k: list(v) for k, v in self.level_names.items()}, ensure_ascii=False),
            "synthetic": self.synthetic,
            "first_year": self.first_year,
        }


def _from_row(row: dict) -> District:
    names = json.loads(row["level_names"]) if row.get("level_names") else {}
    return District(
        name_zh=row["name_zh"] or "",
        name_en=row["name_en"] or "",
        timezone=row["timezone"] or settings.load().timezone,
        metric_crs=row["metric_crs"] or "",
        crs_auto=bool(row["crs_auto"]) if row["crs_auto"] is not None else True,
        level_names={**LEVEL_NAMES, **{k: tuple(v) for k, v in names.items()}},
        synthetic=bool(row["synthetic"]),
        first_year=row["first_year"],
    )


def read_con(con) -> District:
    """The record on a DuckDB connection (writers); see :func:`read`."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "district" in tables:
        got = con.execute(f"SELECT {', '.join(COLUMNS)} FROM district LIMIT 1").fetchall()
        if got:
            return _from_row(dict(zip(COLUMNS, got[0], strict=True)))
    if "meta" in tables:  # a database written before the district table (the demo then): its meta keys
        return _from_meta(dict(con.execute("SELECT key, value FROM meta").fetchall()))
    return District()


def read(db) -> District:
    """The district record of a read-only ``Database``: the table's row; for a demo database written
    before the table, the demo's record; otherwise an unnamed district (names '', CRS not chosen)."""
    df = db.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'data'")
    if "district" in set(df["table_name"]):
        got = db.execute(f"SELECT {', '.join(COLUMNS)} FROM district LIMIT 1")
        if len(got):
            return _from_row({c: (None if _isna(got.at[0, c]) else got.at[0, c]) for c in COLUMNS})
    if "meta" in set(df["table_name"]):
        meta = db.execute("SELECT key, value FROM meta")
        return _from_meta(dict(zip(meta["key"], meta["value"], strict=True)))
    return District()


def _from_meta(meta: dict) -> District:
    """The record of a database written before the district table, from its meta keys (the demo's then)."""
    name = (meta.get("district") or "").removesuffix(" (synthetic)")
    d = District(
        name_zh=name,
        synthetic=meta.get("synthetic") == "true",
        metric_crs=meta.get("metric_crs", ""),
        crs_auto=not meta.get("metric_crs"),
    )
    return replace(DEMO, metric_crs=d.metric_crs or DEMO.metric_crs) if d.synthetic and name == DEMO.name_zh else d


def _isna(v) -> bool:
    try:
        return v is None or bool(np.isnan(v))
    except TypeError:
        return False


def write(con, d: District) -> None:
    """Replace the record on a writable connection (inside the caller's transaction)."""
    con.execute("DELETE FROM district")
    row = d.row()
    con.execute(f"INSERT INTO district ({', '.join(COLUMNS)}) VALUES ({', '.join('$' + c for c in COLUMNS)})", row)


DEMO = District(
    name_zh="浦东新区",
    name_en="Pudong New Area",
    timezone="Asia/Shanghai",
    metric_crs="EPSG:32651",
    crs_auto=False,
    level_names=dict(LEVEL_NAMES),
    synthetic=True,
    first_year=None,
)


# --- the metric CRS ---

FALLBACK_CRS = "EPSG:32651"  # only for a district with neither units nor a chosen CRS (nothing to measure yet)


def metric_crs(d: District | None = None) -> str:
    """The CRS of every area, distance and walking minute: the setting when given (an explicit override),
    else the district's, else FALLBACK_CRS."""
    return settings.load().metric_crs or (d.metric_crs if d is not None else "") or FALLBACK_CRS


def choose_crs(geoms) -> str:
    """The local UTM zone of WGS-84 geometries (geopandas' estimate_utm_crs on their extent), 'EPSG:n'."""
    import geopandas as gpd

    crs = gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=4326).estimate_utm_crs()
    return f"EPSG:{crs.to_epsg()}"


def distortion(crs: str, bounds: tuple[float, float, float, float]) -> float:
    """Worst relative scale error of ``crs`` over the extent ``bounds`` (west, south, east, north, degrees).

    The projected length of each side and diagonal of the extent against its geodesic length on the
    WGS-84 ellipsoid (pyproj.Geod): under 0.001 for a district inside its UTM zone, 0.46 for Los Angeles in
    UTM 51N (areas 2.1x).
    """
    from pyproj import Geod, Transformer

    x0, y0, x1, y1 = bounds
    if not (x1 > x0 or y1 > y0):
        return 0.0
    tr = Transformer.from_crs(4326, crs, always_xy=True)
    geod = Geod(ellps="WGS84")
    worst = 0.0
    for (ax, ay), (bx, by) in [
        ((x0, y0), (x1, y0)),
        ((x0, y1), (x1, y1)),
        ((x0, y0), (x0, y1)),
        ((x1, y0), (x1, y1)),
        ((x0, y0), (x1, y1)),
        ((x0, y1), (x1, y0)),
    ]:
        true = geod.inv(ax, ay, bx, by)[2]
        if true <= 0:
            continue
        (px, qx), (py, qy) = tr.transform([ax, bx], [ay, by])
        worst = max(worst, abs(float(np.hypot(qx - px, qy - py)) / true - 1.0))
    return worst
