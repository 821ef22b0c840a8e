"""The outbox: meals and voids waiting to reach the portal, and what the portal answered."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One pending record: its outbox row id, kind, record id and wire payload."""

    id: int
    kind: str
    record_id: str
    payload: dict[str, Any]


def pending(conn: sqlite3.Connection, limit: int) -> list[Entry]:
    """Oldest first: a void always follows its meal."""
    rows = conn.execute(
        "SELECT id, kind, record_id, payload FROM outbox"
        " WHERE done_at IS NULL AND rejected_reason IS NULL ORDER BY id LIMIT ?",
        (limit,),
    )
    return [Entry(r["id"], r["kind"], r["record_id"], json.loads(r["payload"])) for r in rows]


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(pending, rejected) entries."""
    row = conn.execute(
        "SELECT SUM(done_at IS NULL AND rejected_reason IS NULL),"
        " SUM(rejected_reason IS NOT NULL) FROM outbox"
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def oldest_pending_at(conn: sqlite3.Connection) -> str | None:
    """When the oldest entry still waiting for the portal was written (ISO), if any."""
    row = conn.execute(
        "SELECT MIN(created_at) FROM outbox WHERE done_at IS NULL AND rejected_reason IS NULL"
    ).fetchone()
    return str(row[0]) if row[0] else None


def rejected(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT kind, record_id, rejected_reason, created_at FROM outbox"
            " WHERE rejected_reason IS NOT NULL ORDER BY id"
        )
    )


class ProtocolError(ValueError):
    """The portal's answer for an entry cannot be used (the entry stays pending)."""


def record_results(
    conn: sqlite3.Connection,
    entries: Sequence[Entry],
    results: Sequence[Mapping[str, Any]],
    at: str,
) -> tuple[int, int, int]:
    """Store the portal's answers (inside the caller's transaction).

    ``applied``/``duplicate`` mark the entry done and remember the change seq at which the
    portal's balance reflects it; ``rejected`` keeps the entry with its reason. Returns
    (acknowledged, rejected, left pending).
    """
    acked = refused = left = 0
    for entry, result in zip(entries, results, strict=True):
        if result.get("id") != entry.record_id:
            raise ProtocolError(f"résultat pour {result.get('id')!r}, attendu {entry.record_id}")
        status = result.get("status")
        if status in ("applied", "duplicate"):
            seq = result.get("seq")
            if not isinstance(seq, int):
                left += 1  # without its seq the balance could count it twice: retry later
                continue
            table = "meals" if entry.kind == "meal" else "voids"
            # The acknowledgement is authoritative; a seq learnt from the feed was a hint.
            conn.execute(f"UPDATE {table} SET applied_seq = ? WHERE id = ?", (seq, entry.record_id))
            if entry.kind == "meal":
                conn.execute(
                    "UPDATE meals SET duplicate_pass = ?, clock_skew = ? WHERE id = ?",
                    (
                        1 if result.get("duplicate_pass") else 0,
                        1 if result.get("clock_skew") else 0,
                        entry.record_id,
                    ),
                )
            conn.execute(
                "UPDATE outbox SET done_at = ?, attempts = attempts + 1, last_error = NULL"
                " WHERE id = ?",
                (at, entry.id),
            )
            acked += 1
        elif status == "rejected":
            conn.execute(
                "UPDATE outbox SET rejected_reason = ?, attempts = attempts + 1 WHERE id = ?",
                (str(result.get("reason") or "rejected"), entry.id),
            )
            refused += 1
        else:
            left += 1
    return acked, refused, left


def note_failure(conn: sqlite3.Connection, entries: Sequence[Entry], error: str) -> None:
    conn.executemany(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        [(error[:200], e.id) for e in entries],
    )
