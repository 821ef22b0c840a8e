"""What a person does in the browser, step by step, with the contract's labels and button
names (docs/design.md §8): fields by their visible label, buttons by their name."""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage

from playwright.sync_api import Page, expect

from tests.support.smtp import SmtpServer

_LINK = re.compile(r"https?://\S+/mot-de-passe/choisir\?jeton=[A-Za-z0-9_\-]+")
_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def log_in(page: Page, email: str, password: str) -> None:
    """Fill and send the login form (from whatever page is open)."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def log_in_as(page: Page, email: str, password: str, *, lands_on: str) -> None:
    """Log in and check the browser arrived at ``lands_on`` (a path)."""
    log_in(page, email, password)
    expect(page).to_have_url(re.compile(re.escape(lands_on) + r"$"))


def sign_up(page: Page, *, digits: str, last_name: str, first_name: str, email: str) -> None:
    """Fill and send « Créer un compte »."""
    page.goto("/inscription")
    page.get_by_label("5 derniers chiffres de la carte", exact=True).fill(digits)
    page.get_by_label("Nom de l'élève", exact=True).fill(last_name)
    page.get_by_label("Prénom de l'élève", exact=True).fill(first_name)
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_role("button", name="Créer mon compte").click()


def choose_password(page: Page, link: str, password: str) -> None:
    """Open a password link and choose ``password`` (typed twice)."""
    page.goto(link)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmer le mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()


def mail_to(smtp: SmtpServer, address: str, timeout: float = 30.0) -> EmailMessage:
    """The first mail the SMTP server received for ``address`` (waits for it)."""
    return smtp.wait_for(lambda m: address in str(m["To"]), timeout=timeout)


def password_link_in(message: EmailMessage) -> str:
    """The password link in a mail's plain-text part."""
    body = message.get_body(("plain",))
    assert body is not None, "the mail has no text part"
    text = body.get_content()
    found = _LINK.search(text)
    assert found, f"no password link in the mail:\n{text}"
    return found.group(0)


def short_date(day: date) -> str:
    """A day as the family pages write it: ``lun. 24/11/2025``."""
    return f"{_WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"
