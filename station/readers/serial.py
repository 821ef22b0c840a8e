"""Serial barcode scanners (``kind = "serial"``) over pyserial; works without a UI.

Framing is separate from transport, as in pyserial's ``serial.threaded.LineReader``:
:class:`LineFramer` is a pure ``feed(bytes) -> list[str]`` and :class:`SerialReader` is
the thread that reads bytes from the port and feeds it.

Configure the port by its stable ``/dev/serial/by-id/usb-…`` path rather than
``/dev/ttyACM0``: the by-id symlink names the scanner itself and follows it to whatever
``ttyACM*`` it gets after an unplug/replug, which is what the reconnect relies on. Any
pyserial URL works too (``loop://``, ``socket://host:port``, ``rfc2217://…``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import serial

from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.base import BuildRequest, ErrorCallback, ScanCallback, ThreadedReader

TERMINATORS: dict[str, bytes] = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
MAX_FRAME_BYTES = 256


def terminator_bytes(name: str) -> bytes:
    """The bytes of a configured terminator name (``CR``, ``LF`` or ``CRLF``)."""
    try:
        return TERMINATORS[name.upper()]
    except KeyError:
        raise ReaderError(
            f"terminateur série inconnu « {name} » (valeurs possibles : CR, LF, CRLF)"
        ) from None


class LineFramer:
    """Split a byte stream into frames on a terminator. Pure; holds only the partial frame.

    Frames are decoded as UTF-8 (invalid bytes become U+FFFD, which the card parser
    refuses) and stripped of surrounding whitespace; empty frames are dropped. A stray
    ``\\n`` after a ``CR`` terminator (scanner set to CRLF, station to CR) is whitespace.
    The buffer is bounded: garbage without a terminator longer than ``max_bytes`` is
    discarded up to the next terminator instead of growing forever.
    """

    def __init__(self, terminator: bytes = b"\r", max_bytes: int = MAX_FRAME_BYTES) -> None:
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.terminator = terminator
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._overflowed = False
        self.discarded = 0
        """How many over-long frames were dropped (for diagnostics)."""

    def feed(self, data: bytes) -> list[str]:
        """Add ``data`` and return the frames it completed, in order."""
        self._buffer += data
        frames: list[str] = []
        while True:
            index = self._buffer.find(self.terminator)
            if index < 0:
                break
            raw = bytes(self._buffer[:index])
            del self._buffer[: index + len(self.terminator)]
            if self._overflowed:
                self._overflowed = False
                continue
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                frames.append(text)
        if len(self._buffer) > self.max_bytes:
            # Keep a possible partial terminator at the end so it still matches.
            keep = len(self.terminator) - 1
            self._buffer = self._buffer[len(self._buffer) - keep :] if keep else bytearray()
            if not self._overflowed:
                self.discarded += 1
            self._overflowed = True
        return frames

    @property
    def pending(self) -> int:
        """Bytes held waiting for a terminator."""
        return len(self._buffer)


class SerialReader(ThreadedReader):
    """Read a serial scanner; reopen the port with backoff after an unplug."""

    source: ClassVar[Source] = Source.SERIAL

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        port: str,
        baudrate: int = 9600,
        terminator: str = "CR",
        read_timeout: float = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, on_scan, on_error, **kwargs)
        self.port = port
        self.baudrate = baudrate
        self._terminator = terminator_bytes(terminator)
        self._read_timeout = read_timeout
        self._serial: Any = None

    def _open(self) -> None:
        try:
            self._serial = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=self._read_timeout
            )
        except (serial.SerialException, OSError, ValueError) as e:
            raise ReaderError(
                f"port série « {self.port} » impossible à ouvrir ({e}) : vérifiez le câble, "
                "le chemin (de préférence /dev/serial/by-id/…) et que l'utilisateur est "
                "dans le groupe dialout"
            ) from e

    def _read(self) -> bool:
        framer = LineFramer(self._terminator)
        port = self._serial
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as e:
                # TypeError/AttributeError: the port was closed under us by close().
                if self._stop.is_set():
                    return False
                raise ReaderError(
                    f"port série « {self.port} » perdu ({e}) : scanner débranché ? "
                    "Reconnexion automatique en cours"
                ) from e
            for frame in framer.feed(data):
                self._emit(frame)
        return False

    def _release(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            port.close()


def build(request: BuildRequest) -> SerialReader:
    """The reader of a ``kind = "serial"`` entry (the kind's constructor in the registry)."""
    o = request.options
    return SerialReader(
        request.name,
        request.on_scan,
        request.on_error,
        port=str(o["port"]),
        baudrate=int(o["baudrate"]),
        terminator=str(o["terminator"]),
        clock=request.clock,
        debounce_seconds=request.debounce_seconds,
        on_status=request.on_status,
    )
