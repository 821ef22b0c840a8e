"""The intendance's families: the school's families found by a child's or family's name
or a card number, negative balances first (with the day they went negative), a family's
page (children, cards, ledger, bookings, last meals, notices). Cancelling a meal from
that page is ``crud.meal_corrections``.

Names are searched the way the station's F2 search reads them: case, accents and word
order ignored (the station's rule written again here: the portal never imports it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from portal_sync_api.crud import audit
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.bookings import Slot, child_week
from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.family_view import LedgerLine, ledger_lines, split_codes
from portal_sync_api.crud.ledger import running_balances
from portal_sync_api.crud.reads import child_meals, euros
from portal_sync_api.mail.models import OutboxMail
from portal_sync_api.models import (
    Card,
    Child,
    Family,
    FamilyNoticeState,
    LedgerEntry,
    School,
    User,
)
from portal_sync_api.schemas import MealPublic

#: Families per page of the list.
PAGE_SIZE = 30
#: Meals listed per child on a family's page.
FAMILY_PAGE_MEALS = 10
#: Ledger lines on a family's page.
FAMILY_PAGE_LEDGER = 100
#: Notices listed on a family's page.
FAMILY_PAGE_NOTICES = 20
#: Days of bookings shown ahead, from today.
BOOKINGS_AHEAD_DAYS = 21

_CARD = re.compile(r"^(\d+)-(\d{5})$")
_CARD_DIGITS = re.compile(r"^\d{5}$")


def fold(text: str) -> str:
    """``text`` lower-cased without accents (``Élodie`` → ``elodie``, ``Œ`` → ``oe``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("œ", "oe").replace("æ", "ae")


def _words(text: str) -> list[str]:
    return [w for w in fold(text).replace("-", " ").replace("'", " ").split() if w]


def name_matches(query: str, last_name: str, first_name: str) -> bool:
    """Every word typed starts a different word of the child's names, in any order."""
    wanted = _words(query)
    if not wanted:
        return False
    names = _words(last_name) + _words(first_name)
    used: set[int] = set()
    for word in sorted(wanted, key=len, reverse=True):
        match = next(
            (i for i, name in enumerate(names) if i not in used and name.startswith(word)), None
        )
        if match is None:
            return False
        used.add(match)
    return True


@dataclass(frozen=True)
class Pupil:
    """A child of the school as the searches read it: six columns, not an ORM row."""

    id: str
    ref: str
    family_id: str | None
    last_name: str
    first_name: str
    class_name: str
    #: The French order of names: folded last name, folded first name, the school's id.
    key: tuple[str, str, str]


def school_pupils(session: Session, *, school: School) -> list[Pupil]:
    """Every child of the school, in the French order of names."""
    rows = session.execute(
        select(
            Child.id,
            Child.ref,
            Child.family_id,
            Child.last_name,
            Child.first_name,
            Child.class_name,
        ).where(Child.school_id == school.id)
    )
    pupils = [Pupil(*row, key=(fold(row.last_name), fold(row.first_name), row.ref)) for row in rows]
    return sorted(pupils, key=lambda p: p.key)


def matching_children(
    session: Session, *, school: School, query: str, pupils: list[Pupil] | None = None
) -> list[Pupil]:
    """The school's children (``pupils``, when the caller already read them) matching
    ``query``: a card number (``1849-00042`` or its last five digits ``00042``), else the
    child's names; in the French order of names."""
    text = query.strip()
    if pupils is None:
        pupils = school_pupils(session, school=school)
    card = _CARD.match(text)
    if card or _CARD_DIGITS.match(text):
        code_cond = Card.code == text if card else Card.code == f"{school.code}-{text}"
        holders = set(session.execute(select(Card.child_id).where(code_cond)).scalars())
        return [p for p in pupils if p.id in holders]
    return [p for p in pupils if name_matches(text, p.last_name, p.first_name)]


def _name_key(child: Child) -> tuple[str, str, str]:
    return (fold(child.last_name), fold(child.first_name), child.ref)


# -- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyRow:
    """A family in the list."""

    ref: str
    children: tuple[tuple[str, str, str], ...]  # (last name, first name, class)
    balance_cents: int
    #: When the balance last went below zero and stayed there (ISO instant), if negative.
    negative_since: str | None
    #: Relances e-mailed since the balance went below zero (``crud/notices.py``).
    relances_sent: int = 0


@dataclass(frozen=True)
class FamilyList:
    """A page of the school's families."""

    rows: tuple[FamilyRow, ...]
    total: int
    page: int
    pages: int
    negatives: int
    timezone: str


def _school_families(session: Session, school: School) -> list[tuple[str, str]]:
    """The (key, id) of the families of the school: imported by it, or with a child in it.

    A union of two indexed reads: one ``OR`` of both made PostgreSQL read every family of
    every school (docs/query-plans.md)."""
    imported = select(Family.id, Family.ref).where(Family.school_id == school.id)
    with_child = (
        select(Family.id, Family.ref)
        .join(Child, Child.family_id == Family.id)
        .where(Child.school_id == school.id)
    )
    return [(key, ref) for key, ref in session.execute(union(imported, with_child))]


def negative_since(session: Session, *, family_ids: list[str]) -> dict[str, str]:
    """For each family whose ledger ends below zero, the instant of the entry that took
    it below zero for the last time."""
    result: dict[str, str] = {}
    if not family_ids:
        return result
    running: dict[str, int] = {}
    since: dict[str, str | None] = {}
    # Each family's entries all fall in one chunk, read in ledger order.
    rows = (
        row
        for cond in member_of(session, LedgerEntry.family_id, family_ids)
        for row in session.execute(
            select(LedgerEntry.family_id, LedgerEntry.amount_cents, LedgerEntry.at)
            .where(cond)
            .order_by(LedgerEntry.id)
        )
    )
    for family_id, amount, at in rows:
        before = running.get(family_id, 0)
        after = before + amount
        running[family_id] = after
        if after < 0 <= before:
            since[family_id] = at
        elif after >= 0:
            since[family_id] = None
    for family_id, went_negative in since.items():
        if went_negative is not None and running[family_id] < 0:
            result[family_id] = went_negative
    return result


_NOBODY = ("", "", "")


def _rows(
    session: Session, families: list[tuple[str, str]], pupils: list[Pupil]
) -> tuple[list[FamilyRow], dict[str, str]]:
    """The families' rows in the list's order (``negative_since`` not filled yet), and
    the internal key of each family id. ``pupils`` come in the order of names."""
    by_family: dict[str, list[Pupil]] = {}
    for pupil in pupils:
        if pupil.family_id:
            by_family.setdefault(pupil.family_id, []).append(pupil)
    balances = running_balances(session, family_ids=[key for key, _ref in families])
    keyed = []
    for key, ref in families:
        members = by_family.get(key, [])
        row = FamilyRow(
            ref=ref,
            children=tuple((p.last_name, p.first_name, p.class_name) for p in members),
            balance_cents=balances[key],
            negative_since=None,
        )
        # Negative balances first, the lowest first; then by the first child's name.
        first = members[0].key if members else _NOBODY
        keyed.append(((min(row.balance_cents, 0), first[0], first[1], ref), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _order, row in keyed], {ref: key for key, ref in families}


def _with_since(session: Session, rows: list[FamilyRow], key_of: dict[str, str]) -> list[FamilyRow]:
    """``rows`` with « négatif depuis » filled for the negative ones (a ledger walk per
    family: only for the rows shown)."""
    keys = [key_of[r.ref] for r in rows if r.balance_cents < 0]
    since = negative_since(session, family_ids=keys)
    relances = {
        key: sent
        for key, sent in session.execute(
            select(FamilyNoticeState.family_id, FamilyNoticeState.relances_sent).where(
                FamilyNoticeState.family_id.in_(keys)
            )
        )
    }
    return [
        replace(
            r,
            negative_since=since.get(key_of[r.ref]),
            relances_sent=relances.get(key_of[r.ref], 0) if r.balance_cents < 0 else 0,
        )
        for r in rows
    ]


def family_list(session: Session, *, school: School, query: str = "", page: int = 1) -> FamilyList:
    """The school's families matching ``query`` (every family when empty), negative
    balances first (the lowest first), then by the first child's name; page ``page``."""
    families = _school_families(session, school)
    pupils = school_pupils(session, school=school)
    text = query.strip()
    if text:
        found = matching_children(session, school=school, query=text, pupils=pupils)
        wanted = {p.family_id for p in found}
        folded = fold(text)
        families = [(k, ref) for k, ref in families if k in wanted or fold(ref) == folded]
    rows, key_of = _rows(session, families, pupils)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = _with_since(session, rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], key_of)
    return FamilyList(
        rows=tuple(shown),
        total=len(rows),
        page=page,
        pages=pages,
        negatives=sum(1 for r in rows if r.balance_cents < 0),
        timezone=school.timezone,
    )


NEGATIVES_CSV_HEADERS = (
    "famille",
    "enfants",
    "classes",
    "solde (€)",
    "négatif depuis le",
    "relances envoyées",
)


def negatives_csv(session: Session, *, school: School) -> bytes:
    """The school's families with a negative balance, lowest first, as a CSV French Excel
    opens: ``;``, UTF-8 with BOM, CRLF, decimal comma; text cells guarded against
    formulas."""
    pupils = school_pupils(session, school=school)
    ordered, key_of = _rows(session, _school_families(session, school), pupils)
    rows = _with_since(session, [r for r in ordered if r.balance_cents < 0], key_of)
    zone = ZoneInfo(school.timezone)
    lines = [";".join(NEGATIVES_CSV_HEADERS)]
    for row in rows:
        if row.balance_cents >= 0:
            continue
        since = ""
        if row.negative_since:
            since = f"{datetime.fromisoformat(row.negative_since).astimezone(zone):%d/%m/%Y}"
        cells = [
            audit.csv_cell(row.ref),
            audit.csv_cell(", ".join(f"{last} {first}" for last, first, _ in row.children)),
            audit.csv_cell(", ".join(sorted({klass for _, _, klass in row.children}))),
            euros(row.balance_cents),
            since,
            str(row.relances_sent),
        ]
        lines.append(";".join(cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


# -- a family's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDetail:
    """A child on its family's page."""

    ref: str
    last_name: str
    first_name: str
    class_name: str
    regime: str
    diet: tuple[str, ...]
    allergies: tuple[str, ...]
    cards: tuple[tuple[str, str], ...]  # (code, status)
    meals: tuple[MealPublic, ...]
    bookings: tuple[Slot, ...]


@dataclass(frozen=True)
class Notice:
    """An e-mail the portal queued for the family."""

    created_at: str
    to_address: str
    subject: str
    status: str


@dataclass(frozen=True)
class FamilyPage:
    """Everything the family's page shows; ``family`` and ``school`` are the rows (the
    counter-payment and statement pieces of the page take them)."""

    family: Family
    school: School
    children: tuple[ChildDetail, ...]
    balance_cents: int
    negative_since: str | None
    ledger: tuple[LedgerLine, ...]
    ledger_total: int
    notices: tuple[Notice, ...]

    @property
    def title(self) -> str:
        """What the page calls the family: its first child's last name."""
        return self.children[0].last_name if self.children else "Famille"


def school_family(session: Session, *, school: School, family_ref: str) -> Family | None:
    """The family of the school's id ``family_ref``, if it is one of the school's."""
    for family in session.execute(select(Family).where(Family.ref == family_ref)).scalars():
        if family.school_id == school.id:
            return family
        has_child = session.execute(
            select(Child.id).where(Child.family_id == family.id, Child.school_id == school.id)
        ).first()
        if has_child is not None:
            return family
    return None


def family_page(
    session: Session, principal: Principal, *, school: School, family_ref: str, now: datetime
) -> FamilyPage | None:
    """The page of family ``family_ref`` of the school (``None`` when not the school's)."""
    family = school_family(session, school=school, family_ref=family_ref)
    if family is None:
        return None
    children = sorted(
        session.execute(
            select(Child).where(Child.family_id == family.id, Child.school_id == school.id)
        ).scalars(),
        key=_name_key,
    )
    today = now.astimezone(ZoneInfo(school.timezone)).date()
    details = []
    for child in children:
        cards = session.execute(
            select(Card.code, Card.status).where(Card.child_id == child.id).order_by(Card.code)
        ).all()
        week = child_week(
            session,
            principal,
            child_id=child.ref,
            start=today,
            end=today + timedelta(days=BOOKINGS_AHEAD_DAYS - 1),
            now=now,
        )
        slots = tuple(s for s in week[1] if s.reserved) if week else ()
        details.append(
            ChildDetail(
                ref=child.ref,
                last_name=child.last_name,
                first_name=child.first_name,
                class_name=child.class_name,
                regime=child.regime,
                diet=split_codes(child.diet),
                allergies=split_codes(child.allergies),
                cards=tuple((code, status) for code, status in cards),
                meals=tuple(child_meals(session, child_id=child.id, limit=FAMILY_PAGE_MEALS)),
                bookings=slots,
            )
        )
    lines = ledger_lines(session, family_id=family.id)
    addresses = set(
        session.execute(select(User.email).where(User.family_id == family.id)).scalars()
    )
    if family.email:
        addresses.add(family.email)
    mails = session.execute(
        select(OutboxMail)
        .where(OutboxMail.to_address.in_(sorted(addresses)))
        .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
        .limit(FAMILY_PAGE_NOTICES)
    ).scalars()
    balance = running_balances(session, family_ids=[family.id])[family.id]
    return FamilyPage(
        family=family,
        school=school,
        children=tuple(details),
        balance_cents=balance,
        negative_since=negative_since(session, family_ids=[family.id]).get(family.id),
        ledger=tuple(lines[:FAMILY_PAGE_LEDGER]),
        ledger_total=len(lines),
        notices=tuple(Notice(m.created_at, m.to_address, m.subject, m.status) for m in mails),
    )
