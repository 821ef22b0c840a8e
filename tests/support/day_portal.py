"""Helpers of the day page tests, which run against a real ``portal-sync-api serve`` on
loopback (the session's SQLite portal, and one on PostgreSQL when
``PORTAL_TEST_POSTGRES_URL`` is set), school 1849 seeded, an intendance logged in through
``/connexion`` and stations pushing meals through ``POST /v1/sync/meals``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from cantine_harness.portal import (
    PortalProcess,
    SeededSchool,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login

PASSWORD = "intendance du jour 1849"


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class DayPortal:
    """The running portal, its seeded school, a second station's token and a logged-in
    intendance client of the school (``page`` opens the day page)."""

    portal: PortalProcess
    school: SeededSchool
    second_station_token: str
    client: httpx.Client

    def page(self, query: str = "") -> httpx.Response:
        """``GET /intendance`` (``query`` without its ``?``)."""
        return self.client.get("/intendance" + (f"?{query}" if query else ""))

    def push(self, items: list[dict[str, Any]], *, second_station: bool = False) -> list[str]:
        """Push meals and voids as a station does; the portal's status of each item."""
        token = self.second_station_token if second_station else self.school.station_token
        with self.portal.client(token) as station:
            answer = station.post("/v1/sync/meals", json={"meals": items})
        assert answer.status_code == 200, answer.text
        return [r["status"] for r in answer.json()["results"]]

    def api(self, path: str, **params: str) -> httpx.Response:
        """The intendance's API (its bearer token) at ``path``."""
        with self.portal.client(self.school.intendance_token) as client:
            return client.get(path, params=params)


def log_in(portal: PortalProcess, email: str, password: str) -> httpx.Client:
    """A client of ``portal`` logged in through the login form (CSRF token included)."""
    client = portal.client()
    form = client.get("/connexion")
    token = _CSRF.search(form.text)
    assert token, form.text[:500]
    answer = client.post(
        "/connexion", data={"csrf_token": token.group(1), "email": email, "password": password}
    )
    assert answer.status_code == 303, answer.text[:500]
    return client


def intendance_login(database_url: str, *, code: str = "1849") -> str:
    """A login of the intendance of school ``code``; returns its address."""
    email = f"intendance-{code}@college.fr"
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            create_login(
                session, email=email, password=PASSWORD, role="intendance", school_code=code
            )
    finally:
        engine.dispose()
    return email
