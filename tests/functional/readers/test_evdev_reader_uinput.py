"""The evdev reader on a uinput virtual keyboard (skipped where /dev/uinput is absent)."""

from __future__ import annotations

import os
import time

import pytest

from station.core.models import Source
from station.readers.base import Backoff
from tests.support.readers import Collector

evdev = pytest.importorskip("evdev", reason="python-evdev is Linux-only")

UINPUT = "/dev/uinput"
pytestmark = pytest.mark.skipif(
    not (os.path.exists(UINPUT) and os.access(UINPUT, os.W_OK)),
    reason=f"{UINPUT} absent or not writable (modprobe uinput; needs the input group)",
)

NAME = "Cantine Test Scanner"
ecodes = evdev.ecodes


def _virtual_scanner() -> object:
    keys = list(range(1, 100))
    return evdev.UInput({ecodes.EV_KEY: keys}, name=NAME)


US_CODES = {"-": 12, "0": 11} | {str(d): 1 + d for d in range(1, 10)}


def _type(ui: object, text: str) -> None:
    for code in [US_CODES[ch] for ch in text] + [ecodes.KEY_ENTER]:
        ui.write(ecodes.EV_KEY, code, 1)  # type: ignore[attr-defined]
        ui.write(ecodes.EV_KEY, code, 0)  # type: ignore[attr-defined]
    ui.syn()  # type: ignore[attr-defined]


def test_virtual_scanner_found_by_name_is_read_and_reopened_after_unplug(
    collector: Collector,
) -> None:
    from station.readers.evdev import EvdevReader

    ui = _virtual_scanner()
    time.sleep(0.3)  # udev creates the device node
    reader = EvdevReader(
        "usb", collector.on_scan, collector.on_error, device=NAME, backoff=Backoff(0.05, 0.2)
    )
    reader.start()
    try:
        collector.wait_for(lambda: reader.connected)
        _type(ui, "1849-01234")
        collector.wait_for(lambda: collector.codes == ["1849-01234"])
        assert collector.scans[0].source == Source.EVDEV
        ui.close()  # type: ignore[attr-defined]
        collector.wait_for(lambda: not reader.connected)
        ui = _virtual_scanner()
        collector.wait_for(lambda: reader.connected, timeout=10)
        _type(ui, "1849-05678")
        collector.wait_for(lambda: collector.codes == ["1849-01234", "1849-05678"])
    finally:
        reader.close()
        ui.close()  # type: ignore[attr-defined]
