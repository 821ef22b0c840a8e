"""A card printed as Code 39 with its mod 43 check character reads as the card itself."""

from __future__ import annotations

import pytest

from station.core.cards import CardCode, code39_check_character, parse_card_code


def test_check_character_is_the_sum_of_code39_values_modulo_43() -> None:
    # 1+8+4+9 + 36 ("-") + 0+0+0+4+2 = 64; 64 mod 43 = 21, the value of "L".
    assert code39_check_character("1849-00042") == "L"
    assert code39_check_character("1849-01234") == "P"  # 22 + 36 + 10 = 68; 68 mod 43 = 25
    assert code39_check_character("") is None
    assert code39_check_character("18é9") is None


@pytest.mark.parametrize("raw", ["1849-00042L", "*1849-00042L*", " 1849-00042L\r\n", "184900042S"])
def test_code_followed_by_its_right_check_character_parses_to_the_code(raw: str) -> None:
    # Undashed, "184900042" sums to 28: its check character is "S".
    assert parse_card_code(raw) == CardCode("1849", "00042")


@pytest.mark.parametrize("raw", ["1849-00042M", "1849-00042K", "1849-000420", "1849-00042l"])
def test_code_followed_by_a_wrong_check_character_is_unreadable(raw: str) -> None:
    assert parse_card_code(raw) is None


def test_digit_string_stays_unreadable_even_when_its_last_digit_is_a_valid_check() -> None:
    # "1000000001": "100000000" sums to 1, whose check character is "1"; as pure digits it
    # is ten digits long, not 4 + 5, so it stays unreadable.
    assert code39_check_character("100000000") == "1"
    assert parse_card_code("1000000001") is None


def test_dashed_code_with_a_digit_check_character_parses() -> None:
    # "1111-11111": 4 + 36 + 5 = 45; 45 mod 43 = 2, so its check character is the digit "2".
    assert code39_check_character("1111-11111") == "2"
    assert parse_card_code("1111-111112") == CardCode("1111", "11111")
    assert parse_card_code("1111-111111") is None
