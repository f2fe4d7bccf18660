"""Issue heatmap data: bin size for the area shown, the bin lattice, hot spots on bins, playback frames, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from govdash import hotspots, maps_heat
from govdash.bins import BinFrame
from govdash.i18n import WEEKDAYS, t

# squares per view the browser may receive: with maps_heat's compact squares (~80 bytes each) a view's deck stays
# under 300 KB (tests/test_heatmap.py). The whole district then gets squares of about 1 km, some 5 pixels at the
# zoom that shows it: finer squares (40,000 of 300 m were 1 MB at 10 M cases) drew 1–2 pixels each.
MAX_BINS = 2_500
# squares a hot-spot analysis reads (Gi* at the old scale: 250 m over a district); only the significant ones are
# drawn, at most maps_heat.SPOTS_DRAWN of them
ANALYSIS_BINS = 40_000
CELLS_M = (100, 125, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1250, 1600, 2000, 2500, 3200, 5000, 10000)
ALPHA = 0.05
POINTS_MAX = maps_heat.POINTS_MAX  # cases drawn one by one only up to this many (a community's month, a street's day)
TOP_N = 10  # grids in the "most cases" table beside the heatmap
REPEAT_MAX_CASES = 500_000  # repeat detection reads every filtered case; beyond this ask for a narrower filter
NOT_SIG = "not significant"
_KEY = 1_000_000


def bin_ix(lon, lat, cell_m: float, *, frame: BinFrame) -> tuple[np.ndarray, np.ndarray]:
    """Square-bin indices of WGS-84 points in the district's ``frame`` (``queries_map.bin_frame``), the same
    formula as ``queries_map.heat_bins``."""
    bx = np.floor((np.asarray(lon, float) - frame.lon0) * frame.mx / cell_m).astype(np.int64)
    by = np.floor((np.asarray(lat, float) - frame.lat0) * frame.my / cell_m).astype(np.int64)
    return bx, by


def bin_corner(bx, by, cell_m: float, *, frame: BinFrame) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat (WGS-84) of the south-west corners of bins."""
    return (
        frame.lon0 + np.asarray(bx, float) * cell_m / frame.mx,
        frame.lat0 + np.asarray(by, float) * cell_m / frame.my,
    )


def bin_bound(bbox: tuple[float, float, float, float], cell_m: float, *, frame: BinFrame) -> int:
    """Most bins a box (lon0, lat0, lon1, lat1) can hold: an upper bound on the bins of any frame."""
    (x0, x1), (y0, y1) = bin_ix([bbox[0], bbox[2]], [bbox[1], bbox[3]], cell_m, frame=frame)
    return int((x1 - x0 + 1) * (y1 - y0 + 1))


def cell_size(
    bbox: tuple[float, float, float, float] | None,
    min_cell_m: float = 100.0,
    max_bins: int = MAX_BINS,
    *,
    frame: BinFrame,
) -> float:
    """The smallest bin edge (metres, from ``CELLS_M``) not below ``min_cell_m`` whose bins in ``bbox``, padded
    by one bin (:func:`pad_bbox`), stay within ``max_bins``: a district gets 300 m squares, a town 100 m."""
    if bbox is None:
        return float(max(min_cell_m, CELLS_M[0]))
    for c in CELLS_M:
        if c >= min_cell_m and bin_bound(pad_bbox(bbox, c, frame=frame), c, frame=frame) <= max_bins:
            return float(c)
    return float(CELLS_M[-1])


def pad_bbox(
    bbox: tuple[float, float, float, float], metres: float, *, frame: BinFrame
) -> tuple[float, float, float, float]:
    """Grow a lon/lat box by ``metres`` on every side (cases on the border stay in)."""
    dx, dy = metres / frame.mx, metres / frame.my
    return (round(bbox[0] - dx, 6), round(bbox[1] - dy, 6), round(bbox[2] + dx, 6), round(bbox[3] + dy, 6))


def _polygons(shapes: pd.DataFrame) -> np.ndarray:
    return np.array([shapely.Polygon(p[0], p[1:]) for p in shapes["polygon"]], dtype=object)


