"""OS versions: parsing to integer tuples, and inclusive bounds (``max`` at its own precision)."""

import pytest

from openbid.targeting.version import in_range, parse_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17.4.1", (17, 4, 1)),
        ("10", (10,)),
        (" 9 ", (9,)),
        ("10_3", (10, 3)),
        ("16.0", (16, 0)),
        ("10.0b2", (10, 0)),
        ("14.10", (14, 10)),
        ("8.1.x", (8, 1)),
        ("iOS 17", None),
        ("", None),
        ("beta", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_version(text) == expected


def test_versions_compare_as_numbers_not_text() -> None:
    assert in_range((14, 10), (14, 2), None)
    assert not in_range((14, 1, 9), (14, 2), None)


@pytest.mark.parametrize(
    ("version", "low", "admitted"),
    [((14,), (14, 0), True), ((14, 0, 0), (14,), True), ((13, 9), (14,), False)],
)
def test_min_pads_missing_components_with_zeros(
    version: tuple[int, ...], low: tuple[int, ...], admitted: bool
) -> None:
    assert in_range(version, low, None) is admitted


@pytest.mark.parametrize(
    ("version", "high", "admitted"),
    [
        ((17, 5, 1), (17,), True),  # max 17 admits any 17.x
        ((18,), (17,), False),
        ((17, 0, 3), (17, 0), True),  # max 17.0 admits 17.0.x ...
        ((17, 1), (17, 0), False),  # ... but not 17.1
        ((17,), (17, 4), True),  # 17 is 17.0
        ((17, 4), (17, 4), True),
        ((17, 5), (17, 4), False),
    ],
)
def test_max_compares_at_its_own_precision(
    version: tuple[int, ...], high: tuple[int, ...], admitted: bool
) -> None:
    assert in_range(version, None, high) is admitted


def test_both_bounds_and_none() -> None:
    assert in_range((15, 2), (15,), (16,))
    assert not in_range((16, 1), (15,), (16, 0))
    assert in_range((1,), None, None)
