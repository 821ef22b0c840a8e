"""The child's photo beside the verdict, or large initials when there is none.

``textual-image`` asks the terminal what it supports when it is imported (which only works
before Textual takes the terminal: this module is imported with the app), and
:data:`GRAPHICS` keeps its answer:

- ``"sixel"`` (``foot``, the kiosk's terminal): the picture in Sixel, encoded ahead and
  written over the frame by a layer (``photo_sixel.py``);
- ``"kitty"``: the Kitty graphics protocol, through ``textual-image``'s renderable;
- ``"halfblocks"`` everywhere else: coloured half blocks (``photo_halfblocks.py``), built
  once per picture and frame size and kept while the child is shown.

Decoding and scaling never happen on the scan path when the sync has run: the photo sync
(``station/sync/photos.py``) calls :func:`warm` from its thread with the files it holds,
which fills a small LRU cache of pictures already scaled to this widget's sizes, by file
(each file is named by the hash of its content, so an entry never goes stale), and, for a
Sixel terminal, the cache of encoded pictures. A missing, unreadable or broken file shows
the initials, never an error.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from PIL import Image
from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual_image._terminal import get_cell_size
from textual_image.renderable import Image as DetectedImage
from textual_image.renderable import SixelImage, TGPImage

from station.core.models import Child
from station.sync import photos as photo_sync
from station.ui.format import initials
from station.ui.widgets.block_font import big_text, big_width
from station.ui.widgets.serving.photo_halfblocks import HalfBlocks, color_system
from station.ui.widgets.serving.photo_sixel import SIXELS, SixelLayer, SixelPicture

#: Cells inside the frame: in half blocks a text row is two pixel rows, so a square
#: photo shows as 10 × 10 pixels in 10 columns by 5 rows (Sixel, Kitty: full detail).
PHOTO_COLS = 12
PHOTO_ROWS = 5
#: From 32 terminal rows (the screen's ``-tall`` class) the frame is larger: 22 × 22
#: pixels in half blocks, enough to tell two children apart.
TALL_COLS = 24
TALL_ROWS = 11
FRAME_SIZES = ((PHOTO_COLS, PHOTO_ROWS), (TALL_COLS, TALL_ROWS))
#: A panel with this class keeps the regular frame on a tall screen (an allergy verdict
#: on fewer than 40 rows: the allergens in block letters come first).
PHOTO_COMPACT = "-photo-compact"

Graphics = Literal["sixel", "kitty", "halfblocks"]


def detected_graphics() -> Graphics:
    """How this terminal draws pictures, as ``textual-image`` found out at import."""
    if DetectedImage is SixelImage:
        return "sixel"
    if DetectedImage is TGPImage:
        return "kitty"
    return "halfblocks"


GRAPHICS: Graphics = detected_graphics()
if GRAPHICS == "sixel":
    get_cell_size()  # asks the terminal its cell size in pixels while it still can

#: How many pictures stay decoded: half blocks keep a few kB per picture and size, so a
#: whole school's; Kitty graphics keep the whole 256 × 256 picture (192 kB), so fewer.
CACHE_SIZE = 128 if GRAPHICS == "kitty" else 4096


class PictureCache:
    """Pictures decoded and scaled for a given cell size, least recently used first out.
    Shared by the sync thread (which warms it) and the UI thread (which reads it)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, int], Image.Image | None] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, path: Path, cols: int, rows: int) -> Image.Image | None:
        """The picture of ``path`` ready for ``cols`` × ``rows`` cells; ``None`` when the
        file is missing or not a picture. Decodes on a miss (counted in ``misses``)."""
        key = _key(path, cols, rows)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        picture = _decode(path, cols, rows)
        with self._lock:
            self.misses += 1
            self._items[key] = picture
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return picture

    def has(self, path: Path, cols: int, rows: int) -> bool:
        with self._lock:
            return _key(path, cols, rows) in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.misses = 0


def _key(path: Path, cols: int, rows: int) -> tuple[str, int, int]:
    """Kitty graphics keep one full picture per file (the terminal scales it)."""
    return (str(path), 0, 0) if GRAPHICS == "kitty" else (str(path), cols, rows)


def _decode(path: Path, cols: int, rows: int) -> Image.Image | None:
    """The photo as RGB pixels, scaled for half blocks (``cols`` × ``2·rows`` pixels at
    most, ratio kept) or, for Kitty graphics, kept at its size (the terminal scales)."""
    kitty = GRAPHICS == "kitty"
    try:
        with Image.open(path) as image:
            if not kitty:
                image.draft("RGB", (cols, rows * 2))  # JPEG: decode at a fraction of its size
            rgb = image.convert("RGB")
        if not kitty:
            rgb.thumbnail((cols, rows * 2), Image.Resampling.LANCZOS)
        return rgb
    except Exception:  # a broken photo file must never stop the line
        return None


PICTURES = PictureCache()


