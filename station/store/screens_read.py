"""Read-only queries behind the serving app's screens; works without a UI.

Counters, the last passes, the last meal to undo, the day summary and a local sync
snapshot. Everything here only reads: the engine alone writes at the line. The queries on
the scan path (counters, last passes) lean on existing indexes so they stay in the
millisecond range with a school year of meals in the file.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from station.core.models import Service
from station.store import cache, outbox

# Meals still counted: not voided here (``voids``) and, for other lines, not voided there.
_LOCAL_KEPT = "NOT EXISTS (SELECT 1 FROM voids v WHERE v.meal_id = m.id)"
# remote_meals never holds this station's own meals (see ledger.served_in_service).
_REMOTE_KEPT = "r.voided = 0"


@dataclass(frozen=True)
class Pass:
    """One line of the « derniers passages » list (a scan at this station)."""

    at: datetime
    status: str
    reason: str
    source: str
    child_id: str | None
    child_name: str | None
    class_name: str | None
    charged_cents: int
    meal_id: str | None
    voided: bool


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


@dataclass(frozen=True)
class ServiceCounters:
    """The current service at a glance: children served, reserved, still expected."""

    served: int
    reserved: int
    expected: int


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
            f" AND {_LOCAL_KEPT}) OR EXISTS (SELECT 1 FROM remote_meals r"
            " WHERE r.child_id = c.id AND r.business_date = ?1 AND r.service = ?2"
            f" AND {_REMOTE_KEPT})",
            (d, service),
        ).fetchone()[0]
    )
    expected = int(
        conn.execute(
            "SELECT COUNT(*) FROM reservations x WHERE x.day = ?1 AND x.service = ?2"
            " AND NOT EXISTS (SELECT 1 FROM meals m WHERE m.child_id = x.child_id"
            f" AND m.business_date = ?1 AND m.service = ?2 AND {_LOCAL_KEPT})"
            " AND NOT EXISTS (SELECT 1 FROM remote_meals r WHERE r.child_id = x.child_id"
            f" AND r.business_date = ?1 AND r.service = ?2 AND {_REMOTE_KEPT})",
            (d, service),
        ).fetchone()[0]
    )
    return ServiceCounters(served=served, reserved=reserved, expected=expected)


@dataclass(frozen=True)
class LastMeal:
    """The latest meal served at this station and not voided: what F3 offers to undo."""

    meal_id: str
    child_id: str
    child_name: str
    class_name: str
    served_at: datetime
    charged_cents: int


def last_meal(conn: sqlite3.Connection, station: str) -> LastMeal | None:
    """The newest non-voided meal of ``station`` (meal ids are time-ordered UUIDv7)."""
    row = conn.execute(
        "SELECT m.id, m.child_id, m.served_at, m.charged_cents, c.last_name, c.first_name,"
        " c.class_name FROM meals m LEFT JOIN children c ON c.id = m.child_id"
        f" WHERE m.station = ? AND {_LOCAL_KEPT} ORDER BY m.id DESC LIMIT 1",
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


@dataclass
class Tally:
    """Reserved / served / not (yet) shown for one service, overall or for one class."""

    reserved: int = 0
    served_reserved: int = 0
    served_unreserved: int = 0

    @property
    def served(self) -> int:
        return self.served_reserved + self.served_unreserved

    @property
    def missing(self) -> int:
        """Reserved children not served: still expected, or no-shows once the window closed."""
        return max(self.reserved - self.served_reserved, 0)


@dataclass
class ServiceSummary:
    """One service of the day, every line this station knows of."""

    service: Service
    closed: bool
    """The window is over: ``missing`` children are no-shows, not still expected."""
    tally: Tally = field(default_factory=Tally)
    refusals: dict[str, int] = field(default_factory=dict)
    """Refusals at this station, by reason code."""
    charged_cents: int = 0
    voids: int = 0
    by_class: dict[str, Tally] = field(default_factory=dict)


@dataclass
class DaySummary:
    """The day at a glance for the intendance."""

    day: date
    services: list[ServiceSummary]
    passes_per_slot: list[tuple[time, int]]
    """Meals served per 10-minute slot (school time), first to last busy slot."""

    def service(self, code: str) -> ServiceSummary | None:
        return next((s for s in self.services if s.service.code == code), None)


def _meals_of_day(conn: sqlite3.Connection, day: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT m.child_id, m.service, m.served_at, m.charged_cents, c.class_name,"
        " x.child_id IS NOT NULL AS reserved FROM meals m"
        " LEFT JOIN children c ON c.id = m.child_id"
        " LEFT JOIN reservations x ON x.child_id = m.child_id AND x.day = m.business_date"
        f" AND x.service = m.service WHERE m.business_date = ?1 AND {_LOCAL_KEPT}"
        " UNION ALL SELECT r.child_id, r.service, r.served_at, r.charged_cents, c.class_name,"
        " x.child_id IS NOT NULL FROM remote_meals r"
        " LEFT JOIN children c ON c.id = r.child_id"
        " LEFT JOIN reservations x ON x.child_id = r.child_id AND x.day = r.business_date"
        f" AND x.service = r.service WHERE r.business_date = ?1 AND {_REMOTE_KEPT}",
        (day,),
    ).fetchall()


def day_summary(
    conn: sqlite3.Connection, day: date, *, now: datetime, tz: ZoneInfo, slot_minutes: int = 10
) -> DaySummary:
    """Per service: reserved, served with / without reservation, missing, refusals, money,
    per class; and the passes per ``slot_minutes`` for a chart."""
    d = day.isoformat()
    local_now = now.astimezone(tz)
    summaries: dict[str, ServiceSummary] = {}
    for service in cache.services(conn):
        closed = day < local_now.date() or (
            day == local_now.date() and local_now.time() >= service.end
        )
        summaries[service.code] = ServiceSummary(service=service, closed=closed)

    def of(code: str) -> ServiceSummary:
        if code not in summaries:
            summaries[code] = ServiceSummary(Service(code, time(0), time(0)), closed=True)
        return summaries[code]

    for row in conn.execute(
        "SELECT x.service, c.class_name, COUNT(*) AS n FROM reservations x"
        " LEFT JOIN children c ON c.id = x.child_id WHERE x.day = ? GROUP BY 1, 2",
        (d,),
    ):
        summary = of(row["service"])
        summary.tally.reserved += row["n"]
        summary.by_class.setdefault(row["class_name"] or "?", Tally()).reserved += row["n"]

    slots: Counter[time] = Counter()
    for row in _meals_of_day(conn, d):
        summary = of(row["service"])
        klass = summary.by_class.setdefault(row["class_name"] or "?", Tally())
        if row["reserved"]:
            summary.tally.served_reserved += 1
            klass.served_reserved += 1
        else:
            summary.tally.served_unreserved += 1
            klass.served_unreserved += 1
        summary.charged_cents += int(row["charged_cents"] or 0)
        at = datetime.fromisoformat(row["served_at"]).astimezone(tz)
        slots[at.time().replace(minute=at.minute - at.minute % slot_minutes, second=0)] += 1

    for row in conn.execute(
        "SELECT service, reason, COUNT(*) AS n FROM scan_log"
        " WHERE business_date = ? AND status = 'refused' GROUP BY 1, 2",
        (d,),
    ):
        of(row["service"] or "hors_service").refusals[row["reason"]] = row["n"]
    for row in conn.execute(
        "SELECT m.service, COUNT(*) AS n FROM voids v JOIN meals m ON m.id = v.meal_id"
        " WHERE m.business_date = ? GROUP BY 1",
        (d,),
    ):
        of(row["service"]).voids = row["n"]

    return DaySummary(
        day=day,
        services=sorted(summaries.values(), key=lambda s: (s.service.start, s.service.code)),
        passes_per_slot=_fill_slots(slots, slot_minutes),
    )


def _fill_slots(slots: Counter[time], minutes: int) -> list[tuple[time, int]]:
    """Every slot from the first busy one to the last, empty ones as 0 (a readable chart)."""
    if not slots:
        return []
    first, last = min(slots), max(slots)
    out: list[tuple[time, int]] = []
    cursor = datetime.combine(date.min, first)
    while cursor.time() <= last:
        out.append((cursor.time(), slots.get(cursor.time(), 0)))
        nxt = cursor + timedelta(minutes=minutes)
        if nxt.date() != cursor.date():
            break
        cursor = nxt
    return out


@dataclass(frozen=True)
class LocalSyncFacts:
    """What the station file alone says about sync (when no runner reports)."""

    pending: int
    rejected: int
    pulled_at: datetime | None


def local_sync_facts(conn: sqlite3.Connection) -> LocalSyncFacts:
    """Outbox counts and the last pull time, read from the database."""
    pending, rejected = outbox.counts(conn)
    pulled = cache.meta(conn, "pulled_at")
    return LocalSyncFacts(
        pending=pending,
        rejected=rejected,
        pulled_at=datetime.fromisoformat(pulled) if pulled else None,
    )
