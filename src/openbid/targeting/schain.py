"""``source.schain`` rules: a complete supply chain, and at most so many nodes in it."""

from openbid.targeting.bitset import from_positions
from openbid.targeting.dimension import Step
from openbid.targeting.features import RequestFeatures


class SupplyChainIndex:
    """Line items by their supply chain rule; a request without a chain fails every such rule."""

    __slots__ = ("_complete_bits", "_incomplete_ok", "_limit_bits", "_no_rule", "_within", "used")

    def __init__(self) -> None:
        self._complete_bits: list[int] = []
        self._limit_bits: dict[int, list[int]] = {}
        self._incomplete_ok = 0  # line items that do not ask for a complete chain
        self._within: list[int] = []  # [n]: line items that accept a chain of n nodes
        self._no_rule = 0  # line items without any supply chain rule
        self.used = False

    def add(self, bit: int, complete: bool, max_nodes: int | None) -> None:
        """Register the rule of the line item at ``bit``."""
        if complete:
            self._complete_bits.append(bit)
        if max_nodes is not None:
            self._limit_bits.setdefault(max_nodes, []).append(bit)

    def freeze(self, everyone: int) -> None:
        """Precompute, for every chain length up to the longest limit + 1, who accepts it."""
        self._incomplete_ok = everyone & ~from_positions(self._complete_bits)
        limits = {limit: from_positions(bits) for limit, bits in self._limit_bits.items()}
        longest = max(limits, default=0)
        self._within = []
        for nodes in range(longest + 2):
            accepted = everyone
            for limit, bits in limits.items():
                if nodes > limit:
                    accepted &= ~bits
            self._within.append(accepted)
        self._no_rule = self._incomplete_ok & self._within[-1]
        self.used = bool(self._complete_bits or limits)
        self._complete_bits, self._limit_bits = [], {}

    def step(self) -> Step:
        """The request-time check: the bound ``restrict``."""
        return self.restrict

    def restrict(self, features: RequestFeatures, mask: int) -> int:
        """``mask`` narrowed to the line items whose supply chain rule the request meets."""
        chain = features.schain()
        if chain is None:
            return mask & self._no_rule
        complete, nodes = chain
        if not complete:
            mask &= self._incomplete_ok
        return mask & self._within[min(nodes, len(self._within) - 1)]
