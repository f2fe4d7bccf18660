"""Wall screen (大屏): URL state and playlist, headline tiles, alert ticker, map/trend/coverage data (no streamlit)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from govdash import access, catalogue, filters, indicators, leader, queries, queries_map, queries_trend
from govdash.db import Database
from govdash.filters import Filters, Scope
from govdash.i18n import pick, t
from govdash.settings import Settings

PANELS = ("overview", "map", "trend", "coverage", "must_report")  # must_report: 八必报, when the playlist names it
# the survey's 民生满意度 is the headline satisfaction, the callbacks' 回访满意度 beside it (docs/indicators.md)
TILES = (
    "collected",
    "resolution_rate",
    "on_time_rate",
    "recognition_rate",
    "survey_satisfaction",
    "satisfaction",
    "governance_index",
    "overdue_at_end",
)
MIN_REFRESH_S = 2  # however the URL asks, the wall polls the database no faster than this
MIN_ROTATE_S = 5
MAX_DAYS = 366
# the headline periods a wall URL may ask for (``?days=`` snaps to the nearest): a bounded set, so
# the distinct computations behind the wall stay few and cached (it may be public: issue 15.8)
PERIOD_DAYS = (1, 7, 14, 30, 60, 90, 180, 365)
DENSITY_DAYS = 7  # the map's density shows the last week of reports
DENSITY_CELL_M = 500.0  # edge of a density cell, metres
COMMUNITY_CELL_M = 100.0  # a 居村's view (about a square kilometre): a 500 m cell would cover it whole
LIVE_HOURS = 24  # reports of the last day are drawn as points
LIVE_POINTS = 3000
TREND_WEEKS = 26
SPIKE_DAYS = 7  # anomaly events overlapping the last week go on the ticker
TICKER_OVERDUE = 12
TICKER_SPIKES = 8
OVERDUE_AMBER = 1  # a street/town with this many overdue open cases is amber on the map...
OVERDUE_RED = 5  # ...and red from this many
STALE_AFTER = timedelta(hours=2)  # "data as of" turns amber when the newest change is older than this
SCALE_COOKIE = "govdash_wall_scale"  # the page's script stores min(width / 1920, height / 1080) here


def town_name(name_zh, name_en, lang: str = "zh") -> str:
    """A street/town's name for the wall: Chinese, or English without the long "Subdistrict" suffix."""
    zh = str(name_zh) if isinstance(name_zh, str) else ""
    en = name_en.removesuffix(" Subdistrict") if isinstance(name_en, str) and name_en else zh
    return pick(zh, en, lang)


def label(key: str, lang: str = "zh", **fmt) -> str:
    """A label of govdash.i18n (the wall's own are the ``wall_`` ones), formatted with ``fmt``."""
    text = t(key, lang)
    return text.format(**fmt) if fmt else text


# --- URL state and playlist ---


@dataclass(frozen=True)
class WallState:
    """What the URL asks the wall for; the URL is the only state, so reloads and restarts keep it."""

    panels: tuple[str, ...]
    rotate_s: int  # 0: no rotation
    refresh_s: int
    days: int


def _last(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key) or []
    return values[-1] if values else None


def _int(raw: str | None, default: int, lo: int, hi: int) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return min(max(value, lo), hi)


def state(params: dict[str, list[str]], s: Settings) -> WallState:
    """Parse ``?panels=map,trend&rotate=30&refresh=60&days=30``; bad values fall back to settings, never raise."""
    raw = ",".join(params.get("panels") or []) or s.wall_panels
    panels = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip() in PANELS)) or PANELS[:1]
    rotate = _int(_last(params, "rotate"), s.rotate_seconds, 0, 86_400)
    return WallState(
        panels=panels,
        rotate_s=max(rotate, MIN_ROTATE_S) if rotate else 0,
        refresh_s=_int(_last(params, "refresh"), s.refresh_seconds, MIN_REFRESH_S, 86_400),
        days=_days(_last(params, "days"), s.wall_days),
    )


