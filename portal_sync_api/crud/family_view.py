"""What the family pages show: the children with their last meals, the balance, the
ledger with its running balance and the balance expected after the meals already booked.

Built on the API's reads and visibility rules (``crud.reads``, ``crud.ledger``,
``crud.accounts``): a parent's principal sees exactly what their family's token sees; any
other child or family is ``None`` here, which the pages answer as « introuvable ».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.core.calendar import iso_week, parse_weekdays, week_monday
from portal_sync_api.crud.accounts import Principal, sees_child, sees_family, visible_child
from portal_sync_api.crud.bookings import (
    Slot,
    UsualDaysSummary,
    booking_rule,
    cancel_rule,
    child_week,
)
from portal_sync_api.crud.family_tables import ChildPhoto
from portal_sync_api.crud.ledger import balances
from portal_sync_api.crud.payments import min_topup_cents
from portal_sync_api.crud.reads import child_meals, not_voided
from portal_sync_api.crud.tariffs_qf import pricers_for
from portal_sync_api.models import (
    Card,
    Child,
    Family,
    LedgerEntry,
    Meal,
    Payment,
    Reservation,
    School,
)
from portal_sync_api.schemas import MealPublic

#: How many meals the home page lists per child (families expect « les derniers repas »).
HOME_MEALS = 5
#: How many ledger lines « Situation de mes comptes » lists (the running balance is
#: computed over the whole ledger all the same).
LEDGER_LINES = 200
#: The minimum top-up when the school has not set ``min_topup_cents`` (docs/design.md §8).
DEFAULT_MIN_TOPUP_CENTS = 1000

#: Ledger kinds as parents read them; a kind not listed is shown as recorded.
KIND_LABELS = {
    "credit": "Crédit",
    "payment": "Crédit",
    "meal_charge": "Repas",
    "void_refund": "Annulation de repas",
    "adjustment": "Ajustement",
    "booking_debit": "Réservation prépayée",
    "booking_refund": "Réservation annulée (remboursée)",
    "reservation_debit": "Réservation prépayée",
    "reservation_charge": "Réservation prépayée",
    "prepaid_booking": "Réservation prépayée",
    "reservation_refund": "Remboursement",
    "refund": "Remboursement",
}


@dataclass(frozen=True)
class ChildCard:
    """A child as the family pages show it."""

    id: str
    first_name: str
    last_name: str
    class_name: str
    school_name: str
    card_code: str | None
    card_status: str | None
    regime: str
    diet: tuple[str, ...]
    allergies: tuple[str, ...]
    meals: tuple[MealPublic, ...]
    has_photo: bool


@dataclass(frozen=True)
class MealRef:
    """Which meal a ledger line is about: whose, which service, which day."""

    child_first_name: str
    service: str
    day: date


@dataclass(frozen=True)
class LedgerLine:
    """One ledger entry with the balance right after it."""

    at: str
    kind: str
    label: str
    amount_cents: int
    balance_after_cents: int
    #: The meal a charge or a void refund is about, when there is one.
    meal: MealRef | None = None


@dataclass(frozen=True)
class BookedMeal:
    """A meal booked from today on, not prepaid: it will be charged when eaten."""

    child_first_name: str
    day: date
    service: str
    price_cents: int


@dataclass(frozen=True)
class FamilyHome:
    """The home page: children with their last meals and the family balance."""

    family_id: str
    children: tuple[ChildCard, ...]
    balance_cents: int
    low_balance_threshold_cents: int

    @property
    def low_balance(self) -> bool:
        """The balance is under the school's low-balance threshold."""
        return self.balance_cents < self.low_balance_threshold_cents


@dataclass(frozen=True)
class FamilyAccounts:
    """« Situation de mes comptes »."""

    family_id: str
    balance_cents: int
    low_balance_threshold_cents: int
    lines: tuple[LedgerLine, ...]
    entries_total: int
    booked: tuple[BookedMeal, ...]
    min_topup_cents: int
    #: The school's time zone, in which the page writes instants.
    timezone: str = "Europe/Paris"

    @property
    def low_balance(self) -> bool:
        """The balance is under the school's low-balance threshold."""
        return self.balance_cents < self.low_balance_threshold_cents

    @property
    def booked_cents(self) -> int:
        """What the booked meals will cost."""
        return sum(b.price_cents for b in self.booked)

    @property
    def estimated_cents(self) -> int:
        """The balance once the booked meals are eaten."""
        return self.balance_cents - self.booked_cents


