"""The intendance's day (docs/design.md §8): the consumption figures of one day — the very
query the API's report runs (:func:`portal_sync_api.crud.reads.consumption`) —, the passes
of each service per 10 minutes on the school's clock, and the service open right now.

The passes come from one grouped query: the database counts the meals per service and per
10-minute slice of ``served_at`` as the station wrote it (``2026-11-24T12:04:00+01:00``:
its first 15 characters name the slice, its last 6 the offset); Python then only moves
those few groups to the school's clock, never one row per meal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.reads import consumption, not_voided
from portal_sync_api.crud.schools import services_of
from portal_sync_api.models import Meal, School
from portal_sync_api.schemas import ConsumptionPublic

#: Width of one bar of the passes chart, in minutes.
SLICE_MINUTES = 10
#: A window longer than this (a service open most of the day) is drawn only around its
#: meals, one empty slice on each side.
LONGEST_WINDOW_MINUTES = 8 * 60
_OFFSET = re.compile(r"^[+-]\d\d:\d\d$")


@dataclass(frozen=True)
class ServiceWindow:
    """A service and its daily window in school time (``dejeuner``, ``11:15``, ``13:45``)."""

    code: str
    start: str
    end: str


@dataclass(frozen=True)
class Slice:
    """Meals served (not voided) in the 10 minutes from ``start``, school time."""

    start: time
    passes: int

    @property
    def label(self) -> str:
        """``12:00``."""
        return f"{self.start:%H:%M}"

    @property
    def end_label(self) -> str:
        """``12:10`` (``24:00`` after the day's last slice)."""
        minutes = self.start.hour * 60 + self.start.minute + SLICE_MINUTES
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class ServicePasses:
    """The passes of one service through the day, slice by slice, from the start of its
    window to its end (wider when meals fall outside it)."""

    service: str
    window: ServiceWindow | None
    slices: list[Slice]

    @property
    def total(self) -> int:
        return sum(s.passes for s in self.slices)

    @property
    def peak(self) -> int:
        return max((s.passes for s in self.slices), default=0)


@dataclass(frozen=True)
class DayReport:
    """Everything the day page shows about ``day`` (``today`` is the school's date)."""

    day: date
    today: date
    consumption: ConsumptionPublic
    passes: list[ServicePasses]
    services: list[ServiceWindow]
    #: The service whose window holds the present instant, when ``day`` is today.
    open_service: ServiceWindow | None


def day_report(session: Session, *, school: School, day: date, now: datetime) -> DayReport:
    """The figures of ``day`` at ``school``; ``now`` (aware) says which service is open."""
    local_now = now.astimezone(ZoneInfo(school.timezone))
    windows = [
        ServiceWindow(s.code, s.start, s.end) for s in services_of(session, school_id=school.id)
    ]
    today = local_now.date()
    return DayReport(
        day=day,
        today=today,
        consumption=consumption(session, school=school, day=day),
        passes=passes_per_slice(session, school=school, day=day, windows=windows),
        services=windows,
        open_service=open_service(windows, local_now.time()) if day == today else None,
    )


def open_service(windows: list[ServiceWindow], moment: time) -> ServiceWindow | None:
    """The service whose window holds ``moment`` (start included, end excluded; the
    earliest start wins when windows overlap, as at the line: docs/design.md §3)."""
    hhmm = f"{moment:%H:%M}"
    holding = [w for w in windows if w.start <= hhmm < w.end]
    return min(holding, key=lambda w: w.start) if holding else None


def passes_per_slice(
    session: Session, *, school: School, day: date, windows: list[ServiceWindow]
) -> list[ServicePasses]:
    """Meals not voided of ``day`` per service and 10-minute slice, school time; every
    service of ``windows`` is there (empty slices included), then any other service that
    served meals that day."""
    tz = ZoneInfo(school.timezone)
    slice_text = func.substr(Meal.served_at, 1, 15).label("slice_text")
    offset = func.substr(Meal.served_at, func.length(Meal.served_at) - 5, 6).label("offset")
    rows = session.execute(
        select(Meal.service, slice_text, offset, func.count())
        .where(Meal.school_id == school.id, Meal.business_date == day, not_voided())
        .group_by(Meal.service, slice_text, offset)
    ).all()
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for service, text, suffix, n in rows:
        minute = _local_minute(str(text), str(suffix), tz)
        if minute is not None:
            counts[service][minute] += int(n)
    known = {w.code: w for w in windows}
    order = [w.code for w in windows] + sorted(set(counts) - set(known))
    return [_service_passes(code, known.get(code), counts.get(code, {})) for code in order]


def _local_minute(text: str, suffix: str, tz: ZoneInfo) -> int | None:
    """Minute of the day (school time) where the slice ``2026-11-24T12:0`` + offset
    ``+01:00`` starts; ``None`` for a value that is no instant."""
    try:
        start = datetime.fromisoformat(text + "0:00" + (suffix if _OFFSET.match(suffix) else ""))
    except ValueError:
        return None
    if start.tzinfo is None:  # ``…Z`` is UTC; no offset at all: the school's clock
        start = start.replace(tzinfo=UTC if suffix.endswith("Z") else tz)
    local = start.astimezone(tz)
    minutes = local.hour * 60 + local.minute
    return minutes - minutes % SLICE_MINUTES


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _service_passes(
    code: str, window: ServiceWindow | None, counts: dict[int, int]
) -> ServicePasses:
    bounds = list(counts)
    if window is not None:
        first, end = _minutes(window.start), _minutes(window.end)
        floor = first - first % SLICE_MINUTES
        if end - first <= LONGEST_WINDOW_MINUTES or not counts:
            bounds += [floor, end - 1]
        else:  # a window of most of the day: the slices around the meals only
            bounds += [
                max(min(counts) - SLICE_MINUTES, floor),
                min(max(counts) + SLICE_MINUTES, end - 1),
            ]
    if not bounds:
        return ServicePasses(code, window, [])
    low = min(bounds) - min(bounds) % SLICE_MINUTES
    high = max(bounds)
    slices = [
        Slice(time(m // 60, m % 60), counts.get(m, 0)) for m in range(low, high + 1, SLICE_MINUTES)
    ]
    return ServicePasses(code, window, slices)
