"""The school's calendar and its booking cutoffs: pure functions, no database.

Which days a meal can be served (closed weekdays, French public holidays, the school
holidays of the school's zone, closure days the intendance adds) and until when a meal
can be booked or cancelled (docs/design.md §8, cutoff forms):

- ``hours_before=48``: N hours before the service starts (« 48 h avant le repas »);
- ``days_before=1@09:30``: N school days before the meal, at HH:MM;
- ``weekday_before=2@09:30``: ISO weekday D of the week before the meal's, at HH:MM
  (« avant le mardi 9 h 30 de la semaine précédente »);
- ``same_day@09:30``: the day of the meal, at HH:MM.

Times are the school's local time; an instant is computed in its time zone, so a cutoff
across a change of daylight-saving time is still at the wall-clock time it says
(``hours_before`` too counts on the wall clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

CUTOFF_KINDS = ("hours_before", "days_before", "weekday_before", "same_day")
HOLIDAY_ZONES = ("A", "B", "C")
_FORM = re.compile(
    r"^(?:hours_before=(?P<hours>\d{1,3})"
    r"|days_before=(?P<days>\d{1,2})@(?P<dtime>\d{2}:\d{2})"
    r"|weekday_before=(?P<weekday>[1-7])@(?P<wtime>\d{2}:\d{2})"
    r"|same_day@(?P<stime>\d{2}:\d{2}))$"
)
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True)
class Cutoff:
    """A parsed cutoff form."""

    kind: str
    amount: int = 0  # hours, school days or ISO weekday
    at: time = time(0, 0)

    @classmethod
    def parse(cls, text: str) -> Cutoff:
        """``"weekday_before=2@09:30"`` → a :class:`Cutoff`; ``ValueError`` otherwise."""
        match = _FORM.match(text.strip())
        if match is None:
            raise ValueError(
                f"forme inconnue {text!r} : hours_before=N, days_before=N@HH:MM, "
                "weekday_before=D@HH:MM ou same_day@HH:MM"
            )
        groups = match.groupdict()
        if groups["hours"] is not None:
            return cls("hours_before", int(groups["hours"]))
        if groups["days"] is not None:
            return cls("days_before", int(groups["days"]), _hhmm(groups["dtime"]))
        if groups["weekday"] is not None:
            return cls("weekday_before", int(groups["weekday"]), _hhmm(groups["wtime"]))
        return cls("same_day", 0, _hhmm(groups["stime"]))

    def describe(self) -> str:
        """The rule in French, as the booking page states it."""
        if self.kind == "hours_before":
            return f"jusqu'à {self.amount} h avant le début du service"
        if self.kind == "days_before":
            days = "jour d'école" if self.amount == 1 else "jours d'école"
            return f"jusqu'à {self.amount} {days} avant le repas, {clock(self.at)}"
        if self.kind == "weekday_before":
            weekday = WEEKDAYS[self.amount - 1]
            return f"jusqu'au {weekday} {clock(self.at)} de la semaine précédente"
        return f"jusqu'au jour même, {clock(self.at)}"


def _hhmm(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    if hour > 23 or minute > 59:
        raise ValueError(f"heure invalide {text!r}")
    return time(hour, minute)


def clock(moment: time) -> str:
    """``09:30`` → ``9 h 30``; ``12:00`` → ``12 h``."""
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def french_date(day: date) -> str:
    """``mardi 1 décembre 2026``."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def parse_weekdays(text: str) -> frozenset[int]:
    """``"3,6,7"`` → ``{3, 6, 7}`` (ISO weekdays); ``ValueError`` otherwise."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if any(p not in "1234567" or len(p) != 1 for p in parts):
        raise ValueError(f"jours ISO 1 à 7 séparés par des virgules attendus, reçu {text!r}")
    return frozenset(int(p) for p in parts)


@cache
def _public_holidays(year: int) -> dict[date, str]:
    france = holidays.country_holidays("FR", years=year, language="fr")
    return dict(france.items())


@cache
def _school_holidays() -> SchoolHolidayDates:
    return SchoolHolidayDates()


def school_holiday(day: date, zone: str) -> bool:
    """Whether ``day`` is in the school holidays of ``zone``; a year the calendar does not
    know yet counts as no holiday (the school adds closures for it)."""
    try:
        return bool(_school_holidays().is_holiday_for_zone(day, zone))
    except UnsupportedYearException:
        return False


@dataclass(frozen=True)
class SchoolCalendar:
    """What a school's calendar needs: its zone, weekdays, closures and services."""

    timezone: str = "Europe/Paris"
    closed_weekdays: frozenset[int] = frozenset({3, 6, 7})
    zone: str | None = None
    #: Closure days the intendance added, with their reason.
    closures: dict[date, str] = field(default_factory=dict)
    #: Service code → start time (local).
    services: dict[str, time] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closed_because(self, day: date) -> str | None:
        """Why no meal is served that day (French, as the page shows it), or ``None`` on a
        school day."""
        if day in self.closures:
            return f"fermé : {self.closures[day]}"
        if day.isoweekday() in self.closed_weekdays:
            return "fermé"
        holiday = _public_holidays(day.year).get(day)
        if holiday is not None:
            return f"férié ({holiday})"
        if self.zone and school_holiday(day, self.zone):
            return "vacances scolaires"
        return None

    def is_school_day(self, day: date) -> bool:
        return self.closed_because(day) is None

    def service_start(self, day: date, service: str) -> datetime:
        """The instant the service starts that day (local wall-clock time)."""
        return datetime.combine(day, self.services[service], tzinfo=self.tz)

    def cutoff_at(self, cutoff: Cutoff, day: date, service: str) -> datetime:
        """The last instant a meal of ``day`` / ``service`` can be booked (or cancelled)
        under ``cutoff``: an aware datetime in the school's time zone."""
        tz = self.tz
        if cutoff.kind == "hours_before":
            # On the wall clock: 48 h before Monday 11:15 is Saturday 11:15, also across a
            # change of daylight-saving time (as a family reads « 48 h avant le repas »).
            start = datetime.combine(day, self.services[service])
            return (start - timedelta(hours=cutoff.amount)).replace(tzinfo=tz)
        if cutoff.kind == "days_before":
            target = day
            for _ in range(cutoff.amount):
                target = self.previous_school_day(target)
            return datetime.combine(target, cutoff.at, tzinfo=tz)
        if cutoff.kind == "weekday_before":
            monday = day - timedelta(days=day.weekday())
            target = monday - timedelta(days=7) + timedelta(days=cutoff.amount - 1)
            return datetime.combine(target, cutoff.at, tzinfo=tz)
        return datetime.combine(day, cutoff.at, tzinfo=tz)

    def previous_school_day(self, day: date) -> date:
        """The last school day before ``day`` (at most a year back)."""
        candidate = day - timedelta(days=1)
        for _ in range(366):
            if self.is_school_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return candidate

    def school_days(self, start: date, end: date) -> list[date]:
        """School days from ``start`` to ``end`` included."""
        days = []
        day = start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days


def deadline_text(moment: datetime) -> str:
    """``mardi 1 décembre, 9 h 30``: the cutoff as the refusal on the page says it."""
    day = f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]}"
    return f"{day}, {clock(moment.time())}"


def iso_week(day: date) -> str:
    """``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(text: str) -> date:
    """``"2026-W49"`` → the Monday of that ISO week; ``ValueError`` otherwise."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
    if match is None:
        raise ValueError(f"semaine AAAA-Wnn attendue, reçu {text!r}")
    return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
