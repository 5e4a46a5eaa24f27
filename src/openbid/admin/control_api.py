"""Admin endpoints that change the process: its log level and its readiness switch.

Each is a Starlette ``HTTPEndpoint`` (one class per path, a method per verb) so that a 405
lists every verb of the path; they find the :class:`AdminContext` in ``app.state.context``.
"""

import msgspec
from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import Response

from openbid.admin.context import AdminContext
from openbid.admin.responses import json_response, problem, read_body
from openbid.admin.schemas import LogLevel, ReadinessOrder, ReadinessView
from openbid.telemetry.logging import current_level, set_level


def _context(request: Request) -> AdminContext:
    context: AdminContext = request.app.state.context
    return context


def _readiness(context: AdminContext) -> ReadinessView:
    return ReadinessView(accepting=context.readiness.accepting, ready=context.ready)


class LogLevelEndpoint(HTTPEndpoint):
    """``/log-level``."""

    async def get(self, request: Request) -> Response:
        """The current log level.
        ---
        summary: Current log level
        operationId: getLogLevel
        responses:
          200:
            description: The level.
            content: {application/json: {schema: {$ref: "#/components/schemas/LogLevel"}}}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        return json_response({"level": current_level()})

    async def put(self, request: Request) -> Response:
        """Change the log level now.
        ---
        summary: Change the log level
        operationId: setLogLevel
        requestBody:
          required: true
          content: {application/json: {schema: {$ref: "#/components/schemas/LogLevel"}}}
        responses:
          200:
            description: The new level.
            content: {application/json: {schema: {$ref: "#/components/schemas/LogLevel"}}}
          400: {$ref: "#/components/responses/BadRequest"}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        try:
            order = await read_body(request, LogLevel)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            return problem(400, "invalid body", str(error))
        set_level(order.level)
        return json_response({"level": current_level()})


class ReadinessEndpoint(HTTPEndpoint):
    """``/readiness``."""

    async def get(self, request: Request) -> Response:
        """Whether this task asks for traffic and is ready for it.
        ---
        summary: Readiness switch
        operationId: getReadiness
        responses:
          200:
            description: The switch and readiness.
            content: {application/json: {schema: {$ref: "#/components/schemas/ReadinessView"}}}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        return json_response(_readiness(_context(request)))

    async def put(self, request: Request) -> Response:
        """Drain this task (readiness fails, in-flight bids go on) or take traffic again.
        ---
        summary: Set the readiness switch
        operationId: setReadiness
        requestBody:
          required: true
          content: {application/json: {schema: {$ref: "#/components/schemas/ReadinessOrder"}}}
        responses:
          200:
            description: The switch and readiness after the change.
            content: {application/json: {schema: {$ref: "#/components/schemas/ReadinessView"}}}
          400: {$ref: "#/components/responses/BadRequest"}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        try:
            order = await read_body(request, ReadinessOrder)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            return problem(400, "invalid body", str(error))
        context = _context(request)
        if order.accepting:
            context.readiness.resume()
        else:
            context.readiness.drain()
        return json_response(_readiness(context))
