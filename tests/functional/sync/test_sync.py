"""Station ↔ real portal on loopback, with faults injected between them."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from cantine_harness.feeds import FeedBuilder
from cantine_harness.portal import PortalProcess, SeededSchool
from station.core.errors import SyncError
from station.store import cache, ledger
from station.sync.client import PortalClient
from station.sync.runner import SyncRunner, sync_once
from tests.functional.sync.proxy import Fault, FaultyProxy
from tests.support.sync import (
    NOON,
    Station,
    credit,
    full_feed,
    make_station,
    portal_balance,
    portal_meals,
    sync_cli,
)

HERVE, LEA, TOM, ZOE, NOAH = (f"C1849-{n}" for n in (42, 43, 44, 45, 46))
F1, F2, F3 = "F18491", "F18492", "F18493"


def test_first_sync_fills_the_cache_and_the_line_serves_from_it(station: Station) -> None:
    assert sync_once(station.config).ok
    verdict = station.line.scan("1849-01234", at=NOON)
    assert verdict.served and verdict.charged_cents == 415
    assert verdict.balance_cents == 5000 - 415
    assert [w.value for w in verdict.warnings] == ["allergy", "diet"]
    assert station.line.scan("1849-01237", at=NOON).reason.value == "card_blocked"


def test_portal_down_for_a_day_loses_nothing_and_one_sync_empties_the_outbox(
    station: Station, proxy: FaultyProxy, portal: PortalProcess, school: SeededSchool
) -> None:
    assert sync_once(station.config).ok
    proxy.fault = Fault("down")
    served = []
    for minute, card in enumerate(["1849-01234", "1849-01235", "1849-01236"]):
        verdict = station.line.scan(card, at=NOON + timedelta(minutes=minute))
        assert verdict.served, verdict.reason
        served.append(verdict.meal_id)
        down = sync_cli(station)
        assert down.returncode == 1 and "rien n'est perdu" in down.stderr
    assert station.pending() == 3
    proxy.fault = None
    back = sync_cli(station)
    assert back.returncode == 0, back.stderr
    assert station.pending() == 0
    on_portal = {
        m["meal_id"]
        for child in (HERVE, LEA, TOM, NOAH)
        for m in portal_meals(portal, school, child)
    }
    assert proxy.spoiled >= 3
    assert on_portal == set(served)
    assert portal_balance(portal, school, F1) == 5000 - 415
    assert station.balance(F1) == 5000 - 415


def test_answer_lost_after_commit_is_retried_as_duplicate_and_debited_once(
    station: Station, proxy: FaultyProxy, portal: PortalProcess, school: SeededSchool
) -> None:
    assert sync_once(station.config).ok
    meal = station.line.scan("1849-01234", at=NOON)
    proxy.fault = Fault("drop", match="POST /v1/sync/meals", times=1)
    assert not sync_once(station.config).ok
    assert proxy.spoiled == 1 and station.pending() == 1
    assert [m["meal_id"] for m in portal_meals(portal, school, HERVE)] == [meal.meal_id]
    assert sync_once(station.config).ok
    assert station.pending() == 0
    assert portal_balance(portal, school, F1) == 5000 - 415
    assert station.balance(F1) == 5000 - 415


def test_same_meal_twice_in_a_batch_and_across_batches_is_applied_once(
    station: Station, portal: PortalProcess, school: SeededSchool
) -> None:
    client = PortalClient(portal.url, school.station_token)
    item = {
        "kind": "meal",
        "id": "0193aaaa-0000-7000-8000-000000000001",
        "child_id": HERVE,
        "card": "1849-01234",
        "source": "wedge",
        "service": "dejeuner",
        "business_date": NOON.date().isoformat(),
        "served_at": NOON.isoformat(),
        "reason": "reserved",
        "charged_cents": 415,
    }
    first = client.push([item, item])
    again = client.push([item])
    assert [r["status"] for r in first] == ["applied", "duplicate"]
    assert again[0]["status"] == "duplicate" and again[0]["seq"] == first[0]["seq"]
    assert portal_balance(portal, school, F1) == 5000 - 415


def test_connection_cut_mid_pull_leaves_a_whole_page_and_the_next_pull_completes(
    tmp_path: Path, proxy: FaultyProxy, portal: PortalProcess, school: SeededSchool
) -> None:
    station = make_station(tmp_path, proxy.url, school.station_token, page_size=7)
    feed = full_feed(portal, school.station_token)
    assert len(feed) > 14
    # The first GET of the feed is the school check (station/sync/runner.py), the second
    # the first page.
    proxy.fault = Fault("cut", match="GET /v1/sync/changes", after=2, times=1, cut_bytes=300)
    assert not sync_once(station.config).ok
    with station.line.store.read() as conn:
        cursor = cache.pull_cursor(conn)
        children = {r[0] for r in conn.execute("SELECT id FROM children")}
        cards = {r[0] for r in conn.execute("SELECT code FROM cards")}
    assert cursor == feed[6]["seq"]  # exactly the first page of 7
    first_page = feed[:7]
    assert children == {c["key"] for c in first_page if c["kind"] == "child"}
    assert cards == {c["key"] for c in first_page if c["kind"] == "card"}
    assert sync_once(station.config).ok
    with station.line.store.read() as conn:
        assert cache.pull_cursor(conn) == feed[-1]["seq"]
        assert conn.execute("SELECT COUNT(*) FROM children").fetchone()[0] == 5
    station.close()


def test_slow_portal_is_given_up_in_time_and_scans_are_unaffected(
    tmp_path: Path, proxy: FaultyProxy, school: SeededSchool
) -> None:
    station = make_station(tmp_path, proxy.url, school.station_token, timeout=0.5)
    assert sync_once(station.config).ok
    proxy.fault = Fault("delay", match="GET /v1/sync/changes", delay_seconds=4.0)
    outcome: dict[str, object] = {}

    def background() -> None:
        started = time.monotonic()
        outcome["result"] = sync_once(station.config)
        outcome["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=background)
    worker.start()
    time.sleep(0.1)  # the pull is now waiting on the slow portal
    verdict = station.line.scan("1849-01234", at=NOON)
    assert verdict.served
    worker.join(10)
    result = outcome["result"]
    assert not result.ok and "délai" in (result.error or "")  # type: ignore[attr-defined]
    assert float(outcome["elapsed"]) < 4.0  # type: ignore[arg-type]
    proxy.fault = None
    assert sync_once(station.config).ok and station.pending() == 0
    station.close()


def test_wrong_token_is_reported_and_changes_nothing(
    tmp_path: Path, proxy: FaultyProxy, school: SeededSchool
) -> None:
    station = make_station(tmp_path, proxy.url, "not-a-token")
    result = sync_once(station.config)
    assert not result.ok and "Jeton" in (result.error or "")
    with station.line.store.read() as conn:
        assert cache.pull_cursor(conn) == 0
    station.close()


def test_station_clock_ten_minutes_ahead_is_flagged_and_still_counted(
    station: Station, portal: PortalProcess, school: SeededSchool
) -> None:
    from portal_sync_api.core.db import make_engine, session_scope
    from portal_sync_api.crud.schools import set_school

    engine = make_engine(portal.database_url)
    with session_scope(engine) as session:
        set_school(
            session,
            code="1849",
            services={"dejeuner": ("00:00", "23:59")},
            settings={"unreserved_policy": "allow"},
        )
    engine.dispose()
    assert sync_once(station.config).ok
    from datetime import UTC, datetime

    ahead = datetime.now(UTC) + timedelta(minutes=10)
    verdict = station.line.scan("1849-01234", at=ahead)
    assert verdict.served
    assert sync_once(station.config).ok
    with station.line.store.read() as conn:
        flag = conn.execute(
            "SELECT clock_skew FROM meals WHERE id = ?", (verdict.meal_id,)
        ).fetchone()[0]
    assert flag == 1
    assert portal_balance(portal, school, F1) == 5000 - verdict.charged_cents


def test_rejected_meal_is_kept_and_surfaced_not_dropped(station: Station) -> None:
    assert sync_once(station.config).ok
    with station.line.store.read() as conn:
        cursor = cache.pull_cursor(conn)
    # A child the station still has but the portal does not know (a stale or forged cache).
    ghost = FeedBuilder(start_seq=cursor)
    ghost.child("GHOST", card="1849-09999", family_id=F1)
    ghost.reservation("GHOST", NOON.date())
    station.line.store.apply_page(ghost.changes, cursor, "ligne-1", NOON.isoformat())
    assert station.line.scan("1849-09999", at=NOON).served
    assert station.line.scan("1849-01234", at=NOON).served
    result = sync_once(station.config)
    assert result.ok and (result.push.acknowledged, result.push.rejected) == (1, 1)
    with station.line.store.read() as conn:
        rows = conn.execute(
            "SELECT kind, rejected_reason FROM outbox WHERE rejected_reason IS NOT NULL"
        ).fetchall()
    assert [tuple(r) for r in rows] == [("meal", "unknown_child")]
    assert station.pending() == 0
    status_line = sync_cli(station)
    assert status_line.returncode == 0 and "1 rejeté" not in status_line.stdout  # not resent


def test_credit_on_the_portal_reaches_the_station_balance_through_the_runner(
    tmp_path: Path, portal: PortalProcess, school: SeededSchool
) -> None:
    station = make_station(tmp_path, portal.url, school.station_token, interval=1)
    seen: list[int] = []
    runner = SyncRunner(station.config, on_status=lambda s: seen.append(s.pending))
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and station.balance(F2) != 500:
            time.sleep(0.05)
        assert station.balance(F2) == 500
        credit(portal.database_url, F2, 2000, "CHQ-2025-0042")
        runner.trigger()
        while time.monotonic() < deadline and station.balance(F2) != 2500:
            time.sleep(0.05)
        assert station.balance(F2) == 2500
        assert runner.status() is not None and runner.status().online  # type: ignore[union-attr]
    finally:
        runner.stop()
        station.close()


def test_second_line_refuses_a_child_served_at_the_first_after_sync(
    station: Station, second_station: Station
) -> None:
    assert sync_once(station.config).ok and sync_once(second_station.config).ok
    first = station.line.scan("1849-01234", at=NOON)
    assert first.served
    assert sync_once(station.config).ok and sync_once(second_station.config).ok
    verdict = second_station.line.scan("1849-01234", at=NOON + timedelta(minutes=3))
    assert verdict.reason.value == "already_served"
    assert verdict.first_served_at == NOON


def test_double_pass_on_two_offline_lines_is_flagged_and_seen_by_both(
    station: Station, second_station: Station, portal: PortalProcess, school: SeededSchool
) -> None:
    assert sync_once(station.config).ok and sync_once(second_station.config).ok
    first = station.line.scan("1849-01234", at=NOON)
    second = second_station.line.scan("1849-01234", at=NOON + timedelta(minutes=1))
    assert first.served and second.served  # neither line knew of the other
    for line in (station, second_station, station, second_station):
        assert sync_once(line.config).ok
    meals = {m["meal_id"]: m for m in portal_meals(portal, school, HERVE)}
    assert set(meals) == {first.meal_id, second.meal_id}
    with second_station.line.store.read() as conn:
        own = conn.execute(
            "SELECT duplicate_pass FROM meals WHERE id = ?", (second.meal_id,)
        ).fetchone()[0]
    with station.line.store.read() as conn:
        seen = conn.execute(
            "SELECT duplicate_pass FROM remote_meals WHERE id = ?", (second.meal_id,)
        ).fetchone()[0]
    assert own == 1 and seen == 1
    assert portal_balance(portal, school, F1) == 5000 - 2 * 415
    assert station.balance(F1) == second_station.balance(F1) == 5000 - 2 * 415


def test_void_refund_reaches_the_portal_once(
    station: Station, portal: PortalProcess, school: SeededSchool
) -> None:
    assert sync_once(station.config).ok
    meal = station.line.scan("1849-01234", at=NOON)
    assert sync_once(station.config).ok
    station.line.void(meal.meal_id or "", at=NOON + timedelta(minutes=2), reason="erreur")
    assert sync_once(station.config).ok and sync_once(station.config).ok
    assert portal_balance(portal, school, F1) == 5000
    assert station.balance(F1) == 5000
    assert [m["voided"] for m in portal_meals(portal, school, HERVE)] == [True]


def test_unreachable_portal_is_a_french_sync_error() -> None:
    client = PortalClient("http://127.0.0.1:9", "x", timeout=0.5)
    with pytest.raises(SyncError, match="injoignable"):
        client.changes(0, 10)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["systemd", "ctrl-c"])
def test_sync_loop_command_syncs_until_stopped_without_a_traceback(
    station: Station, stop: signal.Signals
) -> None:
    assert sync_once(station.config).ok
    assert station.line.scan("1849-01234", at=NOON).served
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--config", str(station.config.path), "sync"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    # On a loaded machine a cycle may time out; the loop retries and reports each success.
    report = proc.stdout.readline()
    proc.send_signal(stop)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert report.startswith("Synchronisé : ")
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert station.pending() == 0


def test_sync_loop_that_cannot_open_its_database_exits_1_instead_of_waiting(
    tmp_path: Path,
) -> None:
    made = make_station(tmp_path, "http://127.0.0.1:9", "x")
    made.line.store.close()
    # The database's place is taken by a directory: the loop's own store cannot open.
    made.config.station.database.unlink()
    made.config.station.database.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(made.config.path), "sync"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "sync cannot start" in proc.stderr


def test_a_manual_serve_at_one_line_counts_against_the_cap_at_the_other(
    station: Station, second_station: Station
) -> None:
    assert sync_once(station.config).ok and sync_once(second_station.config).ok
    assert station.line.serve_manual(HERVE, at=NOON).served
    assert sync_once(station.config).ok and sync_once(second_station.config).ok
    with second_station.line.store.read() as conn:
        source = conn.execute(
            "SELECT source FROM remote_meals WHERE child_id = ?", (HERVE,)
        ).fetchone()[0]
        assert source == "manual"
        assert ledger.manual_serves_in_month(conn, HERVE, NOON.date()) == 1
