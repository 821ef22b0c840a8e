"""Card frames for ``bench/decode.py`` from two barcode generators, and a 30 fps stream.

Two renderers, so the camera pipeline is not tuned to the pixels of one:

- ``python-barcode``: the project's own card rendering (``station.readers.synthetic``,
  the library ``station cards print`` draws with; QR by zxing-cpp);
- ``reportlab``: ReportLab's barcode module (an independent implementation, already a
  dependency for the card sheets), drawn to PDF and rasterised by PDFium. Its Code 39
  carries the mod 43 check character, as a card printed by another tool may.

Frames: levels 2 and 3 of :func:`station.readers.synthetic.perturbed_frame`, level 4 of
:func:`station.readers.handheld.handheld_frame`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from station.core.cards import code39_check_character
from station.readers.synthetic import FRAME_SIZE, SYMBOLOGIES, card_number, card_symbol

RENDERERS = ("python-barcode", "reportlab")
MODULE_PX = 2
"""Pixels per module before perturbation, for both renderers (as the synthetic cards)."""
QUIET_MODULES = 20


@dataclass(frozen=True)
class Card:
    """A card of a corpus: what the symbol holds, and its rendered image."""

    text: str
    """The exact text a right read returns (a Code 39 check character included)."""
    symbol: Any


def cards(renderer: str, count: int, first: int) -> list[Card]:
    """``count`` cards of each symbology rendered by ``renderer``, numbers from ``first``."""
    render = card_symbol if renderer == "python-barcode" else reportlab_symbol
    out = []
    for symbology in SYMBOLOGIES:
        for i in range(count):
            code = card_number(first + i)
            text = symbol_text(code, symbology, renderer)
            out.append(Card(text, render(code, symbology)))
    return out


def symbol_text(code: str, symbology: str, renderer: str) -> str:
    """What ``renderer`` encodes for ``code``: ReportLab's Code 39 adds its check char."""
    if renderer == "reportlab" and symbology == "code39":
        return code + (code39_check_character(code) or "")
    return code


def reportlab_symbol(code: str, symbology: str) -> Any:
    """A grayscale uint8 image of ``code`` drawn by ReportLab's barcode module."""
    import cv2
    import pypdfium2
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode import createBarcodeDrawing
    from reportlab.lib.units import mm

    if symbology == "qr":
        drawing = createBarcodeDrawing("QR", value=code, barWidth=72, barHeight=72)
    else:
        drawing = createBarcodeDrawing(
            "Code128" if symbology == "code128" else "Standard39",
            value=code,
            barWidth=1.0,  # points: rendered at MODULE_PX pixels per point below
            barHeight=12 * mm,
            humanReadable=False,
            quiet=0,
            **({"checksum": 1} if symbology == "code39" else {}),
        )
    page = pypdfium2.PdfDocument(renderPDF.drawToString(drawing))[0]
    # PDFium snaps thin bars to whole pixels (a 2-pixel bar comes out 3 wide): render
    # large, then average down, as a camera's sensor would.
    large = np.array(page.render(scale=8 * MODULE_PX, grayscale=True).to_pil().convert("L"))
    height, width = large.shape
    image = cv2.resize(large, (width // 8, height // 8), interpolation=cv2.INTER_AREA)
    quiet = QUIET_MODULES * MODULE_PX
    return np.pad(image, quiet, constant_values=255)


def empty_frame(rng: np.random.Generator, brightness: float, noise: float) -> Any:
    """The background of a synthetic frame with no card in view."""
    import cv2

    width, height = FRAME_SIZE
    background = rng.normal(150, 25, (height // 8, width // 8)).clip(0, 255).astype(np.uint8)
    frame = cv2.resize(background, (width, height), interpolation=cv2.INTER_CUBIC)
    frame = frame * brightness + rng.normal(0, noise, frame.shape)
    return frame.clip(0, 255).astype(np.uint8)


def held(frame: Any, frames: int, rng: np.random.Generator) -> Iterator[Any]:
    """``frames`` successive camera frames of a card held about still: the same view
    shifted by a pixel or two (a hand is never quite still) with fresh sensor noise."""
    for _ in range(frames):
        dx, dy = rng.integers(-2, 3, 2)
        moved = np.roll(frame, (int(dy), int(dx)), axis=(0, 1)).astype(np.float32)
        yield (moved + rng.normal(0, 3, moved.shape)).clip(0, 255).astype(np.uint8)
