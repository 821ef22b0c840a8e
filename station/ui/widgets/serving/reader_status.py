"""Reader status line: each configured reader, connected or not."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import Static

from station.ui.widgets.repaint import update_in_place


class ReaderStatusLine(Static):
    """« Lecteurs : clavier ● connecté · douchette ○ débranché »."""

    DEFAULT_CSS = """
    ReaderStatusLine { height: auto; }
    """

    def show(self, readers: Mapping[str, bool], error: str = "") -> None:
        text = Text("Lecteurs : ", style="dim")
        if not readers:
            text.append("aucun (saisie du code au clavier)", style="yellow")
        for i, (name, connected) in enumerate(readers.items()):
            if i:
                text.append(" · ", style="dim")
            if connected:
                text.append(f"{name} ● connecté", style="green")
            else:
                text.append(f"{name} ○ débranché", style="bold red")
        if error:
            text.append(f" — {error}", style="red")
        self.set_class(not all(readers.values()), "-disconnected")
        update_in_place(self, text)
