"""Per service: reserved, served with / without reservation, missing, refusals, money."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from station.core.models import ServiceSummary
from station.core.money import format_euros
from station.core.texts import reason_label, service_label
from station.ui.format import window_text


class ServiceTable(Static):
    """One row per service, then the refusals of each service by reason."""

    DEFAULT_CSS = """
    ServiceTable { height: auto; }
    """

    def show(self, services: Sequence[ServiceSummary]) -> None:
        table = Table(expand=True, show_edge=False, header_style="bold")
        table.add_column("Service", no_wrap=True)
        table.add_column("Résa", justify="right")
        table.add_column("Servis résa", justify="right")
        table.add_column("Sans résa", justify="right")
        table.add_column("Manquants", justify="right", no_wrap=True)
        table.add_column("Refus", justify="right")
        table.add_column("Montant", justify="right", no_wrap=True)
        for s in services:
            name = service_label(s.service.code).capitalize()
            if s.service.start != s.service.end:
                name += f" {window_text(s.service.start, s.service.end)}"
            missing = f"{s.tally.missing} {'absents' if s.closed else 'attendus'}"
            table.add_row(
                name,
                str(s.tally.reserved),
                str(s.tally.served_reserved),
                str(s.tally.served_unreserved),
                missing,
                str(sum(s.refusals.values())),
                format_euros(s.charged_cents),
            )
        refusals = Text()
        for s in services:
            if not s.refusals:
                continue
            refusals.append(f"Refus — {service_label(s.service.code)} : ", style="bold")
            refusals.append(
                " · ".join(f"{reason_label(r)} {n}" for r, n in sorted(s.refusals.items()))
            )
            if s.voids:
                refusals.append(f" · annulations {s.voids}")
            refusals.append("\n")
        if not services:
            self.update(Text("Aucun service configuré.", style="dim"))
            return
        grid = Table.grid(expand=True)
        grid.add_row(table)
        if refusals.plain:
            grid.add_row(refusals)
        self.update(grid)
