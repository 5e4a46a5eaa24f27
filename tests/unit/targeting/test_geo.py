"""Radius targeting: great-circle distance, and the grid cells a circle is filed under."""

import math

import pytest

from openbid.targeting.geo import COLUMNS, cell_of, covering_cells, distance_km

KM_PER_DEGREE = 6371.0088 * math.pi / 180  # along a meridian, on the mean sphere


def test_distance_of_one_degree_along_a_meridian() -> None:
    assert distance_km(0, 10, 1, 10) == pytest.approx(KM_PER_DEGREE, rel=1e-9)


def test_known_city_distance() -> None:
    # New York (JFK) to London (LHR): the published great-circle distance is about 5,540 km.
    assert distance_km(40.6413, -73.7781, 51.4700, -0.4543) == pytest.approx(5540, abs=5)


def test_distance_across_the_antimeridian_and_at_the_poles() -> None:
    assert distance_km(0, 179.5, 0, -179.5) == pytest.approx(KM_PER_DEGREE, rel=1e-9)
    assert distance_km(90, 0, 90, 120) == pytest.approx(0, abs=1e-6)
    assert distance_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088)


def test_cells() -> None:
    assert cell_of(0.5, 0.5) == 90 * COLUMNS + 180
    assert cell_of(-0.5, -0.5) == 89 * COLUMNS + 179
    assert cell_of(90, 180) == cell_of(89.5, -179.5)  # the edges fold into the grid


def test_small_circle_inside_one_cell() -> None:
    assert list(covering_cells(40.5, -73.5, 10)) == [cell_of(40.5, -73.5)]


def test_circle_near_a_cell_corner_covers_four_cells() -> None:
    cells = set(covering_cells(41.01, -74.01, 5))
    assert cells == {cell_of(lat, lon) for lat in (40.5, 41.5) for lon in (-74.5, -73.5)}


def test_circle_across_the_antimeridian_wraps() -> None:
    cells = set(covering_cells(10.0, 179.95, 10))
    assert cell_of(10.0, 179.5) in cells
    assert cell_of(10.0, -179.98) in cells


def test_circle_over_a_pole_covers_every_longitude() -> None:
    cells = set(covering_cells(89.9, 0.0, 50))
    assert {cell_of(89.95, lon + 0.5) for lon in range(-180, 180)} <= cells


@pytest.mark.parametrize(
    ("lat", "lon", "radius"), [(40.7, -74.0, 25), (59.9, 10.7, 300), (-33.9, 151.2, 1000)]
)
def test_every_point_within_the_radius_is_in_a_covering_cell(
    lat: float, lon: float, radius: float
) -> None:
    cells = set(covering_cells(lat, lon, radius))
    for bearing in range(0, 360, 5):
        # the point at 99.9% of the radius in this direction (spherical destination formula)
        angle, theta, phi = radius * 0.999 / 6371.0088, math.radians(bearing), math.radians(lat)
        lat2 = math.asin(
            math.sin(phi) * math.cos(angle) + math.cos(phi) * math.sin(angle) * math.cos(theta)
        )
        lon2 = math.radians(lon) + math.atan2(
            math.sin(theta) * math.sin(angle) * math.cos(phi),
            math.cos(angle) - math.sin(phi) * math.sin(lat2),
        )
        point = math.degrees(lat2), (math.degrees(lon2) + 180) % 360 - 180
        assert distance_km(lat, lon, *point) < radius
        assert cell_of(*point) in cells
