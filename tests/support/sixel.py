"""What the app writes to its terminal, and the Sixel images in it read back to pixels.

Headless, Textual composes each frame but does not encode it for a terminal;
:class:`TerminalOutput` encodes every frame as a terminal would receive it. :func:`sixels`
finds the Sixel images in that data (``ESC P … q``, raster attributes, colour registers,
sixel bands) and decodes them, so a test sees the picture a Sixel terminal would draw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.console import RenderableType
from textual._compositor import CompositorUpdate
from textual.app import App
from textual.screen import Screen

RGB = tuple[int, int, int]

_IMAGE = re.compile(r"\x1b\[(\d+);(\d+)H\x1bP[0-9;]*q\"1;1;(\d+);(\d+)(.*?)\x1b\\", re.S)
_TOKEN = re.compile(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|!(\d+)([?-~])|([?-~])|(\$)|(-)")


class TerminalOutput:
    """Every frame the app writes from now on, as terminal data."""

    def __init__(self, app: App[None]) -> None:
        self.frames: list[str] = []
        display = app._display

        def write(screen: Screen[object], update: RenderableType | None) -> None:
            if isinstance(update, CompositorUpdate):
                self.frames.append(update.render_segments(app.console))
            display(screen, update)

        app._display = write  # type: ignore[method-assign,assignment]

    def text(self) -> str:
        return "".join(self.frames)

    def clear(self) -> None:
        self.frames.clear()


@dataclass
class SixelImage:
    """A Sixel image as a terminal draws it: where (0-based cell of its top-left corner,
    from the cursor move just before it) and its pixels (``None`` where none is set)."""

    column: int
    row: int
    width: int
    height: int
    pixels: list[list[RGB | None]] = field(repr=False)

    def at(self, x: int, y: int) -> RGB | None:
        return self.pixels[y][x]


def sixels(data: str) -> list[SixelImage]:
    """The Sixel images in ``data``, each placed by the cursor move right before it."""
    return [
        _decode(int(m[2]) - 1, int(m[1]) - 1, int(m[3]), int(m[4]), m[5])
        for m in _IMAGE.finditer(data)
    ]


def _decode(column: int, row: int, width: int, height: int, body: str) -> SixelImage:
    pixels: list[list[RGB | None]] = [[None] * width for _ in range(height)]
    palette: dict[int, RGB] = {}
    colour, x, band = 0, 0, 0
    for m in _TOKEN.finditer(body):
        register, red, green, blue, repeat, repeated, single, cr, nl = m.groups()
        if register is not None:
            colour = int(register)
            if red is not None:  # a definition, in percent
                palette[colour] = _rgb(int(red), int(green), int(blue))
        elif cr:
            x = 0
        elif nl:
            x, band = 0, band + 6
        else:
            count, char = (int(repeat), repeated) if repeat else (1, single)
            bits = ord(char) - 0x3F
            for dy in range(6):
                if bits >> dy & 1 and band + dy < height:
                    for dx in range(count):
                        if x + dx < width:
                            pixels[band + dy][x + dx] = palette[colour]
            x += count
    return SixelImage(column, row, width, height, pixels)


def _rgb(red: int, green: int, blue: int) -> RGB:
    return (round(red * 2.55), round(green * 2.55), round(blue * 2.55))
