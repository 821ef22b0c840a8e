"""The outbox: meals and voids waiting to reach the portal, and what the portal answered."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from station.store import journal


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


def with_journal(conn: sqlite3.Connection, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The wire items of ``entries``, each with its journal link read back from the chain.

    ``journal`` holds the record's position, previous hash and hash as stored, and
    ``entry``: the journal record's fields the payload lacks (``station``, ``family_id``)
    or holds with another value (a record edited since). So the portal recomputes the hash
    from what it receives and sees an edited record, or one that no longer matches what
    was sent (docs/sync-protocol.md, « Journal link »). An entry whose record is gone
    from the journal goes without a link.
    """
    links: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, table, fields in (
        ("meal", "meals", journal.MEAL_CONTENT),
        ("void", "voids", journal.VOID_CONTENT),
    ):
        ids = [e.record_id for e in entries if e.kind == kind]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            pairs = ", ".join(f"'{c}', {c}" for c in fields)
            rows = conn.execute(
                f"SELECT id, jpos, prev_hash, hash, json_object({pairs}) AS content"
                f" FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for row in rows:
                links[(kind, row["id"])] = {
                    "pos": row["jpos"],
                    "prev": row["prev_hash"],
                    "hash": row["hash"],
                    "content": json.loads(row["content"]),
                }
    items = []
    for e in entries:
        item = dict(e.payload)
        link = links.get((e.kind, e.record_id))
        if link is not None:
            content = link.pop("content")
            entry = {k: v for k, v in content.items() if k not in item or item[k] != v}
            item["journal"] = {**link, "entry": entry}
        items.append(item)
    return items


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
