"""The child's photo as a Sixel image, for terminals that answer Sixel (``foot``, the
kiosk's terminal).

Textual composes lines of text cells, and a Sixel image is not made of cells. As
``textual-image``'s own Sixel widget does (``textual_image/widget/sixel.py``), a layer
covers the photo frame's content: its rows are left to the frame underneath (blank), and
its last row is a strip whose text is terminal data — blanks over the row, the cursor
moved to the picture's corner, the Sixel sequence, the cursor moved back to where Textual
expects it. Textual writes rows top to bottom, so every repaint of the frame draws the
picture again after its blank rows.

Encoding takes 15 to 80 ms a photo and frame size on a 2-core machine (``textual-image``'s
encoder, 256 colours), so it never happens at a scan: the photo sync fills :data:`SIXELS`
from its thread (:meth:`SixelCache.fill`), within a memory budget; a photo without its
Sixel yet (the first sync after a start still encoding, past the budget, a frame of
another size) is drawn in half blocks meanwhile.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image
from rich.control import Control
from rich.segment import ControlType, Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual_image._sixel import image_to_sixels
from textual_image._terminal import CellSize, get_cell_size

#: Encoded pictures kept, compressed: a photo takes 40 to 65 kB for both frame sizes at
#: usual cell sizes, so a school of 1 000 to 1 600 pupils, within the station's memory
#: target (150 MB); past it the other photos show in half blocks.
SIXEL_BUDGET_BYTES = 64 * 1024 * 1024
# A no-op control, so that rich and Textual leave the Sixel sequence as it is (as
# textual-image does).
_RAW = ((ControlType.CURSOR_FORWARD, 0),)
# A colour register defined in passing (``#3;2;r;g;b``) is selected again right after:
# foot 1.13 (Debian 12's, the kiosk's) otherwise draws with the colour the register held
# before, until it is selected again (a band of the previous photo's colour on top).
_DEFINED = re.compile(r"#(\d+);2;\d+;\d+;\d+")


@dataclass(frozen=True)
class SixelPicture:
    """A photo encoded for one frame size: where it sits in the frame, in cells."""

    left: int
    top: int
    width_px: int
    height_px: int
    packed: bytes
    """The Sixel sequence (``ESC P … q … ESC \\``), zlib-compressed."""

    def sequence(self) -> str:
        return zlib.decompress(self.packed).decode("ascii")


def encode(path: Path, cols: int, rows: int, cell: CellSize) -> SixelPicture | None:
    """The photo of ``path`` scaled to fit ``cols`` × ``rows`` cells of ``cell`` pixels
    (ratio kept, centred on whole cells) and encoded; ``None`` if it is not a picture."""
    box = (cols * cell.width, rows * cell.height)
    try:
        with Image.open(path) as image:
            image.draft("RGB", box)  # JPEG: decode at a fraction of its size
            rgb = image.convert("RGB")
        rgb.thumbnail(box, Image.Resampling.LANCZOS)
        data = _DEFINED.sub(r"\g<0>#\1", image_to_sixels(rgb))
    except Exception:  # a broken photo file must never stop the line
        return None
    span_cols = -(-rgb.width // cell.width)
    span_rows = -(-rgb.height // cell.height)
    return SixelPicture(
        left=(cols - span_cols) // 2,
        top=(rows - span_rows) // 2,
        width_px=rgb.width,
        height_px=rgb.height,
        packed=zlib.compress(data.encode("ascii"), 1),
    )


class SixelCache:
    """Encoded photos by file and frame size, filled by the photo sync's thread and read
    by the UI thread. Files are named by the hash of their content, so an entry never
    goes stale; past the budget the other photos wait (drawn in half blocks) rather than
    evict and be encoded again at every sync."""

    def __init__(self, budget: int = SIXEL_BUDGET_BYTES) -> None:
        self.budget = budget
        self.used = 0
        self._items: dict[tuple[str, int, int], SixelPicture | None] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, cols: int, rows: int) -> SixelPicture | None:
        """The encoded photo, or ``None`` (not encoded yet, or not a picture); never
        encodes."""
        with self._lock:
            return self._items.get((str(path), cols, rows))

    def has(self, path: Path, cols: int, rows: int) -> bool:
        with self._lock:
            return (str(path), cols, rows) in self._items

    def fill(self, paths: Sequence[Path], sizes: Iterable[tuple[int, int]]) -> None:
        """Encode ``paths`` (every photo present) for each frame size in turn (the first
        size for the whole school first), while the budget holds; forget the photos no
        longer present."""
        present = {str(path) for path in paths}
        with self._lock:
            for key in [key for key in self._items if key[0] not in present]:
                self._drop(key)
        cell = get_cell_size()
        for cols, rows in sizes:
            for path in paths:
                if self.has(path, cols, rows):
                    continue
                if self.used >= self.budget:
                    return
                self._add((str(path), cols, rows), encode(path, cols, rows, cell))

    def _add(self, key: tuple[str, int, int], picture: SixelPicture | None) -> None:
        with self._lock:
            if key not in self._items:
                self._items[key] = picture
                self.used += len(picture.packed) if picture else 0

    def _drop(self, key: tuple[str, int, int]) -> None:
        picture = self._items.pop(key)
        self.used -= len(picture.packed) if picture else 0

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0


SIXELS = SixelCache()


class SixelSource(Protocol):
    """The frame a :class:`SixelLayer` draws for."""

    def sixel_now(self) -> SixelPicture | None:
        """The encoded photo for the frame as it is now, if it is drawn in Sixel."""

    def fallback_lines(self, crop: Region) -> list[Strip]:
        """The frame's content in half blocks, for a frame partly hidden."""


class SixelLayer(Widget):
    """Covers the photo frame's content and writes the Sixel picture over it."""

    DEFAULT_CSS = "SixelLayer { width: 1fr; height: 1fr; }"

    def __init__(self, source: SixelSource) -> None:
        super().__init__()
        self.source = source
        self._sequence: tuple[SixelPicture | None, str] = (None, "")

    def render_lines(self, crop: Region) -> list[Strip]:
        picture = self.source.sixel_now()
        if picture is None:
            return []  # the frame's own content shows (initials or half blocks)
        if not self.screen.is_active:
            # Under a dialog the screen is drawn dimmed behind it: a picture written then
            # would cover the dialog. The frame stays blank until the dialog closes.
            return []
        if crop != self.size.region:
            # Partly hidden: the picture would be drawn past what is visible.
            return self.source.fallback_lines(crop)
        return [Strip([])] * (crop.height - 1) + [self._last_line(picture)]

    def _last_line(self, picture: SixelPicture) -> Strip:
        if self._sequence[0] is not picture:
            self._sequence = (picture, picture.sequence())
        x, y, width, height = self.region
        last = y + height - 1
        segments = [
            Segment(" " * width, self.visual_style.rich_style),
            Control.move_to(x + picture.left, y + picture.top).segment,
            Segment(self._sequence[1], None, _RAW),
            Control.move_to(x + width, last).segment,
        ]
        return Strip(segments, width)
