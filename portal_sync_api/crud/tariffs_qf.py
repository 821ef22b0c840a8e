"""Income-based tariffs: a school's quotient-familial (QF) brackets and each family's QF.

A school that has brackets prices every child by the family's QF in force on the day of
the meal or booking: the latest recorded QF whose ``valid_from`` is not after that day,
while that day is not past its ``valid_until``; a family without one (or past its
validity) pays the highest bracket. A price is fixed when a meal or booking is recorded,
so a change never reprices what came before it.

Stations keep their model, one tariff category per child and one price per category and
service: the brackets' lower bounds, over every service of the school, cut the QF line
into *bands*; band ``qf700`` (QF 700 up to the next bound) is a tariff category whose
price for each service is that service's bracket containing it. A child's category in
force today is ``Child.qf_tariff``, sent in the feed's child record instead of the
roster's ``tariff``; ``crud/qf_bands.py`` moves it when a QF is set, when brackets change
and, through the daily pass (``crud/notices.py``), when a QF starts or expires.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import member_of
from portal_sync_api.errors import DataError
from portal_sync_api.models import (
    Child,
    Family,
    FamilyQuotient,
    School,
    Service,
    Tariff,
    TariffBracket,
)

#: Tariff categories of QF bands start with this (``qf0``, ``qf700``…).
BAND_PREFIX = "qf"
#: The highest QF accepted (a monthly QF in euros is far below it).
MAX_QF = 100_000
MAX_PRICE_CENTS = 100_000
_BRACKET = re.compile(r"^\s*(\d{1,6})\s*-\s*(\d{0,6})\s*:\s*(\d{1,6})\s*$")


@dataclass(frozen=True)
class Bracket:
    """QF ``min_qf``..``max_qf`` (``None``: and above) pays ``price_cents``."""

    min_qf: int
    max_qf: int | None
    price_cents: int

    def holds(self, qf: int) -> bool:
        return self.min_qf <= qf and (self.max_qf is None or qf <= self.max_qf)


@dataclass(frozen=True)
class Quotient:
    """A family's recorded QF and the days it is in force."""

    qf: int
    valid_from: date
    valid_until: date


def parse_brackets(text: str) -> list[Bracket]:
    """``"0-699:100,700-999:250,1000-:415"`` → brackets; :class:`DataError` naming
    ``brackets`` unless they start at 0, follow each other without gap or overlap and the
    last one has no upper bound (every QF then has exactly one price)."""
    parts = [p for p in text.split(",") if p.strip()]
    brackets: list[Bracket] = []
    for part in parts:
        match = _BRACKET.match(part)
        if match is None:
            raise DataError(
                "brackets",
                f"tranche {part.strip()!r} : MIN-MAX:PRIX_EN_CENTIMES attendu (ex. 700-999:250)",
            )
        low, high, price = int(match[1]), match[2], int(match[3])
        top = int(high) if high else None
        if top is not None and top < low:
            raise DataError("brackets", f"tranche {part.strip()!r} : maximum sous le minimum")
        if price > MAX_PRICE_CENTS:
            raise DataError("brackets", f"tranche {part.strip()!r} : prix trop élevé")
        brackets.append(Bracket(low, top, price))
    if len(brackets) < 2:
        raise DataError("brackets", "au moins deux tranches attendues")
    if brackets[0].min_qf != 0:
        raise DataError("brackets", "la première tranche doit commencer à 0")
    for before, after in pairwise(brackets):
        if before.max_qf is None or after.min_qf != before.max_qf + 1:
            raise DataError(
                "brackets",
                f"les tranches doivent se suivre sans trou ni chevauchement "
                f"(après {before.min_qf}-{before.max_qf or ''}, attendu {_next(before)}-…)",
            )
    if brackets[-1].max_qf is not None:
        raise DataError("brackets", "la dernière tranche doit être ouverte (ex. 1000-:415)")
    return brackets


def _next(bracket: Bracket) -> str:
    return str(bracket.max_qf + 1) if bracket.max_qf is not None else "?"


def band_name(min_qf: int) -> str:
    """The tariff category of the QF band starting at ``min_qf``."""
    return f"{BAND_PREFIX}{min_qf}"


@dataclass(frozen=True)
class SchoolBrackets:
    """Every bracket of a school, by service, and the school's services."""

    by_service: dict[str, list[Bracket]]
    #: The school's services; ``None``: those that have brackets (pure use, tests).
    services: frozenset[str] | None = None

    @property
    def missing(self) -> list[str]:
        """The school's services without brackets."""
        return sorted((self.services or frozenset()) - set(self.by_service))

    @property
    def active(self) -> bool:
        """The school prices by QF: every one of its services has brackets. Until then
        children keep the roster's tariff (a band with no price for a service would make
        the stations refuse its meals ``no_tariff``)."""
        return bool(self.by_service) and not self.missing

    def bounds(self) -> list[int]:
        """The bands' lower bounds, over every service."""
        return sorted({b.min_qf for brackets in self.by_service.values() for b in brackets})

    def band_of(self, qf: int | None) -> str:
        """The category of ``qf``; ``None`` (no QF in force): the highest band."""
        bounds = self.bounds()
        if qf is None:
            return band_name(bounds[-1])
        return band_name(max(b for b in bounds if b <= qf))

    def price(self, service: str, qf: int | None) -> int | None:
        """The price of ``service`` for ``qf`` (``None``: the highest bracket), or
        ``None`` when the service has no brackets."""
        brackets = self.by_service.get(service)
        if not brackets:
            return None
        if qf is None:
            return brackets[-1].price_cents
        return next(b.price_cents for b in brackets if b.holds(qf))


