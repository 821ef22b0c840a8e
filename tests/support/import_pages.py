"""The intendance's imports and a collectivité administrator as the tests use them: CSV
files, uploads through the form, what the pages say, and the database's state to compare
before and after (plain helpers; the ``site`` fixture is in
tests/functional/web_intendance_imports)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from cantine_harness.portal import SeededSchool
from tests.support.account_pages import Web

INTENDANCE_1849 = "intendance@college1849.fr"
INTENDANCE_0683 = "intendance@college0683.fr"
INTENDANCE_PASSWORD = "intendance-imports-secret"
ROSTER_HEADER = "child_id;last_name;first_name;class;school;card_number;family_id"
_COUNT = re.compile(r"<li>([^<:]+?) : <strong>(\d+)</strong>")
_TAGS = re.compile(r"<[^>]+>")

#: The tables an import may change, read whole to compare before and after.
TABLES = ("children", "cards", "families", "reservations", "ledger", "tariffs", "changes")


@dataclass
class Site:
    """The app's client and clock (``web``), its database and the three seeded schools."""

    web: Web
    database_url: str
    engine: Engine
    schools: dict[str, SeededSchool]

    def client_of(self, email: str, password: str = INTENDANCE_PASSWORD) -> TestClient:
        """A new browser-like client logged in as ``email``."""
        client = self.web.new_client()
        answer = self.web.login(email, password, client=client)
        assert answer.status_code == 303, answer.text[:500]
        return client

    def state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of the tables an import may change (sorted), to compare."""
        with self.engine.connect() as conn:
            return {
                name: sorted(
                    (tuple(row) for row in conn.execute(text(f"SELECT * FROM {name}"))), key=repr
                )
                for name in TABLES
            }

    def count(self, sql: str, **params: object) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) {sql}"), params).scalar_one())


def roster(lines: Sequence[str], header: str = ROSTER_HEADER) -> bytes:
    """A roster file (UTF-8) of ``lines`` under ``header``."""
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def upload(web: Web, client: TestClient, kind: str, name: str, data: bytes) -> httpx.Response:
    """Send a file through the form of /intendance/imports (not following redirects)."""
    token = web.form_token("/intendance/imports", client)
    return client.post(
        "/intendance/imports",
        data={"csrf_token": token, "type": kind},
        files={"fichier": (name, data, "text/csv")},
        follow_redirects=False,
    )


def counts(page: str) -> dict[str, int]:
    """The figures of a preview page, by their French label."""
    return {label.strip(): int(value) for label, value in _COUNT.findall(page)}


def page_text(page: str) -> str:
    """The visible text of a page, on one line."""
    return " ".join(unescape(_TAGS.sub(" ", page)).split())


def preview_path(answer: httpx.Response) -> str:
    """Where an accepted upload sends the browser (its preview)."""
    assert answer.status_code == 303, answer.text[:1000]
    location = answer.headers["location"]
    assert location.startswith("/intendance/imports/"), location
    return location
