"""Monthly statements (« relevés ») of a family's account, built once from its ledger and
rendered twice, as PDF and CSV (``web/statement_pdf.py``, ``web/statement_csv.py``).

A ledger entry belongs to the month of its instant (``ledger.at``) on the school's clock,
so a statement is exactly the ledger: its opening balance is the sum of every entry
before the month, its closing balance the sum of every entry before the next one. A meal
synced on 2 December for 30 November is on December's statement, dated 30 November.

:func:`build_statement` is pure (ledger rows in, :class:`Statement` out); the functions
below it read the rows, with what people need to recognise each one (the child, the day
and the service of a meal or a prepaid booking, the reference as people read it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.ledger import public_references
from portal_sync_api.models import Child, Family, LedgerEntry, Meal, Reservation, School

#: A month as the paths and the CSV name it: ``2026-12`` (years 1000 to 2999, ASCII
#: digits only: anything else is no month, never a date the calendar cannot hold).
PERIOD = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])")

#: The sections of a statement, in the order printed: key, French title, ledger kinds.
#: A kind listed nowhere (one a later feature adds) lands in « Autres opérations ».
SECTIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("meals", "Repas", frozenset({"meal_charge"})),
    ("voids", "Repas annulés (remboursés)", frozenset({"void_refund"})),
    ("booking_debits", "Réservations prépayées", frozenset({"booking_debit"})),
    ("booking_refunds", "Réservations annulées (remboursées)", frozenset({"booking_refund"})),
    ("credits", "Crédits et paiements", frozenset({"credit", "payment"})),
    ("adjustments", "Ajustements", frozenset({"adjustment"})),
    ("other", "Autres opérations", frozenset()),
)
#: Sections about a meal or a booking: their lines name a child, a day and a service.
MEAL_SECTIONS = frozenset({"meals", "voids", "booking_debits", "booking_refunds"})


@dataclass(frozen=True)
class LedgerRow:
    """One ledger entry of a family with what people need to recognise it."""

    id: int
    kind: str
    amount_cents: int
    #: The reference as people read it (``meal:<station's id>``, a payment reference…).
    reference: str
    #: The entry's instant, with its offset.
    at: datetime
    child: str | None = None  # « Hervé DUPONT »
    day: date | None = None  # the meal's day
    service: str | None = None


@dataclass(frozen=True)
class StatementSection:
    """The lines of one kind of operation in the month, and their exact total."""

    key: str
    title: str
    lines: tuple[LedgerRow, ...]
    total_cents: int


@dataclass(frozen=True)
class Statement:
    """A family's statement for one month."""

    school_code: str
    school_name: str
    family_ref: str
    #: The children of the family, « Hervé DUPONT », as the statement names the family.
    children: tuple[str, ...]
    year: int
    month: int
    timezone: str
    opening_cents: int
    #: Every section, in :data:`SECTIONS` order, empty ones included.
    sections: tuple[StatementSection, ...]
    closing_cents: int

    @property
    def period(self) -> str:
        """``2026-12``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def movements_cents(self) -> int:
        """The month's entries added up (closing − opening)."""
        return sum(s.total_cents for s in self.sections)

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """The month's last day."""
        year, month = next_month(self.year, self.month)
        return date.fromordinal(date(year, month, 1).toordinal() - 1)

    def section(self, key: str) -> StatementSection:
        """The section ``key`` of :data:`SECTIONS`."""
        return next(s for s in self.sections if s.key == key)


def parse_period(text: str) -> tuple[int, int]:
    """``"2026-12"`` → ``(2026, 12)``; anything else raises ``ValueError``."""
    found = PERIOD.fullmatch(text)
    if found is None:
        raise ValueError(f"mois attendu au format AAAA-MM : {text!r}")
    return int(found.group(1)), int(found.group(2))


