"""A parent who only has the card and an e-mail gets an account the intendance
validated, logs in, sees the meal a station just synced, and logs out — in chromium."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.functional.browser.pages import (
    choose_password,
    log_in,
    log_in_as,
    mail_to,
    password_link_in,
    short_date,
    sign_up,
)
from tests.support.web_portal import PARIS, WebPortal

NEW_PASSWORD = "notre cantine du jeudi 2026"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def journey_portal(request: pytest.FixtureRequest) -> WebPortal:
    """The session's SQLite portal, then its PostgreSQL twin when that is set."""
    name = "web_portal" if request.param == "sqlite" else "postgres_web_portal"
    portal: WebPortal = request.getfixturevalue(name)
    portal.forget_attempts()
    return portal


@pytest.fixture
def browser_context_args(journey_portal: WebPortal) -> dict[str, Any]:
    """Pages of this module open on the portal of the journey's database."""
    return {"base_url": journey_portal.url}


def test_sign_up_validated_by_the_intendance_leads_to_the_home_with_the_synced_meal(
    journey_portal: WebPortal, new_page: Callable[..., Page]
) -> None:
    email = f"parent-{uuid.uuid4().hex[:8]}@example.fr"
    parent = new_page("phone")
    # Accents and case of the child's names are ignored (« herve » is Hervé).
    sign_up(parent, digits="01234", last_name="dupont", first_name="herve", email=email)
    expect(parent.get_by_role("heading", name="Demande enregistrée")).to_be_visible()
    expect(parent.get_by_text(email)).to_be_visible()

    intendance = new_page("desktop")
    log_in_as(
        intendance,
        journey_portal.intendance_email,
        journey_portal.intendance_password,
        lands_on="/intendance",
    )
    intendance.goto("/intendance/comptes-en-attente")
    request_row = intendance.get_by_role("row").filter(has_text=email)
    expect(request_row).to_contain_text("DUPONT Hervé")
    request_row.get_by_role("button", name="Valider").click()
    expect(intendance.get_by_role("status")).to_contain_text(f"un e-mail a été envoyé à {email}")
    expect(intendance.get_by_role("row").filter(has_text=email)).to_have_count(0)

    link = password_link_in(mail_to(journey_portal.smtp, email))
    assert link.startswith(journey_portal.url + "/mot-de-passe/choisir?jeton=")
    choose_password(parent, link, NEW_PASSWORD)
    expect(parent).to_have_url(re.compile(r"/connexion$"))
    expect(parent.get_by_role("status")).to_contain_text("Votre mot de passe est enregistré")

    # The station serves Hervé now and syncs; the parent then logs in.
    journey_portal.sync_meal(journey_portal.own_child, charged_cents=415)
    served_on = short_date(datetime.now(PARIS).date())
    log_in_as(parent, email, NEW_PASSWORD, lands_on="/famille")
    herve = parent.get_by_role("region", name="Hervé DUPONT")
    meal_row = herve.get_by_role("row").filter(has_text=served_on)
    expect(meal_row).to_have_count(1)
    expect(meal_row).to_contain_text("Déjeuner")
    expect(meal_row).to_contain_text("4,15\u00a0€")
    expect(meal_row).to_contain_text("servi")
    session_id = next(
        c["value"] for c in parent.context.cookies() if c["name"] == "cantine_session"
    )

    parent.get_by_role("button", name="Déconnexion").click()
    expect(parent).to_have_url(re.compile(r"/connexion$"))
    expect(parent.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    parent.goto("/famille")
    expect(parent).to_have_url(re.compile(r"/connexion\?suite=(%2F|/)famille$"))
    # The session is over on the server too: the old cookie, put back, opens nothing.
    parent.context.add_cookies(
        [{"name": "cantine_session", "value": session_id, "url": journey_portal.url}]
    )
    parent.goto("/famille")
    expect(parent).to_have_url(re.compile(r"/connexion\?suite=(%2F|/)famille$"))


def test_a_pending_sign_up_cannot_log_in_before_the_intendance_validates(
    journey_portal: WebPortal, desktop_page: Page
) -> None:
    email = f"attente-{uuid.uuid4().hex[:8]}@example.fr"
    sign_up(desktop_page, digits="01235", last_name="Dupont", first_name="Léa", email=email)
    expect(desktop_page.get_by_role("heading", name="Demande enregistrée")).to_be_visible()
    log_in(desktop_page, email, NEW_PASSWORD)
    expect(desktop_page.get_by_text("Adresse e-mail ou mot de passe incorrect.")).to_be_visible()
    expect(desktop_page).to_have_url(re.compile(r"/connexion$"))
