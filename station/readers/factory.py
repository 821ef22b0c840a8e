"""Build the readers listed in ``[[readers]]``; works without a UI.

The factory knows no kind: it looks the entry's kind up in the registry
(:mod:`station.core.reader_kinds`) and calls the constructor the kind names there, with the
kind's defaults filled in. Heavy libraries are imported only for the kinds configured (a
station with a serial scanner never loads OpenCV). Several readers at once are fine: each
runs in its own thread and reports through the same callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from station.core.clock import Clock
from station.core.config import ReaderConfig
from station.core.errors import ReaderError
from station.core.reader_kinds import READER_KINDS, load
from station.readers.base import (
    BuildRequest,
    Constructor,
    ErrorCallback,
    Reader,
    ScanCallback,
    StatusCallback,
    WedgeInput,
)

__all__ = ["WedgeInput", "build_reader", "build_readers", "close_all", "reader_name", "start_all"]


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
    """One reader for one ``[[readers]]`` entry (not started), by its kind's constructor."""
    kind = READER_KINDS.get(config.kind)
    if kind is None:
        raise ReaderError(f"type de lecteur inconnu « {config.kind} »")
    constructor: Constructor = load(kind.constructor)
    return constructor(
        BuildRequest(
            name=reader_name(config, index),
            options=kind.with_defaults(config.options),
            on_scan=on_scan,
            on_error=on_error,
            clock=clock,
            on_status=on_status,
            wedge_input=wedge_input,
            stdin=stdin,
        )
    )


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
