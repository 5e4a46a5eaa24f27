"""Lengths of time as catalogs write them (``30m``, ``24h``, ``7d``), in seconds."""

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def period_seconds(text: str) -> int:
    """Seconds in a period such as ``24h``; the model's pattern has already checked its form."""
    return int(text[:-1]) * UNIT_SECONDS[text[-1]]
