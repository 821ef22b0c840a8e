"""The camera entry's confirmation window and per-frame budget: declared in the registry
with the reader's own defaults, and handed to the camera reader as written."""

from __future__ import annotations

from pathlib import Path

from station.core.config import parse_config
from station.core.reader_kinds import READER_KINDS
from station.readers.camera import CameraReader
from station.readers.decode import DEFAULT_CONFIRM_WINDOW
from station.readers.factory import build_readers
from station.readers.pipeline import DEFAULT_BUDGET

CAMERA = READER_KINDS["camera"].all_keys


def _camera(**options: object) -> CameraReader:
    data = {
        "station": {"name": "l1", "school": "1849", "database": "/tmp/x.db"},
        "readers": [{"kind": "camera", **options}],
    }
    (reader,) = build_readers(parse_config(data, Path("station.toml")).readers, print, print)
    assert isinstance(reader, CameraReader)
    return reader


def test_the_registry_defaults_are_the_readers_own() -> None:
    assert CAMERA["confirm_window"].default == DEFAULT_CONFIRM_WINDOW
    assert CAMERA["frame_budget"].default == DEFAULT_BUDGET


def test_an_entry_without_them_gets_the_defaults() -> None:
    reader = _camera()
    assert (reader.confirm_window, reader.frame_budget) == (DEFAULT_CONFIRM_WINDOW, DEFAULT_BUDGET)


def test_the_values_written_in_the_entry_reach_the_reader() -> None:
    reader = _camera(confirm_frames=3, confirm_window=0.8, frame_budget=0.05)
    assert (reader.confirm_frames, reader.confirm_window, reader.frame_budget) == (3, 0.8, 0.05)


def test_the_help_says_reads_need_not_be_consecutive() -> None:
    text = CAMERA["confirm_frames"].help
    assert "de suite" not in text
    assert "pas forcément consécutives" in text and "confirm_window" in text
