"""A booking or a cancellation made on the portal reaches the school's station with the
next sync: booked → the scan is served ``reserved`` (``prepaid`` and charged nothing when
the school books prepaid); cancelled → the scan is refused ``no_reservation``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from cantine_harness.portal import PortalProcess, SeededSchool
from portal_sync_api.core.calendar import SchoolCalendar
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.schools import set_school
from station.sync.runner import sync_once
from tests.support.station import PARIS
from tests.support.sync import Station


def _school_day(after_days: int) -> date:
    calendar = SchoolCalendar()
    day = datetime.now(PARIS).date() + timedelta(days=after_days)
    while not calendar.is_school_day(day):
        day += timedelta(days=1)
    return day


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS)


def _booking(portal: PortalProcess, token: str, method: str, child: str, day: date) -> None:
    answer = httpx.request(
        method,
        f"{portal.url}/v1/children/{child}/reservations/{day.isoformat()}/dejeuner",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def test_a_booking_is_served_reserved_and_a_cancellation_refused_after_one_sync(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    day = _school_day(10)
    herve, tom = school.children[0], school.children[2]
    _booking(portal, school.parent_token, "PUT", herve, day)
    _booking(portal, school.intendance_token, "PUT", tom, day)
    assert sync_once(station.config).ok
    served = station.line.scan(school.cards[herve], at=_noon(day))
    assert (served.status.value, served.reason.value, served.charged_cents) == (
        "served",
        "reserved",
        415,
    )
    _booking(portal, school.intendance_token, "DELETE", tom, day)
    assert sync_once(station.config).ok
    refused = station.line.scan(school.cards[tom], at=_noon(day) + timedelta(minutes=1))
    assert (refused.status.value, refused.reason.value) == ("refused", "no_reservation")


def test_a_prepaid_booking_is_served_prepaid_and_charged_nothing_at_the_line(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            set_school(session, code="1849", settings={"booking_mode": "prepaid"})
        herve, day = school.children[0], _school_day(11)
        _booking(portal, school.parent_token, "PUT", herve, day)
    finally:
        with session_scope(engine) as session:
            set_school(session, code="1849", settings={"booking_mode": "pay_at_line"})
        engine.dispose()
    assert sync_once(station.config).ok
    family = school.families[0]
    assert station.balance(family) == 5000 - 415  # debited at booking, seen at the line
    served = station.line.scan(school.cards[herve], at=_noon(day))
    assert (served.status.value, served.reason.value, served.charged_cents) == (
        "served",
        "prepaid",
        0,
    )
    assert station.balance(family) == 5000 - 415
