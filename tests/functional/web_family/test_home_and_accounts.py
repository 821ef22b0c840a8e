"""The parents' home and « Situation de mes comptes »: last meals synced by a station,
voided meals, the balance and its warning, the ledger's running balance, the balance
after the meals already booked, and 404 for another family's child."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise

from cantine_harness.portal import meal, void
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.family_view import family_accounts, ledger_lines
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.roster import ReservationRow, import_reservations
from portal_sync_api.crud.schools import require_school
from portal_sync_api.web.format import euros
from tests.support.family_pages import Family

NBSP = "\u00a0"


def _push(family: Family, *items: dict[str, object]) -> None:
    answer = family.parent.client.post(
        "/v1/sync/meals",
        json={"meals": list(items)},
        headers={"Authorization": f"Bearer {family.school.station_token}"},
    )
    assert answer.status_code == 200, answer.text
    assert {r["status"] for r in answer.json()["results"]} == {"applied"}


def _rows(html: str) -> list[str]:
    """The table rows of a page as text (tags removed, ASCII spaces squeezed: the no-break
    space of the money format stays)."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    return [re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_home_shows_the_meal_a_station_just_synced_with_date_service_price_and_line(
    family: Family,
) -> None:
    _push(family, meal("m-1", family.herve))
    page = family.parent.client.get("/famille")
    assert page.status_code == 200
    assert f"lun. 24/11/2025 Déjeuner ligne-1 4,15{NBSP}€ servi" in _rows(page.text)
    # The balance after that meal: 50,00 € credited − 4,15 €.
    assert f"45,85{NBSP}€" in page.text
    assert "Hervé DUPONT" in page.text and "Léa DUPONT" in page.text


def test_voided_meal_is_shown_as_annule_on_the_home_page(family: Family) -> None:
    _push(family, meal("m-1", family.herve))
    _push(family, void("v-1", "m-1"))
    rows = _rows(family.parent.client.get("/famille").text)
    assert (
        f"lun. 24/11/2025 Déjeuner ligne-1 4,15{NBSP}€ annulé , remboursé"
    )  # tags become spaces in rows
    assert not any(r.endswith(" servi") for r in rows)


def test_another_familys_child_page_is_the_404_page_like_an_unknown_id(family: Family) -> None:
    for path in (
        f"/famille/enfants/{family.tom}",  # same school, other family
        f"/famille/enfants/{family.other_school.children[0]}",  # other school
        "/famille/enfants/C1849-999",  # nobody
    ):
        page = family.parent.client.get(path)
        assert page.status_code == 404, path
        assert "Page introuvable" in page.text
        assert "MARTIN" not in page.text
    assert family.neighbour.client.get(f"/famille/enfants/{family.tom}").status_code == 200


def test_family_pages_send_anonymous_visitors_to_the_login_page(family: Family) -> None:
    for path in ("/famille", "/famille/comptes", f"/famille/enfants/{family.herve}"):
        answer = family.anonymous.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/connexion?suite=")


def test_low_balance_warning_shows_only_under_the_schools_threshold(family: Family) -> None:
    # F18492 was credited 5,00 € (under 30,00 €); F18491 has 50,00 €.
    low = family.neighbour.client.get("/famille").text
    assert "Solde bas" in low and f"30,00{NBSP}€" in low
    assert "Solde bas" not in family.parent.client.get("/famille").text
    assert "Solde bas" in family.neighbour.client.get("/famille/comptes").text


