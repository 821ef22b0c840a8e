"""A school's stations as the intendance sees them: what each sync tells the portal, the
silent station during a service, and creating or revoking a station's token.

Each pull and push records the instant and what the station says of itself in optional
``X-Station-*`` headers (docs/sync-protocol.md): app version, its clock, meals waiting,
sync interval. Creating and revoking go through the same functions as the command line
(``crud/accounts.py``) and are written to ``audit_log``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.crud.accounts import create_station, revoke_station
from portal_sync_api.crud.journal_proof import state_of
from portal_sync_api.errors import DataError
from portal_sync_api.models import AuditEntry, Meal, School, Service, Station, StationState

#: The sync interval assumed for a station that never said its own (the station's default).
DEFAULT_INTERVAL_SECONDS = 10
#: Bounds of what a station may report (anything else is a bad header).
MAX_PENDING = 10_000_000
MAX_INTERVAL_SECONDS = 86_400
MAX_VERSION_LENGTH = 40
#: Largest clock offset stored (about 68 years, a 32-bit integer).
MAX_OFFSET_SECONDS = 2**31 - 1


class BadHeader(ValueError):
    """An ``X-Station-*`` header that cannot be read; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Telemetry:
    """What a station says of itself with a request (every part optional)."""

    version: str | None = None
    clock: datetime | None = None
    pending: int | None = None
    interval: int | None = None


def read_telemetry(headers: Mapping[str, str]) -> Telemetry:
    """The ``X-Station-*`` headers of a request; :class:`BadHeader` for a malformed one."""
    version = headers.get("x-station-version")
    if version is not None and (
        not version or len(version) > MAX_VERSION_LENGTH or not version.isprintable()
    ):
        raise BadHeader("X-Station-Version", "version illisible")
    clock = None
    if (raw_clock := headers.get("x-station-clock")) is not None:
        try:
            clock = datetime.fromisoformat(raw_clock)
        except ValueError:
            raise BadHeader("X-Station-Clock", "instant ISO 8601 attendu") from None
        if clock.tzinfo is None:
            raise BadHeader("X-Station-Clock", "instant avec son décalage attendu")
    return Telemetry(
        version=version,
        clock=clock,
        pending=_count(headers, "X-Station-Pending", MAX_PENDING, minimum=0),
        interval=_count(headers, "X-Station-Interval", MAX_INTERVAL_SECONDS, minimum=1),
    )


def _count(headers: Mapping[str, str], name: str, maximum: int, *, minimum: int) -> int | None:
    raw = headers.get(name.lower())
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise BadHeader(name, f"entier de {minimum} à {maximum} attendu")
    return int(raw)


def record_contact(
    session: Session,
    *,
    station: Station,
    telemetry: Telemetry,
    now: datetime,
    pull: bool = False,
    complete: bool = False,
) -> StationState:
    """Record a request of ``station`` (a pull, or a push when ``pull`` is false); a
    pull that reached the end of the feed (``complete``) dates the station's data."""
    state = state_of(session, station)
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    if pull:
        state.last_pull_at = at
        if complete:
            state.data_at = at
    else:
        state.last_push_at = at
    if telemetry.version is not None:
        state.app_version = telemetry.version
    if telemetry.clock is not None:
        # A clock reset to 0001-01-01 is billions of seconds off: kept within the column.
        offset = round((telemetry.clock - now).total_seconds())
        state.clock_offset_seconds = max(-MAX_OFFSET_SECONDS, min(MAX_OFFSET_SECONDS, offset))
    if telemetry.pending is not None:
        state.pending = telemetry.pending
    if telemetry.interval is not None:
        state.sync_interval_seconds = telemetry.interval
    return state


@dataclass(frozen=True)
class StationRow:
    """One station as the stations page shows it."""

    name: str
    created_at: str
    revoked_at: str | None
    last_pull_at: str | None
    last_push_at: str | None
    data_at: str | None
    meals_today: int
    pending: int | None
    app_version: str | None
    clock_offset_seconds: int | None
    interval_seconds: int
    #: Seconds since the last request, when it passed 2 × the interval during a service.
    silent_seconds: int | None
    #: Seconds since the last request (``None``: never synced).
    since_contact_seconds: int | None
    journal: str  # verified | broken | missing | none
    journal_pos: int | None
    journal_at: str | None
    break_pos: int | None
    break_kind: str | None
    break_ref: str | None
    break_problem: str | None
    unlinked_meals: int


def service_open(session: Session, *, school: School, now: datetime) -> bool:
    """Whether a service of the school is open at ``now`` (its window, school time)."""
    local = now.astimezone(ZoneInfo(school.timezone)).strftime("%H:%M")
    windows = session.execute(
        select(Service.start, Service.end).where(Service.school_id == school.id)
    ).all()
    return any(start <= local < end for start, end in windows)


