"""The serial reader on real pseudo-terminal pairs, the way a USB-serial scanner behaves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.core.models import Source
from station.readers.base import Backoff
from station.readers.serial import SerialReader
from tests.support.readers import Collector

FAST = Backoff(initial=0.05, maximum=0.2)


class Pty:
    """A pty pair whose slave is reached through a symlink, like /dev/serial/by-id/…."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        slave_path = os.ttyname(slave)
        os.close(slave)  # the reader opens it by path, as pyserial does
        self.master = master
        tmp = self.link.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(slave_path)
        tmp.replace(self.link)

    def unplug(self) -> None:
        os.close(self.master)
        self.master = -1

    def write(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    p = Pty(tmp_path / "usb-Scanner_1234-if00")
    yield p
    if p.master >= 0:
        os.close(p.master)


@pytest.fixture
def reader(pty: Pty, collector: Collector) -> Iterator[SerialReader]:
    r = SerialReader(
        "douchette",
        collector.on_scan,
        collector.on_error,
        port=str(pty.link),
        terminator="CR",
        debounce_seconds=0.0,
        backoff=FAST,
        read_timeout=0.05,
        on_status=collector.on_status,
    )
    r.start()
    collector.wait_for(lambda: r.connected)
    yield r
    r.close()


def test_frames_split_across_writes_make_one_scan(
    pty: Pty, reader: SerialReader, collector: Collector
) -> None:
    pty.write(b"1849-")
    pty.write(b"01")
    pty.write(b"234\r")
    collector.wait_for(lambda: len(collector.scans) == 1)
    event = collector.scans[0]
    assert (event.code, event.source, event.reader) == ("1849-01234", Source.SERIAL, "douchette")


def test_several_frames_in_one_write_are_all_scans_in_order(
    pty: Pty, reader: SerialReader, collector: Collector
) -> None:
    pty.write(b"1849-00001\r1849-00002\r1849-00003\r")
    collector.wait_for(lambda: len(collector.scans) == 3)
    assert collector.codes == ["1849-00001", "1849-00002", "1849-00003"]


def test_garbage_bytes_neither_crash_the_reader_nor_swallow_the_next_scan(
    pty: Pty, reader: SerialReader, collector: Collector
) -> None:
    pty.write(bytes(range(256)).replace(b"\r", b"") * 4)  # 1 KiB of noise, no terminator
    pty.write(b"\r\x00\xff\xfe\r1849-01234\r")
    collector.wait_for(lambda: "1849-01234" in collector.codes)
    assert reader.connected
    assert collector.errors == []


def test_unplug_is_reported_and_the_reader_reconnects_to_the_replugged_port(
    pty: Pty, reader: SerialReader, collector: Collector
) -> None:
    pty.write(b"1849-00001\r")
    collector.wait_for(lambda: len(collector.scans) == 1)
    pty.unplug()
    collector.wait_for(lambda: collector.errors != [] and not reader.connected)
    assert "perdu" in collector.errors[0].message
    pty.plug()
    collector.wait_for(lambda: reader.connected)
    pty.write(b"1849-00002\r")
    collector.wait_for(lambda: len(collector.scans) == 2)
    assert collector.codes == ["1849-00001", "1849-00002"]
    assert collector.statuses == [
        ("douchette", True),
        ("douchette", False),
        ("douchette", True),
    ]


def test_missing_port_is_reported_in_french_and_retried_without_raising(
    tmp_path: Path, collector: Collector
) -> None:
    link = tmp_path / "absent"
    r = SerialReader(
        "douchette",
        collector.on_scan,
        collector.on_error,
        port=str(link),
        backoff=FAST,
    )
    r.start()
    try:
        collector.wait_for(lambda: collector.errors != [])
        assert "impossible à ouvrir" in collector.errors[0].message
        assert "/dev/serial/by-id" in collector.errors[0].message
        # Plug it in later: the reader finds it on a retry.
        p = Pty(link)
        collector.wait_for(lambda: r.connected)
        p.write(b"1849-01234\r")
        collector.wait_for(lambda: collector.codes == ["1849-01234"])
        p.unplug()
    finally:
        r.close()
    assert len(collector.errors) >= 1


def test_loop_url_echoes_frames_through_pyserial_url_handlers(collector: Collector) -> None:
    r = SerialReader(
        "loop", collector.on_scan, collector.on_error, port="loop://", read_timeout=0.05
    )
    r.start()
    try:
        collector.wait_for(lambda: r.connected)
        r._serial.write(b"1849-04321\r")
        collector.wait_for(lambda: collector.codes == ["1849-04321"])
    finally:
        r.close()
    assert r.finished.wait(2)
