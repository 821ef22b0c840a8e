"""The child's photo beside the verdict, or large initials when there is none.

``textual-image`` asks the terminal what it supports when it is imported (which only works
before Textual takes the terminal: this module is imported with the app) and draws the
picture with the Kitty graphics protocol where the terminal answers it. Everywhere else
the picture is coloured half blocks (:class:`HalfBlocks`, drawn as ``textual-image`` does
but in a quarter of its time); a Sixel terminal gets half blocks too, since
``textual-image`` draws Sixel through a widget of its own, outside what this one renders.

Decoding and scaling never happen on the scan path when the sync has run: the photo sync
(``station/sync/photos.py``) calls :func:`warm` from its thread with the files it holds,
which fills a small LRU cache of pictures already scaled to this widget's size, by file
(each file is named by the hash of its content, so an entry never goes stale). A missing,
unreadable or broken file shows the initials, never an error.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from rich.color import Color, ColorType
from rich.color_triplet import ColorTriplet
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widget import Widget
from textual_image.renderable import Image as DetectedImage
from textual_image.renderable import TGPImage

from station.core.models import Child
from station.sync import photos as photo_sync
from station.ui.format import initials
from station.ui.widgets.block_font import big_text, big_width

#: Cells inside the frame: in half blocks a text row is two pixel rows, so a square
#: photo shows as 10 × 10 pixels in 10 columns by 5 rows (Kitty graphics: full detail).
PHOTO_COLS = 12
PHOTO_ROWS = 5
#: From 32 terminal rows (the screen's ``-tall`` class) the frame is larger: 22 × 22
#: pixels in half blocks, enough to tell two children apart.
TALL_COLS = 24
TALL_ROWS = 11
#: A panel with this class keeps the regular frame on a tall screen (an allergy verdict
#: on fewer than 40 rows: the allergens in block letters come first).
PHOTO_COMPACT = "-photo-compact"
#: How many pictures stay decoded: half blocks keep a few kB per picture and size, so a
#: whole school's; Kitty graphics keep the whole 256 × 256 picture (192 kB), so fewer.

#: Kitty graphics when the terminal has them; half blocks otherwise (Sixel included).
_KITTY = DetectedImage is TGPImage
CACHE_SIZE = 128 if _KITTY else 4096


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
        key = (str(path), 0, 0) if _KITTY else (str(path), cols, rows)
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
        key = (str(path), 0, 0) if _KITTY else (str(path), cols, rows)
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.misses = 0


def _decode(path: Path, cols: int, rows: int) -> Image.Image | None:
    """The photo as RGB pixels, scaled for half blocks (``cols`` × ``2·rows`` pixels at
    most, ratio kept) or, for Kitty graphics, kept at its size (the terminal scales)."""
    try:
        with Image.open(path) as image:
            if not _KITTY:
                image.draft("RGB", (cols, rows * 2))  # JPEG: decode at a fraction of its size
            rgb = image.convert("RGB")
        if not _KITTY:
            rgb.thumbnail((cols, rows * 2), Image.Resampling.LANCZOS)
        return rgb
    except Exception:  # a broken photo file must never stop the line
        return None


PICTURES = PictureCache()


def warm(paths: Sequence[Path]) -> None:
    """Decode ``paths`` for the serving screen ahead of the scans that show them (as many
    as the cache holds for both frame sizes; past that, a scan decodes its photo, a
    millisecond or two, rather than the sync decoding the school over and over)."""
    for path in paths[: PICTURES.size // 2]:
        for cols, rows in ((PHOTO_COLS, PHOTO_ROWS), (TALL_COLS, TALL_ROWS)):
            PICTURES.get(path, cols, rows)


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
        self._picture: HalfBlocks | TGPImage | None = None
        self._drawn_key: tuple[Path | None, int, int] = (None, 0, 0)
        self.shown_photo: Path | None = None
        """The file drawn now; ``None`` while the initials show."""

    def show(self, child: Child | None) -> None:
        self.child = child
        self.shown_photo = None
        if child is not None and child.photo:
            path = Path(child.photo)
            if PICTURES.get(path, *self.cells()) is not None:
                self.shown_photo = path
        if self._picture is not None and self._drawn_key[0] != self.shown_photo:
            self._forget()
        self.display = child is not None
        self.refresh()

    def _forget(self) -> None:
        if self._picture is not None:
            self._picture.cleanup()  # Kitty graphics: frees the image the terminal holds
        self._picture, self._drawn_key = None, (None, 0, 0)

    def _drawn(self) -> HalfBlocks | TGPImage | None:
        """The shown photo at the frame's size now: a short terminal may give the frame
        fewer rows than :meth:`cells` (the picture is then made for them, once)."""
        if self.shown_photo is None:
            return None
        size = self.content_size
        cols, rows = (size.width, size.height) if size.width and size.height else self.cells()
        key = (self.shown_photo, cols, rows)
        if self._picture is None or self._drawn_key != key:
            self._forget()
            picture = PICTURES.get(self.shown_photo, cols, rows)
            if picture is not None:
                self._picture, self._drawn_key = _renderable(picture, cols, rows), key
        return self._picture

    def cells(self) -> tuple[int, int]:
        """The cells inside the frame, from the screen's height class (known before the
        widget is laid out: it is hidden between two children)."""
        tall = (
            self.is_mounted
            and self.screen.has_class("-tall")
            and not any(node.has_class(PHOTO_COMPACT) for node in self.ancestors_with_self)
        )
        return (TALL_COLS, TALL_ROWS) if tall else (PHOTO_COLS, PHOTO_ROWS)

    def render(self) -> RenderableType:
        drawn = self._drawn()
        if drawn is not None:
            return drawn
        if self.child is None:
            return Text("")
        letters = initials(self.child)
        if self.cells()[0] == TALL_COLS and big_width(letters) <= TALL_COLS:
            # The larger frame: the initials in block letters, read from a metre.
            return Text("\n".join(big_text(letters)), justify="center", style="bold")
        return Text(letters, justify="center", style="bold")


def _renderable(picture: Image.Image, cols: int, rows: int) -> HalfBlocks | TGPImage:
    if _KITTY:
        return TGPImage(picture, width=cols, height=rows)
    return HalfBlocks(picture, cols)


_TRUECOLOR = ColorType.TRUECOLOR


class HalfBlocks:
    """A picture already at its cell size in « ▀ » half blocks (upper pixel in the
    foreground, lower in the background), the way ``textual-image``'s half-cell renderable
    draws it, in a quarter of its time: colours are made from their RGB triplet directly
    and a run of equal cells is one segment (it is drawn at every scan)."""

    def __init__(self, picture: Image.Image, cols: int) -> None:
        self.picture = picture
        self.width = max(cols, picture.width)
        self._margin = Segment(" " * ((self.width - picture.width) // 2))

    def cleanup(self) -> None:
        """Nothing is held by the terminal."""

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width, height = self.picture.size
        data = self.picture.tobytes()
        row = width * 3
        for y in range(0, height, 2):
            top = y * row
            bottom = top + row if y + 1 < height else top
            yield self._margin  # centred in the frame
            run, previous = 0, b""
            for x in range(0, row, 3):
                pair = data[top + x : top + x + 3] + data[bottom + x : bottom + x + 3]
                if pair != previous and run:
                    yield _cell(previous, run)
                    run = 0
                run, previous = run + 1, pair
            if run:
                yield _cell(previous, run)
            yield Segment.line()


def _cell(pair: bytes, count: int) -> Segment:
    upper = Color("", _TRUECOLOR, None, ColorTriplet(pair[0], pair[1], pair[2]))
    lower = Color("", _TRUECOLOR, None, ColorTriplet(pair[3], pair[4], pair[5]))
    return Segment("▀" * count, Style.from_color(upper, lower))
