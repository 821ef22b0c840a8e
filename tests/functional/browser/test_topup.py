"""A parent tops up 20,00 € in the real browser through the real sandbox bank: back on
« Situation de mes comptes » the balance shows it, and a real station that syncs sees the
new balance. The accounts page, the page before the bank and the return page have no
serious or critical axe-core violation, at phone and desktop sizes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from station.sync.runner import sync_once
from tests.functional.browser.pages import log_in_as
from tests.support.browser import Viewport, assert_accessible, screenshot
from tests.support.payments_portal import PARENT, Payments, payments_running
from tests.support.sync import make_station

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def pay() -> Iterator[Payments]:
    """A portal paying through the sandbox bank (not the session's shared portal)."""
    with payments_running() as running:
        yield running


@pytest.fixture
def browser_context_args(pay: Payments) -> dict[str, Any]:
    """Pages open on this module's portal."""
    return {"base_url": pay.portal.url}


def shown_balance(page: Page) -> str:
    """« Solde actuel du compte » as the accounts page writes it."""
    return page.locator("p.solde strong").inner_text()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_parent_tops_up_through_the_bank_and_the_station_sees_it(
    pay: Payments, new_page: Callable[[Viewport], Page], viewport: Viewport, tmp_path: Path
) -> None:
    from tests.support.payments_portal import PASSWORD

    station = make_station(tmp_path, pay.portal.url, pay.school.station_token)
    assert sync_once(station.config).ok
    before = station.balance(pay.family)
    page = new_page(viewport)
    log_in_as(page, PARENT, PASSWORD, lands_on="/famille")
    page.goto("/famille/comptes")
    expect(page.get_by_text("Paiement de démonstration").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "paiement-comptes")

    page.get_by_label("Montant à créditer", exact=True).fill("20,00")
    page.get_by_role("button", name="Procéder au paiement").click()
    expect(page.get_by_role("heading", name="Paiement en ligne")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "paiement-banque")
    page.get_by_role("link", name="Continuer vers la banque").click()
    expect(page.get_by_text("Banque de démonstration — aucun paiement réel")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "paiement-banque-demo")
    page.get_by_role("button", name="Payer").click()

    expect(page).to_have_url(re.compile(r"/famille/paiements/PAY-[0-9A-F]+/retour$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Paiement accepté — 20,00\u00a0€ crédités"
    )
    assert_accessible(page)
    screenshot(page, "paiement-retour")
    page.get_by_role("link", name="Revenir à mes comptes").click()
    expected = before + 2000
    euros = f"{expected // 100},{expected % 100:02d}\u00a0€"
    assert shown_balance(page) == euros
    expect(page.get_by_role("cell", name="Payé").first).to_be_visible()

    assert sync_once(station.config).ok
    assert station.balance(pay.family) == expected
    station.close()


def test_a_refused_amount_is_said_next_to_the_field(
    pay: Payments, new_page: Callable[[Viewport], Page]
) -> None:
    from tests.support.payments_portal import PASSWORD

    page = new_page("phone")
    log_in_as(page, PARENT, PASSWORD, lands_on="/famille")
    page.goto("/famille/comptes")
    page.get_by_label("Montant à créditer", exact=True).fill("5")
    page.get_by_role("button", name="Procéder au paiement").click()

    field = page.get_by_label("Montant à créditer", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text(
        "Le montant minimum à créditer est de 10,00\u00a0€."
    )
    assert_accessible(page)
    screenshot(page, "paiement-refus-minimum")