def next_month(year: int, month: int) -> tuple[int, int]:
    """The month after ``(year, month)``."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_start(year: int, month: int, timezone: str) -> datetime:
    """Midnight of the month's first day on the school's clock."""
    return datetime(year, month, 1, tzinfo=ZoneInfo(timezone))


def period_of(at: datetime, timezone: str) -> tuple[int, int]:
    """The month an instant belongs to on the school's clock."""
    local = at.astimezone(ZoneInfo(timezone))
    return local.year, local.month


def section_key(kind: str) -> str:
    """The section a ledger kind is printed in."""
    return next((key for key, _, kinds in SECTIONS if kind in kinds), "other")


def active_periods(rows: Iterable[LedgerRow], timezone: str) -> list[tuple[int, int]]:
    """The months with at least one entry, newest first."""
    return sorted({period_of(r.at, timezone) for r in rows}, reverse=True)


def recent_periods(today: date, count: int) -> list[tuple[int, int]]:
    """``count`` months ending with ``today``'s, newest first."""
    periods = []
    year, month = today.year, today.month
    for _ in range(count):
        periods.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return periods


def _line_order(row: LedgerRow) -> tuple[date, str, str, datetime, int]:
    # A meal line is read by its day; the instant and id keep the order total.
    return (row.day or row.at.date(), row.child or "", row.service or "", row.at, row.id)


def build_statement(
    rows: Iterable[LedgerRow],
    *,
    year: int,
    month: int,
    timezone: str,
    school_code: str,
    school_name: str,
    family_ref: str,
    children: Sequence[str] = (),
) -> Statement:
    """The statement of ``(year, month)`` from the family's ledger rows (every row: those
    before the month make the opening balance, those after it are left out)."""
    start = month_start(year, month, timezone)
    end = month_start(*next_month(year, month), timezone)
    opening = 0
    by_section: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        if row.at < start:
            opening += row.amount_cents
        elif row.at < end:
            by_section[section_key(row.kind)].append(row)
    sections = []
    for key, title, _ in SECTIONS:
        lines = by_section.get(key, [])
        lines.sort(key=_line_order if key in MEAL_SECTIONS else lambda r: (r.at, r.id))
        sections.append(
            StatementSection(key, title, tuple(lines), sum(r.amount_cents for r in lines))
        )
    movements = sum(s.total_cents for s in sections)
    return Statement(
        school_code=school_code,
        school_name=school_name,
        family_ref=family_ref,
        children=tuple(children),
        year=year,
        month=month,
        timezone=timezone,
        opening_cents=opening,
        sections=tuple(sections),
        closing_cents=opening + movements,
    )


# -- reading the ledger ----------------------------------------------------------------------


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # Every writer stores an offset; a bare value would be UTC, as ``now_iso`` writes.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def ledger_rows(session: Session, *, family_ids: Collection[str]) -> dict[str, list[LedgerRow]]:
    """The whole ledger of each family (by internal key), oldest first, with the child,
    day and service of each meal and prepaid booking and the references as people read
    them."""
    entries: list[LedgerEntry] = []
    for cond in member_of(session, LedgerEntry.family_id, family_ids):
        entries.extend(session.execute(select(LedgerEntry).where(cond)).scalars())
    entries.sort(key=lambda e: e.id)
    shown = public_references(session, [e.reference for e in entries])
    meals = _meal_details(session, entries)
    bookings = _booking_details(session, entries)
    result: dict[str, list[LedgerRow]] = {f: [] for f in family_ids}
    for entry, reference in zip(entries, shown, strict=True):
        prefix, _, key = entry.reference.partition(":")
        detail = meals.get(key) if prefix in ("meal", "void") else None
        if prefix in ("booking", "refund"):
            detail = bookings.get(key)
        child, day, service = detail or (None, None, None)
        result[entry.family_id].append(
            LedgerRow(
                id=entry.id,
                kind=entry.kind,
                amount_cents=entry.amount_cents,
                reference=reference,
                at=_instant(entry.at),
                child=child,
                day=day,
                service=service,
            )
        )
    return result


#: What a ledger line says of its meal: the child's name, the day, the service.
Detail = tuple[str, date, str]


