"""Pedestrian street graphs from OpenStreetMap extracts (.osm XML, .osm.pbf) and synthetic lattices."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import numpy as np
from pyproj import Transformer

from govdash import district_record
from govdash.coverage import StreetGraph

WALKABLE = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "residential",
        "living_street",
        "service",
        "steps",
        "tertiary",
        "secondary",
        "primary",
        "unclassified",
        "track",
        "cycleway",
        "tertiary_link",
        "secondary_link",
        "primary_link",
    }
)  # motorway and trunk (and their links) are left out: no walking there
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


def read_osm(
    path: str | os.PathLike,
    *,
    metric_crs: str | None = None,
    largest_only: bool = True,
    district: tuple[float, float, float, float] | None = None,
) -> StreetGraph:
    """Read the walkable ways of an OSM extract into an undirected street graph in metres.

    Parameters
    ----------
    path : ``.osm.pbf`` or ``.osm`` XML, optionally ``.gz`` / ``.bz2``, read with pyosmium (streamed;
        XML entities refused). Coordinates are WGS-84.
    metric_crs : CRS to project nodes to; default ``district_record.metric_crs()`` (callers pass the district's).
    largest_only : keep only the largest connected part, so nothing snaps onto an island.
    district : (west, south, east, north) of the district's units, degrees: an extract whose walkable
        streets do not overlap it raises ValueError naming the file and both extents (instead of every
        resident snapping to a street kilometres away, or a silent 0 % coverage).

    Returns
    -------
    StreetGraph whose edges join consecutive nodes of each way, lengths in metres. Node
    references missing from the extract (ways cut at its border) break the way there.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no OSM extract at {path}")
    try:
        ways, coords = _read(path)
    except RuntimeError as exc:  # libosmium's parse errors (malformed XML, entities, unknown format)
        raise ValueError(f"{path.name}: not a readable OSM extract: {exc}") from exc
    if district is not None:
        check_extent(path.name, coords, district)
    graph = _build(ways, coords, metric_crs or district_record.metric_crs())
    return graph.largest_component() if largest_only else graph


def _extent_text(b) -> str:
    return f"{b[0]:.4f}, {b[1]:.4f} – {b[2]:.4f}, {b[3]:.4f}"


def check_extent(name: str, coords: dict[int, tuple[float, float]], district: tuple[float, float, float, float]):
    """Raise ValueError when the walkable streets' extent (``coords``: node -> lon, lat) misses ``district``."""
    if not coords:
        raise ValueError(
            f"{name}: no walkable streets in the extract; the district's units cover "
            f"{_extent_text(district)} (longitude, latitude)"
        )
    lonlat = np.array(list(coords.values()), dtype=float)
    (w, s), (e, n) = lonlat.min(axis=0), lonlat.max(axis=0)
    if w > district[2] or e < district[0] or s > district[3] or n < district[1]:
        raise ValueError(
            f"{name}: the street network covers {_extent_text((w, s, e, n))}, the district's units "
            f"{_extent_text(district)} (longitude, latitude): they do not overlap; use an extract of "
            "the district's area"
        )


def _read(path: Path) -> tuple[list[list[int | None]], dict[int, tuple[float, float]]]:
    """Walkable ways (node refs, None where a node is missing) and the coordinates of their nodes, via pyosmium.

    libosmium reads .osm.pbf, .osm XML (refusing DTD entities) and their .gz / .bz2 forms, choosing by
    the file name; only ways tagged highway are kept on the way in.
    """
    import osmium  # lazy: the C++ reader loads only when an extract is read

    ways: list[list[int]] = []
    coords: dict[int, tuple[float, float]] = {}
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
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
    u, v = inverse[: len(u_ids)], inverse[len(u_ids) :]
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
