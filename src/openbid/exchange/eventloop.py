"""Runs a coroutine on uvloop when it is installed, else on the standard asyncio loop."""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new event loop; uvloop's when available (it is faster)."""
    try:
        import uvloop  # noqa: PLC0415 -- optional: not installed on every platform
    except ImportError:
        return asyncio.run(main)
    result: T = uvloop.run(main)
    return result