def _days(raw: str | None, default: int) -> int:
    """The URL's ``days`` snapped to ``PERIOD_DAYS``; without it ``default``, where 0 is the last complete month."""
    if raw is None and default == 0:
        return 0
    return period_days(_int(raw, default or 30, 1, MAX_DAYS))


def period_days(days: int) -> int:
    """``days`` snapped to the nearest of ``PERIOD_DAYS`` (the shorter one on a tie)."""
    return min(PERIOD_DAYS, key=lambda d: (abs(d - days), d))


def wall_filters(params: dict[str, list[str]], end: date, days: int, *, public: bool = False) -> Filters:
    """The last ``days`` days up to ``end`` (moving with the data) unless ``from``/``to`` pin dates; area,
    category, channel and department filters from the URL. Invalid values give the default: a wall never errors.

    ``public`` (the wall shown without sign-in): the URL's filters and dates are ignored, so nobody can
    make the server compute arbitrary views; pinned dates longer than ``MAX_DAYS`` or after ``end`` are
    ignored for everyone.
    """
    fallback = filters.last_month(end) if days == 0 else filters.default(end, days)
    if public:
        return fallback
    try:
        f = filters.from_params(params, fallback)
    except filters.FilterError:
        return fallback
    return f if f.end <= end and (f.end - f.start).days < MAX_DAYS else fallback


def first_slide(now_s: float, rotate_s: int, n: int) -> int:
    """The panel a freshly opened wall starts on: the clock decides, so a reload resumes the playlist in step."""
    return int(now_s // rotate_s) % n if rotate_s > 0 and n > 0 else 0


def slide(n: int, start: int, started_s: float, now_s: float, rotate_s: int) -> int:
    """Index of the panel to show at ``now_s`` for a wall that showed panel ``start`` at ``started_s``.

    The rotation timer fires a little after each multiple of ``rotate_s``; the quarter-period
    margin makes a late or slightly early tick land on the right panel, never skipping one.
    """
    if n <= 1 or rotate_s <= 0:
        return 0
    ticks = math.floor((now_s - started_s) / rotate_s + 0.25)
    return (start + max(ticks, 0)) % n


def scale(raw: str | None) -> float:
    """The screen's size relative to 1920x1080 from the ``SCALE_COOKIE`` value (1.0 when absent or bad).

    Charts and the map are drawn in pixels for a 1080p design times this; HTML scales itself (vw units).
    """
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return min(max(value, 0.5), 4.0) if math.isfinite(value) else 1.0


def scope_text(f: Filters, towns: dict[str, str], lang: str = "zh", communities: dict[str, str] | None = None) -> str:
    """What the wall is showing, for its header: period, the streets/towns and 居村 it is opened for (named by
    ``towns`` and ``communities``), and how many other filters."""
    parts = [f"{f.start:%Y-%m-%d} – {f.end:%Y-%m-%d}"]
    for ids, lookup in ((f.towns, towns), (f.communities, communities or {})):
        if ids:
            names = [lookup.get(u, u) for u in ids]
            parts.append("、".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else ""))
    extra = sum(bool(getattr(f, n)) for n in ("grids", "categories", "channels", "departments"))
    if extra:
        parts.append(label("wall_filtered", lang, n=extra))
    return " · ".join(parts)


def local_now(tz: str) -> datetime:
    """The wall clock of the district's zone ``tz`` (its record's), naive (how case times are stored)."""
    return queries.now_in(tz)


def is_stale(data_time: datetime | None, now: datetime) -> bool:
    """True when the newest change in the data is older than ``STALE_AFTER`` (or there is none)."""
    return data_time is None or now - data_time > STALE_AFTER


# --- headline tiles ---


@dataclass(frozen=True)
class Tile:
    """One headline indicator as shown: value, change against the previous period, target."""

    key: str
    label: str
    value: str
    change: str  # "+1.2 pp", "" when unknown
    arrow: str  # ▲ ▼ or ""
    better: bool | None  # the change is an improvement (None: neutral)
    target: str  # "目标 ≥99.0%", "" when the indicator has none
    met: bool | None  # the value meets its target (None: no target or no value)
    note: str = ""
    caliber: str = ""  # the short 口径 note: what the value counts


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or bool(pd.isna(v))


