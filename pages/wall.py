"""Wall screen (大屏): chrome-free and dark; headline tiles, rotating panels, alert ticker; all state in the URL."""

import logging
import time

import streamlit as st

from govdash import filters, mustreport, queries, queries_trend, ui, wall, wall_view
from govdash.wall import label

log = logging.getLogger("govdash.wall")
lang = ui.lang()
s = ui.conf()
params = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
state = wall.state(params, s)
names = wall.panel_names(state.panels, lang)
try:  # the screen's scale, reported by the page's script (see wall_view.clock_script)
    z = wall.scale(st.context.cookies.get(wall.SCALE_COOKIE))
except Exception:  # no browser (AppTest)
    z = 1.0
try:  # the district's zone: its clock on the header and the ticking script
    zone = ui.district().timezone
except Exception:  # no database yet: the configured zone
    zone = s.timezone
PLOT_CONFIG = {"displayModeBar": False, "staticPlot": True}


@st.cache_data(show_spinner=False, max_entries=16)
def _coverage(inputs: tuple, conf, scope=None, area=None) -> dict:
    """Coverage depends on cells and stations only: cached by their fingerprint, not by every case write."""
    return wall.coverage_data(ui.database(), conf, scope, area)


def coverage() -> dict:
    """The residents and stations of the account's area and of the unit the wall is opened for."""
    _, f = context()
    return _coverage(ui.cached(queries_trend.coverage_inputs_version), s, ui.scope(), filters.view_area(f))


def context():
    """The data's 'now' and the wall's filters (the period moves with the data; units by code or name)."""
    at = ui.cached(queries.as_of)
    f = wall.wall_filters(ui.url_params()[0], at.date(), state.days, public=ui.public_wall())
    return at, ui.scoped(f)  # a signed-in account's area only


def notice() -> str:
    """The URL's unit names that name no unit or several, in the UI language (none on the public wall)."""
    return "" if ui.public_wall() else " · ".join(ui.name_warning(p, lang) for p in ui.url_params()[1])


def panel(key: str, render) -> None:
    """Render one panel; any failure or empty result shows "no data" in its place, never an exception."""
    with st.container(key=f"wall-box-{key}"):
        slot = st.empty()
        try:
            with slot.container():
                render()
        except Exception:
            log.exception("wall panel %s failed", key)
            slot.html(wall_view.nodata_html(lang))


def require(value):
    """Treat an empty result as a failure so the panel shows "no data"."""
    if value is None or (hasattr(value, "empty") and value.empty) or (isinstance(value, (dict, list)) and not value):
        raise LookupError("no data")
    return value


@st.fragment(run_every=state.refresh_s)
def live() -> None:
    """Header, headline tiles and ticker: re-run every ``refresh`` seconds without reloading the page."""
    now = wall.local_now(zone)
    try:
        at, f = context()
        data_time = ui.cached(queries.data_as_of)
        units = ui.cached(queries.unit_names, scope=ui.scope())
        period = wall.scope_text(f, units.get("town", {}), lang, units.get("community", {}))
        note = notice()
    except Exception:
        log.exception("wall context failed")
        at = f = data_time = None
        period = note = ""
    try:
        home = ui.district()
    except Exception:
        home = None
    st.html(
        wall_view.header_html(
            lang=lang,
            now=now,
            data_time=data_time,
            stale=wall.is_stale(data_time, now),
            period=period,
            synthetic=bool(home and home.synthetic),
            district=home.name(lang) if home else "",
            notice=note,
        )
    )
    panel("tiles", lambda: st.html(wall_view.tiles_html(require(ui.cached(wall.headline, f, at, s, lang)), lang)))
    try:
        items = ui.cached(wall.ticker, f, at, lang)
    except Exception:
        log.exception("wall ticker failed")
        items = None
    st.html(wall_view.ticker_html(items, lang))


def show_map(big: bool) -> None:
    at, f = context()
    m = ui.cached(wall.map_data, f, at)
    require(m["geoms"])
    size = wall_view.MAP_DESIGN_PX["map" if big else "overview"]
    title = "wall_map_title_community" if m["level"] == "community" else "wall_map_title"
    st.html(wall_view.title_html(label(title, lang, d=wall.DENSITY_DAYS, h=wall.LIVE_HOURS)))
    st.pydeck_chart(
        wall_view.wall_map(
            m["stats"],
            m["geoms"],
            m["bins"],
            m["recent"],
            lang=lang,
            tile_url=s.tile_url,
            size_px=size,
            scale=z,
            cell_m=m["cell_m"],
        ),
        height=round(size[1] * z),
    )
    st.html(wall_view.map_legend_html(lang, len(m["recent"])))


