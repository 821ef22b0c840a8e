"""Read-only queries behind the serving app's screens; works without a UI.

Counters, the last passes, the last meal to undo and a local sync snapshot (the day
summary is :mod:`station.store.day`); the records they return live in
:mod:`station.core.models`. Everything here only reads: the engine alone writes at the
line. The queries on the scan path (counters, last passes) lean on existing indexes so
they stay in the millisecond range with a school year of meals in the file.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from station.core.models import LastMeal, LocalSyncFacts, Pass, ServiceCounters
from station.store import cache, outbox
from station.store.ledger import LOCAL_KEPT, REMOTE_KEPT


def last_passes(conn: sqlite3.Connection, day: date, limit: int = 8) -> list[Pass]:
    """This station's latest scans of ``day``, newest first (refusals included)."""
    rows = conn.execute(
        "SELECT s.at, s.status, s.reason, s.source, s.child_id, s.meal_id,"
        " c.last_name, c.first_name, c.class_name, m.charged_cents,"
        " v.id IS NOT NULL AS voided"
        " FROM scan_log s"
        " LEFT JOIN children c ON c.id = s.child_id"
        " LEFT JOIN meals m ON m.id = s.meal_id"
        " LEFT JOIN voids v ON v.meal_id = s.meal_id"
        " WHERE s.business_date = ? ORDER BY s.id DESC LIMIT ?",
        (day.isoformat(), limit),
    ).fetchall()
    return [
        Pass(
            at=datetime.fromisoformat(r["at"]),
            status=r["status"],
            reason=r["reason"],
            source=r["source"],
            child_id=r["child_id"],
            child_name=f"{r['last_name']} {r['first_name']}" if r["last_name"] else None,
            class_name=r["class_name"],
            charged_cents=int(r["charged_cents"] or 0),
            meal_id=r["meal_id"],
            voided=bool(r["voided"]),
        )
        for r in rows
    ]


def service_counters(conn: sqlite3.Connection, day: date, service: str) -> ServiceCounters:
    """Counts over every line this station knows of (its own meals and pulled ones)."""
    d = day.isoformat()
    reserved = int(
        conn.execute(
            "SELECT COUNT(*) FROM reservations WHERE day = ? AND service = ?", (d, service)
        ).fetchone()[0]
    )
    # CROSS JOIN keeps children as the outer loop, so each child is one probe of the
    # (child_id, business_date, service) indexes instead of a scan of the whole year.
    served = int(
        conn.execute(
            "SELECT COUNT(*) FROM children c WHERE EXISTS (SELECT 1 FROM meals m"
            " WHERE m.child_id = c.id AND m.business_date = ?1 AND m.service = ?2"
            f" AND {LOCAL_KEPT}) OR EXISTS (SELECT 1 FROM remote_meals r"
            " WHERE r.child_id = c.id AND r.business_date = ?1 AND r.service = ?2"
            f" AND {REMOTE_KEPT})",
            (d, service),
        ).fetchone()[0]
    )
    expected = int(
        conn.execute(
            "SELECT COUNT(*) FROM reservations x WHERE x.day = ?1 AND x.service = ?2"
            " AND NOT EXISTS (SELECT 1 FROM meals m WHERE m.child_id = x.child_id"
            f" AND m.business_date = ?1 AND m.service = ?2 AND {LOCAL_KEPT})"
            " AND NOT EXISTS (SELECT 1 FROM remote_meals r WHERE r.child_id = x.child_id"
            f" AND r.business_date = ?1 AND r.service = ?2 AND {REMOTE_KEPT})",
            (d, service),
        ).fetchone()[0]
    )
    return ServiceCounters(served=served, reserved=reserved, expected=expected)


def last_meal(conn: sqlite3.Connection, station: str) -> LastMeal | None:
    """The newest non-voided meal of ``station`` (meal ids are time-ordered UUIDv7)."""
    row = conn.execute(
        "SELECT m.id, m.child_id, m.served_at, m.charged_cents, c.last_name, c.first_name,"
        " c.class_name FROM meals m LEFT JOIN children c ON c.id = m.child_id"
        f" WHERE m.station = ? AND {LOCAL_KEPT} ORDER BY m.id DESC LIMIT 1",
        (station,),
    ).fetchone()
    if row is None:
        return None
    return LastMeal(
        meal_id=row["id"],
        child_id=row["child_id"],
        child_name=f"{row['last_name'] or ''} {row['first_name'] or ''}".strip() or row["child_id"],
        class_name=row["class_name"] or "",
        served_at=datetime.fromisoformat(row["served_at"]),
        charged_cents=int(row["charged_cents"]),
    )


def local_sync_facts(conn: sqlite3.Connection) -> LocalSyncFacts:
    """Outbox counts and the last pull time, read from the database."""
    pending, rejected = outbox.counts(conn)
    pulled = cache.meta(conn, "pulled_at")
    return LocalSyncFacts(
        pending=pending,
        rejected=rejected,
        pulled_at=datetime.fromisoformat(pulled) if pulled else None,
    )
