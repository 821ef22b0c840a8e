"""Request and response bodies of the HTTP API (docs/sync-protocol.md, docs/design.md §5)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
)


def storable(text: str) -> str:
    """Refuse strings no database can store: NUL characters and lone surrogates."""
    if "\x00" in text:
        raise ValueError("caractère NUL interdit")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("texte non UTF-8") from None
    return text


def field_of(loc: Sequence[Any]) -> str:
    """``("query", "limit")`` → ``limit``; ``("body", "meals", 3, "id")`` → ``meals.3.id``."""
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or "body"


#: Printable ASCII without spaces: what a station's ids (UUIDs) and roster ids are made of.
ITEM_ID = re.compile(r"[!-~]{1,64}")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_item_id(value: object) -> bool:
    """Whether ``value`` may be echoed back as a batch item id (never a lone surrogate)."""
    return isinstance(value, str) and ITEM_ID.fullmatch(value) is not None


def iso_day_text(value: object) -> object:
    """Only an ``AAAA-MM-JJ`` text is a date: no timestamps (``0`` is not 1970-01-01)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _ISO_DAY.fullmatch(value) is None:
        raise ValueError("date AAAA-MM-JJ attendue")
    return value


def iso_moment_text(value: object) -> object:
    """Only an ISO 8601 text is a moment on the wire, never a number."""
    if not isinstance(value, str):
        raise ValueError("date-heure ISO 8601 attendue")
    return value


Text = Annotated[str, AfterValidator(storable)]
Id = Annotated[Text, Field(min_length=1, max_length=64)]
#: The id of a meal or a void, chosen by the station: printable ASCII, so every answer
#: that echoes it can be serialized (docs/sync-protocol.md).
ItemId = Annotated[str, Field(pattern=r"^[!-~]{1,64}$")]
#: A calendar day on the wire: ``AAAA-MM-JJ`` and nothing else.
IsoDay = Annotated[date, BeforeValidator(iso_day_text)]
#: A moment on the wire: an ISO 8601 text with its UTC offset.
IsoMoment = Annotated[AwareDatetime, BeforeValidator(iso_moment_text)]
#: An amount of money in cents: a JSON integer, never ``"415"``, ``415.0`` or ``true``.
Cents = Annotated[StrictInt, Field(ge=0, le=1_000_000)]


class MealIn(BaseModel):
    """A meal served at a station."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["meal"] = "meal"
    id: ItemId
    child_id: Id
    card: Text | None = Field(default=None, max_length=32)
    source: Text | None = Field(default=None, max_length=16)
    service: Annotated[Text, Field(min_length=1, max_length=32)]
    business_date: IsoDay
    served_at: IsoMoment
    reason: Text | None = Field(default=None, max_length=32)
    charged_cents: Cents


class VoidIn(BaseModel):
    """Undo of a meal; it refunds the meal's charge once."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["void"]
    id: ItemId
    meal_id: ItemId
    voided_at: IsoMoment
    reason: Text | None = Field(default=None, max_length=200)
    refund_cents: Cents | None = None


class MealBatchIn(BaseModel):
    """A batch of at most 1000 meals and voids, applied in order (body ≤ 1 MiB)."""

    meals: Annotated[list[MealIn | VoidIn], Field(max_length=1000)]


def _is_none(value: object) -> bool:
    return value is None


class ItemResult(BaseModel):
    """Outcome of one batch item."""

    id: str | None
    status: Literal["applied", "duplicate", "rejected"]
    seq: int | None = Field(default=None, exclude_if=_is_none)
    reason: str | None = Field(default=None, exclude_if=_is_none)
    duplicate_pass: bool | None = Field(default=None, exclude_if=_is_none)
    clock_skew: bool | None = Field(default=None, exclude_if=_is_none)


class MealBatchResult(BaseModel):
    results: list[ItemResult]


class ChangeOut(BaseModel):
    seq: int
    kind: str
    key: str
    data: dict[str, Any] | None


class ChangesPage(BaseModel):
    """A page of the school's changes feed after ``since``."""

    school: str
    since: int
    next: int
    more: bool
    server_time: str
    changes: list[ChangeOut]


class MealPublic(BaseModel):
    meal_id: str
    served_at: str
    business_date: date
    service: str
    charged_cents: int
    station: str
    voided: bool
    duplicate_pass: bool


class ChildMealsPublic(BaseModel):
    child_id: str
    meals: list[MealPublic]


class LedgerEntryPublic(BaseModel):
    at: str
    kind: str
    amount_cents: int
    reference: str


