"""F4: « Servir quand même » — a supervised override of a refusal, with its motive.

Offered only after a ``no_reservation`` or ``insufficient_balance`` refusal; the screen
only picks the motive, the engine serves through the same rules (``source = override``),
so a blocked card, a second pass or the monthly cap still refuse.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from station.core.models import Verdict
from station.core.texts import OVERRIDE_MOTIVES, REASON_TEXT


class OverrideScreen(ModalScreen[str | None]):
    """Pick the motive with ↑↓ and Entrée; Échap serves nobody."""

    CSS_PATH = "../styles/undo.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Ne pas servir")]

    def __init__(self, refused: Verdict) -> None:
        super().__init__()
        self.refused = refused

    def compose(self) -> ComposeResult:
        child = self.refused.child
        who = f"{child.first_name} {child.last_name} ({child.class_name})" if child else "?"
        with Vertical(id="override-box"):
            yield Static(f"Servir quand même {who} ?", id="override-title")
            yield Static(f"Refusé : {REASON_TEXT[self.refused.reason]}. Motif :")
            yield OptionList(
                *(Option(text, id=code) for code, text in OVERRIDE_MOTIVES.items()),
                id="override-motives",
            )
            yield Static("Entrée : servir avec ce motif · Échap : ne pas servir")

    def on_mount(self) -> None:
        motives = self.query_one(OptionList)
        motives.highlighted = 0
        motives.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
