"""Monthly statements as CSV for French Excel: UTF-8 with a BOM, ``;`` between cells,
CRLF, amounts with a decimal comma (``-4,15``: a number, not text), dates ``01/12/2026``.

One row per line of the printed statement, the kind of row in the column ``ligne``:
« solde d'ouverture », each « opération », one « total » per kind of operation, « solde de
clôture ». Several families' statements (the accountant's file) follow each other under
one header. Text cells pass the CSV-injection guard of every export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from portal_sync_api.crud.family_view import KIND_LABELS
from portal_sync_api.crud.reads import csv_text, euros
from portal_sync_api.crud.statements import Statement
from portal_sync_api.web.format import month_label, service_label

HEADERS = (
    "établissement",
    "famille",
    "mois",
    "ligne",
    "date",
    "opération",
    "enfant",
    "jour du repas",
    "service",
    "référence",
    "montant (€)",
)
OPENING = "solde d'ouverture"
OPERATION = "opération"
TOTAL = "total"
CLOSING = "solde de clôture"


def _rows(statement: Statement) -> Iterable[list[str]]:
    zone = ZoneInfo(statement.timezone)
    family = [
        csv_text(statement.school_name),
        csv_text(statement.family_ref),
        month_label(statement.year, statement.month),
    ]

    def row(kind: str, day: str, amount_cents: int, *details: str) -> list[str]:
        # operation, child, meal day, service, reference: blank when not given
        cells = [*details, "", "", "", "", ""][:5]
        return [*family, kind, day, *cells, euros(amount_cents)]

    yield row(OPENING, f"{statement.first_day:%d/%m/%Y}", statement.opening_cents)
    for section in statement.sections:
        for line in section.lines:
            yield row(
                OPERATION,
                f"{line.at.astimezone(zone):%d/%m/%Y}",
                line.amount_cents,
                csv_text(KIND_LABELS.get(line.kind, line.kind)),
                csv_text(line.child or ""),
                f"{line.day:%d/%m/%Y}" if line.day else "",
                csv_text(service_label(line.service)) if line.service else "",
                csv_text(line.reference),
            )
    for section in statement.sections:
        yield row(TOTAL, "", section.total_cents, section.title)
    yield row(CLOSING, f"{statement.last_day:%d/%m/%Y}", statement.closing_cents)


def statements_csv(statements: Iterable[Statement]) -> bytes:
    """The statements, one after the other under one header, as a file for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for statement in statements:
        writer.writerows(_rows(statement))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
