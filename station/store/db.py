"""Opening the station's SQLite file: pragmas, permissions, transactions, error translation.

Durability choices: WAL with ``synchronous=FULL`` so a committed transaction survives a
power cut, and every write transaction starts with ``BEGIN IMMEDIATE`` so two processes
(the app and a CLI command) never both read-then-write the same facts.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from station.core.errors import StoreError

BUSY_TIMEOUT_MS = 5000


def damaged(path: Path | str) -> StoreError:
    """The French error for a file whose pages or schema SQLite cannot make sense of."""
    return StoreError(f"Base de données endommagée : {path}. Restaurez une sauvegarde.")


def translate(error: sqlite3.Error, path: Path | str) -> StoreError:
    """A French, actionable ``StoreError`` for a SQLite error on the file at ``path``."""
    name = getattr(error, "sqlite_errorname", "")
    text = str(error)
    if name in ("SQLITE_FULL",) or "disk is full" in text:
        return StoreError(f"Disque plein : impossible d'écrire dans {path}. Libérez de la place.")
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
        return StoreError(
            f"Base verrouillée par un autre programme ({path}). Réessayez dans un instant."
        )
    if (
        name in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        or "malformed" in text
        or "not a database" in text
    ):
        return damaged(path)
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(f"Base en lecture seule : {path}. Vérifiez les droits du fichier.")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StoreError(f"Impossible d'ouvrir la base {path}. Vérifiez le dossier et les droits.")
    if name.startswith("SQLITE_IOERR") or "I/O" in text:
        return StoreError(f"Erreur d'entrée/sortie sur {path} ({text}). Vérifiez le disque.")
    return StoreError(f"Erreur de base de données sur {path} : {text}")


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (children's data stays private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open (creating with mode 0600 when absent) and configure the database at ``path``."""
    try:
        _create_private(path)
    except OSError as e:
        raise StoreError(f"Impossible de créer la base {path} : {e.strerror}") from e
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False
        )
    except sqlite3.Error as e:
        raise translate(e, path) from e
    try:
        conn.row_factory = sqlite3.Row
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"Le mode WAL est indisponible pour {path} (mode {mode}).")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    except (sqlite3.Error, UnicodeDecodeError, StoreError) as e:
        conn.close()
        if isinstance(e, StoreError):
            raise
        # A damaged page can hand back bytes that are not UTF-8 where SQLite returns text.
        raise (translate(e, path) if isinstance(e, sqlite3.Error) else damaged(path)) from e
    return conn


def probe_write(conn: sqlite3.Connection, path: Path | str) -> None:
    """Do what a scan does to the file, then undo it: take the write lock (``BEGIN
    IMMEDIATE``, waiting the connection's busy timeout), write a row and roll back.

    Raises the translated ``StoreError`` when a scan could not be recorded now (another
    process holds the lock, read-only file, full disk, damaged pages).
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        raise translate(e, path) from e
    try:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('doctor_probe', '1') "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
    except sqlite3.Error as e:
        raise translate(e, path) from e
    except UnicodeDecodeError as e:
        raise damaged(path) from e
    finally:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


@contextmanager
def immediate(conn: sqlite3.Connection, path: Path | str) -> Iterator[sqlite3.Connection]:
    """A write transaction: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error.

    The commit (and its fsync) has happened when the block exits normally; SQLite errors
    come out as ``StoreError`` and leave nothing half-written.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        raise translate(e, path) from e
    try:
        yield conn
    except BaseException as exc:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise translate(exc, path) from exc
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise translate(e, path) from e


@contextmanager
def snapshot(conn: sqlite3.Connection, path: Path | str) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees one consistent state. When ``BEGIN``
    fails (a transaction is already open on this connection) nothing is committed: the
    open transaction is someone else's."""
    try:
        conn.execute("BEGIN")
    except sqlite3.Error as e:
        raise translate(e, path) from e
    try:
        yield conn
    except sqlite3.Error as e:
        raise translate(e, path) from e
    finally:
        with suppress(sqlite3.Error):
            conn.execute("COMMIT")
