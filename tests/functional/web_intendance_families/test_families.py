"""« Familles » of the intendance: the search (names with accents and case ignored, card
numbers), negative balances first with the day they went negative, their CSV export, a
family's page, and the 404 a family of another school gives."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cantine_harness.portal import meal
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.family_admin import PAGE_SIZE, negative_since
from portal_sync_api.crud.roster import (
    ReservationRow,
    RosterRow,
    import_reservations,
    import_roster,
)
from portal_sync_api.crud.schools import require_school
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import Family as Family_
from portal_sync_api.models import FamilyNoticeState, LedgerEntry
from tests.support.family_pages import Family

FAMILIES = "/intendance/familles"


def _family_refs(html: str) -> list[str]:
    """The family ids listed, in the page's order."""
    return re.findall(r'href="/intendance/familles/([^"/?]+)"', html)


def push_meal(pages: Family, child: str, meal_id: str, cents: int, day: date) -> None:
    """A meal served at station ``ligne-1`` reaching the portal (``POST /v1/sync/meals``)."""
    answer = pages.anonymous.client.post(
        "/v1/sync/meals",
        json={"meals": [meal(meal_id, child, day=day, charged_cents=cents)]},
        headers={"Authorization": f"Bearer {pages.school.station_token}"},
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["applied"], answer.text


def test_search_finds_a_family_by_a_childs_name_whatever_the_accents_and_case(
    pages: Family,
) -> None:
    browser = pages.intendance
    for typed in ("dupont", "HERVE", "léa Dupont", "herv"):
        page = browser.client.get(FAMILIES, params={"q": typed})
        assert page.status_code == 200
        assert _family_refs(page.text) == ["F18491"], typed
    assert _family_refs(browser.client.get(FAMILIES, params={"q": "martin tom"}).text) == ["F18492"]
    nobody = browser.client.get(FAMILIES, params={"q": "durand"})
    assert _family_refs(nobody.text) == []
    assert "Aucune famille ne correspond à « durand »" in nobody.text


def test_search_finds_a_family_by_its_card_number_whole_or_its_five_digits(
    pages: Family,
) -> None:
    browser = pages.intendance
    assert _family_refs(browser.client.get(FAMILIES, params={"q": "1849-01236"}).text) == ["F18492"]
    assert _family_refs(browser.client.get(FAMILIES, params={"q": "01238"}).text) == ["F18493"]
    # Another school's card number finds nothing here.
    assert _family_refs(browser.client.get(FAMILIES, params={"q": "1850-01236"}).text) == []


def test_negative_balances_come_first_with_the_day_they_went_negative(pages: Family) -> None:
    # F18493 has no credit: Noah's meal takes it to −4,15 €; F18492 (5,00 €) goes to
    # −2,50 € with two of Tom's meals, below F18493.
    push_meal(pages, "C1849-46", "m-noah", 415, date(2025, 11, 24))
    push_meal(pages, "C1849-44", "m-tom-1", 250, date(2025, 11, 24))
    push_meal(pages, "C1849-44", "m-tom-2", 250, date(2025, 11, 25))
    push_meal(pages, "C1849-44", "m-tom-3", 250, date(2025, 11, 27))
    page = pages.intendance.client.get(FAMILIES)
    assert _family_refs(page.text) == ["F18493", "F18492", "F18491"]
    assert "2 familles en solde négatif" in page.text
    rows = page.text.split('class="negatif"')
    assert len(rows) == 3  # exactly the two negative families are marked
    assert "−4,15\u00a0€" in rows[1] and rows[1].count("<time") == 1
    assert "−2,50\u00a0€" in rows[2] and rows[2].count("<time") == 1


def test_negative_since_is_the_last_time_the_ledger_went_below_zero(pages: Family) -> None:
    with session_scope(pages.engine) as session:
        family = session.execute(select(Family_.id).where(Family_.ref == "F18493")).scalar_one()
        for n, (amount, at) in enumerate(
            [
                (-500, "2025-11-03T11:00:00+00:00"),  # negative from the 3rd…
                (800, "2025-11-05T11:00:00+00:00"),  # …back above zero…
                (-200, "2025-11-10T11:00:00+00:00"),  # still positive (100)
                (-400, "2025-11-12T11:00:00+00:00"),  # …negative again from the 12th
                (-100, "2025-11-14T11:00:00+00:00"),
            ]
        ):
            session.add(
                LedgerEntry(
                    family_id=family, kind="adjustment", amount_cents=amount,
                    reference=f"test-{n}", at=at,
                )
            )  # fmt: skip
    with session_scope(pages.engine) as session:
        assert negative_since(session, family_ids=[family]) == {family: "2025-11-12T11:00:00+00:00"}
    page = pages.intendance.client.get(f"{FAMILIES}/F18493")
    assert "négatif depuis le <time" in page.text and "12/11/2025 à 12:00" in page.text


def test_negative_balances_export_is_a_french_excel_csv_guarded_against_formulas(
    pages: Family,
) -> None:
    # A family whose child's name starts like a formula must come out as text.
    with session_scope(pages.engine) as session:
        school = require_school(session, code="1849")
        import_roster(
            session,
            school=school,
            rows=[
                RosterRow(
                    child_id="C1849-90",
                    last_name="=HYPERLINK(1)",
                    first_name="Eve",
                    class_name="6B",
                    birth_date=None,
                    card_code="1849-00090",
                    card_status="active",
                    regime="ticket",
                    forfait_days="",
                    tariff="T1",
                    diet=(),
                    allergies=(),
                    family_id="F1849X",
                    family_email=None,
                    photo=None,
                )
            ],
        )
    push_meal(pages, "C1849-90", "m-eve", 1234, date(2025, 11, 24))
    push_meal(pages, "C1849-46", "m-noah", 415, date(2025, 11, 25))
    # Two relances went to family F18493 (crud/notices.py keeps the count).
    with session_scope(pages.engine) as session:
        key = session.execute(select(Family_.id).where(Family_.ref == "F18493")).scalar_one()
        state = session.get(FamilyNoticeState, key) or FamilyNoticeState(family_id=key)
        state.relances_sent = 2
        session.add(state)
    listing = pages.intendance.client.get("/intendance/familles").text
    assert "— 2 relances</td>" in listing
    answer = pages.intendance.client.get("/intendance/familles/export/soldes-negatifs.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    raw = answer.content
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == [
        "famille",
        "enfants",
        "classes",
        "solde (€)",
        "négatif depuis le",
        "relances envoyées",
    ]
    assert [line[0] for line in lines[1:]] == ["F1849X", "F18493"]  # lowest first
    assert lines[1][1] == "'=HYPERLINK(1) Eve"
    assert lines[1][3] == "-12,34"
    assert lines[2][3] == "-4,15"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", lines[2][4])
    assert lines[1][5].isdigit() and lines[2][5] == "2"
    assert b"\r\n" in raw


def test_a_familys_page_shows_children_cards_diet_ledger_and_last_meals(pages: Family) -> None:
    push_meal(pages, "C1849-42", "m-herve", 415, date(2025, 11, 24))
    page = pages.intendance.client.get(f"{FAMILIES}/F18491")
    assert page.status_code == 200
    text = page.text
    for expected in ("Hervé DUPONT", "Léa DUPONT", "6B", "5A", "1849-01234 (active)"):
        assert expected in text, expected
    assert "sans porc" in text and "arachide" in text
    assert "Solde : <strong>45,85\u00a0€</strong>" in text
    assert "Annuler ce repas" in text
    assert "Derniers repas de Hervé" in text


def test_the_intendance_of_another_school_gets_404_on_a_family_and_its_actions(
    pages: Family,
) -> None:
    push_meal(pages, "C1849-42", "m-herve", 415, date(2025, 11, 24))
    other = pages.other_intendance
    assert other.client.get(f"{FAMILIES}/F18491").status_code == 404
    assert pages.intendance.client.get(f"{FAMILIES}/F18501").status_code == 404
    assert pages.intendance.client.get(f"{FAMILIES}/F-inconnue").status_code == 404
    answer = other.post(
        f"{FAMILIES}/F18491/repas/m-herve/annuler",
        {"reason": "non_servi", "detail": ""},
        page=FAMILIES,
    )
    assert answer.status_code == 404
    # Its own list never shows the other school's families.
    assert "F18491" not in other.client.get(FAMILIES, params={"q": "dupont"}).text
    # A parent is not the intendance: the same 404 page.
    assert pages.parent.client.get(f"{FAMILIES}/F18491").status_code == 404


def test_a_familys_page_lists_its_notices_and_coming_bookings_only(pages: Family) -> None:
    assert pages.parent is not None  # the parent login of F18491 exists from here on
    with session_scope(pages.engine) as session:
        for to, subject in (
            ("f18491@example.fr", "Rappel : solde bas"),
            ("parent.dupont@example.fr", "Votre compte est validé"),
            ("f18492@example.fr", "Message pour une autre famille"),
        ):
            queue_mail(
                session, to=to, subject=subject, template="test_message", context={"name": "X"}
            )
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    ahead = today + timedelta(days=7)
    with session_scope(pages.engine) as session:
        import_reservations(
            session,
            school=require_school(session, code="1849"),
            rows=[ReservationRow("C1849-42", ahead, "dejeuner", prepaid=False)],
        )
    page = pages.intendance.client.get(f"{FAMILIES}/F18491").text
    assert "Rappel : solde bas" in page and "Votre compte est validé" in page
    assert "Message pour une autre famille" not in page
    assert f'<time datetime="{ahead.isoformat()}">' in page
    # The seed day's booking is in the past: not among the coming ones.
    assert f'<time datetime="{pages.school.day.isoformat()}">' not in page


def test_the_list_is_paginated(pages: Family) -> None:
    with session_scope(pages.engine) as session:
        import_roster(
            session,
            school=require_school(session, code="1849"),
            rows=[
                RosterRow(
                    child_id=f"P{n:03d}", last_name=f"NOM{n:03d}", first_name="Ana",
                    class_name="6C", birth_date=None, card_code=None, card_status="active",
                    regime="ticket", forfait_days="", tariff="T1", diet=(), allergies=(),
                    family_id=f"FP{n:03d}", family_email=None, photo=None,
                )
                for n in range(40)
            ],
        )  # fmt: skip
    first = pages.intendance.client.get(FAMILIES)
    assert len(_family_refs(first.text)) == PAGE_SIZE
    assert "page 1 sur 2" in first.text and "Page suivante" in first.text
    second = pages.intendance.client.get(FAMILIES, params={"page": "2"})
    assert len(_family_refs(second.text)) == 43 - PAGE_SIZE
    assert set(_family_refs(first.text)).isdisjoint(_family_refs(second.text))
    # A page number that is not one shows the first page, never an error.
    assert pages.intendance.client.get(FAMILIES, params={"page": "x"}).status_code == 200
