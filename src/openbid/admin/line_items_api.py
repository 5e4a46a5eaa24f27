"""Admin endpoints about bidding: line items, why one does not bid, a live capture."""

import asyncio
import time
from collections import Counter

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from openbid.admin.context import AdminContext
from openbid.admin.line_items import compiled_state, line_item_views
from openbid.admin.responses import (
    BadQueryError,
    check_query,
    int_query,
    json_response,
    problem,
    read_body,
)
from openbid.admin.schemas import (
    Capture,
    CapturedExchange,
    CaptureOrder,
    LineItemPage,
    LineItemView,
    ReasonCount,
    WhyReport,
)
from openbid.admin.tap import CaptureBusyError
from openbid.admin.why import BID, LineItemProbe

WHY_CHUNK = 32  # requests replayed between two yields to the event loop
MAX_PAGE = 1000


def _as_json(body: bytes) -> object:
    """A body as JSON when it is JSON, else as text."""
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body.decode("utf-8", "replace")


class LineItemsApi:
    """``/line-items``, ``/line-items/{id}``, ``/line-items/{id}/why`` and ``/capture``."""

    def __init__(self, context: AdminContext) -> None:
        self.context = context

    def _views(self) -> list[LineItemView]:
        context = self.context
        return line_item_views(context.catalog(), context.bidder.snapshot, context.pacing)

    async def list_line_items(self, request: Request) -> Response:
        """Line items with their state, price, budget and pacing, a page at a time.
        ---
        summary: List line items
        operationId: listLineItems
        parameters:
          - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000000,
             default: 0}}
          - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000,
             default: 100}}
        responses:
          200:
            description: A page of line items.
            content: {application/json: {schema: {$ref: "#/components/schemas/LineItemPage"}}}
          400: {$ref: "#/components/responses/BadRequest"}
          401: {$ref: "#/components/responses/Unauthorized"}
        """
        try:
            check_query(request, frozenset({"offset", "limit"}))
            offset = int_query(request, "offset", 0, 0, 1_000_000_000)
            limit = int_query(request, "limit", 100, 1, MAX_PAGE)
        except BadQueryError as error:
            return problem(400, "invalid query", str(error))
        views = self._views()
        page = views[offset : offset + limit]
        return json_response(LineItemPage(total=len(views), offset=offset, items=page))

    async def get_line_item(self, request: Request) -> Response:
        """One line item.
        ---
        summary: Show a line item
        operationId: getLineItem
        parameters:
          - {name: line_item_id, in: path, required: true, schema: {type: string}}
        responses:
          200:
            description: The line item.
            content: {application/json: {schema: {$ref: "#/components/schemas/LineItemView"}}}
          401: {$ref: "#/components/responses/Unauthorized"}
          404: {$ref: "#/components/responses/NotFound"}
        """
        wanted = request.path_params["line_item_id"]
        for view in self._views():
            if view.id == wanted:
                return json_response(view)
        return problem(404, "no such line item", wanted)

    async def why(self, request: Request) -> Response:
        """Why a line item does not bid: the filters that stopped it on the last requests.
        ---
        summary: Why is this line item not bidding
        operationId: whyNotBidding
        parameters:
          - {name: line_item_id, in: path, required: true, schema: {type: string}}
          - {name: requests, in: query, description: how many recent requests to replay,
             schema: {type: integer, minimum: 1, maximum: 100000, default: 1000}}
        responses:
          200:
            description: Counts per reason.
            content: {application/json: {schema: {$ref: "#/components/schemas/WhyReport"}}}
          400: {$ref: "#/components/responses/BadRequest"}
          401: {$ref: "#/components/responses/Unauthorized"}
          404: {$ref: "#/components/responses/NotFound"}
        """
        try:
            check_query(request, frozenset({"requests"}))
            limit = int_query(request, "requests", 1000, 1, 100_000)
        except BadQueryError as error:
            return problem(400, "invalid query", str(error))
        wanted = request.path_params["line_item_id"]
        context = self.context
        snapshot = context.bidder.snapshot
        view = next((v for v in self._views() if v.id == wanted), None)
        if view is None:
            return problem(404, "no such line item", wanted)
        ring = context.ring
        recorded = ring.latest(limit)
        compiled = None
        if snapshot is not None:
            compiled = next((i for i in snapshot.index.line_items if i.id == wanted), None)
        counts: Counter[str] = Counter()
        state = view.state  # paused, without a creative, or no catalog loaded: nothing to replay
        if snapshot is not None and compiled is not None:
            probe = LineItemProbe(snapshot, compiled, context.pacing)
            for start in range(0, len(recorded), WHY_CHUNK):
                counts.update(probe.reason(entry) for entry in recorded[start : start + WHY_CHUNK])
                await asyncio.sleep(0)  # let bids through between chunks
            state = compiled_state(compiled, time.time())
        examined = sum(counts.values())
        bids = counts.pop(BID, 0)
        return json_response(
            WhyReport(
                line_item=wanted,
                state=state,
                catalog_version=snapshot.version if snapshot else None,
                examined=examined,
                bid=bids,
                reasons=[ReasonCount(reason=r, count=n) for r, n in counts.most_common()],
                sampled_every=ring.every,
                oldest=recorded[0].received_at if recorded else None,
                newest=recorded[-1].received_at if recorded else None,
            )
        )

    async def capture(self, request: Request) -> Response:
        """Capture the next requests and the answers given to them.
        ---
        summary: Live sample of the next requests and responses
        operationId: capture
        requestBody:
          required: true
          content: {application/json: {schema: {$ref: "#/components/schemas/CaptureOrder"}}}
        responses:
          200:
            description: What arrived before the count was reached or the timeout passed.
            content: {application/json: {schema: {$ref: "#/components/schemas/Capture"}}}
          400: {$ref: "#/components/responses/BadRequest"}
          401: {$ref: "#/components/responses/Unauthorized"}
          409:
            description: Another capture is running.
            content: {application/json: {schema: {$ref: "#/components/schemas/Problem"}}}
        """
        try:
            order = await read_body(request, CaptureOrder)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            return problem(400, "invalid body", str(error))
        context = self.context
        timeout = min(order.timeout_seconds, context.max_capture_seconds)
        try:
            entries = await context.tap.capture(order.count, timeout)
        except CaptureBusyError as error:
            return problem(409, "busy", str(error))
        captured = [
            CapturedExchange(
                received_at=e.received_at,
                exchange=e.exchange,
                status=e.status,
                request=_as_json(e.request),
                response=_as_json(e.response) if e.response else None,
            )
            for e in entries
        ]
        return json_response(Capture(requested=order.count, captured=captured))
