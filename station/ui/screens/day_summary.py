"""F5: the day at a glance for the intendance, and its CSV export.

Counts come from the engine's views (:meth:`station.views.LineViews.day_summary`, every
line of the school), read in a thread worker on its own connection so a long day never
freezes the line. F6 writes the same aggregation, same scope, as CSV: the file and the
screen cannot disagree.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from station.core.clock import Clock
from station.core.errors import StationError
from station.core.models import DaySummary
from station.engine import ServingLine
from station.report import as_csv
from station.ui.widgets.summary.class_table import ClassTable
from station.ui.widgets.summary.pass_chart import PassChart
from station.ui.widgets.summary.service_table import ServiceTable


class DaySummaryScreen(Screen[None]):
    """Per service, per class, passes per 10 minutes; F6 exports the day as CSV."""

    CSS_PATH = "../styles/day_summary.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f5", "app.pop_screen", "Retour au service"),
        Binding("f6", "export", "Exporter CSV"),
    ]

    def __init__(self, line: ServingLine, *, clock: Clock, tz: ZoneInfo, export_dir: Path) -> None:
        super().__init__()
        self.line = line
        self.clock = clock
        self.tz = tz
        self.export_dir = export_dir
        self.day: date = line.business_date(clock.now())
        self.summary: DaySummary | None = None
        self.exported: Path | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            f"Bilan du {self.day:%d/%m/%Y} — toutes les lignes (vu du poste {self.line.station})",
            id="summary-title",
        )
        with VerticalScroll(id="summary-body"):
            yield ServiceTable("Calcul en cours…", id="summary-services")
            yield Static("Passages par tranche de 10 minutes", classes="summary-heading")
            yield PassChart(id="summary-chart")
            yield Static("Par classe", classes="summary-heading")
            yield ClassTable(id="summary-classes")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="day-summary")
    def load(self) -> None:
        """Count the day (again when a scan arrives while the summary is open)."""
        summary = self.line.views.day_summary(self.day, now=self.clock.now())
        self.app.call_from_thread(self._show, summary)

    def _show(self, summary: DaySummary) -> None:
        self.summary = summary
        self.query_one(ServiceTable).show(summary.services)
        self.query_one(PassChart).show(summary.passes_per_slot)
        self.query_one(ClassTable).show(summary.services)

    def action_export(self) -> None:
        self.export()

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self) -> None:
        target = self.export_dir / f"passages-{self.day.isoformat()}-{self.line.station}.csv"
        try:
            summary = self.line.views.day_summary(self.day, now=self.clock.now())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\ufeff" + as_csv(summary), encoding="utf-8")
        except (OSError, StationError) as e:
            self.app.call_from_thread(
                self.notify, f"Export impossible : {e}", severity="error", timeout=8
            )
            return
        self.exported = target
        self.app.call_from_thread(self.notify, f"Exporté : {target}", timeout=8)
