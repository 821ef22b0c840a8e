"""How the family pages write money, dates and the school's codes for people (French).

Pure functions, registered as Jinja filters by :func:`register`. The portal never imports
the station: the money format is the station's (``4,15 €``), written again here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

# Re-exported: the pages' filters and routes take the money format from here.
from portal_sync_api.core.money import MINUS as MINUS
from portal_sync_api.core.money import NBSP as NBSP
from portal_sync_api.core.money import NNBSP as NNBSP
from portal_sync_api.core.money import euros as euros

_WEEKDAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
_WEEKDAYS_LONG = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
    *("septembre", "octobre", "novembre", "décembre"),
)
_SERVICES = {
    "petit_dejeuner": "Petit-déjeuner",
    "dejeuner": "Déjeuner",
    "gouter": "Goûter",
    "diner": "Dîner",
}


def signed_euros(cents: int) -> str:
    """A ledger movement: ``+50,00 €`` for a credit, ``−4,15 €`` for a charge."""
    return ("+" if cents > 0 else "") + euros(cents)


def short_date(day: date) -> str:
    """``date(2025, 11, 24)`` → ``lun. 24/11/2025``."""
    return f"{_WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}"


def long_date(day: date) -> str:
    """``date(2025, 11, 24)`` → ``lundi 24/11/2025``."""
    return f"{_WEEKDAYS_LONG[day.weekday()]} {day:%d/%m/%Y}"


def written_date(day: date) -> str:
    """``date(2026, 12, 1)`` → ``mardi 1 décembre 2026`` (statements)."""
    return f"{_WEEKDAYS_LONG[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def month_label(year: int, month: int) -> str:
    """``(2026, 12)`` → ``décembre 2026``."""
    return f"{_MONTHS[month - 1]} {year}"


def instant(value: str | datetime, timezone: str = "Europe/Paris") -> str:
    """An ISO-8601 instant (as stored, often UTC) → ``24/11/2025 à 12:04`` on the
    school's clock."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}"


def service_label(code: str) -> str:
    """``dejeuner`` → ``Déjeuner``; an unknown service code is shown as recorded."""
    return _SERVICES.get(code, code.replace("_", " ").capitalize())


def code_label(code: str) -> str:
    """A diet or allergy code as the school recorded it, readable: ``sans_porc`` →
    ``sans porc``."""
    return code.replace("_", " ")


def register(environment: Environment) -> None:
    """Add these filters to ``environment`` (names prefixed, so they never replace one the
    core registered)."""
    filters: dict[str, Any] = {
        "fam_euros": euros,
        "fam_signed_euros": signed_euros,
        "fam_date": short_date,
        "fam_long_date": long_date,
        "fam_written_date": written_date,
        "fam_instant": instant,
        "fam_service": service_label,
        "fam_code": code_label,
    }
    environment.filters.update(filters)
