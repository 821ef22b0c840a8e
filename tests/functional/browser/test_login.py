"""Logging in, in chromium: refusals are text on the login page, never an error page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.functional.browser.pages import log_in, log_in_as
from tests.support.web_portal import WebPortal

WRONG_LOGIN = "Adresse e-mail ou mot de passe incorrect."
THROTTLED = "Trop de tentatives. Réessayez dans 15 minutes."


def test_wrong_password_is_said_on_the_login_page_next_to_the_address(
    web_portal: WebPortal, phone_page: Page
) -> None:
    log_in(phone_page, web_portal.parent_email, "pas le bon mot de passe")

    expect(phone_page).to_have_url(re.compile(r"/connexion$"))
    address = phone_page.get_by_label("Adresse e-mail", exact=True)
    expect(address).to_have_accessible_description(re.compile(re.escape(WRONG_LOGIN)))
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_value(web_portal.parent_email)
    expect(phone_page.get_by_role("button", name="Se connecter")).to_be_visible()
    assert not any(c["name"] == "cantine_session" for c in phone_page.context.cookies())


def test_the_eleventh_try_after_ten_failures_says_to_wait_15_minutes_even_with_the_right_password(
    web_portal: WebPortal, desktop_page: Page
) -> None:
    for attempt in range(10):
        log_in(desktop_page, web_portal.parent_email, f"mauvais essai numéro {attempt}")
        expect(desktop_page.get_by_text(WRONG_LOGIN)).to_be_visible()

    log_in(desktop_page, web_portal.parent_email, web_portal.parent_password)

    expect(desktop_page.get_by_text(THROTTLED)).to_be_visible()
    expect(desktop_page).to_have_url(re.compile(r"/connexion$"))
    desktop_page.goto("/famille")
    expect(desktop_page).to_have_url(re.compile(r"/connexion\?suite="))


def test_the_right_password_opens_the_family_home_with_the_family_menu(
    web_portal: WebPortal, desktop_page: Page
) -> None:
    log_in_as(
        desktop_page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille"
    )

    menu = desktop_page.get_by_role("navigation", name="Menu principal")
    for name in ("Accueil", "Mes comptes", "Mes enfants"):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    expect(menu.get_by_role("button", name="Déconnexion")).to_be_visible()
    expect(desktop_page.get_by_role("region", name="Hervé DUPONT")).to_be_visible()
