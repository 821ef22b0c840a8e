"""Payments: a family's top-up and the provider's server-to-server notification.

- ``POST /v1/families/{family_id}/payments``: the family's parent starts an online top-up
  (``{"amount_cents"}`` → ``redirect_url``, where they pay); the intendance records cash or
  a cheque (``{"amount_cents", "method", "reference"}``), credited at once and idempotent on
  the reference;
- ``GET /v1/families/{family_id}/payments``: the family's latest payments;
- ``POST /v1/payments/notifications/{provider}``: the provider's notification, trusted
  only once its signature checks out (``crud/payments.py`` says what it does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from portal_sync_api.api.deps import CurrentUser, SessionDep, check_path_id
from portal_sync_api.api.errors import ERROR_RESPONSES, ApiError, not_found, require_json
from portal_sync_api.core.config import Settings
from portal_sync_api.crud import payments
from portal_sync_api.crud.accounts import Principal, visible_family
from portal_sync_api.payments.factory import provider_from_settings
from portal_sync_api.payments.provider import BadNotification
from portal_sync_api.schemas import (
    NotificationResult,
    PaymentCreate,
    PaymentPublic,
    PaymentsPublic,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["payments"], responses=ERROR_RESPONSES)


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", lambda: datetime.now(UTC))
    return clock()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def receipt_url(line: payments.PaymentLine, user: Principal) -> str | None:
    """Where the receipt of a payment received is, for this caller."""
    if not line.has_receipt:
        return None
    if user.kind == "intendance":
        return f"/intendance/paiements/{line.ref}/recu.pdf"
    return f"/famille/paiements/{line.ref}/recu.pdf"


def _public(
    line: payments.PaymentLine,
    user: Principal,
    *,
    redirect_url: str | None = None,
    changed: bool = True,
) -> PaymentPublic:
    return PaymentPublic(
        payment_id=line.ref,
        amount_cents=line.amount_cents,
        method=line.method,
        state=line.state,
        created_at=line.at,
        redirect_url=redirect_url,
        reference=line.counter_reference,
        receipt_url=receipt_url(line, user),
        changed=changed,
    )


@router.post(
    "/v1/families/{family_id}/payments",
    response_model=PaymentPublic,
    status_code=201,
    responses={
        409: {"description": "Référence déjà utilisée, ou paiement en ligne indisponible"},
        503: {"description": "Prestataire de paiement injoignable (paiement non abouti)"},
    },
)
def create_payment(
    family_id: str,
    body: PaymentCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
) -> PaymentPublic:
    """A parent's online top-up (pending until the provider proves it was paid; 409
    ``online_payment_unavailable`` when no provider is configured, 503 when it cannot be
    reached: the payment is then ``failed``), or the intendance's counter
    payment (201 when recorded, 200 with ``changed: false`` when that reference already
    was; 409 for the same reference with another amount)."""
    require_json(request)
    check_path_id(family_id, "family_id", "famille")
    now = _now(request)
    try:
        if body.method == "online":
            return _online(request, session, user, family_id, body.amount_cents, now)
        with session.begin():
            line, changed = payments.record_counter(
                session,
                user,
                family_ref=family_id,
                amount_cents=body.amount_cents,
                method=body.method,
                reference=body.reference or "",
                now=now,
            )
    except payments.FamilyNotVisible:
        raise not_found("famille", "family_id") from None
    except payments.PaymentRefused as refused:
        raise ApiError(refused.status, refused.message, field=refused.field) from None
    if not changed:
        response.status_code = 200
    return _public(line, user, changed=changed)


def _online(
    request: Request,
    session: Session,
    user: Principal,
    family_ref: str,
    amount_cents: int,
    now: datetime,
) -> PaymentPublic:
    if user.kind != "parent":
        raise ApiError(
            422, "l'intendance enregistre un paiement au guichet (cash ou cheque)", field="method"
        )
    settings = _settings(request)
    provider = provider_from_settings(settings)
    if provider is None:
        # The family must exist for this caller before anything is said about payments.
        with session.begin():
            if visible_family(session, user, family_id=family_ref) is None:
                raise not_found("famille", "family_id")
        raise ApiError(
            409,
            "le paiement en ligne n'est pas disponible",
            field="method",
            extra={"error": "online_payment_unavailable"},
        )
    started = payments.start_online(
        session,
        user,
        family_ref=family_ref,
        amount_cents=amount_cents,
        provider=provider,
        public_url=settings.public_url,
        pending_minutes=settings.payment_pending_minutes,
        now=now,
    )
    if started.state == "failed":
        raise ApiError(
            503,
            "la banque ne répond pas : paiement non créé, réessayez plus tard",
            field="provider",
            extra={"payment_id": started.ref, "error": "provider_unavailable"},
        )
    return PaymentPublic(
        payment_id=started.ref,
        amount_cents=started.amount_cents,
        method="online",
        state=started.state,
        created_at=payments.iso(now),
        redirect_url=started.redirect_url,
    )


@router.get("/v1/families/{family_id}/payments", response_model=PaymentsPublic)
def list_payments(
    family_id: str, request: Request, session: SessionDep, user: CurrentUser
) -> PaymentsPublic:
    """The family's latest payments, newest first (pending ones past their time are
    asked about once more at the provider, then marked ``expired``)."""
    check_path_id(family_id, "family_id", "famille")
    with session.begin():
        family = visible_family(session, user, family_id=family_id)
        if family is None:
            raise not_found("famille", "family_id")
        key, ref = family.id, family.ref
    now = _now(request)
    provider = provider_from_settings(_settings(request))
    payments.expire_due(session, provider=provider, now=now, family_id=key)
    with session.begin():
        lines = payments.family_payments(session, family_id=key)
    return PaymentsPublic(family_id=ref, payments=[_public(line, user) for line in lines])


@router.post(
    "/v1/payments/notifications/{provider_kind}",
    response_model=NotificationResult,
    responses={403: {"description": "Signature invalide"}},
)
async def provider_notification(
    provider_kind: str, request: Request, session: SessionDep
) -> NotificationResult:
    """The provider's server-to-server notification: 403 when its signature does not
    verify (nothing done), 400 when it names no payment of ours."""
    provider = provider_from_settings(_settings(request))
    if provider is None or provider.kind != provider_kind:
        raise not_found("prestataire", "provider")
    body = await request.body()
    try:
        notice = provider.verify_notification(body, dict(request.headers))
    except BadNotification as bad:
        # Ids only: a notification carries no personal data, and none is logged.
        log.warning("payment notification refused (%s): %s", provider_kind, bad)
        status = 403 if str(bad) == "signature" else 400
        raise ApiError(status, "notification refusée", field=str(bad)) from None
    now = _now(request)
    with session.begin():
        settled = payments.settle(session, notice=notice, provider_kind=provider.kind, now=now)
    if settled is None:
        raise ApiError(400, "paiement inconnu ou notification incohérente", field="ref")
    return NotificationResult(state=settled.state, credited=settled.credited)
