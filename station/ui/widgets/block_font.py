"""Block letters drawn with half blocks, readable from a metre away (pure, no Textual).

Glyphs are six pixels tall (row 0 carries the accent) and drawn two pixel rows per text
row, so a line is three text rows at scale 1, six at scale 2. Accented letters other than
É are drawn as their base letter; a character without a glyph is drawn as a space.
"""

from __future__ import annotations

import unicodedata

_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": ("....", ".##.", "#..#", "####", "#..#", "#..#"),
    "B": ("....", "###.", "#..#", "###.", "#..#", "###."),
    "C": ("....", ".###", "#...", "#...", "#...", ".###"),
    "D": ("....", "###.", "#..#", "#..#", "#..#", "###."),
    "E": ("....", "####", "#...", "###.", "#...", "####"),
    "É": ("..#.", "####", "#...", "###.", "#...", "####"),
    "F": ("....", "####", "#...", "###.", "#...", "#..."),
    "G": ("....", ".###", "#...", "#.##", "#..#", ".###"),
    "H": ("....", "#..#", "#..#", "####", "#..#", "#..#"),
    "I": ("...", "###", ".#.", ".#.", ".#.", "###"),
    "J": ("....", "...#", "...#", "...#", "#..#", ".##."),
    "K": ("....", "#..#", "#.#.", "##..", "#.#.", "#..#"),
    "L": ("....", "#...", "#...", "#...", "#...", "####"),
    "M": (".....", "#...#", "##.##", "#.#.#", "#...#", "#...#"),
    "N": ("....", "#..#", "##.#", "#.##", "#..#", "#..#"),
    "O": ("....", ".##.", "#..#", "#..#", "#..#", ".##."),
    "P": ("....", "###.", "#..#", "###.", "#...", "#..."),
    "Q": ("....", ".##.", "#..#", "#..#", "#.#.", ".#.#"),
    "R": ("....", "###.", "#..#", "###.", "#.#.", "#..#"),
    "S": ("....", ".###", "#...", ".##.", "...#", "###."),
    "T": ("...", "###", ".#.", ".#.", ".#.", ".#."),
    "U": ("....", "#..#", "#..#", "#..#", "#..#", ".##."),
    "V": ("....", "#..#", "#..#", "#..#", ".##.", ".##."),
    "W": (".....", "#...#", "#...#", "#.#.#", "##.##", "#...#"),
    "X": ("....", "#..#", "#..#", ".##.", "#..#", "#..#"),
    "Y": ("...", "#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("....", "####", "...#", ".##.", "#...", "####"),
    "-": ("...", "...", "...", "###", "...", "..."),
    "/": ("....", "...#", "..#.", ".##.", ".#..", "#..."),
    "'": ("..", ".#", ".#", "..", "..", ".."),
    ",": ("..", "..", "..", "..", ".#", "#."),
    ":": (".", ".", "#", ".", "#", "."),
    " ": ("..", "..", "..", "..", "..", ".."),
}
_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def _glyph(char: str) -> tuple[str, ...]:
    upper = char.upper()
    if upper in _GLYPHS:
        return _GLYPHS[upper]
    base = unicodedata.normalize("NFKD", upper)[:1]
    return _GLYPHS.get(base, _GLYPHS[" "])


def big_text(text: str, scale: int = 1) -> list[str]:
    """``text`` in block letters, ``3 * scale`` lines tall."""
    rows = ["" for _ in range(6)]
    for char in text.replace("_", " "):
        for i, line in enumerate(_glyph(char)):
            rows[i] += line + "."
    pixels = [[c == "#" for c in row for _ in range(scale)] for row in rows for _ in range(scale)]
    return [
        "".join(_HALF[(t, b)] for t, b in zip(top, bottom, strict=True))
        for top, bottom in zip(pixels[0::2], pixels[1::2], strict=True)
    ]


def big_width(text: str, scale: int = 1) -> int:
    """Columns ``big_text(text, scale)`` takes."""
    return sum(len(_glyph(c)[0]) + 1 for c in text.replace("_", " ")) * scale
