"""The local platform's HAProxy: pool weights, its config, and slots read from ``show stat``."""

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openbid.deploy.errors import ConfigError
from openbid.deploy.local.haproxy import MAX_WEIGHT, Slot, _slot, haproxy_config, pool_weights
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.platform import Pool, Target

SETTINGS = LocalSettings(
    port=18080, prometheus_port=19090, stable_tasks=2, admin_token="t", signing_keys="k:v"
)
# Rows of `show stat bidders 4 -1` from HAProxy 2.6 (the columns the platform reads).
SHOW_STAT = """\
pxname,svname,scur,status,weight,check_status,addr
bidders,stable1,0,UP 1/3,100,INI,127.0.0.1:18999
bidders,stable2,0,MAINT,100,,127.0.0.1:1
bidders,stable3,3,DRAIN,0,L7OK,127.0.0.1:18998
bidders,stable4,0,UP,2,L7OK,127.0.0.1:18997
bidders,stable5,0,DOWN,1,L7STS,127.0.0.1:18996
bidders,canary1,0,MAINT,1,L7OK,127.0.0.1:18995
bidders,BACKEND,0,UP,102,,
"""


def _slots() -> list[Slot]:
    return [s for row in csv.DictReader(SHOW_STAT.splitlines()) if (s := _slot(row))]


@given(
    st.integers(min_value=1, max_value=16),
    st.integers(min_value=1, max_value=2),
    st.integers(min_value=1, max_value=50),
)
def test_weights_give_the_canary_pool_its_percent(stable: int, canary: int, percent: int) -> None:
    each_stable, each_canary = pool_weights(stable, canary, percent)
    assert 1 <= each_stable <= MAX_WEIGHT
    assert 1 <= each_canary <= MAX_WEIGHT
    share = 100 * canary * each_canary / (stable * each_stable + canary * each_canary)
    assert share == pytest.approx(percent, abs=0.5)


def test_weights_with_one_pool_empty_or_no_canary_share() -> None:
    assert pool_weights(2, 0, 10) == (100, 0)
    assert pool_weights(2, 1, 0) == (100, 0)
    assert pool_weights(0, 1, 10) == (0, 100)
    assert pool_weights(2, 1, 20) == (2, 1)


def test_slots_and_their_health_from_show_stat() -> None:
    slots = {slot.name: slot for slot in _slots()}
    assert set(slots) == {"stable1", "stable2", "stable3", "stable4", "stable5", "canary1"}
    assert slots["stable2"].target is None
    assert slots["stable2"].parked
    assert slots["stable2"].health() is None
    assert slots["canary1"].pool is Pool.CANARY
    states = {
        name: health.state for name, slot in slots.items() if (health := slot.health()) is not None
    }
    assert states == {
        "stable1": "initial",
        "stable3": "draining",
        "stable4": "healthy",
        "stable5": "unhealthy",
        "canary1": "unused",
    }
    assert slots["stable3"].sessions == 3
    assert not slots["stable3"].taking_traffic
    assert slots["stable4"].target == Target("127.0.0.1", 18997)
    assert slots["stable4"].taking_traffic


def test_config_declares_parked_slots_and_the_admin_socket(tmp_path: Path) -> None:
    text = haproxy_config(SETTINGS, tmp_path / "haproxy.sock")
    assert f"stats socket {tmp_path / 'haproxy.sock'} mode 600 level admin" in text
    assert "bind 127.0.0.1:18080" in text
    assert "server-template stable 1-16 127.0.0.1:1 disabled" in text
    assert "server-template canary 1-4 127.0.0.1:1 disabled" in text
    assert "option httpchk GET /readyz" in text


def test_config_refuses_a_socket_path_too_long_for_unix_sockets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too long"):
        haproxy_config(SETTINGS, tmp_path / ("x" * 120) / "haproxy.sock")
