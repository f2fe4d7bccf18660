"""Two fixture districts that are not Pudong, written as the raw files a city would have.

Geometry is laid out as exact rectangles in each district's own UTM zone, so the true answers
are known by construction (a 3 km x 2 km community is 6 km2 in UTM; its geodesic area, computed
here independently with ``pyproj.Geod``, differs by the zone's scale factor only). The files are
what an import reads: boundary GeoJSON per level, a case CSV with its mapping, stations CSV,
population polygons, and a hand-written OSM XML walking network on a 500 m lattice.

- ``riverton``: outside China (Los Angeles area, UTM 11N), two levels (boroughs, neighbourhoods),
  no grid level; times month-first in America/Los_Angeles; 30 cases with points, 10 located only
  by a borough name; population as census-block polygons; English names only.
- ``qinhuai``: a Chinese district (Nanjing area, UTM 50N, not 51N as the demo), three levels
  (街道 -> 社区 -> 网格) whose community ids repeat the street ids (``1``, ``2``: keys must be unique
  per level, not globally); case coordinates in GCJ-02; times day-first in Asia/Shanghai.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from pyproj import Geod, Transformer

WGS84_GEOD = Geod(ellps="WGS84")


@dataclass
class Fixture:
    """Where a fixture district's files are and the answers known by construction."""

    name: str
    folder: Path
    epsg: int  # its UTM zone (the metric CRS a district should choose)
    timezone: str
    levels: tuple[str, ...]  # the levels present, top first
    files: dict[str, Path] = field(default_factory=dict)
    area_km2: dict[str, float] = field(default_factory=dict)  # geodesic, per unit id "level:id"
    residents: dict[str, int] = field(default_factory=dict)  # per unit "level:id"
    cases_by_town: dict[str, int] = field(default_factory=dict)  # town id -> cases (points + attribute)
    located_cases: int = 0  # cases with a point
    unlocated_cases: int = 0  # cases located by attribute only
    lattice_m: float = 500.0  # street spacing of the OSM network (metres in UTM)
    station_nodes: list[tuple[int, int]] = field(default_factory=list)  # (col, row) lattice nodes


def _rect(x0: float, y0: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h), (x0, y0)]


def _to_lonlat(tr: Transformer, ring: list[tuple[float, float]]) -> list[list[float]]:
    # densify each edge so the polygon follows the UTM rectangle on the ellipsoid too
    out = []
    for (ax, ay), (bx, by) in zip(ring[:-1], ring[1:], strict=True):
        for t in np.linspace(0.0, 1.0, 20, endpoint=False):
            lon, lat = tr.transform(ax + (bx - ax) * t, ay + (by - ay) * t)
            out.append([round(lon, 8), round(lat, 8)])
    out.append(out[0])
    return out


def _geodesic_km2(ring: list[list[float]]) -> float:
    lons, lats = zip(*ring, strict=True)
    area, _ = WGS84_GEOD.polygon_area_perimeter(lons, lats)
    return abs(area) / 1e6


