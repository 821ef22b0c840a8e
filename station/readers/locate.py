"""Where the bars of a 1D barcode are in a camera frame, and an upright crop of them; pure.

A child holds the card crooked: turned, tilted away (perspective), near or far. zxing-cpp
and ZBar read a Code 128 or Code 39 along image rows, so a sharp code turned 30° is missed
when no row crosses all of its bars. This module finds the bars without decoding them and
maps them upright, which undoes rotation and perspective in one warp:

1. Gradients are computed at half resolution (bars two pixels wide still show) and their
   products averaged over cells of 8×8 frame pixels: the structure tensor. Bars give
   strong gradients that all point one way (high *coherence*); paper, skin, trays and
   sensor noise do not.
2. The largest connected group of strong, coherent cells is taken as the bars.
3. The bars' direction is measured at each end of the group (under perspective the two
   ends lean differently); the quadrilateral they span, widened by a quiet zone on each
   side, is the region. A region crossed by too few clear edges is no code: smooth
   shading and sensor noise can look coherent too.
4. :func:`straighten` warps the region to a rectangle where bars are vertical and every
   row crosses all of them; :func:`deskewed` measures, on that crop's pixels, the lean
   the cells could not see and corrects the region for it.

QR codes have gradients in two directions, so they are not found here: the decoders
already read them at any rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

HALF = 2
"""Gradients are computed on the frame downscaled by this factor."""
CELL = 8
"""Side of a tensor cell, in frame pixels."""
MIN_COHERENCE = 0.5
"""0: gradients in every direction; 1: all along one line (bars)."""
MIN_ENERGY_SHARE = 0.25
"""A cell is strong when its gradient energy reaches this share of the frame's strongest."""
MIN_CELLS = 24
"""Fewer coherent cells than this (about 40×40 frame pixels) is no barcode."""
QUIET_ZONE = 0.15
"""Margin added at each end of the bars, as a share of their length: the quiet zone."""
MAX_LEAN = 0.85
"""Cosine limit: an end whose bars lean more than ~30° from square is measured wrong."""
EDGE_CONTRAST = 16
"""Grey levels a bar edge must step by, across the middle of the region, to count."""
MIN_EDGES = 24
"""Clear edges needed across the region: a card number has 60 or more, a shirt's fold or
a shadow a handful. Saves straightening and decoding what cannot be a code."""

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class BarRegion:
    """The bars found in a frame: the quadrilateral to straighten and its upright size."""

    corners: Floats
    """4×2 frame coordinates: top-left, top-right, bottom-right, bottom-left of the crop."""
    width: int
    height: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` around the quadrilateral, in frame pixels."""
        xs, ys = self.corners[:, 0], self.corners[:, 1]
        return int(xs.min()), int(ys.min()), int(np.ceil(xs.max())), int(np.ceil(ys.max()))


@dataclass(frozen=True)
class _Cells:
    """The coherent cells of the bars: their centres and structure tensor components."""

    centres: Floats
    jxx: Floats
    jyy: Floats
    jxy: Floats

    def orientation(self, keep: NDArray[np.bool_] | None = None) -> float:
        """Angle of the dominant gradient (across the bars), radians, of the kept cells."""
        jxx, jyy, jxy = (
            (self.jxx, self.jyy, self.jxy)
            if keep is None
            else (self.jxx[keep], self.jyy[keep], self.jxy[keep])
        )
        return 0.5 * float(np.arctan2(2 * jxy.sum(), jxx.sum() - jyy.sum()))


def find_bars(gray: Any) -> BarRegion | None:
    """The bars of the most prominent 1D barcode in ``gray`` (H×W uint8), or ``None``."""
    cells = _coherent_cells(gray)
    if cells is None:
        return None
    region = _region(cells)
    return region if edge_count(gray, region) >= MIN_EDGES else None


def edge_count(gray: Any, region: BarRegion) -> int:
    """Clear light/dark edges met along the middle of ``region``, the way a scanner's
    line would cross its bars (the median of five parallel lines, so a finger over one
    of them does not hide the bars)."""
    top_left, top_right, bottom_right, bottom_left = region.corners
    samples = np.linspace(0.0, 1.0, region.width)[:, None]
    height, width = gray.shape[:2]
    lines = []
    for offset in (0.3, 0.4, 0.5, 0.6, 0.7):
        start = top_left + offset * (bottom_left - top_left)
        end = top_right + offset * (bottom_right - top_right)
        points = (start + samples * (end - start)).round().astype(int)
        xs = points[:, 0].clip(0, width - 1)
        ys = points[:, 1].clip(0, height - 1)
        lines.append(gray[ys, xs].astype(np.float64))
    profile = np.median(np.array(lines), axis=0)
    detail = profile - np.convolve(profile, np.ones(15) / 15, mode="same")
    sides = np.sign(detail) * (np.abs(detail) > EDGE_CONTRAST)
    sides = sides[sides != 0]
    return int(np.count_nonzero(np.diff(sides)))


def straighten(gray: Any, region: BarRegion) -> Any:
    """The region's crop of ``gray``, warped so its bars are vertical and rows cross all."""
    import cv2

    w, h = region.width, region.height
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(region.corners.astype(np.float32), target)
    return cv2.warpPerspective(
        gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def deskewed(gray: Any, region: BarRegion, upright: Any) -> BarRegion:
    """``region`` corrected so that its bars, which still lean a little in ``upright``
    (its straightened crop: the lean is measured on cells of 8 pixels, the bars are two
    pixels wide), come out vertical: the lean left in each half of the crop is measured
    from its pixel gradients and undone, perspective included, in the same one warp."""
    import cv2

    w, h = region.width, region.height
    band = upright[h // 4 : h - h // 4].astype(np.float32)
    gx = cv2.Sobel(band, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(band, cv2.CV_32F, 0, 1, ksize=3)
    leans = []
    for half in (slice(0, w // 2), slice(w // 2, w)):
        x, y = gx[:, half], gy[:, half]
        across = 0.5 * np.arctan2(2 * float((x * y).sum()), float((x * x).sum() - (y * y).sum()))
        # Bars leaning by more than ~30° mean the region was not bars after all.
        leans.append(float(np.clip(-np.tan(across), -0.6, 0.6)) * h / 2)
    left, right = leans
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    to_upright = cv2.getPerspectiveTransform(region.corners.astype(np.float32), target)
    corners = np.array([[-left, 0], [w - right, 0], [w + right, h], [left, h]], dtype=np.float32)
    back = cv2.perspectiveTransform(corners[None], np.linalg.inv(to_upright))[0]
    return BarRegion(back.astype(np.float64), w, h)


def _coherent_cells(gray: Any) -> _Cells | None:
    """The largest connected group of strong, coherent tensor cells of ``gray``."""
    import cv2

    height, width = gray.shape[:2]
    small = cv2.resize(gray, (width // HALF, height // HALF), interpolation=cv2.INTER_AREA)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    grid = (width // CELL, height // CELL)
    jxx, jyy, jxy = (
        cv2.blur(cv2.resize(p, grid, interpolation=cv2.INTER_AREA), (3, 3))
        for p in (gx * gx, gy * gy, gx * gy)
    )
    energy = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (energy + 1e-3)
    strong = energy > MIN_ENERGY_SHARE * np.percentile(energy, 99)
    mask = ((coherence > MIN_COHERENCE) & strong).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < MIN_CELLS:
        return None
    keep = labels == largest
    rows, cols = np.nonzero(keep)
    centres = (np.stack([cols, rows], axis=1).astype(np.float64) + 0.5) * CELL
    return _Cells(
        centres,
        jxx[keep].astype(np.float64),
        jyy[keep].astype(np.float64),
        jxy[keep].astype(np.float64),
    )


def _region(cells: _Cells) -> BarRegion:
    """The quadrilateral spanned by the cells' bars, quiet zones included."""
    centre = cells.centres.mean(axis=0)
    offsets = cells.centres - centre
    across = _unit(cells.orientation())  # across the bars: the code's reading direction
    axis = _principal_axis(offsets)
    if abs(float(axis @ across)) < MAX_LEAN:
        axis = across  # a short code held near: its long side is along the bars
    if axis @ across < 0:
        axis = -axis
    normal = np.array([-axis[1], axis[0]])
    along = offsets @ axis
    side = offsets @ normal
    start, end = float(along.min()), float(along.max())
    length = end - start
    third = length / 3
    lean_left = _bar_direction(cells, along < start + third, normal)
    lean_right = _bar_direction(cells, along > end - third, normal)
    start -= QUIET_ZONE * length + CELL
    end += QUIET_ZONE * length + CELL
    middle = (float(side.min()) + float(side.max())) / 2
    half_height = (float(side.max()) - float(side.min())) / 2 + CELL
    left = centre + start * axis + middle * normal
    right = centre + end * axis + middle * normal
    corners = np.array(
        [
            left - half_height * lean_left,
            right - half_height * lean_right,
            right + half_height * lean_right,
            left + half_height * lean_left,
        ]
    )
    return BarRegion(corners, max(1, round(end - start)), max(1, round(2 * half_height)))


def _bar_direction(cells: _Cells, keep: NDArray[np.bool_], normal: Floats) -> Floats:
    """The direction of the bars among the kept cells, pointing like ``normal``."""
    if keep.sum() < 3:
        return normal
    across = _unit(cells.orientation(keep))
    bars = np.array([-across[1], across[0]])
    if bars @ normal < 0:
        bars = -bars
    return bars if bars @ normal >= MAX_LEAN else normal


def _principal_axis(offsets: Floats) -> Floats:
    """The unit direction along which the points spread most."""
    _, vectors = np.linalg.eigh(offsets.T @ offsets)
    axis: Floats = vectors[:, 1]
    return axis


def _unit(angle: float) -> Floats:
    return np.array([np.cos(angle), np.sin(angle)])
