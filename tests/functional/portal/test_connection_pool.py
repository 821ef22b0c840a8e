"""The portal's PostgreSQL connections: a bounded pool per process, a French 503 (never a
500) when it stays exhausted, and no server-side state behind PgBouncer in transaction
mode (docs/operations.md §13); a client that leaves in a rush is not a server error."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.requests import ClientDisconnect

from cantine_harness.portal import seed_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.config import PoolSettings, Settings
from portal_sync_api.core.db import make_engine
from portal_sync_api.errors import DataError

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pools of one connection that give up waiting after one second."""
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "1")
    monkeypatch.setenv("PORTAL_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("PORTAL_DB_POOL_TIMEOUT", "1")
    monkeypatch.setenv("PORTAL_BACKGROUND_TASKS", "off")


@pytest.mark.postgres
@pytest.mark.usefixtures("one_connection")
def test_an_exhausted_pool_answers_503_to_a_station_and_nothing_is_written(
    postgres_db: str,
) -> None:
    seeded = seed_school(postgres_db)
    app = create_app(postgres_db)
    assert app.state.engine.pool.size() == 1
    with TestClient(app) as client:
        held = app.state.engine.connect()  # the worker's only connection, busy
        try:
            answer = client.get(
                "/v1/sync/changes",
                params={"since": 0},
                headers={"Authorization": f"Bearer {seeded.station_token}"},
            )
        finally:
            held.close()
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert answer.json()["field"] == "database"
        assert "réessayez" in answer.json()["detail"]
        # The connection is back: the same request is served.
        again = client.get(
            "/v1/sync/changes",
            params={"since": 0},
            headers={"Authorization": f"Bearer {seeded.station_token}"},
        )
        assert again.status_code == 200


@pytest.mark.postgres
@pytest.mark.usefixtures("one_connection")
def test_an_exhausted_pool_shows_people_a_french_page(postgres_db: str) -> None:
    app = create_app(postgres_db)
    with TestClient(app) as client:
        token = _CSRF.search(client.get("/connexion").text)
        assert token is not None
        held = app.state.engine.connect()
        try:
            page = client.post(
                "/connexion",
                data={
                    "csrf_token": token.group(1),
                    "email": "parent@example.fr",
                    "password": "un mot de passe",
                },
            )
        finally:
            held.close()
    assert page.status_code == 503
    assert "text/html" in page.headers["content-type"]
    assert "Portail très sollicité" in page.text


@pytest.mark.postgres
def test_pgbouncer_mode_leaves_no_prepared_statement_on_the_server(postgres_db: str) -> None:
    # psycopg prepares a statement on the server from its 5th run; in transaction mode the
    # next transaction may get another server connection that does not know it.
    counts = {}
    for pgbouncer in (False, True):
        engine = make_engine(postgres_db, PoolSettings(size=1, pgbouncer=pgbouncer))
        with engine.connect() as conn:
            for _ in range(8):
                conn.execute(text("SELECT count(*) FROM schools WHERE code = :c"), {"c": "x"})
            counts[pgbouncer] = conn.execute(
                text("SELECT count(*) FROM pg_prepared_statements")
            ).scalar_one()
        engine.dispose()
    assert counts == {False: 1, True: 0}


def test_pool_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "8")
    monkeypatch.setenv("PORTAL_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("PORTAL_DB_PGBOUNCER", "on")
    monkeypatch.setenv("PORTAL_BACKGROUND_TASKS", "off")
    settings = Settings.from_env("postgresql://portal@127.0.0.1/portal")
    assert settings.pool == PoolSettings(size=8, max_overflow=2, timeout=30, pgbouncer=True)
    assert settings.pool.limit == 10
    assert settings.background_tasks is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORTAL_DB_POOL_SIZE", "0"),
        ("PORTAL_DB_POOL_SIZE", "dix"),
        ("PORTAL_DB_MAX_OVERFLOW", "-1"),
        ("PORTAL_DB_PGBOUNCER", "peut-être"),
    ],
)
def test_a_bad_pool_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(DataError) as refused:
        Settings.from_env("sqlite:///portal.db")
    assert refused.value.field == name


def test_a_client_gone_before_its_body_was_read_is_no_server_error(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(sqlite_db)

    @app.post("/v1/test/disconnect")
    async def disconnect() -> None:
        raise ClientDisconnect  # what reading the body raises once the client has left

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/v1/test/disconnect", content=b"{}")
    assert answer.status_code == 400
    assert "unexpected error" not in caplog.text
