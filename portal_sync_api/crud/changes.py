"""The changes feed: latest state per (school, kind, key), numbered by a per-school seq.

Seqs come from ``school_counters``: a writer first updates its school's counter row (which
locks it until commit on PostgreSQL and takes the write lock on SQLite), so two writers of
one school are serialized and a seq never becomes visible before a smaller one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from portal_sync_api.crud.bulk import is_postgres
from portal_sync_api.models import Change, SchoolCounter, table

_CHUNK = 10_000

#: One encoder for every change: ``json.dumps`` with non-default options builds a new
#: encoder per call, which cost more than the encoding itself for these small objects.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: Flushed last in each school's share of a transaction (see :meth:`ChangeBuffer.flush`).
LAST_KIND = "balance"


def dump(data: dict[str, Any] | None) -> str | None:
    """The compact JSON text stored in ``changes.data``."""
    if data is None:
        return None
    return _encode(data)


def lock_schools(session: Session, *, school_ids: Iterable[int]) -> None:
    """Take the counter lock of each school, in id order so writers never deadlock.

    Call it before reading the state a write depends on: readers after the lock see every
    earlier writer's committed rows.
    """
    for school_id in sorted(set(school_ids)):
        session.execute(
            update(SchoolCounter)
            .where(SchoolCounter.school_id == school_id)
            .values(last_seq=SchoolCounter.last_seq)
        )


def _allocate(session: Session, *, school_id: int, count: int) -> int:
    """Reserve ``count`` seqs; returns the first one."""
    last = session.execute(
        update(SchoolCounter)
        .where(SchoolCounter.school_id == school_id)
        .values(last_seq=SchoolCounter.last_seq + count)
        .returning(SchoolCounter.last_seq)
    ).scalar_one()
    return int(last) - count + 1


class ChangeBuffer:
    """Changes collected during one transaction, written by :meth:`flush`.

    A key written twice keeps only its last state, at the end of the order; ``balance``
    changes come after every other kind (see :meth:`flush`).
    """

    def __init__(self) -> None:
        self._pending: dict[int, dict[tuple[str, str], str | None]] = {}

    def put(self, *, school_id: int, kind: str, key: str, data: dict[str, Any] | None) -> None:
        """Record the new state of (kind, key) for a school (``None`` = deleted)."""
        bucket = self._pending.setdefault(school_id, {})
        bucket.pop((kind, key), None)
        bucket[(kind, key)] = dump(data)

    def put_raw(self, *, school_id: int, kind: str, key: str, text: str | None) -> None:
        """Like :meth:`put` with data already serialized by :func:`dump`."""
        bucket = self._pending.setdefault(school_id, {})
        bucket.pop((kind, key), None)
        bucket[(kind, key)] = text

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._pending.values())

    def flush(self, session: Session) -> dict[tuple[int, str, str], int]:
        """Allocate seqs and upsert the rows; returns the seq of each (school, kind, key).

        Within each school, every ``balance`` change gets a higher seq than every other
        change of the transaction (each group keeps its put order). A station relies on
        it: having seen a meal change at seq M, it knows that any balance of that family
        with seq ≥ M already includes that meal (docs/sync-protocol.md, balance
        validity). A ``balance`` written by this transaction therefore never gets a seq
        below a ``meal`` change of the same transaction, whatever order they were put in.
        """
        seqs: dict[tuple[int, str, str], int] = {}
        for school_id, bucket in sorted(self._pending.items()):
            if not bucket:
                continue
            ordered = [entry for entry in bucket.items() if entry[0][0] != LAST_KIND]
            ordered += [entry for entry in bucket.items() if entry[0][0] == LAST_KIND]
            first = _allocate(session, school_id=school_id, count=len(ordered))
            for offset, ((kind, key), _text) in enumerate(ordered):
                seqs[(school_id, kind, key)] = first + offset
            for start in range(0, len(ordered), _CHUNK):
                _upsert(
                    session,
                    school_id=school_id,
                    first_seq=first + start,
                    entries=ordered[start : start + _CHUNK],
                )
        self._pending.clear()
        return seqs


def _upsert(
    session: Session,
    *,
    school_id: int,
    first_seq: int,
    entries: list[tuple[tuple[str, str], str | None]],
) -> None:
    """Insert-or-move ``entries`` to consecutive seqs from ``first_seq``.

    PostgreSQL: one statement over unnested arrays (seqs from the array ordinal).
    SQLite: one prepared statement run as executemany.
    """
    if is_postgres(session):
        session.connection().exec_driver_sql(
            "INSERT INTO changes (school_id, kind, key, seq, data) "
            "SELECT %(school_id)s, u.kind, u.key, %(first)s + u.n - 1, u.data "
            "FROM unnest(%(kinds)s::varchar[], %(keys)s::varchar[], %(data)s::text[]) "
            "WITH ORDINALITY AS u(kind, key, data, n) "
            "ON CONFLICT (school_id, kind, key) "
            "DO UPDATE SET seq = EXCLUDED.seq, data = EXCLUDED.data",
            {
                "school_id": school_id,
                "first": first_seq,
                "kinds": [kind for (kind, _key), _text in entries],
                "keys": [key for (_kind, key), _text in entries],
                "data": [text for _ref, text in entries],
            },
        )
        return
    lite = sqlite.insert(table(Change))
    stmt = lite.on_conflict_do_update(
        index_elements=["school_id", "kind", "key"],
        set_={"seq": lite.excluded.seq, "data": lite.excluded.data},
    )
    session.execute(
        stmt,
        [
            {"school_id": school_id, "kind": kind, "key": key, "seq": first_seq + n, "data": text}
            for n, ((kind, key), text) in enumerate(entries)
        ],
    )


def current_states(session: Session, *, school_id: int, kind: str) -> dict[str, str | None]:
    """The stored JSON text of every (kind, key) of a school, to skip unchanged rows."""
    rows = session.execute(
        select(Change.key, Change.data).where(Change.school_id == school_id, Change.kind == kind)
    )
    return {key: data for key, data in rows}


def page(
    session: Session, *, school_id: int, since: int, limit: int
) -> tuple[list[tuple[int, str, str, str | None]], bool]:
    """Changes of a school after ``since``, oldest first, and whether more follow."""
    rows = session.execute(
        select(Change.seq, Change.kind, Change.key, Change.data)
        .where(Change.school_id == school_id, Change.seq > since)
        .order_by(Change.seq)
        .limit(limit + 1)
    ).all()
    return list(rows[:limit]), len(rows) > limit


def last_seq(session: Session, *, school_id: int) -> int:
    """The school's counter value (highest seq allocated so far)."""
    value = session.execute(
        select(SchoolCounter.last_seq).where(SchoolCounter.school_id == school_id)
    ).scalar_one_or_none()
    return int(value or 0)
