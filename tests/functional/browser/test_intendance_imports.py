"""The intendance's imports and a collectivité administrator's pages in chromium: a file
sent through the form (« Type de fichier », « Fichier CSV », « Prévisualiser »), its
preview, « Valider »; a refused file; the collectivité's first login by link, its summary
and the « Établissement » switcher. Each page: axe-core finds no serious or critical
violation, at phone and desktop sizes, and nothing scrolls sideways."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cantine_harness.portal import seed_school
from portal_sync_api.cli import main
from portal_sync_api.models import School
from tests.functional.browser.pages import choose_password, log_in_as
from tests.support.browser import Viewport, assert_accessible, screenshot, viewport_name
from tests.support.web_portal import WebPortal

#: Where the pages' pictures go besides tests/screenshots/ (to look at them).
SHOTS = Path("/tmp/shots/imports")
#: A second school of the shared portal, for the collectivité administrator.
SECOND = "0684"
PASSWORD = "collectivite navigateur"


def _look(page: Page, name: str) -> None:
    """Screenshot the page (tests/screenshots/ and ``SHOTS``), then check it: axe-core,
    and no sideways scrolling."""
    screenshot(page, f"intendance-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport_name(page)}.png"), full_page=True)
    assert_accessible(page)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths[0]}px in {widths[1]}px"


def _send(page: Page, kind: str, name: str, data: bytes) -> None:
    page.goto("/intendance/imports")
    page.get_by_label("Type de fichier").select_option(label=kind)
    page.get_by_label("Fichier CSV").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Prévisualiser").click()


@pytest.fixture(scope="module")
def collectivite(web_portal: WebPortal) -> Iterator[str]:
    """A collectivité administrator of 1849 and a second school (its address); its
    password is chosen in the browser by each test, through a fresh link."""
    with web_portal.db() as session:
        known = session.execute(select(School.id).where(School.code == SECOND)).first()
    if known is None:
        seed_school(web_portal.database_url, code=SECOND, tokens=False)
    email = f"collectivite-{uuid.uuid4().hex[:8]}@example.fr"
    assert main(["--db", web_portal.database_url, "user", "create", "--role", "collectivite",
                 "--email", email, "--school", "1849", "--school", SECOND]) == 0  # fmt: skip
    yield email


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_roster_goes_through_the_form_its_preview_and_valider(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], viewport: Viewport
) -> None:
    page = new_page(viewport)
    log_in_as(
        page, web_portal.intendance_email, web_portal.intendance_password, lands_on="/intendance"
    )
    page.goto("/intendance/imports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer un fichier")
    _look(page, "imports")
    pupil = f"B{uuid.uuid4().hex[:8]}"
    data = (
        "child_id;last_name;first_name;class;school;family_id\n"
        f"{pupil};NAVIGATEUR;Inès;6B;1849;F18491\n"
    ).encode()

    _send(page, "Liste des élèves", "eleves-navigateur.csv", data)

    expect(page.get_by_role("heading", level=1)).to_have_text("Aperçu de l'import")
    expect(page.get_by_text("Élèves ajoutés : 1")).to_be_visible()
    expect(page.get_by_role("cell", name="NAVIGATEUR")).to_be_visible()
    _look(page, "imports-apercu")
    assert web_portal.count("FROM children WHERE ref = :ref", ref=pupil) == 0

    page.get_by_role("button", name="Valider").click()

    expect(page).to_have_url(re.compile(r"/intendance/imports$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Fichier « eleves-navigateur.csv » importé : 1 ligne, 1 élève(s) ajouté(s)"
    )
    assert web_portal.count("FROM children WHERE ref = :ref", ref=pupil) == 1


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_refused_file_lists_its_lines_on_the_page(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], viewport: Viewport
) -> None:
    page = new_page(viewport)
    log_in_as(
        page, web_portal.intendance_email, web_portal.intendance_password, lands_on="/intendance"
    )
    data = b"family_id;amount_cents;reference\nF18491;abc;VIR-NAV-1\nF18491;-5;VIR-NAV-2\n"

    _send(page, "Crédits (paiements reçus)", "virements.csv", data)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Ligne 2 — colonne amount_cents : nombre entier attendu")
    expect(alert).to_contain_text("Ligne 3 — colonne amount_cents : doit être entre 1 et")
    _look(page, "imports-refuse")
    assert web_portal.count("FROM ledger WHERE reference LIKE 'VIR-NAV-%'") == 0


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_collectivite_chooses_its_password_sees_its_schools_and_switches(
    web_portal: WebPortal,
    new_page: Callable[[Viewport], Page],
    viewport: Viewport,
    collectivite: str,
) -> None:
    page = new_page(viewport)
    choose_password(page, web_portal.password_link(collectivite), PASSWORD)
    log_in_as(page, collectivite, PASSWORD, lands_on="/intendance")

    page.get_by_role("link", name="Collectivité").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vos établissements aujourd'hui")
    expect(page.get_by_role("rowheader", name="Collège 1849 (1849)")).to_be_visible()
    expect(page.get_by_role("rowheader", name=f"Collège {SECOND} ({SECOND})")).to_be_visible()
    _look(page, "collectivite")

    page.get_by_label("Établissement").select_option(label=f"Collège {SECOND}")
    page.get_by_role("button", name="Changer").click()

    expect(page).to_have_url(re.compile(r"/intendance/collectivite$"))
    expect(page.locator(".etablissement")).to_have_text(f"Collège {SECOND}")
    page.goto("/intendance/imports")
    expect(page.locator(".etablissement")).to_have_text(f"Collège {SECOND}")
    expect(page.get_by_label("Établissement")).to_have_value(SECOND)
