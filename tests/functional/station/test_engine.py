"""The serving engine on a real SQLite file: verdicts, durability, undo, balances."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from cantine_harness.feeds import FeedBuilder
from station.core.errors import UnknownChildError, VoidError
from station.engine import ServingLine
from station.store import Store, cache
from tests.support.station import NOON, seed


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read through a separate connection: only committed data is visible."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_served_meal_is_committed_with_its_outbox_entry_before_the_verdict(
    line: ServingLine, db_path: Path
) -> None:
    verdict = line.scan("1849-00001", at=NOON)
    assert verdict.served and verdict.reason.value == "reserved"
    assert verdict.charged_cents == 415 and verdict.balance_cents == 5000 - 415
    assert rows(db_path, "SELECT id, charged_cents FROM meals") == [(verdict.meal_id, 415)]
    assert rows(db_path, "SELECT kind, record_id FROM outbox") == [("meal", verdict.meal_id)]


def test_every_scan_is_logged_including_refusals_with_sanitised_raw(
    line: ServingLine, db_path: Path
) -> None:
    line.scan("\x1b[31mnot-a-card" + "x" * 200, at=NOON)
    line.scan("1849-00002", at=NOON)
    logged = rows(db_path, "SELECT status, reason, raw FROM scan_log ORDER BY id")
    assert [(s, r) for s, r, _ in logged] == [
        ("refused", "unreadable"),
        ("refused", "no_reservation"),
    ]
    raw = str(logged[0][2])
    assert raw.isprintable() and len(raw) <= 65


def test_second_pass_in_the_same_service_is_refused_with_first_time(line: ServingLine) -> None:
    first = line.scan("1849-00001", at=NOON)
    again = line.scan("1849-00001", at=NOON + timedelta(minutes=4))
    assert first.served and again.reason.value == "already_served"
    assert again.first_served_at == NOON


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("1849-00003", "card_blocked"),
        ("1849-00002", "no_reservation"),
        ("1849-00004", "insufficient_balance"),
        ("1849-99999", "unknown_card"),
        ("1850-00001", "foreign_card"),
        ("%%%", "unreadable"),
    ],
)
def test_refusals_change_no_balance_and_record_no_meal(
    line: ServingLine, db_path: Path, code: str, reason: str
) -> None:
    verdict = line.scan(code, at=NOON)
    assert verdict.reason.value == reason and not verdict.served
    assert rows(db_path, "SELECT COUNT(*) FROM meals") == [(0,)]
    assert rows(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]


def test_scan_outside_any_service_is_no_service(line: ServingLine) -> None:
    assert line.scan("1849-00001", at=NOON.replace(hour=16)).reason.value == "no_service"


def test_siblings_share_the_family_balance(line: ServingLine) -> None:
    line.scan("1849-00001", at=NOON)
    sister = line.scan("1849-00006", at=NOON)
    assert sister.balance_cents == 5000 - 2 * 415


def test_allergy_and_diet_warnings_reach_the_verdict(line: ServingLine) -> None:
    verdict = line.scan("1849-00005", at=NOON)
    assert [w.value for w in verdict.warnings] == ["low_balance", "allergy", "diet"]


def test_forfait_boarder_with_negative_balance_is_served_free(line: ServingLine) -> None:
    verdict = line.scan("1849-00007", at=NOON)
    assert verdict.served and verdict.reason.value == "forfait" and verdict.charged_cents == 0


def test_manual_serve_uses_the_same_rules_and_is_capped_per_month(line: ServingLine) -> None:
    verdict = line.serve_manual("C0001", at=NOON)
    assert verdict.served and verdict.source.value == "manual"
    for day in (24, 26, 27):  # forfait days (Tue, Thu, Fri) of Inès
        assert line.serve_manual("C0007", at=NOON.replace(day=day)).served
    assert line.serve_manual("C0007", at=NOON.replace(day=30)).reason.value == "manual_limit"


def test_voided_manual_serves_do_not_count_towards_the_cap(line: ServingLine) -> None:
    for day in (24, 26, 27):
        meal = line.serve_manual("C0007", at=NOON.replace(day=day))
        line.void(meal.meal_id or "", at=NOON.replace(day=day))
    assert line.serve_manual("C0007", at=NOON.replace(day=30)).served


def test_manual_serve_of_unknown_child_raises(line: ServingLine) -> None:
    with pytest.raises(UnknownChildError):
        line.serve_manual("C9999", at=NOON)


def test_void_refunds_and_lets_the_child_pass_again(line: ServingLine, db_path: Path) -> None:
    meal = line.scan("1849-00001", at=NOON)
    result = line.void(meal.meal_id or "", at=NOON + timedelta(minutes=2), reason="mauvais élève")
    assert result.refund_cents == 415 and result.balance_cents == 5000
    assert rows(db_path, "SELECT kind FROM outbox ORDER BY id") == [("meal",), ("void",)]
    assert line.scan("1849-00001", at=NOON + timedelta(minutes=3)).served


def test_void_outside_the_undo_window_is_refused(line: ServingLine) -> None:
    meal = line.scan("1849-00001", at=NOON)
    with pytest.raises(VoidError) as err:
        line.void(meal.meal_id or "", at=NOON + timedelta(minutes=11))
    assert err.value.reason == "undo_window_passed"


def test_void_twice_is_refused(line: ServingLine) -> None:
    meal = line.scan("1849-00001", at=NOON)
    line.void(meal.meal_id or "", at=NOON)
    with pytest.raises(VoidError) as err:
        line.void(meal.meal_id or "", at=NOON)
    assert err.value.reason == "already_voided"


def test_meals_of_other_stations_count_for_already_served(line: ServingLine, db_path: Path) -> None:
    feed = FeedBuilder(start_seq=1000)
    feed.add(
        "meal",
        "other-1",
        {
            "meal_id": "other-1",
            "child_id": "C0001",
            "station": "ligne-2",
            "service": "dejeuner",
            "business_date": "2026-11-24",
            "served_at": "2026-11-24T11:58:00+01:00",
            "charged_cents": 415,
            "voided": False,
            "duplicate_pass": False,
        },
    )
    seed(line.store, feed)
    verdict = line.scan("1849-00001", at=NOON)
    assert verdict.reason.value == "already_served"
    assert verdict.first_served_at is not None and verdict.first_served_at.minute == 58


def test_database_file_is_private_to_its_owner(db_path: Path) -> None:
    assert stat.S_IMODE(os.stat(db_path).st_mode) == 0o600


def test_database_runs_in_wal_with_full_sync(db_path: Path) -> None:
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_pulled_page_is_all_or_nothing(db_path: Path) -> None:
    feed = FeedBuilder(start_seq=500)
    feed.child("C0100", card="1849-00100")
    feed.add("service", "bad", {"code": "bad", "start": "pas une heure", "end": "13:00"})
    with Store(db_path) as store:
        with pytest.raises(ValueError), store.write() as conn:
            cache.apply_page(conn, feed.changes, feed.seq, "ligne-1", "now")
        with store.read() as conn:
            assert cache.get_child(conn, "C0100") is None
            assert cache.pull_cursor(conn) != feed.seq
