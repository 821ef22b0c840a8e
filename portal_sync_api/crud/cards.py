"""Cards from the intendance's pages: find a child's cards, block a lost one, issue a
replacement number, and the faces of the cards to print.

A blocked card reaches the stations through the changes feed (kind ``card``) in the same
transaction, so the next sync makes the line refuse it (``card_blocked``, docs/design.md
§3 row 4). A new card takes the school's next free number: above every number the school
ever issued (the cards it has, every card its stations were ever told of, and the
highest number issued here, kept in ``card_counters``), so no number is given twice.
Every change writes an audit row with before and after.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cantine_contract.card_sheet import CardFace
from portal_sync_api.crud import audit
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.family_admin import Pupil, matching_children
from portal_sync_api.crud.ledger import family_refs
from portal_sync_api.crud.refs import children_by_ref
from portal_sync_api.crud.roster import card_data
from portal_sync_api.models import Card, CardCounter, Change, Child, School

#: Why a card is blocked, as the form offers it: (code, label, status sent to stations).
BLOCK_REASONS = (
    ("perdue", "perdue", "lost"),
    ("volee", "volée", "blocked"),
    ("abimee", "abîmée", "blocked"),
)
#: The card number has exactly five digits (docs/design.md §3, card codes).
MAX_NUMBER = 99_999
STATUS_LABELS = {"active": "active", "lost": "perdue", "blocked": "bloquée"}


class CardRefused(Exception):
    """A card action that cannot be done: ``field`` names the input, ``message`` says why
    in French; ``not_found`` when the card or child is not the school's."""

    def __init__(self, field: str, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.not_found = not_found


@dataclass(frozen=True)
class CardLine:
    """One card of a child."""

    code: str
    status: str

    @property
    def status_label(self) -> str:
        """The status in French (``active``, ``perdue``, ``bloquée``)."""
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ChildCards:
    """A child of the school with its cards, newest number last."""

    child_id: str
    last_name: str
    first_name: str
    class_name: str
    family_id: str | None
    cards: tuple[CardLine, ...]

    @property
    def active(self) -> tuple[CardLine, ...]:
        """The cards the line accepts."""
        return tuple(c for c in self.cards if c.status == "active")


def _cards_of(session: Session, children: Sequence[Child | Pupil]) -> dict[str, list[CardLine]]:
    found: dict[str, list[CardLine]] = {c.id: [] for c in children}
    if not children:
        return found
    rows = session.execute(
        select(Card.child_id, Card.code, Card.status)
        .where(Card.child_id.in_([c.id for c in children]))
        .order_by(Card.code)
    )
    for child_id, code, status in rows:
        found[child_id].append(CardLine(code, status))
    return found


def _with_cards(session: Session, children: Sequence[Child | Pupil]) -> list[ChildCards]:
    cards = _cards_of(session, children)
    refs = family_refs(session, family_ids={c.family_id for c in children if c.family_id})
    return [
        ChildCards(
            child_id=c.ref,
            last_name=c.last_name,
            first_name=c.first_name,
            class_name=c.class_name,
            family_id=refs.get(c.family_id) if c.family_id else None,
            cards=tuple(cards[c.id]),
        )
        for c in children
    ]


def search_cards(
    session: Session, *, school: School, query: str, limit: int = 50
) -> list[ChildCards]:
    """The school's children whose name or card matches ``query`` (as the families'
    search reads it), with their cards."""
    return _with_cards(session, matching_children(session, school=school, query=query)[:limit])


def child_cards(session: Session, *, school: School, child_id: str) -> ChildCards | None:
    """One child of the school with its cards (``None``: not the school's)."""
    child = children_by_ref(session, school_id=school.id, refs=[child_id]).get(child_id)
    return None if child is None else _with_cards(session, [child])[0]


def _card_of_school(session: Session, school: School, code: str) -> tuple[Card, Child]:
    found = session.execute(
        select(Card, Child)
        .join(Child, Child.id == Card.child_id)
        .where(Card.code == code.strip(), Child.school_id == school.id)
    ).first()
    if found is None:
        raise CardRefused("card", "Carte introuvable dans l'établissement.", not_found=True)
    return found[0], found[1]


def block_card(
    session: Session, *, school: School, code: str, reason: str, actor: str, now: datetime
) -> Card:
    """Block card ``code`` of the school for ``reason`` (``perdue``, ``volee``,
    ``abimee``): stations are told in this transaction; one audit row."""
    status = next((s for key, _label, s in BLOCK_REASONS if key == reason), None)
    if status is None:
        raise CardRefused("reason", "Choisissez pourquoi la carte est bloquée.")
    lock_schools(session, school_ids=[school.id])
    card, child = _card_of_school(session, school, code)
    if card.status != "active":
        label = STATUS_LABELS.get(card.status, card.status)
        raise CardRefused("card", f"La carte {card.code} est déjà {label}.")
    before = {"carte": card.code, "statut": card.status}
    card.status = status
    label = next(lbl for key, lbl, _s in BLOCK_REASONS if key == reason)
    buffer = ChangeBuffer()
    buffer.put(
        school_id=school.id,
        kind="card",
        key=card.code,
        data=card_data(card, child_ref=child.ref),
    )
    audit.record(
        session,
        school=school,
        actor=actor,
        action="card_block",
        subject=f"child {child.ref}",
        before=before,
        after={"carte": card.code, "statut": status, "motif": label},
        now=now,
    )
    session.flush()
    buffer.flush(session)
    return card


def _number(code: str, prefix: str) -> int | None:
    rest = code[len(prefix) :] if code.startswith(prefix) else ""
    return int(rest) if re.fullmatch(r"\d{5}", rest) else None


def next_card_number(session: Session, *, school: School) -> int:
    """The school's next free card number (call under the school's counter lock)."""
    prefix = f"{school.code}-"
    counter = session.get(CardCounter, school.id)
    highest = counter.last_number if counter else 0
    held = session.execute(select(Card.code).where(Card.code.startswith(prefix, autoescape=True)))
    told = session.execute(
        select(Change.key).where(Change.school_id == school.id, Change.kind == "card")
    )
    for (code,) in [*held, *told]:
        number = _number(code, prefix)
        if number is not None and number > highest:
            highest = number
    return highest + 1


def issue_card(
    session: Session, *, school: School, child_id: str, actor: str, now: datetime
) -> Card:
    """Give child ``child_id`` a new card with the school's next free number; a card it
    still had active is blocked (« remplacée »): a child carries one card. Stations are
    told in this transaction; one audit row."""
    lock_schools(session, school_ids=[school.id])
    child = children_by_ref(session, school_id=school.id, refs=[child_id]).get(child_id)
    if child is None:
        raise CardRefused("child", "Élève introuvable dans l'établissement.", not_found=True)
    number = next_card_number(session, school=school)
    if number > MAX_NUMBER:
        raise CardRefused("child", "Plus aucun numéro de carte libre dans l'établissement.")
    counter = session.get(CardCounter, school.id)
    if counter is None:
        session.add(CardCounter(school_id=school.id, last_number=number))
    else:
        counter.last_number = number
    buffer = ChangeBuffer()
    held = session.execute(select(Card).where(Card.child_id == child.id)).scalars().all()
    before = [{"carte": c.code, "statut": c.status} for c in sorted(held, key=lambda c: c.code)]
    replaced = []
    for old in held:
        if old.status == "active":
            old.status = "blocked"
            replaced.append(old.code)
            buffer.put(
                school_id=school.id,
                kind="card",
                key=old.code,
                data=card_data(old, child_ref=child.ref),
            )
    card = Card(code=f"{school.code}-{number:05d}", child_id=child.id, status="active")
    session.add(card)
    session.flush()
    buffer.put(
        school_id=school.id, kind="card", key=card.code, data=card_data(card, child_ref=child.ref)
    )
    audit.record(
        session,
        school=school,
        actor=actor,
        action="card_issue",
        subject=f"child {child.ref}",
        before=before,
        after={"carte": card.code, "statut": "active", "remplace": replaced},
        now=now,
    )
    buffer.flush(session)
    return card


def card_faces(
    session: Session,
    *,
    school: School,
    child_id: str | None = None,
    class_name: str | None = None,
) -> list[CardFace]:
    """The school's active cards to print: one child's, one class's, or all (by class,
    then name), as ``station cards print`` prints them."""
    query = (
        select(Card.code, Child.last_name, Child.first_name, Child.class_name)
        .join(Child, Child.id == Card.child_id)
        .where(Child.school_id == school.id, Card.status == "active")
    )
    if child_id is not None:
        query = query.where(Child.ref == child_id)
    if class_name is not None:
        query = query.where(Child.class_name == class_name)
    rows = list(session.execute(query).all())
    rows.sort(key=lambda r: (r.class_name, r.last_name.casefold(), r.first_name.casefold(), r.code))
    return [
        CardFace(
            school_name=school.name.strip() or f"Établissement {school.code}",
            child_name=f"{r.last_name.upper()} {r.first_name}",
            class_name=r.class_name,
            code=r.code,
        )
        for r in rows
    ]


def school_classes(session: Session, *, school: School) -> list[str]:
    """The school's classes, for the « imprimer une classe » choice."""
    rows = session.execute(
        select(Child.class_name).where(Child.school_id == school.id).distinct()
    ).scalars()
    return sorted(rows)
