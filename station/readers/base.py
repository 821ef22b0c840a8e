"""The reader contract and a thread base class with reconnect; works without a UI.

A reader turns hardware input into :class:`ScanEvent` objects. It is a small thread class
in the style of Toolong's watchers: ``start()`` starts it, ``close()`` stops it, and it
reports through callbacks passed to its constructor. It never imports Textual: the app
passes closures that post messages (``call_from_thread``).

Callbacks run in the reader's own thread:

- ``on_scan(event)`` for every accepted (debounced) scan;
- ``on_error(error)`` with a :class:`ReaderError` whose French message says what to check.
  A failing reader reports, waits (exponential backoff) and retries; it never raises into
  the caller's thread. The same failure repeated on every retry is reported once, until the
  reader connects again or the failure changes;
- ``on_status(name, connected)`` (optional) whenever ``connected`` changes.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, TextIO, runtime_checkable

from station.core.clock import Clock, SystemClock
from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.debounce import DEFAULT_WINDOW_SECONDS, Debouncer
from station.readers.events import ScanEvent

log = logging.getLogger(__name__)

ScanCallback = Callable[[ScanEvent], None]
ErrorCallback = Callable[[ReaderError], None]
StatusCallback = Callable[[str, bool], None]


@runtime_checkable
class Reader(Protocol):
    """What the app, the CLI and the factory rely on."""

    name: str
    finished: threading.Event
    """Set once the reader has stopped for good (closed, or its source ended)."""

    @property
    def connected(self) -> bool:
        """True while the device is open and being read."""
        ...

    def start(self) -> None:
        """Start reading in the reader's own thread; returns at once."""
        ...

    def close(self) -> None:
        """Stop reading and release the device; idempotent."""
        ...


WedgeInput = Literal["stdin", "keys"]
"""Where wedge scanners are read: ``"stdin"`` (headless) or key events the app feeds."""


@dataclass(frozen=True)
class BuildRequest:
    """What a kind's constructor gets to build the reader of one ``[[readers]]`` entry.

    Each kind names its constructor, ``build(request) -> Reader``, in the registry
    (:mod:`station.core.reader_kinds`); the factory makes the request.
    """

    name: str
    options: Mapping[str, Any]
    """Every key of the kind (defaults filled in), validated against the registry."""
    on_scan: ScanCallback
    on_error: ErrorCallback
    clock: Clock | None = None
    on_status: StatusCallback | None = None
    wedge_input: WedgeInput = "stdin"
    stdin: TextIO | None = None
    """The terminal a ``"stdin"`` wedge reads (``None``: ``sys.stdin``)."""

    @property
    def debounce_seconds(self) -> float:
        """The entry's ``debounce_seconds``."""
        return float(self.options["debounce_seconds"])


Constructor = Callable[[BuildRequest], Reader]
"""The signature of every kind's ``build`` function."""


class ScanEmitter:
    """Debounce raw codes of one reader and hand each new one to ``on_scan`` as a ScanEvent.

    Shared by the thread readers and the key-fed wedge reader, so every reader debounces
    and guards its callback the same way.
    """

    def __init__(
        self,
        name: str,
        source: Source,
        on_scan: ScanCallback,
        clock: Clock,
        debounce_seconds: float = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self.name = name
        self.source = source
        self._on_scan = on_scan
        self._clock = clock
        self._debouncer = Debouncer(debounce_seconds)

    def emit(self, raw: str) -> None:
        """Debounce ``raw`` and hand it to ``on_scan``; a failing callback is logged."""
        if not raw:
            return
        at = self._clock.now()
        if not self._debouncer.accept(raw, at.timestamp(), self.name):
            return
        event = ScanEvent(code=raw, source=self.source, at=at, reader=self.name)
        try:
            self._on_scan(event)
        except Exception:  # the app's callback must not kill the reader thread
            log.exception("on_scan callback of reader %s failed", self.name)


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: ``initial``, then ×``factor`` up to ``maximum``."""

    initial: float = 0.5
    maximum: float = 10.0
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


class ThreadedReader(ABC):
    """Base of the device readers: a thread that opens, reads, and reopens on failure.

    Subclasses implement :meth:`_open` (raise :class:`ReaderError` with a French message
    when the device cannot be opened), :meth:`_read` (read until ``self._stop`` is set;
    raise on failure; return ``True`` when the source is exhausted, e.g. a video file
    ended) and :meth:`_release`. They call :meth:`_emit` with each raw code. Blocking
    reads use a short timeout and check ``self._stop`` so ``close()`` returns promptly.
    """

    source: ClassVar[Source]

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        clock: Clock | None = None,
        debounce_seconds: float = DEFAULT_WINDOW_SECONDS,
        backoff: Backoff | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        self.name = name
        self._on_error = on_error
        self._on_status = on_status
        self._emitter = ScanEmitter(
            name, self.source, on_scan, clock or SystemClock(), debounce_seconds
        )
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False
        self._last_error: str | None = None
        self.finished = threading.Event()
        """Set when the thread has ended (closed, or its source exhausted)."""

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"reader-{self.name}", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- for subclasses -------------------------------------------------------------

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _read(self) -> bool: ...

    @abstractmethod
    def _release(self) -> None: ...

    def _describe(self, exc: BaseException) -> ReaderError:
        """Turn an unexpected library error into a French ReaderError."""
        return ReaderError(f"lecteur « {self.name} » : erreur inattendue ({exc})")

    def _emit(self, raw: str) -> None:
        """Debounce ``raw`` and hand it to ``on_scan`` as a ScanEvent."""
        self._emitter.emit(raw)

    # -- the thread -----------------------------------------------------------------

    def _run(self) -> None:
        delays = self._backoff.delays()
        try:
            while not self._stop.is_set():
                try:
                    self._open()
                except Exception as e:
                    self._report(e)
                    self._stop.wait(next(delays))
                    continue
                delays = self._backoff.delays()
                self._last_error = None
                self._set_connected(True)
                exhausted = False
                try:
                    exhausted = self._read()
                except Exception as e:
                    if not self._stop.is_set():
                        self._report(e)
                finally:
                    self._set_connected(False)
                    self._safe_release()
                if exhausted:
                    break
                if not self._stop.is_set():
                    self._stop.wait(next(delays))
        finally:
            self.finished.set()

    def _safe_release(self) -> None:
        try:
            self._release()
        except Exception:
            log.debug("releasing reader %s failed", self.name, exc_info=True)

    def _set_connected(self, value: bool) -> None:
        if value == self._connected:
            return
        self._connected = value
        if self._on_status is not None:
            try:
                self._on_status(self.name, value)
            except Exception:
                log.exception("on_status callback of reader %s failed", self.name)

    def _report(self, exc: BaseException) -> None:
        error = exc if isinstance(exc, ReaderError) else self._describe(exc)
        log.debug("reader %s: %s", self.name, error.message)
        if error.message == self._last_error:
            return
        self._last_error = error.message
        try:
            self._on_error(error)
        except Exception:
            log.exception("on_error callback of reader %s failed", self.name)
