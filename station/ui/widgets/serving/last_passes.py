"""The last passes at this line, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from station.store.screens_read import Pass
from station.ui.format import pass_line


class LastPasses(Static):
    """Two lines a pass (time and child; verdict and amount), refusals red, voids struck."""

    DEFAULT_CSS = """
    LastPasses { height: auto; }
    """

    def show(self, passes: Sequence[Pass], tz: ZoneInfo) -> None:
        if not passes:
            self.update(Text("Aucun passage aujourd'hui.", style="dim"))
            return
        table = Table.grid(expand=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(justify="right", no_wrap=True)
        for item in passes:
            at, who, what, money = pass_line(item, tz)
            style = (
                "red" if item.status == "refused" else ("strike dim" if item.voided else "green")
            )
            table.add_row(Text(f"{at} {who}", style="bold"), "")
            table.add_row(Text(f"   {what}", style=style), money)
        self.update(table)
