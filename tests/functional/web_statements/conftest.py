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
from sqlalchemy import select

from cantine_harness.portal import (
    meal,
    portal_database,
    postgres_server_url,
    running_portal,
    seed_school,
    void,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.passwords import create_login
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.models import Child, LedgerEntry, Reservation
from tests.support.statement_files import (
    INTENDANCE_1849,
    INTENDANCE_1850,
    NEIGHBOUR,
    PARENT,
    PASSWORD,
    StatementsPortal,
)

#: Family F18491's entries before this month: (kind, cents, reference, instant).
PAST_ENTRIES = (
    ("credit", 2000, "CHQ-0042", "2026-09-15T08:00:00+00:00"),
    # 00:30 on 1 October in Paris: October's, not September's.
    ("adjustment", -150, "AJUST-2026-10", "2026-09-30T22:30:00+00:00"),
    ("booking_debit", -415, "booking:b-kept", "2026-10-12T07:00:00+00:00"),
    ("booking_debit", -415, "booking:b-gone", "2026-10-10T07:00:00+00:00"),
    ("booking_refund", 415, "refund:b-gone", "2026-10-13T07:00:00+00:00"),
)


def _seed(database_url: str) -> str:
    """Seed the database; returns the token of school 1849's station ``ligne-1``."""
    school = seed_school(database_url, code="1849")
    seed_school(database_url, code="1850", tokens=False)
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            for email, role, place in (
                (PARENT, "parent", "F18491"),
                (NEIGHBOUR, "parent", "F18492"),
                (INTENDANCE_1849, "intendance", "1849"),
                (INTENDANCE_1850, "intendance", "1850"),
            ):
                create_login(
                    session,
                    email=email,
                    password=PASSWORD,
                    role=role,
                    family_id=place if role == "parent" else None,
                    school_code=place if role == "intendance" else "1849",
                )
            family = family_by_ref(session, ref="F18491", school_code="1849")
            herve = session.execute(
                select(Child).where(Child.ref == school.children[0])
            ).scalar_one()
            session.add(
                Reservation(
                    child_id=herve.id,
                    day=date(2026, 10, 15),
                    service="dejeuner",
                    prepaid=True,
                    booking_ref="b-kept",
                    debit_cents=415,
                )
            )
            for kind, cents, reference, at in PAST_ENTRIES:
                session.add(
                    LedgerEntry(
                        family_id=family.id,
                        kind=kind,
                        amount_cents=cents,
                        reference=reference,
                        at=at,
                    )
                )
    finally:
        engine.dispose()
    return school.station_token


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def statements_portal(request: pytest.FixtureRequest) -> Iterator[StatementsPortal]:
    """The running portal with its data, on SQLite and (when ``PORTAL_TEST_POSTGRES_URL``
    is set) on PostgreSQL; meals are pushed by its station API."""
    postgres = request.param == "postgres"
    if postgres and postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with portal_database(postgres=postgres) as database_url:
        station_token = _seed(database_url)
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
