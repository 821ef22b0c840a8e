"""Logging of the station: one line per event on stderr, which journald collects.

Level from ``$STATION_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING`` — the default —,
``ERROR``). Under systemd (``$JOURNAL_STREAM`` set) the line carries no timestamp:
journald adds its own. Tracebacks are folded onto the same line so one event stays one
journal entry.

While the serving app owns the terminal (:func:`off_the_screen`), no line may be drawn
over it: when stderr is that terminal, lines go to a file (``$STATION_LOG_FILE``, else
``station.log`` beside the database) and to the system journal through ``/dev/log``.
Timestamps are explicit UTC (``2026-11-24T11:02:03Z``).

Personal data rule: log ids only — child id, meal id, family id, station —
never a child's name, a card number, raw scanner input or a balance.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

LEVEL_ENV = "STATION_LOG_LEVEL"
DEFAULT_LEVEL = "WARNING"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FILE_ENV = "STATION_LOG_FILE"
FORMAT = "%(levelname)s %(name)s: %(message)s"
SYSLOG_SOCKET = Path("/dev/log")


class OneLineFormatter(logging.Formatter):
    """A formatter whose output never spans lines (tracebacks joined with `` | ``);
    ``%(asctime)s`` is UTC, said so with a ``Z``."""

    converter = time.gmtime  # type: ignore[assignment]  # the documented way to log UTC
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line)


def level_from_env(value: str | None = None) -> int:
    """The logging level named by ``value`` (else ``$STATION_LOG_LEVEL``); unknown → WARNING."""
    name = (value if value is not None else os.environ.get(LEVEL_ENV, "")).strip().upper()
    return int(getattr(logging, name)) if name in LEVELS else logging.WARNING


def _is_ours(handler: logging.Handler) -> bool:
    return getattr(handler, "_station_handler", False) is True


def setup(level: str | None = None, stream: TextIO | None = None) -> logging.Handler:
    """Configure the root logger once per process (calling again replaces our handler)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if _is_ours(h)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._station_handler = True  # type: ignore[attr-defined]
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    handler.setFormatter(OneLineFormatter(FORMAT if under_journald else "%(asctime)s " + FORMAT))
    root.addHandler(handler)
    root.setLevel(level_from_env(level))
    return handler


def _draws_on_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    try:
        return stream is not None and bool(stream.isatty())
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def off_the_screen(default_file: Path) -> Iterator[Path | None]:
    """While a full-screen app runs: no log line, and no thread's traceback, on the terminal.

    When our handler writes to a terminal, it is replaced by a rotating file
    (``$STATION_LOG_FILE`` or ``default_file``, mode 0600) and, where ``/dev/log`` exists,
    the system journal (``journalctl -t cantine-station``). Yields the file used (None
    when stderr was not a terminal and nothing changed). Restored on exit.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if _is_ours(h) and _draws_on_terminal(h)]
    if not ours:
        yield None
        return
    path = Path(os.environ.get(LOG_FILE_ENV) or default_file)
    replacements: list[logging.Handler] = []
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
        to_file.setFormatter(OneLineFormatter("%(asctime)s " + FORMAT))
        replacements.append(to_file)
    if SYSLOG_SOCKET.exists():
        with contextlib.suppress(OSError):
            journal = logging.handlers.SysLogHandler(address=str(SYSLOG_SOCKET))
            journal.setFormatter(OneLineFormatter("cantine-station: " + FORMAT))
            replacements.append(journal)
    if not replacements:
        replacements.append(logging.NullHandler())  # better lost than drawn over the verdict
    for handler in replacements:
        handler._station_handler = True  # type: ignore[attr-defined]
    previous_hook = threading.excepthook

    def thread_failed(args: threading.ExceptHookArgs) -> None:
        logging.getLogger("station").error(
            "thread %s stopped",
            getattr(args.thread, "name", "?"),
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        )

    for handler in ours:
        root.removeHandler(handler)
    for handler in replacements:
        root.addHandler(handler)
    threading.excepthook = thread_failed
    try:
        yield path if any(isinstance(h, logging.FileHandler) for h in replacements) else None
    finally:
        threading.excepthook = previous_hook
        for handler in replacements:
            root.removeHandler(handler)
            handler.close()
        for handler in ours:
            root.addHandler(handler)
