"""A card blocked on the intendance's page of a real portal process reaches a real station
with its next sync, and the next scan of that card is refused ``card_blocked``; the new
card issued to the child is known to the line after the same sync."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cantine_harness.portal import SEED_DAY, PortalProcess, SeededSchool
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login
from station.engine import VoidError
from station.sync.runner import sync_once
from tests.support.station import PARIS
from tests.support.sync import Station, make_station

EMAIL = "intendance.cartes@college1849.fr"
PASSWORD = "mot de passe des cartes 1849"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def station(tmp_path: Path, portal: PortalProcess, school: SeededSchool) -> Iterator[Station]:
    """Line ``ligne-1`` of the seeded school, syncing straight with the portal process."""
    made = make_station(tmp_path, portal.url, school.station_token)
    yield made
    made.close()


@pytest.fixture
def intendance(portal: PortalProcess, school: SeededSchool) -> Iterator[httpx.Client]:
    """A browser-like client of the portal process, logged in as school 1849's intendance."""
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            create_login(
                session, email=EMAIL, password=PASSWORD, role="intendance", school_code="1849"
            )
    finally:
        engine.dispose()
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        answer = _post(client, "/connexion", {"email": EMAIL, "password": PASSWORD}, "/connexion")
        assert answer.status_code == 303, answer.text
        yield client


def _post(client: httpx.Client, path: str, data: dict[str, str], page: str) -> httpx.Response:
    """Post the form of ``page`` with its CSRF token, as a browser would."""
    token = _CSRF.search(client.get(page).text)
    assert token is not None
    return client.post(path, data={**data, "csrf_token": token.group(1)})


def test_a_card_blocked_on_the_page_is_refused_at_the_line_after_one_sync(
    portal: PortalProcess, school: SeededSchool, station: Station, intendance: httpx.Client
) -> None:
    herve = school.children[0]
    card = school.cards[herve]
    assert sync_once(station.config).ok
    noon = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, 12, 0, tzinfo=PARIS)
    served = station.line.scan(card, at=noon)
    assert (served.status.value, served.reason.value) == ("served", "reserved")

    blocked = _post(
        intendance,
        "/intendance/cartes/bloquer",
        {"card": card, "reason": "perdue", "q": card},
        f"/intendance/cartes?q={card}",
    )
    assert blocked.status_code == 303, blocked.text
    assert sync_once(station.config).ok
    refused = station.line.scan(card, at=noon + timedelta(days=1))
    assert (refused.status.value, refused.reason.value) == ("refused", "card_blocked")

    issued = _post(
        intendance,
        "/intendance/cartes/nouvelle",
        {"child": herve, "q": card},
        f"/intendance/cartes?q={card}",
    )
    assert issued.status_code == 303, issued.text
    new_card = "1849-01239"
    assert new_card in intendance.get(issued.headers["location"]).text
    assert sync_once(station.config).ok
    # The line knows the new card: Hervé, already served today, not an unknown card.
    again = station.line.scan(new_card, at=noon + timedelta(minutes=5))
    assert (again.status.value, again.reason.value) == ("refused", "already_served")
    assert again.child is not None and again.child.id == herve


def test_a_meal_cancelled_on_the_page_frees_the_child_at_the_line_that_served_it(
    portal: PortalProcess, school: SeededSchool, station: Station, intendance: httpx.Client
) -> None:
    """The line that served the meal learns of the intendance's void with its next sync:
    the child is served again in that service, and the line's own undo says the meal is
    already cancelled (the portal would refuse a second void)."""
    herve, family = school.children[0], school.families[0]
    card = school.cards[herve]
    assert sync_once(station.config).ok
    noon = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, 12, 0, tzinfo=PARIS)
    served = station.line.scan(card, at=noon)
    assert served.status.value == "served" and served.meal_id is not None
    assert sync_once(station.config).ok  # the meal reaches the portal
    page = f"/intendance/familles/{family}"
    cancelled = _post(
        intendance,
        f"{page}/repas/{served.meal_id}/annuler",
        {"reason": "non_servi", "detail": ""},
        page,
    )
    assert cancelled.status_code == 303, cancelled.text
    before = station.line.scan(card, at=noon + timedelta(minutes=1))
    assert (before.status.value, before.reason.value) == ("refused", "already_served")

    assert sync_once(station.config).ok
    again = station.line.scan(card, at=noon + timedelta(minutes=2))
    assert again.status.value == "served" and again.meal_id != served.meal_id
    with pytest.raises(VoidError, match="déjà annulé"):
        station.line.void(served.meal_id, at=noon + timedelta(minutes=3), reason="erreur")
