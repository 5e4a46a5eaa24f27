"""State files: JSON read into typed structs, written whole and atomically (rename)."""

import os
from pathlib import Path
from typing import TypeVar

import msgspec

from openbid.deploy.errors import DeployError

T = TypeVar("T")


def read_json(path: Path, kind: type[T]) -> T:
    """The file at ``path`` as ``kind``; a ``DeployError`` naming it when it is unreadable."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=kind)
    except OSError as error:
        raise DeployError(f"cannot read {path}: {error.strerror or error}") from None
    except msgspec.DecodeError as error:
        raise DeployError(
            f"{path} is damaged ({error}): `openbid deploy local down`, then up again"
        ) from None


def write_json(path: Path, value: object) -> None:
    """Write ``value`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(msgspec.json.format(msgspec.json.encode(value)))
    partial.replace(path)
