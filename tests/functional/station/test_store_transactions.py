"""A read snapshot opened on a connection that is already writing never commits that
write: the pull applies a page in a write transaction while another thread prepares the
next request, so a read there must fail on its own and leave the write whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.errors import StoreError
from station.store import Store


def test_a_read_inside_an_open_write_fails_and_leaves_the_write_to_its_owner(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "station.db")
    try:
        with store.write() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'written')")
            with pytest.raises(StoreError), store.read():
                pass
            assert conn.in_transaction  # still the writer's transaction, not committed
            conn.execute("UPDATE meta SET value = 'whole' WHERE key = 'probe'")
        with store.read() as conn:
            value = conn.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()[0]
        assert value == "whole"
    finally:
        store.close()


def test_a_write_rolled_back_after_a_failed_read_leaves_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db")
    try:
        with pytest.raises(RuntimeError), store.write() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'written')")
            with pytest.raises(StoreError), store.read():
                pass
            raise RuntimeError("the page could not be applied")
        with store.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()
        assert row is None
    finally:
        store.close()
