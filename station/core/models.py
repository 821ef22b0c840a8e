"""Domain records of the station; works without a UI.

Plain frozen dataclasses: what the cache holds about a school, and what a scan decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of a scan."""

    SERVED = "served"
    REFUSED = "refused"


class Reason(StrEnum):
    """Why a scan was served or refused (docs/design.md §3 decision table)."""

    UNREADABLE = "unreadable"
    FOREIGN_CARD = "foreign_card"
    UNKNOWN_CARD = "unknown_card"
    UNKNOWN_CHILD = "unknown_child"
    """A manual serve (``--manual``) named a child that is not in the local cache."""
    CARD_BLOCKED = "card_blocked"
    NO_SERVICE = "no_service"
    ALREADY_SERVED = "already_served"
    MANUAL_LIMIT = "manual_limit"
    OVERRIDE_LIMIT = "override_limit"
    OVERRIDE = "override"
    """Served by a supervised override (F4) of ``no_reservation`` or ``insufficient_balance``."""
    FORFAIT = "forfait"
    PREPAID = "prepaid"
    RESERVED = "reserved"
    NO_RESERVATION = "no_reservation"
    UNRESERVED = "unreserved"
    UNRESERVED_SURCHARGE = "unreserved_surcharge"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    PASS_EXPIRED = "pass_expired"
    """A genuine day pass (QR code) for another day than today."""
    PASS_INVALID = "pass_invalid"
    """A day pass that is altered, forged, or not checkable yet (no key received)."""


class Warning(StrEnum):
    """Flags that ride along a served verdict."""

    LOW_BALANCE = "low_balance"
    ALLERGY = "allergy"
    DIET = "diet"
    NO_TARIFF = "no_tariff"


class Source(StrEnum):
    """Where a scan came from."""

    WEDGE = "wedge"
    EVDEV = "evdev"
    SERIAL = "serial"
    CAMERA = "camera"
    MANUAL = "manual"
    OVERRIDE = "override"
    CLI = "cli"
    QR = "qr"
    """A parent's day pass (signed QR code), whichever reader read it."""


class UnreservedPolicy(StrEnum):
    """What to do with a child who has no reservation for the open service."""

    REFUSE = "refuse"
    ALLOW = "allow"
    SURCHARGE = "surcharge"


@dataclass(frozen=True)
class Service:
    """A meal service with its daily window in school local time, e.g. dejeuner 11:15–13:45."""

    code: str
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """True when ``moment`` (local time) falls in [start, end)."""
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Settings:
    """Per-school serving settings, pulled from the portal so every line agrees."""

    unreserved_policy: UnreservedPolicy = UnreservedPolicy.REFUSE
    """What happens to a child with no reservation: refuse, allow at the normal price,
    or allow with ``unreserved_surcharge_cents`` added."""
    unreserved_surcharge_cents: int = 0
    """Added to the price of an unreserved meal when the policy is ``surcharge``."""
    overdraft_limit_cents: int = 0
    """How far below zero a family balance may go before meals are refused."""
    low_balance_threshold_cents: int = 3000
    """A served verdict warns ``low_balance`` when the balance after charge is below this."""
    max_meals_per_service: int = 1
    """How many meals a child may take in one service on one day, across all lines."""
    undo_window_minutes: int = 10
    """How long after a pass staff may still void it."""
    max_manual_serves_per_child_per_month: int = 3
    """Manual serves (forgotten card) allowed per child per calendar month."""
    max_overrides_per_child_per_month: int = 3
    """Supervised overrides (« Servir quand même ») allowed per child per calendar month."""
    allergy_ack_required: bool = False
    """Staff must acknowledge an allergy / PAI verdict (F8) before the next pass is served;
    a card read meanwhile is kept and served right after."""

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Settings:
        """Build settings from portal JSON, ignoring keys this station does not know."""
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if "unreserved_policy" in known:
            known["unreserved_policy"] = UnreservedPolicy(known["unreserved_policy"])
        if "allergy_ack_required" in known:
            flag = known["allergy_ack_required"]
            if flag not in (True, False, 0, 1):
                raise ValueError(f"allergy_ack_required: vrai ou faux attendu, reçu {flag!r}")
            known["allergy_ack_required"] = bool(flag)
        for key, value in known.items():
            if key not in ("unreserved_policy", "allergy_ack_required") and not isinstance(
                value, int
            ):
                raise ValueError(f"{key}: entier attendu, reçu {value!r}")
        return cls(**known)


class Regime(StrEnum):
    """How a child pays: per meal (ticket) or a flat term fee on fixed days (forfait)."""

    TICKET = "ticket"
    FORFAIT = "forfait"


@dataclass(frozen=True)
class Child:
    """A pupil as the station's cache knows them."""

    id: str
    last_name: str
    first_name: str
    class_name: str
    regime: Regime = Regime.TICKET
    forfait_days: frozenset[int] = frozenset()
    tariff: str = ""
    diet: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    family_id: str = ""
    photo: str | None = None

    def public(self) -> dict[str, Any]:
        """The child as the verdict JSON shows it (docs/design.md §4)."""
        return {
            "id": self.id,
            "last_name": self.last_name,
            "first_name": self.first_name,
            "class": self.class_name,
            "diet": list(self.diet),
            "allergies": list(self.allergies),
        }


class CardStatus(StrEnum):
    """Lifecycle of a physical card."""

    ACTIVE = "active"
    LOST = "lost"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Card:
    """A card of the school: its code, its holder and its status."""

    code: str
    child_id: str
    status: CardStatus = CardStatus.ACTIVE


