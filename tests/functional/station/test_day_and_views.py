"""One day, one aggregation: ``station report`` and the F5 screen read the same numbers;
the engine keeps a reader's event whole; the screens' views read through the engine."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from station.core.models import DayScope, Source
from station.engine import ServingLine
from station.readers.events import ScanEvent
from station.report import as_csv, to_json
from station.store import Store

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=PARIS)
DAY = NOON.date()


def pull_meal_of_another_line(line: ServingLine, *, meal_id: str, child_id: str) -> None:
    """What the portal's feed says about a meal served at ``ligne-2``."""
    change = {
        "seq": 10_000,
        "kind": "meal",
        "key": meal_id,
        "data": {
            "child_id": child_id,
            "station": "ligne-2",
            "service": "dejeuner",
            "business_date": DAY.isoformat(),
            "served_at": (NOON - timedelta(minutes=3)).isoformat(),
            "charged_cents": 415,
        },
    }
    line.store.apply_page([change], 10_000, "ligne-1", NOON.isoformat())


def report(config_path: Path, form: str, scope: DayScope) -> str:
    """``station report`` run as a user would, its standard output."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "station.cli", "--config", str(config_path), "report"),
            *("--day", DAY.isoformat(), "--format", form, "--scope", scope.value),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_line_scope_counts_this_line_and_school_scope_adds_the_other_lines(
    line: ServingLine,
) -> None:
    assert line.scan("1849-00001").served  # reserved, 4,15 €
    assert not line.scan("1849-00002").served  # no reservation
    pull_meal_of_another_line(line, meal_id="0193remote", child_id="C0006")

    mine = line.views.day_summary(DAY, now=NOON, scope=DayScope.LINE).service("dejeuner")
    every = line.views.day_summary(DAY, now=NOON, scope=DayScope.SCHOOL).service("dejeuner")
    assert mine is not None and every is not None
    assert (mine.tally.served, mine.charged_cents) == (1, 415)
    assert mine.served_by_reason == {"reserved": 1}
    assert (every.tally.served, every.charged_cents) == (2, 830)
    assert every.served_by_reason == {"reserved": 1, "other_line": 1}
    assert mine.refusals == every.refusals == {"no_reservation": 1}
    assert mine.tally.reserved == every.tally.reserved == 5


def test_the_report_command_prints_the_same_numbers_as_the_screen_for_each_scope(
    line: ServingLine, config_path: Path
) -> None:
    assert line.scan("1849-00001").served
    assert line.scan("1849-00005").served
    line.void(line.views.last_meal().meal_id, reason="erreur")  # type: ignore[union-attr]
    pull_meal_of_another_line(line, meal_id="0193remote", child_id="C0006")
    for scope in DayScope:
        shown = line.views.day_summary(DAY, now=NOON, scope=scope)
        assert json.loads(report(config_path, "json", scope)) == to_json(shown)
        csv = report(config_path, "csv", scope)
        assert csv.lstrip("\ufeff").replace("\r\n", "\n") == as_csv(shown).replace("\r\n", "\n")
    lunch = to_json(line.views.day_summary(DAY, now=NOON, scope=DayScope.LINE))["services"]
    assert lunch["dejeuner"]["voids"] == 1 and lunch["dejeuner"]["served"] == 1


def test_a_readers_event_reaches_the_scan_log_whole(line: ServingLine, db_path: Path) -> None:
    read_at = NOON - timedelta(milliseconds=180)
    event = ScanEvent(" 1849-00001\r", Source.SERIAL, read_at, "douchette-entree")
    verdict = line.read(event, at=NOON)
    assert verdict.served and verdict.scanned_at == NOON
    with Store(db_path) as store, store.read() as conn:
        row = conn.execute("SELECT source, reader, read_at, at FROM scan_log").fetchone()
    assert row["source"] == "serial"
    assert row["reader"] == "douchette-entree"
    assert datetime.fromisoformat(row["read_at"]) == read_at
    assert datetime.fromisoformat(row["at"]) == NOON


def test_views_answer_what_the_serving_screen_shows(line: ServingLine) -> None:
    line.scan("1849-00001")
    line.scan("garbage")
    views = line.views
    counters = views.counters(DAY, "dejeuner")
    assert (counters.served, counters.reserved, counters.expected) == (1, 5, 4)
    assert [(p.status, p.reason) for p in views.last_passes(DAY)] == [
        ("refused", "unreadable"),
        ("served", "reserved"),
    ]
    last = views.last_meal()
    assert last is not None and last.child_id == "C0001"
    found = {c.child.id: c for c in views.search("RESERVE")}
    assert set(found) == {"C0001", "C0006"}
    assert found["C0001"].served_at == NOON and found["C0006"].served_at is None
    assert found["C0001"].reserved and found["C0006"].reserved
    assert views.sync_facts().pending == 1
    views.check_database()


def test_passes_per_slot_groups_meals_served_with_milliseconds(line: ServingLine) -> None:
    # Three children in one minute, each pass carrying milliseconds, as a real clock gives.
    for n, code in enumerate(("1849-00001", "1849-00005", "1849-00006")):
        at = NOON + timedelta(minutes=1, seconds=n * 7, microseconds=123_456 * (n + 1))
        assert line.scan(code, at=at).served
    assert line.scan("1849-00007", at=NOON + timedelta(minutes=12, microseconds=987_000)).served
    summary = line.views.day_summary(DAY, now=NOON + timedelta(hours=1))
    assert [(f"{t:%H:%M}", n) for t, n in summary.passes_per_slot] == [
        ("12:00", 3),
        ("12:10", 1),
    ]


def test_name_search_folds_case_and_accents_and_sorts_the_french_way(line: ServingLine) -> None:
    found = line.views.search("reserve r")
    assert [(c.child.last_name, c.child.first_name) for c in found] == [
        ("RESERVE", "Rémi"),
        ("RESERVE", "Rose"),
    ]
    assert [c.child.id for c in line.views.search("ines interne")] == ["C0007"]


def test_a_served_verdict_says_how_many_prepaid_meals_are_left(line: ServingLine) -> None:
    later = [DAY + timedelta(days=n) for n in (1, 2, 7)]
    changes = [
        {
            "seq": 2000 + i,
            "kind": "reservation",
            "key": f"C0001/{d}/dejeuner",
            "data": {
                "child_id": "C0001",
                "day": d.isoformat(),
                "service": "dejeuner",
                "prepaid": 1,
            },
        }
        for i, d in enumerate(later)
    ]
    line.store.apply_page(changes, 2010, "ligne-1", NOON.isoformat())
    verdict = line.scan("1849-00001")
    assert verdict.served and verdict.to_json()["prepaid_remaining"] == 3
    assert "prepaid_remaining" not in line.scan("1849-00006").to_json()  # none booked ahead
