"""A line in block letters when it fits the width, in bold otherwise."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from station.ui.widgets.block_font import big_text, big_width


class BigLine(Widget):
    """Text staff must read from a metre: three rows of block letters, or one bold line
    (wrapped) when the letters would not fit."""

    DEFAULT_CSS = """
    BigLine { height: auto; width: 1fr; text-align: center; }
    """

    def __init__(self, *, min_screen_rows: int = 30, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self.min_screen_rows = min_screen_rows
        """Below this terminal height the verdict's other lines need the rows: bold text."""
        self._height = 0

    def show(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        self.display = bool(text)
        # A new text of the same height only repaints (no relayout on the way to screen).
        height = self.get_content_height(self.size, self.size, self.size.width)
        self.refresh(layout=height != self._height)
        self._height = height

    def _fits(self, width: int) -> bool:
        tall_enough = self.app.size.height >= self.min_screen_rows
        return tall_enough and bool(self.text) and big_width(self.text) <= width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._fits(width):
            return 3
        return max(1, -(-len(self.text) // max(width, 1)))

    def render(self) -> Text:
        if self._fits(self.size.width):
            return Text("\n".join(big_text(self.text)), style="bold", justify="center")
        return Text(self.text, style="bold", justify="center")
