"""The Streamlit edge: cached database, first-run demo build, language switch, the shared filter bar, headers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from govdash import access, demo, filters, freshness, lake, queries, queries_map, settings
from govdash import catalogue as catalogue_
from govdash.db import Database
from govdash.i18n import LANGS, readable, t

PRESETS = ("last_month", "7d", "30d", "90d", "365d", "all", "custom")  # the leader's default first
_W = {
    "preset": "w_preset",
    "dates": "w_dates",
    "towns": "w_towns",
    "communities": "w_communities",
    "grids": "w_grids",
    "categories": "w_categories",
    "channels": "w_channels",
    "departments": "w_departments",
}


@st.cache_resource(show_spinner=False)
def _database(path: str, max_rows: int) -> Database:
    return Database(path, max_rows=max_rows)


# every character Streamlit's markdown gives a meaning (CommonMark, :colour[..], :emoji:, :material/icon:,
# $LaTeX$, HTML entities): escaped with a backslash, each then shows as itself
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=^\"'])")
# GFM autolinks (http://, www., e-mail) are found in the text after escapes are undone: an invisible
# word joiner breaks their pattern instead
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md_text(value: object) -> str:
    """``value`` (data, a URL parameter, a file name, an error) as literal text inside Streamlit markdown.

    Use it for every such string put into st.markdown, captions, titles, alerts and widget labels:
    a name like ``[会话过期](http://evil.example)`` or ``![x](http://evil.example/x.png)`` must show as
    typed, never as a link or an image. Line breaks stay line breaks.
    """
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, line)) for line in lines)


def conf() -> settings.Settings:
    return settings.load()


DEMO_PATH = Path(settings.Settings.db)  # the default GOVDASH_DB: the one path the app builds the demo at by itself
_SEEN: set[str] = set()  # database paths this server process has found in place


def may_build_demo(path: str) -> bool:
    """Whether the app may build the demo at the missing ``path``: only at the default path, and only on a
    first start there (never found by this process, and no writer ever there: no ``<path>.lock``)."""
    p = Path(path).resolve()
    return p == DEMO_PATH.resolve() and str(p) not in _SEEN and not Path(f"{p}.lock").exists()


def database() -> Database:
    """The shared read-only database; on a first start at the default path, the demo is built first.

    Any other missing database (a configured path with no file, or a file gone under a running
    app) stops the page with an error in the UI language: a demo never takes its place (issue 15).
    A lake is never built here.
    """
    s = conf()
    if lake.is_lake(s.db):
        pass
    elif Path(s.db).is_file():
        _SEEN.add(str(Path(s.db).resolve()))
    elif may_build_demo(s.db):
        with st.status(t("building_demo", lang()), expanded=True) as status:
            bar = st.progress(0.0)
            demo.build(
                s.db,
                cases=s.demo_cases,
                seed=s.demo_seed,
                progress=lambda frac, msg: bar.progress(min(frac, 1.0), text=msg),
            )
            status.update(state="complete")
    else:
        st.error(t("database_missing", lang()).format(path=str(s.db).replace("`", "")))
        st.stop()
    return _database(s.db, s.max_rows)


@st.cache_data(show_spinner=False, ttl=600, max_entries=512)
def _cached(key: str, version: tuple, _fn, *args, **kwargs):
    """``_fn(db, *args, **kwargs)``, cached under ``key`` (its qualified name), the database version and the
    arguments (``_fn`` itself is not hashed: the key names it)."""
    return _fn(database(), *args, **kwargs)


def cached(fn, *args, **kwargs):
    """Run ``fn(db, *args, **kwargs)`` (a query or an analysis adapter, passed by reference) cached by its
    qualified name, the database file's version and the arguments; a windowed read (govdash.freshness) by what it
    read instead of the version, so a write elsewhere leaves it cached.

    Every Filters argument is limited to the signed-in account's streets/towns; a listing query that takes
    ``scope`` gets it from the caller, explicitly (``scope=ui.scope()``; tests/test_app_access.py checks every
    call). Personal data is masked in the result unless the account's role allows it.
    """
    scoped_kwargs = dict(zip(kwargs, _scoped_args(tuple(kwargs.values())), strict=True))
    return _masked(freshness.call(database(), fn, _scoped_args(args), scoped_kwargs, _memo))


def _memo(key: str, version: tuple, fn, args: tuple, kwargs: dict):
    """The result cache for govdash.freshness: ``_cached`` under ``key``, ``version`` and the arguments."""
    return _cached(key, version, fn, *args, **kwargs)


_FRAMED = "app_frame"  # session-state mark: app.py has run in this session


def frame() -> None:
    """Mark the session as running through app.py; app.py calls this first, before any other ``ui`` call."""
    st.session_state[_FRAMED] = True


def _leave_pages_folder_mode() -> None:
    """Send a page run without app.py (legacy pages-folder mode) through app.py instead.

    Why: with a ``pages/`` folder next to app.py, Streamlit starts each process in its legacy
    multipage mode, and until some session calls ``st.navigation`` a run of ``/trends`` executes
    pages/trends.py alone (no filter bar, no navigation). That switch is process-wide, so it
    cannot say whether *this* run is bare: another session may flip it in the middle of our
    run (five deep links to a fresh server raced on it). The session's own mark can: app.py sets
    it before anything else, so a page running in an unmarked session is a bare run; leave the
    legacy mode (as ``st.navigation`` itself does) and rerun through app.py. Page url_paths equal
    their file stems so both modes name the same page.
    """
    if _FRAMED in st.session_state or st.session_state.get("bare_rerun"):
        return  # framed; or already rerun once and still bare (a page script run on its own, as in tests)
    st.session_state["bare_rerun"] = True
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except ImportError:  # pragma: no cover - a Streamlit without this internal
        pass
    st.rerun()


def lang() -> str:
    """Current UI language, from the switch, the URL or settings (``wall_lang`` on the wall screen)."""
    _leave_pages_folder_mode()
    if "lang" not in st.session_state:
        qp = st.query_params.get("lang")
        st.session_state["lang"] = qp if qp in ("zh", "en") else (conf().wall_lang if wall_mode() else conf().lang)
    return st.session_state["lang"]


def wall_mode() -> bool:
    """True for the wall screen: ``?mode=wall``, or settings.wall unless the URL names another mode."""
    mode = st.query_params.get("mode")
    return mode == "wall" if mode else conf().wall


def open_wall() -> None:
    """The page behind "/wall" outside wall mode: the same path again as the wall screen."""
    st.query_params["mode"] = "wall"
    st.rerun()


def language_switch() -> None:
    current = lang()
    choice = st.sidebar.radio(
        t("language", current),
        list(LANGS),
        index=LANGS.index(current),
        format_func=lambda v: t(f"lang_{v}", current),
        horizontal=True,
    )
    if choice != current:
        st.session_state["lang"] = choice
        st.rerun()


def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def url_params() -> tuple[dict[str, list[str]], tuple[filters.NameProblem, ...]]:
    """The URL's parameters with each unit given by its code or its name (``town=陆家嘴街道``) read as its code,
    and the names that name no unit or several (``filters.resolve_units``)."""
    units = cached(queries.unit_labels)
    return filters.resolve_units(_params(), units.itertuples(index=False, name=None))


def name_warning(problem: filters.NameProblem, lg: str) -> str:
    """A URL's unit name that could not be read, in the UI language (the label table)."""
    level = t(filters.UNIT_PARAMS[problem.param], lg).lower()
    key = "url_unit_ambiguous" if problem.kind == "ambiguous" else "url_unit_unknown"
    return t(key, lg).format(param=problem.param, level=level, value=problem.value, ids="、".join(problem.ids[:5]))


def _shift(d: date, days: int) -> date:
    """``d`` moved by ``days``, held at date.min / date.max instead of overflowing."""
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _preset_range(preset: str, lo: date, hi: date) -> tuple[date, date]:
    if preset == "last_month":
        m = filters.last_month(hi)
        return max(lo, m.start), m.end
    days = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}.get(preset)
    if days:
        return max(lo, _shift(hi, 1 - days)), hi
    return lo, hi


