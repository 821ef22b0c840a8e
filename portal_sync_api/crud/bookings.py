"""Parents' (and the intendance's) bookings: a week of a child's meals, « Je réserve »,
« Annuler », usual days over a period, with the school's calendar and cutoff rules.

One function decides every cutoff (:meth:`SchoolCalendar.cutoff_at` with the school's
rule); the API and the pages call these functions. A parent is held to the cutoffs; the
intendance is not, and what it books or cancels after a cutoff is written to the audit
log as theirs. In ``prepaid`` mode a booking debits the family's wallet (ledger
``booking:<ref>``) and a cancellation before the cancel cutoff refunds it
(``refund:<ref>``); each booking has its own ``ref``, so a double click, a retry or two
parents booking at once make one booking and one debit (the school's counter lock orders
them, and the second finds the reservation made).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal_sync_api.core.calendar import (
    Cutoff,
    SchoolCalendar,
    deadline_text,
    parse_weekdays,
)
from portal_sync_api.crud.accounts import Principal, visible_child
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.ledger import family_schools, put_balances, running_balances
from portal_sync_api.crud.roster import (
    ReservationRow,
    import_reservations,
    reservation_data,
    reservation_key,
)
from portal_sync_api.crud.schools import services_of
from portal_sync_api.crud.tariffs_qf import price_of, pricer_for
from portal_sync_api.models import (
    AuditEntry,
    Child,
    Closure,
    LedgerEntry,
    Reservation,
    School,
    table,
)

#: How far ahead a parent may book (a school year).
MAX_DAYS_AHEAD = 370


class BookingRefused(Exception):
    """A booking or cancellation that cannot be done; ``error`` is the API's code."""

    def __init__(self, error: str, message: str, cutoff_at: datetime | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.cutoff_at = cutoff_at


@dataclass(frozen=True)
class Slot:
    """One day and service of a child's week, as the page and the API show it."""

    day: date
    service: str
    reserved: bool
    prepaid: bool
    #: A parent can still book (or, when reserved, cancel) it now.
    bookable: bool
    cutoff_at: datetime | None
    #: Why it cannot be booked: « fermé », « férié (…) », « vacances scolaires »,
    #: « date limite dépassée (mardi 1 décembre, 9 h 30) »; ``None`` when bookable.
    reason: str | None
    price_cents: int | None


def calendar_of(session: Session, school: School) -> SchoolCalendar:
    """The school's calendar: its settings, closure days and service start times."""
    closures = {
        c.day: c.reason
        for c in session.execute(select(Closure).where(Closure.school_id == school.id)).scalars()
    }
    services = {
        s.code: time.fromisoformat(s.start) for s in services_of(session, school_id=school.id)
    }
    return SchoolCalendar(
        timezone=school.timezone,
        closed_weekdays=parse_weekdays(school.closed_weekdays),
        zone=school.holiday_zone,
        closures=closures,
        services=services,
    )


def booking_rule(school: School) -> Cutoff:
    return Cutoff.parse(school.booking_cutoff)


def cancel_rule(school: School) -> Cutoff:
    return Cutoff.parse(school.cancel_cutoff or school.booking_cutoff)


def _price(session: Session, child: Child, service: str, day: date) -> int | None:
    """The child's price of ``service`` on ``day`` (its family's QF bracket then, or its
    tariff category: crud/tariffs_qf.py)."""
    return price_of(session, child=child, service=service, day=day)


def child_week(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    start: date,
    end: date,
    now: datetime | None = None,
) -> tuple[Child, list[Slot]] | None:
    """Every school day and service from ``start`` to ``end`` of the child ``child_id``
    (the school's id) that ``principal`` sees, or ``None`` when not visible."""
    child = visible_child(session, principal, child_id=child_id)
    if child is None:
        return None
    school = session.get_one(School, child.school_id)
    calendar = calendar_of(session, school)
    now = now or datetime.now(UTC)
    booked = {
        (r.day, r.service): r
        for r in session.execute(
            select(Reservation).where(
                Reservation.child_id == child.id,
                Reservation.day >= start,
                Reservation.day <= end,
            )
        ).scalars()
    }
    pricer = pricer_for(session, child)
    forfait_days = {int(d) for d in child.forfait_days} if child.regime == "forfait" else set()
    slots = []
    day = start
    while day <= end:
        closed = calendar.closed_because(day)
        for service in calendar.services:
            reservation = booked.get((day, service))
            rule = cancel_rule(school) if reservation else booking_rule(school)
            cutoff = None if closed else calendar.cutoff_at(rule, day, service)
            reason = closed
            if reason is None and day < now.astimezone(calendar.tz).date():
                reason = "jour passé"
            elif reason is None and cutoff is not None and now > cutoff:
                reason = f"date limite dépassée ({deadline_text(cutoff)})"
            slots.append(
                Slot(
                    day=day,
                    service=service,
                    reserved=reservation is not None,
                    prepaid=bool(reservation and reservation.prepaid),
                    bookable=reason is None,
                    cutoff_at=cutoff,
                    reason=reason,
                    # A forfait day is paid by the term: the meal itself costs nothing.
                    price_cents=(
                        0 if day.isoweekday() in forfait_days else pricer.price(service, day)
                    ),
                )
            )
        day += timedelta(days=1)
    return child, slots


@dataclass(frozen=True)
class BookingDone:
    """What a booking or a cancellation did (``changed`` False: it was already so)."""

    changed: bool
    prepaid: bool
    debit_cents: int = 0


def book(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    day: date,
    service: str,
    actor: str,
    user_id: int | None = None,
    now: datetime | None = None,
) -> BookingDone:
    """Book the meal of ``day`` / ``service``; idempotent. Raises :class:`BookingRefused`
    (``not_found``, ``not_bookable``, ``cutoff_passed``, ``insufficient_balance``)."""
    child, school, calendar = _checked(session, principal, child_id, day, service)
    now = now or datetime.now(UTC)
    _lock(session, school, child)
    existing = _reservation(session, child, day, service)
    if existing is not None:
        return BookingDone(
            changed=False, prepaid=existing.prepaid, debit_cents=existing.debit_cents
        )
    cutoff, late = _past_cutoff(principal, calendar, booking_rule(school), day, service, now)
    prepaid = school.booking_mode == "prepaid"
    debit = 0
    ref = uuid.uuid4().hex
    buffer = ChangeBuffer()
    if prepaid and child.family_id is not None:
        price = _price(session, child, service, day)
        if price is None:
            raise BookingRefused("not_bookable", "Aucun tarif pour ce service : voir l'intendance.")
        balance = running_balances(session, family_ids=[child.family_id])[child.family_id]
        if balance - price < -school.overdraft_limit_cents:
            raise BookingRefused(
                "insufficient_balance",
                "Solde insuffisant pour réserver ce repas prépayé : créditez le compte.",
            )
        debit = price
        _post(session, child.family_id, "booking_debit", -price, f"booking:{ref}")
    session.add(
        Reservation(
            child_id=child.id,
            day=day,
            service=service,
            prepaid=prepaid,
            booking_ref=ref,
            booked_by=user_id,
            booked_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            debit_cents=debit,
        )
    )
    session.flush()
    buffer.put(
        school_id=school.id,
        kind="reservation",
        key=reservation_key(child.ref, day, service),
        data=reservation_data(child.ref, day, service, prepaid),
    )
    if debit and child.family_id is not None:
        put_balances(session, family_ids={child.family_id}, buffer=buffer)
    if late:
        _audit(session, school, actor, "booking_after_cutoff", child, day, service, cutoff)
    buffer.flush(session)
    return BookingDone(changed=True, prepaid=prepaid, debit_cents=debit)


def cancel(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    day: date,
    service: str,
    actor: str,
    now: datetime | None = None,
) -> BookingDone:
    """Cancel the meal of ``day`` / ``service``; idempotent (nothing booked: nothing to
    do). A prepaid booking is refunded what it debited. Raises :class:`BookingRefused`."""
    child, school, calendar = _checked(session, principal, child_id, day, service)
    now = now or datetime.now(UTC)
    _lock(session, school, child)
    existing = _reservation(session, child, day, service)
    if existing is None:
        return BookingDone(changed=False, prepaid=False)
    cutoff, late = _past_cutoff(principal, calendar, cancel_rule(school), day, service, now)
    buffer = ChangeBuffer()
    refund = existing.debit_cents
    if refund and child.family_id is not None:
        ref = existing.booking_ref or uuid.uuid4().hex
        _post(session, child.family_id, "booking_refund", refund, f"refund:{ref}")
        put_balances(session, family_ids={child.family_id}, buffer=buffer)
    prepaid = existing.prepaid
    session.delete(existing)
    session.flush()
    buffer.put(
        school_id=school.id,
        kind="reservation",
        key=reservation_key(child.ref, day, service),
        data=None,
    )
    if late:
        _audit(session, school, actor, "cancel_after_cutoff", child, day, service, cutoff)
    buffer.flush(session)
    return BookingDone(changed=True, prepaid=prepaid, debit_cents=-refund)


@dataclass(frozen=True)
class UsualDaysSummary:
    """What « jours habituels » did over a period."""

    booked: tuple[date, ...]
    already: tuple[date, ...]
    skipped: tuple[tuple[date, str], ...]  # not a school day, and why
    refused: tuple[tuple[date, str], ...]  # cutoff passed, balance short…


def book_usual_days(
    session: Session,
    principal: Principal,
    *,
    child_id: str,
    weekdays: set[int],
    start: date,
    end: date,
    service: str,
    actor: str,
    user_id: int | None = None,
    now: datetime | None = None,
) -> UsualDaysSummary:
    """Book every school day of the chosen ISO ``weekdays`` from ``start`` to ``end``
    (families say « jours de fréquentation ») under the rules of :func:`book`, set-based: one
    lock, one read of the child's bookings, one insert, one feed flush; one summary."""
    child = visible_child(session, principal, child_id=child_id)
    if child is None:
        raise BookingRefused("not_found", "Enfant introuvable.")
    now = now or datetime.now(UTC)
    if end < start or (end - start).days > MAX_DAYS_AHEAD:
        raise BookingRefused("not_bookable", "Période invalide (au plus une année scolaire).")
    school = session.get_one(School, child.school_id)
    calendar = calendar_of(session, school)
    if service not in calendar.services:
        raise BookingRefused("not_bookable", f"Service inconnu : {service}.")
    _lock(session, school, child)
    held = set(
        session.execute(
            select(Reservation.day).where(
                Reservation.child_id == child.id,
                Reservation.service == service,
                Reservation.day >= start,
                Reservation.day <= end,
            )
        ).scalars()
    )
    prepaid = school.booking_mode == "prepaid" and child.family_id is not None
    pricer = pricer_for(session, child) if prepaid else None
    balance = (
        running_balances(session, family_ids=[child.family_id])[child.family_id]
        if prepaid and child.family_id is not None
        else 0
    )
    rule = booking_rule(school)
    booked: list[date] = []
    already: list[date] = []
    skipped: list[tuple[date, str]] = []
    refused: list[tuple[date, str]] = []
    rows: list[dict[str, object]] = []
    debits: list[tuple[int, str]] = []
    day = start
    while day <= end:
        price = pricer.price(service, day) if pricer is not None else 0
        if day.isoweekday() not in weekdays:
            pass
        elif (closed := calendar.closed_because(day)) is not None:
            skipped.append((day, closed))
        elif day in held:
            already.append(day)
        elif (late := now > (cutoff := calendar.cutoff_at(rule, day, service))) and (
            principal.kind != "intendance"
        ):
            refused.append((day, f"Date limite dépassée ({deadline_text(cutoff)})."))
        elif prepaid and (price is None or balance - price < -school.overdraft_limit_cents):
            refused.append((day, "Solde insuffisant pour ce repas prépayé."))
        else:
            ref = uuid.uuid4().hex
            debit = (price or 0) if prepaid else 0
            balance -= debit
            if debit:
                debits.append((-debit, f"booking:{ref}"))
            rows.append(
                {
                    "child_id": child.id,
                    "day": day,
                    "service": service,
                    "prepaid": prepaid,
                    "booking_ref": ref,
                    "booked_by": user_id,
                    "booked_at": now.astimezone(UTC).isoformat(timespec="seconds"),
                    "debit_cents": debit,
                }
            )
            booked.append(day)
            if late:
                _audit(session, school, actor, "booking_after_cutoff", child, day, service, cutoff)
        day += timedelta(days=1)
    if rows:
        session.execute(insert(table(Reservation)), rows)
        buffer = ChangeBuffer()
        for row in rows:
            when = row["day"]
            assert isinstance(when, date)
            buffer.put(
                school_id=school.id,
                kind="reservation",
                key=reservation_key(child.ref, when, service),
                data=reservation_data(child.ref, when, service, prepaid),
            )
        if debits and child.family_id is not None:
            for amount, reference in debits:
                _post(session, child.family_id, "booking_debit", amount, reference)
            put_balances(session, family_ids={child.family_id}, buffer=buffer)
        buffer.flush(session)
    return UsualDaysSummary(tuple(booked), tuple(already), tuple(skipped), tuple(refused))


def _checked(
    session: Session, principal: Principal, child_id: str, day: date, service: str
) -> tuple[Child, School, SchoolCalendar]:
    child = visible_child(session, principal, child_id=child_id)
    if child is None:
        raise BookingRefused("not_found", "Enfant introuvable.")
    school = session.get_one(School, child.school_id)
    calendar = calendar_of(session, school)
    if service not in calendar.services:
        raise BookingRefused("not_bookable", f"Service inconnu : {service}.")
    closed = calendar.closed_because(day)
    if closed is not None:
        raise BookingRefused("not_bookable", f"Pas de repas ce jour-là : {closed}.")
    today = datetime.now(calendar.tz).date()
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BookingRefused("not_bookable", "Trop loin dans le temps.")
    return child, school, calendar


def _lock(session: Session, school: School, child: Child) -> None:
    schools = {school.id}
    if child.family_id is not None:
        schools |= family_schools(session, family_ids=[child.family_id]).get(child.family_id, set())
    lock_schools(session, school_ids=schools)


def _reservation(session: Session, child: Child, day: date, service: str) -> Reservation | None:
    return session.execute(
        select(Reservation).where(
            Reservation.child_id == child.id, Reservation.day == day, Reservation.service == service
        )
    ).scalar_one_or_none()


def _past_cutoff(
    principal: Principal,
    calendar: SchoolCalendar,
    rule: Cutoff,
    day: date,
    service: str,
    now: datetime,
) -> tuple[datetime, bool]:
    """The cutoff of the meal and whether it has passed; past it, only the intendance may
    go on (a parent gets ``cutoff_passed``)."""
    cutoff = calendar.cutoff_at(rule, day, service)
    late = now > cutoff
    if late and principal.kind != "intendance":
        raise _cutoff_passed(cutoff)
    return cutoff, late


def _cutoff_passed(cutoff: datetime) -> BookingRefused:
    return BookingRefused(
        "cutoff_passed", f"Date limite dépassée ({deadline_text(cutoff)}).", cutoff_at=cutoff
    )


def _post(session: Session, family_id: str, kind: str, amount: int, reference: str) -> None:
    session.execute(
        insert(table(LedgerEntry)),
        [
            {
                "family_id": family_id,
                "kind": kind,
                "amount_cents": amount,
                "reference": reference,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        ],
    )


def _audit(
    session: Session,
    school: School,
    actor: str,
    action: str,
    child: Child,
    day: date,
    service: str,
    cutoff: datetime,
) -> None:
    detail = {
        "after": {"day": day.isoformat(), "service": service},
        "cutoff_at": cutoff.isoformat(),
    }
    session.add(
        AuditEntry(
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            actor=actor,
            action=action,
            school_id=school.id,
            subject=f"child {child.ref}",
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )


def close_day(session: Session, *, school: School, day: date, reason: str, actor: str) -> int:
    """Close the school's restaurant on ``day`` (strike, trip, exams): nobody can book it
    any more, and its bookings are cancelled — as the school's file would cancel them, so
    prepaid ones are refunded and stations receive the removals. Returns how many."""
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise BookingRefused("not_bookable", "Motif de fermeture requis (200 caractères au plus).")
    lock_schools(session, school_ids=[school.id])
    closure = session.execute(
        select(Closure).where(Closure.school_id == school.id, Closure.day == day)
    ).scalar_one_or_none()
    if closure is None:
        session.add(Closure(school_id=school.id, day=day, reason=reason))
    else:
        closure.reason = reason
    booked = session.execute(
        select(Child.ref, Reservation.service)
        .join(Child, Child.id == Reservation.child_id)
        .where(Child.school_id == school.id, Reservation.day == day)
    ).all()
    rows = [
        ReservationRow(ref, day, service, prepaid=False, cancelled=True) for ref, service in booked
    ]
    if rows:
        import_reservations(session, school=school, rows=rows)
    session.add(
        AuditEntry(
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            actor=actor,
            action="closure",
            school_id=school.id,
            subject=f"day {day.isoformat()}",
            detail=json.dumps({"after": {"reason": reason, "cancelled": len(rows)}}),
        )
    )
    return len(rows)
