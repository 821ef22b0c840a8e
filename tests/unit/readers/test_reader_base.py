"""The threaded reader base: reconnect with backoff, error reporting, callback safety."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.base import Backoff, ThreadedReader
from station.readers.events import ScanEvent


class FlakyReader(ThreadedReader):
    """Fails to open ``failures`` times, then emits ``codes`` and ends."""

    source: ClassVar[Source] = Source.SERIAL

    def __init__(self, failures: int, codes: list[str], **kwargs: object) -> None:
        self.errors: list[ReaderError] = []
        self.scans: list[ScanEvent] = []
        super().__init__(
            "flaky", self._scan, self.errors.append, backoff=Backoff(0.001, 0.005), **kwargs
        )  # type: ignore[arg-type]
        self.failures = failures
        self.codes = codes
        self.opens = 0

    def _scan(self, event: ScanEvent) -> None:
        self.scans.append(event)
        if event.code == "boom":
            raise RuntimeError("the app's callback is buggy")

    def _open(self) -> None:
        self.opens += 1
        if self.opens <= self.failures:
            raise ReaderError("scanner absent")

    def _read(self) -> bool:
        for code in self.codes:
            self._emit(code)
        return True

    def _release(self) -> None:
        pass


def test_failing_open_is_retried_and_the_same_error_reported_once() -> None:
    reader = FlakyReader(failures=5, codes=["1849-01234"])
    reader.start()
    assert reader.finished.wait(5)
    assert reader.opens == 6
    assert [e.message for e in reader.errors] == ["scanner absent"]
    assert [s.code for s in reader.scans] == ["1849-01234"]


def test_a_raising_scan_callback_does_not_kill_the_reader() -> None:
    reader = FlakyReader(failures=0, codes=["boom", "1849-01234"])
    reader.start()
    assert reader.finished.wait(5)
    assert [s.code for s in reader.scans] == ["boom", "1849-01234"]


def test_repeated_codes_are_debounced_and_carry_source_and_reader_name() -> None:
    reader = FlakyReader(failures=0, codes=["A", "A", "B", "A"])
    reader.start()
    assert reader.finished.wait(5)
    assert [(s.code, s.source, s.reader) for s in reader.scans] == [
        ("A", Source.SERIAL, "flaky"),
        ("B", Source.SERIAL, "flaky"),
    ]


def test_close_stops_a_reader_that_keeps_failing() -> None:
    reader = FlakyReader(failures=10**9, codes=[])
    reader.start()
    reader.close()
    assert reader.finished.wait(2)
    assert not reader.connected


def test_reader_modules_never_import_textual() -> None:
    modules = [
        "station.readers",
        "station.readers.base",
        "station.readers.wedge",
        "station.readers.serial",
        "station.readers.evdev",
        "station.readers.decode",
        "station.readers.camera",
        "station.readers.factory",
        "station.cards_print",
    ]
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
