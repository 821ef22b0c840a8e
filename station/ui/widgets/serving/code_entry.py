"""Where a card code can be typed by hand (a scanner burst never lands here)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Input


class CodeEntry(Input):
    """Type the code printed on a card, then Enter; posts :class:`CodeEntry.CodeSubmitted`."""

    DEFAULT_CSS = """
    CodeEntry { width: 1fr; }
    """

    @dataclass
    class CodeSubmitted(Message):
        """A code typed by hand."""

        code: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Code de la carte (ex. 1849-00042) puis Entrée", id=id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        code = event.value.strip()
        self.clear()
        if code:
            self.post_message(self.CodeSubmitted(code))

    def on_mount(self) -> None:
        # Headless (tests, benchmarks): a blinking cursor would make screenshots depend on
        # the instant they are taken.
        if self.app.is_headless:
            self.cursor_blink = False
