"""The station's SQLite store: cache of the school, meals, voids, outbox, scan log.

One ``Store`` per connection: the serving engine holds one, sync opens its own on the same
file so a scan never waits behind the network.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from station.errors import StoreError
from station.store import db, journal, migrations


class Store:
    """An open station database (WAL, ``synchronous=FULL``, migrated to the latest version)."""

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = db.BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self.conn = db.connect(self.path, busy_timeout_ms)
        try:
            if migrations.applied_versions(self.conn) != {v for v, _n, _s in migrations.MIGRATIONS}:
                with self.write() as conn:
                    migrations.migrate(conn)
        except sqlite3.Error as e:
            self.conn.close()
            raise db.translate(e, self.path) from e
        except StoreError:
            self.conn.close()
            raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction, committed (fsync included) on exit."""
        with db.immediate(self.conn, self.path) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read snapshot."""
        with db.snapshot(self.conn, self.path) as conn:
            yield conn

    def verify_journal(self) -> journal.Verification:
        """Walk the meal journal's hash chain."""
        try:
            with self.read() as conn:
                return journal.verify(conn)
        except sqlite3.Error as e:
            raise db.translate(e, self.path) from e

    def integrity_check(self) -> str:
        """``ok`` or SQLite's first integrity complaint."""
        try:
            row = self.conn.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.Error as e:
            raise db.translate(e, self.path) from e
        return str(row[0])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
