"""The camera reader on recorded 30 fps videos of crooked cards: what it emits, and what not.

Frames are written losslessly (PNG inside AVI) so the reader decodes exactly the frames
generated here; the reader runs on the video's own timeline, not the wall clock.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from station.readers.base import Backoff
from station.readers.camera import CameraReader
from station.readers.decode import decode
from station.readers.pipeline import FramePipeline
from station.readers.synthetic import card_symbol, perturbed_frame
from tests.support.readers import Collector

FPS = 30
CARD = "1849-00042"
OTHER = "1849-00043"


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"png "), FPS, (640, 480))
    assert writer.isOpened()
    for gray in frames:
        writer.write(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    writer.release()


def _crooked(code: str, seed: int) -> np.ndarray:
    """A level-3 frame of ``code`` (turned, tilted, dark, blurred) the raw decoder misses
    and the camera's pipeline reads: what the reader emits from it is up to confirmation."""
    for attempt in range(seed, seed + 20):
        frame = perturbed_frame(card_symbol(code), 3, np.random.default_rng(attempt))
        if code not in decode(frame, "zxing") and FramePipeline(budget=5.0).read(frame) == [code]:
            return frame
    raise AssertionError(f"no level-3 frame of {code} defeats the raw decoder alone")


def _empty(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    background = rng.normal(150, 25, (60, 80)).clip(0, 255).astype(np.uint8)
    return cv2.resize(background, (640, 480), interpolation=cv2.INTER_CUBIC)


def _emitted(tmp_path: Path, collector: Collector, frames: list[np.ndarray]) -> list[str]:
    """Codes the camera reader emits while replaying ``frames``."""
    video = tmp_path / "ligne.avi"
    _write_video(video, frames)
    reader = CameraReader(
        "webcam",
        collector.on_scan,
        collector.on_error,
        device=str(video),
        frame_budget=5.0,  # the budget must not depend on how busy the test machine is
        backoff=Backoff(0.05, 0.1),
    )
    reader.start()
    assert reader.finished.wait(60), "the reader stops at the end of a video file"
    reader.close()
    assert collector.errors == []
    assert reader.frames_read == len(frames)
    return collector.codes


def test_crooked_card_read_on_two_frames_within_half_a_second_is_emitted_once(
    tmp_path: Path, collector: Collector
) -> None:
    card = _crooked(CARD, 0)
    frames = [_empty(1)] * 3 + [card, _empty(2), _empty(3), card] + [_empty(4)] * 3
    assert _emitted(tmp_path, collector, frames) == [CARD]


def test_single_read_is_never_emitted(tmp_path: Path, collector: Collector) -> None:
    frames = [_empty(1)] * 3 + [_crooked(CARD, 0)] + [_empty(2)] * 30
    assert _emitted(tmp_path, collector, frames) == []


def test_two_reads_further_apart_than_the_window_are_not_emitted(
    tmp_path: Path, collector: Collector
) -> None:
    card = _crooked(CARD, 0)
    frames = [card] + [_empty(2)] * 20 + [card] + [_empty(3)] * 3  # 0.7 s apart
    assert _emitted(tmp_path, collector, frames) == []


def test_one_read_then_a_different_read_emits_nothing(tmp_path: Path, collector: Collector) -> None:
    frames = [_empty(1)] * 3 + [_crooked(CARD, 0), _crooked(OTHER, 0)] + [_empty(2)] * 10
    assert _emitted(tmp_path, collector, frames) == []


def test_card_held_in_view_for_two_seconds_is_emitted_once(
    tmp_path: Path, collector: Collector
) -> None:
    rng = np.random.default_rng(11)
    card = _crooked(CARD, 0)
    held = [(card + rng.normal(0, 2, card.shape)).clip(0, 255).astype(np.uint8) for _ in range(60)]
    held[10:60:7] = [_empty(5)] * len(held[10:60:7])  # the hand hides it now and then
    assert _emitted(tmp_path, collector, [_empty(1)] * 3 + held) == [CARD]


@pytest.mark.parametrize("seed", [1, 2])
def test_frames_of_noise_never_emit(tmp_path: Path, collector: Collector, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (480, 640), dtype=np.uint8) for _ in range(30)]
    assert _emitted(tmp_path, collector, frames) == []
