"""Fixtures of the stations page tests: school 1849 seeded into the session's real portal
process (stations sync with it over loopback), and the same portal's pages in process on
that database, behind a clock the test sets, with the intendance logged in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cantine_harness.portal import PortalProcess, SeededSchool
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import create_login
from tests.support.stations_page import INTENDANCE, PASSWORD, Clock, StationsPage


@pytest.fixture
def page(portal: PortalProcess, school: SeededSchool, tmp_path: Path) -> Iterator[StationsPage]:
    """The stations page of school 1849 as its intendance sees it, and its stations."""
    app = create_app(portal.database_url)
    clock = Clock()
    app.state.clock = clock
    with session_scope(app.state.engine) as session:
        create_login(
            session, email=INTENDANCE, password=PASSWORD, role="intendance", school_code="1849"
        )
    client = TestClient(app, base_url="http://127.0.0.1")
    seeded = StationsPage(client, clock, portal, school, app.state.engine, tmp_path)
    seeded.log_in()
    try:
        yield seeded
    finally:
        seeded.close()
        client.close()
        app.state.engine.dispose()
