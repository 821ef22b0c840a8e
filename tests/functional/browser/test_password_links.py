"""The link of a password e-mail, in chromium: single use, 48 hours, and a French page
saying so when it no longer works (no form, nothing changed)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.functional.browser.pages import (
    choose_password,
    log_in,
    log_in_as,
    mail_to,
    password_link_in,
)
from tests.support.web_portal import WebPortal

LINK_GONE = "Ce lien n'est plus valable : il a déjà servi ou il a expiré."


def ask_for_link(page: Page, web_portal: WebPortal, email: str) -> str:
    """« Mot de passe oublié » in the browser; the link of the mail that arrives."""
    page.goto("/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    return password_link_in(mail_to(web_portal.smtp, email))


def expect_link_gone(page: Page) -> None:
    expect(page.get_by_role("alert")).to_contain_text(LINK_GONE)
    expect(page.get_by_role("button", name="Enregistrer le mot de passe")).to_have_count(0)
    expect(page.get_by_role("link", name="Recevoir un nouveau lien")).to_be_visible()


def test_an_expired_link_shows_a_french_page_and_no_form(
    web_portal: WebPortal, phone_page: Page
) -> None:
    email, password = web_portal.new_parent()
    link = ask_for_link(phone_page, web_portal, email)
    web_portal.expire_link(link.rsplit("=", 1)[1])

    phone_page.goto(link)

    expect_link_gone(phone_page)
    log_in_as(phone_page, email, password, lands_on="/famille")


def test_a_link_that_expires_while_its_form_is_open_changes_no_password(
    web_portal: WebPortal, desktop_page: Page
) -> None:
    email, password = web_portal.new_parent()
    link = ask_for_link(desktop_page, web_portal, email)
    desktop_page.goto(link)
    web_portal.expire_link(link.rsplit("=", 1)[1])

    desktop_page.get_by_label("Mot de passe", exact=True).fill("un nouveau mot de passe 1")
    desktop_page.get_by_label("Confirmer le mot de passe", exact=True).fill(
        "un nouveau mot de passe 1"
    )
    desktop_page.get_by_role("button", name="Enregistrer le mot de passe").click()

    expect_link_gone(desktop_page)
    log_in(desktop_page, email, "un nouveau mot de passe 1")
    expect(desktop_page.get_by_text("Adresse e-mail ou mot de passe incorrect.")).to_be_visible()
    log_in_as(desktop_page, email, password, lands_on="/famille")


def test_a_used_link_cannot_set_the_password_a_second_time(
    web_portal: WebPortal, desktop_page: Page
) -> None:
    email, _old = web_portal.new_parent()
    link = ask_for_link(desktop_page, web_portal, email)
    choose_password(desktop_page, link, "le premier mot de passe choisi")
    expect(desktop_page).to_have_url(re.compile(r"/connexion$"))

    desktop_page.goto(link)

    expect_link_gone(desktop_page)
    log_in_as(desktop_page, email, "le premier mot de passe choisi", lands_on="/famille")
