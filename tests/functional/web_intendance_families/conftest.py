"""Fixture of the intendance's families, cards and journal pages: the portal app in
process (TestClient) on a database per test (SQLite, and PostgreSQL when set), schools
1849 and 1850 seeded, and a browser-like client per person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from cantine_harness.portal import seed_school
from portal_sync_api.api.main import create_app
from tests.support.family_pages import Family


@pytest.fixture
def pages(portal_db: str, engine: Engine) -> Iterator[Family]:
    """Schools 1849 (with a station) and 1850; people log in when a test first uses
    them (``pages.intendance`` is school 1849's, ``pages.other_intendance`` 1850's)."""
    school = seed_school(portal_db, code="1849")
    other = seed_school(portal_db, code="1850", tokens=False)
    app = create_app(portal_db)
    seeded = Family(school, other, engine, app)
    try:
        yield seeded
    finally:
        for client in seeded.clients:
            client.close()
        app.state.engine.dispose()
