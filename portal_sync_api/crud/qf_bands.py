"""What moves a child's QF band: a school's brackets, a family's quotient familial, and
the daily refresh (``crud/notices.py``'s pass); each change reaches the stations' feed in
its own transaction. Pricing itself is ``crud/tariffs_qf.py``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.changes import ChangeBuffer, current_states, dump, lock_schools
from portal_sync_api.crud.roster import child_data
from portal_sync_api.crud.schools import set_tariff
from portal_sync_api.crud.tariffs_qf import (
    BAND_PREFIX,
    MAX_QF,
    Bracket,
    SchoolBrackets,
    band_name,
    family_quotients,
    quotient_on,
    school_brackets,
    school_today,
)
from portal_sync_api.errors import DataError
from portal_sync_api.models import (
    AuditEntry,
    Child,
    Family,
    FamilyQuotient,
    School,
    Tariff,
    TariffBracket,
)


def set_brackets(
    session: Session, *, school: School, service: str, brackets: Sequence[Bracket], actor: str
) -> int:
    """Replace the brackets of ``school``'s ``service``; the bands' prices and the
    children's categories reach the stations in the same transaction. Returns the number
    of children whose category changed. :class:`DataError` naming ``service`` for a
    service the school does not have."""
    lock_schools(session, school_ids=[school.id])
    before = school_brackets(session, school_id=school.id)
    if brackets and service not in (before.services or ()):
        known = ", ".join(sorted(before.services or ())) or "aucun"
        raise DataError(
            "service", f"service inconnu dans l'école {school.code}: {service} (services : {known})"
        )
    session.execute(
        delete(TariffBracket).where(
            TariffBracket.school_id == school.id, TariffBracket.service == service
        )
    )
    for bracket in brackets:
        session.add(
            TariffBracket(
                school_id=school.id,
                service=service,
                min_qf=bracket.min_qf,
                max_qf=bracket.max_qf,
                price_cents=bracket.price_cents,
            )
        )
    session.flush()
    after = school_brackets(session, school_id=school.id)
    buffer = ChangeBuffer()
    _put_band_tariffs(session, school=school, brackets=after, buffer=buffer)
    session.add(
        AuditEntry(
            at=_now(),
            actor=actor,
            action="tariff_brackets",
            school_id=school.id,
            subject=f"service {service}",
            detail=json.dumps(
                {
                    "before": _brackets_text(before.by_service.get(service, [])),
                    "after": _brackets_text(list(brackets)),
                },
                ensure_ascii=False,
            ),
        )
    )
    changed = refresh_categories(
        session, school=school, today=school_today(school), buffer=buffer, locked=True
    )
    buffer.flush(session)
    return changed


def _brackets_text(brackets: Sequence[Bracket]) -> str:
    return ",".join(f"{b.min_qf}-{b.max_qf or ''}:{b.price_cents}" for b in brackets)


def _put_band_tariffs(
    session: Session, *, school: School, brackets: SchoolBrackets, buffer: ChangeBuffer
) -> None:
    """Write each band's price for each bracketed service; remove bands no longer cut."""
    wanted: dict[tuple[str, str], int] = {}
    bounds = brackets.bounds()
    for service in brackets.by_service:
        for low in bounds:
            price = brackets.price(service, low)
            assert price is not None
            wanted[(band_name(low), service)] = price
    for (tariff, service), price in wanted.items():
        set_tariff(
            session, school=school, tariff=tariff, service=service, price_cents=price, buffer=buffer
        )
    stale = session.execute(
        select(Tariff).where(
            Tariff.school_id == school.id, Tariff.tariff.startswith(BAND_PREFIX, autoescape=True)
        )
    ).scalars()
    for row in stale:
        if (row.tariff, row.service) not in wanted and row.tariff[len(BAND_PREFIX) :].isdigit():
            buffer.put(
                school_id=school.id, kind="tariff", key=f"{row.tariff}/{row.service}", data=None
            )
            session.delete(row)


def refresh_categories(
    session: Session,
    *,
    school: School,
    today: date,
    buffer: ChangeBuffer,
    family_ids: Collection[str] | None = None,
    locked: bool = False,
) -> int:
    """Set each child's ``qf_tariff`` to the band its family's QF gives ``today`` (all the
    school's children, or those of ``family_ids``) and put the child records that change
    into ``buffer``. Returns how many changed."""
    if not locked:
        lock_schools(session, school_ids=[school.id])
    brackets = school_brackets(session, school_id=school.id)
    query = select(Child).where(Child.school_id == school.id)
    if not brackets.active:
        # Only children still carrying a band need one (a school that never priced by
        # income costs one small query).
        query = query.where(Child.qf_tariff.is_not(None))
    if family_ids is not None:
        if not family_ids:
            return 0
        query = query.where(Child.family_id.in_(list(family_ids)))
    children = list(session.execute(query).scalars())
    if not children:
        return 0
    families = {c.family_id for c in children if c.family_id is not None}
    quotients = family_quotients(session, family_ids=families)
    refs: dict[str, str] = {}
    for cond in member_of(session, Family.id, families):
        refs.update(session.execute(select(Family.id, Family.ref).where(cond)).all())
    known = current_states(session, school_id=school.id, kind="child") if children else {}
    changed = 0
    for child in children:
        wanted: str | None = None
        if brackets.active:
            found = quotient_on(quotients.get(child.family_id or "", []), today)
            wanted = brackets.band_of(found.qf if found else None)
        if child.qf_tariff == wanted:
            continue
        child.qf_tariff = wanted
        text = dump(
            child_data(child, family_ref=refs.get(child.family_id) if child.family_id else None)
        )
        if known.get(child.ref) != text:
            buffer.put_raw(school_id=school.id, kind="child", key=child.ref, text=text)
        changed += 1
    session.flush()
    return changed


def set_family_qf(
    session: Session,
    *,
    school: School,
    family_ref: str,
    qf: int,
    valid_from: date,
    valid_until: date,
    actor: str,
    now: datetime | None = None,
) -> Family:
    """Record the QF of the school's family ``family_ref`` from ``valid_from`` to
    ``valid_until``; its children's categories move now when it is already in force
    (else the daily pass moves them on ``valid_from``). :class:`DataError` naming the
    field for a bad value."""
    if not 0 <= qf <= MAX_QF:
        raise DataError("qf", f"quotient familial entre 0 et {MAX_QF} attendu")
    if valid_until < valid_from:
        raise DataError("valid_until", "la fin de validité précède le début")
    lock_schools(session, school_ids=[school.id])
    family = session.execute(
        select(Family).where(Family.school_id == school.id, Family.ref == family_ref)
    ).scalar_one_or_none()
    if family is None:
        raise DataError("family", f"famille inconnue dans l'école {school.code}: {family_ref}")
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    session.add(
        FamilyQuotient(
            family_id=family.id,
            qf=qf,
            valid_from=valid_from,
            valid_until=valid_until,
            set_at=at,
            set_by=actor,
        )
    )
    session.add(
        AuditEntry(
            at=at,
            actor=actor,
            action="family_qf",
            school_id=school.id,
            subject=f"famille {family.ref}",
            detail=json.dumps(
                {
                    "before": None,
                    "after": {
                        "qf": qf,
                        "valid_from": valid_from.isoformat(),
                        "valid_until": valid_until.isoformat(),
                    },
                }
            ),
        )
    )
    session.flush()
    buffer = ChangeBuffer()
    refresh_categories(
        session,
        school=school,
        today=school_today(school, now),
        buffer=buffer,
        family_ids=[family.id],
        locked=True,
    )
    buffer.flush(session)
    return family


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
