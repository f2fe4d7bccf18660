"""Pedestrian street graphs from OpenStreetMap extracts (.osm XML, .osm.pbf) and synthetic lattices."""

from __future__ import annotations

import bz2
import gzip
import os
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import numpy as np
from pyproj import Transformer

from govdash import settings
from govdash.coverage import StreetGraph

WALKABLE = frozenset({
    "footway", "path", "pedestrian", "residential", "living_street", "service", "steps",
    "tertiary", "secondary", "primary", "unclassified", "track", "cycleway",
    "tertiary_link", "secondary_link", "primary_link",
})  # motorway and trunk (and their links) are left out: no walking there
_FOOT_YES = frozenset({"yes", "designated", "permissive"})


def walkable(tags: dict[str, str]) -> bool:
    """True when a way with these OSM tags can be walked."""
    if tags.get("highway") not in WALKABLE:
        return False
    foot = tags.get("foot")
    if foot == "no":
        return False
    # an explicit foot=yes overrides a general access restriction
    return foot in _FOOT_YES or tags.get("access") not in {"private", "no"}


def read_osm(path: str | os.PathLike, *, metric_crs: str | None = None,
             largest_only: bool = True) -> StreetGraph:
    """Read the walkable ways of an OSM extract into an undirected street graph in metres.

    Parameters
    ----------
    path : ``.osm.pbf`` (read with pyosmium) or ``.osm`` XML, optionally ``.gz`` / ``.bz2``
        (streamed with ``xml.etree.iterparse``). Coordinates are WGS-84.
    metric_crs : CRS to project nodes to; default ``settings.metric_crs`` (EPSG:32651).
    largest_only : keep only the largest connected part, so nothing snaps onto an island.

    Returns
    -------
    StreetGraph whose edges join consecutive nodes of each way, lengths in metres. Node
    references missing from the extract (ways cut at its border) break the way there.
    """
    path = Path(path)
    if path.name.lower().endswith(".pbf"):
        ways, coords = _read_pbf(path)
    else:
        ways, coords = _read_xml(path)
    graph = _build(ways, coords, metric_crs or settings.load().metric_crs)
    return graph.largest_component() if largest_only else graph


def _open(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def _read_xml(path: Path) -> tuple[list[list[int]], dict[int, tuple[float, float]]]:
    """Two streaming passes: walkable ways first, then only the nodes they use (memory ~ the graph)."""
    ways: list[list[int]] = []
    with _open(path) as f:
        context = ET.iterparse(f, events=("start", "end"))
        _, root = next(context)
        for event, elem in context:
            if event != "end" or elem.tag not in ("node", "way", "relation"):
                continue
            if elem.tag == "way":
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                if walkable(tags):
                    ways.append([int(nd.get("ref")) for nd in elem.iter("nd")])
            root.clear()  # drop what was read: the file may be gigabytes
    needed = {ref for way in ways for ref in way}
    coords: dict[int, tuple[float, float]] = {}
    with _open(path) as f:
        context = ET.iterparse(f, events=("start", "end"))
        _, root = next(context)
        for event, elem in context:
            if event != "end" or elem.tag not in ("node", "way", "relation"):
                continue
            if elem.tag == "node":
                ref = int(elem.get("id"))
                if ref in needed:
                    coords[ref] = (float(elem.get("lon")), float(elem.get("lat")))
            root.clear()
    return ways, coords


def _read_pbf(path: Path) -> tuple[list[list[int]], dict[int, tuple[float, float]]]:
    import osmium  # only pbf needs the C++ reader

    ways: list[list[int]] = []
    coords: dict[int, tuple[float, float]] = {}
    processor = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
                 .with_locations().with_filter(osmium.filter.KeyFilter("highway")))
    for obj in processor:
        if not obj.is_way() or not walkable({t.k: t.v for t in obj.tags}):
            continue
        refs = []
        for nd in obj.nodes:
            if nd.location.valid():
                coords[nd.ref] = (nd.location.lon, nd.location.lat)
                refs.append(nd.ref)
            else:
                refs.append(None)  # missing from the extract: breaks the way here
        ways.append(refs)
    return ways, coords


def _build(ways: list[list[int | None]], coords: dict[int, tuple[float, float]], crs: str) -> StreetGraph:
    u_ids, v_ids = [], []
    for way in ways:
        for a, b in pairwise(way):
            if a in coords and b in coords:
                u_ids.append(a)
                v_ids.append(b)
    if not u_ids:
        return StreetGraph.from_edges(np.empty((0, 2)), [], [])
    ids, inverse = np.unique(np.r_[u_ids, v_ids], return_inverse=True)
    lonlat = np.array([coords[i] for i in ids.tolist()])
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lonlat[:, 0], lonlat[:, 1])
    u, v = inverse[: len(u_ids)], inverse[len(u_ids):]
    return StreetGraph.from_edges(np.column_stack([x, y]), u, v)


def lattice_graph(nx: int, ny: int, spacing_m: float, origin: tuple[float, float] = (0.0, 0.0)) -> StreetGraph:
    """A square street lattice of ``nx`` × ``ny`` nodes ``spacing_m`` metres apart.

    Node ``i + j * nx`` sits at ``origin + (i, j) * spacing_m`` (metres); edges join 4-neighbours.
    """
    i, j = np.meshgrid(np.arange(nx), np.arange(ny))
    i, j = i.ravel(), j.ravel()
    xy = np.column_stack([origin[0] + i * spacing_m, origin[1] + j * spacing_m]).astype(float)
    idx = i + j * nx
    right, up = i < nx - 1, j < ny - 1
    u = np.r_[idx[right], idx[up]]
    v = np.r_[idx[right] + 1, idx[up] + nx]
    return StreetGraph.from_edges(xy, u, v, np.full(len(u), float(spacing_m)))
