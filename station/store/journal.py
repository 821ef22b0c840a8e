"""The tamper-evident meal journal: meals and voids form one append-only hash chain.

Each record stores ``prev_hash`` (the previous record's hash) and
``hash = sha256(prev_hash + "\\n" + canonical JSON of its own content)``, at consecutive
positions ``jpos``. Editing a record breaks its own hash, deleting or reordering one
breaks the next link or leaves a gap, and the chain head kept in ``meta`` reveals a
truncated tail. Columns filled in later by sync (``applied_seq``, flags) are not content.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from cantine_contract.journal import GENESIS, MEAL_CONTENT, VOID_CONTENT, canonical, link_hash
from station.store.cache import set_meta

__all__ = ["GENESIS", "MEAL_CONTENT", "VOID_CONTENT", "canonical", "link_hash"]


@dataclass(frozen=True)
class Head:
    """The end of the chain: its length and last hash."""

    length: int
    hash: str


def read_head(conn: sqlite3.Connection) -> Head:
    rows = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('journal_length', 'journal_head')"
        ).fetchall()
    )
    return Head(int(rows.get("journal_length", 0)), rows.get("journal_head", GENESIS))


def write_head(conn: sqlite3.Connection, head: Head) -> None:
    set_meta(conn, "journal_length", str(head.length))
    set_meta(conn, "journal_head", head.hash)


def append(conn: sqlite3.Connection, kind: str, content: dict[str, Any]) -> tuple[int, str, str]:
    """Next (jpos, prev_hash, hash) for a record, moving the head; call inside the write."""
    head = read_head(conn)
    digest = link_hash(head.hash, kind, content)
    write_head(conn, Head(head.length + 1, digest))
    return head.length + 1, head.hash, digest


@dataclass(frozen=True)
class Verification:
    """Outcome of walking the chain; ``problem`` is French, for the intendance."""

    ok: bool
    records: int
    position: int | None = None
    record_id: str | None = None
    problem: str | None = None


def verify(conn: sqlite3.Connection) -> Verification:
    """Walk the whole chain and report the first broken link."""
    rows = conn.execute(
        f"SELECT 'meal' AS kind, jpos, prev_hash, hash, json_object({_pairs(MEAL_CONTENT)}) "
        f"AS content FROM meals "
        f"UNION ALL SELECT 'void', jpos, prev_hash, hash, json_object({_pairs(VOID_CONTENT)}) "
        f"FROM voids ORDER BY jpos"
    )
    prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        content = json.loads(row["content"])
        rid = content["id"]
        if row["jpos"] != count:
            return Verification(
                False,
                count - 1,
                count,
                rid,
                f"enregistrement manquant ou déplacé avant la position {row['jpos']}"
                f" (attendu {count})",
            )
        if row["prev_hash"] != prev:
            return Verification(
                False, count - 1, count, rid, "lien rompu : l'enregistrement précédent a changé"
            )
        if link_hash(prev, row["kind"], content) != row["hash"]:
            return Verification(False, count - 1, count, rid, "enregistrement modifié")
        prev = row["hash"]
    head = read_head(conn)
    if head.length != count or head.hash != prev:
        return Verification(
            False,
            count,
            count + 1,
            None,
            f"fin du journal tronquée : {head.length} enregistrements attendus, {count} trouvés",
        )
    return Verification(True, count)


def _pairs(columns: tuple[str, ...]) -> str:
    return ", ".join(f"'{c}', {c}" for c in columns)
