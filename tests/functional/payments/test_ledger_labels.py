"""The parents' ledger says how money came in: a top-up through the bank reads « Paiement
en ligne », a cheque recorded at the counter « Paiement au guichet (chèque) », a credit
of the credits file stays « Crédit »."""

from __future__ import annotations

import re

from cantine_harness.sandbox_bank import SandboxBank
from tests.support.payments_portal import Payments


def ledger_labels(pay: Payments) -> list[str]:
    """The ledger's labels on « Situation de mes comptes », newest first."""
    page = pay.parent.get("/famille/comptes")
    assert page.status_code == 200
    history = page.text.split('id="titre-historique"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<td>(Paiement en ligne|Paiement au guichet \([a-zè]+\)|Crédit)", history)


def test_a_payment_reads_as_online_or_at_the_counter_in_the_ledger(
    pay: Payments, bank: SandboxBank
) -> None:
    started = pay.start(2500)
    back = bank.act(started["redirect_url"], "payer")
    assert back.status_code == 303 and pay.state(started["payment_id"]) == "paid"
    with pay.api(pay.school.intendance_token) as client:
        answer = client.post(
            f"/v1/families/{pay.family}/payments",
            json={"amount_cents": 1500, "method": "cheque", "reference": "CHQ 7781"},
        )
    assert answer.status_code == 201

    labels = ledger_labels(pay)
    assert labels[:2] == ["Paiement au guichet (chèque)", "Paiement en ligne"]
    assert "Crédit" in labels[2:]  # the seeded school's opening credit, from its file
