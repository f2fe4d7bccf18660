"""Tests of govdash.osm: walkable tags, .osm / .osm.gz / .osm.pbf extracts written here, lattices."""

from __future__ import annotations

import bz2
import gzip
import xml.etree.ElementTree as ET
from itertools import pairwise

import numpy as np
import pytest
from pyproj import Geod, Transformer

from govdash import osm
from govdash.coverage import network_minutes

# id: (lon, lat), WGS-84, in Pudong
NODES = {
    1: (121.500, 31.200),
    2: (121.500, 31.201),
    3: (121.501, 31.201),
    4: (121.502, 31.201),
    5: (121.501, 31.200),
    6: (121.500, 31.199),
    7: (121.499, 31.200),
    8: (121.510, 31.210),
    9: (121.511, 31.210),
    10: (121.501, 31.202),
    11: (121.503, 31.203),
}
WAYS = [  # (id, node refs, tags)
    (101, [1, 2, 3], {"highway": "footway"}),
    (102, [3, 4], {"highway": "motorway"}),  # no walking
    (103, [3, 5], {"highway": "residential", "foot": "no"}),  # no walking
    (104, [1, 6], {"highway": "service", "access": "private"}),  # no walking
    (105, [1, 7], {"highway": "service", "access": "private", "foot": "yes"}),
    (106, [8, 9], {"highway": "path"}),  # an island
    (107, [3, 10, 99, 11], {"highway": "steps"}),  # 99 is not in the extract
    (108, [1, 2, 3, 1], {"building": "yes"}),
]
WALKED = [1, 2, 3, 7, 10]  # nodes of the largest walkable part
EDGES = [(1, 2), (2, 3), (1, 7), (3, 10)]


def _xml() -> str:
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<osm version='0.6' generator='test'>",
        "<bounds minlat='31.19' minlon='121.49' maxlat='31.22' maxlon='121.52'/>",
    ]
    lines += [f"<node id='{i}' version='1' lat='{lat}' lon='{lon}'/>" for i, (lon, lat) in NODES.items()]
    for wid, refs, tags in WAYS:
        lines.append(f"<way id='{wid}' version='1'>")
        lines += [f"<nd ref='{r}'/>" for r in refs]
        lines += [f"<tag k='{k}' v='{v}'/>" for k, v in tags.items()]
        lines.append("</way>")
    lines += [
        "<relation id='1' version='1'><member type='way' ref='101' role=''/>",
        "<tag k='type' v='route'/></relation>",
        "</osm>",
    ]
    return "\n".join(lines)


def _utm(ids):
    lon, lat = np.array([NODES[i] for i in ids]).T
    return np.column_stack(Transformer.from_crs(4326, 32651, always_xy=True).transform(lon, lat))


def _assert_expected_graph(g):
    expected = _utm(WALKED)
    assert g.n_nodes == len(WALKED)
    order = np.lexsort(g.node_xy.T[::-1])
    np.testing.assert_allclose(g.node_xy[order], expected[np.lexsort(expected.T[::-1])], atol=1e-6)
    index = {i: int(np.argmin(np.hypot(*(g.node_xy - p).T))) for i, p in zip(WALKED, expected, strict=False)}
    dense = g.lengths.toarray()
    assert g.lengths.nnz == 2 * len(EDGES)
    for a, b in EDGES:
        want = float(np.hypot(*(_utm([a])[0] - _utm([b])[0])))
        assert dense[index[a], index[b]] == pytest.approx(want) == dense[index[b], index[a]]