@dataclass(frozen=True)
class Reservation:
    """A booked meal for a child on a day and service."""

    child_id: str
    day: date
    service: str
    prepaid: bool = False


@dataclass(frozen=True)
class Facts:
    """Everything the cache knows that bears on one scan, gathered by the engine."""

    source: Source
    code_parsed: bool
    card_school: str | None
    card_code: str | None
    card: Card | None
    child: Child | None
    service: Service | None
    business_date: date
    reservation: Reservation | None = None
    balance_cents: int = 0
    served_count: int = 0
    first_served_at: datetime | None = None
    manual_serves_this_month: int = 0
    overrides_this_month: int = 0
    price_cents: int | None = None
    weekday: int = 1
    pass_refusal: Reason | None = None
    """Why a scanned day pass is refused before its card is even looked up (``None`` for
    a card, or a pass that checked out)."""


@dataclass(frozen=True)
class Verdict:
    """What a scan decided; everything the UI and the JSON output need."""

    status: Status
    reason: Reason
    business_date: date
    source: Source
    warnings: tuple[Warning, ...] = ()
    child: Child | None = None
    card: str | None = None
    service: str | None = None
    charged_cents: int = 0
    balance_cents: int | None = None
    meal_id: str | None = None
    first_served_at: datetime | None = None
    scanned_at: datetime | None = None
    station: str | None = None
    overridable: bool = False
    """A refusal staff may serve anyway with F4 (no reservation, short balance)."""
    ack_required: bool = False
    """An allergy verdict the school wants acknowledged (F8) before the next pass."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def served(self) -> bool:
        return self.status is Status.SERVED

    def to_json(self) -> dict[str, Any]:
        """The contract's verdict object (docs/design.md §4); keys are only ever added."""
        return {
            "status": self.status.value,
            "reason": self.reason.value,
            "warnings": [w.value for w in self.warnings],
            "child": self.child.public() if self.child else None,
            "service": self.service,
            "business_date": self.business_date.isoformat(),
            "charged_cents": self.charged_cents,
            "balance_cents": self.balance_cents,
            "meal_id": self.meal_id,
            "first_served_at": self.first_served_at.isoformat() if self.first_served_at else None,
            "card": self.card,
            "source": self.source.value,
            "scanned_at": self.scanned_at.isoformat() if self.scanned_at else None,
            "station": self.station,
            **self.extra,
        }


# --- what the screens and the day's report show (read-side records) ----------------------


@dataclass(frozen=True)
class Pass:
    """One line of the « derniers passages » list (a scan at this station)."""

    at: datetime
    status: str
    reason: str
    source: str
    child_id: str | None
    child_name: str | None
    class_name: str | None
    charged_cents: int
    meal_id: str | None
    voided: bool


@dataclass(frozen=True)
class ServiceCounters:
    """The current service at a glance: children served, reserved, still expected."""

    served: int
    reserved: int
    expected: int


@dataclass(frozen=True)
class LastMeal:
    """The latest meal served at this station and not voided: what F3 offers to undo."""

    meal_id: str
    child_id: str
    child_name: str
    class_name: str
    served_at: datetime
    charged_cents: int


@dataclass(frozen=True)
class Candidate:
    """A child found by name (F2), with what staff check before serving without a card."""

    child: Child
    reserved: bool
    """A reservation for the open service today (False when no service is open)."""
    served_at: datetime | None
    """First pass in the open service today, at any line; None when not served yet."""


@dataclass(frozen=True)
class LocalSyncFacts:
    """What the station file alone says about sync (when no runner reports)."""

    pending: int
    rejected: int
    pulled_at: datetime | None


class DayScope(StrEnum):
    """Which meals a day summary counts."""

    LINE = "line"
    """This station's own meals (``station report``)."""
    SCHOOL = "school"
    """Every line of the school this station knows of: its own meals and pulled ones."""


#: ``served_by_reason`` key of meals served at another line (their reason is not synced).
OTHER_LINE = "other_line"


@dataclass
class Tally:
    """Reserved / served / not (yet) shown for one service, overall or for one class."""

    reserved: int = 0
    served_reserved: int = 0
    served_unreserved: int = 0

    @property
    def served(self) -> int:
        return self.served_reserved + self.served_unreserved

    @property
    def missing(self) -> int:
        """Reserved children not served: still expected, or no-shows once the window closed."""
        return max(self.reserved - self.served_reserved, 0)


@dataclass
class ServiceSummary:
    """One service of the day, over the summary's scope."""

    service: Service
    closed: bool
    """The window is over: ``missing`` children are no-shows, not still expected."""
    tally: Tally = field(default_factory=Tally)
    served_by_reason: dict[str, int] = field(default_factory=dict)
    """Served meals (not voided) by reason code; another line's meals under ``other_line``."""
    refusals: dict[str, int] = field(default_factory=dict)
    """Refusals at this station, by reason code (other lines' refusals are not synced)."""
    charged_cents: int = 0
    voids: int = 0
    by_class: dict[str, Tally] = field(default_factory=dict)

    @property
    def refused(self) -> int:
        return sum(self.refusals.values())

    @property
    def active(self) -> bool:
        """Something happened at the line: a meal, a void or a refusal."""
        return bool(self.tally.served or self.voids or self.refusals)


@dataclass
class DaySummary:
    """One business day at a glance, for the F5 screen and ``station report`` alike."""

    day: date
    station: str
    scope: DayScope
    services: list[ServiceSummary]
    passes_per_slot: list[tuple[time, int]]
    """Meals served per 10-minute slot (school time), first to last busy slot."""

    def service(self, code: str) -> ServiceSummary | None:
        return next((s for s in self.services if s.service.code == code), None)