def _meal_details(session: Session, entries: list[LedgerEntry]) -> dict[str, Detail]:
    keys = {
        e.reference.partition(":")[2] for e in entries if e.reference.startswith(("meal:", "void:"))
    }
    found: dict[str, Detail] = {}
    for cond in member_of(session, Meal.id, keys):
        query = (
            select(Meal.id, Child.first_name, Child.last_name, Meal.business_date, Meal.service)
            .join(Child, Child.id == Meal.child_id)
            .where(cond)
        )
        for key, first, last, day, service in session.execute(query):
            found[key] = (f"{first} {last}", day, service)
    return found


def _booking_details(session: Session, entries: list[LedgerEntry]) -> dict[str, Detail]:
    # A cancelled booking's reservation is gone: its debit and refund name no meal.
    refs = {
        e.reference.partition(":")[2]
        for e in entries
        if e.reference.startswith(("booking:", "refund:"))
    }
    found: dict[str, Detail] = {}
    for cond in member_of(session, Reservation.booking_ref, refs):
        query = (
            select(
                Reservation.booking_ref,
                Child.first_name,
                Child.last_name,
                Reservation.day,
                Reservation.service,
            )
            .join(Child, Child.id == Reservation.child_id)
            .where(cond)
        )
        for ref, first, last, day, service in session.execute(query):
            found[str(ref)] = (f"{first} {last}", day, service)
    return found


def family_school(session: Session, family: Family) -> School | None:
    """The school whose statement a family gets: the one that imported it, else its first
    child's (a family of a database older than scoped ids)."""
    if family.school_id is not None:
        return session.get(School, family.school_id)
    school_id = session.execute(
        select(Child.school_id).where(Child.family_id == family.id).order_by(Child.id).limit(1)
    ).scalar_one_or_none()
    return None if school_id is None else session.get(School, school_id)


def _children(session: Session, family_ids: Collection[str]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = defaultdict(list)
    for cond in member_of(session, Child.family_id, family_ids):
        query = (
            select(Child.family_id, Child.first_name, Child.last_name)
            .where(cond)
            .order_by(Child.last_name, Child.first_name, Child.id)
        )
        for family_id, first, last in session.execute(query):
            names[str(family_id)].append(f"{first} {last}")
    return names


def family_periods(session: Session, *, family: Family, school: School) -> list[tuple[int, int]]:
    """The months with activity on the family's account, newest first."""
    rows = ledger_rows(session, family_ids=[family.id])[family.id]
    return active_periods(rows, school.timezone)


def family_statement(
    session: Session, *, family: Family, school: School, year: int, month: int
) -> Statement:
    """The family's statement of ``(year, month)``; the caller checked who may see it."""
    rows = ledger_rows(session, family_ids=[family.id])[family.id]
    return build_statement(
        rows,
        year=year,
        month=month,
        timezone=school.timezone,
        school_code=school.code,
        school_name=school.name,
        family_ref=family.ref,
        children=_children(session, [family.id]).get(family.id, []),
    )


def school_statements(
    session: Session, *, school: School, year: int, month: int
) -> list[Statement]:
    """The statement of ``(year, month)`` of every family of the school (imported by it,
    or with a child in it) that has an entry before the month's end, by family id."""
    in_school = select(Child.family_id).where(Child.school_id == school.id)
    families = (
        session.execute(
            select(Family).where(or_(Family.school_id == school.id, Family.id.in_(in_school)))
        )
        .scalars()
        .all()
    )
    rows = ledger_rows(session, family_ids=[f.id for f in families])
    names = _children(session, [f.id for f in families])
    end = month_start(*next_month(year, month), school.timezone)
    statements = []
    for family in sorted(families, key=lambda f: f.ref):
        own = rows.get(family.id, [])
        if not any(r.at < end for r in own):
            continue
        statements.append(
            build_statement(
                own,
                year=year,
                month=month,
                timezone=school.timezone,
                school_code=school.code,
                school_name=school.name,
                family_ref=family.ref,
                children=names.get(family.id, []),
            )
        )
    return statements
