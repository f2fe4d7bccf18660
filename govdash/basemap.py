"""Offline basemap from the user's OpenStreetMap extract: roads and water, clipped and simplified once, as deck layers.

No tile server and no internet: the extract named by ``settings.network_file`` (the walking network's) is read
with pyosmium, its roads and water clipped to the district, simplified in the district's metric CRS and kept
within a vertex budget (minor roads dropped first), then drawn under a map as one GeoJSON layer per kind
(a handful of objects, however many ways: a deck of thousands of objects stops Streamlit's click selection).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pyproj import Transformer
from shapely.geometry import mapping

# highway -> rank (0: the most important); ranks beyond the vertex budget are left out, minor first
ROAD_RANKS = {
    "motorway": 0,
    "trunk": 0,
    "motorway_link": 1,
    "trunk_link": 1,
    "primary": 1,
    "primary_link": 2,
    "secondary": 2,
    "secondary_link": 3,
    "tertiary": 3,
    "tertiary_link": 3,
    "unclassified": 4,
    "residential": 4,
    "living_street": 4,
    "pedestrian": 4,
}
ROAD_WIDTH_PX = (3.0, 2.4, 1.8, 1.3, 0.9)  # line width of each rank, pixels
ROAD_RGBA = [125, 136, 158, 190]
WATER_RGBA = [30, 72, 128, 255]
WATERWAY_LINES = frozenset({"river", "canal", "stream"})  # drawn as lines; their banks as polygons when mapped
WATER_LANDUSE = frozenset({"reservoir", "basin"})
SIMPLIFY_M = 12.0  # Douglas-Peucker tolerance, metres: under a pixel at the district's zoom
MIN_WATER_M2 = 2_000.0  # ponds smaller than this are left out
VERTEX_BUDGET = 60_000  # coordinates sent to the browser at most (about 0.9 MB of JSON)
MARGIN = 0.02  # the clip box reaches this share of the district's extent beyond it


@dataclass(frozen=True)
class Basemap:
    """Roads (``rank``, ``geometry``: LineStrings) and water (``polygons``: Polygons, ``lines``: LineStrings of
    rivers and canals), WGS-84 shapely geometries rounded to ~1 m; ``dropped_ranks``: road ranks left out."""

    roads: pd.DataFrame
    water: list
    waterways: list
    dropped_ranks: tuple[int, ...] = ()

    @property
    def vertices(self) -> int:
        geoms = [*self.roads["geometry"], *self.water, *self.waterways]
        return int(shapely.get_num_coordinates(np.array(geoms, dtype=object)).sum()) if geoms else 0

    @property
    def empty(self) -> bool:
        return self.roads.empty and not self.water and not self.waterways


class Layers(list):
    """A basemap's deck layers and ``key``, what they were read from (file, its size and time, CRS, district):
    pydeck layers cannot be hashed, so the pages' deck cache (``ui_deck``) keys them by this."""

    def __init__(self, layers=(), key: tuple = ()):
        super().__init__(layers)
        self.key = key


def is_water(tags: dict[str, str]) -> bool:
    """True for an area that is water: natural=water, waterway=riverbank, landuse=reservoir/basin, water=*."""
    return (
        tags.get("natural") == "water"
        or tags.get("waterway") == "riverbank"
        or tags.get("landuse") in WATER_LANDUSE
        or ("water" in tags and tags.get("natural") in (None, "water"))
    )


