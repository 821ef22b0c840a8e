"""Card code parsing; works without a UI.

A canteen card carries ``SCHOOL-NUMBER`` (e.g. ``1849-01234``): the establishment code,
a dash and a 5-digit card number, printed as a barcode. Scanners add noise (control
characters, Code 39 ``*`` start/stop) and a keyboard-wedge scanner configured for a US
layout on an AZERTY host types the shifted digit row instead of digits. A card printed as
Code 39 may carry the symbology's optional mod 43 check character after the code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CARD_NUMBER_DIGITS = 5

# What a US-layout scanner types on an AZERTY host for "1234567890" and for "-".
_AZERTY_DIGITS = "&é\"'(-è_çà"
_AZERTY_MAP = {ord(k): str((i + 1) % 10) for i, k in enumerate(_AZERTY_DIGITS)} | {ord(")"): "-"}
# "-" is also AZERTY's 6, so it alone does not reveal the layout.
_AZERTY_MARKERS = frozenset("&é\"'(è_çà)")
_AZERTY_ALPHABET = frozenset(_AZERTY_DIGITS) | {")"}

# Code 39 characters in the order of their values, for the optional mod 43 check character.
_CODE39_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"

_SCHOOL_DIGITS_UNDASHED = 4
# With a dash the prefix may be any establishment code; without one, only exactly 4 + 5
# digits can be split unambiguously, so any other digit string is unreadable (DESIGN §3).
_CODE_RE = re.compile(
    rf"([0-9]{{1,10}})-([0-9]{{{CARD_NUMBER_DIGITS}}})"
    rf"|([0-9]{{{_SCHOOL_DIGITS_UNDASHED}}})([0-9]{{{CARD_NUMBER_DIGITS}}})"
)


@dataclass(frozen=True, order=True)
class CardCode:
    """A parsed card code: establishment prefix and 5-digit card number."""

    school: str
    number: str

    def __str__(self) -> str:
        return f"{self.school}-{self.number}"


def _clean(raw: str) -> str:
    """Drop control/format characters anywhere, surrounding whitespace and Code 39 stars."""
    kept = "".join(ch for ch in raw if unicodedata.category(ch) not in ("Cc", "Cf"))
    return kept.strip().strip("*").strip()


def _match(text: str) -> CardCode | None:
    m = _CODE_RE.fullmatch(text)
    if m is None:
        return None
    if m.group(1) is not None:
        return CardCode(m.group(1), m.group(2))
    return CardCode(m.group(3), m.group(4))


def code39_check_character(text: str) -> str | None:
    """The mod 43 check character of ``text``, or ``None`` when Code 39 cannot encode it."""
    values = [_CODE39_CHARSET.find(ch) for ch in text]
    if not text or -1 in values:
        return None
    return _CODE39_CHARSET[sum(values) % 43]


def _match_with_check(text: str) -> CardCode | None:
    """The card of a Code 39 text ending with its right mod 43 check character.

    A pure digit string never qualifies: one of length 10 could otherwise pass for 4 + 5
    digits plus a check digit, and only exactly 4 + 5 digits are readable without a dash.
    """
    if text.isdigit() or len(text) < 2:
        return None
    body, check = text[:-1], text[-1]
    if code39_check_character(body) != check:
        return None
    return _match(body)


def looks_azerty(raw: str) -> bool:
    """True when the input carries characters of the AZERTY-shifted digit row."""
    return any(ch in _AZERTY_MARKERS for ch in raw)


def parse_card_code(raw: str) -> CardCode | None:
    """Parse what a scanner produced into a ``CardCode``, or ``None`` when unreadable.

    Never raises, whatever the text. Accepts ``1849-01234``, ``184901234`` (exactly 4 + 5
    digits when there is no dash), surrounding
    whitespace and control characters, Code 39 ``*`` and its mod 43 check character
    (``1849-00042L``: a wrong one makes the code unreadable) and the AZERTY-shifted digit
    row (``)`` standing for the dash).
    """
    text = _clean(raw)
    if not text:
        return None
    if looks_azerty(text) or (text and set(text) <= _AZERTY_ALPHABET):
        # Only the shifted alphabet may appear: a mix with real digits is garbage.
        if not set(text) <= _AZERTY_ALPHABET:
            return None
        return _match(text.translate(_AZERTY_MAP))
    return _match(text) or _match_with_check(text)


def sanitize_raw(raw: str, limit: int = 64) -> str:
    """Printable, truncated form of scanner input for logs and the scan journal."""
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in raw[:limit])
    return shown + ("…" if len(raw) > limit else "")
