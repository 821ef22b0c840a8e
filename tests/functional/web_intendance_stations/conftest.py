"""Fixtures of the stations page tests: school 1849 seeded into a real portal process on
SQLite (the session's) and, when ``PORTAL_TEST_POSTGRES_URL`` is set, on PostgreSQL;
stations sync with it over loopback, and the same portal's pages run in process on that
database, behind a clock the test sets, with the intendance logged in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cantine_harness.portal import (
    PortalProcess,
    clear_database,
    migrate,
    postgres_server_url,
    postgres_throwaway,
    running_portal,
    seed_school,
)
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import create_login
from tests.support.stations_page import INTENDANCE, PASSWORD, Clock, StationsPage


@pytest.fixture(scope="session")
def postgres_portal() -> Iterator[PortalProcess]:
    """A real portal process on a throwaway PostgreSQL database (skips without one)."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with postgres_throwaway(server) as url:
        migrate(url)
        with running_portal(url, migrate_first=False) as process:
            yield process


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stations_portal(request: pytest.FixtureRequest) -> PortalProcess:
    """The portal the stations sync with, its database emptied."""
    process: PortalProcess = request.getfixturevalue(
        "portal" if request.param == "sqlite" else "postgres_portal"
    )
    clear_database(process.database_url)
    return process


@pytest.fixture
def page(stations_portal: PortalProcess, tmp_path: Path) -> Iterator[StationsPage]:
    """The stations page of school 1849 as its intendance sees it, and its stations."""
    school = seed_school(stations_portal.database_url)
    app = create_app(stations_portal.database_url)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.engine) as session:
        create_login(
            session, email=INTENDANCE, password=PASSWORD, role="intendance", school_code="1849"
        )
    client = TestClient(app, base_url="http://127.0.0.1")
    seeded = StationsPage(client, clock, stations_portal, school, app.state.engine, tmp_path)
    seeded.log_in()
    try:
        yield seeded
    finally:
        seeded.close()
        client.close()
        app.state.engine.dispose()
