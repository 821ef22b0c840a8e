"""Every page of the parents' space and the intendance's pages, at phone and
desktop sizes, in chromium: axe-core finds no violation of impact serious or critical,
nothing scrolls sideways, and a full-page screenshot is written to tests/screenshots/."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.functional.browser.pages import log_in, log_in_as, sign_up
from tests.support.browser import Viewport, assert_accessible, screenshot
from tests.support.web_portal import WebPortal

#: How to reach each page: ``open(page, web_portal)`` leaves the browser on it.
Opener = Callable[[Page, WebPortal], None]


def _as_parent(path: str) -> Opener:
    def open_page(page: Page, web: WebPortal) -> None:
        log_in_as(page, web.parent_email, web.parent_password, lands_on="/famille")
        page.goto(path)

    return open_page


def _anonymous(path: str) -> Opener:
    def open_page(page: Page, _web: WebPortal) -> None:
        page.goto(path)

    return open_page


def _login_refused(page: Page, web: WebPortal) -> None:
    log_in(page, web.parent_email, "pas le bon mot de passe")


def _signup_refused(page: Page, _web: WebPortal) -> None:
    sign_up(page, digits="99999", last_name="Personne", first_name="Nul", email="a@example.fr")


def _signup_sent(page: Page, _web: WebPortal) -> None:
    sign_up(page, digits="01238", last_name="Bernard", first_name="Noah", email="b@example.fr")


def _choose_password(page: Page, web: WebPortal) -> None:
    email, _password = web.new_parent()
    page.goto(web.password_link(email))


def _pending_accounts(page: Page, web: WebPortal) -> None:
    web.pending_request()  # the list is never empty
    log_in_as(page, web.intendance_email, web.intendance_password, lands_on="/intendance")
    page.goto("/intendance/comptes-en-attente")


def _intendance_home(page: Page, web: WebPortal) -> None:
    log_in_as(page, web.intendance_email, web.intendance_password, lands_on="/intendance")


def _child(page: Page, web: WebPortal) -> None:
    _as_parent(f"/famille/enfants/{web.own_child}")(page, web)


def _child_photo_refused(page: Page, web: WebPortal) -> None:
    _child(page, web)
    page.locator("#photo-fichier").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"pas une image"}
    )
    page.get_by_role("checkbox", name=re.compile("J'accepte que cette photo")).check()
    page.get_by_role("button", name="Envoyer la photo").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _child_with_photo(page: Page, web: WebPortal) -> None:
    _as_parent(f"/famille/enfants/{web.school.children[1]}")(page, web)
    page.locator("#photo-fichier").set_input_files(
        {"name": "lea.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("checkbox", name=re.compile("J'accepte que cette photo")).check()
    page.get_by_role("button", name="Envoyer la photo").click()
    expect(page.get_by_role("img", name=re.compile("Photo actuelle"))).to_be_visible()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (90, 140, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _other_child(page: Page, web: WebPortal) -> None:
    _as_parent(f"/famille/enfants/{web.other_family_child}")(page, web)


#: name (of the screenshot) → how to open the page and its main heading.
PAGES: dict[str, tuple[Opener, str]] = {
    "connexion": (_anonymous("/connexion"), "Connexion"),
    "connexion-refusee": (_login_refused, "Connexion"),
    "inscription": (_anonymous("/inscription"), "Créer un compte"),
    "inscription-refusee": (_signup_refused, "Créer un compte"),
    "inscription-envoyee": (_signup_sent, "Demande enregistrée"),
    "mot-de-passe-oublie": (_anonymous("/mot-de-passe-oublie"), "Mot de passe oublié"),
    "mot-de-passe-choisir": (_choose_password, "Choisir un mot de passe"),
    "lien-invalide": (_anonymous("/mot-de-passe/choisir?jeton=mp_inconnu"), "Lien expiré"),
    "famille": (_as_parent("/famille"), "Mon espace famille"),
    "famille-comptes": (_as_parent("/famille/comptes"), "Situation de mes comptes"),
    "famille-enfant": (_child, "Hervé DUPONT"),
    "famille-enfant-photo-refusee": (_child_photo_refused, "Hervé DUPONT"),
    "famille-enfant-avec-photo": (_child_with_photo, "Léa DUPONT"),
    "famille-ajouter-enfant": (_as_parent("/famille/ajouter-un-enfant"), "Ajouter un enfant"),
    "famille-page-introuvable": (_other_child, "Page introuvable"),
    "deconnexion": (_as_parent("/deconnexion"), "Déconnexion"),
    "accessibilite": (_anonymous("/accessibilite"), "accessibilité"),
    "famille-reservations": (_as_parent("/famille/reservations"), "Réserver les repas"),
    "intendance-comptes-en-attente": (_pending_accounts, "Comptes en attente"),
    "intendance-accueil": (_intendance_home, "La journée du"),
}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_axe_violation_and_never_scrolls_sideways(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], name: str, viewport: Viewport
) -> None:
    open_page, heading = PAGES[name]
    page = new_page(viewport)
    open_page(page, web_portal)
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(heading, re.I))
    screenshot(page, name)  # before the checks: a failing page is the one to look at

    assert_accessible(page)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths[0]}px in {widths[1]}px"


def test_the_skip_link_is_the_first_tab_stop_and_takes_the_keyboard_to_the_content(
    web_portal: WebPortal, phone_page: Page
) -> None:
    log_in_as(phone_page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille")

    phone_page.keyboard.press("Tab")
    skip = phone_page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    phone_page.keyboard.press("Enter")
    expect(phone_page.locator("main")).to_be_focused()
    phone_page.keyboard.press("Tab")
    expect(phone_page.get_by_role("link", name="Situation de mes comptes")).to_be_focused()


@pytest.mark.parametrize("path", ["/connexion", "/inscription"])
def test_every_field_and_button_shows_a_visible_focus_ring(
    web_portal: WebPortal, desktop_page: Page, path: str
) -> None:
    desktop_page.goto(path)
    controls = desktop_page.locator("main input:not([type=hidden]), main button, main a")
    assert controls.count() > 0
    for index in range(controls.count()):
        control = controls.nth(index)
        control.focus()
        ring = control.evaluate(
            "el => { const s = getComputedStyle(el);"
            " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
        )
        outlined = ring[0] not in ("none", "") and ring[1] not in ("0px", "")
        assert outlined or ring[2] != "none", (
            f"no focus ring on {control.evaluate('e => e.outerHTML')}"
        )
