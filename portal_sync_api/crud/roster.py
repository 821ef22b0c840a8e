"""Families, children, cards and reservations, as imported from the school's files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.changes import ChangeBuffer, current_states, dump, lock_schools
from portal_sync_api.crud.family_tables import ChildPhoto
from portal_sync_api.crud.ledger import now_iso, put_balances
from portal_sync_api.crud.photos import PHOTO_KIND, line_photo_data
from portal_sync_api.crud.refs import children_by_ref, families_by_ref
from portal_sync_api.errors import DataError
from portal_sync_api.models import (
    AuditEntry,
    Card,
    Child,
    Family,
    LedgerEntry,
    Reservation,
    School,
    new_key,
    table,
)

CARD_STATUSES = ("active", "lost", "blocked")
REGIMES = ("ticket", "forfait")


@dataclass(frozen=True)
class RosterRow:
    """One validated roster line (docs/design.md §5)."""

    child_id: str
    last_name: str
    first_name: str
    class_name: str
    birth_date: date | None
    card_code: str | None
    card_status: str
    regime: str
    forfait_days: str
    tariff: str
    diet: tuple[str, ...]
    allergies: tuple[str, ...]
    family_id: str | None
    family_email: str | None
    photo: str | None
    #: The file's line, for errors found against the database (0: not from a file).
    line: int = 0


@dataclass(frozen=True)
class ReservationRow:
    """One reservation line; ``cancelled`` removes the reservation."""

    child_id: str
    day: date
    service: str
    prepaid: bool
    cancelled: bool = False


def child_data(child: Child, *, family_ref: str | None) -> dict[str, Any]:
    """Feed data of a child: the school's ids, never the internal keys."""
    return {
        "id": child.ref,
        "last_name": child.last_name,
        "first_name": child.first_name,
        "class": child.class_name,
        "birth_date": child.birth_date.isoformat() if child.birth_date else None,
        "regime": child.regime,
        "forfait_days": [int(d) for d in child.forfait_days],
        # The QF bracket's category when the school prices by income (crud/tariffs_qf.py).
        "tariff": child.qf_tariff or child.tariff,
        "diet": [d for d in child.diet.split("|") if d],
        "allergies": [a for a in child.allergies.split("|") if a],
        "family_id": family_ref,
        "photo": child.photo,
    }


def card_data(card: Card, *, child_ref: str) -> dict[str, Any]:
    return {"code": card.code, "child_id": child_ref, "status": card.status}


def reservation_key(child_id: str, day: date, service: str) -> str:
    return f"{child_id}/{day.isoformat()}/{service}"


def reservation_data(child_id: str, day: date, service: str, prepaid: bool) -> dict[str, Any]:
    return {"child_id": child_id, "date": day.isoformat(), "service": service, "prepaid": prepaid}


def import_roster(session: Session, *, school: School, rows: Sequence[RosterRow]) -> int:
    """Create or update the school's children, cards and families; returns changed count.

    Ids are the school's own (docs/design.md §7): a line finds the child and the family of
    *this* school with that id, or creates them; nothing of another school is read or
    changed. A card already held by another child of the school is refused (see
    :func:`card_conflicts`). Only rows whose feed data actually changed move to a new seq,
    so re-importing the same file costs the stations nothing.
    """
    lock_schools(session, school_ids=[school.id])
    problems = card_conflicts(session, school=school, rows=rows)
    if problems:
        line, field, problem = problems[0]
        raise DataError(field, f"ligne {line}: {problem}" if line else problem)
    buffer = ChangeBuffer()
    children = children_by_ref(session, school_id=school.id, refs=[r.child_id for r in rows])
    families = families_by_ref(
        session, school_id=school.id, refs=[r.family_id for r in rows if r.family_id]
    )
    cards: dict[str, Card] = {}
    for cond in member_of(session, Card.code, [r.card_code for r in rows if r.card_code]):
        cards.update({c.code: c for c in session.execute(select(Card).where(cond)).scalars()})
    for row in rows:
        if row.family_id:
            family = families.get(row.family_id)
            if family is None:
                family = Family(id=new_key(), school_id=school.id, ref=row.family_id)
                families[row.family_id] = family
                session.add(family)
            if row.family_email:
                family.email = row.family_email
    session.flush()
    known_child = current_states(session, school_id=school.id, kind="child")
    known_card = current_states(session, school_id=school.id, kind="card")
    changed = 0
    for row in rows:
        child = children.get(row.child_id)
        if child is None:
            child = Child(id=new_key(), school_id=school.id, ref=row.child_id)
            children[row.child_id] = child
            session.add(child)
        child.last_name = row.last_name
        child.first_name = row.first_name
        child.class_name = row.class_name
        child.birth_date = row.birth_date
        child.regime = row.regime
        child.forfait_days = row.forfait_days
        child.tariff = row.tariff
        child.diet = "|".join(row.diet)
        child.allergies = "|".join(row.allergies)
        child.family_id = families[row.family_id].id if row.family_id else None
        child.photo = row.photo
        text = dump(child_data(child, family_ref=row.family_id))
        if known_child.get(child.ref) != text:
            buffer.put_raw(school_id=school.id, kind="child", key=child.ref, text=text)
            changed += 1
    session.flush()  # children exist before their cards reference them
    for row in rows:
        if row.card_code:
            card = cards.get(row.card_code)
            child = children[row.child_id]
            if card is None:
                card = cards[row.card_code] = Card(code=row.card_code, child_id=child.id)
                session.add(card)
            card.child_id = child.id
            card.status = row.card_status
            text = dump(card_data(card, child_ref=child.ref))
            if known_card.get(card.code) != text:
                buffer.put_raw(school_id=school.id, kind="card", key=card.code, text=text)
                changed += 1
    session.flush()
    # At a school pricing by income, a new child (or one changing family) gets its
    # family's QF bracket now, not at the next notice pass (imported here: it imports us).
    from portal_sync_api.crud.qf_bands import refresh_categories
    from portal_sync_api.crud.tariffs_qf import school_today

    refresh_categories(
        session, school=school, today=school_today(school), buffer=buffer, locked=True
    )
    buffer.flush(session)
    return changed


