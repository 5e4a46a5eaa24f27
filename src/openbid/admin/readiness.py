"""The admin API's readiness switch: take a task out of the load balancer without stopping it."""


class Readiness:
    """Whether this task asks for traffic; the bid port's ``/readyz`` fails while draining."""

    __slots__ = ("accepting",)

    def __init__(self) -> None:
        self.accepting = True

    def drain(self) -> None:
        """Fail readiness from now on, so the load balancer stops sending requests."""
        self.accepting = False

    def resume(self) -> None:
        """Pass readiness again (if the bidder is otherwise ready)."""
        self.accepting = True
