"""A card code typed without its dash is only readable as exactly 4 + 5 digits."""

from __future__ import annotations

import pytest

from station.core.cards import CardCode, parse_card_code


@pytest.mark.parametrize(
    "raw", ["18491234567", "1849123456", "18490123", "1234567890", "*18491234567*"]
)
def test_digit_string_of_other_length_than_nine_is_unreadable(raw: str) -> None:
    assert parse_card_code(raw) is None


@pytest.mark.parametrize("raw", ["&_'ç&é\"'(è_", "&_'ç&é\"'"])
def test_azerty_digit_string_of_other_length_than_nine_is_unreadable(raw: str) -> None:
    assert parse_card_code(raw) is None


def test_nine_digits_read_as_four_digit_school_and_five_digit_number() -> None:
    assert parse_card_code("184901234") == CardCode("1849", "01234")


def test_dashed_code_keeps_its_school_prefix_whatever_its_length() -> None:
    assert parse_card_code("18491-23456") == CardCode("18491", "23456")
