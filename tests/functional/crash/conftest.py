"""The crash tests' database parameter: SQLite always, PostgreSQL when
``PORTAL_TEST_POSTGRES_URL`` is set (a throwaway database per run)."""

from __future__ import annotations

import pytest

from cantine_harness.portal import postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_database(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres`` (skipped without ``PORTAL_TEST_POSTGRES_URL``)."""
    if request.param == "postgres" and postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    return str(request.param)
