"""Printable card sheets: CR80 cards, 10 per A4 page, Code 128 barcodes; no UI.

Shared by ``station cards print`` (from the station's cache) and the intendance's cards
page on the portal (from the portal's database), so both print the same card.

python-barcode computes the Code 128 symbol (its module pattern) and reportlab draws it
as vector bars at exact size, so the print is sharp at any printer resolution. Cards sit
edge to edge in a 2 × 5 grid with crop marks in the margins on every cut line.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

CARD_WIDTH = 85.6 * mm
CARD_HEIGHT = 54.0 * mm
COLUMNS, ROWS = 2, 5
CARDS_PER_PAGE = COLUMNS * ROWS
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = (PAGE_WIDTH - COLUMNS * CARD_WIDTH) / 2
MARGIN_Y = (PAGE_HEIGHT - ROWS * CARD_HEIGHT) / 2
MODULE = 0.30 * mm  # narrowest bar; 0.25 mm and up scans reliably on laser prints
BAR_HEIGHT = 14 * mm
CROP_MARK = 5 * mm


@dataclass(frozen=True)
class CardFace:
    """What one printed card shows."""

    school_name: str
    child_name: str
    class_name: str
    code: str


def barcode_modules(code: str) -> str:
    """The Code 128 module pattern of ``code`` (``"1"`` bar, ``"0"`` space), quiet zones aside."""
    import barcode

    symbol = barcode.get_barcode_class("code128")(code)
    pattern: str = symbol.build()[0]
    return pattern


def card_origin(index: int) -> tuple[float, float]:
    """Bottom-left corner (points) of the card at ``index`` (0-9) on its page."""
    col, row = index % COLUMNS, index // COLUMNS
    return MARGIN_X + col * CARD_WIDTH, PAGE_HEIGHT - MARGIN_Y - (row + 1) * CARD_HEIGHT


def _crop_marks(canvas: Canvas) -> None:
    canvas.setLineWidth(0.3)
    gap = 1.5 * mm
    for col in range(COLUMNS + 1):
        x = MARGIN_X + col * CARD_WIDTH
        top, bottom = PAGE_HEIGHT - MARGIN_Y, MARGIN_Y
        canvas.line(x, top + gap, x, top + gap + CROP_MARK)
        canvas.line(x, bottom - gap, x, bottom - gap - CROP_MARK)
    for row in range(ROWS + 1):
        y = MARGIN_Y + row * CARD_HEIGHT
        left, right = MARGIN_X, PAGE_WIDTH - MARGIN_X
        canvas.line(left - gap, y, left - gap - CROP_MARK, y)
        canvas.line(right + gap, y, right + gap + CROP_MARK, y)


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits in ``width``."""
    while size > 5 and canvas.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_card(canvas: Canvas, face: CardFace, x: float, y: float) -> None:
    """Draw one card with its bottom-left corner at (x, y)."""
    pad = 4 * mm
    inner = CARD_WIDTH - 2 * pad
    center = x + CARD_WIDTH / 2
    canvas.setFillGray(0)
    size = _fit(canvas, face.school_name, "Helvetica-Bold", 9, inner)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawCentredString(center, y + CARD_HEIGHT - pad - 7, face.school_name)
    size = _fit(canvas, face.child_name, "Helvetica-Bold", 12, inner)
    canvas.setFont("Helvetica-Bold", size)
    canvas.drawCentredString(center, y + CARD_HEIGHT - pad - 20, face.child_name)
    canvas.setFont("Helvetica", 9)
    canvas.drawCentredString(center, y + CARD_HEIGHT - pad - 31, f"Classe {face.class_name}")
    modules = barcode_modules(face.code)
    module = min(MODULE, inner / (len(modules) + 20))
    left = center - len(modules) * module / 2
    bars_bottom = y + pad + 11
    for i, bit in enumerate(modules):
        if bit == "1":
            canvas.rect(left + i * module, bars_bottom, module, BAR_HEIGHT, stroke=0, fill=1)
    canvas.setFont("Helvetica", 10)
    canvas.drawCentredString(center, y + pad + 2, face.code)


def write_sheets(faces: Sequence[CardFace], out: Path) -> int:
    """Write ``faces`` as A4 sheets to ``out`` (mode 0600: names and card numbers);
    returns the number of pages."""
    # Created (or narrowed) private before reportlab opens it, which keeps the mode.
    fd = os.open(out, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return _draw_sheets(faces, Canvas(str(out), pagesize=A4))


def sheets_pdf(faces: Sequence[CardFace]) -> bytes:
    """``faces`` as A4 sheets, the PDF in memory (a web page serves it, nothing on disk)."""
    buffer = io.BytesIO()
    _draw_sheets(faces, Canvas(buffer, pagesize=A4))
    return buffer.getvalue()


def _draw_sheets(faces: Sequence[CardFace], canvas: Canvas) -> int:
    """Draw ``faces`` on ``canvas``, 10 per page, and save it; returns the page count."""
    canvas.setTitle("Cartes de cantine")
    pages = 0
    for start in range(0, len(faces), CARDS_PER_PAGE):
        _crop_marks(canvas)
        for index, face in enumerate(faces[start : start + CARDS_PER_PAGE]):
            draw_card(canvas, face, *card_origin(index))
        canvas.showPage()
        pages += 1
    canvas.save()
    return pages
