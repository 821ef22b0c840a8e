"""The camera reader replaying a video file written with OpenCV's VideoWriter."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from station.core.models import Source
from station.readers.base import Backoff
from station.readers.camera import CameraReader
from station.readers.synthetic import card_symbol, perturbed_frame
from tests.support.readers import Collector


def _write_video(path: Path, frames: list[np.ndarray]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (640, 480))
    assert writer.isOpened()
    for gray in frames:
        writer.write(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    writer.release()


def _card(code: str, symbology: str, rng: np.random.Generator) -> np.ndarray:
    return perturbed_frame(card_symbol(code, symbology), 1, rng)


@pytest.mark.parametrize("decoder", ["zxing", "pyzbar"])
def test_video_replayed_as_camera_emits_each_card_once_after_confirmation(
    tmp_path: Path, collector: Collector, decoder: str
) -> None:
    rng = np.random.default_rng(3)
    empty = np.full((480, 640), 140, np.uint8)
    frames = (
        [empty] * 3
        + [_card("1849-00001", "code128", rng) for _ in range(6)]  # held in view
        + [empty] * 2
        + [_card("1849-00777", "code128", rng)]  # a single-frame flash: not confirmed
        + [empty] * 2
        + [_card("1849-00002", "qr", rng) for _ in range(4)]
        + [empty] * 2
        + [_card("1849-00001", "code128", rng) for _ in range(3)]  # shown again, within 3 s
        + [empty] * 2
    )
    video = tmp_path / "ligne.avi"
    _write_video(video, frames)
    reader = CameraReader(
        "webcam",
        collector.on_scan,
        collector.on_error,
        device=str(video),
        decoder=decoder,
        confirm_frames=2,
        backoff=Backoff(0.05, 0.1),
    )
    reader.start()
    assert reader.finished.wait(20), "the reader stops at the end of a video file"
    reader.close()
    assert collector.errors == []
    assert collector.codes == ["1849-00001", "1849-00002"]
    assert {s.source for s in collector.scans} == {Source.CAMERA}
    assert reader.frames_read == len(frames)


def test_missing_camera_error_says_to_check_cable_and_video_group(collector: Collector) -> None:
    reader = CameraReader(
        "webcam",
        collector.on_scan,
        collector.on_error,
        device="/dev/video97",
        backoff=Backoff(0.05, 0.1),
    )
    reader.start()
    try:
        collector.wait_for(lambda: collector.errors != [])
    finally:
        reader.close()
    message = collector.errors[0].message
    assert "/dev/video97" in message
    assert "câble" in message and "groupe video" in message
    assert not reader.connected