def lattice(shapes: pd.DataFrame, cell_m: float, *, frame: BinFrame) -> pd.DataFrame:
    """Every bin whose centre lies in the area (``maps.unit_shapes`` output): ``bx``, ``by``, ``lon``, ``lat``.

    Gi* needs the empty bins of the study area too; leaving them out would change the mean it
    compares against.
    """
    if shapes.empty:
        return pd.DataFrame({"bx": [], "by": [], "lon": [], "lat": []})
    polys = _polygons(shapes)
    area = shapely.union_all(polys)
    x0, y0, x1, y1 = area.bounds
    (bx0, bx1), (by0, by1) = bin_ix([x0, x1], [y0, y1], cell_m, frame=frame)
    bx, by = np.meshgrid(np.arange(bx0, bx1 + 1), np.arange(by0, by1 + 1))
    bx, by = bx.ravel(), by.ravel()
    lon, lat = bin_corner(bx + 0.5, by + 0.5, cell_m, frame=frame)
    inside = shapely.contains_xy(area, lon, lat)
    lon, lat = bin_corner(bx[inside], by[inside], cell_m, frame=frame)
    return pd.DataFrame({"bx": bx[inside], "by": by[inside], "lon": lon, "lat": lat})


def hot_spot_bins(
    bins: pd.DataFrame,
    grid: pd.DataFrame,
    cell_m: float,
    previous: pd.DataFrame | None = None,
    *,
    frame: BinFrame,
    alpha: float = ALPHA,
    crs: str | None = None,
) -> pd.DataFrame:
    """Gi* hot and cold spots on bin counts, and the trend against a previous period.

    Parameters
    ----------
    bins, previous : DataFrame
        ``bx``, ``by``, ``count`` of the period and of the previous period of equal length.
    grid : DataFrame
        The lattice of the area (``bx``, ``by``), so empty bins count as zeros.
    cell_m : float
        Bin edge in metres; neighbours are the 8 surrounding bins (distance band 1.5 x edge).

    Returns
    -------
    One row per bin of the lattice or with cases in either period: ``bx``, ``by``, ``lon``,
    ``lat`` (south-west corner), ``count``, ``previous``, ``z``, ``p``, ``q`` (BH-adjusted),
    ``label`` (hot / cold / not significant at ``alpha``), ``trend`` (see ``hotspots.emerging``).
    """
    keys = [grid[["bx", "by"]], bins[["bx", "by"]]] + ([previous[["bx", "by"]]] if previous is not None else [])
    df = pd.concat(keys).drop_duplicates().astype(np.int64).reset_index(drop=True)
    df.index = df["bx"] * _KEY + df["by"]

    def counts(b: pd.DataFrame | None) -> np.ndarray:
        if b is None or b.empty:
            return np.zeros(len(df))
        s = b.groupby(b["bx"].astype(np.int64) * _KEY + b["by"].astype(np.int64))["count"].sum()
        return s.reindex(df.index, fill_value=0).to_numpy(float)

    df["count"], df["previous"] = counts(bins), counts(previous)
    df["lon"], df["lat"] = bin_corner(df["bx"] + 0.5, df["by"] + 0.5, cell_m, frame=frame)
    if len(df) == 0:
        return df.assign(z=[], p=[], q=[], label=[], trend=[])
    now = hotspots.hot_spots(df, "count", distance_m=1.5 * cell_m, alpha=alpha, crs=crs)
    if previous is not None:
        before = hotspots.hot_spots(df, "previous", distance_m=1.5 * cell_m, alpha=alpha, crs=crs)["label"]
        trend = hotspots.emerging(now["label"], before)
    else:
        trend = pd.Series("none", index=df.index)
    out = now[["bx", "by", "count", "previous", "z", "p", "q", "label"]].assign(trend=trend.to_numpy())
    out["lon"], out["lat"] = bin_corner(out["bx"], out["by"], cell_m, frame=frame)
    return out.reset_index(drop=True)


