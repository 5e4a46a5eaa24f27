"""schemathesis against the admin API's own OpenAPI document: no 5xx, no schema violation."""

from typing import Any

import schemathesis
from admin_fixtures import AUTH, TOKEN, demo_context
from hypothesis import HealthCheck, settings

from openbid.admin.app import create_admin_app
from openbid.telemetry.logging import current_level, set_level

APP = create_admin_app(demo_context(recorded=40), TOKEN)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
LEVEL = current_level()


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_admin_api_conforms(case: schemathesis.Case[Any]) -> None:
    try:
        case.call_and_validate(headers=AUTH)
    finally:
        set_level(LEVEL)
