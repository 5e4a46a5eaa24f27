"""Admin endpoints about the process: status and metrics."""

import time

from starlette.requests import Request
from starlette.responses import Response

from openbid.admin.context import AdminContext
from openbid.admin.redact import redact
from openbid.admin.responses import json_response
from openbid.admin.schemas import CatalogState, Status
from openbid.telemetry.logging import current_level


class StatusApi:
    """``/status`` and ``/metrics``."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context

    async def status(self, request: Request) -> Response:
        """The task's version, tags, uptime, configuration (secrets redacted) and catalog.
        ---
        summary: Status of this bidder task
        operationId: getStatus
        responses:
          200:
            description: The status.
            content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        context = self.context
        snapshot = context.bidder.snapshot
        now = time.time()
        return json_response(
            Status(
                version=context.version,
                tags=dict(context.tags),
                started_at=context.started_at,
                uptime_seconds=round(now - context.started_at, 3),
                ready=context.ready,
                accepting=context.readiness.accepting,
                log_level=current_level(),
                catalog=CatalogState(
                    version=snapshot.version if snapshot else None,
                    compiled_at=snapshot.compiled_at if snapshot else None,
                    line_items=len(snapshot.index.line_items) if snapshot else 0,
                ),
                config=redact(context.config),
            )
        )

    async def metrics(self, request: Request) -> Response:
        """Prometheus text exposition of the bidder's metrics, with the task's tags.
        ---
        summary: Prometheus metrics
        operationId: getMetrics
        responses:
          200:
            description: Metrics in the Prometheus text format.
            content: {text/plain: {schema: {type: string}}}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        body, content_type = self.context.metrics.render()
        return Response(body, media_type=content_type)