def school_stations(session: Session, *, school: School, now: datetime) -> list[StationRow]:
    """Every station of the school, by name, with what its syncs told."""
    today = now.astimezone(ZoneInfo(school.timezone)).date()  # received today, school time
    is_open = service_open(session, school=school, now=now)
    rows = session.execute(
        select(Station, StationState)
        .outerjoin(StationState, StationState.station_id == Station.id)
        .where(Station.school_id == school.id)
        .order_by(Station.name)
    ).all()
    meals = _received_on(session, school=school, day=today)
    return [_row(station, state, meals.get(station.id, 0), now, is_open) for station, state in rows]


def _received_on(session: Session, *, school: School, day: date) -> dict[int, int]:
    """Meals received from each station on ``day`` (school time), whatever day they were
    served (``received_at`` is UTC text of one format, so text order is time order)."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(school.timezone))
    bounds = [(start + timedelta(days=n)).astimezone(UTC) for n in (0, 1)]
    low, high = (b.isoformat(timespec="seconds") for b in bounds)
    rows = session.execute(
        select(Meal.station_id, func.count())
        .where(Meal.school_id == school.id, Meal.received_at >= low, Meal.received_at < high)
        .group_by(Meal.station_id)
    )
    return {station_id: int(count) for station_id, count in rows}


def _row(
    station: Station, state: StationState | None, meals_today: int, now: datetime, is_open: bool
) -> StationRow:
    interval = (state.sync_interval_seconds if state else None) or DEFAULT_INTERVAL_SECONDS
    contacts = [t for t in (state.last_pull_at, state.last_push_at) if t] if state else []
    since = None
    if contacts:
        last = max(datetime.fromisoformat(t) for t in contacts)
        since = max(0, int((now - last).total_seconds()))
    silent = (
        since
        if since is not None and is_open and station.revoked_at is None and since > 2 * interval
        else None
    )
    if state is not None and state.break_pos is not None:
        journal = "broken"
    elif state is not None and state.journal_pos is not None:
        journal = "verified"
    elif state is not None and state.unlinked_meals:
        journal = "missing"
    else:
        journal = "none"
    return StationRow(
        name=station.name,
        created_at=station.created_at,
        revoked_at=station.revoked_at,
        last_pull_at=state.last_pull_at if state else None,
        last_push_at=state.last_push_at if state else None,
        data_at=state.data_at if state else None,
        meals_today=meals_today,
        pending=state.pending if state else None,
        app_version=state.app_version if state else None,
        clock_offset_seconds=state.clock_offset_seconds if state else None,
        interval_seconds=interval,
        silent_seconds=silent,
        since_contact_seconds=since,
        journal=journal,
        journal_pos=state.journal_pos if state else None,
        journal_at=state.journal_at if state else None,
        break_pos=state.break_pos if state else None,
        break_kind=state.break_kind if state else None,
        break_ref=state.break_ref if state else None,
        break_problem=state.break_problem if state else None,
        unlinked_meals=state.unlinked_meals if state else 0,
    )


def find_station(session: Session, *, school: School, name: str) -> Station | None:
    """The school's station called ``name``, if any (another school's is not found)."""
    return session.execute(
        select(Station).where(Station.school_id == school.id, Station.name == name)
    ).scalar_one_or_none()


def create(session: Session, *, school: School, name: str, actor: str, now: datetime) -> str:
    """A new station of the school (same rules as ``station create``); returns its token,
    to show once. :class:`DataError` (field ``name``) when the name is empty, too long or
    taken."""
    name = name.strip()
    if not name:
        raise DataError("name", "indiquez le nom du poste")
    if len(name) > 100:
        raise DataError("name", "nom de poste trop long (100 caractères au plus)")
    if not name.isprintable() or "/" in name:
        raise DataError("name", "nom de poste illisible (pas de « / » ni de caractère de contrôle)")
    if find_station(session, school=school, name=name) is not None:
        raise DataError("name", f"un poste s'appelle déjà « {name} »")
    token = create_station(session, school_code=school.code, name=name)
    _audit(session, school, actor, "station_create", name, None, {"name": name}, now)
    return token


def revoke(session: Session, *, school: School, name: str, actor: str, now: datetime) -> bool:
    """Revoke the token of the school's station ``name`` (same rules as ``station
    revoke``). False when it was revoked already (nothing changes)."""
    station = find_station(session, school=school, name=name)
    if station is None:
        raise DataError("name", f"poste inconnu : {name}")
    if station.revoked_at is not None:
        return False
    revoke_station(session, school_code=school.code, name=name)
    _audit(
        session,
        school,
        actor,
        "station_revoke",
        name,
        {"revoked": False},
        {"revoked": True, "revoked_at": station.revoked_at},
        now,
    )
    return True


def _audit(
    session: Session,
    school: School,
    actor: str,
    action: str,
    name: str,
    before: object,
    after: object,
    now: datetime,
) -> None:
    session.add(
        AuditEntry(
            at=now.astimezone(UTC).isoformat(timespec="seconds"),
            actor=actor,
            action=action,
            school_id=school.id,
            subject=f"station {name}",
            detail=json.dumps({"before": before, "after": after}, ensure_ascii=False),
        )
    )
