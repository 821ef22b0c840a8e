"""« Cartes » of the intendance: blocking a card (reason required; the feed carries it;
an audit row), a new card number that is never one the school ever issued, and the card
sheets as PDF, rasterised and their barcodes decoded back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from cantine_contract.card_sheet import CARD_HEIGHT, CARD_WIDTH, PAGE_HEIGHT, card_origin
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.roster import RosterRow, import_roster, transfer_child
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import AuditEntry, Card, Change
from tests.support.family_pages import INTENDANCE, Family

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterises the PDF")
pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar decodes the printed barcodes")

CARDS = "/intendance/cartes"


def _card_status(pages: Family, code: str) -> str:
    with session_scope(pages.engine) as session:
        return session.execute(select(Card.status).where(Card.code == code)).scalar_one()


def _feed_card(pages: Family, code: str) -> dict[str, object] | None:
    answer = pages.anonymous.client.get(
        "/v1/sync/changes",
        params={"since": 0, "limit": 5000},
        headers={"Authorization": f"Bearer {pages.school.station_token}"},
    )
    found = [c for c in answer.json()["changes"] if c["kind"] == "card" and c["key"] == code]
    return found[0]["data"] if found else None


def test_search_by_name_or_card_lists_the_childs_cards(pages: Family) -> None:
    browser = pages.intendance
    for typed in ("herve dupont", "01234", "1849-01234"):
        page = browser.client.get(CARDS, params={"q": typed})
        assert "DUPONT Hervé" in page.text, typed
        assert "1849-01234" in page.text
    lost = browser.client.get(CARDS, params={"q": "zoe"})
    assert "1849-01237" in lost.text and "perdue" in lost.text
    assert "Aucun élève ne correspond" in browser.client.get(CARDS, params={"q": "1850-01234"}).text


def test_blocking_a_card_needs_a_reason_reaches_the_feed_and_is_audited(pages: Family) -> None:
    browser = pages.intendance
    refused = browser.post(
        f"{CARDS}/bloquer", {"card": "1849-01234", "reason": "", "q": "dupont"}, page=CARDS
    )
    assert refused.status_code == 422
    assert "Choisissez pourquoi la carte est bloquée." in refused.text
    assert _card_status(pages, "1849-01234") == "active"

    done = browser.post(
        f"{CARDS}/bloquer", {"card": "1849-01234", "reason": "volee", "q": "dupont"}, page=CARDS
    )
    assert done.status_code == 303
    assert "bloquée" in browser.client.get(done.headers["location"]).text
    assert _card_status(pages, "1849-01234") == "blocked"
    assert _feed_card(pages, "1849-01234") == {
        "code": "1849-01234",
        "child_id": "C1849-42",
        "status": "blocked",
    }
    with session_scope(pages.engine) as session:
        [entry] = session.execute(select(AuditEntry)).scalars().all()
        assert (entry.actor, entry.action, entry.subject) == (
            INTENDANCE,
            "card_block",
            "child C1849-42",
        )
        assert json.loads(entry.detail) == {
            "before": {"carte": "1849-01234", "statut": "active"},
            "after": {"carte": "1849-01234", "statut": "blocked", "motif": "volée"},
        }
    again = browser.post(f"{CARDS}/bloquer", {"card": "1849-01234", "reason": "perdue"}, page=CARDS)
    assert again.status_code == 422 and "déjà bloquée" in again.text


def test_another_schools_card_or_child_is_404(pages: Family) -> None:
    other = pages.other_intendance
    blocked = other.post(f"{CARDS}/bloquer", {"card": "1849-01234", "reason": "perdue"}, page=CARDS)
    assert blocked.status_code == 404
    issued = other.post(f"{CARDS}/nouvelle", {"child": "C1849-42"}, page=CARDS)
    assert issued.status_code == 404
    printed = other.client.get(f"{CARDS}/imprimer.pdf", params={"eleve": "C1849-42"})
    assert printed.status_code == 404
    assert _card_status(pages, "1849-01234") == "active"


def _issue(pages: Family, child: str) -> str:
    """« Émettre une nouvelle carte » for ``child``; the new card's code."""
    answer = pages.intendance.post(f"{CARDS}/nouvelle", {"child": child}, page=CARDS)
    assert answer.status_code == 303, answer.text
    with session_scope(pages.engine) as session:
        codes = session.execute(
            select(Card.code).where(Card.status == "active").order_by(Card.code)
        ).scalars()
        return max(c for c in codes if c.startswith("1849-"))


