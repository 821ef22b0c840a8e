"""F2: find a child by name and serve them without their card (forgotten card).

The screen only chooses the child; the serving screen serves them through the same
engine and rules as a scan (``ServingLine.serve_manual``).
"""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from station.core.models import Candidate
from station.engine import ServingLine

MAX_RESULTS = 30


def _label(found: Candidate, tz: ZoneInfo) -> Text:
    """« GUÉRIN Léa — 6B · réservé · ⚠ allergie », or « déjà servi à 12:04 » in red."""
    child = found.child
    text = Text(f"{child.last_name} {child.first_name} — {child.class_name}")
    if found.served_at is not None:
        text.append(f" · déjà servi à {found.served_at.astimezone(tz):%H:%M}", "bold red")
    elif found.reserved:
        text.append(" · réservé", "green")
    else:
        text.append(" · sans réservation", "yellow")
    if child.allergies:
        text.append(" ⚠ allergie", "bold")
    return text


class SearchScreen(ModalScreen[str | None]):
    """Type the start of a name, pick the child, Enter serves; Échap goes back."""

    CSS_PATH = "../styles/search.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Retour"),
        Binding("down", "move(1)", "Suivant", show=False),
        Binding("up", "move(-1)", "Précédent", show=False),
    ]

    def __init__(self, line: ServingLine, text: str = "") -> None:
        super().__init__()
        self.line = line
        self.text = text
        """What was typed when a scan interrupted the search: F2 resumes with it."""

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Static("Élève sans carte — tapez le début du nom", id="search-title")
            yield Input(self.text, placeholder="Nom ou prénom", id="search-name")
            yield OptionList(id="search-results")
            yield Static("Entrée : servir l'élève choisi · ↑↓ : choisir · Échap : retour")

    def on_mount(self) -> None:
        if self.text:
            self._show_matches(self.text)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self._show_matches(event.value)

    def _show_matches(self, typed: str) -> None:
        results = self.query_one(OptionList)
        results.clear_options()
        text = typed.strip()
        if len(text) < 2:
            return
        children = self.line.views.search(text, limit=MAX_RESULTS)
        results.add_options([Option(_label(c, self.line.tz), id=c.child.id) for c in children])
        if children:
            results.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one(OptionList)
        if results.highlighted is not None:
            self.dismiss(results.get_option_at_index(results.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if results.option_count:
            current = results.highlighted or 0
            results.highlighted = max(0, min(results.option_count - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
