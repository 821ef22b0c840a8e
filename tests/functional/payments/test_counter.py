"""Payments at the counter: the intendance records cash or a cheque for a family of its
school, credited at once, once per reference, with an audit row and a « Reçu de
paiement » PDF that shows the amount."""

from __future__ import annotations

import pypdfium2
import pytest

from portal_sync_api.core.db import session_scope
from portal_sync_api.errors import PortalError
from portal_sync_api.imports import load_credits
from tests.support.payments_portal import NEIGHBOUR, Payments, csrf, log_in


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as PDFium extracts it."""
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_the_same_counter_reference_twice_is_one_payment_and_one_credit(pay: Payments) -> None:
    before = pay.balance()
    body = {"amount_cents": 3500, "method": "cheque", "reference": "CHQ 0042"}

    with pay.api(pay.school.intendance_token) as client:
        first = client.post(f"/v1/families/{pay.family}/payments", json=body)
        again = client.post(f"/v1/families/{pay.family}/payments", json=body)
        other_amount = client.post(
            f"/v1/families/{pay.family}/payments", json={**body, "amount_cents": 3600}
        )

    assert first.status_code == 201 and first.json()["changed"] is True
    assert first.json()["state"] == "paid"
    assert again.status_code == 200 and again.json()["changed"] is False
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert other_amount.status_code == 409 and other_amount.json()["field"] == "reference"
    assert pay.balance() == before + 3500
    audit = pay.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'counter_payment' AND subject = :s",
        s=f"family {pay.family}",
    )
    assert audit == 1


def test_the_receipt_pdf_shows_the_amount_method_and_reference(pay: Payments) -> None:
    with pay.api(pay.school.intendance_token) as client:
        made = client.post(
            f"/v1/families/{pay.family}/payments",
            json={"amount_cents": 2000, "method": "cash", "reference": "R-2026-001"},
        ).json()

    pdf = pay.intendance.get(made["receipt_url"])
    own = pay.parent.get(f"/famille/paiements/{made['payment_id']}/recu.pdf")

    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content).replace("\u00a0", " ")
    assert "Reçu de paiement" in text
    assert "20,00 €" in text
    assert "Espèces" in text and "R-2026-001" in text
    assert made["payment_id"] in text and pay.family in text and "Collège 1849" in text
    assert own.status_code == 200 and own.content.startswith(b"%PDF")


def test_the_counter_form_records_the_payment_and_comes_back_with_a_message(
    pay: Payments,
) -> None:
    before = pay.balance()
    token = csrf(pay.intendance, "/intendance")
    form = {"amount": "12,50", "method": "cheque", "reference": "CHQ-7788", "csrf_token": token}

    first = pay.intendance.post(f"/intendance/familles/{pay.family}/paiements", data=form)
    again = pay.intendance.post(f"/intendance/familles/{pay.family}/paiements", data=form)

    assert first.status_code == 303
    assert first.headers["location"] == f"/intendance/familles/{pay.family}"
    assert "Paiement%20enregistr" in first.headers["set-cookie"]
    assert "d%C3%A9j%C3%A0%20enregistr" in again.headers["set-cookie"]
    assert pay.balance() == before + 1250
    bad = pay.intendance.post(
        f"/intendance/familles/{pay.family}/paiements",
        data={**form, "reference": "", "amount": "10"},
    )
    assert bad.status_code == 303 and "non%20enregistr" in bad.headers["set-cookie"]
    assert pay.balance() == before + 1250


def test_only_the_intendance_records_and_nobody_reads_another_familys_receipt(
    pay: Payments,
) -> None:
    with pay.api(pay.school.intendance_token) as client:
        made = client.post(
            f"/v1/families/{pay.family}/payments",
            json={"amount_cents": 1000, "method": "cheque", "reference": "CHQ-PRIVE"},
        ).json()
    with pay.api(pay.school.parent_token) as client:
        by_parent = client.post(
            f"/v1/families/{pay.family}/payments",
            json={"amount_cents": 1000, "method": "cash", "reference": "X"},
        )

    with log_in(pay.portal.url, NEIGHBOUR) as neighbour:
        receipt = neighbour.get(f"/famille/paiements/{made['payment_id']}/recu.pdf")
    token = csrf(pay.intendance, "/intendance")
    unknown_family = pay.intendance.post(
        "/intendance/familles/F-NOBODY/paiements",
        data={"amount": "10", "method": "cash", "reference": "R1", "csrf_token": token},
    )

    assert by_parent.status_code == 403 and by_parent.json()["field"] == "method"
    assert receipt.status_code == 404
    assert unknown_family.status_code == 404


def test_a_credits_file_cannot_take_a_payments_ledger_reference(pay: Payments) -> None:
    data = f"family_id,amount_cents,reference\n{pay.family},100,payment:SBX-GUESSED\n".encode()
    before = pay.balance()

    with pytest.raises(PortalError) as refused, session_scope(pay.engine) as session:
        load_credits(session, data, "1849")

    assert "line 2" in str(refused.value) and "payment:" in str(refused.value)
    assert pay.balance() == before
