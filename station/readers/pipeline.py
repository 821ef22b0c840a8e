"""What the camera reader does with each frame to read a card held crooked; pure.

The raw decoders read a card held flat and still. A child holds it turned, tilted, in the
shade, moving, a finger over it. :class:`FramePipeline` tries, in order, stopping at the
first attempt that reads something:

1. where the card was read last, the way it was read (a card held in view stays about
   there): a small crop, so a card held still costs a fraction of a full-frame decode;
2. the frame as it is;
3. the bars found by :func:`station.readers.locate.find_bars`, straightened (rotation
   and perspective undone, at any angle, then the lean left measured on the crop's
   pixels and undone too), as they are and then enhanced (see :data:`ENHANCEMENTS`:
   scan lines first, a fraction of a millisecond each, then 2D filters). A frame with
   nothing like bars stops before: an empty scene costs one decode and one cheap survey.

Bars found again where they could not be read on the last frame (a card held still but
too dark or blurred) get the cheap steps and one costly attempt per frame, in turn.

No attempt starts once the frame's time ``budget`` is spent: at 30 frames per second a
frame that cannot be read must not delay the next ones. Works with both decoders.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from station.readers.decode import DEFAULT_DECODER, Symbol, decode_symbols
from station.readers.locate import BarRegion, deskewed, find_bars, straighten

DEFAULT_BUDGET = 0.03
"""Seconds of decoding per frame at most (a 30 fps camera gives one every 33 ms)."""
TRACK_MARGIN = 0.25
"""The crop around the last read grows by this share of its size on each side."""
NEAR = 16
MIN_SPAN = 0.4
"""A code read by zxing-cpp on straightened bars spans at least this share of the crop
(the bars are about two thirds of it, quiet zones aside): a shorter read is a few bars
of it taken for a whole code."""
"""Pixels: two reads closer than this come from the same code."""

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Sharpened:
    """Bars smoothed along their length (against noise), sharpened across (against blur),
    then thresholded at mid-grey: a blurred, noisy, dim code as black and white bars.

    Only for a straightened crop, where bars are vertical. How much to smooth depends on
    how parallel the bars are (perspective), how much to sharpen on the blur: a few
    settings are tried, each rescuing frames the others miss.
    """

    smoothing: float
    """Gaussian sigma along the bars, pixels."""
    amount: float
    """Unsharp-mask gain across the bars."""
    stretch: int = 1
    """Widen the crop this many times first: narrow bars barely two pixels wide (a Code 39
    printed with a low wide/narrow ratio) survive the threshold better."""

    def __call__(self, crop: Any) -> Any:
        import cv2

        f = crop.astype(np.float32)
        if self.stretch > 1:
            f = cv2.resize(f, None, fx=self.stretch, fy=1, interpolation=cv2.INTER_CUBIC)
        f = cv2.GaussianBlur(f, (1, int(6 * self.smoothing) | 1), 1, sigmaY=self.smoothing)
        blur = 1.2 * self.stretch
        f += self.amount * (f - cv2.GaussianBlur(f, (0, 0), sigmaX=blur, sigmaY=0.1))
        dark, light = np.percentile(f, (5, 95))
        return np.where(f > (dark + light) / 2, 255, 0).astype(np.uint8)


@dataclass(frozen=True)
class ScanLine:
    """What a laser scanner sees: the rows across the middle of the bars averaged into
    one line (sensor noise in low light averages out, a speck or a scratch too), widened
    ``scale`` times, sharpened across (against blur), thresholded at mid-grey and repeated
    as a few identical rows for the decoder. Only for a straightened crop whose bars are
    vertical (:func:`station.readers.locate.deskewed`); costs a fraction of a 2D step.
    """

    amount: float
    """Unsharp-mask gain along the line."""
    scale: int = 4
    rows: int = 16

    def __call__(self, crop: Any) -> Any:
        import cv2

        height, width = crop.shape[:2]
        middle = crop[height // 3 : height - height // 3].astype(np.float32)
        line = middle.mean(axis=0, keepdims=True)
        line = cv2.resize(line, (width * self.scale, 1), interpolation=cv2.INTER_CUBIC)
        smooth = cv2.GaussianBlur(line, (0, 0), sigmaX=1.2 * self.scale, sigmaY=0.1)
        line += self.amount * (line - smooth)
        dark, light = np.percentile(line, (5, 95))
        bars = np.where(line > (dark + light) / 2, 255, 0).astype(np.uint8)
        return np.repeat(bars, self.rows, axis=0)


ENHANCEMENTS: tuple[Callable[[Any], Any], ...] = (
    ScanLine(2.0),
    Sharpened(2.0, 1.0),
    Sharpened(2.0, 2.0),
    Sharpened(4.0, 2.0),
)
"""What is tried on the straightened bars after they failed as they are, in order: the
cheap scan lines first, then the 2D filters, most frames read first (measured by
``bench/decode.py`` on two generators at levels 2 to 4)."""


def unchanged(image: Any) -> Any:
    """The straightened bars as they are: enough for a sharp code held crooked."""
    return image


STEPS: tuple[Callable[[Any], Any], ...] = (unchanged, *ENHANCEMENTS)
"""Each way of reading straightened bars, in the order they are tried."""
CHEAP_STEPS = 2
"""The first steps of :data:`STEPS` cost about half a millisecond each; the others take
about as long as decoding the whole frame."""


@dataclass(frozen=True)
class _Track:
    """Where the last code was read and how: ``step`` indexes :data:`STEPS`, ``None``
    when the frame as it was sufficed."""

    box: Box
    step: int | None


@dataclass(frozen=True)
class _Attempt:
    """One way of reading the frame; ``run`` returns the symbols in frame coordinates
    and the track to keep when it reads something."""

    run: Callable[[], tuple[list[Symbol], _Track | None]]


class FramePipeline:
    """Read the codes of one camera frame after another, trying harder on hard frames.

    Keeps where and how the last code was read (a card held in view is read the same way
    next frame, in a small crop) but does no I/O; its only clock is ``timer``, for the
    budget.
    """

    def __init__(
        self,
        decoder: str = DEFAULT_DECODER,
        budget: float = DEFAULT_BUDGET,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        if budget < 0:
            raise ValueError("budget must be >= 0")
        self.decoder = decoder
        self.budget = budget
        self._timer = timer
        self._track: _Track | None = None
        self._missed: Box | None = None
        """Where bars were found on the last frame and could not be read."""
        self._seen: Box | None = None
        self._turn = 0
        """Which costly attempt a frame showing the same unreadable bars tries next."""

    def read(self, gray: Any) -> list[str]:
        """Texts read on ``gray`` (H×W uint8) by the first attempt that reads any.

        Texts that another text read at the same place contradicts are dropped (a Code 39
        row misread as ``1949`` beside ``1849``): the next attempt is tried instead.
        """
        deadline = self._timer() + self.budget
        self._seen = None
        for attempt in self._attempts(gray):
            found, track = attempt.run()
            symbols = unambiguous(found)
            if symbols:
                self._track = track
                self._missed = None
                return list(dict.fromkeys(s.text for s in symbols))
            if self._timer() >= deadline:
                break
        self._track = None
        self._missed = self._seen
        return []

    def _attempts(self, gray: Any) -> Iterator[_Attempt]:
        """The attempts for ``gray``, cheapest and likeliest first, built lazily.

        Bars that could not be read on the last frame, found again at the same place,
        are a card held still but unreadable (too dark, too blurred): this frame tries
        the cheap steps and one costly attempt only, the next costly one next frame, so
        such a card costs a third of a frame's full effort and each way still gets
        its chance every few frames, on fresh sensor noise.
        """
        if self._track is not None:
            track = self._track
            yield _Attempt(lambda: self._tracked(gray, track))
        missed = self._missed
        if missed is None:
            yield _Attempt(lambda: self._as_is(gray, (0, 0)))
        region = find_bars(gray)
        if region is None:
            if missed is not None:
                yield _Attempt(lambda: self._as_is(gray, (0, 0)))
            return
        upright, region = _upright(gray, region)
        self._seen = region.box
        if missed is None or not _near(missed, region.box):
            if missed is not None:
                yield _Attempt(lambda: self._as_is(gray, (0, 0)))
            for step in range(len(STEPS)):
                yield _Attempt(partial(self._straightened, upright, region, step, (0, 0)))
            return
        for step in range(CHEAP_STEPS):
            yield _Attempt(partial(self._straightened, upright, region, step, (0, 0)))
        costly = len(STEPS) - CHEAP_STEPS + 1  # the frame as it is is one of them
        turn, self._turn = self._turn % costly, self._turn + 1
        if turn == 0:
            yield _Attempt(lambda: self._as_is(gray, (0, 0)))
        else:
            step = CHEAP_STEPS + turn - 1
            yield _Attempt(partial(self._straightened, upright, region, step, (0, 0)))

    def _tracked(self, gray: Any, track: _Track) -> tuple[list[Symbol], _Track | None]:
        """Read the crop around the last read the way that read it."""
        left, top, right, bottom = _grown(track.box, gray.shape)
        crop = np.ascontiguousarray(gray[top:bottom, left:right])
        if track.step is None:
            return self._as_is(crop, (left, top))
        region = find_bars(crop)
        if region is None:
            return [], None
        upright, region = _upright(crop, region)
        return self._straightened(upright, region, track.step, (left, top))

    def _as_is(self, image: Any, origin: tuple[int, int]) -> tuple[list[Symbol], _Track | None]:
        found = [_moved(s, origin) for s in decode_symbols(image, self.decoder, upright=True)]
        box = _union(found)
        return found, None if box is None else _Track(box, None)

    def _straightened(
        self, upright: Any, region: BarRegion, step: int, origin: tuple[int, int]
    ) -> tuple[list[Symbol], _Track | None]:
        image = STEPS[step](upright)
        found = [
            s
            for s in decode_symbols(image, self.decoder, upright=True)
            if self._whole(s.box, image.shape[1])
        ]
        box = _moved(Symbol("", region.box), origin).box
        return [Symbol(s.text, box) for s in found], _Track(box, step)

    def _whole(self, box: Box, width: int) -> bool:
        """Whether a code read at ``box`` on straightened bars ``width`` pixels wide can
        be the whole code rather than a few of its bars. zxing-cpp gives the code's
        corners; ZBar gives where its scan lines met the code, which may collapse to a
        line (one column of reads), or to a single point for a fragment."""
        left, top, right, bottom = box
        if self.decoder == "pyzbar":
            return right > left or bottom > top
        return right - left >= MIN_SPAN * width


def _upright(gray: Any, region: BarRegion) -> tuple[Any, BarRegion]:
    """The bars of ``region`` straightened, their remaining lean undone, and the region
    they were taken from."""
    region = deskewed(gray, region, straighten(gray, region))
    return straighten(gray, region), region


def unambiguous(symbols: list[Symbol]) -> list[Symbol]:
    """The symbols that no symbol of another text read at (nearly) the same place
    contradicts: two texts from one code cannot both be right."""
    return [
        s for s in symbols if not any(o.text != s.text and _near(s.box, o.box) for o in symbols)
    ]


def _near(a: Box, b: Box) -> bool:
    """True when boxes ``a`` and ``b`` overlap once grown by :data:`NEAR` pixels."""
    return a[0] - NEAR < b[2] and b[0] - NEAR < a[2] and a[1] - NEAR < b[3] and b[1] - NEAR < a[3]


def _moved(symbol: Symbol, origin: tuple[int, int]) -> Symbol:
    """``symbol`` found in a crop whose top-left corner is ``origin``, in frame pixels."""
    x, y = origin
    left, top, right, bottom = symbol.box
    return Symbol(symbol.text, (left + x, top + y, right + x, bottom + y))


def _grown(box: Box, shape: tuple[int, ...]) -> Box:
    """``box`` grown by :data:`TRACK_MARGIN` on each side, clipped to the frame."""
    left, top, right, bottom = box
    dx = round((right - left) * TRACK_MARGIN) + 8
    dy = round((bottom - top) * TRACK_MARGIN) + 8
    height, width = shape[:2]
    return max(0, left - dx), max(0, top - dy), min(width, right + dx), min(height, bottom + dy)


def _union(symbols: list[Symbol]) -> Box | None:
    """The box around all ``symbols``, or ``None`` when there are none."""
    if not symbols:
        return None
    boxes = np.array([s.box for s in symbols])
    return (
        int(boxes[:, 0].min()),
        int(boxes[:, 1].min()),
        int(boxes[:, 2].max()),
        int(boxes[:, 3].max()),
    )
