"""HAProxy in front of the bidder tasks: its config, and its runtime API over a Unix socket.

One frontend, one backend whose servers are slots declared up front (``stable1``..,
``canary1``..) in maintenance at a placeholder address; a slot's name says its pool. Putting a
task into a pool points a free slot at it and makes it ready (HAProxy checks ``/readyz``);
taking it out drains the slot, then parks it again. The canary pool's share of traffic is made
by server weights: each stable and canary slot gets the weight that gives the pools
``100 - W`` and ``W`` percent whatever their sizes.
"""

import csv
import socket
from dataclasses import dataclass
from pathlib import Path

from openbid.deploy.errors import ConfigError, DeployError
from openbid.deploy.local.settings import LocalSettings
from openbid.deploy.platform import Pool, Target, TargetHealth

BACKEND = "bidders"
SLOTS = {Pool.STABLE: 16, Pool.CANARY: 4}
PARKED_PORT = 1
MAX_WEIGHT = 256
SOCKET_PATH_LIMIT = 100
BASE_WEIGHT = 100
TIMEOUT = 5.0
CHECKS = "check inter 500ms fastinter 200ms downinter 500ms fall 2 rise 1"
"""Checks of ``/readyz``: a new task is up after one success, a failing one down after two."""


def haproxy_config(settings: LocalSettings, socket_path: Path) -> str:
    """The HAProxy configuration of a local deployment."""
    if len(str(socket_path)) > SOCKET_PATH_LIMIT:
        raise ConfigError(
            f"the state directory's path is too long for HAProxy's socket ({socket_path}): "
            "choose a shorter --state-dir"
        )
    templates = "\n".join(
        f"    server-template {pool.value} 1-{count} 127.0.0.1:{PARKED_PORT} disabled"
        for pool, count in SLOTS.items()
    )
    return f"""# Written by `openbid deploy local up`; servers and weights change at run time.
global
    stats socket {socket_path} mode 600 level admin
    maxconn 4096

defaults
    mode http
    timeout connect 500ms
    timeout client 30s
    timeout server 5s
    timeout http-keep-alive 10s
    option redispatch
    retries 3
    retry-on conn-failure empty-response

frontend bid
    bind 127.0.0.1:{settings.port}
    default_backend {BACKEND}

backend {BACKEND}
    balance roundrobin
    option httpchk GET /readyz
    default-server {CHECKS} weight {BASE_WEIGHT}
{templates}
"""


def pool_weights(stable: int, canary: int, percent: int) -> tuple[int, int]:
    """Server weights (each stable slot, each canary slot) that send ``percent`` of requests to
    the ``canary`` canary servers and the rest to the ``stable`` stable ones, as closely as
    HAProxy's weights (1 to 256) allow."""
    if canary == 0 or percent <= 0:
        return BASE_WEIGHT, 0
    if stable == 0 or percent >= 100:
        return 0, BASE_WEIGHT

    def error(weights: tuple[int, int]) -> float:
        each_stable, each_canary = weights
        share = 100 * canary * each_canary / (stable * each_stable + canary * each_canary)
        return abs(share - percent)

    ratio = (100 - percent) * canary / (percent * stable)
    candidates = [
        (min(max(round(each_canary * ratio), 1), MAX_WEIGHT), each_canary)
        for each_canary in range(1, MAX_WEIGHT + 1)
    ]
    return min(candidates, key=lambda weights: (error(weights), weights[1]))


@dataclass(frozen=True)
class Slot:
    """One server slot of the backend, as ``show stat`` reports it."""

    name: str
    pool: Pool
    target: Target | None
    status: str
    check_status: str
    weight: int
    sessions: int

    @property
    def parked(self) -> bool:
        """In maintenance: free to point at a task."""
        return self.status.startswith("MAINT")

    @property
    def taking_traffic(self) -> bool:
        """Neither parked nor draining."""
        return not self.parked and not self.status.startswith("DRAIN")

    def health(self) -> TargetHealth | None:
        """The slot as a registered target (None when parked at the placeholder)."""
        if self.target is None:
            return None
        status = self.status
        if status.startswith("MAINT"):
            state = "unused"
        elif status.startswith("DRAIN"):
            state = "draining"
        elif self.check_status in ("", "INI"):
            state = "initial"
        elif status.startswith("UP"):
            state = "healthy"
        else:
            state = "unhealthy"
        return TargetHealth(self.target, state, f"{status} ({self.check_status})".strip())


def _slot(row: dict[str, str]) -> Slot | None:
    name = row.get("svname", "")
    pool = next((p for p in Pool if name.startswith(p.value)), None)
    if pool is None:
        return None
    host, _, port = row.get("addr", "").rpartition(":")
    target = Target(host, int(port)) if port.isdigit() and int(port) != PARKED_PORT else None
    return Slot(
        name=name,
        pool=pool,
        target=target,
        status=row.get("status", ""),
        check_status=row.get("check_status", ""),
        weight=int(row.get("weight") or 0),
        sessions=int(row.get("scur") or 0),
    )


class HaproxyRuntime:
    """HAProxy's runtime API: one command per connection to its admin socket."""

    def __init__(self, socket_path: Path) -> None:
        self._path = socket_path

    def command(self, line: str) -> str:
        """Send one command; HAProxy's answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(TIMEOUT)
                conn.connect(str(self._path))
                conn.sendall(line.encode() + b"\n")
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
        except OSError as error:
            raise DeployError(
                f"HAProxy's runtime API at {self._path} does not answer "
                f"({error.strerror or error}): is the local deployment up? "
                "(`openbid deploy local up`)"
            ) from None
        answer = b"".join(chunks).decode(errors="replace").strip()
        if answer.startswith(("Unknown command", "No such", "Require", "Invalid")):
            raise DeployError(f"HAProxy refused {line!r}: {answer}")
        return answer

    def slots(self) -> list[Slot]:
        """Every server slot of the backend."""
        text = self.command(f"show stat {BACKEND} 4 -1").removeprefix("# ")
        rows = csv.DictReader(text.splitlines())
        return [slot for row in rows if (slot := _slot(row)) is not None]

    def point(self, slot: Slot, target: Target) -> None:
        """Point a parked slot at ``target`` and take it out of maintenance (checks decide)."""
        self.command(f"set server {BACKEND}/{slot.name} addr {target.host} port {target.port}")
        self.command(f"set server {BACKEND}/{slot.name} state ready")

    def drain(self, slot: Slot) -> None:
        """No new requests to ``slot``; those in flight finish."""
        self.command(f"set server {BACKEND}/{slot.name} state drain")

    def ready(self, slot: Slot) -> None:
        """A draining slot takes requests again."""
        self.command(f"set server {BACKEND}/{slot.name} state ready")

    def park(self, slot: Slot) -> None:
        """Put ``slot`` in maintenance at the placeholder address: free again."""
        self.command(f"set server {BACKEND}/{slot.name} state maint")
        self.command(f"set server {BACKEND}/{slot.name} addr 127.0.0.1 port {PARKED_PORT}")

    def set_weight(self, slot: Slot, weight: int) -> None:
        """The slot's share among the servers that take traffic."""
        if slot.weight != weight:
            self.command(f"set weight {BACKEND}/{slot.name} {weight}")
