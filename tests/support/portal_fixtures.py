"""pytest fixtures for portal tests, imported by the portal test folders' conftest.py.

``portal_db`` runs each test on SQLite and, when ``PORTAL_TEST_POSTGRES_URL`` is set, on
PostgreSQL: one throwaway database per session (created, migrated, dropped), emptied before
each test; SQLite gets a copy of a migrated template file per test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cantine_harness.portal import (
    clear_database,
    migrate,
    postgres_server_url,
    postgres_throwaway,
)
from portal_sync_api.core.db import make_engine


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("portal-template") / "portal.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_session_db() -> Iterator[str]:
    server = postgres_server_url()
    if server is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with postgres_throwaway(server) as url:
        migrate(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal_db(request: pytest.FixtureRequest) -> str:
    """URL of an empty, migrated portal database (SQLite, then PostgreSQL when set)."""
    url: str = request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "postgres_db")
    return url


@pytest.fixture
def sqlite_db(_sqlite_template: Path, tmp_path: Path) -> str:
    """URL of an empty, migrated SQLite portal database (for SQLite-only tests)."""
    target = tmp_path / "portal.db"
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def postgres_db(_postgres_session_db: str) -> str:
    """URL of the session's PostgreSQL database, emptied (skips without the env var)."""
    clear_database(_postgres_session_db)
    return _postgres_session_db


@pytest.fixture
def engine(portal_db: str) -> Iterator[Engine]:
    """An engine on the test's database, disposed afterwards."""
    engine = make_engine(portal_db)
    yield engine
    engine.dispose()