def tiles(now: dict, before: dict, s: Settings, lang: str = "zh") -> list[Tile]:
    """The headline tiles from two ``queries_trend.indicator_totals`` results (this period and the one before), with
    ``leader.figures`` (survey, governance index) merged in."""
    out = []
    for key in TILES:
        v, b = now.get(key), before.get(key)
        c = indicators.change(v, b, key)
        note = ""
        if key == "overdue_at_end" and not _missing(now.get("backlog")):
            note = f"{label('backlog', lang)} {indicators.fmt(now.get('backlog'), 'backlog')}"
        out.append(
            Tile(
                key=key,
                label=label(key, lang),  # the same name as on every page (issue 19 item 3)
                value=indicators.fmt(v, key),
                change=""
                if c is None
                else (label("wall_flat", lang) if round(c, 1) == 0 else indicators.change_text(v, b, key, lang)),
                arrow="" if c is None or round(c, 1) == 0 else ("▲" if c > 0 else "▼"),
                better=None if c is None or round(c, 1) == 0 else indicators.improved(v, b, key),
                target=indicators.target_text(key, s, lang),
                met=indicators.met(v, key, s),
                note=note,
                caliber=leader.caliber(key, now, lang),
            )
        )
    return out


def headline(db: Database, f: Filters, at: datetime, s: Settings, lang: str = "zh") -> list[Tile]:
    """Headline tiles of the wall's period against the period before, taken at the same age (adapter).

    Why the same age: the current period's cases are still being handled, so against a finished
    period its resolution rate and open cases would always look worse (indicators.same_age).
    """
    extra_now, extra_before = leader.figures(db, f)
    return tiles(
        {**queries_trend.indicator_totals(db, f, at), **extra_now},
        {**indicators.previous_totals(db, f, at), **extra_before},
        s,
        lang,
    )


# --- ticker ---


def ticker_items(
    overdue: pd.DataFrame,
    spikes: pd.DataFrame,
    towns: dict[str, str],
    lang: str = "zh",
    categories: dict[str, str] | None = None,
) -> list[dict]:
    """Ticker entries (``kind`` 'spike' or 'overdue', plain ``text``): newest spikes, then the most overdue cases.

    ``overdue`` is ``queries_trend.open_cases(overdue_only=True)``; ``spikes`` is ``briefing.anomaly_list``
    (its ``text`` column); ``categories`` names the categories (govdash.catalogue). Text is plain: the view
    escapes it.
    """
    categories = categories or {}
    items = [
        {"kind": "spike", "text": f"{label('wall_alert_spike', lang)} {text}"}
        for text in spikes.head(TICKER_SPIKES).get("text", pd.Series(dtype=str))
    ]
    if not overdue.empty:
        worst = overdue.sort_values(["overdue_days", "case_id"], ascending=[False, True]).head(TICKER_OVERDUE)
        for r in worst.itertuples():
            tier = t(f"{r.tier}_tier", lang) if isinstance(r.tier, str) else ""
            items.append(
                {
                    "kind": "overdue",
                    "text": f"{label('wall_alert_overdue', lang)} {r.overdue_days:.1f}"
                    f"{label('wall_day_unit', lang)} · {towns.get(r.town_id, r.town_id or '')} · "
                    f"{categories.get(r.category, r.category)} · {tier} · {r.case_id}",
                }
            )
    return items


def ticker(db: Database, f: Filters, at: datetime, lang: str = "zh") -> list[dict]:
    """Ticker entries for the wall's filters: overdue open cases now, and anomaly spikes of the last days (adapter)."""
    from govdash.briefing import anomaly_list

    # the longest overdue straight from the database (was: the 2,000 oldest reported, sorted here)
    overdue = queries_trend.open_cases(db, f, at, overdue_only=True, limit=TICKER_OVERDUE, most_overdue=True)
    spikes = anomaly_list(db, f.with_(start=max(f.start, f.end - timedelta(days=SPIKE_DAYS - 1))), lang=lang)
    towns = queries.towns(db)
    names = {
        u: town_name(zh, en, lang)
        for u, zh, en in zip(towns["unit_id"], towns["name_zh"], towns["name_en"], strict=True)
    }
    return ticker_items(overdue, spikes, names, lang, catalogue.read(db).names("category", lang))


