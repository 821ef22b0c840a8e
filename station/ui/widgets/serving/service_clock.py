"""Top bar: school and line, the open service with its window, the clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from station.core.models import Service
from station.ui.format import clock_text, service_title, window_text


class ServiceClock(Static):
    """« Collège 1849 · ligne-1    Déjeuner 11:15–13:45    12:04:33 »."""

    DEFAULT_CSS = """
    ServiceClock { height: 1; }
    """

    def __init__(self, school: str, station: str, tz: ZoneInfo, *, id: str | None = None):
        super().__init__(id=id)
        self.school = school
        self.station = station
        self.tz = tz
        self.note = ""
        """Extra words next to the service (the demo says its window is always open)."""

    def show(self, now: datetime, service: Service | None) -> None:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(ratio=1, justify="center", no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        where = f"{self.school} · {self.station}" if self.school else self.station
        what = Text(service_title(service.code if service else None), style="bold")
        if service is not None:
            what.append(f" {window_text(service.start, service.end)}")
        if self.note:
            what.append(f" ({self.note})", style="italic")
        grid.add_row(where, what, Text(clock_text(now, self.tz), style="bold"))
        self.update(grid, layout=False)  # one row whatever the text: no relayout each second
