"""« Reçu de paiement »: a one-page A4 PDF of a payment received (reportlab).

It says the receipt number (the payment's reference), the date in the school's time zone,
the family (the school's id), the amount in figures, the method, the payment's own
reference (a cheque number) and the school. No child is named.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from portal_sync_api.core.money import euros


@dataclass(frozen=True)
class Receipt:
    """What the receipt prints."""

    number: str
    paid_at: str
    family_ref: str
    amount_cents: int
    method_label: str
    reference: str | None
    school_name: str
    school_code: str
    timezone: str = "Europe/Paris"
    demo: bool = False


def _pdf_text(text: str) -> str:
    # The standard PDF fonts have the no-break space but not the narrow one (thousands).
    return text.replace("\u202f", " ")


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as PDF bytes."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Reçu de paiement {receipt.number}")
    canvas.setAuthor(receipt.school_name)
    height = A4[1]
    left, y = 20 * mm, height - 25 * mm
    canvas.setFont("Helvetica-Bold", 18)
    canvas.drawString(left, y, "Reçu de paiement")
    y -= 9 * mm
    canvas.setFont("Helvetica", 11)
    canvas.drawString(
        left, y, _pdf_text(f"{receipt.school_name} (établissement {receipt.school_code})")
    )
    y -= 6 * mm
    canvas.drawString(left, y, "Restauration scolaire")
    y -= 14 * mm
    when = datetime.fromisoformat(receipt.paid_at).astimezone(ZoneInfo(receipt.timezone))
    rows = [
        ("Reçu n°", receipt.number),
        ("Date", when.strftime("%d/%m/%Y à %H:%M")),
        ("Famille", receipt.family_ref),
        ("Montant", euros(receipt.amount_cents)),
        ("Mode de paiement", receipt.method_label),
        ("Référence", receipt.reference or "—"),
    ]
    for label, value in rows:
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(left, y, label)
        canvas.setFont("Helvetica", 12)
        canvas.drawString(left + 50 * mm, y, _pdf_text(value))
        y -= 8 * mm
    y -= 6 * mm
    canvas.setFont("Helvetica", 10)
    canvas.drawString(
        left, y, "Somme portée au crédit du compte de restauration scolaire de la famille."
    )
    if receipt.demo:
        y -= 6 * mm
        canvas.drawString(left, y, "Paiement de démonstration : aucun paiement réel.")
    canvas.setFont("Helvetica", 8)
    canvas.drawString(left, 15 * mm, _pdf_text(f"Reçu {receipt.number} — {receipt.school_name}"))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
