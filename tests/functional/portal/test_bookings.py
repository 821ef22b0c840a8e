"""Booking and cancelling through the API: the school's calendar and cutoffs, idempotent
retries, prepaid bookings debited and refunded once, the intendance after the cutoff."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cantine_harness.portal import SeededSchool, meal, seed_school
from portal_sync_api.core.calendar import SchoolCalendar
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.schools import set_school
from portal_sync_api.models import AuditEntry

PARIS = ZoneInfo("Europe/Paris")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _school_day(after_days: int) -> date:
    """A school day (not Wednesday or the weekend, not a public holiday) from the given
    number of days from today on."""
    calendar = SchoolCalendar()
    day = datetime.now(PARIS).date() + timedelta(days=after_days)
    while not calendar.is_school_day(day):
        day += timedelta(days=1)
    return day


def _settings(portal_db: str, **settings: Any) -> None:
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            set_school(session, code="1849", settings=settings)
    finally:
        engine.dispose()


@pytest.fixture
def seeded(portal_db: str) -> SeededSchool:
    return seed_school(portal_db)


def _path(child: str, day: date) -> str:
    return f"/v1/children/{child}/reservations/{day.isoformat()}/dejeuner"


def _week(client: TestClient, token: str, child: str, day: date) -> dict[str, Any]:
    answer = client.get(
        f"/v1/children/{child}/reservations?from={day}&to={day}", headers=_auth(token)
    )
    assert answer.status_code == 200, answer.text
    [slot] = answer.json()["reservations"]
    return dict(slot)


def _balance(client: TestClient, school: SeededSchool) -> int:
    answer = client.get(
        f"/v1/families/{school.families[0]}/balance", headers=_auth(school.parent_token)
    )
    return int(answer.json()["balance_cents"])


def test_book_is_idempotent_shown_in_the_week_and_reaches_the_feed_then_cancel(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    child, day = seeded.children[0], _school_day(10)
    assert _week(app_client, seeded.parent_token, child, day) | {"cutoff_at": None} == {
        "date": day.isoformat(),
        "service": "dejeuner",
        "reserved": False,
        "prepaid": False,
        "bookable": True,
        "cutoff_at": None,
        "reason": None,
        "price_cents": 415,
    }
    first = app_client.put(_path(child, day), headers=_auth(seeded.parent_token))
    again = app_client.put(_path(child, day), headers=_auth(seeded.parent_token))
    assert (first.status_code, first.json()["changed"]) == (200, True)
    assert (again.status_code, again.json()["changed"]) == (200, False)
    assert _week(app_client, seeded.parent_token, child, day)["reserved"] is True
    key = f"{child}/{day.isoformat()}/dejeuner"
    feed = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(seeded.station_token))
    rows = {(c["kind"], c["key"]): c["data"] for c in feed.json()["changes"]}
    assert rows[("reservation", key)] == {
        "child_id": child,
        "date": day.isoformat(),
        "service": "dejeuner",
        "prepaid": False,
    }
    cancelled = app_client.delete(_path(child, day), headers=_auth(seeded.parent_token))
    assert (cancelled.status_code, cancelled.json()["reserved"]) == (200, False)
    feed = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(seeded.station_token))
    rows = {(c["kind"], c["key"]): c["data"] for c in feed.json()["changes"]}
    assert rows[("reservation", key)] is None
    assert (
        app_client.delete(_path(child, day), headers=_auth(seeded.parent_token)).json()["changed"]
        is False
    )


def test_after_the_cutoff_a_parent_gets_409_with_the_cutoff_and_the_intendance_may_book(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    _settings(portal_db, booking_cutoff="weekday_before=2@09:30")
    child = seeded.children[0]
    day = _school_day(1)  # this week or next: its Tuesday of the week before has passed
    refused = app_client.put(_path(child, day), headers=_auth(seeded.parent_token))
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "cutoff_passed"
    cutoff = datetime.fromisoformat(body["cutoff_at"])
    assert cutoff.weekday() == 1 and (cutoff.hour, cutoff.minute) == (9, 30)
    assert "Date limite dépassée" in body["detail"]
    assert "date limite dépassée" in _week(app_client, seeded.parent_token, child, day)["reason"]
    booked = app_client.put(_path(child, day), headers=_auth(seeded.intendance_token))
    assert booked.status_code == 200 and booked.json()["changed"] is True
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            [entry] = session.execute(select(AuditEntry)).scalars().all()
            assert (entry.action, entry.subject) == ("booking_after_cutoff", f"child {child}")
    finally:
        engine.dispose()


def test_a_closed_day_is_not_bookable_and_says_why(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    child = seeded.children[0]
    wednesday = _school_day(10)
    wednesday += timedelta(days=(2 - wednesday.weekday()) % 7)
    assert _week(app_client, seeded.parent_token, child, wednesday)["reason"] == "fermé"
    refused = app_client.put(_path(child, wednesday), headers=_auth(seeded.parent_token))
    assert refused.status_code == 409 and refused.json()["error"] == "not_bookable"


def test_prepaid_booking_debits_once_refunds_on_cancel_and_refuses_a_short_wallet(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    _settings(portal_db, booking_mode="prepaid")
    child, day = seeded.children[0], _school_day(10)
    before = _balance(app_client, seeded)
    for _ in range(3):  # a double click and a retry
        answer = app_client.put(_path(child, day), headers=_auth(seeded.parent_token))
        assert answer.status_code == 200 and answer.json()["prepaid"] is True
    assert _balance(app_client, seeded) == before - 415
    assert (
        app_client.delete(_path(child, day), headers=_auth(seeded.parent_token)).status_code == 200
    )
    assert _balance(app_client, seeded) == before
    entries = app_client.get(
        f"/v1/families/{seeded.families[0]}/balance", headers=_auth(seeded.parent_token)
    ).json()["entries"]
    assert [(e["kind"], e["amount_cents"]) for e in entries[:2]] == [
        ("booking_refund", 415),
        ("booking_debit", -415),
    ]
    # Family 3 has no credit: BERNARD Noah's prepaid booking is refused, nothing written.
    from cantine_harness.portal import create_user_token

    neighbour = create_user_token(portal_db, role="parent", family=seeded.families[2])
    short = app_client.put(_path(seeded.children[4], day), headers=_auth(neighbour))
    assert short.status_code == 409 and short.json()["error"] == "insufficient_balance"
    assert _week(app_client, neighbour, seeded.children[4], day)["reserved"] is False


def test_another_familys_child_is_404_and_a_booked_meal_is_served_reserved(
    app_client: TestClient, seeded: SeededSchool
) -> None:
    other = seeded.children[2]  # family 2
    assert (
        app_client.put(
            _path(other, _school_day(10)), headers=_auth(seeded.parent_token)
        ).status_code
        == 404
    )
    day = _school_day(10)
    app_client.put(_path(seeded.children[0], day), headers=_auth(seeded.parent_token))
    forecast = app_client.get(
        f"/v1/schools/1849/forecast?from={day}&to={day}", headers=_auth(seeded.intendance_token)
    )
    assert forecast.status_code == 200
    [today] = forecast.json()["days"]
    assert (today["booked"], today["classes"]["6B"]["booked"]) == (1, 1)
    assert (
        app_client.get(
            f"/v1/schools/1849/forecast?from={day}&to={day}", headers=_auth(seeded.parent_token)
        ).status_code
        == 404
    )


def test_forecast_applies_the_childs_own_no_show_rate_and_shows_what_was_served(
    app_client: TestClient, portal_db: str
) -> None:
    from portal_sync_api.crud.refs import children_by_ref
    from portal_sync_api.crud.roster import ReservationRow, import_reservations
    from portal_sync_api.crud.schools import require_school

    today = datetime.now(PARIS).date()
    past = [
        d
        for d in (today - timedelta(days=n) for n in range(1, 28))
        if SchoolCalendar().is_school_day(d)
    ][:4]
    seeded = seed_school(portal_db, day=past[0])
    herve = seeded.children[0]
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            school = require_school(session, code="1849")
            import_reservations(
                session,
                school=school,
                rows=[ReservationRow(herve, d, "dejeuner", False) for d in past],
            )
            assert children_by_ref(session, school_id=school.id, refs=[herve])
    finally:
        engine.dispose()
    # Hervé ate two of his four booked lunches: a no-show rate of one half.
    items = [
        meal(f"m{n}", herve, day=d, served_at=f"{d.isoformat()}T12:04:00+01:00")
        for n, d in enumerate(past[:2])
    ]
    assert {
        r["status"]
        for r in app_client.post(
            "/v1/sync/meals", json={"meals": items}, headers=_auth(seeded.station_token)
        ).json()["results"]
    } == {"applied"}
    day = _school_day(10)
    app_client.put(_path(herve, day), headers=_auth(seeded.parent_token))
    answer = app_client.get(
        f"/v1/schools/1849/forecast?from={past[-1]}&to={day}",
        headers=_auth(seeded.intendance_token),
    ).json()
    ahead = next(d for d in answer["days"] if d["date"] == day.isoformat())
    assert (ahead["booked"], ahead["classes"]["6B"]["expected"]) == (1, 0.5)
    assert ahead["served"] is None
    eaten = next(d for d in answer["days"] if d["date"] == past[0].isoformat())
    assert eaten["served"] >= 1


def test_usual_days_prepaid_books_while_the_wallet_lasts_then_refuses_each_day(
    seeded: SeededSchool, portal_db: str
) -> None:
    from portal_sync_api.crud.accounts import Principal
    from portal_sync_api.crud.bookings import book_usual_days
    from portal_sync_api.crud.ledger import balances
    from portal_sync_api.crud.refs import family_by_ref

    _settings(portal_db, booking_mode="prepaid")
    start = _school_day(10)
    end = start + timedelta(days=20)
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            family = family_by_ref(session, ref=seeded.families[1], school_code="1849").id
            parent = Principal(kind="parent", school_id=None, family_id=family)
            summary = book_usual_days(
                session,
                parent,
                child_id=seeded.children[2],  # Tom, T2 = 2,50 €, family 2 holds 5,00 €
                weekdays={1, 2, 4, 5},
                start=start,
                end=end,
                service="dejeuner",
                actor="parent@example.fr",
            )
            balance = balances(session, family_ids=[family])[family]
    finally:
        engine.dispose()
    days = SchoolCalendar().school_days(start, end)
    assert summary.booked == tuple(days[:2])
    assert [day for day, _ in summary.refused] == days[2:]
    assert balance == 0


def test_a_closure_day_cancels_and_refunds_its_bookings_and_cannot_be_booked(
    app_client: TestClient, seeded: SeededSchool, portal_db: str
) -> None:
    from portal_sync_api.cli import main as cli

    _settings(portal_db, booking_mode="prepaid")
    child, day = seeded.children[0], _school_day(10)
    before = _balance(app_client, seeded)
    assert app_client.put(_path(child, day), headers=_auth(seeded.parent_token)).status_code == 200
    assert _balance(app_client, seeded) == before - 415
    closed = cli(
        ["--db", portal_db, "school", "close", "1849", "--day", str(day), "--reason", "grève"]
    )
    assert closed == 0
    assert _balance(app_client, seeded) == before
    slot = _week(app_client, seeded.parent_token, child, day)
    assert (slot["reserved"], slot["reason"]) == (False, "fermé : grève")
    refused = app_client.put(_path(child, day), headers=_auth(seeded.parent_token))
    assert refused.status_code == 409 and refused.json()["error"] == "not_bookable"
    feed = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(seeded.station_token))
    rows = {(c["kind"], c["key"]): c["data"] for c in feed.json()["changes"]}
    assert rows[("reservation", f"{child}/{day.isoformat()}/dejeuner")] is None


def test_two_parents_booking_at_the_same_instant_make_one_booking_and_one_debit(
    seeded: SeededSchool, portal_db: str
) -> None:
    import threading

    from portal_sync_api.crud.accounts import Principal
    from portal_sync_api.crud.bookings import book
    from portal_sync_api.crud.ledger import balances
    from portal_sync_api.crud.refs import family_by_ref
    from portal_sync_api.models import Reservation

    _settings(portal_db, booking_mode="prepaid")
    day = _school_day(10)
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            family = family_by_ref(session, ref=seeded.families[0], school_code="1849").id
            before = balances(session, family_ids=[family])[family]
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def parent() -> None:
            own = make_engine(portal_db)
            try:
                start.wait()
                with session_scope(own) as session:
                    who = Principal(kind="parent", school_id=None, family_id=family)
                    book(
                        session,
                        who,
                        child_id=seeded.children[0],
                        day=day,
                        service="dejeuner",
                        actor="parent",
                    )
            except BaseException as exc:
                errors.append(exc)
            finally:
                own.dispose()

        threads = [threading.Thread(target=parent) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with session_scope(engine) as session:
            rows = (
                session.execute(select(Reservation).where(Reservation.day == day)).scalars().all()
            )
            assert len(rows) == 1 and rows[0].debit_cents == 415
            assert balances(session, family_ids=[family])[family] == before - 415
    finally:
        engine.dispose()
