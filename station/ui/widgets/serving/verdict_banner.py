"""The big word readable from a metre away: SERVI, REFUSÉ, ANNULÉ."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

# Glyphs six pixels tall (row 0 carries the accent), drawn two pixel rows per text row
# with half blocks: three text rows at scale 1, six at scale 2.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "S": ("....", ".###", "#...", ".##.", "...#", "###."),
    "E": ("....", "####", "#...", "###.", "#...", "####"),
    "É": ("..#.", "####", "#...", "###.", "#...", "####"),
    "R": ("....", "###.", "#..#", "###.", "#.#.", "#..#"),
    "V": ("....", "#..#", "#..#", "#..#", ".##.", ".##."),
    "I": ("...", "###", ".#.", ".#.", ".#.", "###"),
    "F": ("....", "####", "#...", "###.", "#...", "#..."),
    "U": ("....", "#..#", "#..#", "#..#", "#..#", ".##."),
    "A": ("....", ".##.", "#..#", "####", "#..#", "#..#"),
    "N": ("....", "#..#", "##.#", "#.##", "#..#", "#..#"),
    "L": ("....", "#...", "#...", "#...", "#...", "####"),
    " ": ("..", "..", "..", "..", "..", ".."),
}
_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def big_text(word: str, scale: int = 1) -> list[str]:
    """``word`` in block letters, ``3 * scale`` lines tall; unknown letters are skipped."""
    rows = ["" for _ in range(6)]
    for letter in word.upper():
        glyph = _GLYPHS.get(letter)
        if glyph is None:
            continue
        for i, line in enumerate(glyph):
            rows[i] += line + "."
    pixels = [[c == "#" for c in row for _ in range(scale)] for row in rows for _ in range(scale)]
    lines = []
    for top, bottom in zip(pixels[0::2], pixels[1::2], strict=True):
        lines.append("".join(_HALF[(t, b)] for t, b in zip(top, bottom, strict=True)))
    return lines


def big_width(word: str, scale: int = 1) -> int:
    return sum(len(_GLYPHS[c][0]) + 1 for c in word.upper() if c in _GLYPHS) * scale


# The banner keeps one height whatever the word (the widest decides), so a new verdict
# only repaints it: no relayout of the panel on the way to the screen.
_WIDEST = max(big_width(word) for word in ("SERVI", "REFUSÉ", "ANNULÉ", "ERREUR"))


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

    def _scale(self) -> int:
        width, height = self.size
        if height >= 6 and big_width(self.word, 2) <= width:
            return 2
        return 1 if big_width(self.word) <= width else 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 6 if self.app.size.height >= 36 and width >= 2 * _WIDEST else 3

    def render(self) -> Text:
        scale = self._scale()
        if scale == 0 or not self.word:
            return Text(self.word, style="bold", justify="center")
        return Text("\n".join(big_text(self.word, scale)), style="bold", justify="center")
