"""F3: undo the last pass (wrong child), with a confirmation and a reason.

The screen only confirms; the engine voids the meal and checks the undo window.
"""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.core.models import LastMeal
from station.core.money import format_euros

DEFAULT_REASON = "erreur d'élève"


class UndoScreen(ModalScreen[str | None]):
    """« Annuler le passage de … ? » — Entrée confirms with the typed reason, Échap cancels.

    The dialog names the pass it targets; a new scan closes it unanswered (the app brings
    the new verdict to the front), so it never undoes a pass other than the one shown.
    """

    CSS_PATH = "../styles/undo.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Ne pas annuler")]

    def __init__(self, meal: LastMeal, tz: ZoneInfo) -> None:
        super().__init__()
        self.meal = meal
        self.tz = tz

    def compose(self) -> ComposeResult:
        meal = self.meal
        at = meal.served_at.astimezone(self.tz)
        who = f"{meal.child_name} ({meal.class_name})" if meal.class_name else meal.child_name
        with Vertical(id="undo-box"):
            yield Static(f"Annuler le passage de {meal.child_name} ?", id="undo-title")
            yield Static(
                f"{who} — servi à {at:%H:%M} — {format_euros(meal.charged_cents)} remboursés",
                id="undo-meal",
            )
            yield Static("Motif :")
            yield Input(value=DEFAULT_REASON, id="undo-reason")
            yield Static("Entrée : confirmer l'annulation · Échap : ne rien annuler")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or DEFAULT_REASON)

    def action_cancel(self) -> None:
        self.dismiss(None)
