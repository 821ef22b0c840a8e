"""Barcode decoding of camera frames; pure functions, works without a UI.

``decode(frame, decoder) -> list[str]`` takes a grayscale (or BGR) numpy image and
returns the texts of the Code 128, Code 39 and QR symbols found, restricted to those
symbologies on purpose: fewer symbologies mean fewer chances of a false read (a wrong card
number is worse than none) and a faster scan.

Two decoders, both tried by ``bench/decode.py`` on the same frames:

- ``"zxing"`` — zxing-cpp, a native library shipped inside its wheel (nothing to install
  on the machine). The default: see ``station/readers/README.md`` for the figures.
- ``"pyzbar"`` — ZBar through ctypes; needs the system library (``apt install libzbar0``).

:class:`ConfirmationFilter` is the pure "seen in N consecutive frames" rule the camera
reader applies before accepting a code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from station.core.errors import ReaderError

DECODERS = ("zxing", "pyzbar")
DEFAULT_DECODER = "zxing"

Decoder = Callable[[Any], list[str]]

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

    def run(frame: Any) -> list[str]:
        found = pyzbar.decode(frame, symbols=symbols)
        return [d.data.decode("utf-8", errors="replace") for d in found]

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

    def run(frame: Any) -> list[str]:
        return [r.text for r in zxingcpp.read_barcodes(frame, formats=formats) if r.valid]

    return run


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
    seen: dict[str, None] = {}
    for text in get_decoder(decoder)(frame):
        seen.setdefault(text)
    return list(seen)


class ConfirmationFilter:
    """Accept a code once it was read in ``frames`` consecutive frames. Pure.

    A code is accepted once per streak: held in view it is not accepted again until it
    left at least one frame. Single-frame misreads never reach the engine.
    """

    def __init__(self, frames: int = 2) -> None:
        if frames < 1:
            raise ValueError("frames must be >= 1")
        self.frames = frames
        self._streaks: dict[str, int] = {}

    def feed(self, codes: Iterable[str]) -> list[str]:
        """Account for the codes read in one frame; return those confirmed by it."""
        present = list(dict.fromkeys(codes))
        streaks = {code: self._streaks.get(code, 0) + 1 for code in present}
        self._streaks = streaks
        return [code for code in present if streaks[code] == self.frames]
