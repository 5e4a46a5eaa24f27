"""Structured logs: one JSON object per line on stderr, with the task's tags on every line.

Each line carries ``ts`` (epoch seconds), ``level``, ``logger``, ``event`` (the message),
``request_id`` when the call passes ``extra={"request_id": ...}``, any other ``extra`` fields,
the tags, and ``exc`` for exceptions. Lines about single requests are sampled on the hot path
with :class:`RequestSampler`. The level can be changed while the process runs.
"""

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import msgspec

LEVELS = ("debug", "info", "warning", "error", "critical")
# Attributes every LogRecord has; anything else on a record came from ``extra`` (but for
# uvicorn's ``color_message``, its message again with terminal colours).
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
_encode = msgspec.json.Encoder().encode


def _jsonable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool | None) else str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line carrying the tags."""

    def __init__(self, tags: Mapping[str, str]) -> None:
        super().__init__()
        self._tags = dict(tags)

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line."""
        line: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = _jsonable(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        line.update(self._tags)
        return _encode(line).decode()


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at each record, so a replaced stderr (a test
    runner's capture, a closed one after it) is followed rather than written to after closing."""

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current standard error."""


def configure_logging(
    level: str, tags: Mapping[str, str], stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record (uvicorn's too) to ``stream`` (stderr) as JSON lines at ``level``."""
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(JsonFormatter(tags))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    set_level(level)
    return handler


def set_level(level: str) -> None:
    """Change the level of every logger that does not set its own, at run time."""
    name = level.strip().lower()
    if name not in LEVELS:
        raise ValueError(f"log level is one of {', '.join(LEVELS)}, not {level!r}")
    logging.getLogger().setLevel(name.upper())


def current_level() -> str:
    """The root logger's level, lower case."""
    return logging.getLevelName(logging.getLogger().level).lower()


class RequestSampler:
    """Says yes to one call in ``every``: log per-request lines only when it does."""

    __slots__ = ("_count", "every")

    def __init__(self, every: int = 1000) -> None:
        if every < 1:
            raise ValueError("every is at least 1")
        self.every = every
        self._count = 0

    def __call__(self) -> bool:
        """Whether this request's line should be logged."""
        count = self._count + 1
        self._count = count if count < self.every else 0
        return count >= self.every
