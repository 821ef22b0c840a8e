"""Scanners read straight from Linux input devices (``kind = "evdev"``); no UI.

Reading the scanner's own ``/dev/input/event*`` device, grabbed exclusively, makes the
keyboard layout of the host irrelevant (key codes are mapped with a US map here, where
scanners are set up) and keeps the scanner's keystrokes out of the terminal. ``device``
is a path (best: ``/dev/input/by-id/usb-…-event-kbd``) or the device's name as
``evdev.list_devices()`` reports it (e.g. ``"Honeywell Scanner"``). The user needs read
access: add it to the ``input`` group or install a udev rule.

:class:`KeyAssembler` is the pure part: fed ``(key code, value)`` pairs it tracks Shift,
ignores key repeats (value 2) and returns completed lines on Enter.
"""

from __future__ import annotations

import os
import select
from typing import Any, ClassVar

from station.core.errors import ReaderError
from station.core.models import Source
from station.readers.base import BuildRequest, ErrorCallback, ScanCallback, ThreadedReader

EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 42, 54
KEY_CAPSLOCK = 58
KEY_ENTER, KEY_KPENTER = 28, 96
ENTER_CODES = frozenset({KEY_ENTER, KEY_KPENTER})
SHIFT_CODES = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})

# Linux input-event-codes.h key code -> (unshifted, shifted) on a US layout.
US_KEYMAP: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"),
    7: ("6", "^"), 8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"),
    12: ("-", "_"), 13: ("=", "+"),
    16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"), 20: ("t", "T"),
    21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"), 25: ("p", "P"),
    26: ("[", "{"), 27: ("]", "}"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"),
    35: ("h", "H"), 36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"), 39: (";", ":"),
    40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"),
    49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"), 53: ("/", "?"),
    57: (" ", " "),
    # Keypad: some scanners send digits there.
    71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 74: ("-", "-"), 75: ("4", "4"),
    76: ("5", "5"), 77: ("6", "6"), 78: ("+", "+"), 79: ("1", "1"), 80: ("2", "2"),
    81: ("3", "3"), 82: ("0", "0"), 83: (".", "."), 55: ("*", "*"), 98: ("/", "/"),
}  # fmt: skip


def key_to_char(code: int, shift: bool = False, caps: bool = False) -> str | None:
    """The character a US layout gives for key ``code``; ``None`` for non-character keys.

    Caps Lock only affects letters, as on a real keyboard.
    """
    pair = US_KEYMAP.get(code)
    if pair is None:
        return None
    plain, shifted = pair
    if plain.isalpha() and caps:
        shift = not shift
    return shifted if shift else plain


class KeyAssembler:
    """Turn key events into scanned lines. Pure: no device, no clock."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length
        self._shift: set[int] = set()
        self._caps = False
        self._line: list[str] = []

    def feed(self, code: int, value: int) -> str | None:
        """Account for one key event; return the completed line on Enter press."""
        if code in SHIFT_CODES:
            if value == KEY_DOWN:
                self._shift.add(code)
            elif value == KEY_UP:
                self._shift.discard(code)
            return None
        if value != KEY_DOWN:  # releases and auto-repeats carry no new character
            return None
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if code in ENTER_CODES:
            line, self._line = "".join(self._line), []
            return line or None
        char = key_to_char(code, bool(self._shift), self._caps)
        if char is not None and len(self._line) < self.max_length:
            self._line.append(char)
        return None


def find_device(spec: str) -> str:
    """The event device path for ``spec``: a path as is, else the device with that name."""
    if spec.startswith("/"):
        return spec
    import evdev

    names = []
    for path in evdev.list_devices():
        try:
            device = evdev.InputDevice(path)
        except OSError:
            continue
        try:
            if device.name == spec:
                return str(path)
            names.append(device.name)
        finally:
            device.close()
    known = ", ".join(f"« {n} »" for n in names) or "aucun (droits insuffisants ?)"
    raise ReaderError(
        f"périphérique d'entrée « {spec} » introuvable : branchez le scanner ; "
        f"périphériques visibles : {known}"
    )


class EvdevReader(ThreadedReader):
    """Read a scanner's input device exclusively; reopen it after an unplug."""

    source: ClassVar[Source] = Source.EVDEV

    def __init__(
        self,
        name: str,
        on_scan: ScanCallback,
        on_error: ErrorCallback,
        *,
        device: str,
        grab: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, on_scan, on_error, **kwargs)
        self.device_spec = device
        self.grab = grab
        self._device: Any = None

    def _open(self) -> None:
        try:
            import evdev
        except ImportError as e:
            raise ReaderError(
                "lecteur evdev indisponible : installez le paquet Python « evdev » "
                "(Linux seulement)"
            ) from e
        path = find_device(self.device_spec)
        try:
            device = evdev.InputDevice(path)
        except FileNotFoundError as e:
            raise ReaderError(
                f"périphérique {path} absent : branchez le scanner (reconnexion automatique)"
            ) from e
        except PermissionError as e:
            raise ReaderError(
                f"périphérique {path} illisible : ajoutez l'utilisateur au groupe input "
                "ou installez une règle udev"
            ) from e
        if self.grab:
            try:
                device.grab()
            except OSError as e:
                device.close()
                raise ReaderError(
                    f"périphérique {path} déjà pris par un autre programme ({e.strerror})"
                ) from e
        self._device = device

    def _read(self) -> bool:
        device = self._device
        assembler = KeyAssembler()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([device.fd], [], [], 0.2)
                if not ready:
                    continue
                events = list(device.read())
            except BlockingIOError:
                continue
            except OSError as e:
                raise ReaderError(
                    f"scanner {self.device_spec} débranché ({os.strerror(e.errno or 0)}) ; "
                    "reconnexion automatique en cours"
                ) from e
            for event in events:
                if event.type == EV_KEY:
                    line = assembler.feed(event.code, event.value)
                    if line:
                        self._emit(line)
        return False

    def _release(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            if self.grab:
                device.ungrab()
        except OSError:
            pass  # already gone (unplugged)
        device.close()


def build(request: BuildRequest) -> EvdevReader:
    """The reader of a ``kind = "evdev"`` entry (the kind's constructor in the registry)."""
    o = request.options
    return EvdevReader(
        request.name,
        request.on_scan,
        request.on_error,
        device=str(o["device"]),
        grab=bool(o["grab"]),
        clock=request.clock,
        debounce_seconds=request.debounce_seconds,
        on_status=request.on_status,
    )
