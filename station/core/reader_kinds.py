"""The reader kinds, one entry each: the one place that says what a kind is; works without a UI.

A ``[[readers]]`` entry of the station config names a ``kind``. Everything the station
knows about a kind is its :class:`ReaderKind` in :data:`READER_KINDS`, as Harlequin's
adapters declare their options:

- its keys (name, type, default, allowed values, French help): config validation
  (:func:`station.core.config.parse_config`) checks every entry against them;
- its constructor: the factory (:func:`station.readers.factory.build_reader`) calls it with
  a :class:`station.readers.base.BuildRequest` and gets the reader;
- its doctor probe: ``station doctor`` (:func:`station.doctor.readers.check_readers`) calls
  it with a label and the entry's options and gets findings.

Adding a kind means writing its reader module (with its ``build`` function) and its probe,
then adding one entry below; config validation, the factory and the doctor need no edit.

Why the constructor and the probe are *named* (``"module:attribute"``) rather than
imported: config validation belongs to the core, and the core imports no I/O library (the
layering test imports the whole of ``station/core`` in a fresh interpreter). Reader
modules and probes import pyserial, OpenCV, evdev and the decoders. Naming them keeps the
whole declaration of a kind in one importable entry, and :func:`load` imports a kind's
module only when a reader of that kind is built or checked, so a station with a serial
scanner never loads OpenCV. A test resolves every name, so a typo fails the tests, not a
station.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REQUIRED: Any = ...
"""The default of a key that must be written in the entry."""


@dataclass(frozen=True)
class ReaderKey:
    """One key a ``[[readers]]`` entry may hold."""

    name: str
    value_type: type
    """``str``, ``int``, ``float`` or ``bool``; an ``int`` is accepted for a ``float``."""
    help: str
    """What the key means, in French (for the people who write the config)."""
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    """Allowed values of a text key (empty: any). Matched ignoring case, kept as declared."""

    def __post_init__(self) -> None:
        if self.choices and (
            self.value_type is not str or not (self.required or self.default in self.choices)
        ):
            raise ValueError(f"{self.name}: choices need a text key whose default is one")

    @property
    def required(self) -> bool:
        """True when the entry must give this key (no default)."""
        return self.default is REQUIRED

    def choice(self, value: str) -> str | None:
        """The declared spelling of ``value`` when it is allowed (``"crlf"`` is ``"CRLF"``)."""
        if not self.choices:
            return value
        return next((c for c in self.choices if c.casefold() == value.casefold()), None)


COMMON_KEYS: tuple[ReaderKey, ...] = (
    ReaderKey("kind", str, "type de lecteur (obligatoire)"),
    ReaderKey(
        "name",
        str,
        "nom du lecteur affiché à l'écran et par `station listen` (par défaut « TYPE-N »)",
        default="",
    ),
    ReaderKey(
        "debounce_seconds",
        float,
        "le même code relu dans ce délai (en secondes) ne compte qu'une fois",
        default=3.0,
    ),
)
"""The keys every kind accepts."""


@dataclass(frozen=True)
class ReaderKind:
    """Everything that makes one kind of reader: its keys, constructor and doctor probe."""

    name: str
    help: str
    """What the kind is, in French."""
    keys: tuple[ReaderKey, ...]
    """The kind's own keys (the :data:`COMMON_KEYS` come on top)."""
    constructor: str
    """``"module:function"``: ``function(BuildRequest) -> Reader``."""
    probe: str
    """``"module:function"``: ``function(label, options) -> list[Finding]`` (doctor)."""

    def __post_init__(self) -> None:
        names = [k.name for k in COMMON_KEYS + self.keys]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a key is declared twice in {names}")

    @property
    def all_keys(self) -> dict[str, ReaderKey]:
        """Every key an entry of this kind may hold, common keys first."""
        return {k.name: k for k in COMMON_KEYS + self.keys}

    def defaults(self) -> dict[str, Any]:
        """The value of every key that has a default."""
        return {k.name: k.default for k in self.all_keys.values() if not k.required}

    def with_defaults(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` completed with the defaults of the keys it does not give."""
        return self.defaults() | dict(options)


READER_KINDS: dict[str, ReaderKind] = {
    kind.name: kind
    for kind in (
        ReaderKind(
            "wedge",
            "scanner USB qui tape comme un clavier (keyboard wedge) dans le terminal du poste",
            (
                ReaderKey(
                    "max_interval_ms",
                    int,
                    "frappes plus espacées que ce délai (en millisecondes) : une personne "
                    "qui tape, pas un scanner",
                    default=50,
                ),
                ReaderKey(
                    "min_length", int, "plus courte rafale acceptée comme une carte", default=6
                ),
            ),
            constructor="station.readers.wedge:build",
            probe="station.doctor.readers:probe_wedge",
        ),
        ReaderKind(
            "evdev",
            "scanner USB lu directement sur son périphérique d'entrée, pris en exclusivité",
            (
                ReaderKey(
                    "device",
                    str,
                    "chemin du périphérique d'entrée (de préférence le lien udev stable) "
                    "ou son nom tel que l'affiche `station listen` (obligatoire)",
                ),
                ReaderKey(
                    "grab",
                    bool,
                    "prendre le périphérique en exclusivité : ses frappes n'atteignent pas "
                    "la console",
                    default=True,
                ),
            ),
            constructor="station.readers.evdev:build",
            probe="station.doctor.readers:probe_evdev",
        ),
        ReaderKind(
            "serial",
            "scanner série (RS-232, ou USB en mode port COM virtuel)",
            (
                ReaderKey(
                    "port",
                    str,
                    "port série, de préférence /dev/serial/by-id/… ; toute URL pyserial "
                    "convient (loop://, socket://…) (obligatoire)",
                ),
                ReaderKey(
                    "baudrate", int, "vitesse réglée sur le scanner (en bauds)", default=9600
                ),
                ReaderKey(
                    "terminator",
                    str,
                    "ce qui termine chaque code : CR, LF ou CRLF",
                    default="CR",
                    choices=("CR", "LF", "CRLF"),
                ),
            ),
            constructor="station.readers.serial:build",
            probe="station.doctor.readers:probe_serial",
        ),
        ReaderKind(
            "camera",
            "caméra qui lit le code-barres ou le QR code de la carte",
            (
                ReaderKey(
                    "device",
                    str,
                    "index de la caméra (« 0 »), chemin du périphérique (de préférence "
                    "/dev/v4l/by-id/…) ou fichier vidéo",
                    default="0",
                ),
                ReaderKey(
                    "decoder",
                    str,
                    "décodeur : zxing (zxing-cpp, rien à installer) ou pyzbar (demande "
                    "« apt install libzbar0 »)",
                    default="zxing",
                    choices=("zxing", "pyzbar"),
                ),
                ReaderKey(
                    "confirm_frames",
                    int,
                    "un code est accepté après avoir été lu à l'identique dans ce nombre "
                    "d'images (pas forcément consécutives) en moins de confirm_window secondes",
                    default=2,
                ),
                # Same default as station.readers.decode.DEFAULT_CONFIRM_WINDOW (the core
                # imports no reader module; a test keeps the two equal).
                ReaderKey(
                    "confirm_window",
                    float,
                    "délai (en secondes) dans lequel un code doit être relu à l'identique "
                    "pour être accepté ; une autre lecture entre les deux remet à zéro",
                    default=0.5,
                ),
                # Same default as station.readers.pipeline.DEFAULT_BUDGET.
                ReaderKey(
                    "frame_budget",
                    float,
                    "temps de décodage au plus par image (en secondes) : au-delà, les "
                    "essais suivants (code redressé, renforcé) attendent l'image suivante",
                    default=0.03,
                ),
                ReaderKey(
                    "width", int, "largeur de capture demandée à la caméra (pixels)", default=640
                ),
                ReaderKey(
                    "height", int, "hauteur de capture demandée à la caméra (pixels)", default=480
                ),
            ),
            constructor="station.readers.camera:build",
            probe="station.doctor.readers:probe_camera",
        ),
    )
}
"""Every kind the station can read from, in the order error messages list them."""


def key_table(keys: Iterable[ReaderKey]) -> dict[str, tuple[type, Any]]:
    """``{name: (type, default)}``: the form config validation checks any section with."""
    return {k.name: (k.value_type, k.default) for k in keys}


def load(reference: str) -> Any:
    """The object a ``"module:attribute"`` reference names, importing its module now."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
