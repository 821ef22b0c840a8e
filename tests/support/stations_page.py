"""The intendance's stations page as the tests use it: a logged-in client of the pages,
the app's clock, and stations (real SQLite files) syncing with the real portal process
(plain helpers, no fixtures; the ``page`` fixture is in
tests/functional/web_intendance_stations)."""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cantine_harness.portal import PortalProcess, SeededSchool
from station.sync.runner import Synchronizer, SyncResult
from tests.support.sync import Station, make_station

INTENDANCE = "intendance@college1849.fr"
PASSWORD = "intendance-postes-1849"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class Clock:
    """The pages' clock: the real time unless the test moves it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def visible_text(markup: str) -> str:
    """The text a person reads in ``markup``: tags dropped, entities decoded, blanks
    collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()


def tamper(path: Path, *statements: str) -> None:
    """Edit a station's file behind its back, as someone with a SQLite shell would."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


@dataclass
class StationsPage:
    """The intendance's client of the pages, its clock, and the school's stations."""

    client: TestClient
    clock: Clock
    portal: PortalProcess
    school: SeededSchool
    engine: Engine
    tmp_path: Path
    stations: list[Station] = field(default_factory=list)

    def log_in(self) -> None:
        answer = self.post("/connexion", {"email": INTENDANCE, "password": PASSWORD})
        assert answer.status_code == 303, answer.text[:500]

    def post(
        self, path: str, data: dict[str, str], *, form_page: str | None = None
    ) -> httpx.Response:
        """Open ``form_page`` (default ``path``) and post its form for ``path`` with
        ``data`` and the CSRF token that form carries."""
        markup = self.client.get(form_page or path).text
        form = re.search(rf'<form[^>]*action="{re.escape(path)}".*?</form>', markup, flags=re.S)
        found = _CSRF.search(form.group(0) if form else markup)
        assert found, path
        return self.client.post(
            path, data={"csrf_token": found.group(1), **data}, follow_redirects=False
        )

    def html(self) -> str:
        answer = self.client.get("/intendance/postes")
        assert answer.status_code == 200, answer.text[:500]
        return answer.text

    def text(self) -> str:
        """The whole page as read."""
        return visible_text(self.html())

    def row(self, name: str) -> str:
        """What the page says of station ``name`` (its section): its status line, then
        each ``term: value``, separated by `` | ``."""
        sections = re.findall(r'<section class="poste".*?</section>', self.html(), flags=re.S)
        for section in sections:
            if re.search(rf"<h2[^>]*>{re.escape(name)}</h2>", section):
                status = re.search(r"</h2>\s*<p>(.*?)</p>", section, flags=re.S)
                pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", section, flags=re.S)
                parts = [name, visible_text(status.group(1)) if status else ""]
                parts += [f"{visible_text(term)}: {visible_text(value)}" for term, value in pairs]
                actions = "Révoquer" if "/revoquer" in section else ""
                return " | ".join([*parts, actions])
        raise AssertionError(f"no section for station {name}")

    def station(self, name: str = "ligne-1", token: str | None = None) -> Station:
        """Station ``name`` of school 1849 on its own SQLite file, syncing with the
        portal process with ``token`` (the seeded ``ligne-1`` token by default)."""
        made = make_station(
            self.tmp_path, self.portal.url, token or self.school.station_token, name=name
        )
        self.stations.append(made)
        return made

    def sync(self, station: Station) -> SyncResult:
        """One ``station sync --once`` cycle of ``station`` (push, then pull)."""
        synchronizer = Synchronizer(station.config)
        try:
            return synchronizer.run_once()
        finally:
            synchronizer.close()

    def close(self) -> None:
        for station in self.stations:
            station.close()
