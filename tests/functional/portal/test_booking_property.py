"""Any interleaving of book, cancel, retry and the school's file on one child-day, by two
parents of the family and the intendance, in prepaid mode: at most one live booking, and
the family's balance is the ledger's sum and its credit minus what the live booking took."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cantine_harness.portal import seed_school
from portal_sync_api.core.calendar import SchoolCalendar
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.bookings import BookingRefused, book, cancel
from portal_sync_api.crud.ledger import balances, running_balances
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.roster import ReservationRow, import_reservations
from portal_sync_api.crud.schools import require_school, set_school
from portal_sync_api.migrate import upgrade
from portal_sync_api.models import Child, Reservation

PARIS = ZoneInfo("Europe/Paris")
ACTORS = ("maman", "papa", "intendance")
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(("book", "cancel", "file_book", "file_cancel")), st.sampled_from(ACTORS)
    ),
    min_size=1,
    max_size=12,
)


def _day() -> date:
    calendar = SchoolCalendar()
    day = datetime.now(PARIS).date() + timedelta(days=10)
    while not calendar.is_school_day(day):
        day += timedelta(days=1)
    return day


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_interleavings_keep_one_booking_and_an_exact_ledger(
    operations: list[tuple[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.db'}"
        upgrade(url)
        seeded = seed_school(url, tokens=False)
        child, day = seeded.children[0], _day()
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                set_school(session, code="1849", settings={"booking_mode": "prepaid"})
                school = require_school(session, code="1849")
                family = family_by_ref(session, ref=seeded.families[0], school_code="1849").id
                credit = balances(session, family_ids=[family])[family]
            people = {
                "maman": Principal(kind="parent", school_id=None, family_id=family),
                "papa": Principal(kind="parent", school_id=None, family_id=family),
                "intendance": Principal(kind="intendance", school_id=school.id, family_id=None),
            }
            for operation, actor in operations:
                with session_scope(engine) as session:
                    _apply(session, operation, people[actor], child, day)
                with session_scope(engine) as session:
                    live = (
                        session.execute(
                            select(Reservation)
                            .join(Child, Child.id == Reservation.child_id)
                            .where(Child.ref == child, Reservation.day == day)
                        )
                        .scalars()
                        .all()
                    )
                    assert len(live) <= 1
                    summed = balances(session, family_ids=[family])[family]
                    assert running_balances(session, family_ids=[family])[family] == summed
                    assert summed == credit - sum(r.debit_cents for r in live)
                    # A booking paid at booking stays prepaid: never charged again at the line.
                    assert all(r.prepaid for r in live if r.debit_cents)
                    refs = session.execute(
                        select(func.count(Reservation.booking_ref.distinct()))
                    ).scalar_one()
                    assert refs <= 1
        finally:
            engine.dispose()


def _apply(session: object, operation: str, who: Principal, child: str, day: date) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    if operation in ("book", "cancel"):
        action = book if operation == "book" else cancel
        with contextlib.suppress(BookingRefused):  # a refusal changes nothing: checked after
            action(session, who, child_id=child, day=day, service="dejeuner", actor=who.kind)
        return
    school = require_school(session, code="1849")
    row = ReservationRow(
        child, day, "dejeuner", prepaid=False, cancelled=operation == "file_cancel"
    )
    import_reservations(session, school=school, rows=[row])
