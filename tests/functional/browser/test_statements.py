"""Monthly statements in chromium: the parent's « Relevés » page and the intendance's bulk
page have no serious or critical axe-core violation at phone and desktop sizes and never
scroll sideways; the PDF link downloads this month's statement, whose text names the
family and the meal a station synced; a month the intendance cannot have is said on the
page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from portal_sync_api.web.format import month_label
from tests.functional.browser.pages import log_in_as
from tests.support.browser import Viewport, assert_accessible
from tests.support.statement_files import csv_statements, pdf_pages
from tests.support.web_portal import SEEDED_MEAL_ID, WebPortal

#: Screenshots of the new pages, looked at by whoever changes them.
SHOTS = Path("/tmp/shots/statements")


def this_month() -> tuple[str, str]:
    """``("2026-11", "Novembre 2026")`` on the Paris clock."""
    now = datetime.now(ZoneInfo("Europe/Paris"))
    return f"{now:%Y-%m}", month_label(now.year, now.month).capitalize()


def shoot(page: Page, name: str, viewport: Viewport) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{viewport}.png"), full_page=True)


def assert_fits(page: Page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths[0]} in {widths[1]}"


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_releves_page_is_accessible_and_its_pdf_link_downloads_the_statement(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], viewport: Viewport
) -> None:
    page = new_page(viewport)
    log_in_as(page, web_portal.parent_email, web_portal.parent_password, lands_on="/famille")
    page.get_by_role("link", name="Relevés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes relevés")
    period, label = this_month()
    expect(page.get_by_role("rowheader", name=label)).to_be_visible()
    shoot(page, "famille-releves", viewport)
    assert_accessible(page)
    assert_fits(page)

    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label))
    with page.expect_download() as pdf_download:
        row.get_by_role("link", name="Télécharger le relevé (PDF)").click()
    download = pdf_download.value
    assert download.suggested_filename == f"releve-1849-{web_portal.family}-{period}.pdf"
    text = "\n".join(pdf_pages(Path(download.path()).read_bytes()))
    assert f"Relevé de compte de cantine — {label.lower()}" in text
    assert f"{web_portal.family} — Hervé DUPONT, Léa DUPONT" in text
    assert f"meal:{SEEDED_MEAL_ID}" in text

    with page.expect_download() as csv_download:
        row.get_by_role("link", name="CSV").click()
    families = csv_statements(Path(csv_download.value.path()).read_bytes())
    assert list(families) == [web_portal.family]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_intendance_bulk_page_is_accessible_and_says_why_a_month_is_refused(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page], viewport: Viewport
) -> None:
    page = new_page(viewport)
    log_in_as(
        page, web_portal.intendance_email, web_portal.intendance_password, lands_on="/intendance"
    )
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Relevés"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevés mensuels")
    shoot(page, "intendance-releves", viewport)
    assert_accessible(page)
    assert_fits(page)

    period, _ = this_month()
    expect(page.get_by_label("Mois")).to_have_value(period)
    with page.expect_download() as zip_download:
        page.get_by_role("button", name="Télécharger les relevés (ZIP)").click()
    assert zip_download.value.suggested_filename == f"releves-1849-{period}.zip"

    page.goto("/intendance/releves?mois=2026-13")
    expect(page.get_by_role("alert")).to_contain_text("choisissez un mois dans la liste")
    expect(page.get_by_label("Mois")).to_have_attribute("aria-invalid", "true")
    shoot(page, "intendance-releves-refus", viewport)
    assert_accessible(page)
    assert re.search(r"Relevés mensuels", page.title())


def test_the_family_page_of_the_intendance_links_this_months_statement(
    web_portal: WebPortal, new_page: Callable[[Viewport], Page]
) -> None:
    page = new_page("desktop")
    log_in_as(
        page, web_portal.intendance_email, web_portal.intendance_password, lands_on="/intendance"
    )
    page.goto(f"/intendance/familles/{web_portal.family}")
    section = page.get_by_role("region", name="Relevés mensuels")
    expect(section).to_be_visible()
    section.scroll_into_view_if_needed()
    shoot(page, "intendance-famille-releves", "desktop")
    period, label = this_month()
    with page.expect_download() as pdf_download:
        section.get_by_role("listitem").filter(has_text=label).get_by_role(
            "link", name="relevé (PDF)"
        ).click()
    assert pdf_download.value.suggested_filename == (
        f"releve-1849-{web_portal.family}-{period}.pdf"
    )
