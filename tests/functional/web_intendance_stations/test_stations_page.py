"""/intendance/postes after real syncs: what each station told the portal, the silent
station during a service, revoking a token, creating a station whose token is shown once."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
from sqlalchemy import delete, select

from portal_sync_api.core.db import session_scope
from portal_sync_api.core.security import hash_token
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import AuditEntry, Service, Station
from station import __version__
from tests.support.stations_page import StationsPage, visible_text
from tests.support.sync import NOON

CARDS = ("1849-01234", "1849-01235", "1849-01236", "1849-01238")


def test_the_page_shows_each_station_after_real_syncs(page: StationsPage) -> None:
    one, two = page.station("ligne-1"), None
    assert page.sync(one).ok
    for minute, card in enumerate(CARDS[:3]):
        assert one.line.scan(card, at=NOON + timedelta(minutes=minute)).served
    assert page.sync(one).ok
    # Ligne-2 exists on the portal (made through the page) but never synced.
    assert page.post("/intendance/postes", {"name": "ligne-2"}).status_code == 200
    del two

    row = page.row("ligne-1")
    assert re.search(r"Dernière réception: \d\d/\d\d/\d{4} à \d\d:\d\d \|", row)
    assert re.search(r"Dernier envoi: \d\d/\d\d/\d{4} à \d\d:\d\d \|", row)
    assert "Silencieux" not in row
    assert "Repas reçus aujourd'hui: 3 |" in row  # received today, whatever day they were served
    assert "En attente sur le poste: 0 repas |" in row
    assert f"Version: {__version__} |" in row
    assert "Horloge: à l'heure |" in row
    assert re.search(r"Données du portail: reçues il y a \d+ s \|", row)
    assert "Journal vérifié jusqu'au 24/11/2025 à 12:02 (n° 3)" in row
    assert row.endswith("| Révoquer")
    assert "Jamais synchronisé" in page.row("ligne-2")


def test_pending_meals_reported_by_the_station_are_shown(page: StationsPage) -> None:
    station = page.station()
    assert page.sync(station).ok
    assert station.line.scan(CARDS[0], at=NOON).served
    # The pull after the push reports what is left: 0; a station that cannot push says
    # how many wait. Here the portal's answer to the push is refused for a bad batch size.
    with httpx.Client(base_url=page.portal.url) as client:
        answer = client.get(
            "/v1/sync/changes",
            params={"since": 10**6},
            headers={
                "Authorization": f"Bearer {page.school.station_token}",
                "X-Station-Pending": "7",
                "X-Station-Version": "0.0.9",
                "X-Station-Interval": "30",
            },
        )
    assert answer.status_code == 200
    row = page.row("ligne-1")
    assert "En attente sur le poste: 7 repas |" in row and "Version: 0.0.9 |" in row


def test_a_station_clock_reset_to_year_one_is_shown_far_behind(page: StationsPage) -> None:
    with page.portal.client(page.school.station_token) as client:
        answer = client.get(
            "/v1/sync/changes", headers={"X-Station-Clock": "0001-01-01T00:00:00+00:00"}
        )
    assert answer.status_code == 200
    assert re.search(r"Horloge: décalée : en retard de \d+ j \|", page.row("ligne-1"))


def test_a_malformed_station_header_is_a_422_naming_it(page: StationsPage) -> None:
    with httpx.Client(base_url=page.portal.url) as client:
        answer = client.get(
            "/v1/sync/changes",
            headers={
                "Authorization": f"Bearer {page.school.station_token}",
                "X-Station-Pending": "beaucoup",
            },
        )
    assert answer.status_code == 422
    assert answer.json()["field"] == "X-Station-Pending"


def _open_a_service_around_the_page_clock(page: StationsPage) -> None:
    """A service of school 1849 whose window holds the pages' clock (school time)."""
    local = page.clock().astimezone(NOON.tzinfo)
    minutes = local.hour * 60 + local.minute
    start, end = max(0, minutes - 60), min(23 * 60 + 59, minutes + 60)
    with session_scope(page.engine) as session:
        school = require_school(session, code="1849")
        session.add(
            Service(
                school_id=school.id,
                code="etude",
                start=f"{start // 60:02d}:{start % 60:02d}",
                end=f"{end // 60:02d}:{end % 60:02d}",
            )
        )


def test_a_station_silent_past_twice_its_interval_during_a_service_is_flagged(
    page: StationsPage,
) -> None:
    station = page.station()
    assert page.sync(station).ok  # interval 10 s: silent after 20 s
    page.clock.advance(minutes=12, seconds=30)
    _open_a_service_around_the_page_clock(page)
    row = page.row("ligne-1")
    assert "Silencieux depuis 12 min" in row
    assert re.search(r'<strong class="erreur">Silencieux depuis 12 min</strong>', page.html())
    text = page.text()
    assert "1 poste silencieux pendant le service : ligne-1 (depuis 12 min)" in text


