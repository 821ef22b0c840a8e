"""Online top-up pages (the provider's return) and payments at the counter.

For parents: « Procéder au paiement » on « Situation de mes comptes » creates the payment
(``POST /famille/comptes/paiement``), a page says where they are going and sends them to
the provider by a link (the pages' ``form-action 'self'`` would stop a form's redirect to
another site), and the provider brings them back to ``/famille/paiements/{ref}/retour``,
which asks the provider itself when nothing proved the payment yet. The accounts page
gets its top-up panel (provider, the family's payments) from :func:`payments_panel`, a
template function, since that page's route belongs to the family pages.

For the intendance: the counter form (``intendance/_paiement_guichet.html``, included in
a family's page) posts to ``/intendance/familles/{family_ref}/paiements``. Both sides get
the « Reçu de paiement » PDF of a payment received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from portal_sync_api.core.config import Settings
from portal_sync_api.crud import payments
from portal_sync_api.crud.web_sessions import Person
from portal_sync_api.models import Family, School
from portal_sync_api.payments.factory import provider_from_settings
from portal_sync_api.payments.provider import PaymentProvider
from portal_sync_api.payments.receipt import receipt_pdf
from portal_sync_api.web.deps import (
    CsrfChecked,
    CurrentIntendance,
    CurrentParent,
    SessionDep,
    now,
)
from portal_sync_api.web.errors import WebError
from portal_sync_api.web.format import euros, register
from portal_sync_api.web.render import environment, flash, render

router = APIRouter()
register(environment)

ACCOUNTS = "/famille/comptes"
TextField = Annotated[str, Form()]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _provider(request: Request) -> PaymentProvider | None:
    return provider_from_settings(_settings(request))


@dataclass(frozen=True)
class TopUpPanel:
    """What the accounts page shows about paying: whether online payment is on, whether
    it is the demonstration bank, the family's latest payments, and a refused top-up's
    message and typed amount."""

    available: bool
    demo: bool
    payments: list[payments.PaymentLine]
    error: str | None = None
    value: str = ""


#: Why a top-up was refused, as the accounts page's address says it (``?refus=…``).
UNAVAILABLE = (
    "Le paiement en ligne n'est pas disponible. Réglez auprès de l'intendance "
    "de l'établissement (espèces ou chèque)."
)
BANK_DOWN = (
    "La banque ne répond pas pour le moment : aucun paiement n'a été fait et rien "
    "n'a été débité. Réessayez dans quelques minutes."
)


def payments_panel(request: Request, person: Person | None) -> TopUpPanel:
    """The top-up panel of ``person``'s family; its pending payments past their time are
    asked about once more, then marked expired. A refused top-up comes back here as
    ``?refus=montant|banque|indisponible&montant=…`` (the accounts page belongs to the
    family pages, whatever else they show): the message is worked out again here, never
    read from the address."""
    provider = _provider(request)
    lines: list[payments.PaymentLine] = []
    error: str | None = None
    refusal = request.query_params.get("refus")
    value = request.query_params.get("montant", "")[:20]
    if person is not None and person.family_id is not None:
        with request.app.state.sessionmaker() as session:
            payments.expire_due(
                session, provider=provider, now=now(request), family_id=person.family_id
            )
            with session.begin():
                lines = payments.family_payments(session, family_id=person.family_id)
                if refusal == "montant":
                    error = _amount_refusal(session, person.family_id, value)
    if refusal == "banque":
        error = BANK_DOWN
    elif refusal == "indisponible":
        error = UNAVAILABLE
    return TopUpPanel(
        available=provider is not None,
        demo=bool(provider is not None and provider.demo),
        payments=lines,
        error=error,
        value=value if error else "",
    )


def _amount_refusal(session: Session, family_id: str, typed: str) -> str | None:
    family = session.get(Family, family_id)
    if family is None or family.school_id is None:
        return None
    try:
        payments.check_topup(
            school=session.get_one(School, family.school_id),
            amount_cents=payments.parse_euros(typed),
        )
    except payments.PaymentRefused as refused:
        return refused.message
    return None


def counter_payments(
    request: Request, person: Person | None, family: Family
) -> list[payments.PaymentLine]:
    """The latest payments of ``family`` for the counter partial of the intendance's family
    page (nothing for anyone but the intendance of the family's school)."""
    if person is None or person.role != "intendance" or person.school_id != family.school_id:
        return []
    with request.app.state.sessionmaker() as session, session.begin():
        return payments.family_payments(session, family_id=family.id, limit=10)


environment.globals["payments_panel"] = payments_panel
environment.globals["counter_payments"] = counter_payments


def _refused(refusal: str, typed: str) -> Response:
    """Back to the accounts page, which says why (see :func:`payments_panel`)."""
    query = urlencode({"refus": refusal, "montant": typed[:20]})
    return RedirectResponse(f"{ACCOUNTS}?{query}#amount", status_code=303)


@router.post(f"{ACCOUNTS}/paiement")
def start_topup(
    request: Request,
    session: SessionDep,
    person: CurrentParent,
    _csrf: CsrfChecked,
    amount: TextField = "",
) -> Response:
    """« Procéder au paiement »: check the amount, create the payment with the provider
    and go to the page that sends the parent there."""
    assert person.family_id is not None
    provider = _provider(request)
    if provider is None:
        return _refused("indisponible", amount)
    try:
        cents = payments.parse_euros(amount)
        with session.begin():
            family = session.get_one(Family, person.family_id)
            family_ref = family.ref
        settings = _settings(request)
        started = payments.start_online(
            session,
            person.principal,
            family_ref=family_ref,
            amount_cents=cents,
            provider=provider,
            public_url=settings.public_url,
            pending_minutes=settings.payment_pending_minutes,
            now=now(request),
        )
    except payments.PaymentRefused:
        return _refused("montant", amount)
    except payments.FamilyNotVisible:
        raise WebError(404) from None
    if started.state == "failed":
        return _refused("banque", amount)
    return RedirectResponse(f"/famille/paiements/{started.ref}", status_code=303)


def _own_payment(session: Session, person: Person, ref: str) -> payments.PaymentLine:
    with session.begin():
        payment = payments.visible_payment(session, person.principal, ref=ref[:40])
        if payment is None or person.role != "parent":
            raise WebError(404)
        return payments.payment_line(payment)


@router.get("/famille/paiements/{ref}")
def go_to_bank(request: Request, session: SessionDep, person: CurrentParent, ref: str) -> Response:
    """Where the parent is going to pay, and the link that takes them there."""
    line = _own_payment(session, person, ref)
    with session.begin():
        payment = payments.visible_payment(session, person.principal, ref=line.ref)
        redirect_url = None if payment is None else payment.redirect_url
    if line.state != "pending" or redirect_url is None:
        return RedirectResponse(f"/famille/paiements/{line.ref}/retour", status_code=303)
    provider = _provider(request)
    context: dict[str, Any] = {
        "payment": line,
        "redirect_url": redirect_url,
        "demo": bool(provider is not None and provider.demo),
    }
    return render(request, "famille/paiement_banque.html", context)


@router.get("/famille/paiements/{ref}/retour")
def payment_return(
    request: Request, session: SessionDep, person: CurrentParent, ref: str
) -> Response:
    """Back from the provider: what became of the payment. Nothing the browser brings is
    trusted; a payment no notification settled yet is asked about at the provider."""
    line = _own_payment(session, person, ref)
    provider = _provider(request)
    if line.state == "pending":
        payments.ask_provider(session, provider=provider, ref=line.ref, now=now(request))
        assert person.family_id is not None
        payments.expire_due(
            session, provider=provider, now=now(request), family_id=person.family_id
        )
        line = _own_payment(session, person, ref)
    context = {"payment": line, "demo": bool(provider is not None and provider.demo)}
    return render(request, "famille/paiement_retour.html", context)


def _receipt(request: Request, session: Session, person: Person, ref: str) -> Response:
    provider = _provider(request)
    with session.begin():
        receipt = payments.receipt_of(
            session,
            person.principal,
            ref=ref[:40],
            demo=bool(provider is not None and provider.demo),
        )
    if receipt is None:
        raise WebError(404)
    headers = {
        "Content-Disposition": f'inline; filename="recu-{receipt.number}.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(receipt_pdf(receipt), media_type="application/pdf", headers=headers)


@router.get("/famille/paiements/{ref}/recu.pdf")
def family_receipt(
    request: Request, session: SessionDep, person: CurrentParent, ref: str
) -> Response:
    """« Reçu de paiement » of one of the family's payments received."""
    return _receipt(request, session, person, ref)


@router.get("/intendance/paiements/{ref}/recu.pdf")
def school_receipt(
    request: Request, session: SessionDep, person: CurrentIntendance, ref: str
) -> Response:
    """« Reçu de paiement » of a payment received by the school."""
    return _receipt(request, session, person, ref)


@router.post("/intendance/familles/{family_ref}/paiements")
def counter_payment(
    request: Request,
    session: SessionDep,
    person: CurrentIntendance,
    _csrf: CsrfChecked,
    family_ref: str,
    amount: TextField = "",
    method: TextField = "",
    reference: TextField = "",
) -> Response:
    """Record cash or a cheque received for the family, credited at once; back to the
    family's page with what was done or why not (the same reference twice records one
    payment)."""
    back = RedirectResponse(f"/intendance/familles/{family_ref}", status_code=303)
    try:
        cents = payments.parse_euros(amount)
        with session.begin():
            line, changed = payments.record_counter(
                session,
                person.principal,
                family_ref=family_ref[:64],
                amount_cents=cents,
                method=method,
                reference=reference,
                now=now(request),
            )
    except payments.FamilyNotVisible:
        raise WebError(404) from None
    except payments.PaymentRefused as refused:
        return flash(request, back, f"Paiement non enregistré : {refused.message}")
    what = f"{line.method_label.lower()} de {euros(line.amount_cents)}"
    if changed:
        message = (
            f"Paiement enregistré ({what}, référence {line.counter_reference}) : le compte "
            f"est crédité. Reçu n° {line.ref}."
        )
    else:
        message = (
            f"Ce paiement était déjà enregistré ({what}, référence "
            f"{line.counter_reference}) : rien n'a été ajouté."
        )
    return flash(request, back, message)
