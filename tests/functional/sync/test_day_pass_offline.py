"""A parent's day pass from the page to the line: the QR code of the child's page, read by
the camera decoder from its picture, serves the child after one station sync with the
portal stopped (``source = qr``); yesterday's pass, a pass whose card was blocked since,
another school's pass and an altered one are refused."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cantine_harness.portal import portal_database, running_portal, seed_school
from portal_sync_api.api.main import create_app
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.changes import ChangeBuffer
from portal_sync_api.crud.passwords import create_login
from portal_sync_api.crud.roster import card_data
from portal_sync_api.models import Card, Child
from station.core.models import Reason, Source, Status
from station.sync.runner import sync_once
from tests.support.family_pages import PASSWORD, Browser
from tests.support.qr_pages import page_qr_text
from tests.support.sync import NOON, make_station


def _parent(app: FastAPI, database_url: str, email: str, family_ref: str) -> Browser:
    """A parent of family ``family_ref`` logged in on the in-process portal app."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            create_login(
                session, email=email, password=PASSWORD, role="parent", family_id=family_ref
            )
    finally:
        engine.dispose()
    browser = Browser(TestClient(app, base_url="http://127.0.0.1:8000"))
    answer = browser.post("/connexion", {"email": email, "password": PASSWORD}, page="/connexion")
    assert answer.status_code == 303, answer.text[:300]
    return browser


def _qr_of_page(browser: Browser, child_ref: str) -> str:
    page = browser.client.get(f"/famille/enfants/{child_ref}")
    assert page.status_code == 200, page.text[:300]
    assert "Passe du jour" in html.unescape(page.text)
    return page_qr_text(page.text)


def _block_card(database_url: str, code: str) -> None:
    """The intendance blocks card ``code`` (and the feed tells the stations)."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            card = session.get_one(Card, code)
            card.status = "blocked"
            child = session.get_one(Child, card.child_id)
            buffer = ChangeBuffer()
            buffer.put(
                school_id=child.school_id,
                kind="card",
                key=code,
                data=card_data(card, child_ref=child.ref),
            )
            buffer.flush(session)
    finally:
        engine.dispose()


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_a_pass_shown_on_the_phone_serves_the_child_offline_after_one_sync(
    tmp_path: Path,
) -> None:
    with portal_database() as url:
        school = seed_school(url, code="1849")
        seed_school(url, code="1850", tokens=False)
        herve, lea = school.children[0], school.children[1]
        app = create_app(url)
        try:
            dupont = _parent(app, url, "parent.dupont@example.fr", "F18491")
            other = _parent(app, url, "parent.autre@example.fr", "F18501")
            app.state.clock = _at(NOON - timedelta(days=1))
            yesterdays = _qr_of_page(dupont, herve)
            app.state.clock = _at(NOON)
            todays = _qr_of_page(dupont, herve)
            leas = _qr_of_page(dupont, lea)
            foreign = _qr_of_page(other, "C1850-42")
        finally:
            app.state.engine.dispose()
        _block_card(url, school.cards[lea])

        with running_portal(url) as portal:
            station = make_station(tmp_path, portal.url, school.station_token)
            assert sync_once(station.config).ok
        assert portal.process.poll() is not None  # stopped: the line is on its own

        def scan(payload: str) -> tuple[Status, Reason, Source]:
            verdict = station.line.scan(payload, at=NOON, source=Source.CAMERA)
            return verdict.status, verdict.reason, verdict.source

        try:
            assert yesterdays.startswith("CQ1.1849-01234.")
            assert scan(yesterdays) == (Status.REFUSED, Reason.PASS_EXPIRED, Source.QR)
            altered = todays[:-2] + ("A" if todays[-2] != "A" else "B") + todays[-1]
            assert scan(altered) == (Status.REFUSED, Reason.PASS_INVALID, Source.QR)
            assert scan(leas) == (Status.REFUSED, Reason.CARD_BLOCKED, Source.QR)
            assert scan(foreign) == (Status.REFUSED, Reason.FOREIGN_CARD, Source.QR)
            served = station.line.scan(todays, at=NOON, source=Source.CAMERA)
            assert (served.status, served.reason, served.source) == (
                Status.SERVED,
                Reason.RESERVED,
                Source.QR,
            )
            assert served.child is not None and served.child.id == herve
            assert served.card == "1849-01234"
        finally:
            station.close()
