"""Lat/lon radius targeting: great-circle distance, and circles indexed on a 1-degree grid.

Circles cannot be posting lists keyed by a request value, so each distinct circle (with the
line items naming it) is filed under every 1-degree cell its bounding box touches (a 25 km
circle: 1 to 4 cells). A request looks up the one cell its point falls in and measures the
distance to the circles filed there only: its cost grows with the distinct circles around that
place, not with the catalog.
"""

import math
from collections.abc import Iterator, Sequence

from openbid.catalog.model import Circle
from openbid.targeting.bitset import from_positions
from openbid.targeting.dimension import Step
from openbid.targeting.features import RequestFeatures

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean radius: a sphere, as the haversine formula assumes
COLUMNS = 360
EDGE = 1e-9  # degrees added around a bounding box, so rounding never drops a border cell

Entry = tuple[float, float, float, float, int, bool]  # lat rad, lon rad, cos lat, limit, bits, in


def _haversine(
    lat1: float, lon1: float, cos1: float, lat2: float, lon2: float, cos2: float
) -> float:
    """The haversine of the central angle between two points (radians); grows with distance."""
    return math.sin((lat2 - lat1) / 2) ** 2 + cos1 * cos2 * math.sin((lon2 - lon1) / 2) ** 2


def _limit(radius_km: float) -> float:
    """The haversine value of a central angle of ``radius_km``: within it means inside."""
    return math.sin(min(radius_km / EARTH_RADIUS_KM, math.pi) / 2) ** 2


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points given in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    value = _haversine(lat1, lon1, math.cos(lat1), lat2, lon2, math.cos(lat2))
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(value)))


def cell_of(lat: float, lon: float) -> int:
    """The 1-degree grid cell of a point: row from the south pole, column from -180 degrees."""
    row = min(math.floor(lat), 89) + 90
    return row * COLUMNS + (math.floor(lon) + 180) % COLUMNS


def covering_cells(lat: float, lon: float, radius_km: float) -> Iterator[int]:
    """Every grid cell that a point within ``radius_km`` of (lat, lon) can fall in."""
    angle = radius_km / EARTH_RADIUS_KM
    half_height = math.degrees(angle) + EDGE
    south, north = lat - half_height, lat + half_height
    rows = range(max(math.floor(south), -90) + 90, min(math.floor(north), 89) + 90 + 1)
    if north >= 90 or south <= -90 or angle >= math.pi / 2:
        columns: Sequence[int] = range(COLUMNS)  # the circle covers a pole: every longitude
    else:
        ratio = math.sin(angle) / math.cos(math.radians(lat))
        half_width = math.degrees(math.asin(min(1.0, ratio))) + EDGE
        first, last = math.floor(lon - half_width), math.floor(lon + half_width)
        if last - first + 1 >= COLUMNS:
            columns = range(COLUMNS)
        else:
            columns = [(column + 180) % COLUMNS for column in range(first, last + 1)]
    for row in rows:
        for column in columns:
            yield row * COLUMNS + column


class RadiusIndex:
    """Line items by the circles of their radius rule, filed in grid cells.

    A line item with include circles needs the request's point inside one of them (a request
    without a point fails it); a point inside an exclude circle shuts the line item out.
    """

    __slots__ = ("_cells", "_circles", "_restricted", "unrestricted", "used")

    def __init__(self) -> None:
        self._circles: dict[tuple[float, float, float, bool], list[int]] = {}
        self._restricted: list[int] = []
        self._cells: dict[int, list[Entry]] = {}
        self.unrestricted = 0
        self.used = False

    def add(self, bit: int, include: Sequence[Circle], exclude: Sequence[Circle]) -> None:
        """Register the radius rule of the line item at ``bit``."""
        for circles, side in ((include, True), (exclude, False)):
            for circle in circles:
                key = (circle.lat, circle.lon, circle.radius_km, side)
                self._circles.setdefault(key, []).append(bit)
        if include:
            self._restricted.append(bit)

    def freeze(self, everyone: int) -> None:
        """File every circle in its cells; ``everyone`` is the set of all line items."""
        self.unrestricted = everyone & ~from_positions(self._restricted)
        for (lat, lon, radius_km, include), bits in self._circles.items():
            lat_rad, lon_rad = math.radians(lat), math.radians(lon)
            limit = _limit(radius_km)
            entry = (lat_rad, lon_rad, math.cos(lat_rad), limit, from_positions(bits), include)
            for cell in covering_cells(lat, lon, radius_km):
                self._cells.setdefault(cell, []).append(entry)
        self.used = bool(self._circles)
        self._circles, self._restricted = {}, []

    def step(self) -> Step:
        """The request-time check: the bound ``restrict``."""
        return self.restrict

    def restrict(self, features: RequestFeatures, mask: int) -> int:
        """``mask`` narrowed to the line items whose radius rule holds for the request's point."""
        point = features.point()
        if point is None:
            return mask & self.unrestricted
        lat, lon = point
        entries = self._cells.get(cell_of(lat, lon))
        if entries is None:
            return mask & self.unrestricted
        allowed, blocked = self.unrestricted, 0
        lat, lon = math.radians(lat), math.radians(lon)
        cos_lat = math.cos(lat)
        for circle_lat, circle_lon, circle_cos, limit, bits, include in entries:
            if _haversine(circle_lat, circle_lon, circle_cos, lat, lon, cos_lat) <= limit:
                if include:
                    allowed |= bits
                else:
                    blocked |= bits
        mask &= allowed
        return mask ^ (mask & blocked) if blocked else mask
