"""Station logging: one line per event, level from the environment."""

from __future__ import annotations

import io
import logging

import pytest

from station import logs


@pytest.fixture(autouse=True)
def _restore_root() -> object:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_level_comes_from_station_log_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATION_LOG_LEVEL", "debug")
    assert logs.level_from_env() == logging.DEBUG
    monkeypatch.setenv("STATION_LOG_LEVEL", "bavard")
    assert logs.level_from_env() == logging.WARNING
    monkeypatch.delenv("STATION_LOG_LEVEL")
    assert logs.level_from_env() == logging.WARNING


def test_a_traceback_stays_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    stream = io.StringIO()
    logs.setup("INFO", stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("station.test").exception("sync failed")
    logging.getLogger("station.test").debug("not shown at INFO")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ERROR station.test: sync failed | Traceback")
    assert "ValueError: boom" in lines[0]


def test_setup_twice_keeps_a_single_handler() -> None:
    stream = io.StringIO()
    logs.setup("INFO", stream)
    logs.setup("INFO", stream)
    logging.getLogger("station.test").info("once")
    assert stream.getvalue().count("once") == 1
