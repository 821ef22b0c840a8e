"""« Réserver » in chromium, at phone and desktop width: book a week, cancel a day, usual
days over a month, a day past the cutoff refused with its reason; axe finds nothing
serious or critical. Léa (on a forfait) is booked, so no other page's balance moves."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from portal_sync_api.core.calendar import SchoolCalendar, iso_week
from portal_sync_api.crud.schools import set_school
from tests.functional.browser.pages import log_in_as
from tests.support.browser import assert_accessible, screenshot
from tests.support.web_portal import WebPortal

PARIS = ZoneInfo("Europe/Paris")


def _monday(weeks_ahead: int) -> date:
    today = datetime.now(PARIS).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


def _open_week(page: Page, web_portal: WebPortal, monday: date) -> None:
    lea = web_portal.school.children[1]
    page.goto(f"/famille/reservations?enfant={lea}&semaine={iso_week(monday)}")
    expect(page.get_by_role("heading", name="Réserver les repas de Léa")).to_be_visible()


@pytest.fixture
def parent(web_portal: WebPortal, desktop_page: Page) -> Page:
    log_in_as(
        desktop_page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille"
    )
    return desktop_page


def test_book_a_week_then_cancel_a_day(web_portal: WebPortal, parent: Page) -> None:
    monday = _monday(5)
    school_days = SchoolCalendar().school_days(monday, monday + timedelta(days=6))
    _open_week(parent, web_portal, monday)
    expect(parent.get_by_text("jusqu'à 48 h avant le début du service")).to_be_visible()
    for count in range(len(school_days)):
        parent.get_by_role("button", name="Je réserve").first.click()
        expect(parent.get_by_role("status")).to_contain_text("réservé")
        expect(parent.get_by_role("button", name="Annuler")).to_have_count(count + 1)
    expect(parent.get_by_role("button", name="Je réserve")).to_have_count(0)
    assert_accessible(parent)
    screenshot(parent, "reservations-semaine")

    parent.get_by_role("button", name="Annuler").first.click()
    expect(parent.get_by_role("status")).to_contain_text("annulé")
    expect(parent.get_by_role("button", name="Annuler")).to_have_count(len(school_days) - 1)
    expect(parent.get_by_role("button", name="Je réserve")).to_have_count(1)


def test_usual_days_over_a_month(web_portal: WebPortal, parent: Page) -> None:
    start = _monday(8)
    end = start + timedelta(days=27)
    _open_week(parent, web_portal, start)
    for day in ("Lundi", "Mardi", "Jeudi", "Vendredi"):
        parent.get_by_label(day, exact=True).check()
    parent.get_by_label("Du", exact=True).fill(start.isoformat())
    parent.get_by_label("Au", exact=True).fill(end.isoformat())
    parent.get_by_role("button", name="Réserver ces jours").click()
    expected = len(SchoolCalendar().school_days(start, end))
    expect(parent.get_by_role("status")).to_contain_text(re.compile(rf"{expected} repas réservés"))
    _open_week(parent, web_portal, start + timedelta(weeks=2))
    expect(parent.get_by_role("button", name="Annuler")).to_have_count(
        len(
            SchoolCalendar().school_days(
                start + timedelta(weeks=2), start + timedelta(weeks=2, days=6)
            )
        )
    )


def test_a_day_past_the_cutoff_shows_its_reason_at_phone_width(
    web_portal: WebPortal, phone_page: Page
) -> None:
    # A cutoff of 400 h (16 days): every day of the coming week is past it, whatever today is.
    with web_portal.db() as session:
        set_school(session, code="1849", settings={"booking_cutoff": "hours_before=400"})
    try:
        log_in_as(
            phone_page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille"
        )
        _open_week(phone_page, web_portal, _monday(1))
        expect(phone_page.get_by_text("jusqu'à 400 h avant le début du service")).to_be_visible()
        refused = phone_page.get_by_text(re.compile(r"Non réservable : date limite dépassée \("))
        expect(refused.first).to_be_visible()
        expect(phone_page.get_by_role("button", name="Je réserve")).to_have_count(0)
        assert_accessible(phone_page)
        screenshot(phone_page, "reservations-semaine")
    finally:
        with web_portal.db() as session:
            set_school(session, code="1849", settings={"booking_cutoff": "hours_before=48"})