def show_lagging(n: int) -> None:
    at, f = context()
    st.html(wall_view.lagging_html(require(ui.cached(wall.map_data, f, at)["stats"]), lang, n))


def show_latest(n: int, status: bool) -> None:
    at, f = context()
    st.html(
        wall_view.latest_html(
            require(ui.cached(wall.latest_cases, f, n)),
            lang,
            status=status,
            categories=ui.catalogue().names("category", lang),
        )
    )


def show_trend(height: int) -> None:
    at, f = context()
    df = require(ui.cached(wall.trend_data, f, at))
    st.html(wall_view.title_html(label("wall_trend_title", lang, w=wall.TREND_WEEKS), label("wall_trend_note", lang)))
    st.plotly_chart(
        wall_view.trend_figure(df, target=s.target_resolution, lang=lang, height=height, scale=z),
        config=PLOT_CONFIG,
        width="stretch",
        theme=None,
    )


def show_coverage_card(full: bool) -> None:
    st.html(wall_view.coverage_html(require(coverage()), lang, full=full))


def show_coverage_chart(height: int, n: int) -> None:
    summary = require(coverage())  # a street/town's wall: its 居村
    st.html(wall_view.title_html(label(f"wall_coverage_{summary['level']}", lang)))
    names = dict(zip(summary["by_unit"]["unit_id"], summary["by_unit"]["name_zh"], strict=True))
    st.plotly_chart(
        wall_view.coverage_figure(summary, names, lang=lang, n=n, height=height, scale=z),
        config=PLOT_CONFIG,
        width="stretch",
        theme=None,
    )


def show_must_report() -> None:
    at, f = context()
    st.html(wall_view.must_report_html(ui.cached(mustreport.summary, f, at, lang), lang))


def stage_panel(name: str) -> None:
    px = wall_view.FIG_DESIGN_PX
    if name == "overview":
        left, right = st.columns([34, 66])
        with left:
            panel("map", lambda: show_map(False))
        with right:
            panel("trend", lambda: show_trend(px["overview_trend"]))
            cov, lag, new = st.columns(3)
            with cov:
                panel("coverage", lambda: show_coverage_card(False))
            with lag:
                panel("lagging", lambda: show_lagging(4))  # four rows fit above the ticker, as the latest cases
            with new:
                panel("latest", lambda: show_latest(4, False))  # four rows of 24 px type fit
    elif name == "map":
        left, mid, right = st.columns([46, 27, 27])
        with left:
            panel("map", lambda: show_map(True))
        with mid:
            panel("lagging", lambda: show_lagging(12))
        with right:
            panel("latest", lambda: show_latest(12, True))
    elif name == "trend":
        panel("trend", lambda: show_trend(px["trend"]))
    elif name == "coverage":
        left, right = st.columns([34, 66])
        with left:
            panel("coverage", lambda: show_coverage_card(True))
        with right:
            panel("coverage_chart", lambda: show_coverage_chart(px["coverage"], 16))
    elif name == "must_report":
        panel("must_report", show_must_report)


if "wall_started" not in st.session_state:  # where this browser session joined the playlist
    st.session_state["wall_started"] = time.time()
    st.session_state["wall_first"] = wall.first_slide(time.time(), state.rotate_s, len(state.panels))


@st.fragment(run_every=min(x for x in (state.rotate_s, state.refresh_s) if x > 0))
def stage() -> None:
    """The rotating panel: moves on every ``rotate`` seconds; its data refreshes at least as often."""
    i = wall.slide(
        len(state.panels), st.session_state["wall_first"], st.session_state["wall_started"], time.time(), state.rotate_s
    )
    if len(state.panels) > 1:
        st.html(wall_view.playlist_html(names, i))
    with st.container(key="wall-stage"):
        stage_panel(state.panels[i])


st.html(wall_view.css())
st.html(wall_view.clock_script(zone), unsafe_allow_javascript=True)
live()
stage()