def _write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def _polygon_feature(props: dict, ring: list[list[float]]) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _write_osm(path: Path, tr: Transformer, x0: float, y0: float, cols: int, rows: int, step: float) -> Path:
    """A lattice of residential streets, ``cols`` x ``rows`` nodes ``step`` metres apart (UTM)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="govdash-tests">']
    nid = lambda c, r: 1 + r * cols + c  # noqa: E731
    for r in range(rows):
        for c in range(cols):
            lon, lat = tr.transform(x0 + c * step, y0 + r * step)
            lines.append(f'  <node id="{nid(c, r)}" version="1" lat="{lat:.8f}" lon="{lon:.8f}"/>')
    way = 1
    for r in range(rows):  # east-west streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for c in range(cols))
        lines.append(f'  <way id="{way}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    for c in range(cols):  # north-south streets
        refs = "".join(f'<nd ref="{nid(c, r)}"/>' for r in range(rows))
        lines.append(f'  <way id="{way}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def riverton(folder: str | Path) -> Fixture:
    """Write the Los Angeles-area fixture (two levels, no grids) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fx = Fixture("riverton", folder, 32611, "America/Los_Angeles", ("town", "community"))
    tr = Transformer.from_crs(32611, 4326, always_xy=True)
    x0, y0 = 380_000.0, 3_768_000.0  # about -118.31, 34.05
    towns, comms, blocks = [], [], []
    for i, (tid, name) in enumerate([("B1", "Westfield"), ("B2", "Eastbrook")]):
        ring = _to_lonlat(tr, _rect(x0 + i * 3000, y0, 3000, 4000))
        towns.append(_polygon_feature({"code": tid, "name": name, "level": "town"}, ring))
        fx.area_km2[f"town:{tid}"] = _geodesic_km2(ring)
        total = 0
        for j, part in enumerate(("South", "North")):
            cid = f"{tid}-{part[0]}"
            ring_c = _to_lonlat(tr, _rect(x0 + i * 3000, y0 + j * 2000, 3000, 2000))
            comms.append(
                _polygon_feature({"code": cid, "name": f"{name} {part}", "parent": tid, "level": "community"}, ring_c)
            )
            fx.area_km2[f"community:{cid}"] = _geodesic_km2(ring_c)
            people = 1000 * (2 * i + j + 1)  # 1000, 2000, 3000, 4000
            blocks.append(_polygon_feature({"GEOID": f"06037{2 * i + j:06d}", "POP": people}, ring_c))
            fx.residents[f"community:{cid}"] = people
            total += people
        fx.residents[f"town:{tid}"] = total
    fx.files["towns"] = _write_geojson(folder / "boroughs.geojson", towns)
    fx.files["communities"] = _write_geojson(folder / "neighbourhoods.geojson", comms)
    fx.files["population"] = _write_geojson(folder / "census_blocks.geojson", blocks)

    # cases: 30 with points (15 per borough, at known UTM offsets), 10 by borough name only
    rows, start = [], datetime(2026, 3, 2, 8, 0)
    for k in range(30):
        town = k % 2
        x = x0 + town * 3000 + 250 + (k * 97) % 2500
        y = y0 + 250 + (k * 131) % 3500
        lon, lat = tr.transform(x, y)
        t = start + timedelta(hours=7 * k)
        closed = t + timedelta(hours=30) if k % 3 else None
        rows.append(
            {
                "Unique Key": f"LA{k:04d}",
                "Created Date": t.strftime("%m/%d/%Y %I:%M:%S %p"),
                "Closed Date": closed.strftime("%m/%d/%Y %I:%M:%S %p") if closed else "",
                "Complaint Type": ["Noise - Residential", "Graffiti", "Pothole"][k % 3],
                "Status": "Closed" if closed else "Open",
                "Borough": "",
                "Latitude": f"{lat:.7f}",
                "Longitude": f"{lon:.7f}",
            }
        )
    for k in range(30, 40):
        t = start + timedelta(hours=7 * k)
        rows.append(
            {
                "Unique Key": f"LA{k:04d}",
                "Created Date": t.strftime("%m/%d/%Y %I:%M:%S %p"),
                "Closed Date": "",
                "Complaint Type": "Graffiti",
                "Status": "Open",
                "Borough": "Westfield" if k < 37 else "Eastbrook",
                "Latitude": "",
                "Longitude": "",
            }
        )
    fx.cases_by_town = {"B1": 15 + 7, "B2": 15 + 3}
    fx.located_cases, fx.unlocated_cases = 30, 10
    path = folder / "service_requests.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    fx.files["cases"] = path

    # stations at two lattice nodes; the walking network is a 500 m lattice over the whole district
    fx.station_nodes = [(2, 2), (9, 6)]
    with open(folder / "stations.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["station_id", "name", "lon", "lat"])
        for n, (c, r) in enumerate(fx.station_nodes):
            lon, lat = tr.transform(x0 + c * 500, y0 + r * 500)
            w.writerow([f"S{n + 1}", f"Riverton Center {n + 1}", f"{lon:.8f}", f"{lat:.8f}"])
    fx.files["stations"] = folder / "stations.csv"
    fx.files["network"] = _write_osm(folder / "streets.osm", tr, x0, y0, 13, 9, fx.lattice_m)
    return fx


def qinhuai(folder: str | Path) -> Fixture:
    """Write the Nanjing-area fixture (three levels, GCJ-02 points, day-first times) into ``folder``."""
    from govdash.ingest._coords import wgs84_to_gcj02  # the published formula; its own tests check it

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fx = Fixture("qinhuai", folder, 32650, "Asia/Shanghai", ("town", "community", "grid"))
    tr = Transformer.from_crs(32650, 4326, always_xy=True)
    x0, y0 = 670_000.0, 3_540_000.0  # about 118.80, 31.98
    towns, comms, grids = [], [], []
    names = [("1", "秦淮街道"), ("2", "夫子庙街道")]
    for i, (tid, tname) in enumerate(names):
        ring = _to_lonlat(tr, _rect(x0 + i * 4000, y0, 4000, 4000))
        towns.append(_polygon_feature({"编码": tid, "名称": tname, "层级": "街道"}, ring))
        fx.area_km2[f"town:{tid}"] = _geodesic_km2(ring)
        for j in range(2):
            cid = str(2 * i + j + 1)  # community ids 1..4: "1" and "2" equal the street ids
            ring_c = _to_lonlat(tr, _rect(x0 + i * 4000 + j * 2000, y0, 2000, 4000))
            comms.append(
                _polygon_feature(
                    {
                        "编码": cid,
                        "名称": f"{tname[:2]}{'东西'[j]}社区",
                        "上级编码": tid,
                        "层级": "社区",
                        "人口": 5000 + 1000 * (2 * i + j),
                    },
                    ring_c,
                )
            )
            fx.area_km2[f"community:{cid}"] = _geodesic_km2(ring_c)
            fx.residents[f"community:{cid}"] = 5000 + 1000 * (2 * i + j)
            for g in range(2):
                gid = f"{cid}-{g + 1:02d}"
                ring_g = _to_lonlat(tr, _rect(x0 + i * 4000 + j * 2000, y0 + g * 2000, 2000, 2000))
                grids.append(
                    _polygon_feature({"编码": gid, "名称": f"第{g + 1}网格", "上级编码": cid, "层级": "网格"}, ring_g)
                )
                fx.area_km2[f"grid:{gid}"] = _geodesic_km2(ring_g)
        fx.residents[f"town:{tid}"] = sum(fx.residents[f"community:{c}"] for c in (str(2 * i + 1), str(2 * i + 2)))
    fx.files["towns"] = _write_geojson(folder / "streets.geojson", towns)
    fx.files["communities"] = _write_geojson(folder / "communities.geojson", comms)
    fx.files["grids"] = _write_geojson(folder / "grids.geojson", grids)

    rows, start = [], datetime(2026, 5, 13, 9, 0)  # day 13: a day-first column is unambiguous
    for k in range(24):
        town = k % 2
        x = x0 + town * 4000 + 300 + (k * 173) % 3400
        y = y0 + 300 + (k * 211) % 3400
        lon, lat = tr.transform(x, y)
        glon, glat = wgs84_to_gcj02(lon, lat)
        t = start + timedelta(hours=11 * k)
        closed = t + timedelta(hours=20) if k % 4 else None
        rows.append(
            {
                "工单编号": f"NJ{k:05d}",
                "来电时间": t.strftime("%d/%m/%Y %H:%M"),
                "办结时间": closed.strftime("%d/%m/%Y %H:%M") if closed else "",
                "诉求分类": ["噪声扰民", "占道经营", "垃圾分类"][k % 3],
                "办理状态": "已办结" if closed else "办理中",
                "经度": f"{float(glon):.7f}",
                "纬度": f"{float(glat):.7f}",
            }
        )
    fx.cases_by_town = {"1": 12, "2": 12}
    fx.located_cases = 24
    path = folder / "工单导出.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    fx.files["cases"] = path
    fx.station_nodes = [(4, 4), (12, 4)]
    with open(folder / "服务站.csv", "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["编码", "名称", "经度", "纬度"])
        for n, (c, r) in enumerate(fx.station_nodes):
            lon, lat = tr.transform(x0 + c * 500, y0 + r * 500)
            glon, glat = wgs84_to_gcj02(lon, lat)
            w.writerow([f"Z{n + 1}", f"服务站{n + 1}", f"{float(glon):.8f}", f"{float(glat):.8f}"])
    fx.files["stations"] = folder / "服务站.csv"
    fx.files["network"] = _write_osm(folder / "streets.osm", tr, x0, y0, 17, 9, fx.lattice_m)
    return fx
