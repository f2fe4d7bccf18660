"""The coverage map's minutes surface as one image (govdash.raster) and its click squares, on literal lattices
in two UTM zones and on the qinhuai fixture district (Nanjing, UTM 50N): every cell's centre falls on a
pixel of its own class, found by projecting the centre forward (the image is made the other way round)."""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pyproj import Transformer

from govdash import district_record, maps_coverage, queries, queries_map, raster
from govdash import service_circle as sc
from govdash.db import Database
from tests.districts import qinhuai
from tests.test_own_district import build, run


def _pixel_of(lon, lat, bounds, shape):
    """Row and column of the image pixel holding (lon, lat): linear in longitude and in Mercator y."""
    west, south, east, north = bounds
    merc = lambda v: np.log(np.tan(np.pi / 4 + np.radians(v) / 2))  # noqa: E731
    col = np.floor((np.asarray(lon) - west) / (east - west) * shape[1]).astype(int)
    row = np.floor((merc(north) - merc(np.asarray(lat))) / (merc(north) - merc(south)) * shape[0]).astype(int)
    return row, col


@pytest.mark.parametrize(
    ("crs", "x0", "y0"), [("EPSG:32651", 380_000.0, 3_440_000.0), ("EPSG:32650", 668_000.0, 3_545_000.0)]
)
def test_every_cell_centre_lands_on_its_class(crs, x0, y0):
    """An L-shaped lattice of 100 m cells with classes by hand; a hole (no cell) stays transparent."""
    rng = np.random.default_rng(3)
    ij = [(i, j) for i in range(40) for j in range(30) if not (i >= 20 and j >= 15) and (i, j) != (5, 5)]
    i, j = np.array(ij).T
    x, y = x0 + 50 + 100 * i, y0 + 50 + 100 * j
    cls = rng.integers(0, 5, len(x))
    image, bounds = raster.lattice_image(x, y, cls, 100.0, crs)
    assert image.dtype == np.uint8 and max(image.shape) <= raster.MAX_SIDE_PX
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    row, col = _pixel_of(lon, lat, bounds, image.shape)
    assert (image[row, col] == cls).all()
    # the missing cell (5, 5) and the cut-away corner are transparent
    for hx, hy in ((x0 + 550, y0 + 550), (x0 + 3_500, y0 + 2_500)):
        hl, ht = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(hx, hy)
        r, c = _pixel_of(hl, ht, bounds, image.shape)
        assert image[r, c] == 255
    # about three pixels per cell edge: each cell is drawn, not a speck
    assert 2 <= image.shape[1] / 40 <= raster.PIXELS_PER_CELL + 0.5


def test_png_keeps_classes_and_transparency():
    image = np.array([[0, 1, 255], [4, 3, 2]], np.uint8)
    palette = [(0, 150, 136, 235), (77, 182, 172, 235), (128, 203, 196, 235), (255, 152, 0, 235), (255, 23, 160, 235)]
    img = Image.open(io.BytesIO(raster.png(image, palette)))
    assert img.mode == "P" and (np.asarray(img) == image).all()
    rgba = np.asarray(img.convert("RGBA"))
    assert tuple(rgba[0, 0]) == palette[0] and tuple(rgba[1, 0]) == palette[4] and rgba[0, 2, 3] == 0


