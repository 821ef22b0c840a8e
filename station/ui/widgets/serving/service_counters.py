"""Counters of the open service: served / reserved / still expected."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from station.core.models import ServiceCounters
from station.ui.widgets.repaint import update_in_place


class ServiceCountersView(Static):
    """Three lines: Servis, Réservés, Encore attendus."""

    DEFAULT_CSS = """
    ServiceCountersView { height: auto; }
    """

    def show(self, counters: ServiceCounters | None) -> None:
        if counters is None:
            update_in_place(self, Text("Aucun service en cours", style="dim"))
            return
        grid = Table.grid(expand=True)
        grid.add_column()
        grid.add_column(justify="right")
        grid.add_row("Servis", Text(str(counters.served), style="bold"))
        grid.add_row("Réservés", Text(str(counters.reserved), style="bold"))
        grid.add_row("Encore attendus", Text(str(counters.expected), style="bold"))
        update_in_place(self, grid)
