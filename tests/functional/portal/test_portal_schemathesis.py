"""The API against its own OpenAPI document (schemathesis 4): no 5xx, schema-true answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from cantine_harness.portal import SeededSchool
from portal_sync_api.api.main import create_app


@pytest.fixture
def api_schema(portal_db: str, school: SeededSchool) -> Iterator[object]:
    app = create_app(portal_db)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.engine.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


def _token_for(path: str, seeded: SeededSchool) -> str:
    if path.startswith("/v1/sync"):
        return seeded.station_token
    if path.startswith("/v1/schools"):
        return seeded.intendance_token
    return seeded.parent_token


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_never_answers_5xx_and_matches_its_openapi_document(
    case: schemathesis.Case, school: SeededSchool
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {_token_for(case.path, school)}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