def _date_bounds(lo: date, hi: date) -> tuple[date, date]:
    """The first and last day the period picker offers: ten years before the data to a year after."""
    return _shift(lo, -3650), _shift(hi, 366)


def set_filters(f: filters.Filters) -> None:
    """Ask the filter bar to show ``f`` on the next run (used by map clicks and ranking rows)."""
    st.session_state["pending_filters"] = f


def _apply_to_widgets(f: filters.Filters, lo: date, hi: date) -> None:
    preset = next((p for p in PRESETS[:-1] if _preset_range(p, lo, hi) == (f.start, f.end)), "custom")
    st.session_state[_W["preset"]] = preset
    st.session_state[_W["dates"]] = (f.start, f.end)
    for name in filters.names():
        st.session_state[_W[name]] = list(getattr(f, name))


def filter_bar(db: Database) -> filters.Filters:
    """The sidebar filter bar shared by every page; state lives in the session and the URL."""
    lg = lang()
    rng = cached(queries.date_range)
    hi = rng[1] if rng else date.today()
    lo = rng[0] if rng else hi - timedelta(days=365)
    if "filters_ready" not in st.session_state:
        fallback = filters.last_month(hi)  # the last complete month: a leader's default (docs/indicators.md)
        params, problems = url_params()
        notes = [name_warning(p, lg) for p in problems]
        try:
            f = filters.from_params(params, fallback)
        except filters.FilterError as exc:
            notes.append(str(exc))
            f = fallback
        if notes:
            st.session_state["filter_error"] = "\n\n".join(notes)
        first, last = _date_bounds(lo, hi)
        if not (first <= f.start and f.end <= last):  # the date picker would refuse it with a traceback
            st.session_state["filter_error"] = f"from/to: {t('period', lg)} {first} – {last}"
            f = fallback
        mine = _in_scope(f)
        if mine != f:  # a link to streets/towns or 居村 this account may not see
            st.session_state["filter_error"] = t("out_of_scope", lg)
            f = mine
        _apply_to_widgets(f, lo, hi)
        st.session_state["filters_ready"] = True
    if "pending_filters" in st.session_state:
        _apply_to_widgets(st.session_state.pop("pending_filters"), lo, hi)

    sb = st.sidebar
    sb.header(t("filters", lg))
    if "filter_error" in st.session_state:
        sb.warning(md_text(st.session_state.pop("filter_error")))
    preset = sb.selectbox(t("period", lg), PRESETS, key=_W["preset"], format_func=lambda p: t(f"preset_{p}", lg))
    if preset == "custom":
        dates = sb.date_input(
            t("period", lg), key=_W["dates"], min_value=_date_bounds(lo, hi)[0], max_value=_date_bounds(lo, hi)[1]
        )
        start, end = (dates[0], dates[-1]) if isinstance(dates, (tuple, list)) and dates else (hi, hi)
    else:
        start, end = _preset_range(preset, lo, hi)
    towns = cached(queries.towns, scope=scope())
    town_names = dict(zip(towns["unit_id"], towns["name_zh"], strict=False))
    st.session_state[_W["towns"]] = [x for x in st.session_state.get(_W["towns"], []) if x in town_names]
    sel_towns = sb.multiselect(
        t("town", lg),
        list(town_names),
        key=_W["towns"],
        format_func=lambda v: town_names.get(v, v),
        placeholder=t("all", lg),
    )
    coms = cached(queries.communities, tuple(sel_towns), scope=scope()) if sel_towns else None
    com_names = dict(zip(coms["unit_id"], coms["name_zh"], strict=False)) if coms is not None else {}
    st.session_state[_W["communities"]] = [c for c in st.session_state.get(_W["communities"], []) if c in com_names]
    sel_coms = sb.multiselect(
        t("community", lg),
        list(com_names),
        key=_W["communities"],
        format_func=lambda v: com_names.get(v, v),
        placeholder=t("all", lg),
        disabled=not sel_towns,
    )
    grid_df = cached(queries.grids, tuple(sel_coms), scope=scope()) if sel_coms else None
    grid_names = dict(zip(grid_df["unit_id"], grid_df["name_zh"], strict=False)) if grid_df is not None else {}
    st.session_state[_W["grids"]] = [g for g in st.session_state.get(_W["grids"], []) if g in grid_names]
    sel_grids = sb.multiselect(
        t("grid", lg),
        list(grid_names),
        key=_W["grids"],
        format_func=lambda v: grid_names.get(v, v),
        placeholder=t("all", lg),
        disabled=not sel_coms,
    )
    cat = catalogue()
    sel_cats, sel_ch, sel_dep = (
        sb.multiselect(
            t(kind, lg),
            cat.codes(kind),
            key=_W[widget],
            format_func=lambda v, kind=kind: cat.name(kind, v, lg),
            placeholder=t("all", lg),
        )
        for kind, widget in (("category", "categories"), ("channel", "channels"), ("department", "departments"))
    )
    if sb.button(t("reset", lg)):
        set_filters(filters.last_month(hi))
        st.rerun()
    f = access.restrict(
        filters.Filters(
            start=start,
            end=end,
            towns=tuple(sel_towns),
            communities=tuple(sel_coms),
            grids=tuple(sel_grids),
            categories=tuple(sel_cats),
            channels=tuple(sel_ch),
            departments=tuple(sel_dep),
        ),
        scope(),
    )
    st.session_state["filters"] = f
    _write_url(f)
    return f


