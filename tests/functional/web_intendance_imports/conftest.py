"""Fixtures of the imports and collectivité tests: the portal app (TestClient) on a
database per test (SQLite, and PostgreSQL when set) with three seeded schools (« 1849 »,
« 0683 », « 0999 »), an intendance login for each of the first two, and a clock set in
the seed day's lunch service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cantine_harness.portal import seed_school
from portal_sync_api.api.main import create_app
from tests.support.account_pages import Clock, Web, make_intendance
from tests.support.import_pages import (
    INTENDANCE_0683,
    INTENDANCE_1849,
    INTENDANCE_PASSWORD,
    Site,
)


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, with the smallest cost (the production cost is the library's)."""
    from argon2 import PasswordHasher

    from portal_sync_api.crud import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("aucun compte"))


@pytest.fixture
def site(portal_db: str, engine: Engine) -> Iterator[Site]:
    """Schools 1849, 0683 and 0999 seeded (each with a station and API tokens), an
    intendance login of 1849 and one of 0683, the app's clock at 12:30 in Paris on the
    seed day (the lunch service is open)."""
    schools = {code: seed_school(portal_db, code=code) for code in ("1849", "0683", "0999")}
    make_intendance(engine, school="1849", email=INTENDANCE_1849, password=INTENDANCE_PASSWORD)
    make_intendance(engine, school="0683", email=INTENDANCE_0683, password=INTENDANCE_PASSWORD)
    clock = Clock()
    day = schools["1849"].day
    clock.now = datetime(day.year, day.month, day.day, 11, 30, tzinfo=UTC)
    app = create_app(portal_db)
    app.state.clock = clock
    clients: list[TestClient] = []

    def new_client() -> TestClient:
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        clients.append(client)
        return client

    try:
        web = Web(new_client(), clock, engine, schools["1849"], new_client)
        yield Site(web=web, database_url=portal_db, engine=engine, schools=schools)
    finally:
        for client in clients:
            client.close()
        app.state.engine.dispose()
