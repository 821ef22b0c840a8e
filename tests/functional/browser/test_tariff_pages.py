"""The quotient familial and the low-balance notice in chromium: the intendance records a
family's QF (a bad value is refused in French on the page, nothing recorded), the parent
reads « Votre tarif » on « Situation de mes comptes » and turns the low-balance notice off
and on; each page has no serious or critical axe-core violation at phone and desktop
widths, and is photographed into /tmp/shots/tariffs/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from portal_sync_api.crud.changes import ChangeBuffer
from portal_sync_api.crud.notices import low_balance_notice_on, set_low_balance_notice
from portal_sync_api.crud.qf_bands import refresh_categories, set_brackets
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.schools import require_school
from portal_sync_api.crud.tariffs_qf import parse_brackets, school_today
from portal_sync_api.models import FamilyQuotient
from tests.functional.browser.pages import log_in_as
from tests.support.browser import Viewport, assert_accessible
from tests.support.web_portal import WebPortal

SHOTS = Path("/tmp/shots/tariffs")
VALID_UNTIL = date(2099, 8, 31)


def shoot(page: Page, name: str, width: Viewport) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def brackets(web_portal: WebPortal) -> Iterator[WebPortal]:
    """School 1849 prices lunch by QF for the test; afterwards its brackets, the seeded
    family's QFs and notice choice are gone (the other browser tests share the portal)."""
    with web_portal.db() as session:
        set_brackets(
            session,
            school=require_school(session, code="1849"),
            service="dejeuner",
            brackets=parse_brackets("0-699:100,700-999:250,1000-:415"),
            actor="test",
        )
    yield web_portal
    with web_portal.db() as session:
        school = require_school(session, code="1849")
        family = family_by_ref(session, ref=web_portal.family, school_code="1849")
        session.execute(delete(FamilyQuotient).where(FamilyQuotient.family_id == family.id))
        set_brackets(session, school=school, service="dejeuner", brackets=[], actor="test")
        buffer = ChangeBuffer()
        refresh_categories(session, school=school, today=school_today(school), buffer=buffer)
        buffer.flush(session)
        set_low_balance_notice(session, family_id=family.id, enabled=True)


def _record(page: Page, qf: str, start: str, end: str) -> None:
    page.get_by_role("textbox", name="Quotient familial", exact=True).fill(qf)
    page.get_by_label("Valable à partir du", exact=True).fill(start)
    page.get_by_label("Valable jusqu'au", exact=True).fill(end)
    page.get_by_role("button", name="Enregistrer le quotient familial").click()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_intendance_records_a_quotient_and_the_parent_reads_the_tariff_it_gives(
    brackets: WebPortal, new_page: Callable[[Viewport], Page], width: Viewport
) -> None:
    web = brackets
    intendance = new_page(width)
    log_in_as(intendance, web.intendance_email, web.intendance_password, lands_on="/intendance")
    intendance.goto(f"/intendance/familles/{web.family}/quotient")
    expect(intendance.get_by_text("Aucun quotient familial enregistré")).to_be_visible()
    expect(intendance.get_by_text("déjeuner 4,15\u00a0€ (tranche la plus haute)")).to_be_visible()
    assert_accessible(intendance)
    shoot(intendance, "quotient-vide", width)

    # A refusal: the end before the start, in French beside its field; nothing recorded.
    _record(intendance, "812", "2026-09-01", "2026-08-31")
    expect(intendance.get_by_text("La fin de validité précède le début.")).to_be_visible()
    expect(intendance.get_by_label("Valable jusqu'au", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_accessible(intendance)
    shoot(intendance, "quotient-refus", width)
    _record(intendance, "beaucoup", "2026-09-01", "2027-08-31")
    expect(intendance.get_by_text("Nombre entier attendu (ex. 812).")).to_be_visible()
    with web.db() as session:
        family = family_by_ref(session, ref=web.family, school_code="1849")
        recorded = session.scalars(
            select(FamilyQuotient).where(FamilyQuotient.family_id == family.id)
        ).all()
    assert recorded == []

    _record(intendance, "812", "2026-09-01", VALID_UNTIL.isoformat())
    expect(intendance).to_have_url(re.compile(rf"/intendance/familles/{web.family}$"))
    expect(intendance.get_by_text("Quotient familial 812 enregistré")).to_be_visible()
    expect(intendance.get_by_text("En vigueur : 812")).to_be_visible()
    assert_accessible(intendance)
    shoot(intendance, "famille-avec-quotient", width)
    intendance.goto(f"/intendance/familles/{web.family}/quotient")
    expect(intendance.get_by_text("En vigueur : 812")).to_be_visible()
    shoot(intendance, "quotient-enregistre", width)

    parent = new_page(width)
    log_in_as(parent, web.parent_email, web.parent_password, lands_on="/famille")
    parent.goto("/famille/comptes")
    expect(parent.locator("p.tarif")).to_have_text(
        "Votre tarif : 2,50\u00a0€ (quotient familial 812, valable jusqu'au 31 août 2099)."
    )
    box = parent.get_by_label("Me prévenir quand le solde passe sous 30,00\u00a0€")
    expect(box).to_be_checked()
    assert_accessible(parent)
    shoot(parent, "comptes-tarif-avis", width)

    box.uncheck()
    parent.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(parent).to_have_url(re.compile(r"/famille/comptes$"))
    expect(parent.get_by_text("vous ne recevrez plus d'e-mail")).to_be_visible()
    expect(
        parent.get_by_label("Me prévenir quand le solde passe sous 30,00\u00a0€")
    ).not_to_be_checked()
    with web.db() as session:
        assert low_balance_notice_on(session, family_id=family.id) is False
    parent.get_by_label("Me prévenir quand le solde passe sous 30,00\u00a0€").check()
    parent.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(parent.get_by_text("vous serez prévenu par e-mail")).to_be_visible()
    with web.db() as session:
        assert low_balance_notice_on(session, family_id=family.id) is True


def test_an_unknown_family_or_a_parent_gets_the_404_page(
    brackets: WebPortal, new_page: Callable[[Viewport], Page]
) -> None:
    web = brackets
    intendance = new_page("desktop")
    log_in_as(intendance, web.intendance_email, web.intendance_password, lands_on="/intendance")
    answer = intendance.goto("/intendance/familles/F-inconnue/quotient")
    assert answer is not None and answer.status == 404
    parent = new_page("desktop")
    log_in_as(parent, web.parent_email, web.parent_password, lands_on="/famille")
    answer = parent.goto(f"/intendance/familles/{web.family}/quotient")
    assert answer is not None and answer.status == 404
