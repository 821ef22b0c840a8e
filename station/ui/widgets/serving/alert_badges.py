"""Allergy / PAI and diet badges: loud, reversed colours, impossible to miss."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from station.core.models import Child
from station.ui.format import allergy_badges, diet_badges


class AlertBadges(Static):
    """One badge a line under the child's name; hidden when the child has none."""

    DEFAULT_CSS = """
    AlertBadges { height: auto; margin: 0 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None

    def show(self, child: Child | None) -> None:
        text = Text()
        if child is not None:
            for badge in allergy_badges(child):
                text.append(f" ⚠ {badge} ", style="bold white on #b00020")
                text.append("\n")
            for badge in diet_badges(child):
                text.append(f" {badge} ", style="bold black on #ffd400")
                text.append("\n")
        text.rstrip()
        if text == self._shown:
            return  # most children have no badge: nothing to redraw or lay out
        self._shown = text
        self.display = bool(text.plain)
        self.update(text)
