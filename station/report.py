"""The day's consumption at this station, from the scan log, meals and voids."""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from station.core.money import format_decimal, format_euros
from station.core.texts import reason_label, service_label


@dataclass
class ServiceReport:
    """One service of the day at this station."""

    served: int = 0
    served_by_reason: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    voids: int = 0
    charged_cents: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "served": self.served,
            "served_by_reason": self.served_by_reason,
            "refused": self.refused,
            "refused_by_reason": self.refused_by_reason,
            "voids": self.voids,
            "charged_cents": self.charged_cents,
        }


@dataclass
class DayReport:
    """This station's passes on one business day, per service."""

    day: date
    station: str
    services: dict[str, ServiceReport]

    def to_json(self) -> dict[str, Any]:
        return {
            "station": self.station,
            "day": self.day.isoformat(),
            "services": {k: v.to_json() for k, v in self.services.items()},
        }


def day_report(conn: sqlite3.Connection, day: date, station: str) -> DayReport:
    """Count this station's passes, refusals, voids and charges on ``day``."""
    services: dict[str, ServiceReport] = {}

    def of(service: str | None) -> ServiceReport:
        return services.setdefault(service or "hors_service", ServiceReport())

    for row in conn.execute(
        "SELECT service, status, reason, COUNT(*) AS n FROM scan_log WHERE business_date = ?"
        " AND status = 'refused' GROUP BY service, status, reason",
        (day.isoformat(),),
    ):
        report = of(row["service"])
        report.refused += row["n"]
        report.refused_by_reason[row["reason"]] = row["n"]
    for row in conn.execute(
        "SELECT m.service, m.reason, COUNT(*) AS n,"
        " SUM(CASE WHEN v.id IS NULL THEN m.charged_cents ELSE 0 END) AS cents,"
        " SUM(v.id IS NOT NULL) AS voided"
        " FROM meals m LEFT JOIN voids v ON v.meal_id = m.id"
        " WHERE m.business_date = ? AND m.station = ? GROUP BY m.service, m.reason",
        (day.isoformat(), station),
    ):
        report = of(row["service"])
        kept = row["n"] - row["voided"]
        report.served += kept
        if kept:
            report.served_by_reason[row["reason"]] = kept
        report.voids += row["voided"]
        report.charged_cents += row["cents"] or 0
    return DayReport(day, station, dict(sorted(services.items())))


def as_table(report: DayReport) -> str:
    """Plain-text table in French for the terminal."""
    lines = [f"Passages du {report.day:%d/%m/%Y} — ligne {report.station}"]
    if not report.services:
        lines.append("Aucun passage.")
    for code, svc in report.services.items():
        lines.append("")
        lines.append(f"{service_label(code).capitalize()}")
        lines.append(f"  Servis      : {svc.served}")
        for reason, n in sorted(svc.served_by_reason.items()):
            lines.append(f"    {reason_label(reason):<32} {n}")
        lines.append(f"  Refusés     : {svc.refused}")
        for reason, n in sorted(svc.refused_by_reason.items()):
            lines.append(f"    {reason_label(reason):<32} {n}")
        lines.append(f"  Annulations : {svc.voids}")
        lines.append(f"  Montant     : {format_euros(svc.charged_cents)}")
    return "\n".join(lines)


def as_csv(report: DayReport) -> str:
    """CSV for French spreadsheets: ``;``, amounts ``4,15`` (the caller adds the BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Ligne", "Service", "Catégorie", "Motif", "Nombre", "Montant (€)"])
    day = report.day.isoformat()
    for code, svc in report.services.items():
        for reason, n in sorted(svc.served_by_reason.items()):
            writer.writerow([day, report.station, code, "servi", reason_label(reason), n, ""])
        for reason, n in sorted(svc.refused_by_reason.items()):
            writer.writerow([day, report.station, code, "refusé", reason_label(reason), n, ""])
        writer.writerow([day, report.station, code, "annulation", "", svc.voids, ""])
        writer.writerow(
            [day, report.station, code, "total", "", svc.served, format_decimal(svc.charged_cents)]
        )
    return out.getvalue()
