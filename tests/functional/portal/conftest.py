"""Fixtures of the portal functional tests: a database per test on SQLite (and PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `tests.support` when pytest is not run from the root
    sys.path.insert(0, str(ROOT))

from portal_sync_api.api.main import create_app  # noqa: E402
from tests.support.portal_fixtures import (  # noqa: E402, F401
    _postgres_session_db,
    _sqlite_template,
    engine,
    portal_db,
    postgres_db,
    sqlite_db,
)


@pytest.fixture
def app_client(portal_db: str) -> Iterator[TestClient]:  # noqa: F811
    """An in-process client of the portal app on the test's database."""
    with TestClient(create_app(portal_db)) as client:
        yield client
        client.app.state.engine.dispose()  # type: ignore[attr-defined]
