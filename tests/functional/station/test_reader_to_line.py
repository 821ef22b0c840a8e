"""From a real serial port to the serving line: debounce, then the rules."""

from __future__ import annotations

import os
import queue
import time
from datetime import timedelta
from pathlib import Path

from station.core.clock import FixedClock
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.readers.serial import SerialReader
from tests.support.station import NOON


def test_card_held_twice_is_one_pass_and_a_later_presentation_is_already_served(
    line: ServingLine, tmp_path: Path
) -> None:
    master, slave = os.openpty()
    port = os.ttyname(slave)
    events: queue.Queue[ScanEvent] = queue.Queue()
    errors: list[object] = []
    clock = FixedClock(NOON)
    reader = SerialReader(
        "douchette", events.put, errors.append, port=port, clock=clock, debounce_seconds=3.0
    )
    reader.start()
    deadline = time.monotonic() + 5
    while not reader.connected and time.monotonic() < deadline:
        time.sleep(0.01)  # pyserial puts the tty in raw mode when it opens it
    try:
        verdicts = []
        os.write(master, b"1849-00001\r1849-00001\r")  # the scanner fired twice in a row
        first = events.get(timeout=5)
        verdicts.append(line.scan(first.code, at=first.at, source=first.source))
        clock.advance(seconds=40)  # the pupil comes back later with the same card
        os.write(master, b"1849-00001\r")
        second = events.get(timeout=5)
        verdicts.append(line.scan(second.code, at=second.at, source=second.source))
        assert events.empty()
    finally:
        reader.close()
        os.close(master)
        os.close(slave)
    assert [v.reason.value for v in verdicts] == ["reserved", "already_served"]
    assert verdicts[1].first_served_at == NOON
    assert second.at - first.at == timedelta(seconds=40)
    assert errors == []
