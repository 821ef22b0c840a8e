"""The intendance's families, cards and journal pages in chromium, at phone and desktop
sizes: axe-core finds no violation of impact serious or critical and nothing scrolls
sideways; a card is blocked and a meal cancelled through their forms.

The session's portal is shared by every browser test: these tests make a family of their
own (a new family id, child and card per test) and never touch the seeded ones.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.roster import RosterRow, import_roster
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import Card, Child, LedgerEntry, Meal, Void
from tests.functional.browser.pages import log_in_as
from tests.support.browser import Viewport, assert_accessible, viewport_name
from tests.support.web_portal import WebPortal

#: Where the screenshots of these pages go, to be looked at.
SHOTS = Path(os.environ.get("INTENDANCE_SHOTS", "/tmp/shots/families"))


@dataclass
class OwnFamily:
    """A family made for one test: its id, its child, the child's card, one meal."""

    family: str
    child: str
    card: str
    meal: str


def _own_family(web: WebPortal, *, credit: int = 0) -> OwnFamily:
    tag = uuid.uuid4().hex[:6]
    family, child = f"FB{tag}", f"CB{tag}"
    with web.db() as session:
        school = require_school(session, code="1849")
        held = session.execute(
            select(Card.code)
            .join(Child, Child.id == Card.child_id)
            .where(Child.school_id == school.id)
        ).scalars()
        number = max(int(c[-5:]) for c in held if re.fullmatch(r"1849-\d{5}", c)) + 1
        card = f"1849-{number:05d}"
        import_roster(
            session,
            school=school,
            rows=[
                RosterRow(
                    child_id=child,
                    last_name="GUÉRIN",
                    first_name="Élodie",
                    class_name="6B",
                    birth_date=None,
                    card_code=card,
                    card_status="active",
                    regime="ticket",
                    forfait_days="",
                    tariff="T1",
                    diet=("vegetarien",),
                    allergies=("gluten",),
                    family_id=family,
                    family_email=None,
                    photo=None,
                )
            ],
        )
        if credit:
            add_credits(
                session,
                school=school,
                credits=[CreditIn(family_id=family, amount_cents=credit, reference=f"T-{tag}")],
            )
    meal = web.sync_meal(child, charged_cents=415)
    return OwnFamily(family, child, card, meal)


def _as_intendance(page: Page, web: WebPortal, path: str) -> None:
    log_in_as(page, web.intendance_email, web.intendance_password, lands_on="/intendance")
    page.goto(path)


def _check(page: Page, name: str) -> None:
    """Screenshot (before the checks: a failing page is the one to look at), axe-core,
    and no sideways scrolling."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport_name(page)}.png"), full_page=True)
    assert_accessible(page)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths[0]}px in {widths[1]}px"


def _families(page: Page, web: WebPortal, own: OwnFamily) -> str:
    _as_intendance(page, web, "/intendance/familles")
    return "Familles"


def _families_search(page: Page, web: WebPortal, own: OwnFamily) -> str:
    _as_intendance(page, web, "/intendance/familles")
    page.get_by_label("Rechercher", exact=True).fill("elodie guerin")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name=re.compile(own.family))).to_be_visible()
    return "Familles"


def _family(page: Page, web: WebPortal, own: OwnFamily) -> str:
    _as_intendance(page, web, f"/intendance/familles/{own.family}")
    page.get_by_text("Annuler ce repas").first.click()  # the form, opened
    return "GUÉRIN"


def _cards(page: Page, web: WebPortal, own: OwnFamily) -> str:
    _as_intendance(page, web, f"/intendance/cartes?q={own.card}")
    return "Cartes de cantine"


def _journal(page: Page, web: WebPortal, own: OwnFamily) -> str:
    _as_intendance(page, web, "/intendance/cartes")
    page.get_by_label("Rechercher", exact=True).fill(own.card)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name="Émettre une nouvelle carte").click()  # one audit row
    page.goto("/intendance/journal")
    return "Journal des modifications"


PAGES: dict[str, Callable[[Page, WebPortal, OwnFamily], str]] = {
    "intendance-familles": _families,
    "intendance-familles-recherche": _families_search,
    "intendance-famille": _family,
    "intendance-cartes": _cards,
    "intendance-journal": _journal,
}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_axe_violation_and_never_scrolls_sideways(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], name: str, viewport: Viewport
) -> None:
    own = _own_family(web_portal)
    page = new_page(viewport)
    heading = PAGES[name](page, web_portal, own)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    _check(page, name)


def test_a_card_is_blocked_through_the_form(web_portal: WebPortal, desktop_page: Page) -> None:
    own = _own_family(web_portal)
    page = desktop_page
    _as_intendance(page, web_portal, "/intendance/cartes")
    page.get_by_label("Rechercher", exact=True).fill(own.card[-5:])
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label(f"Motif du blocage de la carte {own.card}").select_option(label="perdue")
    page.get_by_role("button", name="Bloquer la carte").click()
    expect(page.get_by_role("status")).to_contain_text(f"Carte {own.card} bloquée")
    expect(page.get_by_text(f"{own.card} — perdue")).to_be_visible()
    with web_portal.db() as session:
        status = session.execute(select(Card.status).where(Card.code == own.card)).scalar_one()
    assert status == "lost"


def test_a_meal_is_cancelled_through_the_form(web_portal: WebPortal, phone_page: Page) -> None:
    own = _own_family(web_portal, credit=1000)
    page = phone_page
    _as_intendance(page, web_portal, f"/intendance/familles/{own.family}")
    expect(page.get_by_text("Solde : 5,85\u00a0€")).to_be_visible()
    page.get_by_text("Annuler ce repas").first.click()
    page.get_by_role("button", name="Annuler ce repas").click()  # no reason yet
    expect(page.get_by_label("Motif")).to_be_visible()  # the browser asks for it
    page.get_by_label("Motif").select_option(label="Repas non servi")
    page.get_by_role("button", name="Annuler ce repas").click()
    expect(page.get_by_role("status")).to_contain_text("Repas annulé : 4,15\u00a0€ remboursés.")
    expect(page.get_by_text("Solde : 10,00\u00a0€")).to_be_visible()
    _check(page, "intendance-famille-repas-annule")
    with web_portal.db() as session:
        meal_key, reason = session.execute(
            select(Meal.id, Void.reason)
            .join(Void, Void.meal_id == Meal.id)
            .where(Meal.ref == own.meal)
        ).one()
        refund = session.execute(
            select(LedgerEntry.amount_cents).where(LedgerEntry.reference == f"void:{meal_key}")
        ).scalar_one()
    assert (reason, refund) == ("Repas non servi", 415)
