"""Day passes read and checked offline (``station/core/passes.py``, format in
``cantine_contract/day_pass.py``): today's genuine pass passes, yesterday's is expired, any
altered character makes it invalid, another school's is foreign, garbage is no pass."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from cantine_contract import day_pass
from station.core.cards import CardCode, parse_card_code
from station.core.models import Reason
from station.core.passes import (
    PROBLEM_REASON,
    PassProblem,
    ScannedPass,
    check_pass,
    read_pass,
)

TODAY = date(2026, 11, 30)
PRIVATE = day_pass.new_private_key()
PUBLIC = day_pass.public_key(PRIVATE)
# What a scanner set to a US layout types on an AZERTY host, key for key.
_US_TO_AZERTY = str.maketrans("1234567890-.QAWZM", "&é\"'(-è_çà):AQZW?")


def _payload(card: str = "1849-01234", day: date = TODAY, key: str = PRIVATE) -> str:
    return day_pass.build(card, day, key)


def _check(raw: str, *, public_key: str | None = PUBLIC) -> PassProblem | None:
    scanned = read_pass(raw)
    assert scanned is not None, raw
    return check_pass(scanned, school="1849", public_key=public_key, today=TODAY)


BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SIGNATURE_START = len("CQ1.1849-01234.20261130.")


def _changed(text: str, index: int) -> str:
    """``text`` with the character at ``index`` replaced by the next one of its alphabet
    (digits before the signature, base32 in it)."""
    alphabet = BASE32 if index >= SIGNATURE_START else "0123456789"
    new = alphabet[(alphabet.index(text[index]) + 1) % len(alphabet)]
    return text[:index] + new + text[index + 1 :]


def test_todays_genuine_pass_is_fine_and_names_its_card() -> None:
    scanned = read_pass(_payload())
    assert scanned is not None
    assert scanned.card == CardCode("1849", "01234")
    assert check_pass(scanned, school="1849", public_key=PUBLIC, today=TODAY) is None


def test_yesterdays_pass_is_expired() -> None:
    problem = _check(_payload(day=TODAY - timedelta(days=1)))
    assert problem is PassProblem.OTHER_DAY
    assert PROBLEM_REASON[problem] is Reason.PASS_EXPIRED


def test_tomorrows_pass_is_not_for_today_either() -> None:
    assert _check(_payload(day=TODAY + timedelta(days=1))) is PassProblem.OTHER_DAY


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param(13, {PassProblem.BAD_SIGNATURE}, id="card digit"),
        pytest.param(20, {PassProblem.BAD_SIGNATURE}, id="month digit"),
        pytest.param(SIGNATURE_START, {PassProblem.BAD_SIGNATURE}, id="signature first"),
        pytest.param(90, {PassProblem.BAD_SIGNATURE}, id="signature middle"),
        # The last character's unused bits: a change there is either a wrong signature
        # or a non-canonical spelling, refused before any check.
        pytest.param(126, {PassProblem.BAD_SIGNATURE, PassProblem.MALFORMED}, id="signature last"),
    ],
)
def test_any_character_changed_makes_the_pass_invalid(
    where: int, expected: set[PassProblem]
) -> None:
    original = _payload()
    altered = _changed(original, where)
    assert altered != original and len(altered) == len(original)
    problem = _check(altered)
    assert problem in expected
    assert problem is not None and PROBLEM_REASON[problem] is Reason.PASS_INVALID


def test_a_changed_school_digit_names_another_school() -> None:
    assert _check(_changed(_payload(), 4)) is PassProblem.FOREIGN


def test_an_altered_day_is_invalid_not_merely_expired() -> None:
    original = _payload()
    yesterday = (TODAY - timedelta(days=1)).strftime("%Y%m%d")
    altered = original.replace(TODAY.strftime("%Y%m%d"), yesterday)
    assert _check(altered) is PassProblem.BAD_SIGNATURE


def test_a_pass_signed_with_another_key_is_invalid() -> None:
    forged = _payload(key=day_pass.new_private_key())
    assert _check(forged) is PassProblem.BAD_SIGNATURE


def test_a_pass_of_another_school_is_a_foreign_card() -> None:
    other = _payload(card="1850-01234")
    problem = _check(other)
    assert problem is PassProblem.FOREIGN
    assert PROBLEM_REASON[problem] is Reason.FOREIGN_CARD


def test_without_the_schools_key_a_pass_cannot_be_checked() -> None:
    problem = _check(_payload(), public_key=None)
    assert problem is PassProblem.NO_KEY
    assert PROBLEM_REASON[problem] is Reason.PASS_INVALID


@pytest.mark.parametrize(
    "raw",
    [
        "CQ1.",
        "CQ1.1849-01234.20261130",
        "CQ1.1849-01234.20261130.AAAA",
        "CQ1.1849-01234.20261131." + "A" * 103,  # 31 November
        "CQ1.1849-0123.20261130." + "A" * 103,
        "CQ1.1849-01234.20261130." + "1" * 103,  # not base32
    ],
)
def test_a_cut_or_malformed_pass_is_a_pass_but_invalid(raw: str) -> None:
    assert read_pass(raw) == ScannedPass(None)
    assert _check(raw) is PassProblem.MALFORMED


def test_a_non_canonical_last_signature_character_is_refused() -> None:
    # The last base32 character holds 5 bits of which only 2 are used: flipping an unused
    # one would decode to the same signature, so only the canonical spelling is read.
    original = _payload()
    last = BASE32.index(original[-1])
    twin = original[:-1] + BASE32[last ^ 1]
    assert read_pass(twin) == ScannedPass(None)


@pytest.mark.parametrize("raw", ["", "bonjour", "*****", "CQ2.1849-01234", "1849-01234x", "é&"])
def test_garbage_is_no_pass_and_no_card(raw: str) -> None:
    assert read_pass(raw) is None
    assert parse_card_code(raw) is None


def test_a_card_code_is_no_pass() -> None:
    assert read_pass("1849-01234") is None


def test_scanner_noise_around_a_pass_is_dropped() -> None:
    scanned = read_pass("\x02 " + _payload() + "\r\n")
    assert scanned is not None and scanned.day_pass is not None


def test_a_pass_typed_by_a_us_layout_scanner_on_an_azerty_host_reads_back() -> None:
    payload = _payload()
    typed = payload.translate(_US_TO_AZERTY)
    assert typed.startswith("CA&:&")
    scanned = read_pass(typed)
    assert scanned is not None and scanned.day_pass is not None
    assert scanned.day_pass.signed_text + "." in payload
    assert check_pass(scanned, school="1849", public_key=PUBLIC, today=TODAY) is None


def test_the_payload_fits_a_small_alphanumeric_qr_code() -> None:
    payload = _payload()
    assert re.fullmatch(r"CQ1\.1849-01234\.20261130\.[A-Z2-7]{103}", payload)
    assert len(payload) == 127
