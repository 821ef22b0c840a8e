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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal_sync_api.models import Change, SchoolCounter, table

_CHUNK = 10_000


def dump(data: dict[str, Any] | None) -> str | None:
    """The compact JSON text stored in ``changes.data``."""
    if data is None:
        return None
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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

    A key written twice keeps only its last state, at the end of the order.
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
        """Allocate seqs and upsert the rows; returns the seq of each (school, kind, key)."""
        seqs: dict[tuple[int, str, str], int] = {}
        for school_id, bucket in sorted(self._pending.items()):
            if not bucket:
                continue
            first = _allocate(session, school_id=school_id, count=len(bucket))
            rows = []
            for offset, ((kind, key), text) in enumerate(bucket.items()):
                seqs[(school_id, kind, key)] = first + offset
                rows.append(
                    {
                        "school_id": school_id,
                        "kind": kind,
                        "key": key,
                        "seq": first + offset,
                        "data": text,
                    }
                )
            _upsert(session, rows)
        self._pending.clear()
        return seqs


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert-or-move rows with one prepared statement run as executemany (fast on both
    drivers, and no per-chunk SQL compilation)."""
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(table(Change))
        stmt: Any = pg.on_conflict_do_update(
            index_elements=["school_id", "kind", "key"],
            set_={"seq": pg.excluded.seq, "data": pg.excluded.data},
        )
    else:
        lite = sqlite.insert(table(Change))
        stmt = lite.on_conflict_do_update(
            index_elements=["school_id", "kind", "key"],
            set_={"seq": lite.excluded.seq, "data": lite.excluded.data},
        )
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])


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
