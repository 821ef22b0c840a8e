"""Data of the statement tests, seeded in a real ``portal-sync-api serve`` on loopback (one per
database kind: SQLite, and PostgreSQL when set) with schools 1849 and 1850 seeded, ledger
entries of family F18491 in September and October 2026 (a cheque, an adjustment written at
00:30 on 1 October Paris time, a prepaid booking still booked and one cancelled), meals a
station pushed this month (one voided), and logins for two parents and the two schools'
intendances."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cantine_harness.portal import (
    seed_school,
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
)

PAST_ENTRIES = (
    ("credit", 2000, "CHQ-0042", "2026-09-15T08:00:00+00:00"),
    # 00:30 on 1 October in Paris: October's, not September's.
    ("adjustment", -150, "AJUST-2026-10", "2026-09-30T22:30:00+00:00"),
    ("booking_debit", -415, "booking:b-kept", "2026-10-12T07:00:00+00:00"),
    ("booking_debit", -415, "booking:b-gone", "2026-10-10T07:00:00+00:00"),
    ("booking_refund", 415, "refund:b-gone", "2026-10-13T07:00:00+00:00"),
)


def seed_statement_ledger(database_url: str) -> str:
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
