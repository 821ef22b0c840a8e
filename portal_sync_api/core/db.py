"""Engine and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from portal_sync_api.core.config import PoolSettings, normalize_database_url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the station pulls read while a batch is written; FULL syncs the WAL at each
    # commit, so a batch answered ``applied`` survives a power cut (the station forgets it
    # once acknowledged); foreign keys are off by default in SQLite and the schema relies
    # on them.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _psycopg_binary_arrays(dbapi_connection: Any, _record: Any) -> None:
    # Lists (the array parameters of batch statements, see crud/bulk.py) travel in
    # PostgreSQL's binary array format: psycopg's text array dumper quotes and escapes
    # each element in Python (~13 ms for 1 000 change rows), the binary one is C.
    # Every array parameter the portal sends carries an explicit ``::TYPE[]`` cast.
    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def _create_private(url: str) -> None:
    """Create a missing SQLite file 0600: it holds names, allergies and token digests.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # SQLite reports a missing directory in its own words on connect
    os.close(fd)


def make_engine(url: str, pool: PoolSettings | None = None) -> Engine:
    """An engine for ``url`` with the pragmas and pool settings the portal relies on.

    ``hide_parameters``: an error (an integrity error above all) is logged with its class
    and the statement, never the values bound to it (family ids, amounts, e-mails).
    ``pool`` bounds the PostgreSQL connections this engine opens (default: 5 + 5).
    """
    url = normalize_database_url(url)
    if url.startswith("sqlite"):
        _create_private(url)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    pool = pool or PoolSettings()
    engine = create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout,
        connect_args=_psycopg_connect_args(pool),
    )
    event.listen(engine, "connect", _psycopg_binary_arrays)
    return engine


def _psycopg_connect_args(pool: PoolSettings) -> dict[str, Any]:
    if pool.pgbouncer:
        # In transaction mode a client gets any server connection for each transaction:
        # a statement psycopg prepared on one (it does after 5 runs) is unknown on the
        # next, and a startup ``options`` is refused. Set ``jit = off`` on the database
        # instead (ALTER DATABASE … SET jit = off, docs/operations.md §13).
        return {"prepare_threshold": None}
    # JIT compilation costs more than it saves on the short, indexed queries of a sync
    # (measured: it doubled the first-pull time of a 300 000-row feed).
    return {"options": "-c jit=off"}


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session
