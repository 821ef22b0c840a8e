"""The intendance's day page in chromium during a service: the intendance asks to follow
the service, two stations serve children and their sync runners push the meals to a real
portal; the open page, reloaded by its own ``<meta http-equiv="refresh">`` (never by the
test), shows them. axe finds nothing serious or critical at phone and desktop width on
the page as the menu opens it, during the service and on a past day.

This module runs its own portal (not the session's ``web_portal``): lunch is open all
day there and the page reloads every 2 s (``PORTAL_DAY_REFRESH_SECONDS``), which would
change what the other browser tests see."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from cantine_harness.portal import (
    PortalProcess,
    create_station_token,
    portal_database,
    running_portal,
    seed_school,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.schools import set_school
from station.sync.runner import SyncRunner, sync_once
from tests.functional.browser.pages import log_in_as
from tests.support.browser import assert_accessible, screenshot
from tests.support.sync import Station, make_station

PARIS = ZoneInfo("Europe/Paris")
EMAIL = "intendance.direct@college1849.fr"
PASSWORD = "intendance 1849 en direct"
REFRESH_SECONDS = 2
#: A reload every 2 s; the stations sync every second: the meals must show well within.
SHOWS_WITHIN_MS = 30_000


def _set_lunch(database_url: str, window: tuple[str, str]) -> None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            set_school(
                session,
                code="1849",
                services={"dejeuner": window},
                settings={"unreserved_policy": "allow"},
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live_portal() -> Iterator[PortalProcess]:
    """School 1849 with lunch open all day (bar its last minute) and no booking needed,
    an intendance login, a portal reloading the day page every 2 s."""
    with tempfile.TemporaryDirectory() as mail, portal_database() as url:
        seed_school(url)
        _set_lunch(url, ("00:00", "23:59"))
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                create_login(
                    session, email=EMAIL, password=PASSWORD, role="intendance", school_code="1849"
                )
        finally:
            engine.dispose()
        env = {"PORTAL_DAY_REFRESH_SECONDS": str(REFRESH_SECONDS), "PORTAL_MAIL_DIR": mail}
        with running_portal(url, migrate_first=False, env=env) as portal:
            yield portal


@pytest.fixture
def browser_context_args(live_portal: PortalProcess) -> dict[str, Any]:
    """Pages of this module open on its own portal."""
    return {"base_url": live_portal.url}


@pytest.fixture
def stations(tmp_path: Path, live_portal: PortalProcess) -> Iterator[list[Station]]:
    """Lines ``ligne-1`` and ``ligne-2``, each with its own token and database, their
    caches filled by a first sync."""
    made = []
    run = uuid.uuid4().hex[:6]  # the module's portal keeps the stations of earlier tests
    for name in (f"ligne-1-{run}", f"ligne-2-{run}"):
        token = create_station_token(live_portal.database_url, school="1849", name=name)
        station = make_station(tmp_path, live_portal.url, token, name=name, interval=1)
        made.append(station)
        assert sync_once(station.config).ok
    yield made
    for station in made:
        station.close()


def _served_unreserved(page: Page) -> Locator:
    """The per-service table's « Servis sans réservation » cell of lunch."""
    table = page.locator("table", has=page.locator("caption", has_text="par service"))
    return table.locator('td[data-label="Servis sans réservation"]').first


def _last_update(page: Page) -> str:
    text = page.locator(".journee-direct").inner_text()
    found = re.search(r"dernière mise à jour (\d\d:\d\d:\d\d)", text)
    assert found, text
    return found.group(1)


def test_the_open_day_page_reloads_itself_and_shows_what_two_stations_serve(
    desktop_page: Page, live_portal: PortalProcess, stations: list[Station]
) -> None:
    page = desktop_page
    log_in_as(page, EMAIL, PASSWORD, lands_on="/intendance")
    expect(page.get_by_text("Service en cours : Déjeuner")).to_be_visible()
    page.get_by_role("link", name="Suivre le service en direct").click()
    expect(page.locator(".journee-direct")).to_contain_text(
        f"Mise à jour automatique toutes les {REFRESH_SECONDS} s — dernière mise à jour"
    )
    expect(_served_unreserved(page)).to_have_text("0")
    first_update = _last_update(page)

    runners = [SyncRunner(s.config, on_status=lambda _status: None) for s in stations]
    for runner in runners:
        runner.start()
    try:
        line_1, line_2 = stations
        # Hervé at the first line; Léa and Tom at the second (no booking today: allowed).
        for station, card in (
            (line_1, "1849-01234"),
            (line_2, "1849-01235"),
            (line_2, "1849-01236"),
        ):
            verdict = station.line.scan(card)
            assert verdict.served, verdict.reason
        # No reload, no click from here: only the page's own refresh brings the meals.
        expect(_served_unreserved(page)).to_have_text("3", timeout=SHOWS_WITHIN_MS)
    finally:
        for runner in runners:
            runner.stop()
    assert page.url.endswith("/intendance?direct=1")
    assert _last_update(page) != first_update
    expect(page.locator(".journee-resume").first).to_contain_text("3 passages")


def test_the_day_page_has_no_serious_accessibility_violation(
    new_page: Any, live_portal: PortalProcess
) -> None:
    now = datetime.now(PARIS)
    for viewport in ("phone", "desktop"):
        page: Page = new_page(viewport)
        log_in_as(page, EMAIL, PASSWORD, lands_on="/intendance")
        expect(page.get_by_role("heading", level=1)).to_contain_text("(aujourd'hui)")
        expect(page.get_by_text("Service en cours : Déjeuner")).to_be_visible()
        if page.locator("details summary").count():
            page.locator("details summary").first.click()  # the chart's figures, opened
        assert_accessible(page)
        screenshot(page, "intendance-journee")
        yesterday = (now.date() - timedelta(days=1)).isoformat()
        page.get_by_label("Jour", exact=True).fill(yesterday)
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(re.compile(rf"jour={yesterday}$"))
        expect(page.get_by_role("link", name=re.compile("Aujourd'hui"))).to_be_visible()
        assert_accessible(page)
