"""The demo district's geography: outline, 街镇/居村/网格 polygons, the 100 m population surface and stations."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Polygon

from govdash.settings import PROJECT_ROOT

# An approximate outline of Pudong's land area (WGS-84, lon/lat), from the Huangpu river in the west to
# the East China Sea coast, drawn around the 36 town seats so that its geodesic area is Pudong's published
# 1,210 km² (1,210.04 on the WGS-84 ellipsoid, pyproj.Geod; tests/test_grid.py checks the towns'
# sum). Approximate on purpose: it is a demo.
AREA_KM2 = 1_210.0
OUTLINE_LONLAT = [
    (121.556, 31.354),
    (121.569, 31.360),
    (121.611, 31.352),
    (121.643, 31.336),
    (121.680, 31.303),
    (121.732, 31.255),
    (121.768, 31.200),
    (121.801, 31.147),
    (121.838, 31.086),
    (121.875, 31.025),
    (121.915, 30.960),
    (121.943, 30.910),
    (121.937, 30.890),
    (121.901, 30.885),
    (121.851, 30.886),
    (121.785, 30.907),
    (121.723, 30.940),
    (121.650, 30.980),
    (121.588, 31.011),
    (121.556, 31.035),
    (121.519, 31.082),
    (121.492, 31.118),
    (121.471, 31.148),
    (121.465, 31.175),
    (121.480, 31.200),
    (121.495, 31.225),
    (121.500, 31.245),
    (121.515, 31.260),
    (121.530, 31.290),
    (121.542, 31.325),
    (121.551, 31.344),
]
CELL_M = 100.0  # population surface cell edge, metres
RESIDENTS = 5_700_000  # district residents
PER_COMMUNITY = 5_000  # relative residents of an urban 居委 …
PER_VILLAGE = 2_300  # … and of a rural 村
RESIDENTS_PER_GRID = 1_200
EXTRA_STATIONS = 10  # doorstep stations beyond one per 居村 (1,275 + 10 = 1,285)

_SYL = list(
    "金杨东明花木竹园锦绣梅荷泽新海桐阳光华联康乐丰盛泰和平安宁兴福祥云星月春秋松柏兰桂芳林益民沪浦江川沙高桥北蔡唐曹行张三惠周场团航祝泥宣书万老南汇德润嘉欣怡馨悦翠碧"
)
_ROAD = list("金张科浦锦东博高川紫龙华杨源世纪祖冲晨高青崮巨峰博文红枫芳甸")


@dataclass
class District:
    """Every layer of the demo geography (metric CRS unless the column says lon/lat)."""

    towns: pd.DataFrame  # one row per 街镇, with shapely polygons in metres
    communities: pd.DataFrame  # one row per 居村
    grids: pd.DataFrame  # one row per 网格
    cells: pd.DataFrame  # populated 100 m cells
    stations: pd.DataFrame
    outline: Polygon


def town_facts() -> pd.DataFrame:
    """The 36 streets/towns of Pudong: official code, names, kind, 居委 and 村 counts, seat (WGS-84)."""
    with open(PROJECT_ROOT / "data" / "pudong_towns.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    df = pd.DataFrame(rows)
    for col in ("communities", "villages"):
        df[col] = df[col].astype(int)
    for col in ("lon", "lat"):
        df[col] = df[col].astype(float)
    return df


def transformers(metric_crs: str) -> tuple[Transformer, Transformer]:
    """(WGS-84 → metric, metric → WGS-84) transformers with lon/lat axis order."""
    fwd = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    inv = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def _voronoi_partition(points: np.ndarray, clip: Polygon) -> list:
    """Voronoi cells of ``points`` clipped to ``clip``, in the order of the points (a gap-free partition)."""
    if len(points) == 1:
        return [clip]
    mp = MultiPoint([tuple(p) for p in points])
    cells = shapely.voronoi_polygons(mp, extend_to=clip.buffer(5_000))
    cells = list(shapely.get_parts(cells))
    # voronoi_polygons does not keep input order: match cells to points by containment
    tree = shapely.STRtree(cells)
    pts = shapely.points(points)
    idx_pt, idx_cell = tree.query(pts, predicate="intersects")
    order = np.full(len(points), -1)
    order[idx_pt] = idx_cell
    out = []
    for i in range(len(points)):
        geom = shapely.intersection(cells[order[i]], clip)
        out.append(_largest_polygon(geom))
    return out


def _largest_polygon(geom):
    """Keep polygonal parts only (intersections can leave slivers of lines)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and g.area > 0]
    if not parts:
        return geom
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _sample_in(poly, n: int, rng: np.random.Generator, centre=None, sigma=None) -> np.ndarray:
    """``n`` random points inside ``poly``: uniform, or Gaussian around ``centre`` (metres)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        k = max(64, 4 * (n - len(out)))
        if centre is None:
            cand = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        else:
            cand = rng.normal(0, sigma, (k, 2)) + centre
        inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def _weighted_kmeans(xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 6) -> np.ndarray:
    """Centres of ``k`` population-balanced-ish clusters of weighted points (Lloyd's algorithm)."""
    p = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
    centres = (
        xy[rng.choice(len(xy), size=k, replace=False, p=p)]
        if np.count_nonzero(p) >= k
        else xy[rng.choice(len(xy), size=k, replace=False)]
    )
    for _ in range(iters):
        d = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        lab = d.argmin(1)
        for j in range(k):
            m = lab == j
            if m.any() and w[m].sum() > 0:
                centres[j] = (xy[m] * w[m, None]).sum(0) / w[m].sum()
    # jitter identical centres apart so Voronoi stays well defined
    centres += rng.normal(0, 1.0, centres.shape)
    return centres


def _unique_names(rng: np.random.Generator, n: int, suffix: str, taken: set) -> list[str]:
    names = []
    while len(names) < n:
        a, b = rng.choice(_SYL, 2, replace=False)
        name = f"{a}{b}{suffix}"
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def build(rng: np.random.Generator, metric_crs: str = "EPSG:32651") -> District:
    """Build the whole demo geography deterministically from ``rng``."""
    fwd, _ = transformers(metric_crs)
    facts = town_facts()
    ox, oy = fwd.transform(*zip(*OUTLINE_LONLAT, strict=False))
    outline = shapely.make_valid(Polygon(zip(ox, oy, strict=False)))
    sx, sy = fwd.transform(facts["lon"].to_numpy(), facts["lat"].to_numpy())
    seats = np.column_stack([sx, sy])
    town_polys = _voronoi_partition(seats, outline)

    weight = facts["communities"] * PER_COMMUNITY + facts["villages"] * PER_VILLAGE
    town_res = (weight / weight.sum() * RESIDENTS).round().astype(int).to_numpy()

    towns = facts.assign(
        unit_id=facts["code"],
        geom=town_polys,
        residents_target=town_res,
        kind_zh=np.where(facts["kind"] == "street", "街道", "镇"),
    )

    # 居村: urban communities cluster around the seat, villages spread over the town
    com_rows = []
    taken: set = set()
    for t in towns.itertuples():
        poly = t.geom
        radius = np.sqrt(poly.area / np.pi)
        n_c, n_v = t.communities, t.villages
        urban_sigma = radius * (0.55 if t.kind == "street" else 0.30)
        pts_c = _sample_in(poly, n_c, rng, centre=seats[t.Index], sigma=urban_sigma) if n_c else np.empty((0, 2))
        pts_v = _sample_in(poly, n_v, rng) if n_v else np.empty((0, 2))
        pts = np.vstack([pts_c, pts_v])
        polys = _voronoi_partition(pts, poly)
        names_c = _unique_names(rng, n_c, "居委", taken)
        names_v = _unique_names(rng, n_v, "村", taken)
        for j, (geom, name) in enumerate(zip(polys, names_c + names_v, strict=False)):
            urban = j < n_c
            com_rows.append(
                {
                    "unit_id": f"{t.code}{j + 1:03d}",
                    "town_id": t.code,
                    "name_zh": name,
                    "kind": "居委" if urban else "村",
                    "urban": urban,
                    "geom": geom,
                    "core": pts[j],
                }
            )
    communities = pd.DataFrame(com_rows)

    # population surface: 100 m cells whose centres fall inside a community
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(np.floor(minx / CELL_M) * CELL_M + CELL_M / 2, maxx, CELL_M)
    ys = np.arange(np.floor(miny / CELL_M) * CELL_M + CELL_M / 2, maxy, CELL_M)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    tree = shapely.STRtree(communities["geom"].to_list())
    ip, ic = tree.query(shapely.points(gx, gy), predicate="within")
    cx, cy, ccom = gx[ip], gy[ip], ic

    # residents per cell: density peaks at each community core (urban) or in hamlets (rural)
    res = np.zeros(len(cx))
    com_res = np.zeros(len(communities), dtype=int)
    town_index = {code: i for i, code in enumerate(towns["code"])}
    for tcode, grp in communities.groupby("town_id", sort=False):
        w = np.where(grp["urban"], PER_COMMUNITY, PER_VILLAGE) * rng.lognormal(0, 0.35, len(grp))
        share = w / w.sum() * town_res[town_index[tcode]]
        com_res[grp.index.to_numpy()] = np.round(share).astype(int)
    order = np.argsort(ccom, kind="stable")
    bounds = np.searchsorted(ccom[order], np.arange(len(communities) + 1))
    for ci, com in enumerate(communities.itertuples()):
        idx = order[bounds[ci] : bounds[ci + 1]]
        if len(idx) == 0:
            continue
        xy = np.column_stack([cx[idx], cy[idx]])
        if com.urban:
            d2 = ((xy - com.core) ** 2).sum(1)
            spread = max(250.0, np.sqrt(len(idx)) * CELL_M * 0.45)
            w = np.exp(-d2 / (2 * spread**2)) + 0.05
        else:
            hamlets = xy[rng.choice(len(idx), size=min(len(idx), rng.integers(2, 5)), replace=False)]
            d2 = ((xy[:, None, :] - hamlets[None]) ** 2).sum(-1).min(1)
            w = np.exp(-d2 / (2 * 220.0**2))
            w[w < 0.02] = 0.0  # farmland and water: nobody lives there
        w = w * rng.lognormal(0, 0.25, len(idx))
        if w.sum() == 0:
            w[0] = 1
        res[idx] = w / w.sum() * com_res[ci]
    res = np.floor(res + rng.random(len(res))).astype(int)

    # 网格: population-balanced clusters inside each community, polygons by Voronoi
    grid_rows = []
    cell_grid = np.empty(len(cx), dtype=object)
    for ci, com in enumerate(communities.itertuples()):
        idx = order[bounds[ci] : bounds[ci + 1]]
        populated = idx[res[idx] > 0]
        n_res = int(res[idx].sum())
        k = int(np.clip(round(n_res / RESIDENTS_PER_GRID), 2, 12))
        k = min(k, max(1, len(populated)))
        if k == 1 or len(populated) < 2:
            seeds = np.array([com.geom.representative_point().coords[0]])
            k = 1
        else:
            xy = np.column_stack([cx[populated], cy[populated]])
            seeds = _weighted_kmeans(xy, res[populated].astype(float), k, rng)
        polys = _voronoi_partition(seeds, com.geom)
        ids = [f"{com.unit_id}{g + 1:02d}" for g in range(k)]
        for g, geom in enumerate(polys):
            grid_rows.append(
                {
                    "unit_id": ids[g],
                    "community_id": com.unit_id,
                    "town_id": com.town_id,
                    "name_zh": f"{com.name_zh}第{g + 1}网格",
                    "geom": geom,
                }
            )
        if len(idx):
            gtree = shapely.STRtree(polys)
            pi, gi = gtree.query(shapely.points(cx[idx], cy[idx]), predicate="intersects")
            first = pd.Series(gi, index=pi).groupby(level=0).first()
            lab = np.full(len(idx), 0)
            lab[first.index.to_numpy()] = first.to_numpy()
            cell_grid[idx] = np.array(ids, dtype=object)[lab]
    grids = pd.DataFrame(grid_rows)

    cells = pd.DataFrame(
        {
            "x": cx,
            "y": cy,
            "residents": res,
            "community_id": communities["unit_id"].to_numpy()[ccom],
            "town_id": communities["town_id"].to_numpy()[ccom],
            "grid_id": cell_grid,
        }
    )
    cells["cell_id"] = np.round((cells["y"] - CELL_M / 2) / CELL_M).astype(np.int64) * 1_000_000 + np.round(
        (cells["x"] - CELL_M / 2) / CELL_M
    ).astype(np.int64)
    cells = cells[cells["residents"] > 0].reset_index(drop=True)

    stations = _stations(towns, communities, cells, seats, rng)
    return District(towns=towns, communities=communities, grids=grids, cells=cells, stations=stations, outline=outline)


def _stations(towns, communities, cells, seats, rng) -> pd.DataFrame:
    """One doorstep station per 居村 at its most populous spot, extras in the largest, a centre per 街镇."""
    rows = []
    by_com = cells.sort_values("residents", ascending=False).groupby("community_id", sort=False)
    top = by_com.head(1).set_index("community_id")
    second = by_com.nth(3).set_index("community_id")  # another dense spot for extra stations
    com_res = cells.groupby("community_id")["residents"].sum()
    extra = set(com_res.sort_values(ascending=False).index[:EXTRA_STATIONS])
    for com in communities.itertuples():
        if com.unit_id not in top.index:
            xy = np.array(com.geom.representative_point().coords[0])
        else:
            xy = _jitter(top.loc[com.unit_id, ["x", "y"]].to_numpy(float), com.geom, rng)
        rows.append(_station_row(f"S{com.unit_id}", f"{com.name_zh}家门口服务站", "doorstep", com, xy, rng))
        if com.unit_id in extra and com.unit_id in second.index:
            xy2 = _jitter(second.loc[com.unit_id, ["x", "y"]].to_numpy(float), com.geom, rng)
            rows.append(_station_row(f"S{com.unit_id}B", f"{com.name_zh}家门口服务站(二站)", "doorstep", com, xy2, rng))
    for i, t in enumerate(towns.itertuples()):
        near = cells[cells["town_id"] == t.code]
        d2 = (near["x"] - seats[i, 0]) ** 2 + (near["y"] - seats[i, 1]) ** 2
        xy = near.loc[d2.idxmin(), ["x", "y"]].to_numpy(float)
        fake = type("C", (), {"unit_id": None, "town_id": t.code, "urban": True})
        rows.append(_station_row(f"C{t.code}", f"{t.name_zh}社区事务受理服务中心", "centre", fake, xy, rng))
    return pd.DataFrame(rows)


def _jitter(xy: np.ndarray, poly, rng: np.random.Generator, metres: float = 30.0) -> np.ndarray:
    """``xy`` moved up to ``metres`` at random, unless that would leave ``poly`` (a station stays in its 居村)."""
    moved = xy + rng.uniform(-metres, metres, 2)
    return moved if poly.contains(shapely.Point(moved)) else xy


# 四站一室 is every station's standard set (DOMAIN.md); the exceptions real districts have, stated:
# a second station in a 居村 (二站) shares the first one's clinic room, and a doorstep station under
# CLINIC_MIN_M2 of floor space (old lanes) has no room for one
CLINIC_MIN_M2 = 150.0


def _station_row(sid, name, level, com, xy, rng) -> dict:
    centre = level == "centre"
    extended = bool(rng.random() < (0.9 if centre else 0.45))
    if not centre:
        rng.random(4)  # the draws that once chose the functions at random: the stream after them stays the same
    area = float(round(rng.uniform(1500, 4000) if centre else rng.lognormal(np.log(320), 0.4)))
    second = sid.endswith("B")
    return {
        "station_id": sid,
        "name_zh": name,
        "level": level,
        "community_id": com.unit_id,
        "town_id": com.town_id,
        "x": float(xy[0]),
        "y": float(xy[1]),
        "f_party": True,
        "f_gov": True,
        "f_culture": True,
        "f_joint": True,
        "f_clinic": bool(centre or not (second or area < CLINIC_MIN_M2)),
        "opening_hours": "08:30-20:00" if extended else "08:30-17:00",
        "extended_hours": extended,
        "floor_area_m2": area,
    }


def road_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` plausible road names (e.g. 锦绣路)."""
    a = rng.choice(_ROAD, n)
    b = rng.choice(_SYL, n)
    return np.char.add(np.char.add(a.astype(str), b.astype(str)), "路")