def card_conflicts(
    session: Session, *, school: School, rows: Sequence[RosterRow]
) -> list[tuple[int, str, str]]:
    """(line, field, problem) for each card the file gives to a child while another child
    of the school holds it. A card moves only when the same file also gives its holder
    another card (or none): a deliberate exchange, never a silent move by a typo."""
    wanted = {r.card_code: r for r in rows if r.card_code}
    if not wanted:
        return []
    holders: dict[str, str] = {}
    for cond in member_of(session, Card.code, list(wanted)):
        query = (
            select(Card.code, Child.ref)
            .join(Child, Child.id == Card.child_id)
            .where(cond, Child.school_id == school.id)
        )
        holders.update({code: ref for code, ref in session.execute(query)})
    new_card_of = {r.child_id: r.card_code for r in rows}
    problems = []
    for code, row in wanted.items():
        holder = holders.get(code)
        if holder is None or holder == row.child_id:
            continue
        if holder in new_card_of and new_card_of[holder] != code:
            continue  # the file gives the holder another card (or none) in the same import
        problems.append(
            (
                row.line,
                "card_number",
                f"carte {code} déjà attribuée à l'enfant {holder} (donnez-lui une autre "
                "carte dans le même fichier pour la réattribuer)",
            )
        )
    return sorted(problems)