def spot_clusters(
    spots: pd.DataFrame,
    cell_m: float,
    places: pd.DataFrame | None = None,
    names: dict[str, str] | None = None,
    *,
    frame: BinFrame,
) -> pd.DataFrame:
    """Touching significant bins of one label merged into areas, largest first.

    Returns ``label``, ``emerging`` (most of its bins are emerging hot spots), ``bins``, ``new_bins``
    (emerging hot bins), ``area_km2``,
    ``cases``, ``previous``, ``lon``, ``lat`` (centre of the busiest bin, WGS-84) and ``place``:
    the name of the unit of ``places`` (``maps.unit_shapes`` rows) holding that centre.
    """
    cols = ["label", "emerging", "bins", "new_bins", "area_km2", "cases", "previous", "lon", "lat", "place"]
    sig = spots[spots["label"] != NOT_SIG].reset_index(drop=True)
    if sig.empty:
        return pd.DataFrame(columns=cols)
    xy = sig[["bx", "by"]].to_numpy(float)
    pairs = cKDTree(xy).query_pairs(1.5, output_type="ndarray")
    pairs = pairs[sig["label"].to_numpy()[pairs[:, 0]] == sig["label"].to_numpy()[pairs[:, 1]]]
    g = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(sig), len(sig)))
    _, comp = connected_components(g, directed=False)
    sig = sig.assign(_c=comp, _em=sig["trend"] == "emerging hot")
    peak = sig.sort_values("count", ascending=False, kind="stable").drop_duplicates("_c").set_index("_c")
    out = sig.groupby("_c").agg(
        label=("label", "first"),
        new_bins=("_em", "sum"),
        bins=("bx", "size"),
        cases=("count", "sum"),
        previous=("previous", "sum"),
    )
    out["emerging"] = out["new_bins"] * 2 > out["bins"]  # mostly new: the area as a whole emerged
    out["area_km2"] = out["bins"] * (cell_m / 1000) ** 2
    out["lon"], out["lat"] = bin_corner(
        peak.loc[out.index, "bx"] + 0.5, peak.loc[out.index, "by"] + 0.5, cell_m, frame=frame
    )
    out["place"] = _place(out["lon"].to_numpy(), out["lat"].to_numpy(), places, names or {})
    out[["cases", "previous"]] = out[["cases", "previous"]].astype(np.int64)
    return out.sort_values(["label", "cases"], ascending=[False, False]).reset_index(drop=True)[cols]


def _place(lon: np.ndarray, lat: np.ndarray, places: pd.DataFrame | None, names: dict[str, str]) -> list[str]:
    if places is None or places.empty:
        return [""] * len(lon)
    tree = shapely.STRtree(_polygons(places))
    pt_idx, poly_idx = tree.query(shapely.points(lon, lat), predicate="within")
    found = dict(zip(pt_idx.tolist(), poly_idx.tolist(), strict=True))
    ids = places["unit_id"].to_numpy()
    return [names.get(ids[found[i]], ids[found[i]]) if i in found else "" for i in range(len(lon))]


def frame_label(value, frame: str, lang: str = "zh") -> str:
    """Text for one playback frame: hour of day, day of week, week (its Monday) or month."""
    if frame == "hour":
        return f"{int(value):02d}:00–{int(value):02d}:59"
    if frame == "dow":
        return t(WEEKDAYS[int(value) - 1], lang)
    if frame == "week":
        return f"{pd.Timestamp(value):%Y-%m-%d} " + t("week_from", lang)
    if frame == "month":
        return f"{pd.Timestamp(value):%Y-%m}"
    return t("all", lang)


def frame_param(value):
    """A frame value as a plain Python parameter for ``queries_map.heat_bins`` (int or datetime)."""
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).to_pydatetime()
    return int(value)


