"""A station's sync in a process of its own, killed by the crash tests.

Run as ``python -m tests.support.station_sync_worker``, it imports the station once and,
for each line ``CONFIG PAGE_LOG MARKS`` read on stdin, forks a worker and answers its pid:
a restart then costs a fork, not the imports. A worker runs the station's real
:class:`~station.sync.runner.Synchronizer` (push the outbox, pull the feed) in a loop
until it is killed, pulling through a :class:`~tests.support.page_log.RecordingStore`
that logs each page to ``PAGE_LOG``. It writes to ``MARKS``, one line per event: ``READY``,
then ``push`` before each push request, ``pull`` before each pull request (``check`` for
the one asking the token's school) and ``between`` after each whole cycle, so the test
knows what a kill cut.

The server stays single-threaded (it forks) and lets the kernel reap its children; when
its stdin closes it kills the workers it started and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from station.core.config import load_config
from station.sync.client import PortalClient
from station.sync.runner import Synchronizer
from tests.support.page_log import RecordingStore

#: The cursor the synchronizer asks with to learn its token's school (``check_school``).
CHECK_SINCE = 2**31 - 1


class MarkingClient(PortalClient):
    """The station's portal client, writing which request it is about to send."""

    marks: int = 1  # the file descriptor of the marks file

    def push(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        mark(self.marks, "push")
        return super().push(items)

    def changes(self, since: int, limit: int) -> dict[str, Any]:
        mark(self.marks, "check" if since == CHECK_SINCE else "pull")
        return super().changes(since, limit)


def mark(fd: int, what: str) -> None:
    """One unbuffered line: a kill never leaves a mark half written in a buffer."""
    os.write(fd, (what + "\n").encode())


def work(config_path: str, page_log: str, marks: str) -> None:
    """Sync the station of ``config_path`` again and again (until killed)."""
    fd = os.open(marks, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    config = load_config(Path(config_path))
    portal = config.portal
    client = MarkingClient(portal.url, portal.token, timeout=portal.timeout_seconds)
    client.marks = fd
    sync = Synchronizer(config, client=client)
    sync.store.close()
    sync.store = RecordingStore(config.station.database, Path(page_log))
    mark(fd, "READY")
    while True:
        sync.run_once()
        mark(fd, "between")


def main() -> None:
    """Fork a worker per line on stdin; answer its pid."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    started: list[int] = []
    try:
        serve_requests(started)
    finally:
        for pid in started[-1:]:  # the earlier ones were killed by the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def serve_requests(started: list[int]) -> None:
    """Fork a worker per line on stdin until it closes, noting each pid."""
    for line in sys.stdin:
        config_path, page_log, marks = line.split()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                work(config_path, page_log, marks)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        started.append(pid)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