def warm(paths: Sequence[Path]) -> None:
    """Decode ``paths`` for the serving screen ahead of the scans that show them (as many
    as the cache holds for both frame sizes; past that, a scan decodes its photo, a
    millisecond or two, rather than the sync decoding the school over and over). On a
    Sixel terminal, then encode them, within :data:`~photo_sixel.SIXEL_BUDGET_BYTES`
    (the half blocks show a photo not encoded yet)."""
    for path in paths[: PICTURES.size // 2]:
        for cols, rows in FRAME_SIZES:
            PICTURES.get(path, cols, rows)
    if GRAPHICS == "sixel":
        SIXELS.fill(paths, reversed(FRAME_SIZES))  # the larger frame, a kiosk's, first


photo_sync.on_fetched(warm)


class ChildPhoto(Widget):
    """Shows who should be in front of the staff: a photo when cached, else initials."""

    SCOPED_CSS = False  # the larger frame follows the screen's ``-tall`` class
    DEFAULT_CSS = f"""
    ChildPhoto {{
        width: {PHOTO_COLS + 2}; height: {PHOTO_ROWS + 2};
        content-align: center middle; text-style: bold;
        border: round white;
    }}
    Screen.-tall ChildPhoto {{ width: {TALL_COLS + 2}; height: {TALL_ROWS + 2}; }}
    Screen.-tall .{PHOTO_COMPACT} ChildPhoto {{
        width: {PHOTO_COLS + 2}; height: {PHOTO_ROWS + 2};
    }}
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.child: Child | None = None
        self.shown_photo: Path | None = None
        """The file drawn now; ``None`` while the initials show."""
        self._kitty: TGPImage | None = None
        self._blocks: HalfBlocks | None = None
        self._sixel: SixelPicture | None = None
        # What each of them was made for: (file, columns, rows).
        self._kitty_key: tuple[Path | None, int, int] = (None, 0, 0)
        self._blocks_key: tuple[Path | None, int, int] = (None, 0, 0)
        self._sixel_key: tuple[Path | None, int, int] = (None, 0, 0)

    def compose(self) -> ComposeResult:
        if GRAPHICS == "sixel":
            yield SixelLayer(self)

    def show(self, child: Child | None) -> None:
        self.child = child
        self.shown_photo = None
        if child is not None and child.photo:
            path = Path(child.photo)
            cols, rows = self.cells()
            sixel = GRAPHICS == "sixel" and SIXELS.get(path, cols, rows) is not None
            if sixel or PICTURES.get(path, cols, rows) is not None:
                self.shown_photo = path
        if self._kitty is not None and self._kitty_key[0] != self.shown_photo:
            self._forget_kitty()
        self.display = child is not None
        self.refresh()

    def cells(self) -> tuple[int, int]:
        """The cells inside the frame, from the screen's height class (known before the
        widget is laid out: it is hidden between two children)."""
        tall = (
            self.is_mounted
            and self.screen.has_class("-tall")
            and not any(node.has_class(PHOTO_COMPACT) for node in self.ancestors_with_self)
        )
        return (TALL_COLS, TALL_ROWS) if tall else (PHOTO_COLS, PHOTO_ROWS)

    def _frame(self) -> tuple[Path | None, int, int]:
        """The shown photo and the frame's cells now: a short terminal may give the frame
        fewer rows than :meth:`cells` (the picture is then made for them, once)."""
        width, height = self.content_size
        cols, rows = (width, height) if width and height else self.cells()
        return (self.shown_photo, cols, rows)

    def sixel_now(self) -> SixelPicture | None:
        """The encoded photo for the frame as it is now; ``None`` when the frame draws
        something else (not a Sixel terminal, no photo, not encoded for this size)."""
        if GRAPHICS != "sixel" or self.shown_photo is None:
            return None
        key = self._frame()
        if key != self._sixel_key:
            self._sixel_key, self._sixel = key, SIXELS.get(self.shown_photo, *key[1:])
        return self._sixel

    def _half_blocks(self) -> HalfBlocks | None:
        if self.shown_photo is None:
            return None
        key = self._frame()
        bold = bool(self.visual_style.bold)
        blocks = self._blocks
        if key != self._blocks_key or blocks is None or blocks.bold != bold:
            picture = PICTURES.get(self.shown_photo, *key[1:])
            colors = color_system(self.app.console.color_system)
            blocks = None if picture is None else HalfBlocks(picture, bold=bold, colors=colors)
            self._blocks, self._blocks_key = blocks, key
        return blocks

    def render_line(self, y: int) -> Strip:
        """A row of the frame's content: half blocks drawn from the cells kept for this
        photo, a blank row under a Sixel picture, else what :meth:`render` gives."""
        if self.shown_photo is None or GRAPHICS == "kitty":
            return super().render_line(y)
        width, height = self.content_size
        base = self.visual_style.rich_style
        if self.sixel_now() is not None:
            return Strip.blank(width, base)
        blocks = self._half_blocks()
        if blocks is None:
            return super().render_line(y)
        return blocks.line(y, width, height, base)

    def fallback_lines(self, crop: Region) -> list[Strip]:
        """The content in half blocks, cropped (a frame partly hidden, on a Sixel
        terminal: the picture would be drawn past what is visible)."""
        blocks = self._half_blocks()
        width, height = self.content_size
        base = self.visual_style.rich_style
        lines = [
            blocks.line(y, width, height, base) if blocks else Strip.blank(width, base)
            for y in crop.line_range
        ]
        return [line.crop(crop.x, crop.right) for line in lines]

    def render(self) -> RenderableType:
        kitty = self._kitty_picture()
        if kitty is not None:
            return kitty
        if self.child is None:
            return Text("")
        letters = initials(self.child)
        if self.cells()[0] == TALL_COLS and big_width(letters) <= TALL_COLS:
            # The larger frame: the initials in block letters, read from a metre.
            return Text("\n".join(big_text(letters)), justify="center", style="bold")
        return Text(letters, justify="center", style="bold")

    def _kitty_picture(self) -> TGPImage | None:
        if GRAPHICS != "kitty" or self.shown_photo is None:
            return None
        key = self._frame()
        if self._kitty is None or self._kitty_key != key:
            self._forget_kitty()
            picture = PICTURES.get(self.shown_photo, *key[1:])
            if picture is not None:
                self._kitty, self._kitty_key = TGPImage(picture, width=key[1], height=key[2]), key
        return self._kitty

    def _forget_kitty(self) -> None:
        if self._kitty is not None:
            self._kitty.cleanup()  # frees the image the terminal holds
        self._kitty, self._kitty_key = None, (None, 0, 0)