def _write_url(f: filters.Filters) -> None:
    """Keep the URL in step with the filters so a copied link reproduces the view."""
    wanted = {**f.to_params(), "lang": lang()}
    for key in ("mode", "case"):  # the wall's mode; a case opened by link (the cases page)
        if key in st.query_params:
            wanted[key] = st.query_params[key]
    current = _params()
    norm = {k: (v if isinstance(v, list) else [v]) for k, v in wanted.items()}
    if current != norm:
        st.query_params.from_dict(wanted)


def _in_scope(f: filters.Filters) -> filters.Filters:
    """``f`` without the streets/towns and 居村 the session's scope does not list (the query layer would show
    nothing of them; this says so). A dropped street/town drops the 居村 and grids chosen under it."""
    if scope() is None:
        return f
    towns = set(cached(queries.towns, scope=scope())["unit_id"])
    if any(x not in towns for x in f.towns):
        return f.with_(towns=tuple(x for x in f.towns if x in towns), communities=(), grids=())
    if f.communities:
        coms = set(cached(queries.communities, f.towns, scope=scope())["unit_id"])
        if any(x not in coms for x in f.communities):
            return f.with_(communities=tuple(x for x in f.communities if x in coms), grids=())
    return f


def current_filters() -> filters.Filters:
    """The filters set by the sidebar in this run."""
    return st.session_state["filters"]