def split_codes(value: str) -> tuple[str, ...]:
    """``"sans_porc|vegetarien"`` → ``("sans_porc", "vegetarien")`` (as recorded)."""
    return tuple(part.strip() for part in value.split("|") if part.strip())


def family_children(session: Session, principal: Principal, *, family_id: str) -> list[Child]:
    """The children of the family of internal key ``family_id`` that ``principal`` may
    see, by first name."""
    if not sees_family(session, principal, family_key=family_id):
        return []
    rows = session.execute(
        select(Child).where(Child.family_id == family_id).order_by(Child.first_name, Child.id)
    ).scalars()
    return [c for c in rows if sees_child(principal, c)]


def child_card(
    session: Session, principal: Principal, *, child_id: str, meals: int = HOME_MEALS
) -> ChildCard | None:
    """One child for its page (``None`` when ``principal`` may not see it)."""
    child = visible_child(session, principal, child_id=child_id)
    return None if child is None else _card(session, child, meals)


def _card(session: Session, child: Child, meals: int) -> ChildCard:
    cards = session.execute(
        select(Card.code, Card.status).where(Card.child_id == child.id).order_by(Card.code)
    ).all()
    # The card in use first; a lost or blocked one only when there is no other.
    active = [c for c in cards if c.status == "active"]
    chosen = active or cards
    card = chosen[-1] if chosen else None
    school = session.get(School, child.school_id)
    has_photo = session.get(ChildPhoto, child.id) is not None
    return ChildCard(
        id=child.ref,
        first_name=child.first_name,
        last_name=child.last_name,
        class_name=child.class_name,
        school_name=school.name if school else "",
        card_code=card.code if card else None,
        card_status=card.status if card else None,
        regime=child.regime,
        diet=split_codes(child.diet),
        allergies=split_codes(child.allergies),
        meals=tuple(child_meals(session, child_id=child.id, limit=meals)),
        has_photo=has_photo,
    )


def _schools(session: Session, children: list[Child]) -> list[School]:
    ids = sorted({c.school_id for c in children})
    return [s for s in (session.get(School, i) for i in ids) if s is not None]


def _threshold(schools: list[School]) -> int:
    # A family with children in two schools is warned at the higher of their thresholds.
    return max((s.low_balance_threshold_cents for s in schools), default=3000)


def _min_topup(schools: list[School]) -> int:
    # The rule the payment applies (crud/payments.py); the higher of two schools' minimums.
    return max((min_topup_cents(s) for s in schools), default=DEFAULT_MIN_TOPUP_CENTS)


def family_home(
    session: Session, principal: Principal, *, family_id: str, meals: int = HOME_MEALS
) -> FamilyHome | None:
    """The home page of the family of internal key ``family_id``, or ``None`` when
    ``principal`` may not see it."""
    if not sees_family(session, principal, family_key=family_id):
        return None
    children = family_children(session, principal, family_id=family_id)
    return FamilyHome(
        family_id=session.get_one(Family, family_id).ref,
        children=tuple(_card(session, c, meals) for c in children),
        balance_cents=balances(session, family_ids=[family_id])[family_id],
        low_balance_threshold_cents=_threshold(_schools(session, children)),
    )


def ledger_lines(session: Session, *, family_id: str) -> list[LedgerLine]:
    """The family's whole ledger with the balance after each entry, newest first (the
    running balance is added up oldest to newest, so the newest line is the balance)."""
    entries = list(
        session.execute(
            select(LedgerEntry).where(LedgerEntry.family_id == family_id).order_by(LedgerEntry.id)
        ).scalars()
    )
    details = _meal_details(session, entries)
    paid = _payment_labels(session, family_id=family_id)
    running = 0
    lines = []
    for entry in entries:
        running += entry.amount_cents
        lines.append(
            LedgerLine(
                at=entry.at,
                kind=entry.kind,
                label=paid.get(entry.reference) or KIND_LABELS.get(entry.kind, entry.kind),
                meal=details.get(entry.reference),
                amount_cents=entry.amount_cents,
                balance_after_cents=running,
            )
        )
    lines.reverse()
    return lines


