"""The intendance's stations page in chromium: a station that synced through a real
portal (journal verified), one silent during the service, one never synced; revoking
through the link and its confirmation, creating a station whose token shows once. axe
finds nothing serious or critical at phone and desktop width.

This module runs its own portal (not the session's ``web_portal``): lunch is open all
day there, so the silent station is flagged whatever the time of the run."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

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
from portal_sync_api.models import Station as StationRow
from portal_sync_api.models import StationState
from station.sync.runner import sync_once
from tests.functional.browser.pages import log_in_as
from tests.support.browser import assert_accessible
from tests.support.sync import NOON, make_station

EMAIL = "intendance.postes@college1849.fr"
PASSWORD = "intendance 1849 postes"
SHOTS = Path("/tmp/shots/stations")


@pytest.fixture(scope="module")
def stations_portal() -> Iterator[PortalProcess]:
    """School 1849 with lunch open all day (bar its last minute) and an intendance login."""
    with portal_database() as url, tempfile.TemporaryDirectory() as mail:
        seed_school(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                set_school(session, code="1849", services={"dejeuner": ("00:00", "23:59")})
                create_login(
                    session, email=EMAIL, password=PASSWORD, role="intendance", school_code="1849"
                )
        finally:
            engine.dispose()
        with running_portal(url, migrate_first=False, env={"PORTAL_MAIL_DIR": mail}) as portal:
            yield portal


@pytest.fixture
def browser_context_args(stations_portal: PortalProcess) -> dict[str, Any]:
    """Pages of this module open on its own portal."""
    return {"base_url": stations_portal.url}


@pytest.fixture(scope="module")
def three_stations(
    tmp_path_factory: pytest.TempPathFactory, stations_portal: PortalProcess
) -> Iterator[list[str]]:
    """``ligne-1-…`` served two meals and synced them; ``ligne-2-…`` last synced 12 min
    ago; ``ligne-3-…`` never synced. Returns their names."""
    tmp_path = tmp_path_factory.mktemp("stations")
    run = uuid.uuid4().hex[:4]
    names = [f"ligne-{n}-{run}" for n in (1, 2, 3)]
    url = stations_portal.database_url
    tokens = [create_station_token(url, school="1849", name=name) for name in names]
    first = make_station(tmp_path, stations_portal.url, tokens[0], name=names[0])
    try:
        assert sync_once(first.config).ok
        for minute, card in enumerate(("1849-01234", "1849-01235")):
            assert first.line.scan(card, at=NOON + timedelta(minutes=minute)).served
        assert sync_once(first.config).ok
    finally:
        first.close()
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            station = session.query(StationRow).filter_by(name=names[1]).one()
            then = (datetime.now(UTC) - timedelta(minutes=12, seconds=5)).isoformat()
            session.add(
                StationState(
                    station_id=station.id,
                    last_pull_at=then,
                    last_push_at=then,
                    data_at=then,
                    pending=4,
                    app_version="0.1.0",
                    clock_offset_seconds=-2,
                    sync_interval_seconds=10,
                    unlinked_meals=3,
                )
            )
    finally:
        engine.dispose()
    yield names


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = (page.viewport_size or {"width": 0})["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def _checked_at_both_widths(page: Page, name: str) -> None:
    """axe at phone then desktop width on the page as it is, a screenshot of each."""
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
        _shot(page, name)


def test_the_stations_page_reads_well_and_has_no_serious_violation(
    new_page: Any, three_stations: list[str]
) -> None:
    first, silent, never = three_stations
    for viewport in ("phone", "desktop"):
        page: Page = new_page(viewport)
        log_in_as(page, EMAIL, PASSWORD, lands_on="/intendance")
        page.goto("/intendance/postes")
        expect(page.get_by_role("heading", level=1)).to_have_text("Postes de service")
        expect(page.get_by_role("alert")).to_contain_text(
            re.compile(rf"poste silencieux pendant le service :\s+{silent} \(depuis 1[23] min\)")
        )
        silent_row = page.get_by_role("region", name=re.compile(silent))
        expect(silent_row).to_contain_text(re.compile(r"Silencieux depuis 1[23] min"))
        expect(silent_row).to_contain_text("Journal non transmis")
        first_row = page.get_by_role("region", name=re.compile(first))
        expect(first_row).to_contain_text("Journal vérifié jusqu'au 24/11/2025 à 12:01 (n° 2)")
        expect(page.get_by_role("region", name=re.compile(never))).to_contain_text(
            "Jamais synchronisé"
        )
        expect(page.get_by_label("Nom du poste")).to_be_visible()
        assert_accessible(page)
        _shot(page, "postes")


def test_revoke_through_the_link_and_its_confirmation(
    new_page: Any, three_stations: list[str], stations_portal: PortalProcess
) -> None:
    never = f"ligne-a-revoquer-{uuid.uuid4().hex[:4]}"
    token = create_station_token(stations_portal.database_url, school="1849", name=never)
    page: Page = new_page("phone")
    log_in_as(page, EMAIL, PASSWORD, lands_on="/intendance")
    page.goto("/intendance/postes")
    row = page.get_by_role("region", name=re.compile(never))
    row.get_by_role("link", name="Révoquer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Révoquer le poste {never} ?")
    _checked_at_both_widths(page, "postes-revoquer")
    page.get_by_role("button", name=f"Révoquer le poste {never}").click()
    expect(page).to_have_url(re.compile(r"/intendance/postes$"))
    expect(page.get_by_role("status")).to_contain_text(f"Jeton du poste {never} révoqué")
    row = page.get_by_role("region", name=re.compile(never))
    expect(row).to_contain_text("Jeton révoqué le")
    expect(row.get_by_role("link", name="Révoquer")).to_have_count(0)
    with stations_portal.client(token) as client:
        assert client.get("/v1/sync/changes").status_code == 401


def test_create_through_the_form_shows_the_token_once(
    new_page: Any, three_stations: list[str]
) -> None:
    name = f"ligne-neuve-{uuid.uuid4().hex[:4]}"
    page: Page = new_page("desktop")
    log_in_as(page, EMAIL, PASSWORD, lands_on="/intendance")
    page.goto("/intendance/postes")
    page.get_by_label("Nom du poste").fill(name)
    page.get_by_role("button", name="Créer un poste").click()
    shown = page.locator("#nouveau-jeton")
    expect(shown).to_contain_text(f"Poste {name} créé")
    token = shown.locator("code.adresse").inner_text()
    assert token.startswith("st_")
    _checked_at_both_widths(page, "postes-cree")
    page.goto("/intendance/postes")
    expect(page.get_by_role("region", name=re.compile(name))).to_contain_text("Jamais synchronisé")
    assert token not in page.content()
