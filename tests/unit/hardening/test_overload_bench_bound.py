"""bench/overload.py's cost bound: what share of the maximum any shedder can keep at 2x, from the
bidder's CPU per bid and per shed request."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).parents[3] / "bench"


def _overload_bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # it imports simulator_run from beside it
    try:
        spec = importlib.util.spec_from_file_location("overload_bench", BENCH / "overload.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


bench = _overload_bench()


def _run(rate: float, answered: int, shed: int, cpu_seconds: float) -> object:
    return bench.Run(rate, 10.0, answered, answered, 0, shed, 50.0, cpu_seconds)


def test_the_bound_follows_from_the_cpu_of_bids_and_of_shed_requests() -> None:
    at_max = _run(1_000, 10_000, 0, 1.0)  # 100 us a bid
    # at 2x: 8,000 bids (0.8 s) and 12,000 shed requests in the other 0.24 s: 20 us each
    bid, shed, bound = bench.shed_bound(at_max, _run(2_000, 20_000, 12_000, 1.04))
    assert bid == pytest.approx(100.0)
    assert shed == pytest.approx(20.0)
    assert bound == pytest.approx((100 - 40) / (100 - 20))


def test_shed_requests_as_dear_as_bids_leave_nothing_and_none_shed_leave_everything() -> None:
    at_max = _run(1_000, 10_000, 0, 1.0)
    assert bench.shed_bound(at_max, _run(2_000, 20_000, 10_000, 2.0))[2] == 0.0
    assert bench.shed_bound(at_max, _run(2_000, 20_000, 0, 2.0)) == (pytest.approx(100.0), 0.0, 1.0)
