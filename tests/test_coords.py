import numpy as np
import pytest

from govdash.ingest import _coords as coords

M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)


def _metres(lon_a, lat_a, lon_b, lat_b):
    dx = (np.asarray(lon_a) - lon_b) * M_PER_DEG * np.cos(np.radians(lat_b))
    dy = (np.asarray(lat_a) - lat_b) * M_PER_DEG
    return np.hypot(dx, dy)


def test_gcj02_of_the_bund_matches_the_published_offset():
    lon, lat = coords.wgs84_to_gcj02(121.4737, 31.2304)
    assert lon == pytest.approx(121.4781, abs=2e-4)
    assert lat == pytest.approx(31.2284, abs=2e-4)
    # Shanghai's GCJ-02 offset is roughly +420 m east, -200 m south
    assert 400 < _metres(lon, 31.2304, 121.4737, 31.2304) < 450


def test_bd09_is_gcj02_plus_baidus_shift():
    glon, glat = coords.wgs84_to_gcj02(121.4737, 31.2304)
    blon, blat = coords.wgs84_to_bd09(121.4737, 31.2304)
    assert blon - glon == pytest.approx(0.0065, abs=1e-3)
    assert blat - glat == pytest.approx(0.0060, abs=1e-3)


@pytest.fixture
def china_points():
    rng = np.random.default_rng(1)
    return rng.uniform(73.5, 134.5, 20_000), rng.uniform(18.5, 53.5, 20_000)


def test_gcj02_round_trip_is_below_a_centimetre(china_points):
    lon, lat = china_points
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert _metres(*back, lon, lat).max() < 0.01


def test_bd09_round_trip_is_below_a_centimetre(china_points):
    lon, lat = china_points
    back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert _metres(*back, lon, lat).max() < 0.01


def test_inverse_applied_to_forward_output_recovers_gcj_and_bd_inputs(china_points):
    lon, lat = china_points
    w = coords.gcj02_to_wgs84(lon, lat)
    assert _metres(*coords.wgs84_to_gcj02(*w), lon, lat).max() < 1.0
    w = coords.bd09_to_wgs84(lon, lat)
    assert _metres(*coords.wgs84_to_bd09(*w), lon, lat).max() < 1.0


def test_outside_china_gcj_equals_wgs():
    lon, lat = np.array([2.35, -74.0]), np.array([48.85, 40.7])  # Paris, New York
    g = coords.wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(g[0], lon)
    np.testing.assert_array_equal(g[1], lat)
    np.testing.assert_array_equal(coords.gcj02_to_wgs84(lon, lat)[0], lon)


def test_nan_passes_through():
    lon, lat = coords.to_wgs84([np.nan, 121.5], [31.2, np.nan], "gcj02")
    assert np.isnan(lon[0]) and np.isnan(lat[1])


def test_to_wgs84_dispatches_on_crs():
    glon, glat = coords.wgs84_to_gcj02(121.5, 31.2)
    lon, lat = coords.to_wgs84([glon], [glat], "GCJ-02")
    assert _metres(lon, lat, 121.5, 31.2)[0] < 0.01
    lon, lat = coords.to_wgs84([500_000.0], [0.0], "EPSG:32651")  # UTM 51N false easting = 123 E
    assert lon[0] == pytest.approx(123.0) and lat[0] == pytest.approx(0.0, abs=1e-9)
    lon, lat = coords.to_wgs84([121.5], [31.2], "wgs84")
    assert (lon[0], lat[0]) == (121.5, 31.2)


@pytest.mark.parametrize("crs", ["mercator", "EPSG:abc", "EPSG:999999"])
def test_unknown_crs_is_a_value_error(crs):
    with pytest.raises(ValueError):
        coords.to_wgs84([1.0], [1.0], crs)
