"""Keyboard-wedge scanners: a pure burst detector, and the readers built on it.

A keyboard-wedge scanner types the code as keystrokes ending with Enter, a few
milliseconds apart; a person types tens to hundreds of milliseconds apart. The station
must recognise a scan whatever widget has focus, so a scan while staff type a name in
the search box is still a scan *and the name is not polluted*, while a person typing
slowly is never taken for a scanner. Works without a UI; never imports Textual.

How the app uses :class:`WedgeDetector` (or :class:`KeyWedgeReader`, which wraps it and
emits ``ScanEvent`` through the usual ``on_scan`` callback with debounce)::

    # The App receives every Key event before forwarding it to the focused widget
    # (Textual: override ``async def on_event(self, event)`` and look at ``events.Key``
    # before ``await super().on_event(event)``); use ``event.character`` when printable,
    # else ``event.key``:
    decision = wedge.feed_key(key_name_or_character, time.monotonic())
    if decision.release:          # keys held earlier that turned out to be a person's
        focused_input.insert_text_at_cursor(decision.release)
    if decision.swallow:          # part of a (possible) scanner burst: withhold it
        event.prevent_default(); event.stop()
        self.set_timer(wedge.max_interval, self._flush_wedge)
    # decision.scan is the completed code (KeyWedgeReader already called on_scan)

    def _flush_wedge(self):       # the burst stalled: it was a person after all
        text = wedge.flush(time.monotonic())
        if text:
            focused_input.insert_text_at_cursor(text)

Semantics of :meth:`WedgeDetector.feed`:

- ``key`` is one printable character (``event.character``) or a key name; ``"enter"``
  ends a burst; any other non-character key (``"backspace"``, ``"tab"``, arrows…) ends a
  pending burst as human typing.
- Every printable character is first *held* (``swallow=True``): the detector cannot know
  on the first keystroke whether a burst starts. Held characters are given back in
  ``release`` as soon as the timing shows a person (a gap longer than ``max_interval``
  seconds, a non-character key, or Enter after fewer than ``min_length`` characters), or
  by :meth:`flush` once ``max_interval`` has passed. Hence a person's keystroke shows up at
  most ``max_interval`` (default 50 ms) late.
- ``release`` must be delivered *before* the current key, which is delivered only when
  ``swallow`` is false.
- When Enter arrives within ``max_interval`` of a run of at least ``min_length``
  characters each within ``max_interval`` of the previous, ``scan`` holds the run and
  everything (characters and Enter) was swallowed.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from station.core.clock import Clock, SystemClock
from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.base import (
    BuildRequest,
    ErrorCallback,
    ScanCallback,
    ScanEmitter,
    ThreadedReader,
)
from station.readers.debounce import DEFAULT_WINDOW_SECONDS

ENTER_KEYS = frozenset({"enter", "\r", "\n", "ctrl+m", "ctrl+j"})


@dataclass(frozen=True)
class WedgeDecision:
    """What the UI should do with one key event."""

    swallow: bool
    """Withhold this key from the focused widget."""
    release: str = ""
    """Characters held earlier that were a person's typing: deliver them first."""
    scan: str | None = None
    """A complete scanner burst ended by this key."""


class WedgeDetector:
    """Tell scanner bursts from human typing by inter-key timing. Pure: no clock, no I/O."""

    def __init__(self, max_interval_ms: int = 50, min_length: int = 6, max_length: int = 128):
        if max_interval_ms <= 0 or min_length <= 0:
            raise ValueError("max_interval_ms and min_length must be positive")
        self.max_interval = max_interval_ms / 1000
        self.min_length = min_length
        self.max_length = max_length
        self._held: list[str] = []
        self._last_at: float | None = None

    @property
    def holding(self) -> bool:
        """True while characters are held, waiting for the timing to decide."""
        return bool(self._held)

    def feed(self, key: str, at: float) -> WedgeDecision:
        """Account for one key event at ``at`` (seconds, monotonic) and say what to do."""
        in_time = self._last_at is not None and at - self._last_at <= self.max_interval
        if key in ENTER_KEYS:
            if self._held and in_time and len(self._held) >= self.min_length:
                code = "".join(self._held)
                self._reset()
                return WedgeDecision(swallow=True, scan=code)
            return WedgeDecision(swallow=False, release=self._take())
        if len(key) != 1 or not key.isprintable():
            return WedgeDecision(swallow=False, release=self._take())
        release = ""
        if self._held and (not in_time or len(self._held) >= self.max_length):
            release = self._take()
        self._held.append(key)
        self._last_at = at
        return WedgeDecision(swallow=True, release=release)

    def flush(self, now: float) -> str:
        """Give back held characters once the burst has stalled (call from a timer)."""
        if self._held and self._last_at is not None and now - self._last_at >= self.max_interval:
            return self._take()
        return ""

    def _take(self) -> str:
        text = "".join(self._held)
        self._reset()
        return text

    def _reset(self) -> None:
        self._held = []
        self._last_at = None


