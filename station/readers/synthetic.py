"""Synthetic camera frames of card barcodes; works without a UI.

Used by the decoder tests, ``bench/decode.py`` and as a decoder self-check: a card
symbol rendered by python-barcode (Code 128, Code 39) or zxing-cpp (QR), pasted on a noisy
640×480 background with a perturbation *level*:

====== ======================================================================
level  what a camera at the serving line may do to the card
====== ======================================================================
0      card flat and square in front of the camera
1      rotated up to 10°, scaled 0.8–1, light blur and noise
2      rotated up to 20°, mild perspective, blur, noise, darker
3      rotated up to 30°, stronger perspective, blur, noise, dark and low contrast
====== ======================================================================
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

SYMBOLOGIES = ("code128", "code39", "qr")
LEVELS = (0, 1, 2, 3)
FRAME_SIZE = (640, 480)

# level -> (max rotation °, scale range, blur sigma range, noise σ, brightness, contrast,
#           perspective jitter as a fraction of the symbol size)
_LEVELS: dict[
    int, tuple[float, tuple[float, float], tuple[float, float], float, float, float, float]
] = {
    0: (0.0, (1.0, 1.0), (0.0, 0.0), 2.0, 1.0, 1.0, 0.0),
    1: (10.0, (0.8, 1.0), (0.0, 0.8), 4.0, 0.95, 0.9, 0.0),
    2: (20.0, (0.7, 1.0), (0.4, 1.0), 7.0, 0.8, 0.8, 0.03),
    3: (30.0, (0.6, 1.0), (0.6, 1.4), 10.0, 0.6, 0.65, 0.06),
}


def card_symbol(text: str, symbology: str = "code128", module_px: int = 2) -> Any:
    """A grayscale uint8 image of ``text`` as a barcode with its quiet zone."""
    if symbology == "qr":
        import zxingcpp

        code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
        return np.array(zxingcpp.write_barcode_to_image(code, scale=module_px * 2), dtype=np.uint8)
    import barcode
    from barcode.writer import ImageWriter
    from PIL import Image

    options: dict[str, Any] = {}
    if symbology == "code39":
        options["add_checksum"] = False
    symbol = barcode.get_barcode_class(symbology)(text, writer=ImageWriter(), **options)
    buffer = io.BytesIO()
    # 100 dpi: 1 module = 0.254 mm → module_px pixels at dpi = 25.4 * module_px / 0.254.
    symbol.write(
        buffer,
        {
            "module_width": 0.254,
            "module_height": 12.0,
            "quiet_zone": 6.0,
            "write_text": False,
            "dpi": round(100 * module_px),
        },
    )
    buffer.seek(0)
    return np.array(Image.open(buffer).convert("L"), dtype=np.uint8)


def perturbed_frame(symbol: Any, level: int, rng: np.random.Generator) -> Any:
    """A 640×480 grayscale frame holding ``symbol`` perturbed at ``level`` (see module doc)."""
    import cv2

    rotation, scales, blurs, noise, brightness, contrast, jitter = _LEVELS[level]
    width, height = FRAME_SIZE
    background = rng.normal(150, 25, (height // 8, width // 8)).clip(0, 255).astype(np.uint8)
    frame = cv2.resize(background, (width, height), interpolation=cv2.INTER_CUBIC)
    # Card: symbol on white paper, scaled to about 85 % of the frame width.
    h, w = symbol.shape
    fit = min(0.85 * width / w, 0.7 * height / h, 3.0)
    scale = fit * rng.uniform(*scales)
    sw, sh = max(1, int(w * scale)), max(1, int(h * scale))
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    cx = width / 2 + rng.uniform(-0.1, 0.1) * width
    cy = height / 2 + rng.uniform(-0.1, 0.1) * height
    angle = np.deg2rad(rng.uniform(-rotation, rotation))
    corners = np.array(
        [[-sw / 2, -sh / 2], [sw / 2, -sh / 2], [sw / 2, sh / 2], [-sw / 2, sh / 2]],
        dtype=np.float32,
    )
    corners += rng.uniform(-jitter, jitter, corners.shape) * np.array([sw, sh])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = corners @ rot.T + np.array([cx, cy])
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(symbol, matrix, (width, height), borderValue=0)
    mask = cv2.warpPerspective(np.full_like(symbol, 255), matrix, (width, height), borderValue=0)
    frame = np.where(mask > 127, warped, frame).astype(np.float32)
    sigma = rng.uniform(*blurs)
    if sigma > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), sigma)
    frame = (frame - 128) * contrast + 128
    frame = frame * brightness + rng.normal(0, noise, frame.shape)
    return frame.clip(0, 255).astype(np.uint8)


def card_number(index: int, school: str = "1849") -> str:
    """A plausible card code for corpus item ``index``."""
    return f"{school}-{(index * 7919) % 100000:05d}"
