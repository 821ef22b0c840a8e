"""Barcode decoding of camera frames; pure functions, works without a UI.

``decode(frame, decoder) -> list[str]`` takes a grayscale (or BGR) numpy image and
returns the texts of the Code 128, Code 39 and QR symbols found (``decode_symbols`` also
says where each one is, so the camera can look there first next frame), restricted to those
symbologies on purpose: fewer symbologies mean fewer chances of a false read (a wrong card
number is worse than none) and a faster scan.

Two decoders, both tried by ``bench/decode.py`` on the same frames:

- ``"zxing"`` — zxing-cpp, a native library shipped inside its wheel (nothing to install
  on the machine). The default: see ``station/readers/README.md`` for the figures.
- ``"pyzbar"`` — ZBar through ctypes; needs the system library (``apt install libzbar0``).

:class:`ConfirmationFilter` is the pure "read identically on N frames within a short
window" rule the camera reader applies before accepting a code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from station.core.errors import ReaderError

DECODERS = ("zxing", "pyzbar")
DEFAULT_DECODER = "zxing"

DEFAULT_CONFIRM_WINDOW = 0.5
"""Seconds within which a code must be read again to be accepted (15 frames at 30 fps)."""


@dataclass(frozen=True)
class Symbol:
    """A symbol found in a frame: its text and its bounding box in pixels."""

    text: str
    box: tuple[int, int, int, int]
    """``(left, top, right, bottom)``."""


Decoder = Callable[[Any, bool], list[Symbol]]
"""``run(frame, upright)``: see :func:`decode_symbols`."""

LIBZBAR_MISSING = (
    "le décodeur pyzbar ne trouve pas la bibliothèque ZBar : installez-la avec "
    '« sudo apt install libzbar0 » (ou choisissez decoder = "zxing" dans [[readers]])'
)


@cache
def _pyzbar() -> Decoder:
    try:
        from pyzbar import pyzbar
    except ImportError as e:  # pyzbar raises ImportError when libzbar.so is absent
        raise ReaderError(LIBZBAR_MISSING) from e
    symbols = [pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.CODE39, pyzbar.ZBarSymbol.QRCODE]

    def run(frame: Any, upright: bool) -> list[Symbol]:
        # ZBar scans both directions at once: nothing to skip when the frame is upright.
        return [
            Symbol(
                d.data.decode("utf-8", errors="replace"),
                (d.rect.left, d.rect.top, d.rect.left + d.rect.width, d.rect.top + d.rect.height),
            )
            for d in pyzbar.decode(frame, symbols=symbols)
        ]

    return run


@cache
def _zxing() -> Decoder:
    try:
        import zxingcpp
    except ImportError as e:
        raise ReaderError(
            "le décodeur zxing est absent : installez le paquet Python « zxing-cpp » "
            '(pip install zxing-cpp) ou choisissez decoder = "pyzbar"'
        ) from e
    fmt = zxingcpp.BarcodeFormat
    formats = zxingcpp.BarcodeFormats((fmt.Code128, fmt.Code39, fmt.QRCode))

    def run(frame: Any, upright: bool) -> list[Symbol]:
        found = zxingcpp.read_barcodes(
            frame, formats=formats, try_rotate=not upright, try_invert=not upright
        )
        return [Symbol(r.text, _corners_box(r.position)) for r in found if r.valid]

    return run


def _corners_box(position: Any) -> tuple[int, int, int, int]:
    """The bounding box of a zxing-cpp ``Position`` (four corners, any rotation)."""
    corners = (
        position.top_left,
        position.top_right,
        position.bottom_right,
        position.bottom_left,
    )
    xs = [p.x for p in corners]
    ys = [p.y for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


def get_decoder(name: str) -> Decoder:
    """The decode function for ``name``; a French ReaderError when it cannot be used."""
    if name == "zxing":
        return _zxing()
    if name == "pyzbar":
        return _pyzbar()
    raise ReaderError(f"décodeur inconnu « {name} » (valeurs possibles : {', '.join(DECODERS)})")


def decode(frame: Any, decoder: str = DEFAULT_DECODER) -> list[str]:
    """Texts of the Code 128 / Code 39 / QR symbols in ``frame``, in the decoder's order.

    ``frame`` is a numpy array, grayscale (H×W, uint8) preferred; BGR is accepted.
    Duplicates (the same symbol found twice) are removed.
    """
    return list(dict.fromkeys(symbol.text for symbol in decode_symbols(frame, decoder)))


def decode_symbols(
    frame: Any, decoder: str = DEFAULT_DECODER, *, upright: bool = False
) -> list[Symbol]:
    """The symbols in ``frame`` with where they are, in the decoder's order.

    ``upright=True`` skips zxing-cpp's second pass over the frame turned 90° and its pass
    for light-on-dark codes (about half its time): for a caller that straightens 1D codes
    itself, whatever their angle, and reads cards printed dark on light.
    """
    return get_decoder(decoder)(frame, upright)


class ConfirmationFilter:
    """Accept a code once it was read on ``frames`` frames within ``window`` seconds. Pure.

    Frames where nothing is read in between do not break the count: a card held crooked
    is often missed on one frame out of two, and the window alone bounds how far apart
    the reads may be. A frame that reads *other* codes does: a misread (a digit wrong on
    one frame) is never accepted unless the same wrong text comes back before anything
    else, so a single misread, or two different reads, never reach the engine.

    A code is accepted once per streak: held in view it is not accepted again until a
    frame without it. After such a gap it needs ``frames`` fresh reads again; the
    reader's debouncer then recognises the same card still being shown.
    """

    def __init__(self, frames: int = 2, window: float = DEFAULT_CONFIRM_WINDOW) -> None:
        if frames < 1:
            raise ValueError("frames must be >= 1")
        if window < 0:
            raise ValueError("window must be >= 0")
        self.frames = frames
        self.window = window
        self._reads: dict[str, list[float]] = {}
        self._in_view: set[str] = set()

    def feed(self, codes: Iterable[str], at: float) -> list[str]:
        """Account for the codes read on the frame taken at ``at`` (seconds, any epoch);
        return those accepted by it."""
        present = list(dict.fromkeys(codes))
        if present:
            self._reads = {code: t for code, t in self._reads.items() if code in present}
        self._in_view &= set(present)
        accepted = []
        for code in present:
            if code in self._in_view:
                continue
            times = [t for t in self._reads.get(code, []) if 0 <= at - t <= self.window]
            times.append(at)
            if len(times) >= self.frames:
                accepted.append(code)
                self._in_view.add(code)
                self._reads.pop(code, None)
            else:
                self._reads[code] = times
        return accepted
