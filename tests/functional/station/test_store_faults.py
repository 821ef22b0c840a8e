"""A locked, full or corrupt database gives a clear error and leaves nothing half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from station.core.errors import StoreError
from station.engine import ServingLine
from station.store import Store
from tests.support.station import NOON, PARIS


def counts(path: Path) -> tuple[int, int, int, str]:
    conn = sqlite3.connect(path)
    try:
        meals = conn.execute("SELECT COUNT(*) FROM meals").fetchone()[0]
        outbox = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        scans = conn.execute("SELECT COUNT(*) FROM scan_log").fetchone()[0]
        head = conn.execute(
            "SELECT COALESCE((SELECT value FROM meta WHERE key = 'journal_head'), '')"
        ).fetchone()[0]
        return meals, outbox, scans, head
    finally:
        conn.close()


def test_locked_database_is_a_clear_error_and_records_nothing(db_path: Path) -> None:
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    store = Store(db_path, busy_timeout_ms=100)
    line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
    try:
        with pytest.raises(StoreError, match="verrouillée"):
            line.scan("1849-00001", at=NOON)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert counts(db_path)[:3] == (0, 0, 0)
    assert line.scan("1849-00001", at=NOON).served
    store.close()


def test_full_disk_is_a_clear_error_and_leaves_nothing_half_written(db_path: Path) -> None:
    store = Store(db_path)
    line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
    assert line.scan("1849-00006", at=NOON).served
    # SQLite's own "database or disk is full" path: cap the file at its current size,
    # then fill the last free pages with scans until a write no longer fits.
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count={pages}")
    with pytest.raises(StoreError, match="Disque plein"):
        for n in range(100_000):
            line.scan(f"illisible-{n:06d}-" + "x" * 40, at=NOON)
    before = counts(db_path)
    with pytest.raises(StoreError, match="Disque plein"):
        line.scan("1849-00001", at=NOON)  # would be served: meal + journal + outbox
    store.close()
    assert counts(db_path) == before
    with Store(db_path) as reopened:
        assert reopened.verify_journal().ok
        assert reopened.integrity_check() == "ok"


def test_corrupt_file_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    path.write_bytes(b"this is not a database, just bytes" * 200)
    with pytest.raises(StoreError, match="endommagée"):
        Store(path)


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        Store(blocker / "sub" / "station.db")
