"""Fixtures of the day page tests: a real ``portal-sync-api serve`` on loopback (the
session's SQLite portal, and one on PostgreSQL when ``PORTAL_TEST_POSTGRES_URL`` is set),
school 1849 seeded, an intendance logged in through ``/connexion`` and stations pushing
meals through ``POST /v1/sync/meals``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cantine_harness.portal import (
    PortalProcess,
    clear_database,
    create_station_token,
    portal_database,
    postgres_server_url,
    running_portal,
    seed_school,
)
from tests.support.day_portal import PASSWORD, DayPortal, intendance_login, log_in


@pytest.fixture(scope="module")
def postgres_portal() -> Iterator[PortalProcess]:
    """A portal process on a throwaway PostgreSQL database, for the module."""
    if postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with portal_database(postgres=True) as url, running_portal(url, migrate_first=False) as p:
        yield p


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def day(request: pytest.FixtureRequest) -> Iterator[DayPortal]:
    """School 1849 seeded in an emptied portal (SQLite, then PostgreSQL when set), a
    second station ``ligne-2`` and the intendance logged in."""
    portal: PortalProcess = request.getfixturevalue(
        "portal" if request.param == "sqlite" else "postgres_portal"
    )
    clear_database(portal.database_url)
    school = seed_school(portal.database_url)
    second = create_station_token(portal.database_url, school="1849", name="ligne-2")
    client = log_in(portal, intendance_login(portal.database_url), PASSWORD)
    try:
        yield DayPortal(portal, school, second, client)
    finally:
        client.close()
