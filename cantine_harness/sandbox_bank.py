"""The sandbox bank as a real process on loopback, for the demo, the tests and the
benchmarks (``python -m portal_sync_api.payments.sandbox_bank``), and the portal settings
that point a portal at it.

Typical use::

    with running_sandbox_bank() as bank:
        with running_portal(url, env=bank.portal_env(portal_url)) as portal:
            ...
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cantine_harness.portal import free_port, stop_process, wait_healthy


@dataclass
class SandboxBank:
    """A sandbox bank running in a subprocess at ``url``, sharing ``secret``."""

    url: str
    secret: str
    process: subprocess.Popen[bytes]
    log: Path

    def portal_env(self, public_url: str | None = None) -> dict[str, str]:
        """The ``PORTAL_*`` variables of a portal paying through this bank."""
        env = {
            "PORTAL_PAYMENT_PROVIDER": "sandbox",
            "PORTAL_SANDBOX_BANK_URL": self.url,
            "PORTAL_PAYMENT_SECRET": self.secret,
        }
        if public_url is not None:
            env["PORTAL_PUBLIC_URL"] = public_url
        return env

    def control(self, **settings: Any) -> dict[str, Any]:
        """``POST /controle``: how the bank notifies (``notification=MODE``…)."""
        answer = requests.post(self.url + "/controle", json=settings, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def release_held(self) -> int:
        """Send every notification the bank holds (mode ``held``)."""
        answer = requests.post(self.url + "/controle/envoyer", timeout=30)
        answer.raise_for_status()
        return int(answer.json()["sent"])

    def sent(self) -> list[dict[str, Any]]:
        """The notifications the bank sent (or lost) and how the portal answered each."""
        answer = requests.get(self.url + "/controle", timeout=10)
        answer.raise_for_status()
        return list(answer.json()["sent"])

    def act(self, redirect_url: str, action: str) -> requests.Response:
        """What a parent does on the bank's page: ``payer``, ``refuser`` or ``abandonner``
        (the answer is the bank's redirect back to the portal, not followed)."""
        return requests.post(
            redirect_url, data={"action": action}, allow_redirects=False, timeout=30
        )


@contextlib.contextmanager
def running_sandbox_bank(
    *,
    secret: str | None = None,
    port: int | None = None,
    notification: str = "immediate",
    log: Path | None = None,
    timeout: float = 15.0,
) -> Iterator[SandboxBank]:
    """Start the sandbox bank on a free loopback port (or ``port``), wait until it
    answers, yield it, and stop it (SIGTERM, then SIGKILL)."""
    secret = secret or secrets.token_hex(16)
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "bank.log"
        log_file = stack.enter_context(log.open("ab"))
        port = port or free_port()
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "portal_sync_api.payments.sandbox_bank"),
                *("--port", str(port), "--secret", secret, "--notification", notification),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        bank = SandboxBank(f"http://127.0.0.1:{port}", secret, process, log)
        try:
            wait_healthy("sandbox bank", bank.url, process, log, timeout)
            yield bank
        finally:
            stop_process(process)
