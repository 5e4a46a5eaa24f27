"""Line-item sets as Python ints: bit ``n`` set means the line item at bit ``n`` is in the set.

On the bid path only positive ints are combined (``&``, ``|``): their cost grows with the
smaller operand, while ``~`` and negatives force a two's-complement pass over the whole number.
"""

from collections.abc import Collection, Iterator

CHUNK_BITS = 256
CHUNK = (1 << CHUNK_BITS) - 1


def from_positions(positions: Collection[int]) -> int:
    """The set of the given bit positions, built in one pass (``|=`` per bit is quadratic)."""
    if not positions:
        return 0
    buffer = bytearray((max(positions) >> 3) + 1)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


def iter_bits(bits: int) -> Iterator[int]:
    """Positions of the set bits, lowest first, in small chunks (a caller may stop early)."""
    base = 0
    while bits:
        chunk = bits & CHUNK
        if not chunk:  # jump over a run of empty chunks at once
            skip = (bits ^ (bits - 1)).bit_length() - 1
            bits >>= skip
            base += skip
            continue
        while chunk:
            low = chunk & -chunk
            yield base + low.bit_length() - 1
            chunk ^= low
        bits >>= CHUNK_BITS
        base += CHUNK_BITS
