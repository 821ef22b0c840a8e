"""Key code -> character mapping of the evdev reader (pure, runs everywhere)."""

from __future__ import annotations

from station.readers.evdev import (
    KEY_DOWN,
    KEY_ENTER,
    KEY_LEFTSHIFT,
    KEY_REPEAT,
    KEY_UP,
    KeyAssembler,
    key_to_char,
)

# US key codes for the characters of a card code.
CODES = {"1": 2, "8": 9, "4": 5, "9": 10, "-": 12, "0": 11, "2": 3, "3": 4}


def _press(asm: KeyAssembler, code: int) -> str | None:
    first = asm.feed(code, KEY_DOWN)
    assert asm.feed(code, KEY_UP) is None
    return first


def test_digit_row_maps_to_digits_whatever_the_host_layout() -> None:
    assert [key_to_char(c) for c in range(2, 12)] == list("1234567890")
    assert key_to_char(12) == "-"


def test_shift_gives_the_us_shifted_symbol() -> None:
    assert key_to_char(2, shift=True) == "!"
    assert key_to_char(30, shift=True) == "A"
    assert key_to_char(12, shift=True) == "_"


def test_caps_lock_affects_letters_only() -> None:
    assert key_to_char(30, caps=True) == "A"
    assert key_to_char(30, shift=True, caps=True) == "a"
    assert key_to_char(2, caps=True) == "1"


def test_non_character_keys_map_to_none() -> None:
    assert key_to_char(KEY_ENTER) is None
    assert key_to_char(1) is None  # Escape


def test_key_presses_then_enter_make_one_line() -> None:
    asm = KeyAssembler()
    assert [_press(asm, CODES[ch]) for ch in "1849-01234"] == [None] * 10
    assert _press(asm, KEY_ENTER) == "1849-01234"


def test_held_shift_is_tracked_across_events() -> None:
    asm = KeyAssembler()
    asm.feed(KEY_LEFTSHIFT, KEY_DOWN)
    _press(asm, 46)  # c
    asm.feed(KEY_LEFTSHIFT, KEY_UP)
    _press(asm, 46)
    assert _press(asm, KEY_ENTER) == "Cc"


def test_key_repeat_events_add_nothing() -> None:
    asm = KeyAssembler()
    asm.feed(CODES["1"], KEY_DOWN)
    for _ in range(5):
        asm.feed(CODES["1"], KEY_REPEAT)
    asm.feed(CODES["1"], KEY_UP)
    assert _press(asm, KEY_ENTER) == "1"


def test_lone_enter_is_not_a_scan() -> None:
    assert _press(KeyAssembler(), KEY_ENTER) is None


def test_line_length_is_bounded() -> None:
    asm = KeyAssembler(max_length=16)
    for _ in range(1000):
        _press(asm, CODES["8"])
    assert _press(asm, KEY_ENTER) == "8" * 16
