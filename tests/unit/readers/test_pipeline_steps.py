"""The camera pipeline's lean correction, scan line and effort on a card held unreadable
(real decoding on generated frames)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from station.readers import pipeline
from station.readers.decode import decode
from station.readers.locate import BarRegion, deskewed, find_bars, straighten
from station.readers.pipeline import CHEAP_STEPS, STEPS, FramePipeline, ScanLine, unchanged
from station.readers.synthetic import card_symbol

CODE = "1849-00042"
GENEROUS = 5.0  # seconds: the budget never cuts these tests short, however slow the machine


def _whole(image: Any) -> BarRegion:
    """A region that is the whole of ``image``, as the locator would give a tight crop."""
    height, width = image.shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    return BarRegion(corners, width, height)


def _leaning(image: Any, lean: float) -> Any:
    """``image`` with its vertical bars leaning: x moves by ``lean`` per row."""
    import cv2

    height, width = image.shape
    shear = np.array([[1, lean, -lean * height / 2], [0, 1, 0]], dtype=np.float32)
    return cv2.warpAffine(image, shear, (width, height), borderValue=255)


def _column_contrast(image: Any) -> float:
    """How black and white the columns across the middle rows are: vertical bars keep
    their contrast when a column is averaged, leaning ones blur into grey."""
    height = image.shape[0]
    middle = image[height // 4 : height - height // 4].astype(np.float64)
    return float(middle.mean(axis=0).std())


@pytest.mark.parametrize("lean", [-0.25, -0.1, 0.1, 0.25])
def test_deskew_makes_leaning_bars_vertical_again(lean: float) -> None:
    symbol = card_symbol(CODE)
    bent = _leaning(symbol, lean)
    region = _whole(bent)
    fixed = deskewed(bent, region, straighten(bent, region))
    # A bar through the middle of the crop meets its top edge lean × height / 2 aside.
    shift = -lean * symbol.shape[0] / 2
    assert fixed.corners[0][0] == pytest.approx(shift, rel=0.25)
    assert fixed.corners[3][0] == pytest.approx(-shift, rel=0.25)
    corrected = straighten(bent, fixed)
    assert _column_contrast(corrected) > 1.2 * _column_contrast(bent)


def test_deskew_leaves_upright_bars_alone() -> None:
    symbol = card_symbol(CODE)
    region = _whole(symbol)
    again = deskewed(symbol, region, straighten(symbol, region))
    assert np.abs(again.corners - region.corners).max() < 1.0


def _dim_blurred(seed: int) -> Any:
    """An upright code as a dark, out-of-focus camera sees it: blurred, low contrast,
    noisy."""
    import cv2

    rng = np.random.default_rng(seed)
    symbol = card_symbol(CODE).astype(np.float32)
    blurred = cv2.GaussianBlur(symbol, (0, 0), sigmaX=1.6)
    dim = 60 + blurred * 0.35 + rng.normal(0, 10, symbol.shape)
    return dim.clip(0, 255).astype(np.uint8)


def test_scan_line_reads_a_dim_blurred_code_the_decoder_cannot() -> None:
    for seed in range(20):
        crop = _dim_blurred(seed)
        if CODE not in decode(unchanged(crop)):
            break
    else:
        raise AssertionError("every crop was read as it is: the test no longer tests anything")
    assert decode(ScanLine(2.0)(crop)) == [CODE]


def _stripes(seed: int) -> Any:
    """A frame with bars that are no code (random widths) on a plain grey background."""
    rng = np.random.default_rng(seed)
    widths = rng.integers(2, 9, 120)
    row = np.concatenate([np.full(w, 30 if i % 2 else 230) for i, w in enumerate(widths)])
    frame = np.full((480, 640), 140, np.uint8)
    bars = np.tile(row[:400], (90, 1)).astype(np.uint8)
    frame[180:270, 120:520] = bars
    return frame


def test_a_card_held_still_but_unreadable_gets_one_costly_attempt_per_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _stripes(1)
    assert find_bars(frame) is not None
    calls: list[tuple[int, ...]] = []
    real = pipeline.decode_symbols

    def counted(image: Any, decoder: str, *, upright: bool = False) -> Any:
        calls.append(image.shape)
        return real(image, decoder, upright=upright)

    monkeypatch.setattr(pipeline, "decode_symbols", counted)
    reader = FramePipeline(budget=GENEROUS)
    assert reader.read(frame) == []
    assert len(calls) == 1 + len(STEPS)  # the frame as it is, then every step
    costly = len(STEPS) - CHEAP_STEPS + 1
    whole_frames = 0
    for _ in range(costly):
        calls.clear()
        assert reader.read(frame) == []
        assert len(calls) == CHEAP_STEPS + 1
        whole_frames += calls.count(frame.shape)
    assert whole_frames == 1  # the frame as it is took its turn once among the others


def test_the_full_effort_returns_when_the_unreadable_bars_leave(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = FramePipeline(budget=GENEROUS)
    assert reader.read(_stripes(1)) == []
    calls: list[int] = []
    real = pipeline.decode_symbols

    def counted(image: Any, decoder: str, *, upright: bool = False) -> Any:
        calls.append(1)
        return real(image, decoder, upright=upright)

    monkeypatch.setattr(pipeline, "decode_symbols", counted)
    moved = np.roll(_stripes(2), 200, axis=0)
    assert reader.read(moved) == []
    assert len(calls) == 1 + len(STEPS)


def test_a_readable_card_after_an_unreadable_one_is_read() -> None:
    reader = FramePipeline(budget=GENEROUS)
    stripes = _stripes(1)
    assert reader.read(stripes) == []
    frame = stripes.copy()
    symbol = card_symbol(CODE)
    height, width = symbol.shape
    frame[:] = 140
    frame[100 : 100 + height, 20 : 20 + width] = symbol
    assert reader.read(frame) == [CODE]


def test_a_read_spanning_a_small_part_of_the_bars_is_not_taken_for_a_code() -> None:
    short = card_symbol("G+")
    height, width = short.shape
    wide = np.hstack([short, np.full((height, 3 * width), 255, np.uint8)])
    reader = FramePipeline(budget=GENEROUS)
    assert reader._straightened(short, _whole(short), 0, (0, 0))[0] != []
    assert reader._straightened(wide, _whole(wide), 0, (0, 0))[0] == []


def test_with_zbar_a_read_located_at_a_single_point_is_a_fragment() -> None:
    reader = FramePipeline("pyzbar", budget=GENEROUS)
    assert not reader._whole((368, 121, 368, 121), 554)
    # ZBar may locate a whole code as one column of scan-line hits: still a code.
    assert reader._whole((78, 55, 78, 127), 462)
    assert reader._whole((69, 19, 355, 95), 428)
