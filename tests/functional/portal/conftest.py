"""Fixtures of the portal functional tests: the portal app in process on the test's
database (``portal_db``: SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from portal_sync_api.api.main import create_app


@pytest.fixture
def app_client(portal_db: str) -> Iterator[TestClient]:
    """An in-process client of the portal app on the test's database."""
    with TestClient(create_app(portal_db)) as client:
        yield client
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def school_database(portal_db: str) -> str:
    """``school`` seeds the test's own database, which the app in process serves."""
    return portal_db
