"""The parents' pages in chromium: another family's child is the 404 page, a form posted
without its CSRF token is refused and changes nothing, a photo that is too big or not an
image is refused in French on the child's page and nothing is stored."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from tests.functional.browser.pages import log_in_as
from tests.support.browser import assert_accessible, screenshot
from tests.support.web_portal import WebPortal

NOT_FOUND = "Cette page n'existe pas, ou elle ne vous est pas accessible."
CSRF_REFUSED = "Le formulaire a expiré ou ne vient pas de ce site : rien n'a été enregistré."
TOO_BIG = "La photo dépasse 10 Mo : rien n'a été enregistré."
NOT_AN_IMAGE = "Ce fichier n'est pas une photo JPEG ou PNG lisible"
NO_CONSENT = "Cochez la case d'accord"
MB = 1024 * 1024


@pytest.fixture
def parent(web_portal: WebPortal, desktop_page: Page) -> Page:
    """A page where the seeded family's parent is logged in."""
    log_in_as(
        desktop_page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille"
    )
    return desktop_page


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_photo(
    page: Page, child_id: str, payload: FilePayload | Path, *, consent: bool = True
) -> None:
    """Choose the file (a path is read by the browser itself: fast for big files), tick
    the consent box and send the photo form of the child's page."""
    page.goto(f"/famille/enfants/{child_id}")
    page.locator("#photo-fichier").set_input_files(payload)
    if consent:
        page.get_by_role("checkbox", name=re.compile("J'accepte que cette photo")).check()
    page.get_by_role("button", name="Envoyer la photo").click()


# -- another family's child --------------------------------------------------------------