@pytest.fixture
def osm_xml(tmp_path):
    path = tmp_path / "pudong.osm"
    path.write_text(_xml(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "tags, ok",
    [
        ({"highway": "footway"}, True),
        ({"highway": "primary"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "cycleway"}, True),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk", "foot": "yes"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "designated"}, True),
        ({"highway": "construction"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkable(tags, ok):
    assert osm.walkable(tags) is ok


def test_read_osm_xml(osm_xml):
    _assert_expected_graph(osm.read_osm(osm_xml))


def test_read_osm_gz(osm_xml, tmp_path):
    path = tmp_path / "pudong.osm.gz"
    path.write_bytes(gzip.compress(osm_xml.read_bytes()))
    _assert_expected_graph(osm.read_osm(path))


def test_read_osm_bz2(osm_xml, tmp_path):
    path = tmp_path / "pudong.osm.bz2"
    path.write_bytes(bz2.compress(osm_xml.read_bytes()))
    _assert_expected_graph(osm.read_osm(path))


def _hand_parsed(path):
    """The network as the former hand-written ElementTree reader saw it: walkable ways and their nodes."""
    root = ET.parse(path).getroot()
    nodes = {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = [
        [int(nd.get("ref")) for nd in w.iter("nd")]
        for w in root.iter("way")
        if osm.walkable({t.get("k"): t.get("v") for t in w.iter("tag")})
    ]
    return ways, nodes


def test_osmium_reads_the_same_network_as_the_hand_parser(osm_xml):
    ways, nodes = _hand_parsed(osm_xml)
    got_ways, got_nodes = osm._read(osm_xml)
    assert [[r for r in w if r is not None] for w in got_ways] == [[r for r in w if r in nodes] for w in ways]
    assert got_nodes == {r: nodes[r] for w in ways for r in w if r in nodes}
    a, b = osm._build(ways, nodes, "EPSG:32651"), osm.read_osm(osm_xml, largest_only=False)
    assert a.n_nodes == b.n_nodes and a.lengths.nnz == b.lengths.nnz
    np.testing.assert_allclose(np.sort(a.lengths.data), np.sort(b.lengths.data))


def test_osm_xml_with_entities_is_refused(tmp_path):
    path = tmp_path / "bomb.osm"
    path.write_text(
        "<?xml version='1.0'?><!DOCTYPE osm [<!ENTITY a 'aaaaaaaaaa'>]><osm version='0.6'>"
        "<node id='1' version='1' lat='31.2' lon='121.5'><tag k='x' v='&a;'/></node></osm>"
    )
    with pytest.raises(ValueError, match="bomb.osm: not a readable OSM extract"):
        osm.read_osm(path)


def test_islands_kept_on_request(osm_xml):
    g = osm.read_osm(osm_xml, largest_only=False)
    assert g.n_nodes == len(WALKED) + 2 and g.lengths.nnz == 2 * (len(EDGES) + 1)


def test_lengths_are_metres(osm_xml):
    g = osm.read_osm(osm_xml)
    geod = Geod(ellps="WGS84")
    geodesic = sorted(geod.inv(*NODES[a], *NODES[b])[2] for a, b in EDGES)
    assert geodesic[-1] == pytest.approx(110.9, abs=0.1)  # 0.001 degree of latitude
    assert geodesic[0] == pytest.approx(95.3, abs=0.1)  # 0.001 degree of longitude at 31.2 N
    # UTM distorts by its scale factor, ~0.9996-1.0001 here
    np.testing.assert_allclose(np.sort(g.lengths.data)[::2], geodesic, rtol=1e-3)


def test_network_minutes_on_a_read_extract(osm_xml):
    g = osm.read_osm(osm_xml)
    seven, ten = _utm([7, 10])
    minutes, nearest = network_minutes(g, [ten + [0, 5]], [seven], walk_kmh=6.0)
    path = [7, 1, 2, 3, 10]
    metres = sum(np.hypot(*(_utm([a])[0] - _utm([b])[0])) for a, b in pairwise(path))
    assert minutes[0] == pytest.approx((metres + 5) / 100) and nearest.tolist() == [0]


def test_read_osm_pbf(tmp_path):
    osmium = pytest.importorskip("osmium")
    path = tmp_path / "pudong.osm.pbf"
    with osmium.SimpleWriter(str(path)) as writer:
        for i, (lon, lat) in NODES.items():
            writer.add_node(osmium.osm.mutable.Node(id=i, version=1, location=(lon, lat)))
        for wid, refs, tags in WAYS:
            writer.add_way(osmium.osm.mutable.Way(id=wid, version=1, nodes=refs, tags=tags))
    _assert_expected_graph(osm.read_osm(path))


def test_empty_extract(tmp_path):
    path = tmp_path / "empty.osm"
    path.write_text("<osm version='0.6'></osm>", encoding="utf-8")
    assert osm.read_osm(path).n_nodes == 0


def test_lattice_graph():
    g = osm.lattice_graph(4, 3, 50.0, origin=(1000.0, 2000.0))
    assert g.n_nodes == 12 and g.lengths.nnz == 2 * (3 * 3 + 4 * 2)
    assert g.node_xy[0].tolist() == [1000.0, 2000.0] and g.node_xy[1 + 2 * 4].tolist() == [1050.0, 2100.0]
    dense = g.lengths.toarray()
    assert dense[0, 1] == dense[0, 4] == 50.0 and dense[0, 5] == 0.0
