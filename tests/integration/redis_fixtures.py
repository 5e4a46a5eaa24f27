"""Redis for the pacing tests: the server on 127.0.0.1:6379 (never skipped), one key prefix per
test so that concurrent runs and tests share it without colliding, and its keys removed after."""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

REDIS_URL = os.environ.get("OPENBID_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis(url: str = REDIS_URL) -> None:
    """Fail the test, saying how to fix it, when Redis does not answer."""
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis is required at {url} (set OPENBID_TEST_REDIS_URL to use another server; CI "
            f"starts one): {error}",
            pytrace=False,
        )


def drop_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix``."""
    with redis.Redis.from_url(url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test Redis; its keys are gone afterwards."""
    require_redis()
    prefix = f"openbid-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    drop_prefix(REDIS_URL, prefix)
