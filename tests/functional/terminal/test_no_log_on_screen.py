"""Nothing is printed over the serving screen: with the portal down, the sync warnings go
to the log file, not to the terminal the staff read (the app in a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cantine_harness.feeds import FeedBuilder
from station.store import Store


def closed_port() -> int:
    """A loopback port nobody listens on: the portal is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def station_config(tmp_path: Path) -> Path:
    database = tmp_path / "station.db"
    feed = FeedBuilder()
    feed.school("1849")
    feed.child("C0001", card="1849-00001", family_id="F1")
    with Store(database) as store:
        store.apply_page(feed.changes, feed.seq, "ligne-1", "2026-11-24T12:00:00+01:00")
    config = tmp_path / "station.toml"
    config.write_text(
        f'[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "{database}"\n'
        f'[portal]\nurl = "http://127.0.0.1:{closed_port()}"\ntoken = "x"\n'
        "sync_interval_seconds = 1\n",
        encoding="utf-8",
    )
    return config


def run_in_terminal(config: Path, seconds: float, env: dict[str, str]) -> bytes:
    """What ``station run`` writes to its terminal during ``seconds``."""
    main, child = pty.openpty()
    os.set_blocking(main, False)
    process = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--config", str(config), "run"],
        stdin=child,
        stdout=child,
        stderr=child,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30", **env},
        start_new_session=True,
    )
    os.close(child)
    screen = bytearray()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(main, 65536)
                except OSError:
                    break
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        os.close(main)
    return bytes(screen)


def test_sync_warnings_go_to_the_log_file_never_over_the_screen(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "station.log"
    screen = run_in_terminal(
        station_config(tmp_path),
        seconds=6,
        env={"STATION_LOG_FILE": str(log_file), "STATION_LOG_LEVEL": "INFO"},
    )
    assert b"Derniers passages" in screen  # the serving screen was drawn
    assert b"sync failed" not in screen
    assert b"WARNING" not in screen
    logged = log_file.read_text(encoding="utf-8")
    assert "WARNING station.sync.runner: sync failed" in logged
    first = logged.splitlines()[0]
    assert first[:4].isdigit() and "Z " in first  # explicit UTC time stamps
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"
