"""Day passes: a child's card number signed for today, shown as a QR code on a parent's
phone and checked offline at the serving line (format: ``cantine_contract/day_pass.py``).

Each school has one Ed25519 key pair, made the first time a pass of the school is shown
(migration 0010, table ``pass_keys``). Its public key goes to the school's stations through
the changes feed (kind ``pass_key``, key the school code), in the same transaction that
creates it; a station that has not synced since cannot check passes and says so. The
private key stays in the portal's database: whoever can read that database could sign
passes, as they could already change cards and balances there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cantine_contract import day_pass
from portal_sync_api.crud.accounts import Principal, visible_child
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.models import Card, Child, PassKey, School

FEED_KIND = "pass_key"


@dataclass(frozen=True)
class DayPass:
    """What the child's page shows: today's pass of the child's active card."""

    payload: str
    """The text the QR code holds."""
    card_code: str
    day: date
    """The one day (the school's calendar day) the pass is valid."""
    first_name: str


def pass_key_data(school: School, key: PassKey) -> dict[str, Any]:
    """The ``pass_key`` change sent to the school's stations (never the private key)."""
    return {
        "school": school.code,
        "alg": day_pass.ALGORITHM,
        "public_key": key.public_key,
        "created_at": key.created_at,
    }


def school_pass_key(session: Session, school: School, *, now: datetime) -> PassKey:
    """The school's key pair, made now (and sent to its stations) when it has none.

    The school's counter lock serializes two first passes shown at the same moment: the
    second finds the key the first made.
    """
    key = session.get(PassKey, school.id)
    if key is not None:
        return key
    lock_schools(session, school_ids=[school.id])
    key = session.get(PassKey, school.id)
    if key is not None:
        return key
    private_key = day_pass.new_private_key()
    key = PassKey(
        school_id=school.id,
        private_key=private_key,
        public_key=day_pass.public_key(private_key),
        created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
    )
    session.add(key)
    session.flush()
    buffer = ChangeBuffer()
    data = pass_key_data(school, key)
    buffer.put(school_id=school.id, kind=FEED_KIND, key=school.code, data=data)
    buffer.flush(session)
    return key


def _active_card(session: Session, child: Child, school: School) -> str | None:
    """The child's card in use that a pass can carry: active, ``SCHOOL-NNNNN`` of the
    child's own school (the last one by code when there are several, as the page shows)."""
    codes = session.execute(
        select(Card.code)
        .where(Card.child_id == child.id, Card.status == "active")
        .order_by(Card.code)
    ).scalars()
    usable = [c for c in codes if day_pass.is_card(c) and c.split("-", 1)[0] == school.code]
    return usable[-1] if usable else None


def todays_pass(
    session: Session, principal: Principal, *, child_id: str, now: datetime
) -> DayPass | None:
    """Today's pass of the child of the school's id ``child_id``, for a parent of the
    child or the intendance of its school; ``None`` when ``principal`` may not see the
    child or the child has no active card (a blocked or lost card gets no pass)."""
    child = visible_child(session, principal, child_id=child_id)
    if child is None:
        return None
    school = session.get_one(School, child.school_id)
    card = _active_card(session, child, school)
    if card is None:
        return None
    today = now.astimezone(ZoneInfo(school.timezone)).date()
    key = school_pass_key(session, school, now=now)
    return DayPass(
        payload=day_pass.build(card, today, key.private_key),
        card_code=card,
        day=today,
        first_name=child.first_name,
    )
