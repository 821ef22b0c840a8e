"""Card code parsing (docs/design.md §3)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from station.core.cards import CardCode, parse_card_code, sanitize_raw

US_TO_AZERTY = str.maketrans("1234567890-", "&é\"'(-è_çà)")


@pytest.mark.parametrize(
    "raw",
    [
        "1849-01234",
        "184901234",
        "  1849-01234\r\n",
        "\x021849-01234\x03",
        "*1849-01234*",
        " *184901234* ",
        "&_'ç)à&é\"'",  # 1849-01234 typed by a US-layout scanner on an AZERTY host
        "&_'çà&é\"'",  # same, without the dash
    ],
)
def test_every_accepted_form_parses_to_the_same_code(raw: str) -> None:
    assert parse_card_code(raw) == CardCode("1849", "01234")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "1849-1234",
        "1849-012345x",
        "abc",
        "1849--01234",
        "12345",
        "1849 01234",
        "١٨٤٩-٠١٢٣٤",
        "&_'ç)à&é\"4",
        "1849-0123&",
    ],
)
def test_garbage_is_unreadable(raw: str) -> None:
    assert parse_card_code(raw) is None


def test_dash_alone_in_azerty_is_six_not_separator() -> None:
    # "-" is AZERTY's 6; ")" is the dash.
    assert parse_card_code("&_'ç)-----") == CardCode("1849", "66666")


@given(st.text())
def test_parser_never_raises_on_any_text(raw: str) -> None:
    result = parse_card_code(raw)
    assert result is None or isinstance(result, CardCode)


@given(
    school=st.from_regex(r"[0-9]{1,8}", fullmatch=True),
    number=st.from_regex(r"[0-9]{5}", fullmatch=True),
    dash=st.booleans(),
    azerty=st.booleans(),
    stars=st.booleans(),
    before=st.sampled_from(["", " ", "\t", "\x02", "\r\n"]),
    after=st.sampled_from(["", " ", "\r", "\n", "\x03", "\r\n"]),
)
def test_every_valid_card_in_any_accepted_form_parses_back(
    school: str, number: str, dash: bool, azerty: bool, stars: bool, before: str, after: str
) -> None:
    # Without a dash only a 4-digit school splits unambiguously (see test_card_digit_length).
    assume(dash or len(school) == 4)
    text = f"{school}-{number}" if dash else f"{school}{number}"
    if azerty:
        text = text.translate(US_TO_AZERTY)
    if stars:
        text = f"*{text}*"
    assert parse_card_code(before + text + after) == CardCode(school, number)


def test_sanitized_raw_input_is_printable_and_truncated() -> None:
    shown = sanitize_raw("\x1b[2J" + "9" * 100, limit=10)
    assert shown.isprintable()
    assert len(shown) == 11 and shown.endswith("…")