def test_a_new_card_takes_the_next_number_and_never_one_issued_before(pages: Family) -> None:
    # The seeded cards go up to 1849-01238: the first new card is 01239, and Hervé's
    # card in use is blocked (a child carries one card).
    assert _issue(pages, "C1849-42") == "1849-01239"
    assert _card_status(pages, "1849-01234") == "blocked"
    assert _feed_card(pages, "1849-01239") == {
        "code": "1849-01239",
        "child_id": "C1849-42",
        "status": "active",
    }
    assert _feed_card(pages, "1849-01234") is not None
    # Noah gets 01240, then changes school: his cards are removed from the portal…
    assert _issue(pages, "C1849-46") == "1849-01240"
    with session_scope(pages.engine) as session:
        school = require_school(session, code="1849")
        transfer_child(
            session, school=school, child_id="C1849-46", to=require_school(session, code="1850")
        )
        assert session.execute(select(Card).where(Card.code == "1849-01240")).first() is None
    # …and 01240 is still never given again.
    assert _issue(pages, "C1849-44") == "1849-01241"
    # A card the school's file gave (1849-05000) and one its stations were told of then
    # removed (1849-07000) both count as issued.
    with session_scope(pages.engine) as session:
        school = require_school(session, code="1849")
        import_roster(session, school=school, rows=[_row("C1849-91", "1849-05000")])
        session.add(Change(school_id=school.id, kind="card", key="1849-07000", seq=0, data=None))
    assert _issue(pages, "C1849-91") == "1849-07001"
    with session_scope(pages.engine) as session:
        actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert sorted(set(actions)) == ["card_issue", "child_transfer"]
    assert actions.count("card_issue") == 4


def _row(child: str, card: str) -> RosterRow:
    return RosterRow(
        child_id=child,
        last_name="ROUX",
        first_name="Inès",
        class_name="4C",
        birth_date=None,
        card_code=card,
        card_status="active",
        regime="ticket",
        forfait_days="",
        tariff="T1",
        diet=(),
        allergies=(),
        family_id="F18493",
        family_email=None,
        photo=None,
    )


def _decode_pdf(data: bytes, dpi: int = 300) -> list[list[str]]:
    """Per page, the code decoded from each card cell, in grid order (pyzbar)."""
    scale = dpi / 72
    pages = []
    pdf = pdfium.PdfDocument(data)
    for page in pdf:
        width, height = page.get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        image = np.array(page.render(scale=scale, grayscale=True).to_pil().convert("L"))
        codes = []
        for index in range(10):
            x, y = card_origin(index)
            top = int((PAGE_HEIGHT - y - CARD_HEIGHT) * scale)
            left = int(x * scale)
            cell = image[
                top : top + int(CARD_HEIGHT * scale), left : left + int(CARD_WIDTH * scale)
            ]
            found = pyzbar.decode(np.ascontiguousarray(cell))
            if not found:
                break
            codes.append(found[0].data.decode("ascii"))
        pages.append(codes)
    pdf.close()
    return pages


def test_printed_cards_decode_back_to_the_active_card_numbers(pages: Family) -> None:
    browser = pages.intendance
    one = browser.client.get(f"{CARDS}/imprimer.pdf", params={"eleve": "C1849-42"})
    assert one.status_code == 200 and one.headers["content-type"] == "application/pdf"
    assert _decode_pdf(one.content) == [["1849-01234"]]
    klass = browser.client.get(f"{CARDS}/imprimer.pdf", params={"classe": "6B"})
    assert sorted(_decode_pdf(klass.content)[0]) == ["1849-01234", "1849-01236"]
    everyone = browser.client.get(f"{CARDS}/imprimer.pdf", params={"tout": "1"})
    # Zoé's card is lost: not printed.
    assert sorted(c for p in _decode_pdf(everyone.content) for c in p) == [
        "1849-01234",
        "1849-01235",
        "1849-01236",
        "1849-01238",
    ]
    nothing = browser.client.get(
        f"{CARDS}/imprimer.pdf", params={"classe": "3Z"}, follow_redirects=True
    )
    assert nothing.status_code == 200
    assert "Aucune carte active à imprimer pour ce choix." in nothing.text
