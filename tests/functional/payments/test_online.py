"""Online top-ups through the real sandbox bank: only a signed notification or the
portal's own status query credits the wallet, exactly once; refused, abandoned, lost and
expired payments credit nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from cantine_harness.portal import free_port, running_portal
from cantine_harness.sandbox_bank import SandboxBank
from portal_sync_api.core.config import Settings
from portal_sync_api.crud.payments import expire_due
from portal_sync_api.payments.expiry import PaymentExpiryThread
from portal_sync_api.payments.sandbox import SandboxProvider
from portal_sync_api.payments.signing import SIGNATURE_HEADER, sign
from tests.support.payments_portal import Payments, csrf


def test_a_notification_sent_twice_credits_the_wallet_once(
    pay: Payments, bank: SandboxBank
) -> None:
    bank.control(notification="duplicate")
    before = pay.balance()
    started = pay.start(2000)
    assert started["state"] == "pending" and started["redirect_url"].startswith(bank.url)

    back = bank.act(started["redirect_url"], "payer")

    assert back.status_code == 303
    assert back.headers["location"].endswith(f"/famille/paiements/{started['payment_id']}/retour")
    mine = [s for s in bank.sent() if s["txn_id"] == pay_txn(pay, started)]
    assert [s["portal_status"] for s in mine] == [200, 200]
    assert pay.balance() == before + 2000
    assert pay.credits_of(started["payment_id"]) == 1
    assert pay.state(started["payment_id"]) == "paid"


def test_the_notification_before_the_return_shows_the_payment_accepted(
    pay: Payments, bank: SandboxBank
) -> None:
    before = pay.balance()
    started = pay.start(2000)

    back = bank.act(started["redirect_url"], "payer")  # notifies, then sends back
    page = pay.parent.get(back.headers["location"])

    assert page.status_code == 200
    assert "Paiement accepté — 20,00\u00a0€ crédités" in page.text
    assert "Paiement de démonstration" in page.text
    assert pay.balance() == before + 2000


def test_a_return_without_notification_asks_the_bank_and_credits_once(
    pay: Payments, bank: SandboxBank
) -> None:
    bank.control(notification="held")
    before = pay.balance()
    started = pay.start(1550)
    back = bank.act(started["redirect_url"], "payer")
    assert pay.balance() == before  # nothing proven yet: the browser's return is no proof

    page = pay.parent.get(back.headers["location"])  # the return page asks the bank

    assert "Paiement accepté — 15,50\u00a0€ crédités" in page.text
    assert pay.balance() == before + 1550
    # The held notification comes after the status query: accepted, credits nothing more.
    assert bank.release_held() == 1
    assert pay.balance() == before + 1550
    assert pay.credits_of(started["payment_id"]) == 1


def test_a_badly_signed_notification_is_refused_and_credits_nothing(
    pay: Payments, bank: SandboxBank
) -> None:
    bank.control(notification="bad_signature")
    before = pay.balance()
    started = pay.start(3000)

    bank.act(started["redirect_url"], "payer")

    mine = [s for s in bank.sent() if s["txn_id"] == pay_txn(pay, started)]
    assert [s["portal_status"] for s in mine] == [403]
    assert pay.balance() == before
    assert pay.state(started["payment_id"]) == "pending"
    forged = b'{"ref": "%s", "txn_id": "x", "state": "paid", "amount_cents": 3000}' % (
        started["payment_id"].encode()
    )
    for headers in ({}, {SIGNATURE_HEADER: sign("not the secret", forged)}):
        answer = httpx.post(
            pay.portal.url + "/v1/payments/notifications/sandbox", content=forged, headers=headers
        )
        assert answer.status_code == 403
        assert answer.json()["field"] == "signature"
    assert pay.balance() == before
    log = pay.portal.log.read_text(errors="replace")
    assert "payment notification refused (sandbox): signature" in log
    assert "DUPONT" not in log and "Hervé" not in log


def test_refused_and_abandoned_payments_credit_nothing_and_are_listed(
    pay: Payments, bank: SandboxBank
) -> None:
    before = pay.balance()
    refused = pay.start(1234)
    abandoned = pay.start(1235)

    bank.act(refused["redirect_url"], "refuser")
    back = bank.act(abandoned["redirect_url"], "abandonner")

    assert pay.balance() == before
    assert pay.state(refused["payment_id"]) == "refused"
    assert pay.state(abandoned["payment_id"]) == "abandoned"
    assert "Paiement abandonné" in pay.parent.get(back.headers["location"]).text
    accounts = pay.parent.get("/famille/comptes").text
    assert "12,34\u00a0€" in accounts and "Refusé" in accounts
    assert "12,35\u00a0€" in accounts and "Abandonné" in accounts
    with pay.api(pay.school.parent_token) as client:
        listed = client.get(f"/v1/families/{pay.family}/payments").json()["payments"]
    states = {p["payment_id"]: p["state"] for p in listed}
    assert states[refused["payment_id"]] == "refused"
    assert states[abandoned["payment_id"]] == "abandoned"


def test_a_bank_down_at_redirect_shows_a_message_and_leaves_nothing_pending(
    pay: Payments, tmp_path: Path
) -> None:
    env = {
        "PORTAL_PAYMENT_PROVIDER": "sandbox",
        "PORTAL_SANDBOX_BANK_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens
        "PORTAL_PAYMENT_SECRET": "secret",
    }
    before = int(pay.scalar("SELECT count(*) FROM payments WHERE state = 'pending'"))
    log = tmp_path / "portal.log"
    with running_portal(pay.portal.database_url, env=env, migrate_first=False, log=log) as down:
        from tests.support.payments_portal import PARENT, log_in

        with log_in(down.url, PARENT) as parent:
            token = csrf(parent, "/famille/comptes")
            refused = parent.post(
                "/famille/comptes/paiement", data={"amount": "25,00", "csrf_token": token}
            )
            page = parent.get(refused.headers["location"])
        with down.client(pay.school.parent_token) as client:
            answer = client.post(f"/v1/families/{pay.family}/payments", json={"amount_cents": 2500})

    assert refused.status_code == 303, log.read_text()
    assert "La banque ne répond pas pour le moment" in page.text
    assert 'value="25,00"' in page.text
    assert answer.status_code == 503 and answer.json()["error"] == "provider_unavailable"
    assert pay.state(answer.json()["payment_id"]) == "failed"
    assert int(pay.scalar("SELECT count(*) FROM payments WHERE state = 'pending'")) == before


def test_a_pending_payment_expires_after_asking_the_bank_once_more(
    pay: Payments, bank: SandboxBank
) -> None:
    bank.control(notification="lost")
    forgotten = pay.start(1111)  # the parent never pays nor comes back
    paid_quietly = pay.start(2222)  # paid, but the notification is lost
    bank.act(paid_quietly["redirect_url"], "payer")
    assert "Paiement en attente" in pay.parent.get("/famille/comptes").text
    provider = SandboxProvider(bank.url, bank.secret)
    now = datetime.now(UTC)

    with Session(pay.engine) as session:
        early = expire_due(session, provider=provider, now=now + timedelta(minutes=59))
        assert pay.state(forgotten["payment_id"]) == "pending"
        late = expire_due(session, provider=provider, now=now + timedelta(minutes=61))

    assert early == 0
    assert late >= 1  # other tests' payments left pending expire too
    assert pay.state(forgotten["payment_id"]) == "expired"
    assert pay.credits_of(forgotten["payment_id"]) == 0
    assert pay.state(paid_quietly["payment_id"]) == "paid"  # the bank's answer credited it
    assert pay.credits_of(paid_quietly["payment_id"]) == 1
    accounts = pay.parent.get("/famille/comptes").text
    assert "Expiré (non abouti)" in accounts


def test_under_the_minimum_or_over_the_maximum_no_payment_is_created(pay: Payments) -> None:
    count = int(pay.scalar("SELECT count(*) FROM payments"))
    token = csrf(pay.parent, "/famille/comptes")

    low = pay.parent.post(
        "/famille/comptes/paiement",
        data={"amount": "5", "csrf_token": token},
        follow_redirects=True,
    )
    high = pay.parent.post(
        "/famille/comptes/paiement",
        data={"amount": "600,00", "csrf_token": token},
        follow_redirects=True,
    )
    with pay.api(pay.school.parent_token) as client:
        api_low = client.post(f"/v1/families/{pay.family}/payments", json={"amount_cents": 500})

    assert low.status_code == 200 and low.url.path == "/famille/comptes"
    assert "Le montant minimum à créditer est de 10,00\u00a0€." in low.text
    assert "paiement en ligne est de 500,00\u00a0€." in high.text
    assert api_low.status_code == 422 and api_low.json()["field"] == "amount_cents"
    assert int(pay.scalar("SELECT count(*) FROM payments")) == count


def test_a_french_decimal_comma_is_understood(pay: Payments) -> None:
    token = csrf(pay.parent, "/famille/comptes")

    answer = pay.parent.post(
        "/famille/comptes/paiement", data={"amount": "20,50 €", "csrf_token": token}
    )

    assert answer.status_code == 303
    ref = answer.headers["location"].rsplit("/", 1)[1]
    assert int(pay.scalar("SELECT amount_cents FROM payments WHERE ref = :r", r=ref)) == 2050
    page = pay.parent.get(answer.headers["location"])
    assert "Continuer vers la banque" in page.text and "20,50\u00a0€" in page.text


def test_another_family_never_sees_a_payment(pay: Payments) -> None:
    started = pay.start(1500)
    from tests.support.payments_portal import NEIGHBOUR, log_in

    with log_in(pay.portal.url, NEIGHBOUR) as neighbour:
        page = neighbour.get(f"/famille/paiements/{started['payment_id']}/retour")
    with pay.api(pay.school.parent_token) as client:
        other = client.post(
            f"/v1/families/{pay.school.families[1]}/payments", json={"amount_cents": 2000}
        )

    assert page.status_code == 404
    assert other.status_code == 404


def pay_txn(pay: Payments, started: dict[str, str]) -> str:
    """The bank's transaction id of a payment, as the portal stored it."""
    return str(
        pay.scalar("SELECT provider_txn FROM payments WHERE ref = :r", r=started["payment_id"])
    )


def test_the_background_pass_expires_payments_nobody_looks_at(
    pay: Payments, bank: SandboxBank
) -> None:
    forgotten = pay.start(1313)
    settings = Settings(
        database_url=pay.portal.database_url,
        payment_provider="sandbox",
        sandbox_bank_url=bank.url,
        payment_secret=bank.secret,
    )
    later = datetime.now(UTC) + timedelta(minutes=61)
    expiry = PaymentExpiryThread(pay.engine, settings, clock=lambda: later)

    assert expiry.run_once() >= 1

    assert pay.state(forgotten["payment_id"]) == "expired"