def hot_spot_table(clusters: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The hot/cold areas for display: kind, place, cases now and before, area."""
    kind = {"hot": t("hot_spot", lang), "cold": t("cold_spot", lang)}
    return pd.DataFrame(
        {
            t("spot_kind", lang): [
                t("emerging_hot_spot", lang) if e and lb == "hot" else kind[lb]
                for lb, e in zip(clusters["label"], clusters["emerging"], strict=True)
            ],
            t("where", lang): clusters["place"],
            t("cases", lang): clusters["cases"],
            t("spot_previous", lang): clusters["previous"],
            t("area_km2", lang): clusters["area_km2"].round(2),
            t("new_bins", lang): clusters["new_bins"].astype(int),
        }
    )


def repeat_table(
    repeats: pd.DataFrame,
    category_names: dict[str, str],
    unit_names: dict[str, str],
    lang: str = "zh",
    unit_label: str | None = None,
) -> pd.DataFrame:
    """Repeat-complaint clusters for display, most cases first; ``unit_label`` heads the place column (the
    lowest level present: grids, else the district's own name of its communities or towns)."""
    r = repeats.sort_values(["count", "last_at"], ascending=[False, False], kind="stable")
    rule = {"grid": t("rule_grid", lang), "radius": t("rule_radius", lang), "grid+radius": t("rule_grid_radius", lang)}
    return pd.DataFrame(
        {
            t("category", lang): r["category"].map(lambda c: category_names.get(c, c)),
            unit_label or t("grid", lang): r["grid_id"].map(
                lambda g: unit_names.get(g, g) if isinstance(g, str) else ""
            ),
            t("cases", lang): r["count"].astype(int),
            t("dates", lang): (
                pd.to_datetime(r["first_at"]).dt.strftime("%m-%d")
                + " – "
                + pd.to_datetime(r["last_at"]).dt.strftime("%m-%d")
            ),
            t("rule", lang): r["rule"].map(rule),
        }
    )


FRAME_KINDS = ("none", "hour", "dow", "week", "month")
REPEATS_DRAWN = 300  # rings on the map (≈190 bytes each, within the view's 300 KB); the table lists every cluster


def frame_chart(frames: pd.DataFrame, frame: str, lang: str = "zh") -> pd.DataFrame:
    """Cases per playback frame, labelled, in frame order (for a bar chart beside the map)."""
    return pd.DataFrame(
        {
            "frame": [frame_label(v, frame, lang) for v in frames["frame"]],
            t("cases", lang): frames["cases"].astype(int).to_numpy(),
        }
    ).set_index("frame")


def spot_swatches(lang: str = "zh") -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries of the hot-spot map."""
    return [
        (maps_heat.HOT, t("hot_spot", lang)),
        (maps_heat.EMERGING, t("emerging_hot_spot_legend", lang)),
        (maps_heat.COLD, t("cold_spot", lang)),
    ]


def spot_summary(spots: pd.DataFrame, clusters: pd.DataFrame, f, cell_m: float, lang: str = "zh") -> str:
    """One line: what was tested, how many squares came out hot/cold, against which previous period."""
    n = int(spots["z"].notna().sum())
    hot = int((spots["label"] == "hot").sum())
    cold = int((spots["label"] == "cold").sum())
    new = int((spots["trend"] == "emerging hot").sum())
    prev = f.previous()
    return t("spot_summary", lang).format(n=n, cell=cell_m, hot=hot, cold=cold, new=new, a=prev.start, b=prev.end)


def top_repeats(repeats: pd.DataFrame, n: int = REPEATS_DRAWN) -> pd.DataFrame:
    """The ``n`` largest repeat clusters (most cases, most recent first) to draw."""
    return repeats.sort_values(["count", "last_at"], ascending=[False, False], kind="stable").head(n)


def top_units(stats: pd.DataFrame, paths: dict[str, str], n: int = TOP_N, lang: str = "zh") -> pd.DataFrame:
    """The ``n`` units with most cases (``queries.busiest_units`` or ``unit_stats``): where, cases, per 1,000."""
    top = stats.sort_values(["collected", "unit_id"], ascending=[False, True], kind="stable").head(n)
    return pd.DataFrame(
        {
            t("where", lang): top["unit_id"].map(lambda u: paths.get(u, u)),
            t("cases", lang): top["collected"].astype(int),
            t("cases_per_1000", lang): top["cases_per_1000"].round(1),
        }
    )
