"""A warm launcher of ``portal-sync-api serve`` processes, for the crash tests.

Run as ``python -m tests.support.portal_launcher``. It imports the portal once, then for
each line ``start PORT WORKERS LOG DATABASE_URL`` read on stdin forks a process that runs
the portal's own command line (``portal_sync_api.cli.main([... "serve" ...])``) in a
session of its own, and answers its pid. A crash test kills the whole session (the portal
and, with ``--workers``, its worker processes) and asks for a new one: a restart then costs
what the portal does when it starts, not the second of Python imports before it, which is
what lets a test kill the portal dozens of times in CI.

The launcher stays single-threaded (a fork of a threaded process is unsafe) and lets the
kernel reap its children, the orphaned uvicorn workers of a killed portal included (it is
their subreaper): a killed portal is gone at once, not when init gets round to it. When
its stdin closes (the test ended, or died) it kills every portal it started and exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import traceback

import uvicorn  # noqa: F401  (warm: imported by serve)

import portal_sync_api.api.main  # warm: the app serve builds
import portal_sync_api.cli


def serve(port: str, workers: str, log: str, database_url: str) -> int:
    """Run ``portal-sync-api --db URL serve`` in this (forked) process, output to ``log``."""
    os.setsid()
    # The launcher ignores SIGCHLD to reap its children; uvicorn's supervisor waits for
    # its workers and needs the default disposition back.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    argv = ["--db", database_url, "serve", "--host", "127.0.0.1", "--port", port]
    if int(workers) > 1:
        argv += ["--workers", workers]
    return portal_sync_api.cli.main(argv)


PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    """Fork a portal per ``start`` line; answer ``PID`` lines."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    started: list[int] = []
    try:
        serve_requests(started)
    finally:
        for pid in started[-1:]:  # the earlier ones were killed by the test
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def serve_requests(started: list[int]) -> None:
    """Fork a portal per ``start`` line until stdin closes, noting each pid."""
    for line in sys.stdin:
        command, port, workers, log, database_url = line.split(maxsplit=4)
        if command != "start":
            raise SystemExit(f"unknown command {command!r}")
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = serve(port, workers, log, database_url.strip())
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        started.append(pid)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
