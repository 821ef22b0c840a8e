"""Fixture of the statement tests: a real ``portal-sync-api serve`` on loopback (one per
database kind: SQLite, and PostgreSQL when set) with schools 1849 and 1850 seeded, ledger
entries of family F18491 in September and October 2026 (a cheque, an adjustment written at
00:30 on 1 October Paris time, a prepaid booking still booked and one cancelled), meals a
station pushed this month (one voided), and logins for two parents and the two schools'
intendances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from cantine_harness.portal import (
    meal,
    portal_database,
    postgres_server_url,
    running_portal,
    void,
)
from tests.support.statement_files import (
    StatementsPortal,
)
from tests.support.statements_portal import seed_statement_ledger


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def statements_portal(request: pytest.FixtureRequest) -> Iterator[StatementsPortal]:
    """The running portal with its data, on SQLite and (when ``PORTAL_TEST_POSTGRES_URL``
    is set) on PostgreSQL; meals are pushed by its station API."""
    postgres = request.param == "postgres"
    if postgres and postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with portal_database(postgres=postgres) as database_url:
        station_token = seed_statement_ledger(database_url)
        with running_portal(database_url, migrate_first=False) as process:
            portal = StatementsPortal(process.url, database_url)
            items = [
                meal("m-oct-20", "C1849-42", day=date(2026, 10, 20)),
                meal("m-nov-02", "C1849-42", day=date(2026, 11, 2)),
                void("v-nov-02", "m-nov-02", day=date(2026, 11, 2)),
                meal("m-tom", "C1849-44", day=date(2026, 11, 2), charged_cents=250),
            ]
            answer = requests.post(
                f"{process.url}/v1/sync/meals",
                json={"meals": items},
                headers={"Authorization": f"Bearer {station_token}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert {r["status"] for r in answer.json()["results"]} == {"applied"}, answer.text
            try:
                yield portal
            finally:
                portal.close()
