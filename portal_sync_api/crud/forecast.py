"""The kitchen's forecast: meals to cook per day, service and class, from the bookings and
the line's own history.

expected = Σ over booked children (1 − the child's no-show rate) + the usual unreserved
passes of that service and class. A child's rate is its own over the last
``WEEKS`` weeks when it had at least ``MIN_HISTORY`` bookings then, else the school's.
Days already past also carry what was served, so the intendance can see whether the
forecast is right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bookings import calendar_of
from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.reads import not_voided
from portal_sync_api.models import Child, Meal, Reservation, School
from portal_sync_api.schemas import ForecastClass, ForecastDay, ForecastPublic

WEEKS = 4
MIN_HISTORY = 4


@dataclass
class _History:
    """What the last weeks before ``today`` say about each child and class."""

    rate_of: dict[str, float]  # child key -> no-show rate
    school_rate: float
    unreserved: dict[tuple[str, str], float]  # (service, class) -> passes per school day


def forecast(
    session: Session, *, school: School, start: date, end: date, today: date
) -> ForecastPublic:
    """The forecast of ``school`` from ``start`` to ``end`` (school days only)."""
    calendar = calendar_of(session, school)
    history = _history(session, school, today)
    class_of = dict(
        session.execute(
            select(Child.id, Child.class_name).where(Child.school_id == school.id)
        ).all()
    )
    booked: dict[tuple[date, str], list[str]] = defaultdict(list)
    rows = session.execute(
        select(Reservation.day, Reservation.service, Reservation.child_id)
        .join(Child, Child.id == Reservation.child_id)
        .where(Child.school_id == school.id, Reservation.day >= start, Reservation.day <= end)
    )
    for day, service, child in rows:
        booked[(day, service)].append(child)
    served = _served(session, school, start, min(end, today))
    days = []
    for day in calendar.school_days(start, end):
        for service in calendar.services:
            children = booked.get((day, service), [])
            classes: dict[str, ForecastClass] = {}
            per_class: dict[str, list[str]] = defaultdict(list)
            for child in children:
                per_class[class_of.get(child, "?")].append(child)
            for svc, class_name in history.unreserved:
                if svc == service:
                    per_class.setdefault(class_name, [])
            total = 0.0
            for class_name, members in sorted(per_class.items()):
                expected = sum(1 - history.rate_of.get(c, history.school_rate) for c in members)
                expected += history.unreserved.get((service, class_name), 0.0)
                classes[class_name] = ForecastClass(
                    booked=len(members), expected=round(expected, 1)
                )
                total += expected
            days.append(
                ForecastDay(
                    date=day,
                    service=service,
                    booked=len(children),
                    expected=round(total, 1),
                    served=served.get((day, service), 0) if day <= today else None,
                    classes=classes,
                )
            )
    return ForecastPublic(
        school=school.code,
        no_show_rate=round(history.school_rate, 3),
        weeks_observed=WEEKS,
        days=days,
    )


def _served(
    session: Session, school: School, start: date, end: date
) -> dict[tuple[date, str], int]:
    counts: dict[tuple[date, str], int] = defaultdict(int)
    if end < start:
        return counts
    rows = session.execute(
        select(Meal.business_date, Meal.service).where(
            Meal.school_id == school.id,
            Meal.business_date >= start,
            Meal.business_date <= end,
            Meal.duplicate_pass.is_(False),
            not_voided(),
        )
    )
    for day, service in rows:
        counts[(day, service)] += 1
    return counts


def _class_names(session: Session, *, child_ids: set[str]) -> dict[str, str]:
    """The class of each child, read for the few passes without a reservation only: a
    join of the weeks' meals with ``children`` read every child of every school."""
    found: dict[str, str] = {}
    for cond in member_of(session, Child.id, child_ids):
        found.update(session.execute(select(Child.id, Child.class_name).where(cond)).all())
    return found


def _history(session: Session, school: School, today: date) -> _History:
    """No-show rates and unreserved passes over the ``WEEKS`` weeks before ``today``."""
    first = today - timedelta(weeks=WEEKS)
    reserved = session.execute(
        select(Reservation.child_id, Reservation.day, Reservation.service)
        .join(Child, Child.id == Reservation.child_id)
        .where(Child.school_id == school.id, Reservation.day >= first, Reservation.day < today)
    ).all()
    eaten: set[tuple[str, date, str]] = set()
    unreserved_count: dict[tuple[str, str], int] = defaultdict(int)
    reserved_set = {(c, d, s) for c, d, s in reserved}
    rows = session.execute(
        select(Meal.child_id, Meal.business_date, Meal.service).where(
            Meal.school_id == school.id,
            Meal.business_date >= first,
            Meal.business_date < today,
            Meal.duplicate_pass.is_(False),
            not_voided(),
        )
    )
    days_seen: set[date] = set()
    unreserved_passes: list[tuple[str, str]] = []  # (service, child key)
    for child, day, service in rows:
        days_seen.add(day)
        eaten.add((child, day, service))
        if (child, day, service) not in reserved_set:
            unreserved_passes.append((service, child))
    class_of = _class_names(session, child_ids={child for _service, child in unreserved_passes})
    for service, child in unreserved_passes:
        unreserved_count[(service, class_of[child])] += 1
    per_child: dict[str, list[bool]] = defaultdict(list)
    for child, day, service in reserved:
        per_child[child].append((child, day, service) not in eaten)
    misses = [m for history in per_child.values() for m in history]
    school_rate = sum(misses) / len(misses) if misses else 0.0
    rate_of = {
        child: sum(history) / len(history)
        for child, history in per_child.items()
        if len(history) >= MIN_HISTORY
    }
    open_days = max(len(days_seen), 1)
    unreserved = {key: count / open_days for key, count in unreserved_count.items()}
    return _History(rate_of=rate_of, school_rate=school_rate, unreserved=unreserved)