def catalogue() -> catalogue_.Catalogue:
    """The database's categories, channels and departments with their names (cached by database version)."""
    return cached(catalogue_.read)


def header(title_key: str, db: Database) -> None:
    """Page title, the synthetic-data notice, the district's name and the data-as-of time."""
    lg = lang()
    st.title(t(title_key, lg))
    home = district()
    at = cached(queries.data_as_of)
    if home.synthetic:
        st.info(t("synthetic", lg), icon="ℹ️")
    line = [home.title(lg)] + ([f"{t('data_as_of', lg)} {at:%Y-%m-%d %H:%M}"] if at is not None else [])
    st.caption(" · ".join(line))


def fmt(value, indicator: str) -> str:
    """The registry's text for an indicator value (``indicators.fmt``)."""
    from govdash import indicators

    return indicators.fmt(value, indicator)


def delta(now, before, indicator: str, lang: str = "zh") -> str | None:
    """Change against the previous period as text for st.metric (``indicators.change_text``: percentage
    points for rates, points for scores, % for counts and hours); None when it cannot be computed."""
    from govdash import indicators

    if indicators.change(now, before, indicator) is None:
        return None
    return indicators.change_text(now, before, indicator, lang)


def delta_style(text: str | None, color: str) -> dict:
    """st.metric arguments for a change: grey and without an arrow when it rounds to nothing."""
    flat = text is not None and text.startswith("0.0")
    return {"delta_color": "off", "delta_arrow": "off"} if flat else {"delta_color": color}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _unit_shapes(
    version: tuple, level: str, towns: tuple, communities: tuple, grids: tuple, scope_: tuple | None = None
) -> pd.DataFrame:
    from govdash import maps

    area = filters.Filters(
        start=date.min, end=date.min, towns=towns, communities=communities, grids=grids, scope=scope_
    )
    return maps.unit_shapes(queries.unit_geometries(database(), level, area), tolerance_m=maps.SIMPLIFY_M[level])


