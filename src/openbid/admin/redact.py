"""Configuration fit to show: secrets replaced, passwords taken out of URLs."""

import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
SECRET_NAME = re.compile(r"secret|token|password|passwd|key|credential|auth", re.IGNORECASE)


def _redact_url(value: str) -> str:
    """``scheme://user:pass@host/...`` -> ``scheme://user:***@host/...``; other text unchanged."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value
    if not parts.password:
        return value
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username}:{REDACTED}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def redact(config: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``config`` with the values of secret-looking keys replaced and URL passwords
    removed, at any depth."""
    shown: dict[str, object] = {}
    for key, value in config.items():
        if SECRET_NAME.search(key) and value not in (None, ""):
            shown[key] = REDACTED
        elif isinstance(value, Mapping):
            shown[key] = redact(value)
        elif isinstance(value, str):
            shown[key] = _redact_url(value)
        else:
            shown[key] = value
    return shown