# --- map, trend, coverage ---


def town_status(overdue: pd.Series) -> np.ndarray:
    """0 green (no overdue open case), 1 amber, 2 red (``OVERDUE_AMBER`` / ``OVERDUE_RED`` thresholds)."""
    n = overdue.fillna(0).to_numpy(float)
    return np.where(n >= OVERDUE_RED, 2, np.where(n >= OVERDUE_AMBER, 1, 0))


def map_data(db: Database, f: Filters, at: datetime) -> dict[str, pd.DataFrame]:
    """Town polygons (the 居村's when the view is opened for 居村) with their 超期在办（全部） (overdue open cases),
    last-week density bins and the last day's cases (adapter).

    The overdue counts are the headline tile's (``queries_trend.stock``: at the period's end, now while it runs),
    so the towns' counts add up to the tile (issue 19 item 3). The density and the points are live: their week
    and day end at the data time ``at`` whatever the headline period (by default the last complete month,
    which would leave a live map empty); f's area and other filters apply."""
    level = "community" if f.communities else "town"  # a 居村's view: its own outline and count, not its town's
    # counted in the database: fetching every overdue case to count them cost 251 ms CPU at 10 M (and stopped at 100 k)
    per_unit = queries_trend.overdue_per_unit(db, f, at, level)
    f = f.with_(end=max(f.end, at.date()))
    if level == "community":
        units = queries.communities(db, scope=f.scope)
        units = units[units["unit_id"].isin(f.communities)].assign(name_en=units["name_zh"])  # place names: Chinese
    else:
        units = queries.towns(db, scope=f.scope)
        units = units[units["unit_id"].isin(f.towns)] if f.towns else units  # a street/town's view: its own row
    stats = units[["unit_id", "name_zh", "name_en"]].merge(per_unit, on="unit_id", how="left")
    stats["overdue"] = stats["overdue"].fillna(0).astype(int)
    stats["status"] = town_status(stats["overdue"])
    geoms = queries.unit_geometries(db, level, f)
    week = f.with_(start=max(f.start, f.end - timedelta(days=DENSITY_DAYS - 1)))
    cell_m = COMMUNITY_CELL_M if level == "community" else DENSITY_CELL_M
    bins = queries_map.heat_bins(db, week, cell_m)
    if not bins.empty:  # heat_bins gives south-west corners; the map draws cells from their corner
        bins = bins[["lon", "lat", "count"]]
    recent = queries_map.case_points(db, f.with_(start=max(f.start, f.end - timedelta(days=1))), LIVE_POINTS)
    cut = pd.Timestamp(at) - pd.Timedelta(hours=LIVE_HOURS)
    recent = recent[pd.to_datetime(recent["reported_at"]) >= cut]
    # a public screen: the last day's cases at ~100 m (access.COORD_DECIMALS), never their doorsteps or text
    recent = pd.DataFrame(
        {
            "lon": access.round_coords(recent["lon"]),
            "lat": access.round_coords(recent["lat"]),
            "reported_at": recent["reported_at"],
        }
    )
    return {"stats": stats, "geoms": geoms, "bins": bins, "recent": recent, "level": level, "cell_m": cell_m}


def latest_cases(db: Database, f: Filters, n: int = 10) -> pd.DataFrame:
    """The ``n`` newest cases in the wall's filters with their street/town name (adapter)."""
    cases = queries.cases_page(
        db, f, limit=n, order="newest", columns=("case_id", "reported_at", "town_id", "category", "status", "tier")
    )
    towns = queries.towns(db)
    return cases.merge(
        towns[["unit_id", "name_zh", "name_en"]].rename(columns={"unit_id": "town_id"}), on="town_id", how="left"
    )