def read(
    path: str | os.PathLike,
    bounds: tuple[float, float, float, float],
    *,
    metric_crs: str,
    tolerance_m: float = SIMPLIFY_M,
    budget: int = VERTEX_BUDGET,
) -> Basemap:
    """The roads and water of an OSM extract (.osm, .osm.pbf, optionally .gz/.bz2) inside ``bounds`` (west, south,
    east, north, degrees; the district's units) plus a margin, simplified by ``tolerance_m`` metres in
    ``metric_crs``, at most ``budget`` coordinates (whole road ranks dropped from the least important).

    Raises FileNotFoundError without the file, ValueError when it is not a readable extract or nothing of it
    lies in the district (naming the file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no OSM extract at {path}")
    try:
        roads, ranks, water, waterways = _read(path)
    except RuntimeError as exc:  # libosmium's parse errors
        raise ValueError(f"{path.name}: not a readable OSM extract: {exc}") from exc
    w, s, e, n = bounds
    dx, dy = (e - w) * MARGIN, (n - s) * MARGIN
    box = (w - dx, s - dy, e + dx, n + dy)
    clip = lambda geoms: _clip(geoms, box)  # noqa: E731
    to_m = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    to_deg = Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)

    def simple(geoms: np.ndarray, *, polygons: bool = False) -> np.ndarray:
        if not len(geoms):
            return geoms
        m = shapely.transform(geoms, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
        if polygons:
            m = m[shapely.area(m) >= MIN_WATER_M2]
        m = shapely.simplify(m, tolerance_m, preserve_topology=polygons)
        out = shapely.transform(m, lambda xy: np.round(np.column_stack(to_deg.transform(xy[:, 0], xy[:, 1])), 5))
        return out[~shapely.is_empty(out)]

    road_geoms, road_ranks = clip(np.array(roads, dtype=object)), np.array(ranks, dtype=int)
    keep = ~shapely.is_empty(road_geoms)
    road_geoms, road_ranks = road_geoms[keep], road_ranks[keep]
    lakes = simple(_parts(clip(np.array(water, dtype=object)), "Polygon"), polygons=True)
    rivers = simple(_parts(clip(np.array(waterways, dtype=object)), "LineString"))
    if not (len(road_geoms) or len(lakes) or len(rivers)):
        raise ValueError(
            f"{path.name}: no roads or water of the extract lie in the district's area "
            f"({w:.4f}, {s:.4f} – {e:.4f}, {n:.4f}, longitude, latitude)"
        )
    frames, used = [], int(shapely.get_num_coordinates(np.r_[lakes, rivers]).sum()) if len(lakes) + len(rivers) else 0
    dropped = []
    for rank in sorted(set(road_ranks.tolist())):
        lines = simple(_parts(road_geoms[road_ranks == rank], "LineString"))
        count = int(shapely.get_num_coordinates(lines).sum())
        if used + count > budget:  # this rank and every less important one are left out
            dropped = [r for r in sorted(set(road_ranks.tolist())) if r >= rank]
            break
        used += count
        frames.append(pd.DataFrame({"rank": rank, "geometry": lines}))
    roads_df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"rank": [], "geometry": []})
    return Basemap(roads_df, list(lakes), list(rivers), tuple(dropped))


CACHE_VERSION = 1  # bump when ``read`` draws differently: older cache files are then never matched


def cached_read(
    path: str | os.PathLike,
    bounds: tuple[float, float, float, float],
    *,
    metric_crs: str,
    folder: str | os.PathLike | None = None,
    tolerance_m: float = SIMPLIFY_M,
    budget: int = VERTEX_BUDGET,
) -> Basemap:
    """``read``, done once per file: the result is kept as JSON of WKB (never a pickle) in ``folder`` (default: a
    ``govdash-basemap`` folder of the system's temporary directory), named by the extract's path, size and
    modification time, the CRS, the district and the parameters, so app processes and restarts read it back in
    milliseconds instead of parsing the extract again. A cache file that cannot be read is computed again."""
    path = Path(path)
    stat = path.stat()  # FileNotFoundError without the extract, as ``read``
    key = [str(path.resolve()), stat.st_size, stat.st_mtime_ns, metric_crs, [float(b) for b in bounds]]
    key += [tolerance_m, budget, CACHE_VERSION]
    folder = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "govdash-basemap"
    target = folder / f"{hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]}.json"
    try:
        return _load(target)
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException):
        pass  # not computed yet, or a broken file: compute it
    bm = read(path, bounds, metric_crs=metric_crs, tolerance_m=tolerance_m, budget=budget)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_dump(bm)), encoding="utf-8")
        os.replace(tmp, target)  # whole or not at all: a reader never sees half a file
    except OSError:
        pass  # a read-only temporary folder: the basemap is drawn, just not kept
    return bm


def _dump(bm: Basemap) -> dict:
    hexes = lambda geoms: [shapely.to_wkb(g, hex=True) for g in geoms]  # noqa: E731
    return {
        "roads": [[int(r), h] for r, h in zip(bm.roads["rank"], hexes(bm.roads["geometry"]), strict=True)],
        "water": hexes(bm.water),
        "waterways": hexes(bm.waterways),
        "dropped": list(bm.dropped_ranks),
    }


def _load(target: Path) -> Basemap:
    raw = json.loads(target.read_text(encoding="utf-8"))
    geoms = lambda hexes: [shapely.from_wkb(h) for h in hexes]  # noqa: E731
    roads = pd.DataFrame({"rank": [int(r) for r, _ in raw["roads"]], "geometry": geoms([h for _, h in raw["roads"]])})
    return Basemap(roads, geoms(raw["water"]), geoms(raw["waterways"]), tuple(int(r) for r in raw["dropped"]))


def _read(path: Path) -> tuple[list, list[int], list, list]:
    """Road LineStrings and their ranks, water (Multi)Polygons and waterway LineStrings of an extract (WGS-84)."""
    import osmium  # lazy: the C++ reader loads only when an extract is read

    wkb = osmium.geom.WKBFactory()
    roads, ranks, water, waterways = [], [], [], []
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("highway", "waterway", "natural", "landuse", "water"))
    )
    for obj in processor:
        tags = {t.k: t.v for t in obj.tags}
        if obj.is_area():
            if is_water(tags):
                try:
                    water.append(shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(obj))))
                except RuntimeError:  # a broken ring: left out, as a renderer would
                    continue
            continue
        if not obj.is_way():
            continue
        rank = ROAD_RANKS.get(tags.get("highway", ""))
        river = tags.get("waterway") in WATERWAY_LINES
        if rank is None and not river:
            continue
        points = [(nd.location.lon, nd.location.lat) for nd in obj.nodes if nd.location.valid()]
        if len(points) < 2:
            continue
        line = shapely.LineString(points)
        if river:
            waterways.append(line)
        else:
            roads.append(line)
            ranks.append(rank)
    return roads, ranks, water, waterways


def _clip(geoms: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    if not len(geoms):
        return geoms
    return shapely.clip_by_rect(geoms, *box)


def _parts(geoms: np.ndarray, kind: str) -> np.ndarray:
    """The single parts of ``kind`` (LineString or Polygon) of ``geoms``: clipping may split or collapse them."""
    if not len(geoms):
        return np.array([], dtype=object)
    parts = shapely.get_parts(geoms[~shapely.is_empty(geoms)])
    return parts[shapely.get_type_id(parts) == (1 if kind == "LineString" else 3)]


def _feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def layers(bm: Basemap) -> list[pdk.Layer]:
    """The basemap as deck layers to draw under a map: water, then waterways and roads (one GeoJSON feature per
    road rank). Never pickable; no outside request."""
    out = []
    if bm.water:
        feature = _feature(shapely.MultiPolygon(bm.water) if len(bm.water) > 1 else bm.water[0])
        out.append(
            pdk.Layer(
                "GeoJsonLayer",
                data={"type": "FeatureCollection", "features": [feature]},
                id="basemap_water",
                filled=True,
                stroked=False,
                get_fill_color=WATER_RGBA,
                pickable=False,
            )
        )
    # rivers first, then roads from the least important up: bridges and main roads are drawn on top
    lines = [_feature(shapely.MultiLineString(bm.waterways), width=2.0, color=WATER_RGBA)] if bm.waterways else []
    for rank, grp in sorted(bm.roads.groupby("rank"), key=lambda g: -g[0]) if not bm.roads.empty else ():
        lines.append(
            _feature(shapely.MultiLineString(list(grp["geometry"])), width=ROAD_WIDTH_PX[int(rank)], color=ROAD_RGBA)
        )
    if lines:
        out.append(
            pdk.Layer(
                "GeoJsonLayer",
                data={"type": "FeatureCollection", "features": lines},
                id="basemap_lines",
                filled=False,
                stroked=True,
                get_line_color="properties.color",
                get_line_width="properties.width",
                line_width_units="'pixels'",
                line_width_min_pixels=0.5,
                pickable=False,
            )
        )
    return out
