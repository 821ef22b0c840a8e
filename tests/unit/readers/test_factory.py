"""The factory builds one reader per [[readers]] entry, from the validated config."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.config import parse_config
from station.readers.base import Reader
from station.readers.camera import CameraReader
from station.readers.evdev import EvdevReader
from station.readers.factory import build_readers
from station.readers.serial import SerialReader
from station.readers.wedge import KeyWedgeReader, StdinWedgeReader


def _config(readers: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    data = {
        "station": {"name": "l1", "school": "1849", "database": "/tmp/x.db"},
        "readers": readers,
    }
    return parse_config(data, Path("/etc/cantine/station.toml"))


ALL_KINDS = [
    {"kind": "wedge"},
    {"kind": "serial", "port": "/dev/serial/by-id/usb-x", "name": "douchette"},
    {"kind": "camera", "device": "/dev/video0", "decoder": "pyzbar"},
    {"kind": "evdev", "device": "Honeywell Scanner"},
]


def test_every_kind_is_built_in_file_order_with_names() -> None:
    readers = build_readers(_config(ALL_KINDS).readers, print, print)
    assert [type(r) for r in readers] == [StdinWedgeReader, SerialReader, CameraReader, EvdevReader]
    assert [r.name for r in readers] == ["wedge-1", "douchette", "camera-3", "evdev-4"]
    assert all(isinstance(r, Reader) for r in readers)
    assert not any(r.connected for r in readers)  # built, not started


def test_options_reach_the_reader() -> None:
    cfg = _config([{"kind": "camera", "device": "2", "decoder": "pyzbar", "confirm_frames": 3}])
    (camera,) = build_readers(cfg.readers, print, print)
    assert isinstance(camera, CameraReader)
    assert (camera.device, camera.decoder, camera.confirm_frames) == ("2", "pyzbar", 3)


def test_app_mode_turns_wedge_entries_into_key_fed_readers() -> None:
    cfg = _config([{"kind": "wedge", "max_interval_ms": 30, "min_length": 8}])
    (wedge,) = build_readers(cfg.readers, print, print, wedge_input="keys")
    assert isinstance(wedge, KeyWedgeReader)
    assert wedge.detector.max_interval == pytest.approx(0.03)
    assert wedge.detector.min_length == 8


def test_key_wedge_reader_emits_a_debounced_scan_event() -> None:
    scans = []
    cfg = _config([{"kind": "wedge", "name": "clavier"}])
    (wedge,) = build_readers(cfg.readers, scans.append, print, wedge_input="keys")
    assert isinstance(wedge, KeyWedgeReader)
    for burst in range(2):  # the same card twice in a row: one scan
        for i, ch in enumerate("1849-01234\r"):
            wedge.feed_key(ch, burst + i * 0.005)
    assert [(s.code, s.source, s.reader) for s in scans] == [("1849-01234", "wedge", "clavier")]


def test_default_camera_decoder_is_zxing() -> None:
    (camera,) = build_readers(_config([{"kind": "camera"}]).readers, print, print)
    assert isinstance(camera, CameraReader)
    assert camera.decoder == "zxing"
