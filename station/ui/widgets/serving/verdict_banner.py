"""The big word readable from a metre away: SERVI, REFUSÉ, ANNULÉ."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from station.ui.widgets.block_font import big_text, big_width

# The banner keeps one height whatever the word (the widest decides), so a new verdict
# only repaints it: no relayout of the panel on the way to the screen.
_WIDEST = max(big_width(word) for word in ("SERVI", "REFUSÉ", "ANNULÉ", "ERREUR"))
#: Largest letters drawn: 12 text rows at scale 4, for a big screen read across the line.
MAX_SCALE = 4


def fit_scale(width: int, screen_height: int) -> int:
    """The letter scale for a banner ``width`` columns wide on a terminal of
    ``screen_height`` rows: as large as fits the width and a fifth of the height
    (the name, reason and money need the rest); 0 when not even scale 1 fits."""
    for scale in range(MAX_SCALE, 0, -1):
        if _WIDEST * scale <= width and 3 * scale <= max(3, screen_height // 5):
            return scale
    return 0


class VerdictBanner(Widget):
    """The verdict word in block letters, shrinking to one bold line on small terminals."""

    DEFAULT_CSS = """
    VerdictBanner { height: auto; min-height: 3; content-align: center middle; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.word = ""

    def show(self, word: str) -> None:
        if word != self.word:
            self.word = word
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(3, 3 * fit_scale(width, self.app.size.height))

    def render(self) -> Text:
        scale = fit_scale(self.size.width, self.app.size.height)
        if scale == 0 or not self.word:
            return Text(self.word, style="bold", justify="center")
        return Text("\n".join(big_text(self.word, scale)), style="bold", justify="center")
