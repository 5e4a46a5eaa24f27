"""The notification webhook: one JSON POST saying what the analysis decided and why."""

from typing import Any

import httpx2
import msgspec

NOTIFY_TIMEOUT_S = 10.0


def notify(url: str, payload: dict[str, Any], client: httpx2.Client | None = None) -> str | None:
    """POST ``payload`` to ``url``; None when delivered, else why not (never raises)."""
    http = client or httpx2.Client(timeout=NOTIFY_TIMEOUT_S)
    try:
        response = http.post(
            url, content=msgspec.json.encode(payload), headers={"Content-Type": "application/json"}
        )
    except httpx2.HTTPError as error:
        return f"cannot reach {url}: {error}"
    finally:
        if client is None:
            http.close()
    if response.status_code >= 300:
        return f"{url} answered {response.status_code}"
    return None
