"""sd_notify over a real AF_UNIX datagram socket, and the health-gated heartbeat."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from station import watchdog


class NotifySocket:
    """What systemd listens on: a datagram socket bound at ``path``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def messages(self, wait: float = 0.0) -> list[str]:
        found: list[str] = []
        self.sock.settimeout(wait or 0.001)
        while True:
            try:
                found.append(self.sock.recv(4096).decode("utf-8"))
            except (TimeoutError, BlockingIOError):
                return found
            self.sock.settimeout(0.001)


@pytest.fixture
def systemd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[NotifySocket]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield NotifySocket(sock)
    sock.close()


def test_notify_is_a_no_op_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert watchdog.notify("READY=1") is False
    assert watchdog.ready() is False
    assert watchdog.Heartbeat(lambda: True).beat() is True  # healthy, nothing sent, no error


def test_ready_and_status_reach_the_notify_socket(systemd: NotifySocket) -> None:
    assert watchdog.ready("Prêt à servir\n(ligne 1)") is True
    assert watchdog.status("Synchronisation en cours") is True
    assert systemd.messages() == [
        "READY=1\nSTATUS=Prêt à servir (ligne 1)",
        "STATUS=Synchronisation en cours",
    ]


def test_abstract_socket_names_are_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"cantine-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert watchdog.pet() is True
        assert NotifySocket(sock).messages(0.5) == ["WATCHDOG=1"]
    finally:
        sock.close()


def test_a_vanished_socket_never_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    assert watchdog.notify("WATCHDOG=1") is False


def test_heartbeat_pets_only_while_healthy(systemd: NotifySocket) -> None:
    health = {"ok": True}
    heartbeat = watchdog.Heartbeat(lambda: health["ok"], interval=1)
    assert heartbeat.beat() is True
    assert systemd.messages() == ["WATCHDOG=1"]

    health["ok"] = False
    assert heartbeat.beat() is False
    assert heartbeat.beat() is False
    sent = systemd.messages()
    assert not any("WATCHDOG=1" in m for m in sent)
    assert len(sent) == 1 and sent[0].startswith("STATUS=Poste en défaut")  # said once

    health["ok"] = True
    assert heartbeat.beat() is True
    assert systemd.messages() == ["WATCHDOG=1\nSTATUS=Prêt à servir"]


def test_a_health_check_that_raises_counts_as_unhealthy(systemd: NotifySocket) -> None:
    def broken() -> bool:
        raise OSError("database gone")

    assert watchdog.Heartbeat(broken, interval=1).beat() is False
    assert systemd.messages() == [
        "STATUS=Poste en défaut (OSError) : redémarrage par systemd si cela dure"
    ]


def test_background_heartbeat_keeps_petting_until_stopped(systemd: NotifySocket) -> None:
    heartbeat = watchdog.Heartbeat(lambda: True, interval=0.05)
    heartbeat.start()
    time.sleep(0.3)
    heartbeat.stop()
    pets = systemd.messages(0.1)
    assert len(pets) >= 3 and set(pets) == {"WATCHDOG=1"}
    assert systemd.messages(0.15) == []


def test_pet_interval_is_half_the_watchdog_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog.watchdog_seconds() == 30
    assert watchdog.pet_interval() == 15
    assert watchdog.Heartbeat(lambda: True).interval == 15


def test_watchdog_meant_for_another_process_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog.watchdog_seconds() is None
    assert watchdog.pet_interval() == watchdog.DEFAULT_INTERVAL_SECONDS
