"""Children's photos as the photo sync leaves them: a 256 × 256 JPEG named by its hash."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
BACKGROUND: RGB = (30, 90, 200)
FACE: RGB = (240, 200, 160)


def write_photo(folder: Path, background: RGB, face: RGB) -> Path:
    """A face-like disc of ``face`` on ``background``, written into ``folder``."""
    image = Image.new("RGB", (256, 256), background)
    ImageDraw.Draw(image).ellipse((64, 40, 192, 216), fill=face)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    data = out.getvalue()
    path = folder / f"{hashlib.sha256(data).hexdigest()}.jpg"
    path.write_bytes(data)
    return path


def close_to(colour: RGB | None, expected: RGB, tolerance: int = 24) -> bool:
    """Whether ``colour`` is ``expected`` give or take JPEG, scaling and a 256-colour
    palette (``None``, no pixel at all, never is)."""
    return colour is not None and all(
        abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True)
    )
