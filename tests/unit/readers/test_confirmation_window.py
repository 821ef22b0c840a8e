"""The confirmation rule over time: two identical reads within the window, nothing else."""

from __future__ import annotations

import pytest

from station.readers.decode import ConfirmationFilter

FRAME = 1 / 30


def test_single_read_is_never_accepted() -> None:
    confirm = ConfirmationFilter(2, window=0.5)
    out = [confirm.feed(["1849-00042"], 0.0)] + [confirm.feed([], i * FRAME) for i in range(1, 60)]
    assert out == [[]] * 60


def test_two_identical_reads_within_the_window_are_accepted_once_despite_missed_frames() -> None:
    confirm = ConfirmationFilter(2, window=0.5)
    assert confirm.feed(["1849-00042"], 0.0) == []
    assert confirm.feed([], FRAME) == []
    assert confirm.feed([], 2 * FRAME) == []
    assert confirm.feed(["1849-00042"], 3 * FRAME) == ["1849-00042"]
    assert confirm.feed(["1849-00042"], 4 * FRAME) == []


def test_reads_further_apart_than_the_window_are_not_accepted() -> None:
    confirm = ConfirmationFilter(2, window=0.5)
    assert confirm.feed(["1849-00042"], 0.0) == []
    assert confirm.feed(["1849-00042"], 0.6) == []
    assert confirm.feed(["1849-00042"], 0.9) == ["1849-00042"]  # within 0.5 s of 0.6


def test_one_read_then_a_different_read_accepts_nothing() -> None:
    confirm = ConfirmationFilter(2, window=0.5)
    assert confirm.feed(["1849-00042"], 0.0) == []
    assert confirm.feed(["1849-00043"], FRAME) == []
    assert confirm.feed([], 2 * FRAME) == []


def test_a_different_read_in_between_cancels_the_first() -> None:
    confirm = ConfirmationFilter(2, window=0.5)
    assert confirm.feed(["1849-00042"], 0.0) == []
    assert confirm.feed(["1849-00043"], FRAME) == []
    assert confirm.feed(["1849-00042"], 2 * FRAME) == []
    assert confirm.feed(["1849-00042"], 3 * FRAME) == ["1849-00042"]


def test_three_frames_required_when_configured() -> None:
    confirm = ConfirmationFilter(3, window=0.5)
    assert [confirm.feed(["A"], i * FRAME) for i in range(3)] == [[], [], ["A"]]


@pytest.mark.parametrize(("frames", "window"), [(0, 0.5), (2, -1.0)])
def test_nonsense_settings_are_refused(frames: int, window: float) -> None:
    with pytest.raises(ValueError):
        ConfirmationFilter(frames, window)
