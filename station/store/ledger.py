"""Meals, voids, the outbox and the scan log: what the station writes at the line.

A served meal is written with its journal link and its outbox entry in the caller's
single write transaction (see ``ServingLine.scan``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from station.store import journal

#: SQL conditions of the meals still counted: a meal of this station (alias ``m``) voided
#: neither here nor at the portal, a meal of another line (``remote_meals`` alias ``r``)
#: not voided there.
#: ``remote_meals`` never holds this station's own meals (see :func:`served_in_service`).
LOCAL_KEPT = "m.voided_remotely = 0 AND NOT EXISTS (SELECT 1 FROM voids v WHERE v.meal_id = m.id)"
REMOTE_KEPT = "r.voided = 0"


@dataclass(frozen=True)
class MealRecord:
    """A meal served at this station (content of the journal record)."""

    id: str
    child_id: str
    card: str | None
    source: str
    service: str
    business_date: str
    served_at: str
    station: str
    reason: str
    charged_cents: int
    family_id: str

    def content(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in journal.MEAL_CONTENT}

    def payload(self) -> dict[str, Any]:
        """The outbox body for ``POST /v1/sync/meals`` (docs/sync-protocol.md)."""
        body = self.content()
        del body["station"], body["family_id"]
        return {"kind": "meal", **body}


@dataclass(frozen=True)
class VoidRecord:
    """The voiding of a meal served at this station."""

    id: str
    meal_id: str
    voided_at: str
    reason: str
    refund_cents: int
    station: str
    family_id: str

    def content(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in journal.VOID_CONTENT}

    def payload(self) -> dict[str, Any]:
        body = self.content()
        del body["station"], body["family_id"]
        return {"kind": "void", **body}


def _enqueue(
    conn: sqlite3.Connection, kind: str, record_id: str, payload: dict[str, Any], at: str
) -> None:
    conn.execute(
        "INSERT INTO outbox (kind, record_id, payload, created_at) VALUES (?, ?, ?, ?)",
        (kind, record_id, json.dumps(payload, ensure_ascii=False), at),
    )


def insert_meal(conn: sqlite3.Connection, meal: MealRecord) -> None:
    """Journal link + meal row + outbox entry (inside the caller's transaction)."""
    jpos, prev, digest = journal.append(conn, "meal", meal.content())
    conn.execute(
        "INSERT INTO meals (id, jpos, child_id, card, source, service, business_date, served_at,"
        " station, reason, charged_cents, family_id, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            meal.id,
            jpos,
            meal.child_id,
            meal.card,
            meal.source,
            meal.service,
            meal.business_date,
            meal.served_at,
            meal.station,
            meal.reason,
            meal.charged_cents,
            meal.family_id,
            prev,
            digest,
        ),
    )
    _enqueue(conn, "meal", meal.id, meal.payload(), meal.served_at)


def insert_void(conn: sqlite3.Connection, void: VoidRecord) -> None:
    jpos, prev, digest = journal.append(conn, "void", void.content())
    conn.execute(
        "INSERT INTO voids (id, jpos, meal_id, voided_at, reason, refund_cents, station,"
        " family_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            void.id,
            jpos,
            void.meal_id,
            void.voided_at,
            void.reason,
            void.refund_cents,
            void.station,
            void.family_id,
            prev,
            digest,
        ),
    )
    _enqueue(conn, "void", void.id, void.payload(), void.voided_at)


def get_meal(conn: sqlite3.Connection, meal_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT m.*, COALESCE(v.id, CASE WHEN m.voided_remotely = 1 THEN 'portail' END)"
        " AS void_id FROM meals m LEFT JOIN voids v ON v.meal_id = m.id"
        " WHERE m.id = ?",
        (meal_id,),
    ).fetchone()
    return row


def served_in_service(
    conn: sqlite3.Connection, child_id: str, day: date, service: str
) -> list[str]:
    """``served_at`` of the child's non-voided meals in that service, any station, oldest first.

    ``remote_meals`` never holds this station's own meals (the feed handler updates those
    in ``meals`` instead), so the union counts each meal once.
    """
    rows = conn.execute(
        "SELECT served_at FROM meals m WHERE child_id = ?1 AND business_date = ?2"
        f" AND service = ?3 AND {LOCAL_KEPT}"
        " UNION ALL SELECT served_at FROM remote_meals r WHERE child_id = ?1"
        f" AND business_date = ?2 AND service = ?3 AND {REMOTE_KEPT}",
        (child_id, day.isoformat(), service),
    ).fetchall()
    return sorted(r["served_at"] for r in rows)


def manual_serves_in_month(conn: sqlite3.Connection, child_id: str, day: date) -> int:
    """Non-voided manual serves of the child in ``day``'s calendar month, any station."""
    return serves_in_month(conn, child_id, day, "manual")


def serves_in_month(conn: sqlite3.Connection, child_id: str, day: date, source: str) -> int:
    """Non-voided meals of ``source`` (``manual``, ``override``) of the child in ``day``'s
    calendar month, at any station."""
    month = day.strftime("%Y-%m-")
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM meals m WHERE child_id = ?1 AND source = ?3"
        f" AND substr(business_date, 1, 8) = ?2 AND {LOCAL_KEPT})"
        " + (SELECT COUNT(*) FROM remote_meals r WHERE child_id = ?1 AND source = ?3"
        f" AND substr(business_date, 1, 8) = ?2 AND {REMOTE_KEPT})",
        (child_id, month, source),
    ).fetchone()
    return int(row[0])


def displayed_balance(conn: sqlite3.Connection, family_id: str) -> int:
    """Last pulled balance − own charges not yet reflected in it + own refunds not yet in it."""
    row = conn.execute(
        "SELECT balance_cents, as_of_seq FROM balances WHERE family_id = ?", (family_id,)
    ).fetchone()
    pulled, as_of = (int(row[0]), int(row[1])) if row else (0, -1)
    pending = conn.execute(
        "SELECT (SELECT COALESCE(SUM(charged_cents), 0) FROM meals WHERE family_id = ?1"
        "        AND (applied_seq IS NULL OR applied_seq > ?2)),"
        "       (SELECT COALESCE(SUM(refund_cents), 0) FROM voids WHERE family_id = ?1"
        "        AND (applied_seq IS NULL OR applied_seq > ?2))",
        (family_id, as_of),
    ).fetchone()
    return pulled - int(pending[0]) + int(pending[1])


def log_scan(
    conn: sqlite3.Connection,
    *,
    at: datetime,
    business_date: date,
    source: str,
    raw: str,
    card: str | None,
    status: str,
    reason: str,
    service: str | None,
    child_id: str | None,
    meal_id: str | None,
    reader: str | None = None,
    read_at: datetime | None = None,
) -> None:
    """One line of the scan log (every scan, served or refused); ``reader`` and
    ``read_at`` say which configured reader read the code and when."""
    conn.execute(
        "INSERT INTO scan_log (at, business_date, source, raw, card, status, reason, service,"
        " child_id, meal_id, reader, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at.isoformat(),
            business_date.isoformat(),
            source,
            raw,
            card,
            status,
            reason,
            service,
            child_id,
            meal_id,
            reader,
            read_at.isoformat() if read_at else None,
        ),
    )


def recent_raw_scans(conn: sqlite3.Connection, source: str, limit: int) -> list[str]:
    """The sanitised raw input of the last ``limit`` scans from ``source``, newest first."""
    rows = conn.execute(
        "SELECT raw FROM scan_log WHERE source = ? ORDER BY id DESC LIMIT ?", (source, limit)
    )
    return [str(row["raw"]) for row in rows]
