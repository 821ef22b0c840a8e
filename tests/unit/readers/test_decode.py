"""Decoding committed card images with both decoders, and the confirmation rule."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from station.core.errors import ReaderError
from station.readers import decode as decode_module
from station.readers.decode import ConfirmationFilter, decode, get_decoder

DATA = Path(__file__).parents[2] / "data"
DECODERS = ["zxing", "pyzbar"]


def _gray(name: str) -> np.ndarray:
    image = cv2.imread(str(DATA / name), cv2.IMREAD_GRAYSCALE)
    assert image is not None, name
    return image


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("symbology", ["code128", "code39", "qr"])
def test_committed_card_image_decodes_to_its_number(decoder: str, symbology: str) -> None:
    assert decode(_gray(f"card_{symbology}_1849-01234.png"), decoder) == ["1849-01234"]


@pytest.mark.parametrize("decoder", DECODERS)
def test_bgr_frames_are_accepted_too(decoder: str) -> None:
    bgr = cv2.cvtColor(_gray("card_code128_1849-01234.png"), cv2.COLOR_GRAY2BGR)
    assert decode(bgr, decoder) == ["1849-01234"]


@pytest.mark.parametrize("decoder", DECODERS)
def test_symbologies_cards_do_not_use_are_ignored(decoder: str) -> None:
    # An EAN-13 (a yoghurt pot on the tray) must not become a scan.
    assert decode(_gray("ean13_4006381333931.png"), decoder) == []


@pytest.mark.parametrize("decoder", DECODERS)
def test_blank_frame_decodes_to_nothing(decoder: str) -> None:
    assert decode(np.full((480, 640), 200, np.uint8), decoder) == []


def test_unknown_decoder_is_a_french_error_listing_the_choices() -> None:
    with pytest.raises(ReaderError, match="zxing, pyzbar"):
        decode(np.zeros((10, 10), np.uint8), "tesseract")


def test_missing_libzbar_says_to_apt_install_libzbar0(monkeypatch: pytest.MonkeyPatch) -> None:
    decode_module._pyzbar.cache_clear()
    monkeypatch.setitem(sys.modules, "pyzbar", None)  # import now raises ImportError
    try:
        with pytest.raises(ReaderError, match=r"apt install libzbar0"):
            get_decoder("pyzbar")
    finally:
        decode_module._pyzbar.cache_clear()


FRAME = 1 / 30  # seconds between frames of a 30 fps camera


def test_code_is_confirmed_only_on_its_second_consecutive_frame() -> None:
    confirm = ConfirmationFilter(2)
    assert confirm.feed(["1849-01234"], 0.0) == []
    assert confirm.feed(["1849-01234"], FRAME) == ["1849-01234"]


def test_code_held_in_view_is_confirmed_once_per_streak() -> None:
    confirm = ConfirmationFilter(2)
    out = [confirm.feed(["A"], i * FRAME) for i in range(5)]
    assert out == [[], ["A"], [], [], []]
    assert confirm.feed([], 5 * FRAME) == []
    assert confirm.feed(["A"], 6 * FRAME) == []
    assert confirm.feed(["A"], 7 * FRAME) == ["A"]


def test_single_frame_misread_never_confirms() -> None:
    confirm = ConfirmationFilter(2)
    frames = [["1849-01234"], ["1849-01284"], ["1849-01234"], []]
    assert [c for i, f in enumerate(frames) for c in confirm.feed(f, i * FRAME)] == []


def test_two_cards_in_view_are_confirmed_independently() -> None:
    confirm = ConfirmationFilter(2)
    assert confirm.feed(["A", "B"], 0.0) == []
    assert confirm.feed(["B", "A"], FRAME) == ["B", "A"]
