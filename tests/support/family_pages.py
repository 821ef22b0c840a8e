"""The family pages as people see them in tests: a browser-like client per person (CSRF
tokens read from the forms), school 1849's parents and intendance, logged in on first use
(plain helpers, no fixtures; the ``family`` fixture is in tests/functional/web_family)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cantine_harness.portal import SeededSchool
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import create_login

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


class Family:
    """The seeded school, its database and a browser per person, logged in on first use
    (a login costs an argon2 hash and check: only the people a test uses pay it)."""

    def __init__(
        self, school: SeededSchool, other_school: SeededSchool, db: Engine, app: FastAPI
    ) -> None:
        self.school = school
        self.other_school = other_school
        self.engine = db
        self.app = app
        self.clients: list[TestClient] = []
        self._browsers: dict[str | None, Browser] = {}

    def browser(self, email: str | None) -> Browser:
        """The browser of ``email`` (an anonymous one for ``None``), logged in once."""
        if email in self._browsers:
            return self._browsers[email]
        client = TestClient(self.app, base_url="http://127.0.0.1:8000")
        self.clients.append(client)
        person = Browser(client)
        if email is not None:
            role, place = _PEOPLE[email]
            with session_scope(self.engine) as session:
                create_login(
                    session,
                    email=email,
                    password=PASSWORD,
                    role=role,
                    family_id=place if role == "parent" else None,
                    school_code=place if role == "intendance" else None,
                )
            answer = person.post(
                "/connexion", {"email": email, "password": PASSWORD}, page="/connexion"
            )
            assert answer.status_code == 303, answer.text
        self._browsers[email] = person
        return person

    parent = property(lambda self: self.browser(PARENT))
    neighbour = property(lambda self: self.browser(NEIGHBOUR))
    intendance = property(lambda self: self.browser(INTENDANCE))
    other_intendance = property(lambda self: self.browser(OTHER_INTENDANCE))
    anonymous = property(lambda self: self.browser(None))

    @property
    def herve(self) -> str:
        """DUPONT Hervé (family F18491), card 1849-01234."""
        return self.school.children[0]

    @property
    def tom(self) -> str:
        """MARTIN Tom, of the other family F18492 of the same school."""
        return self.school.children[2]


_PEOPLE = {
    PARENT: ("parent", "F18491"),
    NEIGHBOUR: ("parent", "F18492"),
    INTENDANCE: ("intendance", "1849"),
    OTHER_INTENDANCE: ("intendance", "1850"),
}
