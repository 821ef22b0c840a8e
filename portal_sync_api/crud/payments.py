"""Payments: online top-ups through the payment provider and payments at the counter.

An online top-up is a :class:`~portal_sync_api.models.Payment` in state ``pending``,
created here before the parent is sent to the provider. Only what the provider proves —
a notification whose signature checked out, or its answer to a status query the portal
asked itself — settles it (:func:`settle`): ``paid`` credits the wallet with one ledger
entry ``payment:<provider txn id>``, whose unique reference makes a second notification,
or a notification racing the return page, credit nothing more. ``refused`` and
``abandoned`` credit nothing. A payment nothing settled within the pending time is asked
about once more, then given up as ``expired`` (:func:`expire_due`, run when pages and the
API read a family's payments).

A payment at the counter (cash, cheque) is recorded and credited at once by the
intendance; its reference is unique per school, so the same cheque recorded twice is one
payment, and an audit row names who recorded it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal_sync_api.core.money import euros
from portal_sync_api.crud.accounts import Principal, visible_family
from portal_sync_api.crud.bulk import is_postgres
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.ledger import family_schools, put_balances
from portal_sync_api.models import AuditEntry, Family, LedgerEntry, Payment, School, table
from portal_sync_api.payments.provider import (
    Notice,
    Order,
    PaymentProvider,
    ProviderError,
)
from portal_sync_api.payments.receipt import Receipt

log = logging.getLogger(__name__)

#: The largest online top-up (a mistyped 2000 instead of 20,00 € stops here).
MAX_TOPUP_CENTS = 50_000
#: The largest payment recorded at the counter (a term paid by cheque fits).
MAX_COUNTER_CENTS = 500_000
COUNTER_METHODS = ("cash", "cheque")
#: States a payment never leaves, except ``expired`` and ``failed`` which a later proof
#: from the provider may still turn into ``paid`` (the parent's card was charged).
FINAL_STATES = ("paid", "refused", "abandoned")

STATE_LABELS = {
    "pending": "Paiement en attente",
    "paid": "Payé",
    "refused": "Refusé",
    "abandoned": "Abandonné",
    "expired": "Expiré (non abouti)",
    "failed": "Non abouti (banque injoignable)",
}
METHOD_LABELS = {"online": "Carte bancaire", "cash": "Espèces", "cheque": "Chèque"}

_AMOUNT = re.compile(r"^\d{1,7}([.,]\d{1,2})?$")


class PaymentRefused(Exception):
    """A payment that cannot be made as asked: ``field`` and a French ``message``."""

    def __init__(self, field: str, message: str, *, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


class FamilyNotVisible(Exception):
    """The family does not exist or the caller does not see it (answered as not found)."""


def iso(moment: datetime) -> str:
    """``moment`` as stored: ISO-8601 in UTC, to the second (comparable as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def new_ref() -> str:
    """A new payment reference: unguessable, short enough to read out on the phone."""
    return "PAY-" + secrets.token_hex(8).upper()


def parse_euros(text: str) -> int:
    """What a parent types in « Montant à créditer » → cents: ``20``, ``20,5``, ``20,50``,
    ``20.50``, ``20 €`` (spaces and the euro sign are ignored)."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if not cleaned:
        raise PaymentRefused("amount", "Indiquez le montant à créditer, par exemple 20,00.")
    if not _AMOUNT.match(cleaned):
        raise PaymentRefused(
            "amount", "Montant illisible : écrivez un nombre d'euros, par exemple 20,00."
        )
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses it
        raise PaymentRefused("amount", "Montant illisible.") from None
    return int(value * 100)


def min_topup_cents(school: School) -> int:
    """The smallest online top-up the school accepts (its ``min_topup_cents``, at least
    one cent): the form says it and :func:`check_topup` applies it."""
    return max(int(school.min_topup_cents or 0), 1)


def check_topup(*, school: School, amount_cents: int) -> None:
    """Refuse an online top-up under the school's minimum or over the maximum."""
    minimum = min_topup_cents(school)
    if amount_cents < minimum:
        raise PaymentRefused(
            "amount_cents", f"Le montant minimum à créditer est de {euros(minimum)}."
        )
    if amount_cents > MAX_TOPUP_CENTS:
        raise PaymentRefused(
            "amount_cents",
            f"Le montant maximum d'un paiement en ligne est de {euros(MAX_TOPUP_CENTS)}.",
        )


def _family_school(
    session: Session, principal: Principal, family_ref: str
) -> tuple[Family, School]:
    family = visible_family(session, principal, family_id=family_ref)
    if family is None or family.school_id is None:
        raise FamilyNotVisible(family_ref)
    return family, session.get_one(School, family.school_id)


# -- online top-ups ----------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """An online top-up handed to the provider (``redirect_url``), or not (``failed``)."""

    ref: str
    amount_cents: int
    state: str
    redirect_url: str | None


def start_online(
    session: Session,
    principal: Principal,
    *,
    family_ref: str,
    amount_cents: int,
    provider: PaymentProvider,
    public_url: str,
    pending_minutes: int,
    now: datetime,
) -> Started:
    """Create a pending payment, then the provider's (outside any transaction: it is a
    network call); a provider that cannot be reached leaves the payment ``failed``.

    ``session`` must have no transaction open. Raises :class:`FamilyNotVisible` and
    :class:`PaymentRefused` (amount)."""
    with session.begin():
        family, school = _family_school(session, principal, family_ref)
        check_topup(school=school, amount_cents=amount_cents)
        payment = Payment(
            ref=new_ref(),
            school_id=school.id,
            family_id=family.id,
            amount_cents=amount_cents,
            method="online",
            state="pending",
            provider=provider.kind,
            created_at=iso(now),
            updated_at=iso(now),
            expires_at=iso(now + timedelta(minutes=pending_minutes)),
            created_by=principal.email or principal.kind,
        )
        session.add(payment)
        ref, label = payment.ref, f"Restauration scolaire — {school.name} — famille {family.ref}"
    order = Order(
        payment_ref=ref,
        amount_cents=amount_cents,
        return_url=f"{public_url}/famille/paiements/{ref}/retour",
        notify_url=f"{public_url}/v1/payments/notifications/{provider.kind}",
        label=label,
    )
    try:
        created = provider.create(order)
    except ProviderError as exc:
        log.warning("payment %s: provider unreachable at creation (%s)", ref, exc)
        with session.begin():
            _set_state(session, ref=ref, state="failed", now=now, only_from=("pending",))
        return Started(ref=ref, amount_cents=amount_cents, state="failed", redirect_url=None)
    with session.begin():
        session.execute(
            update(Payment)
            .where(Payment.ref == ref, Payment.provider_txn.is_(None))
            .values(provider_txn=created.txn_id, redirect_url=created.redirect_url)
        )
        state = session.execute(select(Payment.state).where(Payment.ref == ref)).scalar_one()
    return Started(
        ref=ref, amount_cents=amount_cents, state=state, redirect_url=created.redirect_url
    )


def _set_state(
    session: Session, *, ref: str, state: str, now: datetime, only_from: tuple[str, ...]
) -> bool:
    done = session.execute(
        update(Payment)
        .where(Payment.ref == ref, Payment.state.in_(only_from))
        .values(state=state, updated_at=iso(now))
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Settled:
    """What a provider's proof did: the payment's state after it, whether it credited."""

    ref: str
    state: str
    credited: bool


def settle(
    session: Session, *, notice: Notice, provider_kind: str, now: datetime
) -> Settled | None:
    """Apply a proven ``notice`` inside the caller's transaction (``None``: no such
    payment, or one the notice does not match — amount, transaction — and nothing done).

    ``paid`` credits the wallet once: the ledger's unique reference
    ``payment:<txn id>`` turns any second attempt (a duplicate notification, the return
    page's status query racing it) into nothing."""
    payment = session.execute(
        select(Payment).where(Payment.ref == notice.payment_ref, Payment.method == "online")
    ).scalar_one_or_none()
    if payment is None or payment.provider != provider_kind:
        log.warning("payment notice for an unknown payment (provider %s)", provider_kind)
        return None
    if payment.amount_cents != notice.amount_cents or (
        payment.provider_txn is not None and payment.provider_txn != notice.txn_id
    ):
        log.warning("payment %s: notice does not match the payment, ignored", payment.ref)
        return None
    if notice.outcome == "pending":
        return Settled(ref=payment.ref, state=payment.state, credited=False)
    if notice.outcome in ("refused", "abandoned"):
        _set_state(
            session,
            ref=payment.ref,
            state=notice.outcome,
            now=now,
            only_from=("pending", "expired", "failed"),
        )
        session.refresh(payment)
        return Settled(ref=payment.ref, state=payment.state, credited=False)
    credited = _credit(
        session,
        family_id=payment.family_id,
        amount_cents=payment.amount_cents,
        reference=f"payment:{notice.txn_id}",
        now=now,
    )
    session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(state="paid", provider_txn=notice.txn_id, updated_at=iso(now))
    )
    if credited:
        log.info("payment %s paid: wallet credited", payment.ref)
    return Settled(ref=payment.ref, state="paid", credited=credited)


def _credit(
    session: Session, *, family_id: str, amount_cents: int, reference: str, now: datetime
) -> bool:
    """One ledger credit under ``reference``; ``False`` when it is already there. The
    insert itself says so (``ON CONFLICT DO NOTHING … RETURNING`` on the unique
    reference), so two writers racing both try and one row is written."""
    schools = family_schools(session, family_ids=[family_id])
    lock_schools(session, school_ids={s for ids in schools.values() for s in ids})
    row = {
        "family_id": family_id,
        "kind": "credit",
        "amount_cents": amount_cents,
        "reference": reference,
        "at": iso(now),
    }
    dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
    inserted = session.execute(
        dialect_insert(table(LedgerEntry))
        .values(row)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(table(LedgerEntry).c.id)
    ).scalar_one_or_none()
    if inserted is None:
        return False
    buffer = ChangeBuffer()
    put_balances(session, family_ids={family_id}, buffer=buffer, schools=schools)
    buffer.flush(session)
    return True


def ask_provider(
    session: Session, *, provider: PaymentProvider | None, ref: str, now: datetime
) -> Settled | None:
    """Ask the provider about the online payment ``ref`` and apply its answer (the
    question goes out with no transaction open; ``session`` must have none)."""
    if provider is None:
        return None
    try:
        notice = provider.status(ref)
    except ProviderError as exc:
        log.warning("payment %s: status query failed (%s)", ref, exc)
        return None
    if notice is None:
        return None
    with session.begin():
        return settle(session, notice=notice, provider_kind=provider.kind, now=now)


def expire_due(
    session: Session,
    *,
    provider: PaymentProvider | None,
    now: datetime,
    family_id: str | None = None,
) -> int:
    """Give up the pending online payments past their time (of one family, or all):
    each is asked about once more, then marked ``expired`` if still unsettled. Returns
    how many expired. ``session`` must have no transaction open."""
    with session.begin():
        query = select(Payment.ref).where(
            Payment.state == "pending",
            Payment.method == "online",
            Payment.expires_at <= iso(now),
        )
        if family_id is not None:
            query = query.where(Payment.family_id == family_id)
        due = list(session.execute(query.limit(100)).scalars())
    expired = 0
    for ref in due:
        settled = ask_provider(session, provider=provider, ref=ref, now=now)
        if settled is not None and settled.state != "pending":
            continue
        with session.begin():
            expired += _set_state(
                session, ref=ref, state="expired", now=now, only_from=("pending",)
            )
    return expired


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    """A payment as the family and the intendance read it."""

    ref: str
    at: str
    amount_cents: int
    method: str
    state: str
    counter_reference: str | None

    @property
    def state_label(self) -> str:
        """« Payé », « Paiement en attente »…"""
        return STATE_LABELS.get(self.state, self.state)

    @property
    def method_label(self) -> str:
        """« Carte bancaire en ligne », « Espèces », « Chèque »."""
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def has_receipt(self) -> bool:
        """A receipt exists for money received."""
        return self.state == "paid"


def _line(payment: Payment) -> PaymentLine:
    return PaymentLine(
        ref=payment.ref,
        at=payment.created_at,
        amount_cents=payment.amount_cents,
        method=payment.method,
        state=payment.state,
        counter_reference=payment.counter_reference,
    )


def family_payments(session: Session, *, family_id: str, limit: int = 20) -> list[PaymentLine]:
    """The family's (internal key) latest payments, newest first."""
    rows = session.execute(
        select(Payment)
        .where(Payment.family_id == family_id)
        .order_by(Payment.id.desc())
        .limit(limit)
    ).scalars()
    return [_line(p) for p in rows]


def visible_payment(session: Session, principal: Principal, *, ref: str) -> Payment | None:
    """The payment ``ref`` if ``principal`` sees it: the family's parent, or the
    intendance of its school."""
    payment = session.execute(select(Payment).where(Payment.ref == ref)).scalar_one_or_none()
    if payment is None:
        return None
    if principal.kind == "parent":
        return payment if principal.family_id == payment.family_id else None
    if principal.kind == "intendance" and principal.school_id == payment.school_id:
        return payment
    return None


def payment_line(payment: Payment) -> PaymentLine:
    """``payment`` as read on the pages and in the API."""
    return _line(payment)


# -- at the counter ----------------------------------------------------------------------


def parse_counter(method: str, reference: str, amount_cents: int) -> tuple[str, str]:
    """The method and reference of a counter payment, checked (:class:`PaymentRefused`)."""
    if method not in COUNTER_METHODS:
        raise PaymentRefused("method", "Choisissez le mode de paiement : espèces ou chèque.")
    reference = " ".join((reference or "").split())
    if not reference:
        what = "le numéro du chèque" if method == "cheque" else "le numéro du reçu"
        raise PaymentRefused("reference", f"Indiquez la référence du paiement ({what}).")
    if len(reference) > 64 or not reference.isprintable():
        raise PaymentRefused("reference", "Référence trop longue ou illisible (64 caractères).")
    if amount_cents <= 0:
        raise PaymentRefused("amount_cents", "Le montant doit être positif.")
    if amount_cents > MAX_COUNTER_CENTS:
        raise PaymentRefused(
            "amount_cents", f"Montant trop élevé (au plus {euros(MAX_COUNTER_CENTS)})."
        )
    return method, reference


def record_counter(
    session: Session,
    principal: Principal,
    *,
    family_ref: str,
    amount_cents: int,
    method: str,
    reference: str,
    now: datetime,
) -> tuple[PaymentLine, bool]:
    """Record cash or a cheque the intendance received for a family of its school and
    credit the wallet, inside the caller's transaction. Returns the payment and whether it
    is new: the same reference again is the same payment (``False``); with another
    amount, family or method it is refused (:class:`PaymentRefused`, status 409)."""
    if principal.kind != "intendance":
        raise PaymentRefused(
            "method", "Seule l'intendance enregistre un paiement au guichet.", status=403
        )
    method, reference = parse_counter(method, reference, amount_cents)
    family, school = _family_school(session, principal, family_ref)
    lock_schools(session, school_ids={school.id})
    ref = new_ref()
    dialect_insert = postgresql.insert if is_postgres(session) else sqlite.insert
    inserted = session.execute(
        dialect_insert(table(Payment))
        .values(
            ref=ref,
            school_id=school.id,
            family_id=family.id,
            amount_cents=amount_cents,
            method=method,
            state="paid",
            counter_reference=reference,
            created_at=iso(now),
            updated_at=iso(now),
            created_by=principal.email or "intendance",
        )
        .on_conflict_do_nothing(index_elements=["school_id", "counter_reference"])
        .returning(table(Payment).c.id)
    ).scalar_one_or_none()
    payment = session.execute(
        select(Payment).where(
            Payment.school_id == school.id, Payment.counter_reference == reference
        )
    ).scalar_one()
    if inserted is None:
        same = (payment.family_id, payment.amount_cents, payment.method) == (
            family.id,
            amount_cents,
            method,
        )
        if not same:
            raise PaymentRefused(
                "reference",
                f"La référence « {reference} » est déjà enregistrée pour un autre paiement.",
                status=409,
            )
        return _line(payment), False
    _credit(
        session,
        family_id=family.id,
        amount_cents=amount_cents,
        reference=f"payment:{ref}",
        now=now,
    )
    session.execute(
        insert(table(AuditEntry)).values(
            at=iso(now),
            actor=principal.email or "intendance",
            action="counter_payment",
            school_id=school.id,
            subject=f"family {family.ref}",
            detail=json.dumps(
                {
                    "before": None,
                    "after": {
                        "payment": ref,
                        "amount_cents": amount_cents,
                        "method": method,
                        "reference": reference,
                    },
                },
                ensure_ascii=False,
            ),
        )
    )
    return _line(payment), True


def receipt_of(
    session: Session, principal: Principal, *, ref: str, demo: bool = False
) -> Receipt | None:
    """The receipt of payment ``ref`` if ``principal`` sees it and it was received."""
    payment = visible_payment(session, principal, ref=ref)
    if payment is None or payment.state != "paid":
        return None
    school = session.get_one(School, payment.school_id)
    family = session.get_one(Family, payment.family_id)
    return Receipt(
        number=payment.ref,
        paid_at=payment.updated_at,
        family_ref=family.ref,
        amount_cents=payment.amount_cents,
        method_label=METHOD_LABELS.get(payment.method, payment.method),
        reference=payment.counter_reference or payment.provider_txn,
        school_name=school.name,
        school_code=school.code,
        timezone=school.timezone,
        demo=demo and payment.method == "online",
    )
