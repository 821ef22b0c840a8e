"""Day passes scanned at the line: reading the payload and checking it offline; works
without a UI.

A parent's phone shows a QR code holding ``CQ1.<card>.<YYYYMMDD>.<signature>``
(format: ``cantine_contract/day_pass.py``). The camera reads it as any symbol; a
keyboard-wedge scanner types it, and one set to a US layout on an AZERTY host types it
mangled (``CA&:&à"à)...``): as for card codes (``station/core/cards.py``) the station turns
it back, since the payload's alphabet is known.

A pass is checked with the school's public key, received through the changes feed, and
the school's calendar day: no network is needed at the line.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cantine_contract import day_pass
from cantine_contract.day_pass import DayPass, PassFormatError
from station.core.cards import CardCode, parse_card_code
from station.core.models import Reason

# What a US-layout scanner types on an AZERTY host for the payload's characters: the
# digit row unshifted, "-" → ")", "." → ":", and the letters AZERTY moves (A/Q, Z/W, M).
_AZERTY_TO_US = str.maketrans(
    {
        "&": "1",
        "é": "2",
        '"': "3",
        "'": "4",
        "(": "5",
        "-": "6",
        "è": "7",
        "_": "8",
        "ç": "9",
        "à": "0",
        ")": "-",
        ":": ".",
        "A": "Q",
        "Q": "A",
        "Z": "W",
        "W": "Z",
        "?": "M",
    }
)
_AZERTY_PREFIX = (day_pass.VERSION + day_pass.SEPARATOR).translate(str.maketrans("Q1.", "A&:"))


class PassProblem(StrEnum):
    """Why a scanned pass cannot be served."""

    MALFORMED = "malformed"
    """It starts like a pass but is cut, altered or otherwise not well formed."""
    FOREIGN = "foreign"
    """Its card belongs to another school."""
    NO_KEY = "no_key"
    """This station has not received its school's public key yet (not synced since)."""
    BAD_SIGNATURE = "bad_signature"
    """Forged or altered: the signature does not match."""
    OTHER_DAY = "other_day"
    """Genuine, but for another day (a screenshot kept from yesterday)."""


#: The verdict reason of each problem.
PROBLEM_REASON: dict[PassProblem, Reason] = {
    PassProblem.MALFORMED: Reason.PASS_INVALID,
    PassProblem.FOREIGN: Reason.FOREIGN_CARD,
    PassProblem.NO_KEY: Reason.PASS_INVALID,
    PassProblem.BAD_SIGNATURE: Reason.PASS_INVALID,
    PassProblem.OTHER_DAY: Reason.PASS_EXPIRED,
}


@dataclass(frozen=True)
class ScannedPass:
    """A scanned text that claims to be a pass; ``day_pass`` is ``None`` when malformed."""

    day_pass: DayPass | None

    @property
    def card(self) -> CardCode | None:
        """The card the pass names (not to be trusted before :func:`check_pass`)."""
        return parse_card_code(self.day_pass.card) if self.day_pass else None


def _clean(raw: str) -> str:
    """Without control/format characters and surrounding whitespace (scanner noise)."""
    kept = "".join(ch for ch in raw if unicodedata.category(ch) not in ("Cc", "Cf"))
    return kept.strip()


def read_pass(raw: str) -> ScannedPass | None:
    """The pass in scanner text ``raw``, or ``None`` when it is no pass (a card, garbage).

    Never raises. Accepts the payload as typed by a US-layout scanner on an AZERTY host.
    """
    text = _clean(raw)
    if text.startswith(_AZERTY_PREFIX):
        text = text.translate(_AZERTY_TO_US)
    if not day_pass.looks_like_pass(text):
        return None
    try:
        return ScannedPass(day_pass.parse(text))
    except PassFormatError:
        return ScannedPass(None)


def check_pass(
    scanned: ScannedPass, *, school: str, public_key: str | None, today: date
) -> PassProblem | None:
    """Why the pass cannot be served at a line of ``school`` on ``today`` (the school's
    calendar day), or ``None`` when it is genuine and for today.

    The signature is checked before the day, so an altered day is ``bad_signature``,
    never ``other_day``.
    """
    found = scanned.day_pass
    if found is None:
        return PassProblem.MALFORMED
    if found.school != school:
        return PassProblem.FOREIGN
    if public_key is None:
        return PassProblem.NO_KEY
    if not day_pass.verify(found, public_key):
        return PassProblem.BAD_SIGNATURE
    if found.day != today:
        return PassProblem.OTHER_DAY
    return None