class BalancePublic(BaseModel):
    family_id: str
    balance_cents: int
    entries: list[LedgerEntryPublic]


class ConsumptionFigures(BaseModel):
    """Counts of one service (or one class and service) on one day.

    Each meal not voided is counted once, in exactly one of ``duplicate_passes``,
    ``served_forfait``, ``served_reserved`` and ``served_unreserved`` (docs/design.md §5).
    """

    reserved: int = 0
    """Reservations for the day and service."""
    served_reserved: int = 0
    """First meals of a child who had a reservation (not forfait)."""
    served_unreserved: int = 0
    """First meals of a child with neither a reservation nor a forfait day."""
    no_shows: int = 0
    """Reservations without any meal left after voids."""
    voids: int = 0
    """Meals undone; they are in no served column and charge nothing."""
    duplicate_passes: int = 0
    """Meals beyond the service's allowance that the portal flagged ``duplicate_pass``."""
    charged_cents: int = 0
    """Amount charged by the meals not voided."""
    overrides: int = 0
    """Meals served by a supervised override at the line (« Servir quand même »); they are
    also counted in their served column."""
    served_forfait: int = 0
    """First meals on one of the child's forfait days (paid by the term)."""


class ConsumptionPublic(BaseModel):
    school: str
    day: date
    services: dict[str, ConsumptionFigures]
    classes: dict[str, dict[str, ConsumptionFigures]]


class Health(BaseModel):
    status: str
    database: str


class ErrorPublic(BaseModel):
    """Every error answer: a readable message and the field at fault, when there is one."""

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None
    #: A refusal's code where the contract names one (``cutoff_passed``,
    #: ``insufficient_balance``), with the cutoff that passed.
    error: str | None = None
    cutoff_at: datetime | None = None
    #: The payment left ``failed`` when the provider could not be reached.
    payment_id: str | None = None


class ReservationSlotPublic(BaseModel):
    """One day and service of a child's calendar."""

    date: date
    service: str
    reserved: bool
    prepaid: bool
    bookable: bool
    """Whether the caller may still book it (or, when reserved, cancel it) now."""
    cutoff_at: datetime | None
    reason: str | None
    """Why it cannot be booked, in French (« férié (Noël) », « date limite dépassée … »)."""
    price_cents: int | None


class ReservationsPublic(BaseModel):
    child_id: str
    reservations: list[ReservationSlotPublic]


class BookingPublic(BaseModel):
    """The state of one meal after ``PUT`` (book) or ``DELETE`` (cancel)."""

    child_id: str
    date: date
    service: str
    reserved: bool
    prepaid: bool
    changed: bool
    """False when it already was so (a retry, a double click): nothing was done."""


class ForecastClass(BaseModel):
    booked: int
    expected: float


class ForecastDay(BaseModel):
    date: date
    service: str
    booked: int
    expected: float
    """Booked × (1 − the usual no-show rate) + the usual unreserved passes."""
    served: int | None
    """Meals actually served (days already past), beside what was expected."""
    classes: dict[str, ForecastClass]


class ForecastPublic(BaseModel):
    school: str
    no_show_rate: float
    """The school's no-show rate over the weeks observed (children without history)."""
    weeks_observed: int
    days: list[ForecastDay]


class PaymentCreate(BaseModel):
    """``POST /v1/families/{family_id}/payments``: a parent's online top-up
    (``amount_cents``), or a payment the intendance received at the counter (``method``
    ``cash`` or ``cheque`` and its ``reference``, recorded at once)."""

    model_config = ConfigDict(extra="forbid")

    amount_cents: StrictInt = Field(gt=0)
    method: Literal["online", "cash", "cheque"] = "online"
    reference: Annotated[str, AfterValidator(storable)] | None = Field(default=None, max_length=64)


class PaymentPublic(BaseModel):
    """A payment: ``payment_id`` is our reference; ``redirect_url`` is where the parent
    pays an online payment still pending; ``changed`` is false when the same counter
    reference had already been recorded."""

    payment_id: str
    amount_cents: int
    method: str
    state: str
    created_at: str
    redirect_url: str | None = None
    reference: str | None = None
    receipt_url: str | None = None
    changed: bool = True


class PaymentsPublic(BaseModel):
    """A family's latest payments, newest first."""

    family_id: str
    payments: list[PaymentPublic]


class NotificationResult(BaseModel):
    """The portal's answer to the provider's notification."""

    status: Literal["ok"] = "ok"
    state: str
    credited: bool
