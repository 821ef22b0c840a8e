"""Fixtures of the département seeder tests: a small département (3 schools, 300 pupils)
copied from its template on the PostgreSQL server, and the portal app in process on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bench.departement_seed import Departement, departement
from cantine_harness.portal import postgres_server_url
from portal_sync_api.api.main import create_app
from tests.support.departement import SMALL


@pytest.fixture(scope="module")
def server_url() -> str:
    """The PostgreSQL server the seeder builds on (the seeder is PostgreSQL-only)."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    return server


@pytest.fixture(scope="module")
def small_departement(server_url: str) -> Iterator[Departement]:
    """A throwaway copy of the small département."""
    with departement(server_url, **SMALL) as seeded:
        yield seeded


@pytest.fixture
def app(small_departement: Departement) -> Iterator[TestClient]:
    """The portal app in process on the copy."""
    with TestClient(create_app(small_departement.url)) as client:
        yield client
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
