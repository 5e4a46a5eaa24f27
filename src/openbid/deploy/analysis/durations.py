"""Durations as people write them in configs and options: ``90s``, ``10m``, ``1h``, ``1m30s``."""

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | float) -> float:
    """Seconds in ``text`` (a number is seconds already); ValueError when it is not a duration."""
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        compact = text.strip().replace(" ", "")
        parts = _PART.findall(compact)
        if not compact or "".join(n + u for n, u in parts) != compact:
            raise ValueError(f"{text!r} is not a duration (like 30s, 10m, 1h or 1m30s)")
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, not {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``600`` -> ``10m``, ``90`` -> ``1m30s``, ``2.54`` -> ``2.5s``; for messages."""
    if seconds < 60:
        return f"{round(seconds, 1):g}s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{rest}s" if rest else "")
