"""Passes per 10 minutes as horizontal bars in the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

BAR_WIDTH = 40


class PassChart(Static):
    """« 12:00 ██████████▌ 23 » per slot, scaled to the busiest slot."""

    DEFAULT_CSS = """
    PassChart { height: auto; }
    """

    def show(self, slots: Sequence[tuple[time, int]]) -> None:
        if not slots:
            self.update(Text("Aucun repas servi pour l'instant.", style="dim"))
            return
        peak = max(n for _, n in slots) or 1
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(justify="right")
        for at, count in slots:
            eighths = round(count / peak * BAR_WIDTH * 8)
            full, part = divmod(eighths, 8)
            bar = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
            table.add_row(f"{at:%H:%M}", Text(bar, style="green"), str(count))
        self.update(table)