class KeyWedgeReader:
    """The wedge reader of the Textual app: fed key events by the app (see module doc).

    Starts and closes as a no-op (the terminal is always there); ``connected`` is True.
    """

    source: ClassVar[Source] = Source.WEDGE

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        max_interval_ms: int = 50,
        min_length: int = 6,
        debounce_seconds: float = DEFAULT_WINDOW_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.name = name
        self.finished = threading.Event()
        self._on_error = on_error
        self.detector = WedgeDetector(max_interval_ms, min_length)
        self._emitter = ScanEmitter(
            name, self.source, on_scan, clock or SystemClock(), debounce_seconds
        )

    @property
    def max_interval(self) -> float:
        return self.detector.max_interval

    @property
    def connected(self) -> bool:
        return True

    def start(self) -> None:
        """Nothing to open: the app feeds keys."""

    def close(self) -> None:
        """Nothing to release."""
        self.finished.set()

    def feed_key(self, key: str, at: float) -> WedgeDecision:
        """Feed one key event; on a completed burst, call ``on_scan`` (debounced)."""
        decision = self.detector.feed(key, at)
        if decision.scan is not None:
            self._emitter.emit(decision.scan)
        return decision

    def flush(self, now: float) -> str:
        """See :meth:`WedgeDetector.flush`."""
        return self.detector.flush(now)


class StdinWedgeReader(ThreadedReader):
    """Headless wedge reader (``station listen``): a scanner typing into the terminal.

    The terminal's line discipline already assembles each burst into a line; each
    non-empty line is one scan. End of input ends the reader.
    """

    source: ClassVar[Source] = Source.WEDGE

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        stream: TextIO | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, on_scan, on_error, **kwargs)
        self._stream = stream if stream is not None else sys.stdin

    def _open(self) -> None:
        if self._stream.closed:
            raise ReaderError(f"lecteur « {self.name} » : l'entrée standard est fermée")

    def _read(self) -> bool:
        try:
            fd: int | None = self._stream.fileno()
        except (OSError, ValueError):
            fd = None
        while not self._stop.is_set():
            if fd is not None:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    continue
                line = _read_line(fd)
            else:
                line = self._stream.readline()
            if line is None or line == "":
                return True
            self._emit(line.strip("\r\n"))
        return False

    def _release(self) -> None:
        """stdin belongs to the process; nothing to close."""


def _read_line(fd: int) -> str | None:
    """Read one line byte by byte from ``fd`` (no buffering that select cannot see)."""
    chunks = bytearray()
    while True:
        byte = os.read(fd, 1)
        if not byte:
            return chunks.decode("utf-8", errors="replace") if chunks else None
        if byte == b"\n":
            return chunks.decode("utf-8", errors="replace") + "\n"
        chunks += byte
        if len(chunks) > 4096:
            return chunks.decode("utf-8", errors="replace") + "\n"


def build(request: BuildRequest) -> KeyWedgeReader | StdinWedgeReader:
    """The reader of a ``kind = "wedge"`` entry (the kind's constructor in the registry).

    ``wedge_input="keys"`` (the Textual app): a :class:`KeyWedgeReader` the app feeds key
    events to; ``"stdin"`` (headless, ``station listen``): the terminal read line by line.
    """
    if request.wedge_input == "keys":
        return KeyWedgeReader(
            request.name,
            request.on_scan,
            request.on_error,
            max_interval_ms=int(request.options["max_interval_ms"]),
            min_length=int(request.options["min_length"]),
            clock=request.clock,
            debounce_seconds=request.debounce_seconds,
        )
    # The key-fed reader is always connected: only the thread reader reports status.
    return StdinWedgeReader(
        request.name,
        request.on_scan,
        request.on_error,
        stream=request.stdin,
        clock=request.clock,
        debounce_seconds=request.debounce_seconds,
        on_status=request.on_status,
    )
