"""The admin API as a Starlette application, with its OpenAPI document at ``/openapi.json``."""

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from openbid import __version__
from openbid.admin.auth import BearerAuth
from openbid.admin.context import AdminContext
from openbid.admin.control_api import LogLevelEndpoint, ReadinessEndpoint
from openbid.admin.line_items_api import LineItemsApi
from openbid.admin.responses import problem
from openbid.admin.schemas import component_schemas
from openbid.admin.status_api import StatusApi


def _problem_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _base_schema() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openbid admin API",
            "version": __version__,
            "description": "Status, metrics, line items and why they do not bid, live "
            "capture, log level and readiness of one openbid bidder task.",
        },
        "components": {
            "schemas": component_schemas(),
            "responses": {
                "Unauthorized": _problem_response("Missing or wrong bearer token."),
                "BadRequest": _problem_response("A malformed query or body."),
                "NotFound": _problem_response("No such line item."),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) as JSON problems too."""
    if not isinstance(error, HTTPException):
        return problem(500, "internal error")
    response = problem(
        error.status_code, "not found" if error.status_code == 404 else "not served", error.detail
    )
    response.headers.update(error.headers or {})  # Allow, for 405
    return response


def create_admin_app(context: AdminContext, token: str) -> Starlette:
    """The admin API over ``context``; every path but ``/openapi.json`` needs ``token``."""
    status = StatusApi(context)
    line_items = LineItemsApi(context)
    schemas = SchemaGenerator(_base_schema())

    async def openapi(request: Request) -> Response:
        return JSONResponse(schemas.get_schema(routes=request.app.routes))

    routes = [
        Route("/status", status.status, methods=["GET"]),
        Route("/metrics", status.metrics, methods=["GET"]),
        Route("/log-level", LogLevelEndpoint),
        Route("/readiness", ReadinessEndpoint),
        Route("/line-items", line_items.list_line_items, methods=["GET"]),
        Route("/line-items/{line_item_id}", line_items.get_line_item, methods=["GET"]),
        Route("/line-items/{line_item_id}/why", line_items.why, methods=["GET"]),
        Route("/capture", line_items.capture, methods=["POST"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BearerAuth, token=token)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.context = context
    return app
