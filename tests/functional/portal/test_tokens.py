"""Station and user tokens: revoked, rotated, expiring; one user per e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cantine_harness.portal import SeededSchool, seed_school
from portal_sync_api.cli import main
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.accounts import create_user
from portal_sync_api.errors import DataError
from portal_sync_api.models import User

CHANGES = "/v1/sync/changes"


def _get(client: TestClient, token: str, path: str = CHANGES) -> int:
    status: int = client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
    return status


@pytest.fixture
def school(portal_db: str) -> SeededSchool:
    return seed_school(portal_db)


def test_station_revoke_refuses_its_token_at_once(
    portal_db: str, school: SeededSchool, app_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _get(app_client, school.station_token) == 200
    assert (
        main(["--db", portal_db, "station", "revoke", "--school", "1849", "--name", "ligne-1"]) == 0
    )
    assert "révoqué" in capsys.readouterr().err
    assert _get(app_client, school.station_token) == 401


def test_station_rotate_prints_a_new_token_and_the_old_one_stops_working(
    portal_db: str, school: SeededSchool, app_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (
        main(["--db", portal_db, "station", "rotate", "--school", "1849", "--name", "ligne-1"]) == 0
    )
    new = capsys.readouterr().out.strip()
    assert new.startswith("st_") and new != school.station_token
    assert _get(app_client, school.station_token) == 401
    assert _get(app_client, new) == 200


def test_station_revoke_of_an_unknown_station_is_a_french_error(
    portal_db: str, school: SeededSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", portal_db, "station", "revoke", "--school", "1849", "--name", "nope"]) == 1
    assert "station inconnue" in capsys.readouterr().err


def test_station_create_for_an_existing_name_says_how_to_rotate(
    portal_db: str, school: SeededSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--db", portal_db, "station", "create", "--school", "1849", "--name", "ligne-1"]) == 1
    )
    assert "portal-sync-api station rotate --school 1849 --name ligne-1" in capsys.readouterr().err


def test_user_revoke_refuses_the_users_token(
    portal_db: str, school: SeededSchool, app_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    path = f"/v1/families/{school.families[0]}/balance"
    assert _get(app_client, school.parent_token, path) == 200
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            email = session.scalars(select(User.email).where(User.role == "parent")).one()
    finally:
        engine.dispose()
    assert main(["--db", portal_db, "user", "revoke", "--email", email]) == 0
    assert "révoqué" in capsys.readouterr().err
    assert _get(app_client, school.parent_token, path) == 401


def test_user_token_expires(portal_db: str, school: SeededSchool, app_client: TestClient) -> None:
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            token = create_user(
                session,
                role="intendance",
                email="old@example.fr",
                school_code="1849",
                token_days=1,
            )
        path = "/v1/schools/1849/consumption?day=2025-11-24"
        assert _get(app_client, token, path) == 200
        with session_scope(engine) as session:
            user = session.scalars(select(User).where(User.email == "old@example.fr")).one()
            user.token_expires_at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        assert _get(app_client, token, path) == 401
    finally:
        engine.dispose()


def test_user_create_gives_an_expiring_token_by_default(
    portal_db: str, school: SeededSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", portal_db]
    assert (
        main(
            [
                *db,
                "user",
                "create",
                "--role",
                "intendance",
                "--email",
                "i@example.fr",
                "--school",
                "1849",
            ]
        )
        == 0
    )
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            user = session.scalars(select(User).where(User.email == "i@example.fr")).one()
            expires = datetime.fromisoformat(user.token_expires_at or "")
    finally:
        engine.dispose()
    assert timedelta(days=360) < expires - datetime.now(UTC) <= timedelta(days=366)


def test_the_same_user_email_twice_is_refused(
    portal_db: str, school: SeededSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", portal_db]
    args = ["user", "create", "--role", "intendance", "--school", "1849"]
    assert main([*db, *args, "--email", "Twice@example.fr"]) == 0
    capsys.readouterr()
    assert main([*db, *args, "--email", "twice@EXAMPLE.fr"]) == 1
    assert "existe déjà" in capsys.readouterr().err
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session, pytest.raises(DataError):
            create_user(session, role="intendance", email="twice@example.fr", school_code="1849")
    finally:
        engine.dispose()
