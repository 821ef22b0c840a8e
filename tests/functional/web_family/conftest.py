"""Fixtures of the family page tests: the portal app in process (TestClient) on a database
per test (SQLite, and PostgreSQL when set), school 1849 seeded with a station, parents of
two families and an intendance login, and a browser-like client per person."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `tests.support` when pytest is not run from the root
    sys.path.insert(0, str(ROOT))

from cantine_harness.portal import SeededSchool, seed_school  # noqa: E402
from portal_sync_api.api.main import create_app  # noqa: E402
from portal_sync_api.core.db import session_scope  # noqa: E402
from portal_sync_api.crud.logins import create_login  # noqa: E402
from tests.support.portal_fixtures import (  # noqa: E402, F401
    _postgres_session_db,
    _sqlite_template,
    engine,
    portal_db,
    postgres_db,
    sqlite_db,
)

PASSWORD = "mot de passe de test 1849"
PARENT = "parent.dupont@example.fr"  # family F18491: Hervé (6B) and Léa (forfait)
NEIGHBOUR = "parent.martin@example.fr"  # family F18492: Tom
INTENDANCE = "intendance@college1849.fr"
OTHER_INTENDANCE = "intendance@college1850.fr"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """One person's browser on the portal pages."""

    client: TestClient

    def token(self, path: str) -> str:
        """The CSRF token of the forms on ``path``, read as a browser would."""
        page = self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, (path, page.status_code, page.text[:300])
        return found.group(1)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        page: str,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        csrf: bool = True,
    ) -> httpx.Response:
        """Post the form of ``page`` to ``path`` (with its CSRF token unless ``csrf`` is
        false), without following the redirect."""
        body = dict(data or {})
        if csrf:
            body["csrf_token"] = self.token(page)
        return self.client.post(path, data=body, files=files, follow_redirects=False)


@dataclass
class Family:
    """The seeded school, its database and a logged-in browser per person."""

    school: SeededSchool
    other_school: SeededSchool
    engine: Engine
    parent: Browser
    neighbour: Browser
    intendance: Browser
    other_intendance: Browser
    anonymous: Browser
    clients: list[TestClient] = field(default_factory=list)

    @property
    def herve(self) -> str:
        return self.school.children[0]

    @property
    def tom(self) -> str:
        return self.school.children[2]


def _logins(db: Engine) -> None:
    with session_scope(db) as session:
        for email, family in ((PARENT, "F18491"), (NEIGHBOUR, "F18492")):
            create_login(session, email=email, password=PASSWORD, role="parent", family_id=family)
        for email, school in ((INTENDANCE, "1849"), (OTHER_INTENDANCE, "1850")):
            create_login(
                session, email=email, password=PASSWORD, role="intendance", school_code=school
            )


@pytest.fixture
def family(portal_db: str, engine: Engine) -> Iterator[Family]:  # noqa: F811
    """School 1849 (and 1850) seeded, every person logged in in their own client."""
    school = seed_school(portal_db, code="1849")
    other = seed_school(portal_db, code="1850", tokens=False)
    _logins(engine)
    app = create_app(portal_db)
    clients: list[TestClient] = []

    def browser(email: str | None) -> Browser:
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        clients.append(client)
        person = Browser(client)
        if email is not None:
            answer = person.post(
                "/connexion", {"email": email, "password": PASSWORD}, page="/connexion"
            )
            assert answer.status_code == 303, answer.text
        return person

    try:
        yield Family(
            school=school,
            other_school=other,
            engine=engine,
            parent=browser(PARENT),
            neighbour=browser(NEIGHBOUR),
            intendance=browser(INTENDANCE),
            other_intendance=browser(OTHER_INTENDANCE),
            anonymous=browser(None),
            clients=clients,
        )
    finally:
        for client in clients:
            client.close()
        app.state.engine.dispose()
