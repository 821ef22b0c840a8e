"""Fixture of the web account tests: the portal app in process (TestClient) on a
database per test (SQLite, and PostgreSQL when set), a seeded school, a clock the test
moves and a client that fills the forms as a browser would (CSRF token included)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cantine_harness.portal import seed_school
from portal_sync_api.api.main import create_app
from tests.support.account_pages import INTENDANCE, INTENDANCE_PASSWORD, Clock, Web, make_intendance


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with the smallest cost: the tests hash and verify hundreds of
    passwords on a shared 2-core machine (the production cost is the library's)."""
    from argon2 import PasswordHasher

    from portal_sync_api.crud import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("aucun compte"))


@pytest.fixture
def web(portal_db: str, engine: Engine) -> Iterator[Web]:
    """School 1849 seeded, an intendance login, a client on the app with a fake clock."""
    school = seed_school(portal_db, code="1849", tokens=False)
    make_intendance(engine, school="1849", email=INTENDANCE, password=INTENDANCE_PASSWORD)
    clock = Clock()
    app = create_app(portal_db)
    app.state.clock = clock
    clients: list[TestClient] = []

    def new_client() -> TestClient:
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        clients.append(client)
        return client

    try:
        yield Web(new_client(), clock, engine, school, new_client)
    finally:
        for client in clients:
            client.close()
        app.state.engine.dispose()