def import_reservations(session: Session, *, school: School, rows: Sequence[ReservationRow]) -> int:
    """Add, change or cancel reservations of the school's children; returns changed count.

    ``child_id`` of the rows is the school's own id. Set-based: one read of the school's
    reservations, bulk writes, one feed flush.
    """
    lock_schools(session, school_ids=[school.id])
    keys = {
        ref: child.id
        for ref, child in children_by_ref(
            session, school_id=school.id, refs={r.child_id for r in rows}
        ).items()
    }
    unknown = sorted({r.child_id for r in rows} - keys.keys())
    if unknown:
        raise DataError("child_id", f"enfant inconnu dans l'école {school.code}: {unknown[0]}")
    existing: dict[tuple[str, date, str], tuple[int, bool]] = {}
    query = (
        select(
            Reservation.id,
            Child.ref,
            Reservation.day,
            Reservation.service,
            Reservation.prepaid,
            Reservation.debit_cents,
        )
        .join(Child, Child.id == Reservation.child_id)
        .where(Child.school_id == school.id)
    )
    paid: set[int] = set()  # bookings a parent paid at booking: they stay prepaid
    for rid, child_ref, day, service, prepaid, debit in session.execute(query):
        existing[(child_ref, day, service)] = (rid, bool(prepaid))
        if debit:
            paid.add(rid)
    buffer = ChangeBuffer()
    # Rows not in the database yet, by key: a later line of the same file may change or
    # cancel them before anything is written.
    inserts: dict[tuple[str, date, str], dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    for row in rows:
        key = (row.child_id, row.day, row.service)
        found = existing.get(key)
        feed_key = reservation_key(*key)
        if row.cancelled:
            if found is not None:
                if key in inserts:
                    del inserts[key]
                else:
                    deletes.append(found[0])
                del existing[key]
                buffer.put(school_id=school.id, kind="reservation", key=feed_key, data=None)
            continue
        if found is None:
            inserts[key] = {
                "child_id": keys[row.child_id],
                "day": row.day,
                "service": row.service,
                "prepaid": row.prepaid,
            }
            existing[key] = (-1, row.prepaid)
        elif found[1] != row.prepaid and found[0] not in paid:
            if key in inserts:
                inserts[key]["prepaid"] = row.prepaid
            else:
                updates.append({"id": found[0], "prepaid": row.prepaid})
            existing[key] = (found[0], row.prepaid)
        else:
            continue
        buffer.put(
            school_id=school.id,
            kind="reservation",
            key=feed_key,
            data=reservation_data(row.child_id, row.day, row.service, row.prepaid),
        )
    _refund_prepaid(session, school=school, reservation_ids=deletes, buffer=buffer)
    for cond in member_of(session, Reservation.id, deletes):
        session.execute(delete(Reservation).where(cond))
    if updates:
        session.execute(update(Reservation), updates)
    pending = list(inserts.values())
    for start in range(0, len(pending), 5000):
        session.execute(insert(table(Reservation)), pending[start : start + 5000])
    changed = len(buffer)
    buffer.flush(session)
    return changed


def _refund_prepaid(
    session: Session, *, school: School, reservation_ids: list[int], buffer: ChangeBuffer
) -> None:
    """Refund what the parents' prepaid bookings among ``reservation_ids`` debited: a
    line of the school's file that cancels a booking gives the money back as « Annuler »
    would (``refund:<booking ref>``, so never twice)."""
    refunds: list[tuple[str, int, str]] = []
    for cond in member_of(session, Reservation.id, reservation_ids):
        rows = session.execute(
            select(Child.family_id, Reservation.debit_cents, Reservation.booking_ref)
            .join(Child, Child.id == Reservation.child_id)
            .where(cond, Reservation.debit_cents > 0, Child.family_id.is_not(None))
        )
        refunds += [(str(family), int(amount), str(ref)) for family, amount, ref in rows]
    if not refunds:
        return
    at = now_iso()
    session.execute(
        insert(table(LedgerEntry)),
        [
            {
                "family_id": family,
                "kind": "booking_refund",
                "amount_cents": amount,
                "reference": f"refund:{ref}",
                "at": at,
            }
            for family, amount, ref in refunds
        ],
    )
    put_balances(session, family_ids={family for family, _, _ in refunds}, buffer=buffer)


def cancel_reservation(
    session: Session, *, school: School, child_id: str, day: date, service: str
) -> bool:
    """Delete one reservation and publish ``data: null``; False when there was none."""
    row = ReservationRow(child_id=child_id, day=day, service=service, prepaid=False, cancelled=True)
    return import_reservations(session, school=school, rows=[row]) > 0


def transfer_child(
    session: Session,
    *,
    school: School,
    child_id: str,
    to: School,
    new_id: str | None = None,
    family_id: str | None = None,
    actor: str = "cli",
) -> Child:
    """Move child ``child_id`` of ``school`` to school ``to`` (as ``new_id``, default the
    same id): the explicit way a pupil changes school, never an import's side effect.

    The child keeps its meals and their ledger entries (history stays where it was
    served). Its cards (printed with the old school's prefix) and reservations go; the
    old school's stations receive the child's, cards' and reservations' removal. The child
    joins family ``family_id`` of the new school, or none until the new school's roster
    names one. One audit entry records it.
    """
    lock_schools(session, school_ids=[school.id, to.id])
    child = children_by_ref(session, school_id=school.id, refs=[child_id]).get(child_id)
    if child is None:
        raise DataError("child", f"enfant inconnu dans l'école {school.code}: {child_id}")
    if to.id == school.id:
        raise DataError("to", "l'enfant est déjà dans cette école")
    target_id = new_id or child_id
    if children_by_ref(session, school_id=to.id, refs=[target_id]):
        raise DataError("as", f"l'école {to.code} a déjà un enfant {target_id}")
    family = None
    if family_id:
        family = families_by_ref(session, school_id=to.id, refs=[family_id]).get(family_id)
        if family is None:
            raise DataError("family", f"famille inconnue dans l'école {to.code}: {family_id}")
    buffer = ChangeBuffer()
    buffer.put(school_id=school.id, kind="child", key=child.ref, data=None)
    cards = session.execute(select(Card).where(Card.child_id == child.id)).scalars().all()
    for card in cards:
        buffer.put(school_id=school.id, kind="card", key=card.code, data=None)
        session.delete(card)
    booked = (
        session.execute(select(Reservation).where(Reservation.child_id == child.id)).scalars().all()
    )
    for reservation in booked:
        key = reservation_key(child.ref, reservation.day, reservation.service)
        buffer.put(school_id=school.id, kind="reservation", key=key, data=None)
        session.delete(reservation)
    before = {"school": school.code, "child_id": child.ref, "cards": [c.code for c in cards]}
    child.school_id = to.id
    child.ref = target_id
    child.family_id = family.id if family else None
    session.flush()
    buffer.put(
        school_id=to.id,
        kind="child",
        key=child.ref,
        data=child_data(child, family_ref=family.ref if family else None),
    )
    # The photo follows the child: gone from the old school's lines, announced to the new
    # school's under the new id (when that school shows photos at the line).
    photo = session.get(ChildPhoto, child.id)
    if photo is not None:
        buffer.put(school_id=school.id, kind=PHOTO_KIND, key=child_id, data=None)
        buffer.put(
            school_id=to.id,
            kind=PHOTO_KIND,
            key=child.ref,
            data=line_photo_data(to, child, photo),
        )
    after = {"school": to.code, "child_id": target_id, "family_id": family_id}
    for where in (school, to):
        session.add(
            AuditEntry(
                at=now_iso(),
                actor=actor,
                action="child_transfer",
                school_id=where.id,
                subject=f"child {child_id} → {to.code} {target_id}",
                detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
            )
        )
    buffer.flush(session)
    return child
