"""The meal journal's hash chain reveals edited, deleted, reordered or truncated records."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from station.engine import ServingLine
from station.store import Store
from tests.support.station import NOON


def serve_some(line: ServingLine) -> list[str]:
    ids = []
    for n, code in enumerate(["1849-00001", "1849-00005", "1849-00006", "1849-00007"]):
        verdict = line.scan(code, at=NOON + timedelta(minutes=n))
        assert verdict.meal_id
        ids.append(verdict.meal_id)
    line.void(ids[1], at=NOON + timedelta(minutes=5), reason="mauvais élève")
    line.store.close()
    return ids


def tamper(path: Path, *statements: str) -> None:
    """Edit the file behind the station's back, as someone with a SQLite shell would."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def verify(path: Path) -> tuple[bool, int | None, str | None]:
    with Store(path) as store:
        result = store.verify_journal()
    return result.ok, result.position, result.problem


def test_untouched_journal_verifies(line: ServingLine, db_path: Path) -> None:
    serve_some(line)
    assert verify(db_path) == (True, None, None)


def test_edited_amount_is_detected_at_its_position(line: ServingLine, db_path: Path) -> None:
    ids = serve_some(line)
    tamper(db_path, f"UPDATE meals SET charged_cents = 0 WHERE id = '{ids[2]}'")
    ok, position, problem = verify(db_path)
    assert not ok and position == 3 and problem == "enregistrement modifié"


def test_deleted_meal_is_detected(line: ServingLine, db_path: Path) -> None:
    ids = serve_some(line)
    tamper(db_path, f"DELETE FROM meals WHERE id = '{ids[0]}'")
    ok, position, _problem = verify(db_path)
    assert not ok and position == 1


def test_deleted_meal_with_renumbered_positions_breaks_the_next_link(
    line: ServingLine, db_path: Path
) -> None:
    ids = serve_some(line)
    tamper(
        db_path,
        "PRAGMA foreign_keys=OFF",
        f"DELETE FROM meals WHERE id = '{ids[2]}'",
        "UPDATE meals SET jpos = jpos - 1 WHERE jpos > 3",
        "UPDATE voids SET jpos = jpos - 1 WHERE jpos > 3",
    )
    ok, position, problem = verify(db_path)
    assert not ok and position == 3 and problem is not None and "lien rompu" in problem


def test_reordered_records_are_detected(line: ServingLine, db_path: Path) -> None:
    serve_some(line)
    tamper(
        db_path,
        "UPDATE meals SET jpos = -1 WHERE jpos = 1",
        "UPDATE meals SET jpos = 1 WHERE jpos = 2",
        "UPDATE meals SET jpos = 2 WHERE jpos = -1",
    )
    ok, position, _ = verify(db_path)
    assert not ok and position == 1


def test_truncated_tail_is_detected(line: ServingLine, db_path: Path) -> None:
    serve_some(line)
    tamper(db_path, "DELETE FROM voids")
    ok, _position, problem = verify(db_path)
    assert not ok and problem is not None and "tronquée" in problem


def test_bytes_edited_in_the_file_are_detected(line: ServingLine, db_path: Path) -> None:
    serve_some(line)
    data = db_path.read_bytes()
    assert b"1849-00006" in data
    db_path.write_bytes(data.replace(b"1849-00006", b"1849-00009"))
    ok, position, _ = verify(db_path)
    assert not ok and position == 3


def test_verify_command_exits_1_and_names_the_broken_link(
    line: ServingLine, db_path: Path, config_path: Path
) -> None:
    ids = serve_some(line)
    command = [sys.executable, "-m", "station.cli", "--config", str(config_path), "verify"]
    intact = subprocess.run(command, capture_output=True, text=True)
    assert intact.returncode == 0 and "intact" in intact.stdout
    tamper(
        db_path, f"UPDATE meals SET served_at = '2026-11-24T11:00:00+01:00' WHERE id = '{ids[3]}'"
    )
    broken = subprocess.run(command, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "position 4" in broken.stdout and ids[3] in broken.stdout
