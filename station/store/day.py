"""The day's aggregation: one query for the F5 screen and ``station report`` alike.

:func:`day_summary` counts one business day per service — reserved, served with and
without a reservation, served by reason, refusals, voids, money, per class, passes per
slot — over a :class:`~station.core.models.DayScope`: this line only, or every line of
the school this station knows of (its own meals and the ones pulled from the portal).
The screen and the CSV read the same numbers, so they cannot disagree.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from station.core.models import OTHER_LINE, DayScope, DaySummary, Service, ServiceSummary, Tally
from station.store import cache
from station.store.ledger import LOCAL_KEPT, REMOTE_KEPT

_LOCAL_MEALS = (
    "SELECT m.child_id, m.service, m.served_at, m.charged_cents, m.reason, c.class_name,"
    " x.child_id IS NOT NULL AS reserved FROM meals m"
    " LEFT JOIN children c ON c.id = m.child_id"
    " LEFT JOIN reservations x ON x.child_id = m.child_id AND x.day = m.business_date"
    f" AND x.service = m.service WHERE m.business_date = :day AND {LOCAL_KEPT}"
)
_REMOTE_MEALS = (
    f"SELECT r.child_id, r.service, r.served_at, r.charged_cents, '{OTHER_LINE}', c.class_name,"
    " x.child_id IS NOT NULL FROM remote_meals r"
    " LEFT JOIN children c ON c.id = r.child_id"
    " LEFT JOIN reservations x ON x.child_id = r.child_id AND x.day = r.business_date"
    f" AND x.service = r.service WHERE r.business_date = :day AND {REMOTE_KEPT}"
)


def day_summary(
    conn: sqlite3.Connection,
    day: date,
    *,
    station: str,
    scope: DayScope,
    now: datetime,
    tz: ZoneInfo,
    slot_minutes: int = 10,
) -> DaySummary:
    """Count ``day`` over ``scope`` (``station`` names this line).

    Reservations are the school's whichever the scope; refusals are always this line's
    (other lines' refusals are not synced).
    """
    params = {"day": day.isoformat(), "station": station}
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
        " LEFT JOIN children c ON c.id = x.child_id WHERE x.day = :day GROUP BY 1, 2",
        params,
    ):
        summary = of(row["service"])
        summary.tally.reserved += row["n"]
        summary.by_class.setdefault(row["class_name"] or "?", Tally()).reserved += row["n"]

    if scope is DayScope.LINE:
        meals = _LOCAL_MEALS + " AND m.station = :station"
    else:
        meals = f"{_LOCAL_MEALS} UNION ALL {_REMOTE_MEALS}"
    slots: Counter[time] = Counter()
    for row in conn.execute(meals, params):
        summary = of(row["service"])
        klass = summary.by_class.setdefault(row["class_name"] or "?", Tally())
        if row["reserved"]:
            summary.tally.served_reserved += 1
            klass.served_reserved += 1
        else:
            summary.tally.served_unreserved += 1
            klass.served_unreserved += 1
        reason = row["reason"]
        summary.served_by_reason[reason] = summary.served_by_reason.get(reason, 0) + 1
        summary.charged_cents += int(row["charged_cents"] or 0)
        at = datetime.fromisoformat(row["served_at"]).astimezone(tz)
        slot = at.time().replace(
            minute=at.minute - at.minute % slot_minutes, second=0, microsecond=0
        )
        slots[slot] += 1

    for row in conn.execute(
        "SELECT service, reason, COUNT(*) AS n FROM scan_log"
        " WHERE business_date = :day AND status = 'refused' GROUP BY 1, 2",
        params,
    ):
        of(row["service"] or "hors_service").refusals[row["reason"]] = row["n"]

    voids = (
        "SELECT m.service, COUNT(*) AS n FROM voids v JOIN meals m ON m.id = v.meal_id"
        " WHERE m.business_date = :day"
    )
    if scope is DayScope.LINE:
        voids += " AND m.station = :station GROUP BY 1"
    else:
        voids = (
            f"SELECT service, SUM(n) AS n FROM ({voids} GROUP BY 1 UNION ALL"
            " SELECT r.service, COUNT(*) AS n FROM remote_meals r"
            " WHERE r.business_date = :day AND r.voided = 1 GROUP BY 1) GROUP BY 1"
        )
    for row in conn.execute(voids, params):
        of(row["service"]).voids = int(row["n"])

    return DaySummary(
        day=day,
        station=station,
        scope=scope,
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