def school_brackets(session: Session, *, school_id: int) -> SchoolBrackets:
    rows = session.execute(
        select(TariffBracket)
        .where(TariffBracket.school_id == school_id)
        .order_by(TariffBracket.service, TariffBracket.min_qf)
    ).scalars()
    result: dict[str, list[Bracket]] = {}
    for row in rows:
        result.setdefault(row.service, []).append(Bracket(row.min_qf, row.max_qf, row.price_cents))
    services = session.execute(select(Service.code).where(Service.school_id == school_id))
    return SchoolBrackets(result, frozenset(services.scalars()))


def quotient_on(quotients: Sequence[Quotient], day: date) -> Quotient | None:
    """The QF in force on ``day`` among a family's recorded ones (``None``: none, or the
    latest one started is past its validity)."""
    started = [q for q in quotients if q.valid_from <= day]
    if not started:
        return None
    # The latest start wins; for two of the same day, the later recording (list order).
    latest = max(enumerate(started), key=lambda item: (item[1].valid_from, item[0]))[1]
    return latest if day <= latest.valid_until else None


def family_quotients(session: Session, *, family_ids: Collection[str]) -> dict[str, list[Quotient]]:
    """Each family's recorded QFs, in the order they were recorded."""
    result: dict[str, list[Quotient]] = {f: [] for f in family_ids}
    for cond in member_of(session, FamilyQuotient.family_id, family_ids):
        rows = session.execute(
            select(
                FamilyQuotient.family_id,
                FamilyQuotient.qf,
                FamilyQuotient.valid_from,
                FamilyQuotient.valid_until,
            )
            .where(cond)
            .order_by(FamilyQuotient.id)
        )
        for family_id, qf, start, end in rows:
            result[family_id].append(Quotient(qf, start, end))
    return result


@dataclass(frozen=True)
class Pricer:
    """How one child is priced: the school's brackets and the family's QFs, or, at a
    school without brackets, the roster's tariff category."""

    brackets: SchoolBrackets
    quotients: tuple[Quotient, ...]
    flat: dict[str, int]

    def quotient(self, day: date) -> Quotient | None:
        return quotient_on(self.quotients, day)

    def price(self, service: str, day: date) -> int | None:
        """The price of a meal of ``service`` on ``day`` (``None``: no tariff)."""
        if self.brackets.active and self.brackets.by_service.get(service):
            found = self.quotient(day)
            return self.brackets.price(service, found.qf if found else None)
        return self.flat.get(service)


def pricer_for(session: Session, child: Child) -> Pricer:
    """The :class:`Pricer` of ``child``."""
    return pricers_for(session, [child])[child.id]


def pricers_for(session: Session, children: Sequence[Child]) -> dict[str, Pricer]:
    """The :class:`Pricer` of each child by key: the school's brackets and the family's
    QFs, or the roster's tariff category; each school's brackets and each tariff read
    once, every family's QFs together."""
    brackets = {
        sid: school_brackets(session, school_id=sid) for sid in {c.school_id for c in children}
    }
    families = {c.family_id for c in children if c.family_id is not None}
    quotients = family_quotients(session, family_ids=families) if families else {}
    flats: dict[tuple[int, str], dict[str, int]] = {}
    for school_id, tariff in {(c.school_id, c.tariff) for c in children}:
        flats[school_id, tariff] = dict(
            session.execute(
                select(Tariff.service, Tariff.price_cents).where(
                    Tariff.school_id == school_id, Tariff.tariff == tariff
                )
            ).all()
        )
    return {
        c.id: Pricer(
            brackets[c.school_id],
            tuple(quotients.get(c.family_id, ())) if c.family_id is not None else (),
            flats[c.school_id, c.tariff],
        )
        for c in children
    }


def price_of(session: Session, *, child: Child, service: str, day: date) -> int | None:
    """The price of ``child``'s meal of ``service`` on ``day``."""
    return pricer_for(session, child).price(service, day)


def school_today(school: School, now: datetime | None = None) -> date:
    """The school's calendar date at ``now`` (default: the current instant)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(school.timezone)).date()


@dataclass(frozen=True)
class ServiceTariff:
    """What a family pays today for a service, and why."""

    service: str
    price_cents: int


@dataclass(frozen=True)
class FamilyTariff:
    """A family's tariff as its parents and the intendance see it."""

    #: The school prices by QF.
    income_based: bool
    #: The QF in force today (``None``: none recorded, or past its validity).
    quotient: Quotient | None
    #: The latest QF recorded (in force, to come or expired), for the intendance.
    latest: Quotient | None
    #: Per service, today's price (for the family's first child's category when the
    #: school has no brackets).
    services: list[ServiceTariff]


def family_tariff(
    session: Session, *, family: Family, today: date | None = None
) -> FamilyTariff | None:
    """The family's tariff today, or ``None`` when its school is unknown."""
    if family.school_id is None:
        return None
    school = session.get(School, family.school_id)
    if school is None:
        return None
    day = today or school_today(school)
    brackets = school_brackets(session, school_id=school.id)
    quotients = family_quotients(session, family_ids=[family.id])[family.id]
    found = quotient_on(quotients, day)
    services: list[ServiceTariff] = []
    if brackets.active:
        for service in sorted(brackets.by_service):
            price = brackets.price(service, found.qf if found else None)
            if price is not None:
                services.append(ServiceTariff(service, price))
    return FamilyTariff(
        income_based=brackets.active,
        quotient=found,
        latest=quotients[-1] if quotients else None,
        services=services,
    )