def unit_shapes(level: str, f: filters.Filters | None = None) -> pd.DataFrame:
    """Simplified, rounded polygons of ``level`` units inside ``f``'s area, cached by database version."""
    area = (f.towns, f.communities, f.grids) if f is not None else ((), (), ())
    return _unit_shapes(database().version(), level, *area, scope())


@st.cache_data(show_spinner=False, ttl=600, max_entries=16)
def _repeats(version: tuple, f: filters.Filters, limit: int) -> tuple[pd.DataFrame, int, bool]:
    from govdash import hotspots

    rows = queries_map.repeat_candidates(database(), f, limit=limit)
    return hotspots.repeat_complaints(rows), len(rows), bool(rows.attrs.get("truncated"))


def repeat_complaints(f: filters.Filters, limit: int) -> tuple[pd.DataFrame, int, bool]:
    """Repeat-complaint clusters of the filtered cases, how many cases were read and whether there were
    more than ``limit`` (cached)."""
    return _repeats(database().version(), access.restrict(f, scope()), limit)


@st.cache_resource(show_spinner=False, max_entries=2)
def _street_graph(path: str, stamp: tuple, crs: str, district: tuple | None):
    from govdash import osm

    return osm.read_osm(path, metric_crs=crs, district=district)


def street_graph(path: str):
    """The pedestrian graph of an OSM extract (``settings.network_file``) in the district's metric CRS, read
    once per file and database version; ValueError when it misses the district's units."""
    st_ = Path(path).stat()
    return _street_graph(path, (st_.st_mtime_ns, st_.st_size), metric_crs(), cached(queries.units_bounds))


@st.cache_resource(show_spinner=False, max_entries=2)
def _basemap(path: str, stamp: tuple, crs: str, bounds: tuple) -> tuple[list, tuple[int, ...]]:
    from govdash import basemap

    bm = basemap.cached_read(path, bounds, metric_crs=crs)  # parsed once per file, kept on disk
    return basemap.Layers(basemap.layers(bm), (path, stamp, crs, bounds)), bm.dropped_ranks


def basemap_layers(path: str) -> tuple[list, tuple[int, ...]]:
    """The offline basemap of an OSM extract (``settings.network_file``): its deck layers (roads and water of the
    district, simplified) and the road ranks left out to stay within the budget; read once per file, district
    and CRS (``govdash.basemap``). ([], ()) without units; FileNotFoundError / ValueError as ``basemap.read``."""
    bounds = cached(queries.units_bounds)
    if bounds is None:
        return [], ()
    st_ = Path(path).stat()
    return _basemap(path, (st_.st_mtime_ns, st_.st_size), metric_crs(), tuple(bounds))


def district():
    """The district's record (govdash.district_record), cached by database version."""
    return _district(database().version())


@st.cache_data(show_spinner=False, ttl=600)
def _district(version: tuple):
    from govdash import district_record

    return district_record.read(database())


def empty_district() -> bool:
    """True, after showing how to import data, when the district has no cases yet (a district just
    started with ``python -m govdash init``); False otherwise, showing nothing."""
    database()
    if cached(queries.date_range) is not None:
        return False
    lg = lang()
    home = district()
    st.title(home.title(lg))
    st.info(t("empty_district", lg).format(name=home.name(lg) or t("district", lg)), icon="ℹ️")
    st.code(t("empty_steps", lg).replace("；", "\n").replace("; ", "\n"), language="bash")
    return True