#: How a credit made by a payment through the portal reads, by the payment's method.
PAYMENT_LABELS = {
    "online": "Paiement en ligne",
    "cash": "Paiement au guichet (espèces)",
    "cheque": "Paiement au guichet (chèque)",
}


def _payment_labels(session: Session, *, family_id: str) -> dict[str, str]:
    """The label of each ``payment:…`` ledger reference of the family: an online
    payment's credit is referenced by the provider's transaction, a counter payment's by
    its own reference (``crud/payments.py``)."""
    labels: dict[str, str] = {}
    rows = session.execute(
        select(Payment.ref, Payment.provider_txn, Payment.method).where(
            Payment.family_id == family_id
        )
    )
    for ref, txn, method in rows:
        label = PAYMENT_LABELS.get(method)
        if label is not None:
            labels[f"payment:{txn if method == 'online' else ref}"] = label
    return labels


def _meal_details(session: Session, entries: list[LedgerEntry]) -> dict[str, MealRef]:
    """The meal of each ``meal:<key>`` / ``void:<key>`` reference (both name the meal)."""
    meal_of = {
        entry.reference: entry.reference.partition(":")[2]
        for entry in entries
        if entry.reference.startswith(("meal:", "void:"))
    }
    if not meal_of:
        return {}
    described = {
        meal_id: MealRef(child_first_name=first_name, service=service, day=day)
        for meal_id, service, day, first_name in session.execute(
            select(Meal.id, Meal.service, Meal.business_date, Child.first_name)
            .join(Child, Child.id == Meal.child_id)
            .where(Meal.id.in_(sorted(set(meal_of.values()))))
        )
    }
    return {ref: described[m] for ref, m in meal_of.items() if m in described}


def booked_meals(
    session: Session, *, children: list[Child], today: date | None = None
) -> list[BookedMeal]:
    """Meals booked from today on that are not prepaid and not eaten yet, priced with
    each child's tariff for that service (a forfait day costs nothing: docs/design.md §3 row 7)."""
    schools = {s.id: s for s in _schools(session, children)}
    first_days = {
        child.id: today or datetime.now(ZoneInfo(schools[child.school_id].timezone)).date()
        for child in children
        if child.school_id in schools
    }
    if not first_days:
        return []
    # The QF bracket of each day when the school prices by income (crud/tariffs_qf.py).
    pricers = pricers_for(session, [c for c in children if c.id in first_days])
    since = min(first_days.values())  # then filtered by each child's own today
    eaten = {
        (child_id, day, service)
        for child_id, day, service in session.execute(
            select(Meal.child_id, Meal.business_date, Meal.service).where(
                Meal.child_id.in_(list(first_days)), Meal.business_date >= since, not_voided()
            )
        )
    }
    booked = session.execute(
        select(Reservation.child_id, Reservation.day, Reservation.service).where(
            Reservation.child_id.in_(list(first_days)),
            Reservation.day >= since,
            Reservation.prepaid.is_(False),
        )
    ).all()
    by_id = {child.id: child for child in children}
    result = []
    for child_id, day, service in booked:
        child = by_id[child_id]
        if day < first_days[child_id] or (child_id, day, service) in eaten:
            continue  # past in the child's school, or already charged in the ledger
        if child.regime == "forfait" and str(day.isoweekday()) in child.forfait_days:
            continue
        result.append(
            BookedMeal(
                child_first_name=child.first_name,
                day=day,
                service=service,
                price_cents=int(pricers[child_id].price(service, day) or 0),
            )
        )
    result.sort(key=lambda b: (b.day, b.service, b.child_first_name))
    return result


def family_accounts(
    session: Session,
    principal: Principal,
    *,
    family_id: str,
    today: date | None = None,
    limit: int = LEDGER_LINES,
) -> FamilyAccounts | None:
    """« Situation de mes comptes » of the family of internal key ``family_id`` (``None``
    when not visible)."""
    if not sees_family(session, principal, family_key=family_id):
        return None
    children = family_children(session, principal, family_id=family_id)
    schools = _schools(session, children)
    lines = ledger_lines(session, family_id=family_id)
    return FamilyAccounts(
        family_id=session.get_one(Family, family_id).ref,
        balance_cents=balances(session, family_ids=[family_id])[family_id],
        low_balance_threshold_cents=_threshold(schools),
        lines=tuple(lines[:limit]),
        entries_total=len(lines),
        booked=tuple(booked_meals(session, children=children, today=today)),
        min_topup_cents=_min_topup(schools),
        timezone=schools[0].timezone if schools else "Europe/Paris",
    )


