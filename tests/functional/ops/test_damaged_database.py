"""A damaged or locked station database: a French message and an exit code, never a
traceback; ``doctor`` says not ready when a scan could not be recorded; ``verify`` tells an
unreadable file (exit 2) from a broken chain (exit 1)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.cli import main
from station.core.config import load_config
from station.engine import ServingLine
from tests.support.doctor import blocking, doctor
from tests.support.station import NOON, write_config

CORRUPTED_FILES = 24


def _corrupt(source: Path, target: Path, seed: int) -> None:
    """``source`` copied to ``target`` with a few runs of random bytes written over it."""
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 6)):
        start = rng.randrange(len(data))
        run = rng.randint(1, 64)
        data[start : start + run] = rng.randbytes(min(run, len(data) - start))
    target.write_bytes(bytes(data))
    target.chmod(0o600)


def _checkpointed(db_path: Path) -> Path:
    """Fold the WAL into the main file so that corrupting it corrupts everything."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return db_path


@pytest.mark.parametrize("seed", range(CORRUPTED_FILES))
def test_randomly_corrupted_database_gives_an_exit_code_never_a_traceback(
    tmp_path: Path, db_path: Path, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged" / "station.db"
    damaged.parent.mkdir()
    _corrupt(_checkpointed(db_path), damaged, seed)
    config = write_config(tmp_path / "damaged", database=damaged)
    scan = main(["--config", str(config), "scan", "1849-00001", "--at", "2026-11-24T12:04"])
    assert scan in (0, 1, 2, 3)
    assert main(["--config", str(config), "verify"]) in (0, 1, 2)
    assert main(["--config", str(config), "doctor"]) in (0, 1)
    assert "Traceback" not in capsys.readouterr().err


def test_undecodable_text_at_open_is_reported_as_a_damaged_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a corrupted page gave on a real file: sqlite3 failing to decode a text result.
    real = sqlite3.connect

    class Connection(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if sql.startswith("PRAGMA journal_mode"):
                raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
            return super().execute(sql, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real(*a, **k, factory=Connection))
    config = write_config(tmp_path, database=tmp_path / "station.db")
    assert main(["--config", str(config), "verify"]) == 2
    err = capsys.readouterr().err
    assert "endommagée" in err and "Traceback" not in err


def test_damaged_schema_is_not_ready_to_serve(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Integrity, journal and cache still read fine; only recording a pass would fail.
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE outbox RENAME COLUMN payload TO charge")
    conn.commit()
    conn.close()
    path = write_config(tmp_path, database=db_path)
    scan = main(["--config", str(path), "scan", "1849-00001", "--at", "2026-11-24T12:04"])
    assert scan not in (0, 3)  # what staff would meet at the line
    findings = doctor(load_config(path))
    assert "database.schema" in blocking(findings)
    assert "outbox" in findings["database.schema"].detail
    assert main(["--config", str(path), "doctor"]) == 1
    assert "Poste prêt à servir" not in capsys.readouterr().out


@pytest.fixture
def write_lock(db_path: Path) -> Iterator[None]:
    """Another process's write transaction held on ``db_path``."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield
    conn.execute("ROLLBACK")
    conn.close()


def test_write_lock_held_elsewhere_is_not_ready_to_serve(
    tmp_path: Path, db_path: Path, write_lock: None
) -> None:
    config = load_config(write_config(tmp_path, database=db_path))
    findings = doctor(config)
    assert "database.write" in blocking(findings)
    assert "verrouillée" in findings["database.write"].detail


def test_doctor_write_probe_leaves_the_database_unchanged(tmp_path: Path, db_path: Path) -> None:
    before = db_path.read_bytes()
    config = load_config(write_config(tmp_path, database=db_path))
    findings = doctor(config)
    assert "database.write_ok" in findings and "database.schema_ok" in findings
    assert blocking(findings) == set()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert db_path.read_bytes() == before or _same_rows(before, db_path, tmp_path)


def _same_rows(before: bytes, db_path: Path, tmp_path: Path) -> bool:
    copy = tmp_path / "before.db"
    copy.write_bytes(before)
    return _dump(copy) == _dump(db_path)


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_verify_exits_1_on_a_broken_chain(tmp_path: Path, line: ServingLine, db_path: Path) -> None:
    verdict = line.scan("1849-00001", at=NOON)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meals SET charged_cents = 0 WHERE id = ?", (verdict.meal_id,))
    conn.commit()
    conn.close()
    config = write_config(tmp_path, database=db_path)
    assert main(["--config", str(config), "verify"]) == 1


def test_verify_exits_2_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    path.write_bytes(b"this is not a database" * 100)
    path.chmod(0o600)
    config = write_config(tmp_path, database=path)
    assert main(["--config", str(config), "verify"]) == 2
