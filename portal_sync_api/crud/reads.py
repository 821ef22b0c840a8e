"""What parents and the intendance read: last meals, balances, daily consumption."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.schools import services_of
from portal_sync_api.models import Child, Meal, Reservation, School, Station, Void
from portal_sync_api.schemas import ConsumptionFigures, ConsumptionPublic, MealPublic


def not_voided() -> ColumnElement[bool]:
    """``meals`` rows no void undoes, as ``NOT EXISTS``: PostgreSQL plans it as an anti
    join and counts the rows it keeps, where ``LEFT JOIN voids … WHERE voids.id IS NULL``
    was estimated at one row and joined the rest by nested loops (docs/query-plans.md)."""
    return ~exists().where(Void.meal_id == Meal.id)


def child_meals(session: Session, *, child_id: str, limit: int) -> list[MealPublic]:
    """The last meals of the child of internal key ``child_id``, newest first."""
    rows = session.execute(
        select(Meal, Station.name, Void.id)
        .join(Station, Station.id == Meal.station_id)
        .outerjoin(Void, Void.meal_id == Meal.id)
        .where(Meal.child_id == child_id)
        .order_by(Meal.business_date.desc(), Meal.served_at.desc(), Meal.id.desc())
        .limit(limit)
    )
    return [
        MealPublic(
            meal_id=meal.ref,
            served_at=meal.served_at,
            business_date=meal.business_date,
            service=meal.service,
            charged_cents=meal.charged_cents,
            station=station,
            voided=void_id is not None,
            duplicate_pass=meal.duplicate_pass,
        )
        for meal, station, void_id in rows
    ]


def consumption(session: Session, *, school: School, day: date) -> ConsumptionPublic:
    """Per service and per class: reserved, no-shows, voids, amount charged and each meal
    not voided counted once, in exactly one of ``duplicate_passes``, ``served_forfait``,
    ``served_reserved`` and ``served_unreserved`` (in that order of precedence; definitions
    in docs/design.md §5). Voided meals are neither served nor charged: they count in
    ``voids``."""
    children = session.execute(
        select(Child.id, Child.class_name, Child.regime, Child.forfait_days).where(
            Child.school_id == school.id
        )
    ).all()
    classes_of = {child_id: class_name for child_id, class_name, _, _ in children}
    # The portal's own roster says which days are forfait; the station's verdict reason
    # also counts, in case the roster changed since the meal.
    forfait_today = {
        child_id
        for child_id, _, regime, days in children
        if regime == "forfait" and str(day.isoweekday()) in days
    }
    reserved: set[tuple[str, str]] = {
        (child_id, service)
        for child_id, service in session.execute(
            select(Reservation.child_id, Reservation.service)
            .join(Child, Child.id == Reservation.child_id)
            .where(Child.school_id == school.id, Reservation.day == day)
        )
    }
    meals = session.execute(
        select(
            Meal.child_id,
            Meal.service,
            Meal.charged_cents,
            Meal.duplicate_pass,
            Meal.source,
            Meal.reason,
            # A correlated EXISTS probes the void index per meal; a join read every void.
            exists().where(Void.meal_id == Meal.id).label("voided"),
        ).where(Meal.school_id == school.id, Meal.business_date == day)
    ).all()
    # Plain lists of counters while counting (a pydantic model per meal costs more than
    # the query), in the order of _FIELDS; the models are built once at the end.
    services: dict[str, list[int]] = {
        s.code: [0] * len(_FIELDS) for s in services_of(session, school_id=school.id)
    }
    classes: dict[str, dict[str, list[int]]] = defaultdict(dict)

    def figures(child_id: str, service: str) -> tuple[list[int], list[int]]:
        total = services.get(service)
        if total is None:
            total = services[service] = [0] * len(_FIELDS)
        per_class = classes[classes_of.get(child_id, "?")]
        row = per_class.get(service)
        if row is None:
            row = per_class[service] = [0] * len(_FIELDS)
        return total, row

    served: set[tuple[str, str]] = set()
    for child_id, service, charged, duplicate_pass, source, reason, voided in meals:
        if voided:
            column = _VOIDS
        elif duplicate_pass:
            column = _DUPLICATES
        elif reason == "forfait" or child_id in forfait_today:
            column = _FORFAIT
        elif (child_id, service) in reserved:
            column = _SERVED_RESERVED
        else:
            column = _SERVED_UNRESERVED
        for fig in figures(child_id, service):
            fig[column] += 1
            if not voided:
                fig[_OVERRIDES] += int(source == "override")
                fig[_CHARGED] += charged
        if not voided:
            served.add((child_id, service))
    for child_id, service in reserved:
        for fig in figures(child_id, service):
            fig[_RESERVED] += 1
            if (child_id, service) not in served:
                fig[_NO_SHOWS] += 1
    return ConsumptionPublic(
        school=school.code,
        day=day,
        services={code: _figures(row) for code, row in services.items()},
        classes={
            name: {code: _figures(row) for code, row in classes[name].items()}
            for name in sorted(classes)
        },
    )


#: The counters of :class:`ConsumptionFigures`, in the order :func:`consumption` keeps them.
_FIELDS = tuple(ConsumptionFigures.model_fields)
(
    _RESERVED,
    _SERVED_RESERVED,
    _SERVED_UNRESERVED,
    _NO_SHOWS,
    _VOIDS,
    _DUPLICATES,
    _CHARGED,
    _OVERRIDES,
    _FORFAIT,
) = (
    _FIELDS.index(name)
    for name in (
        "reserved",
        "served_reserved",
        "served_unreserved",
        "no_shows",
        "voids",
        "duplicate_passes",
        "charged_cents",
        "overrides",
        "served_forfait",
    )
)


def _figures(row: list[int]) -> ConsumptionFigures:
    return ConsumptionFigures(**dict(zip(_FIELDS, row, strict=True)))


CSV_HEADERS = (
    "service",
    "classe",
    "réservés",
    "servis avec réservation",
    "servis sans réservation",
    "absents",
    "annulations",
    "doubles passages",
    "montant facturé (€)",
    # Appended last so that files read by column position keep their meaning.
    "servis au forfait",
)


def euros(cents: int) -> str:
    """``415`` → ``4,15`` (French decimal comma, as Excel expects)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


#: What makes Excel or LibreOffice read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell of an export, prefixed with ``'`` when it would start a formula, so the
    spreadsheet shows it as text instead of running it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def consumption_csv(report: ConsumptionPublic) -> bytes:
    """The report as a CSV French Excel opens: ``;``, UTF-8 with BOM, CRLF."""

    def line(service: str, group: str, f: ConsumptionFigures) -> str:
        cells = [
            csv_text(service),  # names come from imports and settings: never a formula
            csv_text(group),
            f.reserved,
            f.served_reserved,
            f.served_unreserved,
            f.no_shows,
            f.voids,
            f.duplicate_passes,
            euros(f.charged_cents),
            f.served_forfait,
        ]
        return ";".join(str(c).replace(";", ",") for c in cells)

    lines = [";".join(CSV_HEADERS)]
    for service, figs in report.services.items():
        lines.append(line(service, "Total", figs))
        for group, per_service in report.classes.items():
            if service in per_service:
                lines.append(line(service, group, per_service[service]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