def test_ledger_running_balance_adds_up_to_the_balance_newest_first(family: Family) -> None:
    _push(
        family, meal("m-1", family.herve), meal("m-2", family.school.children[1], charged_cents=0)
    )
    _push(family, void("v-1", "m-1"), meal("m-3", family.herve, day=date(2025, 11, 25)))
    with session_scope(family.engine) as session:
        school = require_school(session, code="1849")
        add_credits(
            session, school=school, credits=[CreditIn("F18491", -120, "ADJ-1", "adjustment")]
        )
        key = family_by_ref(session, ref="F18491", school_code="1849").id
        lines = ledger_lines(session, family_id=key)
    assert [line.label for line in lines] == [
        "Ajustement",
        "Repas",
        "Annulation de repas",
        "Repas",
        "Crédit",
    ]  # Léa's forfait meal charged nothing: no ledger entry
    assert lines[0].balance_after_cents == 5000 - 415 - 120
    for newer, older in pairwise(lines):
        assert newer.balance_after_cents == older.balance_after_cents + newer.amount_cents
    assert lines[-1].balance_after_cents == lines[-1].amount_cents == 5000
    page = family.parent.client.get("/famille/comptes")
    assert f"Solde actuel du compte : <strong>{euros(4465)}</strong>" in page.text
    rows = _rows(page.text)
    assert any(
        r.endswith(f"Repas — Hervé, déjeuner du mar. 25/11/2025 −4,15{NBSP}€ 45,85{NBSP}€")
        for r in rows
    ), rows


def test_estimated_balance_subtracts_meals_booked_from_today_not_prepaid_nor_eaten(
    family: Family,
) -> None:
    day = family.school.day
    with session_scope(family.engine) as session:
        school = require_school(session, code="1849")
        import_reservations(
            session,
            school=school,
            rows=[
                ReservationRow(family.herve, day + timedelta(days=1), "dejeuner", False),
                ReservationRow(family.herve, day + timedelta(days=2), "dejeuner", True),
                ReservationRow(family.herve, day - timedelta(days=7), "dejeuner", False),
                # Léa is on a forfait for Monday, Tuesday, Thursday, Friday.
                ReservationRow(family.school.children[1], day, "dejeuner", False),
            ],
        )
    _push(family, meal("m-1", family.herve))  # today's booked lunch, already eaten
    with session_scope(family.engine) as session:
        key = family_by_ref(session, ref="F18491", school_code="1849").id
        parent = Principal(kind="parent", school_id=None, family_id=key)
        view = family_accounts(session, parent, family_id=key, today=day)
    assert view is not None
    assert [(b.child_first_name, b.day, b.price_cents) for b in view.booked] == [
        ("Hervé", day + timedelta(days=1), 415)
    ]
    assert view.balance_cents == 5000 - 415
    assert view.estimated_cents == 5000 - 415 - 415


def test_accounts_page_shows_estimated_balance_minimum_and_a_disabled_payment(
    family: Family,
) -> None:
    soon = date.today() + timedelta(days=10)
    with session_scope(family.engine) as session:
        school = require_school(session, code="1849")
        import_reservations(
            session,
            school=school,
            rows=[ReservationRow(family.herve, soon, "dejeuner", False)],
        )
    page = family.parent.client.get("/famille/comptes").text
    assert (
        f"Solde estimé après les repas déjà réservés :\n<strong>{euros(5000 - 415)}</strong>"
        in page
    )
    assert f"Montant minimum : <strong>10,00{NBSP}€</strong>" in page
    assert '<label for="amount">Montant à créditer</label>' in page
    assert "<fieldset disabled>" in page and "Procéder au paiement" in page
    assert "Le paiement en ligne n'est pas disponible" in page


FAMILIES = ("F18491", "F18492")


def test_parent_of_another_family_cannot_reach_the_first_familys_accounts(family: Family) -> None:
    with session_scope(family.engine) as session:
        mine, theirs = (family_by_ref(session, ref=f, school_code="1849").id for f in FAMILIES)
        neighbour = Principal(kind="parent", school_id=None, family_id=theirs)
        assert family_accounts(session, neighbour, family_id=theirs) is not None
        assert family_accounts(session, neighbour, family_id=mine) is None
    # The neighbour's own page shows only their own money.
    page = family.neighbour.client.get("/famille/comptes").text
    assert f"Solde actuel du compte : <strong>{euros(500)}</strong>" in page