# -- « Réserver » ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingDay:
    """One day of the booking week with its services."""

    day: date
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class BookingWeek:
    """The « Réserver » page of one child and one ISO week."""

    children: tuple[tuple[str, str], ...]  # (school's id, first name) of every child
    child_id: str
    first_name: str
    week: str
    previous_week: str
    next_week: str
    days: tuple[BookingDay, ...]
    booking_rule: str
    cancel_rule: str | None  # ``None``: the same as booking
    prepaid: bool
    balance_cents: int
    estimated_cents: int
    usual_start: date
    usual_end: date
    #: ISO weekdays the school is open (the choices of « jours habituels »).
    open_weekdays: tuple[int, ...]


def booking_week(
    session: Session,
    principal: Principal,
    *,
    family_id: str,
    child_id: str | None,
    week: str | None,
    now: datetime,
) -> BookingWeek | None:
    """The week ``week`` (``YYYY-Www``, default this one) of child ``child_id`` (default
    the family's first); ``None`` when the child is not the family's."""
    children = family_children(session, principal, family_id=family_id)
    if not children:
        return None
    child = next((c for c in children if c.ref == child_id), None) if child_id else children[0]
    if child is None:
        return None
    school = session.get_one(School, child.school_id)
    today = now.astimezone(ZoneInfo(school.timezone)).date()
    # On a Saturday or a Sunday, the week to book is the coming one.
    this_week = today - timedelta(days=today.weekday()) + timedelta(weeks=today.weekday() >= 5)
    try:
        monday = week_monday(week) if week else this_week
    except ValueError:
        monday = this_week
    found = child_week(
        session,
        principal,
        child_id=child.ref,
        start=monday,
        end=monday + timedelta(days=6),
        now=now,
    )
    assert found is not None  # the child is the family's
    _, slots = found
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.day, []).append(slot)
    days = tuple(
        BookingDay(day, tuple(day_slots))
        for day, day_slots in sorted(by_day.items())
        if day.isoweekday() <= 5 or any(s.bookable or s.reserved for s in day_slots)
    )
    accounts = family_accounts(session, principal, family_id=family_id, today=today, limit=0)
    year_end = date(today.year + (1 if today.month >= 7 else 0), 7, 3)
    return BookingWeek(
        children=tuple((c.ref, c.first_name) for c in children),
        child_id=child.ref,
        first_name=child.first_name,
        week=iso_week(monday),
        previous_week=iso_week(monday - timedelta(days=7)),
        next_week=iso_week(monday + timedelta(days=7)),
        days=days,
        booking_rule=booking_rule(school).describe(),
        cancel_rule=cancel_rule(school).describe() if school.cancel_cutoff else None,
        prepaid=school.booking_mode == "prepaid",
        balance_cents=accounts.balance_cents if accounts else 0,
        estimated_cents=accounts.estimated_cents if accounts else 0,
        usual_start=max(today, monday),
        usual_end=year_end,
        open_weekdays=tuple(
            d for d in range(1, 6) if d not in parse_weekdays(school.closed_weekdays)
        ),
    )


def usual_days_summary(summary: UsualDaysSummary) -> str:
    """What « jours habituels » did, in one sentence for the page."""

    def count(n: int, what: str) -> str:
        return f"{n} {what}{'s' if n > 1 else ''}"

    parts = [count(len(summary.booked), "repas réservé")]
    if summary.already:
        parts.append(count(len(summary.already), "déjà réservé"))
    if summary.skipped:
        reasons = sorted({reason.split(" (")[0].split(" :")[0] for _, reason in summary.skipped})
        parts.append(f"{count(len(summary.skipped), 'jour')} sans repas ({', '.join(reasons)})")
    if summary.refused:
        first_day, why = summary.refused[0]
        first = f"le premier, {first_day:%d/%m/%Y} : {why.rstrip('.')}"
        parts.append(f"{count(len(summary.refused), 'refusé')} ({first})")
    return ", ".join(parts) + "."
