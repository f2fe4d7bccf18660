"""Square bins in local metres around a district: origin and metres per degree from its extent (WGS-84)."""

from __future__ import annotations

import math
from dataclasses import dataclass

_A = 6_378_137.0  # WGS-84 semi-major axis, metres
_F = 1 / 298.257223563  # WGS-84 flattening
_E2 = _F * (2 - _F)  # first eccentricity squared
ORIGIN_STEP_DEG = 0.01  # the origin is snapped to this grid, so a re-import moves no bin edge


@dataclass(frozen=True)
class BinFrame:
    """A local equirectangular frame: bins are ``floor((lon - lon0) * mx / cell)``, likewise for lat.

    ``mx`` / ``my`` are metres per degree of longitude / latitude at the district's centre latitude,
    so a bin of ``cell`` metres is ``cell`` metres wide and tall there (within 0.2 % over 20 km of latitude).
    """

    lon0: float
    lat0: float
    mx: float
    my: float

    def params(self) -> dict[str, float]:
        """The frame as bound SQL parameters ``$lon0``, ``$lat0``, ``$mx``, ``$my``."""
        return {"lon0": self.lon0, "lat0": self.lat0, "mx": self.mx, "my": self.my}


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at latitude ``lat`` (degrees) on the WGS-84 ellipsoid."""
    phi = math.radians(lat)
    w = 1 - _E2 * math.sin(phi) ** 2
    rad = math.pi / 180
    return rad * _A * math.cos(phi) / math.sqrt(w), rad * _A * (1 - _E2) / w**1.5


def frame_for(extent: tuple[float, float, float, float] | None) -> BinFrame:
    """The frame of a district whose (west, south, east, north) extent is given in degrees.

    The origin is the extent's south-west corner snapped down to ``ORIGIN_STEP_DEG``, and the scale
    that of the centre latitude snapped likewise, so nearby extents give the same bins. Without an
    extent (an empty district) the frame sits at 0°, 0° and no bin is ever asked for.
    """
    if extent is None:
        return BinFrame(0.0, 0.0, *metres_per_degree(0.0))
    west, south, _, north = extent
    step = ORIGIN_STEP_DEG
    lat_c = round(round((south + north) / 2 / step) * step, 6)
    return BinFrame(
        round(math.floor(west / step) * step, 6), round(math.floor(south / step) * step, 6), *metres_per_degree(lat_c)
    )