def test_click_squares_fit_their_cap_and_keep_every_resident():
    x, y = np.meshgrid(np.arange(50.0, 20_000, 100), np.arange(50.0, 10_000, 100))
    cells = pd.DataFrame(
        {"x": 380_000 + x.ravel(), "y": 3_440_000 + y.ravel(), "size_m": 100.0, "residents": 3.0, "minutes": 7.0}
    )
    blocks = sc.click_blocks(cells, max_blocks=500, metric_crs="EPSG:32651")
    # 200 × 100 cells over at most 500 squares: 7 × 7 cells (ceil √40), 29 × 15 = 435 of them
    assert blocks["size_m"].unique().tolist() == [700.0] and len(blocks) == 29 * 15
    assert blocks["residents"].sum() == cells["residents"].sum()
    assert np.allclose(blocks["minutes"], 7.0)
    # a square's lon/lat is its centre: the first square spans x 380,000–380,700 m, y 3,440,000–3,440,700 m
    lon, lat = Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True).transform(380_350, 3_440_350)
    first = blocks.sort_values(["lat", "lon"]).iloc[0]
    assert (first["lon"], first["lat"]) == pytest.approx((lon, lat), abs=1e-9)
    assert len(sc.click_blocks(cells.head(300), max_blocks=500, metric_crs="EPSG:32651")) == 300  # 100 m: one each


@pytest.fixture(scope="module")
def nanjing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qinhuai-map")
    fx = qinhuai(folder / "files")
    path = build(fx, folder)
    # its communities carry their residents: imported as the population, spread over 100 m cells
    assert run("import", "population", fx.files["communities"], "--db", path) == 0
    db = Database(path)
    crs = district_record.metric_crs(district_record.read(db))
    cells, stations, towns = queries_map.cells(db), queries_map.stations(db), queries.towns(db)
    db.close()
    return fx, crs, cells, stations, towns


def test_qinhuai_map_is_drawn_in_its_own_zone(nanjing):
    fx, crs, cells, stations, towns = nanjing
    assert crs == f"EPSG:{fx.epsg}" == "EPSG:32650" and len(cells) and len(stations)
    walked = sc.BaseWalk(cells, stations, metric_crs=crs)
    timed = walked.timed(cells, stations)
    load = sc.load(timed, stations, towns=towns)
    blocks = sc.click_blocks(timed, metric_crs=crs)
    deck, legend = maps_coverage.coverage_map(
        timed, 15, sc.visible(stations, load, timed), blocks=blocks, metric_crs=crs, lang="en"
    )
    layers = {layer["id"]: layer for layer in json.loads(deck.to_json())["layers"]}
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(layers["surface"]["image"].split(",", 1)[1]))))
    cls = np.searchsorted(np.asarray(maps_coverage.MINUTE_BOUNDS, float), timed["minutes"].to_numpy(), side="left")
    row, col = _pixel_of(timed["lon"], timed["lat"], layers["surface"]["bounds"], image.shape)
    assert (image[row, col] == cls).all()
    assert len(layers["click"]["data"]) == len(blocks) <= sc.CLICK_MAX_BLOCKS
    assert all(" min · " in d["tip"] for d in layers["click"]["data"])  # English words from the label table
    # hovering must not redraw the map: a redraw in software WebGL stalls the next click's picking past
    # deck.gl's 250 ms tap limit and the click is lost (issue 19)
    assert layers["click"]["pickable"] and not layers["click"].get("autoHighlight")
    # discs in the stations' program (one shader fewer to compile), each circumscribing its square
    assert {layers[k]["@@type"] for k in ("click", "stations")} == {"ScatterplotLayer"}
    assert layers["click"]["getRadius"] == pytest.approx(blocks["size_m"].iloc[0] / math.sqrt(2))
    assert [label for _, label in legend][:5] == [c[3] for c in maps_coverage.minute_classes(15, lang="en")]
    # a click on the farthest square adds a station at its centre: the page's figures, incremental and full
    far = blocks.loc[blocks["minutes"].idxmax()]
    after = sc.apply_edits(stations, [{"op": "add", "lon": round(far["lon"], 5), "lat": round(far["lat"], 5)}])
    got, want = walked.after(cells, stations, after), sc.walk(cells, after, metric_crs=crs)
    np.testing.assert_allclose(got["minutes"], want["minutes"], rtol=1e-12)
    assert sc.district(got, 15) == sc.district(want, 15)
    assert sc.district(got, 15)["covered"] > sc.district(timed, 15)["covered"]
