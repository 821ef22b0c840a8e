"""Build the readers listed in ``[[readers]]``; works without a UI.

Heavy libraries are imported only for the kinds configured (a station with a serial
scanner never loads OpenCV). Several readers at once are fine: each runs in its own
thread and reports through the same callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TextIO

from station.core.clock import Clock
from station.core.config import ReaderConfig
from station.core.errors import ReaderError
from station.readers.base import ErrorCallback, Reader, ScanCallback, StatusCallback
from station.readers.debounce import DEFAULT_WINDOW_SECONDS

WedgeInput = Literal["stdin", "keys"]


def reader_name(config: ReaderConfig, index: int) -> str:
    """The configured ``name``, else ``KIND-N`` (1-based position in the file)."""
    name = str(config.options.get("name") or "")
    return name or f"{config.kind}-{index}"


def build_reader(
    config: ReaderConfig,
    on_scan: ScanCallback,
    on_error: ErrorCallback,
    *,
    index: int = 1,
    clock: Clock | None = None,
    on_status: StatusCallback | None = None,
    wedge_input: WedgeInput = "stdin",
    stdin: TextIO | None = None,
) -> Reader:
    """One reader for one ``[[readers]]`` entry (not started)."""
    o = config.options
    name = reader_name(config, index)
    common: dict[str, Any] = {
        "clock": clock,
        "debounce_seconds": float(o.get("debounce_seconds", DEFAULT_WINDOW_SECONDS)),
    }
    # The key-fed wedge reader is always connected: only thread readers report status.
    threaded: dict[str, Any] = {**common, "on_status": on_status}
    if config.kind == "wedge":
        from station.readers.wedge import KeyWedgeReader, StdinWedgeReader

        if wedge_input == "keys":
            return KeyWedgeReader(
                name,
                on_scan,
                on_error,
                max_interval_ms=int(o.get("max_interval_ms", 50)),
                min_length=int(o.get("min_length", 6)),
                **common,
            )
        return StdinWedgeReader(name, on_scan, on_error, stream=stdin, **threaded)
    if config.kind == "serial":
        from station.readers.serial import SerialReader

        return SerialReader(
            name,
            on_scan,
            on_error,
            port=str(o["port"]),
            baudrate=int(o.get("baudrate", 9600)),
            terminator=str(o.get("terminator", "CR")),
            **threaded,
        )
    if config.kind == "camera":
        from station.readers.camera import CameraReader

        return CameraReader(
            name,
            on_scan,
            on_error,
            device=str(o.get("device", "0")),
            decoder=str(o.get("decoder", "zxing")),
            confirm_frames=int(o.get("confirm_frames", 2)),
            width=int(o.get("width", 640)),
            height=int(o.get("height", 480)),
            **threaded,
        )
    if config.kind == "evdev":
        from station.readers.evdev import EvdevReader

        return EvdevReader(
            name,
            on_scan,
            on_error,
            device=str(o["device"]),
            grab=bool(o.get("grab", True)),
            **threaded,
        )
    raise ReaderError(f"type de lecteur inconnu « {config.kind} »")


def build_readers(
    configs: Sequence[ReaderConfig],
    on_scan: ScanCallback,
    on_error: ErrorCallback,
    *,
    clock: Clock | None = None,
    on_status: StatusCallback | None = None,
    wedge_input: WedgeInput = "stdin",
    stdin: TextIO | None = None,
) -> list[Reader]:
    """Every configured reader, in file order, not started.

    ``wedge_input="stdin"`` (headless, ``station listen``): a wedge scanner types into the
    terminal, read line by line. ``"keys"`` (the Textual app): wedge entries become
    :class:`~station.readers.wedge.KeyWedgeReader` objects the app feeds key events to.
    """
    return [
        build_reader(
            config,
            on_scan,
            on_error,
            index=i,
            clock=clock,
            on_status=on_status,
            wedge_input=wedge_input,
            stdin=stdin,
        )
        for i, config in enumerate(configs, start=1)
    ]


def start_all(readers: Sequence[Reader]) -> None:
    """Start every reader (each failure is reported by the reader itself, never raised)."""
    for reader in readers:
        reader.start()


def close_all(readers: Sequence[Reader]) -> None:
    """Close every reader, the last started first."""
    for reader in reversed(readers):
        reader.close()
