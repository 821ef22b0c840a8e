"""A family's quotient familial, recorded on the portal, reaches a real station with the
next sync: the station charges the new bracket's price from then on, and the meal it
charged before keeps its price in the portal's ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from station.sync.runner import sync_once
from tests.support.notices_portal import NoticePortal, past_school_days
from tests.support.station import PARIS
from tests.support.sync import Station, make_station, portal_meals


@pytest.fixture
def station(tmp_path: Path, notices: NoticePortal) -> Iterator[Station]:
    made = make_station(tmp_path, notices.portal.url, notices.school.station_token)
    yield made
    made.close()


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS)


def test_a_quotient_change_reaches_the_station_with_its_new_price(
    notices: NoticePortal, station: Station
) -> None:
    herve = notices.school.children[0]
    card = notices.school.cards[herve]
    notices.set_school(unreserved_policy="allow")
    notices.cli(
        "school", "set-brackets", "1849", "--service", "dejeuner", "0-699:100,700-999:250,1000-:415"
    )
    assert sync_once(station.config).ok
    first_day, second_day = sorted(past_school_days(2))
    before = station.line.scan(card, at=_noon(first_day))
    # No quotient recorded: the highest bracket.
    assert (before.status.value, before.charged_cents) == ("served", 415)

    today = datetime.now(PARIS).date()
    notices.cli(
        "family",
        "set-qf",
        "--school",
        "1849",
        "--family",
        notices.school.families[0],
        "--qf",
        "640",
        "--from",
        (today - timedelta(days=30)).isoformat(),
        "--valid-until",
        (today + timedelta(days=300)).isoformat(),
    )
    assert sync_once(station.config).ok
    after = station.line.scan(card, at=_noon(second_day))
    assert (after.status.value, after.charged_cents) == ("served", 100)

    assert sync_once(station.config).ok
    charged = {
        m["business_date"]: m["charged_cents"]
        for m in portal_meals(notices.portal, notices.school, herve)
        if m["business_date"] in (first_day.isoformat(), second_day.isoformat())
    }
    assert charged == {first_day.isoformat(): 415, second_day.isoformat(): 100}
