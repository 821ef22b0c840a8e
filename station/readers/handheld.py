"""Synthetic camera frames of a card held by a child; works without a UI.

:mod:`station.readers.synthetic` perturbs a card up to level 3 (30°, dim, blurred). This
adds level 4, what a child in a hurry does on top of that, for ``bench/decode.py`` and the
camera tests:

====== ======================================================================
level  what a camera at the serving line may do to the card
====== ======================================================================
4      rotated up to 45°, perspective, a finger over part of the code (never a
       whole quiet zone nor the whole height of the bars), motion blur, dim and noisy
====== ======================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from station.readers.synthetic import FRAME_SIZE

LEVEL = 4
MAX_ROTATION = 45.0
SCALES = (0.6, 1.0)
PERSPECTIVE = 0.06
"""Corner jitter, as a share of the card's size."""
FINGER_WIDTH = (0.08, 0.14)
"""Width of the finger, as a share of the symbol's width."""
FINGER_DEPTH = (0.2, 0.45)
"""How far the finger reaches over the symbol from its top or bottom edge (share of height)."""
MOTION = (2.0, 6.0)
"""Length of the motion blur streak, frame pixels."""
NOISE = 10.0
BRIGHTNESS = 0.6
CONTRAST = 0.65


def handheld_frame(symbol: Any, rng: np.random.Generator) -> Any:
    """A 640×480 grayscale frame of ``symbol`` held at level 4 (see the module doc)."""
    import cv2

    width, height = FRAME_SIZE
    background = rng.normal(150, 25, (height // 8, width // 8)).clip(0, 255).astype(np.uint8)
    frame = cv2.resize(background, (width, height), interpolation=cv2.INTER_CUBIC)
    card = with_finger(symbol, rng)
    matrix = _placement(card.shape, rng)
    warped = cv2.warpPerspective(card, matrix, (width, height), borderValue=0)
    mask = cv2.warpPerspective(np.full_like(card, 255), matrix, (width, height), borderValue=0)
    composed: Any = np.where(mask > 127, warped, frame).astype(np.float32)
    composed = cv2.filter2D(composed, -1, motion_kernel(rng))
    composed = (composed - 128) * CONTRAST + 128
    composed = composed * BRIGHTNESS + rng.normal(0, NOISE, composed.shape)
    return composed.clip(0, 255).astype(np.uint8)


def with_finger(symbol: Any, rng: np.random.Generator) -> Any:
    """A copy of ``symbol`` with a fingertip coming from its top or bottom edge.

    The finger is narrower than a quiet zone is wide and reaches less than half way: a
    code entirely hidden is no test of the reader.
    """
    import cv2

    h, w = symbol.shape
    out = symbol.copy()
    half_width = max(2, round(rng.uniform(*FINGER_WIDTH) * w / 2))
    depth = max(2, round(rng.uniform(*FINGER_DEPTH) * h))
    x = round(rng.uniform(0.1, 0.9) * w)
    from_top = bool(rng.integers(2))
    tip = depth if from_top else h - depth
    edge = -h if from_top else 2 * h  # the finger continues beyond the card
    skin = int(rng.uniform(90, 170))
    cv2.ellipse(out, (x, tip), (half_width, half_width), 0, 0, 360, skin, -1)
    cv2.rectangle(out, (x - half_width, min(tip, edge)), (x + half_width, max(tip, edge)), skin, -1)
    return out


def motion_kernel(rng: np.random.Generator) -> Any:
    """A normalised line kernel: the card moving during the exposure, in any direction."""
    import cv2

    length = rng.uniform(*MOTION)
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    angle = rng.uniform(0, np.pi)
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    cv2.line(
        kernel,
        (round(c - dx), round(c - dy)),
        (round(c + dx), round(c + dy)),
        1.0,
        1,
        cv2.LINE_AA,
    )
    return kernel / kernel.sum()


def _placement(shape: tuple[int, int], rng: np.random.Generator) -> Any:
    """The perspective matrix putting a card of ``shape`` turned and tilted in the frame."""
    import cv2

    width, height = FRAME_SIZE
    h, w = shape
    fit = min(0.85 * width / w, 0.7 * height / h, 3.0) * rng.uniform(*SCALES)
    sw, sh = w * fit, h * fit
    centre = np.array([width, height]) * (0.5 + rng.uniform(-0.1, 0.1, 2))
    corners = np.array([[-sw, -sh], [sw, -sh], [sw, sh], [-sw, sh]]) / 2
    corners += rng.uniform(-PERSPECTIVE, PERSPECTIVE, corners.shape) * np.array([sw, sh])
    angle = np.deg2rad(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = _inside_frame(corners @ rotation.T + centre)
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.getPerspectiveTransform(source, target.astype(np.float32))


def _inside_frame(corners: Any) -> Any:
    """``corners`` shrunk and moved as little as needed for the card to stay in view."""
    size = np.array(FRAME_SIZE, dtype=np.float64)
    low, high = corners.min(axis=0), corners.max(axis=0)
    shrink = min(1.0, *(0.95 * size / (high - low)))
    centre = (low + high) / 2
    corners = centre + (corners - centre) * shrink
    low, high = corners.min(axis=0), corners.max(axis=0)
    shift = np.maximum(0, size * 0.025 - low) - np.maximum(0, high - size * 0.975)
    return corners + shift
