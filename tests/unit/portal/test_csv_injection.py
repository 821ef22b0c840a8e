"""CSV exports neutralise formulas (OWASP CSV injection): a cell read as text, never run."""

from __future__ import annotations

from datetime import date, time

import pytest

from portal_sync_api.crud.reads import consumption_csv, csv_text
from portal_sync_api.schemas import ConsumptionFigures, ConsumptionPublic
from station.core.models import DayScope, DaySummary, Service, ServiceSummary
from station.report import as_csv


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"],
)
def test_a_cell_starting_like_a_formula_is_prefixed_with_a_quote(text: str) -> None:
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["6B", "dejeuner", "Total", ""])
def test_an_ordinary_cell_is_left_as_it_is(text: str) -> None:
    assert csv_text(text) == text


def test_consumption_export_writes_class_and_service_names_as_text() -> None:
    figures = ConsumptionFigures(reserved=1, charged_cents=415)
    report = ConsumptionPublic(
        school="1849",
        day=date(2025, 11, 24),
        services={"=1+1": figures},
        classes={"@SUM(A1)": {"=1+1": figures}, "6B": {"=1+1": figures}},
    )
    rows = [line.split(";") for line in consumption_csv(report).decode("utf-8-sig").splitlines()]
    assert rows[1][:2] == ["'=1+1", "Total"]
    assert rows[2][:2] == ["'=1+1", "'@SUM(A1)"]
    assert rows[3][:2] == ["'=1+1", "6B"]
    assert "4,15" in rows[1]  # amounts stay numbers Excel can add


def test_station_day_export_writes_line_and_service_names_as_text() -> None:
    service = ServiceSummary(
        service=Service(code="-cmd", start=time(11, 15), end=time(13, 45)),
        closed=True,
        voids=1,
    )
    summary = DaySummary(
        day=date(2025, 11, 24),
        station="=ligne",
        scope=DayScope.LINE,
        services=[service],
        passes_per_slot=[],
    )
    rows = [line.split(";") for line in as_csv(summary).splitlines()]
    assert rows[1][1:3] == ["'=ligne", "'-cmd"]
