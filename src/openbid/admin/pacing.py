"""What the admin API reads from budgets, pacing and frequency caps, whoever implements them.

``openbid serve`` hands the admin API its :class:`~openbid.pacing.state.PacingState`, which has
these two methods; without one (tests, benchmarks) the admin API uses :class:`NullPacingView`,
which knows of no budget and blocks nothing.
"""

from typing import Protocol

from openbid.openrtb.model import BidRequest

OUT_OF_BUDGET = "out_of_budget"
FREQUENCY_CAPPED = "frequency_capped"
PACED = "paced"  # held back to spread the budget over the flight


class PacingView(Protocol):
    """Read-only view of budgets, pacing and frequency caps, per line item."""

    def line_item_state(self, line_item_id: str) -> dict[str, object]:
        """Budget, spend and pacing figures of a line item, as JSON-ready values."""
        ...

    def blocked_reason(self, line_item_id: str, request: BidRequest, now: float) -> str | None:
        """Why budgets, pacing or caps would stop the line item on ``request`` at ``now``
        (``OUT_OF_BUDGET``, ``FREQUENCY_CAPPED``, ``PACED``, ...), or None if they would not."""
        ...


class NullPacingView:
    """No budgets, no pacing, no caps: the view when no pacing state is given."""

    def line_item_state(self, line_item_id: str) -> dict[str, object]:
        """Nothing is known."""
        return {}

    def blocked_reason(self, line_item_id: str, request: BidRequest, now: float) -> str | None:
        """Nothing blocks."""
        return None
