"""What the screens show, read through one door: the engine's read-side companion.

:class:`LineViews` answers the serving app's questions — counters of the open service,
the last passes, the last meal to undo, a name search, the day summary, local sync facts,
a health check — so ``station/ui`` never touches the store. It only reads: the engine
(:class:`station.engine.ServingLine`) alone writes at the line. Works without a UI.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from station.core.models import (
    Candidate,
    DayScope,
    DaySummary,
    LastMeal,
    LocalSyncFacts,
    Pass,
    ServiceCounters,
)
from station.store import Store, cache, day, ledger, screens_read

if TYPE_CHECKING:
    from station.engine import ServingLine


class LineViews:
    """Read-only views of one serving line's database."""

    def __init__(self, line: ServingLine) -> None:
        self.line = line
        self.store = line.store

    def counters(self, day: date, service: str) -> ServiceCounters:
        """The open service at a glance, over every line this station knows of."""
        with self.store.read() as conn:
            return screens_read.service_counters(conn, day, service)

    def last_passes(self, day: date, limit: int = 8) -> list[Pass]:
        """This line's latest scans of ``day``, newest first (refusals included)."""
        with self.store.read() as conn:
            return screens_read.last_passes(conn, day, limit)

    def last_meal(self) -> LastMeal | None:
        """The newest meal of this line that is not voided (what F3 offers to undo)."""
        with self.store.read() as conn:
            return screens_read.last_meal(conn, self.line.station)

    def search(self, text: str, limit: int = 20, *, at: datetime | None = None) -> list[Candidate]:
        """Children whose names match ``text`` (a forgotten card), each with whether it
        has a reservation for the service open at ``at`` (default now) and whether it was
        already served in it, at any line."""
        moment = at or self.line.clock.now()
        service = self.line.current_service(moment)
        day_ = self.line.business_date(moment)
        with self.store.read() as conn:
            children = cache.search_children(conn, text, limit=limit)
            if service is None:
                return [Candidate(c, reserved=False, served_at=None) for c in children]
            found = []
            for child in children:
                reserved = cache.get_reservation(conn, child.id, day_, service.code) is not None
                passes = ledger.served_in_service(conn, child.id, day_, service.code)
                served = datetime.fromisoformat(passes[0]) if passes else None
                found.append(Candidate(child, reserved=reserved, served_at=served))
            return found

    def day_summary(
        self, day_: date, *, now: datetime, scope: DayScope = DayScope.SCHOOL
    ) -> DaySummary:
        """The day over ``scope``, on a connection of its own: safe from a worker thread."""
        with Store(self.store.path) as store, store.read() as conn:
            return day.day_summary(
                conn, day_, station=self.line.station, scope=scope, now=now, tz=self.line.tz
            )

    def sync_facts(self) -> LocalSyncFacts:
        """Outbox counts and the last pull, from the file (when no sync runner reports)."""
        with self.store.read() as conn:
            return screens_read.local_sync_facts(conn)

    def school_name(self) -> str:
        """The school's name as last pulled (empty before the first sync)."""
        with self.store.read() as conn:
            return cache.meta(conn, "school_name", "") or ""

    def check_database(self) -> None:
        """Raise if the database does not answer (the watchdog's health check)."""
        self.store.conn.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