def test_another_familys_child_is_the_same_404_page_as_an_unknown_child(
    web_portal: WebPortal, parent: Page
) -> None:
    answer = parent.goto(f"/famille/enfants/{web_portal.other_family_child}")

    assert answer is not None and answer.status == 404
    expect(parent.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(parent.get_by_text(NOT_FOUND)).to_be_visible()
    expect(parent.locator("main")).not_to_contain_text("MARTIN")
    other = parent.locator("main").inner_text()

    unknown = parent.goto("/famille/enfants/C1849-99")
    assert unknown is not None and unknown.status == 404
    assert parent.locator("main").inner_text() == other

    photo = parent.goto(f"/famille/enfants/{web_portal.other_family_child}/photo")
    assert photo is not None and photo.status == 404


# -- CSRF ----------------------------------------------------------------------------------


def test_logging_out_without_the_csrf_token_is_refused_and_the_session_goes_on(
    parent: Page,
) -> None:
    parent.goto("/deconnexion")
    parent.evaluate(
        "document.querySelectorAll('main form input[name=csrf_token]')"
        ".forEach(field => field.remove())"
    )
    parent.get_by_role("button", name="Se déconnecter").click()

    expect(parent.get_by_text(CSRF_REFUSED)).to_be_visible()
    parent.goto("/famille")
    expect(parent).to_have_url(re.compile(r"/famille$"))
    expect(parent.get_by_role("heading", name="Mon espace famille")).to_be_visible()


def test_a_photo_posted_without_the_csrf_token_is_refused_and_not_stored(
    web_portal: WebPortal, parent: Page
) -> None:
    child = web_portal.school.children[1]
    before = web_portal.photo_sha(child)

    answer = parent.request.post(
        f"/famille/enfants/{child}/photo",
        multipart={
            "photo": {"name": "lea.png", "mimeType": "image/png", "buffer": png()},
            "consent": "oui",
        },
    )

    assert answer.status == 403
    assert CSRF_REFUSED in html.unescape(answer.text())
    assert web_portal.photo_sha(child) == before


def test_a_change_message_posted_with_a_wrong_csrf_token_is_refused_and_not_stored(
    web_portal: WebPortal, parent: Page
) -> None:
    before = web_portal.count("FROM child_change_requests")
    parent.goto(f"/famille/enfants/{web_portal.own_child}")
    parent.evaluate(
        "document.querySelectorAll('input[name=csrf_token]')"
        ".forEach(field => { field.value = 'jeton-inventé'; })"
    )
    parent.get_by_label("Votre message à l'intendance").fill("Hervé ne mange plus de poisson.")
    parent.get_by_role("button", name="Envoyer le message").click()

    expect(parent.get_by_text(CSRF_REFUSED)).to_be_visible()
    assert web_portal.count("FROM child_change_requests") == before


# -- photos --------------------------------------------------------------------------------


def test_a_png_photo_with_consent_is_stored_shown_and_can_be_deleted(
    web_portal: WebPortal, parent: Page
) -> None:
    child = web_portal.school.children[1]
    upload_photo(parent, child, {"name": "lea.png", "mimeType": "image/png", "buffer": png()})

    expect(parent.get_by_role("status")).to_contain_text("La photo a été enregistrée.")
    picture = parent.get_by_role("img", name="Photo actuelle de Léa")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") == 256
    assert web_portal.photo_sha(child) is not None

    parent.get_by_role("button", name="Supprimer la photo").click()
    expect(parent.get_by_role("status")).to_contain_text("La photo a été supprimée.")
    assert web_portal.photo_sha(child) is None


def test_a_photo_just_over_10_mb_is_refused_in_french_on_the_childs_page(
    web_portal: WebPortal, parent: Page, tmp_path: Path
) -> None:
    child = web_portal.school.children[1]
    before = web_portal.photo_sha(child)
    big = tmp_path / "grande.png"
    big.write_bytes(png() + bytes(10 * MB))  # a real PNG, padded past 10 MB

    upload_photo(parent, child, big)

    expect(parent.get_by_role("alert")).to_contain_text(TOO_BIG)
    expect(parent.get_by_role("button", name="Envoyer la photo")).to_be_visible()
    assert web_portal.photo_sha(child) == before


def test_a_photo_far_over_10_mb_gets_a_french_page_and_is_not_stored(
    web_portal: WebPortal, parent: Page, tmp_path: Path
) -> None:
    child = web_portal.school.children[1]
    before = web_portal.photo_sha(child)
    huge = tmp_path / "enorme.png"
    huge.write_bytes(png() + bytes(12 * MB))  # over the upload's whole body limit

    upload_photo(parent, child, huge)

    # Refused before the portal reads the body: its own short French page.
    expect(parent.get_by_role("heading", name="Fichier trop volumineux")).to_be_visible()
    expect(parent.get_by_text(TOO_BIG)).to_be_visible()
    screenshot(parent, "famille-photo-trop-grande")
    assert_accessible(parent)
    assert web_portal.photo_sha(child) == before


def test_a_file_that_is_not_an_image_is_refused_in_french_and_not_stored(
    web_portal: WebPortal, parent: Page
) -> None:
    child = web_portal.school.children[1]
    before = web_portal.photo_sha(child)
    text_file = b"Ceci est une liste de courses, pas une photo.\n"

    upload_photo(
        parent, child, {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": text_file}
    )

    expect(parent.get_by_role("alert")).to_contain_text(NOT_AN_IMAGE)
    photo_field = parent.locator("#photo-fichier")
    expect(photo_field).to_have_attribute("aria-invalid", "true")
    expect(photo_field).to_have_accessible_description(re.compile(NOT_AN_IMAGE))
    assert web_portal.photo_sha(child) == before


def test_a_photo_without_the_consent_box_ticked_is_refused_and_not_stored(
    web_portal: WebPortal, parent: Page
) -> None:
    child = web_portal.school.children[1]
    before = web_portal.photo_sha(child)
    payload: FilePayload = {"name": "lea.png", "mimeType": "image/png", "buffer": png()}

    # The browser itself keeps the form until the box is ticked (it is required)...
    upload_photo(parent, child, payload, consent=False)
    consent = parent.get_by_role("checkbox", name=re.compile("J'accepte que cette photo"))
    assert consent.evaluate("box => box.validity.valueMissing")
    expect(parent.get_by_role("button", name="Envoyer la photo")).to_be_visible()
    assert web_portal.photo_sha(child) == before

    # ...and the portal says why in French when a browser sends it anyway.
    parent.locator("form[enctype='multipart/form-data']").evaluate("form => form.noValidate = true")
    parent.get_by_role("button", name="Envoyer la photo").click()
    expect(parent.get_by_role("alert")).to_contain_text(NO_CONSENT)
    expect(consent).to_have_accessible_description(re.compile(NO_CONSENT))
    assert web_portal.photo_sha(child) == before
