"""The camera's frame pipeline and bar locator on generated frames (real decoding)."""

from __future__ import annotations

import numpy as np
import pytest

from station.readers.decode import Symbol, decode
from station.readers.locate import find_bars, straighten
from station.readers.pipeline import FramePipeline, unambiguous
from station.readers.synthetic import card_symbol, perturbed_frame

CODE = "1849-00042"
GENEROUS = 5.0  # seconds: the budget never cuts these tests short, however slow the machine


def _crooked(seed: int, level: int = 3, symbology: str = "code128") -> np.ndarray:
    return perturbed_frame(card_symbol(CODE, symbology), level, np.random.default_rng(seed))


def _missed_by_raw_decoder() -> np.ndarray:
    """The first level-3 frame (seeds 0, 1, …) the raw zxing-cpp decoder cannot read."""
    for seed in range(20):
        frame = _crooked(seed)
        if CODE not in decode(frame, "zxing"):
            return frame
    raise AssertionError("every level-3 frame was read raw: the corpus no longer tests anything")


@pytest.mark.parametrize("decoder", ["zxing", "pyzbar"])
def test_pipeline_reads_a_crooked_dim_frame_the_raw_decoder_misses(decoder: str) -> None:
    frame = _missed_by_raw_decoder()
    assert FramePipeline(decoder, budget=GENEROUS).read(frame) == [CODE]


def test_with_no_budget_only_the_frame_as_is_is_tried() -> None:
    frame = _missed_by_raw_decoder()
    assert FramePipeline(budget=0.0).read(frame) == []
    assert FramePipeline(budget=GENEROUS).read(frame) == [CODE]


def test_card_held_in_view_is_read_again_on_the_next_frames() -> None:
    pipeline = FramePipeline(budget=GENEROUS)
    frame = _missed_by_raw_decoder()
    noise = np.random.default_rng(7)
    for _ in range(3):
        jittered = (frame + noise.normal(0, 2, frame.shape)).clip(0, 255).astype(np.uint8)
        assert pipeline.read(jittered) == [CODE]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_and_blank_frames_read_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    pipeline = FramePipeline(budget=GENEROUS)
    assert pipeline.read(noise) == []
    assert pipeline.read(np.full((480, 640), 140, np.uint8)) == []


def test_locator_finds_the_bars_of_a_turned_card_and_straightens_them_readable() -> None:
    frame = _missed_by_raw_decoder()
    region = find_bars(frame)
    assert region is not None
    left, top, right, bottom = region.box
    assert right - left > 100 and bottom - top > 40
    upright = straighten(frame, region)
    assert upright.shape == (region.height, region.width)


def test_locator_finds_no_bars_in_a_blank_frame() -> None:
    assert find_bars(np.full((480, 640), 140, np.uint8)) is None


def test_two_texts_read_at_the_same_place_are_both_dropped() -> None:
    right = Symbol("1849-91357", (66, 18, 421, 61))
    misread = Symbol("1949-91357", (70, 64, 420, 65))
    assert unambiguous([right, misread]) == []


def test_two_cards_far_apart_are_both_kept() -> None:
    one = Symbol("1849-00001", (10, 10, 200, 60))
    two = Symbol("1849-00002", (400, 300, 600, 360))
    assert unambiguous([one, two, one]) == [one, two, one]