def app_title(lg: str) -> str:
    """The app's title with the district's name (no name before the database exists)."""
    from govdash import district_record

    home = district() if Path(conf().db).exists() else district_record.District()
    return home.title(lg)


def crs_check() -> tuple[str, float]:
    """The metric CRS in use and how much it distorts the district's scale over its units' extent (a share)."""
    from govdash import district_record

    crs, box = metric_crs(), cached(queries.units_extent)
    return crs, district_record.distortion(crs, box) if box is not None else 0.0


def crs_distorts(off: float) -> bool:
    """True when a scale error ``off`` (a share) is worth a warning (more than 1 %)."""
    from govdash import district_record

    return off > district_record.DISTORTION_LIMIT


def metric_crs() -> str:
    """The CRS of areas, distances and walking minutes: the district's (or the settings' override)."""
    from govdash import district_record

    return district_record.metric_crs(district())


def accounts_file() -> str:
    from govdash import accounts

    return accounts.path(conf())


# --- access: sign-in, the signed-in principal, its area scope, masking, audited exports (issue 8) ---


def principal() -> access.Principal | None:
    """Who is using this session: everyone is an admin without sign-in (settings.auth 'none'); the public
    wall is a viewer; otherwise the signed-in account, None before sign-in."""
    s = conf()
    if s.auth == "none":
        return access.EVERYONE
    signed = st.session_state.get("principal")
    if signed is None and wall_mode():
        return _wall_device() or (access.PUBLIC_WALL if s.wall_public else None)
    return signed


WALL_TOKEN_RECHECK_S = 60  # a revoked wall token stops working within this many seconds


def _wall_device() -> access.Principal | None:
    """The wall screen named by the URL's device token (``?mode=wall&token=…``), checked read-only against the
    accounts file at most every ``WALL_TOKEN_RECHECK_S``; it survives server restarts as the URL does."""
    import time

    token = st.query_params.get("token")
    if not token:
        return None
    seen = st.session_state.get("wall_device")
    if seen is None or seen[0] != token or time.monotonic() - seen[2] > WALL_TOKEN_RECHECK_S:
        from govdash import accounts

        r = accounts.wall_screen(accounts_file(), token)
        seen = (token, r.principal() if r.ok else None, time.monotonic())
        st.session_state["wall_device"] = seen
    return seen[1]


def public_wall() -> bool:
    """True for the wall shown without sign-in (settings.wall_public): its URL may not choose filters."""
    return principal() is access.PUBLIC_WALL


def scope() -> tuple[str, ...] | None:
    """The streets/towns this session may see (None: all); nothing at all before sign-in."""
    p = principal()
    return () if p is None else p.scope


def can(right: str) -> bool:
    """True when the session's role has ``right`` (cases, export, personal_data, import)."""
    p = principal()
    return p is not None and p.can(right)


def require(right: str) -> None:
    """Stop a page the role may not use (the navigation hides it too; this covers a direct run)."""
    if not can(right):
        st.error(t("no_right", lang()))
        st.stop()


def _scoped_args(args: tuple) -> tuple:
    sc = scope()
    return tuple(access.restrict(a, sc) if isinstance(a, filters.Filters) else a for a in args)


def _masked(value):
    p = principal()
    if isinstance(value, pd.DataFrame) and (p is None or not p.can("personal_data")):
        return access.mask_frame(value, p or access.PUBLIC_WALL)
    return value


def scoped(f: filters.Filters) -> filters.Filters:
    """``f`` limited to the session's streets/towns (for filters a page builds itself, e.g. the wall's)."""
    return access.restrict(f, scope())


def table(frame: pd.DataFrame, **kwargs):
    """``st.dataframe`` of ``frame`` as people read it: booleans as 是/否, missing text as "—" (i18n.readable)."""
    return st.dataframe(readable(frame, lang()), **kwargs)


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with personal data masked unless the session's role may see it."""
    return _masked(df)
