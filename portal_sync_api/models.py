"""Database tables of the portal (SQLAlchemy 2.0 declarative style).

Instants are stored as ISO-8601 text with their offset, so SQLite and PostgreSQL hold the
same value a station sent; days are ``Date``; money is integer cents.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import cast

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class School(Base):
    """An establishment; ``code`` is the card prefix (``1849``). Settings per docs/design.md §3."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    unreserved_policy: Mapped[str] = mapped_column(String(16), default="refuse")
    unreserved_surcharge_cents: Mapped[int] = mapped_column(Integer, default=0)
    overdraft_limit_cents: Mapped[int] = mapped_column(Integer, default=0)
    low_balance_threshold_cents: Mapped[int] = mapped_column(Integer, default=3000)
    max_meals_per_service: Mapped[int] = mapped_column(Integer, default=1)
    undo_window_minutes: Mapped[int] = mapped_column(Integer, default=10)
    max_manual_serves_per_child_per_month: Mapped[int] = mapped_column(Integer, default=3)
    max_overrides_per_child_per_month: Mapped[int] = mapped_column(Integer, default=3)
    allergy_ack_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Booking by parents (docs/design.md §8): portal-side settings, not sent to stations.
    #: ``pay_at_line`` (the station charges the meal) or ``prepaid`` (debited at booking).
    booking_mode: Mapped[str] = mapped_column(String(16), default="pay_at_line")
    #: A cutoff form of ``portal_sync_api/core/calendar.py`` (``hours_before=48``…).
    booking_cutoff: Mapped[str] = mapped_column(String(32), default="hours_before=48")
    #: The cutoff for cancelling; ``None``: the booking cutoff.
    cancel_cutoff: Mapped[str | None] = mapped_column(String(32), nullable=True)
    min_topup_cents: Mapped[int] = mapped_column(Integer, default=1000)
    #: ISO weekdays never booked, ``"3,6,7"`` (Wednesday, Saturday, Sunday).
    closed_weekdays: Mapped[str] = mapped_column(String(16), default="3,6,7")
    #: French school-holiday zone ``A``, ``B`` or ``C``; ``None``: no school holidays known.
    holiday_zone: Mapped[str | None] = mapped_column(String(1), nullable=True)
    #: Children's photos (given with their family's consent) go to the school's stations
    #: and show at the line (docs/design.md §8); false: no photo leaves the portal.
    photo_at_line: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Days after a balance went negative on which a relance is e-mailed (``0,7,21``).
    relance_days: Mapped[str] = mapped_column(String(64), default="0,7,21")


class SchoolCounter(Base):
    """The last change seq of a school. Updated inside every writing transaction, so the
    row lock orders writers and seq allocation order is commit order."""

    __tablename__ = "school_counters"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Service(Base):
    """A daily service window in school local time (``dejeuner`` 11:15–13:45)."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    code: Mapped[str] = mapped_column(String(32))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))


class Tariff(Base):
    """Price of a service for a tariff category."""

    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("school_id", "tariff", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    tariff: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    price_cents: Mapped[int] = mapped_column(Integer)


def new_key() -> str:
    """A fresh internal key for a child, family, meal or void (see :class:`Child`)."""
    return uuid.uuid4().hex


class Closure(Base):
    """A day the school's restaurant is closed (strike, trip, exams), with its reason."""

    __tablename__ = "school_closures"
    __table_args__ = (Index("ix_school_closures_school_day", "school_id", "day", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))


