"""Leaving the app asks first: a closed station serves nobody."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitConfirmScreen(ModalScreen[bool]):
    """« Quitter le poste ? » — O / Entrée on Quitter to leave, N / Échap to stay."""

    CSS_PATH = "../styles/undo.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "answer(True)", "Oui, quitter"),
        Binding("n,escape", "answer(False)", "Non, rester"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Static("Quitter le poste de service ?", id="quit-title")
            yield Static("Les passages déjà enregistrés sont conservés.")
            with Horizontal(id="quit-buttons"):
                yield Button("Rester (N)", id="quit-no", variant="primary")
                yield Button("Quitter (O)", id="quit-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#quit-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit-yes")

    def action_answer(self, leave: bool) -> None:
        self.dismiss(leave)
