from station.readers.debounce import Debouncer


def test_same_code_from_same_reader_within_window_is_one_scan() -> None:
    d = Debouncer(3.0)
    assert d.accept("1849-01234", 100.0, "scanner")
    assert not d.accept("1849-01234", 101.0, "scanner")
    assert not d.accept("1849-01234", 103.5, "scanner")  # window slides from last read


def test_same_code_after_a_pause_longer_than_window_is_a_new_scan() -> None:
    d = Debouncer(3.0)
    assert d.accept("1849-01234", 100.0, "scanner")
    assert d.accept("1849-01234", 103.1, "scanner")


def test_different_codes_and_different_readers_are_never_merged() -> None:
    d = Debouncer(3.0)
    assert d.accept("1849-01234", 100.0, "scanner")
    assert d.accept("1849-01235", 100.1, "scanner")
    assert d.accept("1849-01234", 100.2, "camera")


def test_zero_window_lets_every_read_through() -> None:
    d = Debouncer(0.0)
    assert d.accept("A", 1.0)
    assert d.accept("A", 1.001)


def test_memory_stays_bounded_with_many_distinct_codes() -> None:
    d = Debouncer(1.0)
    for i in range(10_000):
        d.accept(f"garbage{i}", float(i))
    assert len(d._last_seen) <= 257
