"""The demo's setup (without the screen), and the app's sync line against a real portal."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot

from cantine_harness.demo import (
    SCHOOL_NAME,
    demo_station,
    seed_portal,
    this_week,
    write_config,
)
from cantine_harness.portal import (
    create_station_token,
    free_port,
    portal_database,
    running_portal,
)
from station.cli.common import open_line
from station.cli.run import station_app
from station.core.config import load_config
from station.core.models import Source
from station.store import Store
from tests.support.ui import flat

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    return datetime.now(PARIS).date()


def test_demo_setup_gives_a_synced_station_whose_printed_cards_behave_as_announced(
    tmp_path: Path,
) -> None:
    with demo_station(tmp_path, pupils=80, seed=7) as demo:
        with Store(demo.config.station.database) as store, store.read() as conn:
            assert conn.execute("SELECT COUNT(*) FROM children").fetchone()[0] == 80
            reserved = conn.execute(
                "SELECT COUNT(*) FROM reservations WHERE day = ?", (today().isoformat(),)
            ).fetchone()[0]
            name = conn.execute("SELECT value FROM meta WHERE key = 'school_name'").fetchone()[0]
        assert reserved > 40
        assert name == SCHOOL_NAME
        line = open_line(demo.config)
        try:
            verdicts = [line.scan(card.code, source=Source.WEDGE) for card in demo.cards]
        finally:
            line.store.close()
    seen = [(v.status.value, v.reason.value) for v in verdicts]
    assert seen == [
        ("served", "reserved"),
        ("refused", "already_served"),
        ("refused", "no_reservation"),
        ("refused", "card_blocked"),
        ("served", "reserved"),
        ("refused", "insufficient_balance"),
        ("served", "reserved"),
        ("refused", "unknown_card"),
        ("refused", "foreign_card"),
    ]
    assert verdicts[0].charged_cents == 415
    assert [w.value for w in verdicts[4].warnings] == ["low_balance"]
    assert verdicts[5].balance_cents == -320
    assert "allergy" in [w.value for w in verdicts[6].warnings]
    assert verdicts[3].extra["card_status"] == "lost"


def test_the_demo_week_covers_monday_to_sunday_around_today() -> None:
    days = this_week(date(2026, 11, 26))
    assert [d.isoweekday() for d in days] == [1, 2, 3, 4, 5, 6, 7]
    assert days[0] == date(2026, 11, 23)


async def _until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.1)


@pytest.mark.anyio
async def test_sync_line_goes_offline_when_the_portal_stops_and_online_when_it_returns(
    tmp_path: Path,
) -> None:
    port = free_port()
    with portal_database(directory=tmp_path) as url, contextlib.ExitStack() as portal:
        seed_portal(url, today=today(), pupils=20, seed=3)
        token = create_station_token(url)
        log = tmp_path / "portal.log"
        config = load_config(write_config(tmp_path, f"http://127.0.0.1:{port}", token))
        portal.enter_context(running_portal(url, migrate_first=False, log=log, port=port))
        app = station_app(config, export_dir=tmp_path)
        try:
            async with app.run_test(size=(100, 30)) as pilot:

                def online() -> bool:
                    return app.sync_status is not None and app.sync_status.online

                await _until(pilot, online)
                assert "Synchronisation : En ligne — 0 en attente" in flat(app)

                portal.close()  # the portal goes away
                await pilot.press("1", "8", "4", "9", "-", "0", "0", "0", "0", "1", "enter")
                await pilot.press("f9")
                await _until(pilot, lambda: not online())
                assert "Synchronisation : Hors ligne" in flat(app)
                assert app.serving.query_one("#sync-status").has_class("-offline")

                portal.enter_context(
                    running_portal(url, migrate_first=False, log=log, port=port)
                )  # it comes back
                await pilot.press("f9")
                await _until(pilot, lambda: online() and app.sync_status.pending == 0)  # type: ignore[union-attr]
                assert "Synchronisation : En ligne — 0 en attente" in flat(app)
        finally:
            app.line.store.close()
