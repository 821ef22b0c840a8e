"""``station report`` and the F6 export: the day's summary as a French table, CSV or JSON.

Formatting only: the numbers come from :func:`station.store.day.day_summary`, the same
aggregation the F5 screen shows.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from station.core.models import DayScope, DaySummary, ServiceSummary
from station.core.money import format_decimal, format_euros
from station.core.texts import reason_label, service_label


def _reported(summary: DaySummary) -> list[tuple[str, ServiceSummary]]:
    """Services where something happened, by code (a quiet service is not reported)."""
    return sorted((s.service.code, s) for s in summary.services if s.active)


def _lines(summary: DaySummary) -> str:
    """Who the report is about: « ligne-1 », or every line for the school scope."""
    if summary.scope is DayScope.SCHOOL:
        return f"toutes les lignes (vues de {summary.station})"
    return summary.station


def to_json(summary: DaySummary) -> dict[str, Any]:
    """The report's JSON document (``station report --format json``)."""
    return {
        "station": summary.station,
        "scope": summary.scope.value,
        "day": summary.day.isoformat(),
        "services": {
            code: {
                "served": s.tally.served,
                "served_by_reason": dict(sorted(s.served_by_reason.items())),
                "refused": s.refused,
                "refused_by_reason": dict(sorted(s.refusals.items())),
                "voids": s.voids,
                "charged_cents": s.charged_cents,
                "reserved": s.tally.reserved,
                "served_reserved": s.tally.served_reserved,
                "served_unreserved": s.tally.served_unreserved,
            }
            for code, s in _reported(summary)
        },
    }


def as_table(summary: DaySummary) -> str:
    """Plain-text table in French for the terminal."""
    lines = [f"Passages du {summary.day:%d/%m/%Y} — ligne {_lines(summary)}"]
    services = _reported(summary)
    if not services:
        lines.append("Aucun passage.")
    for code, svc in services:
        lines.append("")
        lines.append(f"{service_label(code).capitalize()}")
        lines.append(f"  Servis      : {svc.tally.served}")
        for reason, n in sorted(svc.served_by_reason.items()):
            lines.append(f"    {reason_label(reason):<32} {n}")
        lines.append(f"  Refusés     : {svc.refused}")
        for reason, n in sorted(svc.refusals.items()):
            lines.append(f"    {reason_label(reason):<32} {n}")
        lines.append(f"  Annulations : {svc.voids}")
        lines.append(f"  Montant     : {format_euros(svc.charged_cents)}")
    return "\n".join(lines)


def _csv_text(text: str) -> str:
    """A name as a text cell: prefixed with ``'`` when a spreadsheet would read a formula
    (OWASP CSV injection: ``=``, ``+``, ``-``, ``@``, tab, CR)."""
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def as_csv(summary: DaySummary) -> str:
    """CSV for French spreadsheets: ``;``, amounts ``4,15`` (the caller adds the BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Ligne", "Service", "Catégorie", "Motif", "Nombre", "Montant (€)"])
    day = summary.day.isoformat()
    line = _csv_text(summary.station) if summary.scope is DayScope.LINE else "toutes"
    for service_code, svc in _reported(summary):
        code = _csv_text(service_code)
        for reason, n in sorted(svc.served_by_reason.items()):
            writer.writerow([day, line, code, "servi", reason_label(reason), n, ""])
        for reason, n in sorted(svc.refusals.items()):
            writer.writerow([day, line, code, "refusé", reason_label(reason), n, ""])
        writer.writerow([day, line, code, "annulation", "", svc.voids, ""])
        writer.writerow(
            [day, line, code, "total", "", svc.tally.served, format_decimal(svc.charged_cents)]
        )
    return out.getvalue()
