from station.readers.wedge import WedgeDetector


def _type(det: WedgeDetector, text: str, start: float, interval: float):
    """Feed each character then Enter; returns decisions."""
    out = []
    t = start
    for ch in text:
        out.append(det.feed(ch, t))
        t += interval
    out.append(det.feed("enter", t))
    return out


def test_fast_burst_ending_with_enter_is_a_scan_and_every_key_is_swallowed() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    decisions = _type(det, "1849-01234", 10.0, 0.008)
    assert decisions[-1].scan == "1849-01234"
    assert all(d.swallow for d in decisions)
    assert "".join(d.release for d in decisions) == ""


def test_slow_typing_is_never_a_scan_and_every_character_is_given_back_in_order() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    decisions = _type(det, "DUPONT", 10.0, 0.15)
    assert all(d.scan is None for d in decisions)
    delivered = "".join(d.release for d in decisions)
    assert delivered == "DUPONT"
    assert not decisions[-1].swallow  # Enter reaches the search box


def test_scan_in_the_middle_of_typing_a_name_does_not_pollute_the_name() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    delivered: list[str] = []
    scans: list[str] = []

    def feed(key: str, t: float) -> None:
        d = det.feed(key, t)
        delivered.append(d.release)
        if not d.swallow and len(key) == 1:
            delivered.append(key)
        if d.scan:
            scans.append(d.scan)

    t = 0.0
    for ch in "Dup":
        feed(ch, t)
        t += 0.2
    for ch in "1849-01234":
        feed(ch, t)
        t += 0.005
    feed("enter", t)
    t += 0.3
    for ch in "ont":
        feed(ch, t)
        t += 0.2
    delivered.append(det.flush(t + 1))
    assert scans == ["1849-01234"]
    assert "".join(delivered) == "Dupont"


def test_flush_gives_back_a_lone_keystroke_after_the_interval_only() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    assert det.feed("a", 1.0).swallow
    assert det.flush(1.01) == ""
    assert det.flush(1.06) == "a"
    assert not det.holding


def test_short_fast_burst_is_not_a_scan() -> None:
    # A fast typist's roll of 3 keys then Enter.
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    decisions = _type(det, "abc", 1.0, 0.02)
    assert decisions[-1].scan is None
    assert decisions[-1].release == "abc"
    assert not decisions[-1].swallow


def test_enter_after_a_pause_is_not_the_end_of_a_burst() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    for i, ch in enumerate("1849-01234"):
        det.feed(ch, 1.0 + i * 0.005)
    d = det.feed("enter", 2.0)
    assert d.scan is None
    assert d.release == "1849-01234"


def test_non_character_key_releases_held_characters() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    det.feed("x", 1.0)
    d = det.feed("backspace", 1.01)
    assert d.release == "x"
    assert not d.swallow


def test_two_scans_in_a_row_are_both_recognised() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    first = _type(det, "1849-01234", 1.0, 0.004)[-1].scan
    second = _type(det, "1849-05678", 1.5, 0.004)[-1].scan
    assert (first, second) == ("1849-01234", "1849-05678")


def test_azerty_garbled_burst_is_still_a_scan_left_for_the_card_parser() -> None:
    det = WedgeDetector(max_interval_ms=50, min_length=6)
    code = "&è(ç)à&é'("
    assert _type(det, code, 1.0, 0.004)[-1].scan == code
