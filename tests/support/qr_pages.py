"""The QR code of a page read back as a camera would: the inline SVG segno drew (one path
of horizontal runs) painted into a PNG, decoded by the station's camera decoder."""

from __future__ import annotations

import io
import re

import cv2
import numpy as np
from PIL import Image, ImageDraw

from station.readers.decode import decode

_SVG = re.compile(r'<svg[^>]*class="qr"[^>]*>.*?</svg>', re.DOTALL)
_WIDTH = re.compile(r'<svg[^>]*\swidth="(\d+)"')
_SCALE = re.compile(r'transform="scale\((\d+)\)"')
_RUNS = re.compile(r'<path[^>]*class="qrline"[^>]*\sd="([^"]+)"')
_STEP = re.compile(r"([Mmh])([-0-9. ]+)")
#: Pixels per QR module in the painted image.
MODULE_PX = 6


def page_svg(page: str) -> str:
    """The QR code's ``<svg>`` element in ``page`` (an assertion error when absent)."""
    found = _SVG.search(page)
    assert found, "no QR code on the page"
    return found.group(0)


def svg_png(svg: str) -> bytes:
    """A PNG of the QR code in ``svg``: each run ``M x y h n`` of segno's path is a row
    of ``n`` dark modules from ``(x, y - 0.5)``."""
    width, scale = _WIDTH.search(svg), _SCALE.search(svg)
    runs = _RUNS.search(svg)
    assert width and scale and runs, "not a segno QR code"
    side = int(width.group(1)) // int(scale.group(1))
    image = Image.new("L", (side * MODULE_PX, side * MODULE_PX), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, numbers in _STEP.findall(runs.group(1)):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            row = int(y)
            left, right = x * MODULE_PX, (x + values[0]) * MODULE_PX - 1
            draw.rectangle((left, row * MODULE_PX, right, (row + 1) * MODULE_PX - 1), fill=0)
            x += values[0]
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def decode_png(png: bytes) -> list[str]:
    """What the camera decoder reads in the PNG image ``png`` (grayscale, as the camera)."""
    frame = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    return decode(frame)


def page_qr_text(page: str) -> str:
    """The one text the page's QR code holds, read from its picture."""
    [text] = decode_png(svg_png(page_svg(page)))
    return text
