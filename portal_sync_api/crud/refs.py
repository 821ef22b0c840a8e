"""From the school's own ids to the portal's rows (docs/design.md §7, tenancy).

The ids of a school's files and stations (``C0042``, ``F1``, a meal id) are unique within
the school only; these lookups are the one way from such an id to a row, always with the
school in hand.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.errors import DataError
from portal_sync_api.models import Child, Family, School


def children_by_ref(session: Session, *, school_id: int, refs: Collection[str]) -> dict[str, Child]:
    """The school's children with those ids (the school's own), by id."""
    found: dict[str, Child] = {}
    for cond in member_of(session, Child.ref, refs):
        query = select(Child).where(cond, Child.school_id == school_id)
        found.update({c.ref: c for c in session.execute(query).scalars()})
    return found


@dataclass(frozen=True)
class ChildKeys:
    """What a meal push needs of a child: its internal key, the school's id, its family."""

    id: str
    ref: str
    family_id: str | None


def child_keys_by_ref(
    session: Session, *, school_id: int, refs: Collection[str]
) -> dict[str, ChildKeys]:
    """:func:`children_by_ref` reduced to three columns (no ORM objects: the meal push
    looks up hundreds of children per batch)."""
    found: dict[str, ChildKeys] = {}
    for cond in member_of(session, Child.ref, refs):
        query = select(Child.id, Child.ref, Child.family_id).where(
            cond, Child.school_id == school_id
        )
        found.update(
            {ref: ChildKeys(key, ref, family) for key, ref, family in session.execute(query)}
        )
    return found


def families_by_ref(
    session: Session, *, school_id: int, refs: Collection[str]
) -> dict[str, Family]:
    """The school's families with those ids (the school's own), by id."""
    found: dict[str, Family] = {}
    for cond in member_of(session, Family.ref, refs):
        query = select(Family).where(cond, Family.school_id == school_id)
        found.update({f.ref: f for f in session.execute(query).scalars()})
    return found


def family_by_ref(session: Session, *, ref: str, school_code: str | None) -> Family:
    """The family a person names by the school's id (``user create --family``): in the
    school given, or the only school that has that id; raises :class:`DataError`."""
    query = select(Family).join(School, School.id == Family.school_id).where(Family.ref == ref)
    if school_code:
        query = query.where(School.code == school_code)
    found = session.execute(query.limit(2)).scalars().all()
    if not found:
        where = f" dans l'école {school_code}" if school_code else ""
        raise DataError("family", f"famille inconnue{where}: {ref}")
    if len(found) > 1:
        raise DataError(
            "family", f"la famille {ref} existe dans plusieurs écoles : précisez --school CODE"
        )
    return found[0]
