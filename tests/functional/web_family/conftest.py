"""Fixture of the family page tests: the portal app in process (TestClient) on a database
per test (SQLite, and PostgreSQL when set), school 1849 seeded with a station, parents of
two families and an intendance login, and a browser-like client per person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from cantine_harness.portal import seed_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import create_login
from tests.support.family_pages import INTENDANCE, PASSWORD, Family


@pytest.fixture
def family(portal_db: str, engine: Engine) -> Iterator[Family]:
    """School 1849 (and 1850) seeded; people log in when a test first uses them. The
    intendance login exists from the start (it receives the signalled changes)."""
    school = seed_school(portal_db, code="1849")
    other = seed_school(portal_db, code="1850", tokens=False)
    with session_scope(engine) as session:
        create_login(
            session, email=INTENDANCE, password=PASSWORD, role="intendance", school_code="1849"
        )
    app = create_app(portal_db)
    seeded = Family(school, other, engine, app)
    try:
        yield seeded
    finally:
        for client in seeded.clients:
            client.close()
        app.state.engine.dispose()
