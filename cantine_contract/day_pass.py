"""The day pass: a card number, signed for one day, shown as a QR code on a parent's phone.

The portal signs it (``portal_sync_api/crud/passes.py``), a station checks it offline with
the school's public key received through the changes feed (``station/core/passes.py``).
Pure functions, no I/O; docs/sync-protocol.md (« Passe du jour ») describes the format.

Payload (ASCII, what the QR code holds and what a scanner types)::

    CQ1.1849-01234.20261130.<103 characters of base32>

- ``CQ1``: format and version;
- ``1849-01234``: the card number, ``SCHOOL-NNNNN``: its prefix names the school;
- ``20261130``: the one day the pass is valid, in the school's time zone;
- the RFC 4648 base32 of the 64-byte Ed25519 signature, padding dropped, over the ASCII
  bytes of everything before it (``CQ1.1849-01234.20261130``): version, school, card and
  day.

Only upper-case letters, digits, ``.`` and ``-``: the QR code's compact alphanumeric mode
holds it (127 characters, a version 6 code, 41 × 41 modules, at error correction M), and a
keyboard-wedge scanner types nothing a keyboard layout turns into another character without
the station being able to turn it back (see ``station/core/passes.py``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = "CQ1"
SEPARATOR = "."
ALGORITHM = "Ed25519"
SIGNATURE_BYTES = 64
SIGNATURE_CHARS = 103
"""Base32 characters of a 64-byte signature without its ``=`` padding."""

_CARD = re.compile(r"([0-9]{1,10})-([0-9]{5})")
_DAY = re.compile(r"[0-9]{8}")


class PassFormatError(ValueError):
    """The text starts like a pass but is not a well-formed one."""


@dataclass(frozen=True)
class DayPass:
    """A parsed pass: its card, the day it is valid and its signature (not yet checked)."""

    card: str
    day: date
    signature: bytes

    @property
    def school(self) -> str:
        """The establishment code: the card's prefix."""
        return self.card.split("-", 1)[0]

    @property
    def signed_text(self) -> str:
        """What the signature covers: version, card (school included) and day."""
        return signed_text(self.card, self.day)


def is_card(card: str) -> bool:
    """True for a card number a pass can carry (``SCHOOL-NNNNN``, digits only)."""
    return _CARD.fullmatch(card) is not None


def signed_text(card: str, day: date) -> str:
    """``CQ1.1849-01234.20261130``: the part of the payload the signature covers."""
    return SEPARATOR.join((VERSION, card, day.strftime("%Y%m%d")))


def looks_like_pass(text: str) -> bool:
    """True when ``text`` claims to be a pass (it starts with ``CQ1.``), well-formed or not."""
    return text.startswith(VERSION + SEPARATOR)


def new_private_key() -> str:
    """Hex of a fresh random 32-byte Ed25519 private key (seed)."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    return raw.hex()


def public_key(private_key: str) -> str:
    """Hex of the raw 32-byte public key matching the hex ``private_key``."""
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key))
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def build(card: str, day: date, private_key: str) -> str:
    """The payload of a pass for ``card`` valid on ``day``, signed with ``private_key``."""
    if not is_card(card):
        raise ValueError(f"card number SCHOOL-NNNNN expected, got {card!r}")
    text = signed_text(card, day)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key))
    return text + SEPARATOR + _base32(key.sign(text.encode("ascii")))


def _base32(data: bytes) -> str:
    """RFC 4648 base32 without its ``=`` padding (not in the QR alphanumeric set)."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def parse(text: str) -> DayPass:
    """The pass ``text`` holds; :class:`PassFormatError` when it is not a well-formed one."""
    parts = text.split(SEPARATOR)
    if len(parts) != 4 or parts[0] != VERSION:
        raise PassFormatError("not a CQ1 pass")
    _version, card, day_text, signature_text = parts
    if not is_card(card) or not _DAY.fullmatch(day_text):
        raise PassFormatError("bad card or day")
    try:
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError as e:
        raise PassFormatError("no such day") from e
    if len(signature_text) != SIGNATURE_CHARS:
        raise PassFormatError("bad signature length")
    try:
        signature = base64.b32decode(signature_text + "=" * (-len(signature_text) % 8))
    except (binascii.Error, ValueError) as e:
        raise PassFormatError("signature is not base32") from e
    if len(signature) != SIGNATURE_BYTES or _base32(signature) != signature_text:
        # The last character carries unused bits: only the canonical spelling is accepted,
        # so no two payloads differ and still verify.
        raise PassFormatError("bad signature encoding")
    return DayPass(card, day, signature)


def verify(day_pass: DayPass, public_key_hex: str) -> bool:
    """True when the pass was signed by the private key of ``public_key_hex``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(day_pass.signature, day_pass.signed_text.encode("ascii"))
    except (InvalidSignature, ValueError):
        return False
    return True
