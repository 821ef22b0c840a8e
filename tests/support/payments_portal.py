"""Helpers of the payment tests: a real portal paying through the real sandbox bank, both
processes on loopback, with school 1849 seeded (:func:`cantine_harness.portal.seed_school`),
a parent login of family ``F18491`` and an intendance login; shared by the module's tests
(each uses its own amounts and references, and reads balances as differences)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, text

from cantine_harness.portal import (
    PortalProcess,
    SeededSchool,
    free_port,
    portal_database,
    running_portal,
    seed_school,
)
from cantine_harness.sandbox_bank import SandboxBank, running_sandbox_bank
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login

PARENT = "parent.paiement@example.fr"


NEIGHBOUR = "voisin.paiement@example.fr"


INTENDANCE = "intendance.paiement@college1849.fr"


PASSWORD = "mot de passe des paiements 1849"


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextlib.contextmanager
def log_in(url: str, email: str) -> Iterator[httpx.Client]:
    """A browser-like client of the portal's pages, logged in as ``email``."""
    with httpx.Client(base_url=url, timeout=30) as client:
        token = csrf(client, "/connexion")
        answer = client.post(
            "/connexion", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text[:300]
        yield client


def csrf(client: httpx.Client, path: str) -> str:
    """The CSRF token of the forms of ``path``."""
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, (path, page.status_code, page.text[:300])
    return found.group(1)


@dataclass
class Payments:
    """The bank, the portal, its database and the people of the tests."""

    bank: SandboxBank
    portal: PortalProcess
    engine: Engine
    school: SeededSchool
    parent: httpx.Client
    intendance: httpx.Client

    @property
    def family(self) -> str:
        """The parent login's family."""
        return self.school.families[0]

    def api(self, token: str) -> httpx.Client:
        """An API client with ``token``."""
        return self.portal.client(token)

    def balance(self, family: str | None = None) -> int:
        """The family's balance as the intendance's API says it."""
        with self.api(self.school.intendance_token) as client:
            answer = client.get(f"/v1/families/{family or self.family}/balance")
            answer.raise_for_status()
            return int(answer.json()["balance_cents"])

    def start(self, amount_cents: int) -> dict[str, Any]:
        """The parent starts an online top-up through the API."""
        with self.api(self.school.parent_token) as client:
            answer = client.post(
                f"/v1/families/{self.family}/payments", json={"amount_cents": amount_cents}
            )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def state(self, payment_id: str) -> str:
        """The payment's state in the portal's database."""
        return str(self.scalar("SELECT state FROM payments WHERE ref = :r", r=payment_id))

    def scalar(self, sql: str, **params: Any) -> Any:
        """One value from the portal's database."""
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def credits_of(self, payment_id: str) -> int:
        """Ledger entries written for the payment (by its provider transaction)."""
        txn = self.scalar("SELECT provider_txn FROM payments WHERE ref = :r", r=payment_id)
        return int(
            self.scalar("SELECT count(*) FROM ledger WHERE reference = :r", r=f"payment:{txn}")
        )


@contextlib.contextmanager
def payments_running() -> Iterator[Payments]:
    """The bank, then the portal pointed at it, on a seeded SQLite database."""
    with contextlib.ExitStack() as stack:
        bank = stack.enter_context(running_sandbox_bank())
        url = stack.enter_context(portal_database())
        school = seed_school(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        with session_scope(engine) as session:
            for email, role, family, code in (
                (PARENT, "parent", school.families[0], None),
                (NEIGHBOUR, "parent", school.families[1], None),
                (INTENDANCE, "intendance", None, school.code),
            ):
                create_login(
                    session,
                    email=email,
                    password=PASSWORD,
                    role=role,
                    family_id=family,
                    school_code=code,
                )
        port = free_port()
        env = bank.portal_env(f"http://127.0.0.1:{port}")
        portal = stack.enter_context(running_portal(url, port=port, env=env, migrate_first=False))
        parent = stack.enter_context(log_in(portal.url, PARENT))
        intendance = stack.enter_context(log_in(portal.url, INTENDANCE))
        yield Payments(bank, portal, engine, school, parent, intendance)
