"""What an import changes in a school: the intendance's upload page shows it before
« Valider » (docs/design.md §8).

:func:`run_import` runs the command line's loader (``imports.LOADERS``, the same rules and
``line N: field: problem`` refusals) for one school and counts what changed by reading the
school's rows before and after it, in the caller's transaction: the preview rolls it
back, « Valider » runs it again and commits only when the counts are the preview's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.errors import DataError
from portal_sync_api.imports import LOADERS, ImportFailed, read_rows
from portal_sync_api.models import (
    Card,
    Child,
    Family,
    LedgerEntry,
    Reservation,
    School,
    Tariff,
)


@dataclass(frozen=True)
class ImportSummary:
    """What one file changes in one school: counts of what its import added, changed or
    removed, read from the school's rows before and after it in the same transaction."""

    kind: str
    lines: int
    feed_changes: int
    children_added: int = 0
    children_changed: int = 0
    children_removed: int = 0
    cards_added: int = 0
    cards_changed: int = 0
    cards_removed: int = 0
    reservations_added: int = 0
    reservations_changed: int = 0
    reservations_cancelled: int = 0
    tariffs_added: int = 0
    tariffs_changed: int = 0
    credits: int = 0
    credits_cents: int = 0
    refunds: int = 0
    refunds_cents: int = 0

    def as_dict(self) -> dict[str, int | str]:
        """The summary as JSON-able values (stored with the upload)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, int | str]) -> ImportSummary:
        """The summary :meth:`as_dict` gave."""
        return cls(**values)  # type: ignore[arg-type]


def _diff(before: dict[object, object], after: dict[object, object]) -> tuple[int, int, int]:
    """(added, changed, removed) keys between two states."""
    added = sum(1 for key in after if key not in before)
    removed = sum(1 for key in before if key not in after)
    changed = sum(1 for key, value in after.items() if key in before and before[key] != value)
    return added, changed, removed


def _school_state(session: Session, school: School, kind: str) -> dict[str, dict[object, object]]:
    """The rows of ``school`` a file of ``kind`` can change, by key."""
    state: dict[str, dict[object, object]] = {}
    if kind == "roster":
        state["children"] = {
            row[0]: tuple(row[1:])
            for row in session.execute(
                select(
                    Child.ref,
                    Child.last_name,
                    Child.first_name,
                    Child.class_name,
                    Child.birth_date,
                    Child.regime,
                    Child.forfait_days,
                    Child.tariff,
                    Child.diet,
                    Child.allergies,
                    Child.family_id,
                    Child.photo,
                ).where(Child.school_id == school.id)
            )
        }
        state["cards"] = {
            code: (child_id, status)
            for code, child_id, status in session.execute(
                select(Card.code, Card.child_id, Card.status)
                .join(Child, Child.id == Card.child_id)
                .where(Child.school_id == school.id)
            )
        }
    if kind in ("roster", "reservations"):
        state["reservations"] = {
            (child_id, day, service): prepaid
            for child_id, day, service, prepaid in session.execute(
                select(
                    Reservation.child_id, Reservation.day, Reservation.service, Reservation.prepaid
                )
                .join(Child, Child.id == Reservation.child_id)
                .where(Child.school_id == school.id)
            )
        }
    if kind == "tariffs":
        state["tariffs"] = {
            (tariff, service): price
            for tariff, service, price in session.execute(
                select(Tariff.tariff, Tariff.service, Tariff.price_cents).where(
                    Tariff.school_id == school.id
                )
            )
        }
    return state


def run_import(session: Session, *, kind: str, data: bytes, school: School) -> ImportSummary:
    """Import ``data`` (a CSV file of ``kind``) for ``school`` in the session's current
    transaction, by the CLI's loader and rules (``import KIND FILE --school CODE``), and
    say what it changed. Raises :class:`ImportFailed` (nothing to keep: roll back). The
    caller commits or rolls back: the preview is this, rolled back."""
    if kind not in LOADERS:
        raise ImportFailed([f"line 1: kind: type de fichier inconnu: {kind}"])
    before = _school_state(session, school, kind)
    last_entry = session.execute(select(func.max(LedgerEntry.id))).scalar() or 0
    try:
        feed_changes = LOADERS[kind](session, data, school.code)
    except DataError as exc:  # a rule of crud/ the file's checks did not foresee
        raise ImportFailed([f"{exc.field}: {exc.problem}"]) from None
    session.flush()
    after = _school_state(session, school, kind)
    counts: dict[str, int] = {}
    for name in before:
        added, changed, removed = _diff(before[name], after[name])
        counts[f"{name}_added"] = added
        counts[f"{name}_changed"] = changed
        if name == "reservations":
            counts["reservations_cancelled"] = removed
        elif name != "tariffs":
            counts[f"{name}_removed"] = removed
    entries = session.execute(
        select(LedgerEntry.kind, func.count(), func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(Family, Family.id == LedgerEntry.family_id)
        .where(LedgerEntry.id > last_entry, Family.school_id == school.id)
        .group_by(LedgerEntry.kind)
    ).all()
    for entry_kind, count, total in entries:
        if entry_kind == "credit":
            counts["credits"], counts["credits_cents"] = int(count), int(total)
        elif entry_kind == "booking_refund":
            counts["refunds"], counts["refunds_cents"] = int(count), int(total)
    return ImportSummary(
        kind=kind,
        lines=sum(1 for _ in read_rows(data, kind)),
        feed_changes=feed_changes,
        **counts,
    )


#: The columns of each kind of file shown in the preview's sample, in this order.
SAMPLE_COLUMNS = {
    "roster": ("child_id", "last_name", "first_name", "class", "card_number", "family_id"),
    "tariffs": ("tariff", "service", "price_cents"),
    "reservations": ("child_id", "date", "service", "prepaid", "cancelled"),
    "credits": ("family_id", "amount_cents", "reference"),
}


def sample_rows(data: bytes, kind: str, *, limit: int = 10) -> list[tuple[int, list[str]]]:
    """The first ``limit`` lines of a file that imports, as (line number, the cells of
    :data:`SAMPLE_COLUMNS`)."""
    rows: list[tuple[int, list[str]]] = []
    for line, row in read_rows(data, kind):
        rows.append((line, [row.get(column, "") for column in SAMPLE_COLUMNS[kind]]))
        if len(rows) >= limit:
            break
    return rows
