"""The append-only ledger of family accounts and the balance rows of the feed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.notices import after_balance_change
from portal_sync_api.crud.refs import families_by_ref
from portal_sync_api.errors import DataError
from portal_sync_api.models import Child, Family, FamilyBalance, LedgerEntry, Meal, School, table

LEDGER_KINDS = (
    "credit",
    "meal_charge",
    "void_refund",
    "adjustment",
    "booking_debit",
    "booking_refund",
)


#: Ledger references written by meal pushes (``meal:<key>``, ``void:<meal key>``), by
#: prepaid bookings (``booking:<ref>``, ``refund:<ref>``) and by payments received through
#: the portal (``payment:<id>``, crud/payments.py); an imported payment reference may not
#: start with them, so that no credit ever blocks a meal's charge, a booking or a payment.
RESERVED_PREFIXES = ("meal:", "void:", "booking:", "refund:", "payment:")


def now_iso() -> str:
    """Current instant as ISO-8601 UTC text."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def family_schools(session: Session, *, family_ids: Collection[str]) -> dict[str, set[int]]:
    """For each family, the schools of its children (where its balance is published)."""
    result: dict[str, set[int]] = defaultdict(set)
    for cond in member_of(session, Child.family_id, family_ids):
        rows = session.execute(select(Child.family_id, Child.school_id).where(cond).distinct())
        for family_id, school_id in rows:
            if family_id is not None:
                result[family_id].add(school_id)
    return result


def balances(session: Session, *, family_ids: Collection[str]) -> dict[str, int]:
    """Ledger sum of each family (0 for a family with no entry)."""
    result = dict.fromkeys(family_ids, 0)
    for cond in member_of(session, LedgerEntry.family_id, family_ids):
        rows = session.execute(
            select(LedgerEntry.family_id, func.sum(LedgerEntry.amount_cents))
            .where(cond)
            .group_by(LedgerEntry.family_id)
        )
        for family_id, total in rows:
            result[family_id] = int(total or 0)
    return result


def running_balances(session: Session, *, family_ids: Collection[str]) -> dict[str, int]:
    """Balance of each family from ``family_balances`` (0 for a family with no entry).

    Equal to :func:`balances` (the trigger of migration 0002 adds every ledger insert in
    the inserting transaction) but one indexed row per family instead of a scan of the
    family's whole ledger.
    """
    result = dict.fromkeys(family_ids, 0)
    for cond in member_of(session, FamilyBalance.family_id, family_ids):
        rows = session.execute(
            select(FamilyBalance.family_id, FamilyBalance.balance_cents).where(cond)
        )
        for family_id, total in rows:
            result[family_id] = int(total)
    return result


def put_balances(
    session: Session,
    *,
    family_ids: Collection[str],
    buffer: ChangeBuffer,
    schools: dict[str, set[int]] | None = None,
) -> None:
    """Put the current balance of each family into ``buffer`` for each of its schools.

    The caller holds the counter locks of those schools (see :func:`lock_schools`), so
    the sum is exactly the ledger as of the seq the flush will give the row.
    """
    if not family_ids:
        return
    schools = schools if schools is not None else family_schools(session, family_ids=family_ids)
    refs = family_refs(session, family_ids=family_ids)
    totals = running_balances(session, family_ids=family_ids)
    # Balance notices (threshold crossed, negative): in this same transaction.
    after_balance_change(session, balances=totals)
    for family_id, total in totals.items():
        ref = refs[family_id]
        for school_id in sorted(schools.get(family_id, ())):
            buffer.put(
                school_id=school_id,
                kind="balance",
                key=ref,
                data={"family_id": ref, "balance_cents": total},
            )


def family_refs(session: Session, *, family_ids: Collection[str]) -> dict[str, str]:
    """The school's own id of each family (what stations and people see), by key."""
    found: dict[str, str] = {}
    for cond in member_of(session, Family.id, family_ids):
        found.update(session.execute(select(Family.id, Family.ref).where(cond)).all())
    return found


