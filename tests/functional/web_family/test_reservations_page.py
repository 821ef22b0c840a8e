"""« Réserver »: a week per child, « Je réserve » / « Annuler », the cutoff in words and
on refused days, usual days over a period, another family's child is 404."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal_sync_api.core.calendar import SchoolCalendar, iso_week
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.schools import set_school
from portal_sync_api.models import Child, Reservation
from tests.support.family_pages import Family

PARIS = ZoneInfo("Europe/Paris")


def _school_day(after_days: int) -> date:
    calendar = SchoolCalendar()
    day = datetime.now(PARIS).date() + timedelta(days=after_days)
    while not calendar.is_school_day(day):
        day += timedelta(days=1)
    return day


def _page(family: Family, child: str, day: date) -> str:
    answer = family.parent.client.get(
        f"/famille/reservations?enfant={child}&semaine={iso_week(day)}"
    )
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def _booked(family: Family, child: str) -> set[date]:
    with session_scope(family.engine) as session:
        rows = session.execute(
            select(Reservation.day)
            .join(Child, Child.id == Reservation.child_id)
            .where(Child.ref == child, Reservation.day >= datetime.now(PARIS).date())
        ).scalars()
        return set(rows)


def _flash(answer: object) -> str:
    cookie = answer.headers.get("set-cookie", "")
    return unquote(cookie)


def test_book_then_cancel_a_day_of_the_week(family: Family) -> None:
    day = _school_day(10)
    page = _page(family, family.herve, day)
    assert "Réservation possible jusqu'à 48 h avant le début du service" in page
    assert "Je réserve" in page and "Semaine suivante" in page
    form = {"enfant": family.herve, "jour": day.isoformat(), "service": "dejeuner", "semaine": ""}
    path = f"/famille/reservations?enfant={family.herve}&semaine={iso_week(day)}"
    answer = family.parent.post("/famille/reservations/reserver", form, page=path)
    assert answer.status_code == 303
    assert "réservé" in _flash(answer)
    again = family.parent.post("/famille/reservations/reserver", form, page=path)
    assert "déjà réservé" in _flash(again)
    assert _booked(family, family.herve) == {day}
    page = _page(family, family.herve, day)
    assert "Réservé" in page and "Annuler" in page
    answer = family.parent.post("/famille/reservations/annuler", form, page=path)
    assert answer.status_code == 303 and "annulé" in _flash(answer)
    assert _booked(family, family.herve) == set()


def test_a_day_past_the_cutoff_says_why_and_cannot_be_booked(family: Family) -> None:
    # A cutoff of 400 h (16 days): every school day of the coming week is past it.
    with session_scope(family.engine) as session:
        set_school(session, code="1849", settings={"booking_cutoff": "hours_before=400"})
    day = _school_day(1)
    page = _page(family, family.herve, day)
    assert "Non réservable : date limite dépassée (" in page
    form = {"enfant": family.herve, "jour": day.isoformat(), "service": "dejeuner", "semaine": ""}
    path = f"/famille/reservations?enfant={family.herve}&semaine={iso_week(day)}"
    answer = family.parent.post("/famille/reservations/reserver", form, page=path)
    assert "Date limite dépassée" in _flash(answer)
    assert _booked(family, family.herve) == set()


def test_usual_days_over_a_month_book_every_school_day_of_those_weekdays(family: Family) -> None:
    start = _school_day(7)
    end = start + timedelta(days=30)
    path = f"/famille/reservations?enfant={family.herve}"
    form = {
        "enfant": family.herve,
        "semaine": iso_week(start),
        "du": start.isoformat(),
        "au": end.isoformat(),
    }
    body = {**form, "jour": ["1", "2", "4", "5"]}
    token = family.parent.token(path)
    answer = family.parent.client.post(
        "/famille/reservations/jours-habituels",
        data={**body, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    expected = set(SchoolCalendar().school_days(start, end))
    assert _booked(family, family.herve) == expected
    assert f"{len(expected)} repas réservés" in _flash(answer)
    with session_scope(family.engine) as session:
        count = session.execute(select(func.count()).select_from(Reservation)).scalar_one()
    # Doing it again books nothing twice.
    family.parent.client.post(
        "/famille/reservations/jours-habituels",
        data={**body, "csrf_token": family.parent.token(path)},
        follow_redirects=False,
    )
    with session_scope(family.engine) as session:
        assert session.execute(select(func.count()).select_from(Reservation)).scalar_one() == count


def test_another_familys_child_is_not_found(family: Family) -> None:
    answer = family.parent.client.get(f"/famille/reservations?enfant={family.tom}")
    assert answer.status_code == 404
    day = _school_day(10)
    form = {"enfant": family.tom, "jour": day.isoformat(), "service": "dejeuner", "semaine": ""}
    refused = family.parent.post(
        "/famille/reservations/reserver", form, page="/famille/reservations"
    )
    assert refused.status_code == 404
    assert _booked(family, family.tom) == set()


def test_the_intendance_home_shows_the_kitchens_forecast_with_the_booking(
    family: Family,
) -> None:
    day = _school_day(7)
    form = {"enfant": family.herve, "jour": day.isoformat(), "service": "dejeuner", "semaine": ""}
    path = f"/famille/reservations?enfant={family.herve}&semaine={iso_week(day)}"
    assert family.parent.post("/famille/reservations/reserver", form, page=path).status_code == 303
    page = html.unescape(family.intendance.client.get("/intendance").text)
    assert "Prévision des repas" in page
    row = page.split(day.strftime("%d/%m/%Y"), 1)[1].split("</tr>", 1)[0]
    # Hervé is booked (6B); the seeded day's other bookings are in the past.
    assert 'data-label="Réservés">1</td>' in row and "6B : 1 / 1" in row
