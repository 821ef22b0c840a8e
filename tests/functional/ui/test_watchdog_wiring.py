"""Under systemd (Type=notify) the app says READY once it can serve, feeds the watchdog
while the database and a reader work, and stops feeding it when no reader is connected."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.core.clock import FixedClock
from station.engine import ServingLine
from station.ui.app import build_app
from station.ui.messages import ReaderStatusChanged
from tests.support.ui import wedge_only

pytestmark = pytest.mark.anyio


@pytest.fixture
def notify_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # pet every 0.1 s
    yield sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


async def test_app_notifies_ready_and_pets_the_watchdog_only_while_it_can_serve(
    line: ServingLine, clock: FixedClock, tmp_path: Path, notify_socket: socket.socket
) -> None:
    app = build_app(line, clock=clock, readers=wedge_only(clock), export_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        # Two pets take 0.2 s on an idle machine; a loaded one gets up to 10 s.
        first: list[str] = []
        for _ in range(100):
            await pilot.pause(0.1)
            first += received(notify_socket)
            if sum("WATCHDOG=1" in m for m in first) >= 2:
                break
        assert any(m.startswith("READY=1") for m in first)
        assert sum("WATCHDOG=1" in m for m in first) >= 2
        for name in list(app.reader_states):
            app.post_message(ReaderStatusChanged(name, False))
        await pilot.pause(0.1)
        received(notify_socket)
        await pilot.pause(0.35)
        unplugged = received(notify_socket)
        assert not any("WATCHDOG=1" in m for m in unplugged)
    assert any("STOPPING=1" in m for m in received(notify_socket))
