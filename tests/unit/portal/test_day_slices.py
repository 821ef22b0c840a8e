"""The day page's pure parts: which service is open, how a stored ``served_at`` slice
lands on the school's clock, which slices a service shows, and the chart drawn from them."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from portal_sync_api.crud.day import (
    ServiceWindow,
    _local_minute,
    _service_passes,
    open_service,
)
from portal_sync_api.web.day_chart import chart_of

PARIS = ZoneInfo("Europe/Paris")
BREAKFAST = ServiceWindow("petit_dejeuner", "07:00", "08:00")
LUNCH = ServiceWindow("dejeuner", "11:15", "13:45")
EARLY_LUNCH = ServiceWindow("dejeuner_tot", "11:00", "12:00")


def test_the_open_service_holds_the_moment_start_included_end_excluded() -> None:
    assert open_service([BREAKFAST, LUNCH], time(11, 15)) == LUNCH
    assert open_service([BREAKFAST, LUNCH], time(13, 44, 59)) == LUNCH
    assert open_service([BREAKFAST, LUNCH], time(13, 45)) is None
    assert open_service([BREAKFAST, LUNCH], time(10, 0)) is None


def test_with_overlapping_windows_the_earliest_start_is_open() -> None:
    assert open_service([LUNCH, EARLY_LUNCH], time(11, 30)) == EARLY_LUNCH


def test_a_slice_lands_on_the_schools_clock_whatever_offset_the_station_wrote() -> None:
    assert _local_minute("2025-11-24T12:0", "+01:00", PARIS) == 12 * 60
    assert _local_minute("2025-11-24T11:1", "+00:00", PARIS) == 12 * 60 + 10
    assert _local_minute("2025-11-24T11:1", "0:00Z", PARIS) == 12 * 60 + 10
    assert _local_minute("2026-06-15T10:5", "+00:00", PARIS) == 12 * 60 + 50  # summer time
    assert _local_minute("pas une date", "+01:00", PARIS) is None


def test_a_service_shows_its_whole_window_and_any_meal_outside_it() -> None:
    passes = _service_passes("dejeuner", LUNCH, {12 * 60: 3, 14 * 60: 1})
    labels = [s.label for s in passes.slices]
    assert labels[0] == "11:10" and labels[-1] == "14:00"
    assert passes.total == 4 and passes.peak == 3


def test_a_window_of_most_of_the_day_shows_only_the_slices_around_its_meals() -> None:
    all_day = ServiceWindow("dejeuner", "00:00", "23:59")
    passes = _service_passes("dejeuner", all_day, {12 * 60: 2})
    assert [s.label for s in passes.slices] == ["11:50", "12:00", "12:10"]
    empty = _service_passes("dejeuner", all_day, {})
    assert empty.slices[-1].end_label == "24:00"


def test_the_chart_says_in_words_what_its_bars_show() -> None:
    chart = chart_of(_service_passes("dejeuner", LUNCH, {12 * 60: 3, 12 * 60 + 10: 1}))
    assert chart.description == (
        "4 passages de 11:10 à 13:50, par tranche de 10 minutes ; "
        "le plus fort : 3 entre 12:00 et 12:10."
    )
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.passes == 3 and tallest.y >= chart.plot_top
    assert all(abs(b.y + b.height - chart.baseline) < 0.01 for b in chart.bars if b.passes)
    assert [t.text for t in chart.x_ticks] == ["11:30", "12:00", "12:30", "13:00", "13:30"]
