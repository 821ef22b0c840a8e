"""systemd notification and watchdog (``sd_notify``), pure standard library; works without a UI.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET`` (an ``AF_UNIX`` datagram socket)
and, with ``WatchdogSec=``, ``$WATCHDOG_USEC``. The app says ``READY=1`` once it can serve,
then a :class:`Heartbeat` sends ``WATCHDOG=1`` only while its health check passes: a
station whose database or scanners stopped working goes silent and systemd restarts it.
Outside systemd (a terminal, the tests without the variable) every call is a no-op.

Typical use in the app::

    heartbeat = Heartbeat(lambda: store_ok() and readers_ok())
    watchdog.ready("Prêt à servir")
    self.set_interval(heartbeat.interval, heartbeat.beat)   # on the UI loop
    ...
    watchdog.stopping()
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Pet interval when systemd gave no ``WATCHDOG_USEC`` (the pets are then no-ops anyway).
DEFAULT_INTERVAL_SECONDS = 5.0

HealthCheck = Callable[[], bool]


def _address(value: str) -> str:
    # "@name" is an abstract socket: its address starts with a NUL byte.
    return "\0" + value[1:] if value.startswith("@") else value


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``, ``"WATCHDOG=1\\nSTATUS=…"``) to systemd.

    Returns True when a notification was sent, False when ``$NOTIFY_SOCKET`` is absent or
    the socket refused it (never raises: a lost notification must not stop the serving line).
    """
    target = os.environ.get("NOTIFY_SOCKET")
    if not target:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(_address(target))
            sock.sendall(state.encode("utf-8"))
    except OSError as e:
        log.debug("sd_notify failed: %s", e.strerror or e)
        return False
    return True


def _one_line(text: str) -> str:
    return " ".join(text.split())


def ready(status: str = "") -> bool:
    """Tell systemd the station is up (``READY=1``), with an optional status line."""
    return notify("READY=1" + (f"\nSTATUS={_one_line(status)}" if status else ""))


def status(text: str) -> bool:
    """Set the one-line status shown by ``systemctl status``."""
    return notify(f"STATUS={_one_line(text)}")


def stopping(text: str = "") -> bool:
    """Tell systemd the station is shutting down on purpose (``STOPPING=1``)."""
    return notify("STOPPING=1" + (f"\nSTATUS={_one_line(text)}" if text else ""))


def pet() -> bool:
    """One ``WATCHDOG=1`` keep-alive, unconditionally (prefer :class:`Heartbeat`)."""
    return notify("WATCHDOG=1")


def watchdog_seconds() -> float | None:
    """The watchdog timeout systemd set for this process (``WatchdogSec=``), or None."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # the variable was meant for another process (e.g. our parent)
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


def pet_interval() -> float:
    """How often to call :meth:`Heartbeat.beat`: half the watchdog timeout (sd_watchdog_enabled
    advice), else :data:`DEFAULT_INTERVAL_SECONDS`."""
    timeout = watchdog_seconds()
    return timeout / 2 if timeout else DEFAULT_INTERVAL_SECONDS


class Heartbeat:
    """Pets the watchdog only while ``healthy()`` says the station can serve.

    ``healthy`` is any callable returning True when the database answers and the readers
    are connected; an exception counts as unhealthy. Call :meth:`beat` every
    :attr:`interval` seconds from the app's event loop (a hung loop then stops the pets
    too), or :meth:`start` a background thread for headless use.
    """

    def __init__(
        self,
        healthy: HealthCheck,
        *,
        interval: float | None = None,
        send: Callable[[str], bool] = notify,
    ) -> None:
        self.healthy = healthy
        self.interval = interval if interval is not None else pet_interval()
        self._send = send
        self._was_healthy: bool | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Check health; send ``WATCHDOG=1`` when healthy. Returns the health."""
        try:
            ok = bool(self.healthy())
            problem = "" if ok else "contrôle de santé négatif"
        except Exception as e:  # the check itself failing means the station is not healthy
            ok, problem = False, type(e).__name__
        if ok:
            self._send(
                "WATCHDOG=1" + ("\nSTATUS=Prêt à servir" if self._was_healthy is False else "")
            )
        elif self._was_healthy is not False:
            log.warning("watchdog: station unhealthy (%s), keep-alives suspended", problem)
            self._send(f"STATUS=Poste en défaut ({problem}) : redémarrage par systemd si cela dure")
        self._was_healthy = ok
        return ok

    def start(self) -> None:
        """Beat every :attr:`interval` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.beat()
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        """Stop the background thread (if any)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self.interval + 1)
