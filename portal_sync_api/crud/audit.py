"""The audit log of a school (``audit_log``): writing a row, reading it back filtered and
paginated, and its CSV export.

Append-only: this module adds rows and reads them; nothing here (or anywhere) updates or
deletes one. A row names children, families and cards by the school's ids, never by a
person's name (docs/design.md §7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal_sync_api.crud.reads import csv_text
from portal_sync_api.models import AuditEntry, School

#: Rows per page of the journal.
PAGE_SIZE = 50

#: Actions as the intendance reads them; an action not listed is shown as recorded.
ACTION_LABELS = {
    "card_block": "Carte bloquée",
    "card_issue": "Nouvelle carte",
    "meal_void": "Repas annulé",
    "booking_after_cutoff": "Réservation après la date limite",
    "cancel_after_cutoff": "Annulation après la date limite",
    "closure": "Fermeture du restaurant",
    "child_transfer": "Changement d'école",
    "station_create": "Poste créé",
    "station_revoke": "Jeton de poste révoqué",
    "csv_import": "Import de fichier",
    "counter_payment": "Paiement au guichet",
    "family_qf": "Quotient familial",
    "tariff_brackets": "Tarifs par quotient familial",
}


#: The first word of a subject as the intendance reads it.
SUBJECT_WORDS = {
    "child": "élève",
    "family": "famille",
    "day": "jour",
    "card": "carte",
    "station": "poste",
}
#: Card statuses as the intendance reads them, in before/after.
STATUS_WORDS = {"active": "active", "blocked": "bloquée", "lost": "perdue"}


def record(
    session: Session,
    *,
    school: School,
    actor: str,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one row: ``actor`` (an e-mail) did ``action`` on ``subject`` (the school's
    ids), from ``before`` to ``after`` (JSON-able values)."""
    entry = AuditEntry(
        at=(now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        actor=actor,
        action=action,
        school_id=school.id,
        subject=subject,
        detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the journal shows: one person, one kind of action, a range of days (school
    time, both included); ``None`` for any."""

    actor: str | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One row as the journal shows it."""

    id: int
    at: str
    actor: str
    action: str
    label: str
    subject: str
    before: Any
    after: Any

    @property
    def subject_label(self) -> str:
        """The subject in French (``child C0042`` → ``élève C0042``)."""
        word, _, rest = self.subject.partition(" ")
        return f"{SUBJECT_WORDS[word]} {rest}" if rest and word in SUBJECT_WORDS else self.subject


@dataclass(frozen=True)
class AuditPage:
    """A page of the journal, and what the filters can choose from."""

    rows: tuple[AuditRow, ...]
    total: int
    page: int
    pages: int
    actors: tuple[str, ...]
    actions: tuple[tuple[str, str], ...]  # (code, label)


def _bound(day: date, timezone: str) -> str:
    """Midnight starting ``day`` in the school's zone, as stored instants are written."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).isoformat(timespec="seconds")


def _conditions(school: School, wanted: AuditFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [AuditEntry.school_id == school.id]
    if wanted.actor:
        conds.append(AuditEntry.actor == wanted.actor)
    if wanted.action:
        conds.append(AuditEntry.action == wanted.action)
    if wanted.start:
        conds.append(AuditEntry.at >= _bound(wanted.start, school.timezone))
    if wanted.end:
        conds.append(AuditEntry.at < _bound(wanted.end + timedelta(days=1), school.timezone))
    return conds


def _row(entry: AuditEntry) -> AuditRow:
    try:
        detail = json.loads(entry.detail)
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    return AuditRow(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        label=ACTION_LABELS.get(entry.action, entry.action),
        subject=entry.subject,
        before=detail.get("before"),
        after=detail.get("after"),
    )


def audit_page(
    session: Session, *, school: School, wanted: AuditFilter, page: int = 1
) -> AuditPage:
    """The school's rows matching ``wanted``, newest first, page ``page`` (from 1)."""
    conds = _conditions(school, wanted)
    total = int(session.execute(select(func.count()).where(*conds)).scalar_one())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    entries = session.execute(
        select(AuditEntry)
        .where(*conds)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).scalars()
    mine = AuditEntry.school_id == school.id
    actors = session.execute(select(AuditEntry.actor).where(mine).distinct()).scalars()
    actions = session.execute(select(AuditEntry.action).where(mine).distinct()).scalars()
    return AuditPage(
        rows=tuple(_row(e) for e in entries),
        total=total,
        page=page,
        pages=pages,
        actors=tuple(sorted(actors)),
        actions=tuple(
            sorted(((a, ACTION_LABELS.get(a, a)) for a in actions), key=lambda pair: pair[1])
        ),
    )


def describe(value: Any) -> str:
    """A before/after value in one line: ``statut : actif, carte : 1849-00042``."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(
            f"{key} : {_status(item) if key == 'statut' else describe(item)}"
            for key, item in value.items()
        )
    if isinstance(value, list):
        return " | ".join(describe(item) for item in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _status(value: Any) -> str:
    return STATUS_WORDS.get(value, value) if isinstance(value, str) else describe(value)


CSV_HEADERS = ("date (UTC)", "personne", "action", "objet", "avant", "après")


def audit_csv(session: Session, *, school: School, wanted: AuditFilter) -> bytes:
    """Every row matching ``wanted`` (oldest first) as a CSV French Excel opens: ``;``,
    UTF-8 with BOM, CRLF; every text cell guarded against formulas."""
    entries = session.execute(
        select(AuditEntry)
        .where(*_conditions(school, wanted))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).scalars()
    lines = [";".join(CSV_HEADERS)]
    for entry in entries:
        row = _row(entry)
        cells = [row.at, row.actor, row.label, row.subject_label, describe(row.before)]
        cells.append(describe(row.after))
        lines.append(";".join(csv_cell(c) for c in cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def csv_cell(text: str) -> str:
    """A text cell: guarded against formulas, its ``;`` and line breaks made harmless."""
    flat = text.replace("\r", " ").replace("\n", " ").replace(";", ",")
    return csv_text(flat)