class Family(Base):
    """A family account; its balance is the sum of its ledger entries.

    ``ref`` is the school's own id (the roster's ``family_id``), unique within the school
    that imported it; ``id`` is the portal's internal key (docs/design.md §7, tenancy).
    """

    __tablename__ = "families"
    __table_args__ = (
        Index("ix_families_school_ref", "school_id", "ref", unique=True),
        # A family by the school's id across schools (a family's page, lookups by ref).
        Index("ix_families_ref", "ref"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``None`` only for a family of a database older than scoped ids that no child
    #: named and no school existed for: no school's id reaches it.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    ref: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)


class Child(Base):
    """A pupil. ``diet`` and ``allergies`` are ``|``-separated; ``forfait_days`` ISO digits.

    Tenancy: ``ref`` is the school's own id (the roster's ``child_id``, what stations,
    the API and the pages say), unique within ``school_id``; two schools may both have a
    ``C0042``. ``id`` is the portal's internal key that every other table refers to: a
    :func:`new_key`, or, for rows made before ids were scoped, the ref itself. It never
    leaves the portal.
    """

    __tablename__ = "children"
    __table_args__ = (Index("ix_children_school_ref", "school_id", "ref", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    ref: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    class_name: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    regime: Mapped[str] = mapped_column(String(16), default="ticket")
    forfait_days: Mapped[str] = mapped_column(String(7), default="")
    tariff: Mapped[str] = mapped_column(String(32), default="")
    #: The tariff category the family's quotient familial gives today (``qf700``…, set by
    #: ``crud/tariffs_qf.py``), sent to stations instead of ``tariff``; ``None``: ``tariff``.
    qf_tariff: Mapped[str | None] = mapped_column(String(32), nullable=True)
    diet: Mapped[str] = mapped_column(String(500), default="")
    allergies: Mapped[str] = mapped_column(String(500), default="")
    family_id: Mapped[str | None] = mapped_column(
        ForeignKey("families.id"), nullable=True, index=True
    )
    photo: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Card(Base):
    """A printed card ``1849-01234`` of a child."""

    __tablename__ = "cards"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")


class Reservation(Base):
    """A reserved meal of a child for a day and service."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("child_id", "day", "service"),
        Index("ix_reservations_day_service", "day", "service"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    day: Mapped[date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(String(32))
    prepaid: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when booked on the portal (by a parent or the intendance); ``None`` for a line
    #: of the school's file. A prepaid booking's ledger entries are ``booking:<ref>`` and
    #: ``refund:<ref>``, so each booking is debited and refunded at most once.
    booking_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    booked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: What a prepaid booking took from the wallet (refunded as it was, whatever the
    #: tariff says later).
    debit_cents: Mapped[int] = mapped_column(Integer, default=0)


class LedgerEntry(Base):
    """Append-only money movement of a family. ``reference`` is unique: a payment
    reference, ``meal:<id>`` or ``void:<id>``, so nothing is ever counted twice."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # credit|meal_charge|void_refund|adjustment
    amount_cents: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(128), unique=True)
    at: Mapped[str] = mapped_column(String(40))


class FamilyBalance(Base):
    """``SUM(ledger.amount_cents)`` of a family, kept by a database trigger on ledger
    inserts (migration 0002), so a balance costs one row read whatever the ledger size.
    Never written by the application; a family without entries has no row (balance 0)."""

    __tablename__ = "family_balances"

    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), primary_key=True)
    balance_cents: Mapped[int] = mapped_column(Integer)


class Station(Base):
    """A serving-line station; authenticates with a token stored hashed."""

    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    #: Hex Ed25519 public key that verifies the station's offline exports; derived from
    #: the token, so the database alone cannot sign (``cantine_contract/offline_export.py``).
    export_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Set by ``station revoke``: the token no longer authenticates.
    revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class User(Base):
    """An intendance user (of a school) or a parent (of a family)."""

    __tablename__ = "users"
    __table_args__ = (
        # A login by its address, compared without case (``crud/passwords.py``).
        Index("ix_users_email_lower", text("lower(email)")),
        # A family's parents (their notices, the family's page).
        Index("ix_users_family_id", "family_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.id"), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    #: argon2id hash of the web password; ``None`` until the person chooses one.
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_changed_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: A disabled user can neither log in nor use a password link.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The API token is refused from this instant on (``None``: no expiry).
    token_expires_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Set by ``user revoke``: the API token no longer authenticates.
    token_revoked_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AccountRequest(Base):
    """A parent's sign-up for a child, waiting for the intendance of the child's school."""

    __tablename__ = "account_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    #: The child's family when the request was made (the one validation links to).
    family_id: Mapped[str | None] = mapped_column(ForeignKey("families.id"), nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # validated|refused
    created_at: Mapped[str] = mapped_column(String(40))
    decided_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class PasswordLink(Base):
    """A single-use link sent by e-mail to choose a password; only its digest is kept."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # set_password|reset_password
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class WebSession(Base):
    """A logged-in browser; the cookie holds the id, the table its digest."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    last_seen_at: Mapped[str] = mapped_column(String(40))


class LoginAttempt(Base):
    """A failed login, sign-up or reset request, counted per address and per IP."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # login|signup|reset
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))


class Meal(Base):
    """A meal served at a station; ``ref`` is the station-made id, applied once forever
    within the school (two schools' stations may make the same id); ``id`` is the
    internal key (see :class:`Child`)."""

    __tablename__ = "meals"
    __table_args__ = (
        Index("ix_meals_school_ref", "school_id", "ref", unique=True),
        Index("ix_meals_child_day_service", "child_id", "business_date", "service"),
        Index("ix_meals_school_day", "school_id", "business_date"),
        # The meals each station sent today (the intendance's « Postes » page).
        Index("ix_meals_school_received", "school_id", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    ref: Mapped[str] = mapped_column(String(64))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    card: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    service: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date] = mapped_column(Date)
    served_at: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    charged_cents: Mapped[int] = mapped_column(Integer)
    duplicate_pass: Mapped[bool] = mapped_column(Boolean, default=False)
    clock_skew: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[str] = mapped_column(String(40))


class Void(Base):
    """Undo of a meal: a new record; the meal row is never changed or deleted. ``ref`` is
    the station-made id, unique within the school; ``id`` the internal key."""

    __tablename__ = "voids"
    __table_args__ = (Index("ix_voids_school_ref", "school_id", "ref", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    ref: Mapped[str] = mapped_column(String(64))
    meal_id: Mapped[str] = mapped_column(ForeignKey("meals.id"), unique=True)
    #: ``None`` for a meal voided by the intendance from its pages (who: ``audit_log``).
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), nullable=True)
    voided_at: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    refund_cents: Mapped[int] = mapped_column(Integer)
    ack_seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[str] = mapped_column(String(40))


class AuditEntry(Base):
    """An administrative change (a transfer between schools…): who, when, what, before and
    after. Append-only: nothing updates or deletes a row."""

    __tablename__ = "audit_log"
    # The school's « Journal », newest first.
    __table_args__ = (Index("ix_audit_log_school_at", "school_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    #: Who did it: a user's e-mail, or ``cli`` for the command line on the server.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    #: What it is about, by the school's ids (``child C0042``): never a name.
    subject: Mapped[str] = mapped_column(String(200))
    #: JSON ``{"before": …, "after": …}``.
    detail: Mapped[str] = mapped_column(Text)


class Change(Base):
    """Latest state of one thing a station cares about; moves to a new seq on each change.
    ``data`` is the JSON text sent to stations (``NULL`` = deleted)."""

    __tablename__ = "changes"
    __table_args__ = (UniqueConstraint("school_id", "seq"),)

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)


def table(model: type[Base]) -> Table:
    """The Core table of a model, for bulk statements that skip the ORM's per-row work."""
    return cast(Table, model.__table__)


# Income-based tariffs and balance notices (docs/design.md §3 and §8).


class TariffBracket(Base):
    """A quotient-familial bracket of a school's service: a family whose QF lies in
    ``min_qf``..``max_qf`` (``None``: no upper bound) pays ``price_cents`` a meal."""

    __tablename__ = "tariff_brackets"
    __table_args__ = (UniqueConstraint("school_id", "service", "min_qf"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    service: Mapped[str] = mapped_column(String(32))
    min_qf: Mapped[int] = mapped_column(Integer)
    max_qf: Mapped[int | None] = mapped_column(Integer, nullable=True)
    price_cents: Mapped[int] = mapped_column(Integer)


class FamilyQuotient(Base):
    """A family's quotient familial as the intendance recorded it, in force from
    ``valid_from`` to ``valid_until`` (included). Rows are kept: the latest ``valid_from``
    not after a day gives that day's QF, so a change never reprices earlier days."""

    __tablename__ = "family_quotients"
    __table_args__ = (Index("ix_family_quotients_family_from", "family_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"))
    qf: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    set_at: Mapped[str] = mapped_column(String(40))
    #: Who recorded it: a user's e-mail, or ``cli``.
    set_by: Mapped[str] = mapped_column(String(254))


class FamilyNoticeState(Base):
    """Where a family stands with its balance notices (``crud/notices.py``); written in the
    transaction of each balance change, so a crossing is noticed once."""

    __tablename__ = "family_notice_states"

    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), primary_key=True)
    #: The parents want the low-balance notice (relances cannot be turned off).
    low_balance_notice: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the balance went under the school's threshold; ``None`` while above it.
    low_since: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: When the balance went below zero; ``None`` while it is ≥ 0.
    negative_since: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Relances sent since ``negative_since``.
    relances_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_relance_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class CardCounter(Base):
    """The highest card number a school issued from the intendance's pages: a new card
    takes the next number above it and above every card the school ever had, so a
    number is never given twice (docs/design.md §8, cards)."""

    __tablename__ = "card_counters"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class UserSchool(Base):
    """A school a collectivité administrator sees (``user create --role collectivite``),
    in the order given when the user was made: the first is the one shown at login."""

    __tablename__ = "user_schools"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ImportUpload(Base):
    """A CSV file uploaded on ``/intendance/imports``, kept between its preview and
    « Valider ». ``id`` is random and only works for the web session that uploaded it
    (``session_hash`` is that session's ``WebSession.id_hash``), until ``expires_at``.
    ``preview`` is the JSON of what the preview said the import changes."""

    __tablename__ = "import_uploads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    preview: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))


class Payment(Base):
    """Money a family pays in: online through the payment provider, or at the counter
    (cash, cheque). ``ref`` is our reference (what pages, the API and the provider see);
    the wallet is credited by one ledger entry ``payment:<provider txn id>`` (online) or
    ``payment:<ref>`` (counter), whose unique reference makes the credit happen once."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("school_id", "counter_reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    family_id: Mapped[str] = mapped_column(ForeignKey("families.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    #: ``online``, ``cash`` or ``cheque``.
    method: Mapped[str] = mapped_column(String(16))
    #: ``pending``, ``paid``, ``refused``, ``abandoned``, ``expired`` or ``failed``.
    state: Mapped[str] = mapped_column(String(16))
    #: The provider kind (``sandbox``) of an online payment.
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: The provider's transaction id, once it gave one.
    provider_txn: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    #: Where the parent is sent to pay (an online payment still pending).
    redirect_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: A counter payment's reference (a cheque number, a receipt book's number): unique
    #: per school, so recording it twice records it once.
    counter_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    #: A pending online payment no provider answer settled by then is ``expired``.
    expires_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Who recorded or started it (a user's e-mail).
    created_by: Mapped[str] = mapped_column(String(254))


class StationState(Base):
    """What the portal knows of a station's syncs (its stations page) and how far its meal
    journal checked out (docs/design.md §8, « Stations »). One row per station that ever
    synced; written by each pull and push."""

    __tablename__ = "station_states"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    last_pull_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_push_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: The last pull that reached the end of the feed: the station's data is as of then.
    data_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: What the station said with its last request (``X-Station-*`` headers).
    pending: Mapped[int | None] = mapped_column(Integer, nullable=True)
    app_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Station clock minus portal clock when its last request arrived, in seconds.
    clock_offset_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sync_interval_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The journal checked up to this position, its hash and its record's moment.
    journal_first: Mapped[int | None] = mapped_column(Integer, nullable=True)
    journal_pos: Mapped[int | None] = mapped_column(Integer, nullable=True)
    journal_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    journal_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Meals pushed without a journal link (a station older than the journal proof).
    unlinked_meals: Mapped[int] = mapped_column(Integer, default=0)
    #: The first break found, kept: position, kind and id of the record, why (French).
    break_pos: Mapped[int | None] = mapped_column(Integer, nullable=True)
    break_kind: Mapped[str | None] = mapped_column(String(8), nullable=True)
    break_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    break_problem: Mapped[str | None] = mapped_column(String(200), nullable=True)
    break_at: Mapped[str | None] = mapped_column(String(40), nullable=True)


class StationJournalLink(Base):
    """A journal record of a station the portal verified: a retried push of it is
    compared with it rather than taken as a break."""

    __tablename__ = "station_journal_links"

    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    pos: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    ref: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PassKey(Base):
    """The key pair that signs a school's day passes (hex of the raw 32-byte keys;
    crud/passes.py)."""

    __tablename__ = "pass_keys"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
