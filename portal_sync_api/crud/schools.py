"""Schools, their settings, services and tariffs."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.core.calendar import HOLIDAY_ZONES, Cutoff, parse_weekdays
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.notices import parse_relance_days
from portal_sync_api.errors import DataError
from portal_sync_api.models import School, SchoolCounter, Service, Tariff

#: Settings of docs/design.md §3 with their defaults.
SETTING_DEFAULTS: dict[str, str | int | bool] = {
    "unreserved_policy": "refuse",
    "unreserved_surcharge_cents": 0,
    "overdraft_limit_cents": 0,
    "low_balance_threshold_cents": 3000,
    "max_meals_per_service": 1,
    "undo_window_minutes": 10,
    "max_manual_serves_per_child_per_month": 3,
    # « Servir quand même » (F4) at the line, per child and calendar month.
    "max_overrides_per_child_per_month": 3,
    # Staff press F8 after an allergy / PAI verdict before the next pass is served.
    "allergy_ack_required": False,
}
#: Portal-side settings of parents' bookings (docs/design.md §8), not sent to stations.
BOOKING_SETTING_DEFAULTS: dict[str, str | int | None] = {
    "booking_mode": "pay_at_line",
    "booking_cutoff": "hours_before=48",
    "cancel_cutoff": None,
    "min_topup_cents": 1000,
    "closed_weekdays": "3,6,7",
    "holiday_zone": None,
    # Balance relances: days after the balance went negative (crud/notices.py).
    "relance_days": "0,7,21",
}
BOOKING_MODES = ("pay_at_line", "prepaid")
#: Portal-side: whether children's photos go to the school's stations (docs/design.md §8).
PHOTO_SETTING = "photo_at_line"
_TRUE = ("1", "true", "oui", "vrai", "yes")
_FALSE = ("0", "false", "non", "faux", "no")
UNRESERVED_POLICIES = ("refuse", "allow", "surcharge")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def school_data(school: School) -> dict[str, Any]:
    return {"code": school.code, "name": school.name, "timezone": school.timezone}


def settings_data(school: School) -> dict[str, Any]:
    return {key: getattr(school, key) for key in SETTING_DEFAULTS}


def service_data(service: Service) -> dict[str, Any]:
    return {"code": service.code, "start": service.start, "end": service.end}


def tariff_data(tariff: Tariff) -> dict[str, Any]:
    return {"tariff": tariff.tariff, "service": tariff.service, "price_cents": tariff.price_cents}


def get_school(session: Session, *, code: str) -> School | None:
    """The school with establishment code ``code``, or ``None``."""
    return session.execute(select(School).where(School.code == code)).scalar_one_or_none()


def require_school(session: Session, *, code: str) -> School:
    school = get_school(session, code=code)
    if school is None:
        raise DataError("school", f"école inconnue: {code}")
    return school


def parse_booking_setting(key: str, value: str) -> str | int | None:
    """Validate one booking setting; raises :class:`DataError` naming the key."""
    text = value.strip()
    if key == "booking_mode":
        if text not in BOOKING_MODES:
            raise DataError(key, f"doit être {' | '.join(BOOKING_MODES)}")
        return text
    if key == "min_topup_cents":
        if not text.isdigit() or int(text) < 1:
            raise DataError(key, f"nombre entier ≥ 1 attendu, reçu {value!r}")
        return int(text)
    if key == "relance_days":
        try:
            return parse_relance_days(text)
        except ValueError as exc:
            raise DataError(key, str(exc)) from None
    if key == "holiday_zone":
        if text.upper() in ("", "AUCUNE", "NONE"):
            return None
        if text.upper() not in HOLIDAY_ZONES:
            raise DataError(key, f"doit être {' | '.join(HOLIDAY_ZONES)}")
        return text.upper()
    try:
        if key == "closed_weekdays":
            return ",".join(str(d) for d in sorted(parse_weekdays(text)))
        if key == "cancel_cutoff" and text.lower() in ("", "booking_cutoff"):
            return None
        Cutoff.parse(text)
    except ValueError as exc:
        raise DataError(key, str(exc)) from None
    return text


def parse_setting(key: str, value: str) -> str | int | bool | None:
    """Validate one ``--setting KEY=VALUE``; raises :class:`DataError` naming the key."""
    if key in BOOKING_SETTING_DEFAULTS:
        return parse_booking_setting(key, value)
    if key == PHOTO_SETTING:
        return _yes_no(key, value)
    if key not in SETTING_DEFAULTS:
        known = [*SETTING_DEFAULTS, *BOOKING_SETTING_DEFAULTS, PHOTO_SETTING]
        raise DataError("setting", f"réglage inconnu: {key} (connus: {', '.join(known)})")
    if key == "unreserved_policy":
        if value not in UNRESERVED_POLICIES:
            raise DataError(key, f"doit être {' | '.join(UNRESERVED_POLICIES)}")
        return value
    if isinstance(SETTING_DEFAULTS[key], bool):
        return _yes_no(key, value)
    try:
        number = int(value)
    except ValueError:
        raise DataError(key, f"nombre entier attendu, reçu {value!r}") from None
    minimum = 1 if key == "max_meals_per_service" else 0
    if number < minimum:
        raise DataError(key, f"doit être ≥ {minimum}")
    return number


def _yes_no(key: str, value: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise DataError(key, f"oui ou non attendu (true/false), reçu {value!r}")


def parse_window(window: str) -> tuple[str, str]:
    """``"11:15-13:45"`` → ``("11:15", "13:45")``; raises :class:`DataError`."""
    start, sep, end = window.strip().partition("-")
    if not sep or not _HHMM.match(start) or not _HHMM.match(end) or start >= end:
        raise DataError("service", f"fenêtre HH:MM-HH:MM attendue, reçu {window!r}")
    return start, end


def set_school(
    session: Session,
    *,
    code: str,
    name: str | None = None,
    timezone: str | None = None,
    services: dict[str, tuple[str, str] | None] | None = None,
    settings: dict[str, str | int | bool | None] | None = None,
) -> School:
    """Create school ``code`` or change it; emits school, settings and service changes.

    ``services`` maps a service code to its window, or ``None`` to remove the service.
    """
    if not code or not code.isdigit():
        raise DataError("code", f"code d'établissement numérique attendu, reçu {code!r}")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError("timezone", f"fuseau horaire inconnu: {timezone}") from None
    school = get_school(session, code=code)
    if school is None:
        school = School(code=code, name=name or code, timezone=timezone or "Europe/Paris")
        for key, default in {**SETTING_DEFAULTS, **BOOKING_SETTING_DEFAULTS}.items():
            setattr(school, key, default)
        session.add(school)
        session.flush()
        session.add(SchoolCounter(school_id=school.id, last_seq=0))
        session.flush()
    lock_schools(session, school_ids=[school.id])
    if name is not None:
        school.name = name
    if timezone is not None:
        school.timezone = timezone
    photos_before = school.photo_at_line
    for key, value in (settings or {}).items():
        setattr(school, key, parse_setting(key, str(value)))
    buffer = ChangeBuffer()
    if school.photo_at_line != photos_before:
        from portal_sync_api.crud.photos import announce_school_photos  # photos imports us

        announce_school_photos(session, school=school, buffer=buffer)
    buffer.put(school_id=school.id, kind="school", key=code, data=school_data(school))
    buffer.put(school_id=school.id, kind="settings", key=code, data=settings_data(school))
    existing = {
        s.code: s
        for s in session.execute(select(Service).where(Service.school_id == school.id)).scalars()
    }
    for service_code, window in (services or {}).items():
        current = existing.get(service_code)
        if window is None:
            if current is not None:
                session.delete(current)
                buffer.put(school_id=school.id, kind="service", key=service_code, data=None)
            continue
        if current is None:
            current = Service(school_id=school.id, code=service_code, start="", end="")
            session.add(current)
        current.start, current.end = window
        buffer.put(
            school_id=school.id, kind="service", key=service_code, data=service_data(current)
        )
    session.flush()
    buffer.flush(session)
    return school


def services_of(session: Session, *, school_id: int) -> list[Service]:
    """The school's services, by start time."""
    return list(
        session.execute(
            select(Service).where(Service.school_id == school_id).order_by(Service.start)
        ).scalars()
    )


def set_tariff(
    session: Session,
    *,
    school: School,
    tariff: str,
    service: str,
    price_cents: int,
    buffer: ChangeBuffer,
) -> bool:
    """Create or change one price; returns True when it changed (change put in ``buffer``)."""
    row = session.execute(
        select(Tariff).where(
            Tariff.school_id == school.id, Tariff.tariff == tariff, Tariff.service == service
        )
    ).scalar_one_or_none()
    if row is not None and row.price_cents == price_cents:
        return False
    if row is None:
        row = Tariff(school_id=school.id, tariff=tariff, service=service, price_cents=price_cents)
        session.add(row)
    row.price_cents = price_cents
    buffer.put(school_id=school.id, kind="tariff", key=f"{tariff}/{service}", data=tariff_data(row))
    return True
