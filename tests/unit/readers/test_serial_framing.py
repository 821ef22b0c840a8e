import pytest

from station.core.errors import ReaderError
from station.readers.serial import LineFramer, terminator_bytes


def test_frame_split_across_reads_is_assembled() -> None:
    f = LineFramer(b"\r")
    assert f.feed(b"1849-") == []
    assert f.feed(b"012") == []
    assert f.feed(b"34\r") == ["1849-01234"]


def test_several_frames_in_one_read_come_out_in_order() -> None:
    f = LineFramer(b"\r")
    assert f.feed(b"1849-00001\r1849-00002\r1849-0") == ["1849-00001", "1849-00002"]
    assert f.feed(b"0003\r") == ["1849-00003"]


def test_crlf_terminator_split_between_reads() -> None:
    f = LineFramer(b"\r\n")
    assert f.feed(b"1849-01234\r") == []
    assert f.feed(b"\n") == ["1849-01234"]


def test_stray_lf_after_cr_terminator_does_not_make_an_empty_or_dirty_frame() -> None:
    f = LineFramer(b"\r")
    assert f.feed(b"1849-00001\r\n1849-00002\r\n") == ["1849-00001", "1849-00002"]


def test_invalid_bytes_become_replacement_characters_not_an_exception() -> None:
    f = LineFramer(b"\r")
    (frame,) = f.feed(b"\xff\xfe18\x00\r")
    assert frame.startswith("\ufffd")


def test_garbage_without_terminator_is_bounded_and_dropped_up_to_next_terminator() -> None:
    f = LineFramer(b"\r", max_bytes=64)
    for _ in range(1000):
        assert f.feed(b"\x13garbage" * 10) == []
        assert f.pending <= 64
    assert f.feed(b"tail-of-garbage\r1849-01234\r") == ["1849-01234"]
    assert f.discarded == 1


def test_overflow_keeps_a_partial_crlf_terminator() -> None:
    f = LineFramer(b"\r\n", max_bytes=8)
    assert f.feed(b"x" * 20 + b"\r") == []
    assert f.feed(b"\n1849-01234\r\n") == ["1849-01234"]


@pytest.mark.parametrize(("name", "expected"), [("CR", b"\r"), ("lf", b"\n"), ("CRLF", b"\r\n")])
def test_terminator_names(name: str, expected: bytes) -> None:
    assert terminator_bytes(name) == expected


def test_unknown_terminator_is_a_french_reader_error() -> None:
    with pytest.raises(ReaderError, match="terminateur"):
        terminator_bytes("TAB")