@dataclass(frozen=True)
class CreditIn:
    """One credit line: a payment received (or an adjustment)."""

    family_id: str
    amount_cents: int
    reference: str
    kind: str = "credit"


def add_credits(session: Session, *, school: School, credits: Sequence[CreditIn]) -> int:
    """Append credits to families of ``school`` (``family_id`` is the school's own id); a
    reference already in the ledger is skipped (idempotent).

    A reference reused for another family or amount is a :class:`DataError`. Returns the
    number of entries written; balances move in the feed in the same transaction.
    """
    if not credits:
        return 0
    found = {
        ref: family.id
        for ref, family in families_by_ref(
            session, school_id=school.id, refs={c.family_id for c in credits}
        ).items()
    }
    for credit in credits:
        if credit.family_id not in found:
            raise DataError(
                "family_id", f"famille inconnue dans l'école {school.code}: {credit.family_id}"
            )
        if credit.reference.startswith(RESERVED_PREFIXES):
            raise DataError(
                "reference",
                f"référence {credit.reference}: les préfixes meal:, void:, booking:, refund: "
                "et payment: sont réservés aux repas, aux réservations et aux paiements",
            )
    credits = [replace(c, family_id=found[c.family_id]) for c in credits]
    family_ids = {c.family_id for c in credits}
    schools = family_schools(session, family_ids=family_ids)
    lock_schools(session, school_ids={s for ids in schools.values() for s in ids})
    existing: dict[str, tuple[str, int]] = {}
    for cond in member_of(session, LedgerEntry.reference, [c.reference for c in credits]):
        rows = session.execute(
            select(LedgerEntry.reference, LedgerEntry.family_id, LedgerEntry.amount_cents).where(
                cond
            )
        )
        existing.update({ref: (fam, amount) for ref, fam, amount in rows})
    at = now_iso()
    new_rows = []
    for credit in credits:
        seen = existing.get(credit.reference)
        if seen is not None:
            if seen != (credit.family_id, credit.amount_cents):
                raise DataError(
                    "reference",
                    f"référence {credit.reference} déjà utilisée pour un autre paiement",
                )
            continue
        existing[credit.reference] = (credit.family_id, credit.amount_cents)
        new_rows.append(
            {
                "family_id": credit.family_id,
                "kind": credit.kind,
                "amount_cents": credit.amount_cents,
                "reference": credit.reference,
                "at": at,
            }
        )
    if new_rows:
        session.execute(insert(table(LedgerEntry)), new_rows)
        buffer = ChangeBuffer()
        put_balances(
            session,
            family_ids={str(r["family_id"]) for r in new_rows},
            buffer=buffer,
            schools=schools,
        )
        buffer.flush(session)
    return len(new_rows)


def recent_entries(session: Session, *, family_id: str, limit: int) -> list[LedgerEntry]:
    """The family's latest ledger entries, newest first."""
    return list(
        session.execute(
            select(LedgerEntry)
            .where(LedgerEntry.family_id == family_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        ).scalars()
    )


def public_references(session: Session, references: Sequence[str]) -> list[str]:
    """``references`` as people and machines outside read them: a meal's charge or refund
    names the meal by its station's id (``meal:<id>``), never by the internal key."""
    keys = {r.split(":", 1)[1] for r in references if r.startswith(RESERVED_PREFIXES)}
    ref_of: dict[str, str] = {}
    for cond in member_of(session, Meal.id, keys):
        ref_of.update(session.execute(select(Meal.id, Meal.ref).where(cond)).all())
    result = []
    for reference in references:
        prefix, _, key = reference.partition(":")
        if reference.startswith(RESERVED_PREFIXES) and key in ref_of:
            result.append(f"{prefix}:{ref_of[key]}")
        else:
            result.append(reference)
    return result
