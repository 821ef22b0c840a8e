"""Families, children, cards and reservations, as imported from the school's files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.changes import ChangeBuffer, current_states, dump, lock_schools
from portal_sync_api.models import Card, Child, Family, Reservation, School, table

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


@dataclass(frozen=True)
class ReservationRow:
    """One reservation line; ``cancelled`` removes the reservation."""

    child_id: str
    day: date
    service: str
    prepaid: bool
    cancelled: bool = False


def child_data(child: Child) -> dict[str, Any]:
    return {
        "id": child.id,
        "last_name": child.last_name,
        "first_name": child.first_name,
        "class": child.class_name,
        "birth_date": child.birth_date.isoformat() if child.birth_date else None,
        "regime": child.regime,
        "forfait_days": [int(d) for d in child.forfait_days],
        "tariff": child.tariff,
        "diet": [d for d in child.diet.split("|") if d],
        "allergies": [a for a in child.allergies.split("|") if a],
        "family_id": child.family_id,
        "photo": child.photo,
    }


def card_data(card: Card) -> dict[str, Any]:
    return {"code": card.code, "child_id": card.child_id, "status": card.status}


def reservation_key(child_id: str, day: date, service: str) -> str:
    return f"{child_id}/{day.isoformat()}/{service}"


def reservation_data(child_id: str, day: date, service: str, prepaid: bool) -> dict[str, Any]:
    return {"child_id": child_id, "date": day.isoformat(), "service": service, "prepaid": prepaid}


def import_roster(session: Session, *, school: School, rows: Sequence[RosterRow]) -> int:
    """Create or update the school's children, cards and families; returns changed count.

    Only rows whose feed data actually changed move to a new seq, so re-importing the same
    file costs the stations nothing.
    """
    lock_schools(session, school_ids=[school.id])
    buffer = ChangeBuffer()
    children: dict[str, Child] = {}
    for cond in member_of(session, Child.id, [r.child_id for r in rows]):
        children.update({c.id: c for c in session.execute(select(Child).where(cond)).scalars()})
    families: dict[str, Family] = {}
    for cond in member_of(session, Family.id, [r.family_id for r in rows if r.family_id]):
        families.update({f.id: f for f in session.execute(select(Family).where(cond)).scalars()})
    cards: dict[str, Card] = {}
    for cond in member_of(session, Card.code, [r.card_code for r in rows if r.card_code]):
        cards.update({c.code: c for c in session.execute(select(Card).where(cond)).scalars()})
    for row in rows:
        if row.family_id:
            family = families.get(row.family_id)
            if family is None:
                family = families[row.family_id] = Family(id=row.family_id)
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
            child = children[row.child_id] = Child(id=row.child_id, school_id=school.id)
            session.add(child)
        child.school_id = school.id
        child.last_name = row.last_name
        child.first_name = row.first_name
        child.class_name = row.class_name
        child.birth_date = row.birth_date
        child.regime = row.regime
        child.forfait_days = row.forfait_days
        child.tariff = row.tariff
        child.diet = "|".join(row.diet)
        child.allergies = "|".join(row.allergies)
        child.family_id = row.family_id
        child.photo = row.photo
        text = dump(child_data(child))
        if known_child.get(child.id) != text:
            buffer.put_raw(school_id=school.id, kind="child", key=child.id, text=text)
            changed += 1
    session.flush()  # children exist before their cards reference them
    for row in rows:
        if row.card_code:
            card = cards.get(row.card_code)
            if card is None:
                card = cards[row.card_code] = Card(code=row.card_code, child_id=row.child_id)
                session.add(card)
            card.child_id = row.child_id
            card.status = row.card_status
            text = dump(card_data(card))
            if known_card.get(card.code) != text:
                buffer.put_raw(school_id=school.id, kind="card", key=card.code, text=text)
                changed += 1
    session.flush()
    buffer.flush(session)
    return changed


def import_reservations(session: Session, *, school: School, rows: Sequence[ReservationRow]) -> int:
    """Add, change or cancel reservations of the school's children; returns changed count.

    Set-based: one read of the school's reservations, bulk writes, one feed flush.
    """
    lock_schools(session, school_ids=[school.id])
    existing: dict[tuple[str, date, str], tuple[int, bool]] = {}
    query = (
        select(
            Reservation.id,
            Reservation.child_id,
            Reservation.day,
            Reservation.service,
            Reservation.prepaid,
        )
        .join(Child, Child.id == Reservation.child_id)
        .where(Child.school_id == school.id)
    )
    for rid, child_id, day, service, prepaid in session.execute(query):
        existing[(child_id, day, service)] = (rid, bool(prepaid))
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
                "child_id": row.child_id,
                "day": row.day,
                "service": row.service,
                "prepaid": row.prepaid,
            }
            existing[key] = (-1, row.prepaid)
        elif found[1] != row.prepaid:
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


def cancel_reservation(
    session: Session, *, school: School, child_id: str, day: date, service: str
) -> bool:
    """Delete one reservation and publish ``data: null``; False when there was none."""
    row = ReservationRow(child_id=child_id, day=day, service=service, prepaid=False, cancelled=True)
    return import_reservations(session, school=school, rows=[row]) > 0