def test_a_silent_station_outside_any_service_is_not_flagged(page: StationsPage) -> None:
    station = page.station()
    assert page.sync(station).ok
    with session_scope(page.engine) as session:
        school = require_school(session, code="1849")
        session.execute(delete(Service).where(Service.school_id == school.id))
    page.clock.advance(minutes=25)  # the session stays open (idle limit 30 min)
    assert "Silencieux" not in page.row("ligne-1")
    assert "silencieux" not in page.text()


def test_a_station_within_twice_its_interval_is_not_flagged(page: StationsPage) -> None:
    station = page.station()
    assert page.sync(station).ok
    _open_a_service_around_the_page_clock(page)
    assert "Silencieux" not in page.row("ligne-1")


def test_revoke_asks_to_confirm_then_the_token_gets_401(page: StationsPage) -> None:
    station = page.station()
    assert page.sync(station).ok
    confirm = page.client.get("/intendance/postes/ligne-1/revoquer")
    assert confirm.status_code == 200 and "Révoquer le poste ligne-1 ?" in confirm.text
    # Nothing is revoked by looking at the confirmation.
    assert page.sync(station).ok
    done = page.post(
        "/intendance/postes/ligne-1/revoquer", {}, form_page="/intendance/postes/ligne-1/revoquer"
    )
    assert done.status_code == 303 and done.headers["location"] == "/intendance/postes"
    assert "Jeton du poste ligne-1 révoqué" in page.text()
    assert "Jeton révoqué le" in page.row("ligne-1")
    again = page.sync(station)
    assert not again.ok and again.error is not None and "Jeton du poste refusé" in again.error
    with page.portal.client(page.school.station_token) as client:
        assert client.get("/v1/sync/changes").status_code == 401
    with session_scope(page.engine) as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.action == "station_revoke"))
        (entry,) = entries.scalars()
        assert entry.actor == "intendance@college1849.fr" and entry.subject == "station ligne-1"
        assert json.loads(entry.detail)["after"]["revoked"] is True
    journal = visible_text(page.client.get("/intendance/journal").text)
    assert "Jeton de poste révoqué" in journal and "poste ligne-1" in journal


def test_revoke_without_the_form_token_changes_nothing(page: StationsPage) -> None:
    answer = page.client.post("/intendance/postes/ligne-1/revoquer", data={})
    assert answer.status_code in (400, 403)
    with page.portal.client(page.school.station_token) as client:
        assert client.get("/v1/sync/changes").status_code == 200


def test_another_schools_station_is_not_found(page: StationsPage) -> None:
    from cantine_harness.portal import create_station_token, seed_school

    seed_school(page.portal.database_url, code="1850", tokens=False)
    create_station_token(page.portal.database_url, school="1850", name="ligne-9")
    assert page.client.get("/intendance/postes/ligne-9/revoquer").status_code == 404
    gone = page.post("/intendance/postes/ligne-9/revoquer", {}, form_page="/intendance/postes")
    assert gone.status_code == 404
    assert "ligne-9" not in page.html()


def test_create_shows_a_working_token_once_and_never_again(page: StationsPage) -> None:
    created = page.post("/intendance/postes", {"name": "ligne-3"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = re.search(r"<code[^>]*>(st_[A-Za-z0-9_\-]+)</code>", created.text)
    assert found, created.text[:2000]
    token = found.group(1)
    assert "Ce jeton ne sera plus jamais affiché" in created.text

    station = page.station("ligne-3", token=token)
    assert page.sync(station).ok
    assert station.line.scan(CARDS[0], at=NOON).served
    assert page.sync(station).ok

    assert token not in page.html()
    with session_scope(page.engine) as session:
        stored = session.execute(select(Station).where(Station.name == "ligne-3")).scalar_one()
        assert stored.token_hash == hash_token(token) and token not in stored.token_hash
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "station_create")
        ).scalar_one()
        assert entry.subject == "station ligne-3"


def test_create_refusals_are_text_on_the_page(page: StationsPage) -> None:
    empty = page.post("/intendance/postes", {"name": "  "})
    assert empty.status_code == 200 and "indiquez le nom du poste" in empty.text
    taken = page.post("/intendance/postes", {"name": "ligne-1"})
    assert taken.status_code == 200
    assert "un poste s'appelle déjà « ligne-1 »" in visible_text(taken.text)
    assert 'aria-invalid="true"' in taken.text and "st_" not in taken.text
