"""The school calendar and every cutoff form, with the family guides' rules as cases."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal_sync_api.core.calendar import (
    Cutoff,
    SchoolCalendar,
    deadline_text,
    french_date,
    iso_week,
    parse_weekdays,
    week_monday,
)

PARIS = ZoneInfo("Europe/Paris")
LUNCH = {"dejeuner": time(11, 15)}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_tuesday_0930_of_the_previous_week() -> None:
    # « avant le mardi de la semaine précédente, 9 h 30 »: Thursday 10 December 2026.
    cal = SchoolCalendar(services=LUNCH)
    cutoff = Cutoff.parse("weekday_before=2@09:30")
    assert cal.cutoff_at(cutoff, date(2026, 12, 10), "dejeuner") == paris(2026, 12, 1, 9, 30)
    # Monday of the same week: the same Tuesday of the week before.
    assert cal.cutoff_at(cutoff, date(2026, 12, 7), "dejeuner") == paris(2026, 12, 1, 9, 30)
    assert cutoff.describe() == "jusqu'au mardi 9 h 30 de la semaine précédente"


def test_48_hours_before_the_meal() -> None:
    cal = SchoolCalendar(services=LUNCH)
    cutoff = Cutoff.parse("hours_before=48")
    assert cal.cutoff_at(cutoff, date(2026, 12, 7), "dejeuner") == paris(2026, 12, 5, 11, 15)
    assert cutoff.describe() == "jusqu'à 48 h avant le début du service"


def test_same_day_0930() -> None:
    cal = SchoolCalendar(services=LUNCH)
    cutoff = Cutoff.parse("same_day@09:30")
    assert cal.cutoff_at(cutoff, date(2026, 12, 7), "dejeuner") == paris(2026, 12, 7, 9, 30)
    assert cutoff.describe() == "jusqu'au jour même, 9 h 30"


def test_days_before_counts_school_days_only_skipping_a_holiday_monday() -> None:
    # Easter Monday 6 April 2026 is a public holiday; no zone: no school holidays.
    cal = SchoolCalendar(services=LUNCH)
    assert cal.closed_because(date(2026, 4, 6)) == "férié (Lundi de Pâques)"
    cutoff = Cutoff.parse("days_before=1@09:30")
    # Tuesday 7 April: the school day before is Friday 3 April (weekend, holiday skipped).
    assert cal.cutoff_at(cutoff, date(2026, 4, 7), "dejeuner") == paris(2026, 4, 3, 9, 30)
    two = Cutoff.parse("days_before=2@18:00")
    assert cal.cutoff_at(two, date(2026, 4, 7), "dejeuner") == paris(2026, 4, 2, 18, 0)


def test_a_dst_sunday_keeps_the_wall_clock_time() -> None:
    # Summer time starts on Sunday 29 March 2026: Monday 30's lunch is at 11:15 +02:00,
    # 48 h before is Saturday 28 at 11:15 +01:00 on the wall clock.
    cal = SchoolCalendar(services=LUNCH)
    at = cal.cutoff_at(Cutoff.parse("hours_before=48"), date(2026, 3, 30), "dejeuner")
    assert (at.date(), at.time(), at.utcoffset()) == (
        date(2026, 3, 28),
        time(11, 15),
        paris(2026, 3, 28).utcoffset(),
    )
    assert at.utcoffset() != paris(2026, 3, 30).utcoffset()
    weekly = cal.cutoff_at(Cutoff.parse("weekday_before=5@09:30"), date(2026, 3, 30), "dejeuner")
    assert weekly == paris(2026, 3, 27, 9, 30)


def test_a_school_in_another_time_zone() -> None:
    cal = SchoolCalendar(timezone="Indian/Reunion", services=LUNCH)
    at = cal.cutoff_at(Cutoff.parse("same_day@09:30"), date(2026, 12, 7), "dejeuner")
    assert at.astimezone(ZoneInfo("UTC")) == datetime(2026, 12, 7, 5, 30, tzinfo=ZoneInfo("UTC"))


def test_closed_weekdays_school_holidays_and_closures_are_not_school_days() -> None:
    cal = SchoolCalendar(
        zone="A",
        services=LUNCH,
        closures={date(2026, 12, 3): "grève"},
        closed_weekdays=frozenset({3, 6, 7}),
    )
    assert cal.closed_because(date(2026, 12, 2)) == "fermé"  # a Wednesday
    assert cal.closed_because(date(2026, 12, 3)) == "fermé : grève"
    assert cal.closed_because(date(2026, 12, 25)) == "férié (Noël)"
    assert cal.closed_because(date(2026, 12, 22)) == "vacances scolaires"
    assert cal.closed_because(date(2026, 12, 4)) is None
    assert cal.school_days(date(2026, 11, 30), date(2026, 12, 6)) == [
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 4),
    ]
    # Without a zone, the same Tuesday of the Christmas holidays is a school day.
    assert SchoolCalendar(services=LUNCH).closed_because(date(2026, 12, 22)) is None


@pytest.mark.parametrize(
    "text",
    ["", "hours_before=", "days_before=2", "weekday_before=8@09:30", "same_day@25:00", "soon"],
)
def test_a_malformed_cutoff_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Cutoff.parse(text)


def test_weekdays_weeks_and_french_dates() -> None:
    assert parse_weekdays("3,6,7") == {3, 6, 7}
    with pytest.raises(ValueError):
        parse_weekdays("3,8")
    assert iso_week(date(2026, 12, 1)) == "2026-W49"
    assert week_monday("2026-W49") == date(2026, 11, 30)
    with pytest.raises(ValueError):
        week_monday("2026-49")
    assert french_date(date(2026, 12, 1)) == "mardi 1 décembre 2026"
    assert deadline_text(paris(2026, 12, 1, 9, 30)) == "mardi 1 décembre, 9 h 30"