def trend_data(db: Database, f: Filters, at: datetime) -> pd.DataFrame:
    """Weekly indicators over the last ``TREND_WEEKS`` weeks to the period end; ``partial`` marks the running week.

    Cases collected count by week reported; 解决率 and 按期办结率 are judged over each week's cases due
    (indicators.judged), as the headline tiles, so the last weeks do not plunge while their cases are handled.
    """
    return week_rows(db, trend_window(f), at)


def trend_window(f: Filters) -> Filters:
    """``f`` reaching back at least ``TREND_WEEKS`` weeks: the weekly trend's window."""
    return f.with_(start=min(f.start, f.end - timedelta(weeks=TREND_WEEKS) + timedelta(days=1)))


def week_rows(db: Database, w: Filters, at: datetime) -> pd.DataFrame:
    """``trend_data`` over the window ``w`` itself (govdash.freshness caches its whole weeks and the current one
    apart)."""
    df = queries_trend.period_indicators(db, w, "week", at)
    if df.empty:
        return df
    df = indicators.judged(db, df, w, "week", at)
    df["period"] = pd.to_datetime(df["period"])
    cut = pd.Timestamp(queries.cutoff(w, at))
    df["partial"] = (df["period"] < pd.Timestamp(w.start)) | (df["period"] + pd.Timedelta(weeks=1) > cut)
    return df


def coverage_summary(
    cells: pd.DataFrame,
    stations: pd.DataFrame,
    s: Settings,
    towns: pd.DataFrame | None = None,
    crs: str | None = None,
    own: pd.DataFrame | None = None,
    communities: pd.DataFrame | None = None,
) -> dict:
    """Share of residents within ``s.walk_minutes`` of a station, residents not covered, and per street/town.

    The figures of the coverage page (``service_circle.walk``/``district``/``by_unit``), so both agree.
    ``towns`` (unit_id, name_zh) names the rows; without it they are named by id. ``cells`` are the residents
    counted (a unit's own, for a unit's view); they walk to any of ``stations`` (across a border too); the
    stations shown are ``own`` (the unit's own stations) when given, else all of ``stations``. ``by_unit`` lists
    the streets/towns, or the 居村 (named by ``communities``) when the residents are of one street/town only
    (``level`` says which).
    """
    from govdash import service_circle

    if cells.empty or stations.empty:
        return {}
    if towns is None:
        ids = pd.Series(cells["town_id"].dropna().unique())
        towns = pd.DataFrame({"unit_id": ids, "name_zh": ids})
    timed = service_circle.walk(cells, stations, metric_crs=crs)
    d = service_circle.district(timed, s.walk_minutes)
    by_town = service_circle.by_unit(timed, s.walk_minutes, towns, "town")
    level = "community" if communities is not None and cells["town_id"].nunique() == 1 else "town"
    by_unit = by_town if level == "town" else service_circle.by_unit(timed, s.walk_minutes, communities, level)
    shown = stations if own is None else own
    return {
        "share": d["share"],
        "residents": d["residents"],
        "uncovered": d["uncovered"],
        "stations": int(len(shown)),
        **service_circle.counted_by_level(shown),  # doorstep, centre: named apart on the wall
        "by_town": by_town[by_town["unit_id"].notna()],
        "by_unit": by_unit[by_unit["unit_id"].notna()],
        "level": level,
        "minutes": s.walk_minutes,
    }


def coverage_data(db: Database, s: Settings, scope: Scope | None = None, area: Scope | None = None) -> dict:
    """``coverage_summary`` of the residents and stations inside an account's ``scope`` and the unit the wall is
    opened for (``area``, ``filters.view_area``); both None: the whole district (adapter)."""
    from govdash import district_record

    within = tuple(x for x in (scope, area) if x is not None)
    return coverage_summary(
        queries_map.cells(db, scope=scope, area=area),
        queries_map.stations(db),
        s,
        queries.towns(db, scope=scope),
        district_record.metric_crs(district_record.read(db)),
        own=queries_map.stations(db, within=within) if within else None,
        communities=queries.communities(db, scope=scope),
    )


def panel_names(panels: tuple[str, ...], lang: str = "zh") -> list[str]:
    """Playlist panel titles for the header."""
    return [label(f"wall_panel_{p}", lang) for p in panels]
