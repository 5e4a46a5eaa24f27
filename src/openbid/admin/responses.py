"""JSON responses and query parsing shared by the admin endpoints."""

from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from openbid.admin.schemas import Problem

_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


def json_response(body: Any, status: int = 200) -> Response:
    """``body`` (a struct, dict or list) encoded as JSON."""
    return Response(_encode(body), status, media_type="application/json")


def problem(status: int, error: str, detail: str = "") -> Response:
    """An error response with a :class:`Problem` body."""
    return json_response(Problem(error=error, detail=detail), status)


class BadQueryError(ValueError):
    """A query parameter that is not an integer in range."""


def check_query(request: Request, allowed: frozenset[str]) -> None:
    """Raise BadQueryError for a query parameter the endpoint does not take."""
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise BadQueryError(f"unknown query parameter {unknown[0]!r}")


def int_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer in ``[low, high]``; raises BadQueryError."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQueryError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadQueryError(f"{name} must be between {low} and {high}")
    return value


async def read_body(request: Request, kind: type[T]) -> T:
    """The request's JSON object body as ``kind``; a whole float counts as an integer, as in
    JSON Schema. Raises msgspec.ValidationError or msgspec.DecodeError."""
    data = msgspec.json.decode(await request.body())
    if isinstance(data, dict):
        data = {
            k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in data.items()
        }
    return msgspec.convert(data, kind)
