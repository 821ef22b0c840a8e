"""The station's SQLite store: cache of the school, meals, voids, outbox, scan log.

One ``Store`` per connection: the serving engine holds one, sync opens its own on the same
file so a scan never waits behind the network.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from station.core.errors import StoreError
from station.core.models import Service, Settings
from station.store import cache, db, journal, migrations

# Pages of WAL after which the serving connection checkpoints by itself. Normally the
# background sync loop checkpoints first (``checkpoint``), keeping that work off the scan
# path; this is the safety net that bounds the WAL (about 16 MB) when nothing else runs.
SERVING_AUTOCHECKPOINT_PAGES = 4000


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
        self.conn.execute(f"PRAGMA wal_autocheckpoint={SERVING_AUTOCHECKPOINT_PAGES}")
        self._epoch = 0
        self._rules_key: tuple[int, int] | None = None
        self._rules: tuple[Settings, list[Service]] = (Settings(), [])

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

    def school_rules(self, conn: sqlite3.Connection) -> tuple[Settings, list[Service]]:
        """Settings and services, re-read only after another connection or a pull changed them.

        ``PRAGMA data_version`` moves when another connection commits; ``_epoch`` when this
        one applied a pull. Between those, a scan needs no query for them.
        """
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        key = (version, self._epoch)
        if key != self._rules_key:
            self._rules = (cache.settings(conn), cache.services(conn))
            self._rules_key = key
        return self._rules

    def apply_page(
        self, changes: Iterable[Mapping[str, Any]], cursor: int, own_station: str, pulled_at: str
    ) -> int:
        """Apply one page of pulled changes and its cursor in one transaction."""
        with self.write() as conn:
            count = cache.apply_page(conn, changes, cursor, own_station, pulled_at)
        self._epoch += 1
        return count

    def checkpoint(self) -> None:
        """Copy the WAL into the database file without blocking writers (PASSIVE)."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as e:
            raise db.translate(e, self.path) from e

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
