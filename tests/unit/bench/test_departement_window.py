"""The département load's window (``--window``): a part of the lunch replayed at a
chosen rate, its share of the meals, and a schedule holding only what happens in it."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any, cast

import pytest

from bench.departement_load import (
    LUNCH_SECONDS,
    Child,
    Clock,
    Facts,
    Lunch,
    Plan,
    Registry,
    Station,
    _minutes,
    schedule_lunch,
)
from bench.departement_seed import CardToday, StationSeat

PEAK_WINDOW = (45 * 60.0, 65 * 60.0)


def test_the_whole_lunch_holds_every_meal_and_the_peak_window_about_a_third() -> None:
    assert Plan().window_share() == pytest.approx(1.0)
    # ±10 minutes around the peak is ±0.4 σ: 31 % of a normal curve, of the 98 % that
    # falls within the two hours.
    assert Plan(window=PEAK_WINDOW).window_share() == pytest.approx(0.3108 / 0.9814, abs=1e-3)


def test_a_window_at_a_real_rate_lasts_as_long_as_itself_and_its_clock_starts_there() -> None:
    plan = Plan(compression=1.0, window=PEAK_WINDOW)
    assert plan.lunch_wall == 1200.0
    assert Plan().lunch_wall == LUNCH_SECONDS / 24
    clock = Clock(start=time.monotonic(), compression=1.0, offset=PEAK_WINDOW[0])
    assert 2700.0 <= clock.lunch() < 2701.0


def test_window_argument_in_minutes() -> None:
    assert _minutes("45-65") == PEAK_WINDOW
    for wrong in ("45", "65-45", "0-121", "a-b"):
        with pytest.raises(argparse.ArgumentTypeError):
            _minutes(wrong)


def test_a_windowed_schedule_holds_only_the_meals_and_voids_made_within_it() -> None:
    cards = [CardToday("1849", f"1849-{n:05d}", f"C{n}", True) for n in range(3000)]
    facts = Facts(
        heads={"1849": 0},
        lunches={"1849": Lunch("dejeuner", "11:30", "Europe/Paris")},
        children={("1849", f"C{n}"): Child("F1", 450, "reserved") for n in range(3000)},
    )
    seat = StationSeat("1849", "ligne-1", "token")
    client = cast(Any, None)  # scheduling sends nothing
    whole = {"1849": [Station(seat, client, 0, 10.0)]}
    window = {"1849": [Station(seat, client, 0, 10.0)]}
    plan = Plan(void_rate=0.2, window=PEAK_WINDOW)
    schedule_lunch(whole, cards, facts, Registry(), Plan(void_rate=0.2), date(2026, 11, 24))
    registry = Registry()
    schedule_lunch(window, cards, facts, registry, plan, date(2026, 11, 24))

    kept = list(window["1849"][0].schedule)
    assert kept and all(PEAK_WINDOW[0] <= due.at < PEAK_WINDOW[1] for due in kept)
    inside = [due for due in whole["1849"][0].schedule if PEAK_WINDOW[0] <= due.at < PEAK_WINDOW[1]]
    # Meal ids are drawn afresh each time (UUIDv7): the card names a pupil's meal.
    meals_inside = {due.body["card"] for due in inside if due.body["kind"] == "meal"}
    kept_meals = {due.body["card"] for due in kept if due.body["kind"] == "meal"}
    meal_ids = {due.body["id"] for due in kept if due.body["kind"] == "meal"}
    assert kept_meals == meals_inside
    assert registry.generated_meals == len(kept_meals)
    # A void is kept only with its meal, and only when made within the window.
    kept_voids = [due.body for due in kept if due.body["kind"] == "void"]
    assert kept_voids and all(void["meal_id"] in meal_ids for void in kept_voids)
    assert registry.generated_voids == len(kept_voids)
    assert len(kept_meals) / 3000 == pytest.approx(plan.window_share(), abs=0.03)
