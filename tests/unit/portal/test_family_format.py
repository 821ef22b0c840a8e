"""How the family pages write money and dates (French typography)."""

from __future__ import annotations

from datetime import date

import pytest

from portal_sync_api.web.format import euros, instant, service_label, short_date, signed_euros


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (415, "4,15\u00a0€"),
        (0, "0,00\u00a0€"),
        (5, "0,05\u00a0€"),
        (-320, "\u22123,20\u00a0€"),
        (123456, "1\u202f234,56\u00a0€"),
    ],
)
def test_euros_uses_a_decimal_comma_a_no_break_space_and_a_real_minus(
    cents: int, text: str
) -> None:
    assert euros(cents) == text


def test_signed_euros_marks_credits_with_plus_and_charges_with_minus() -> None:
    assert signed_euros(5000) == "+50,00\u00a0€"
    assert signed_euros(-415) == "\u22124,15\u00a0€"


def test_dates_and_instants_are_written_the_french_way_on_the_schools_clock() -> None:
    assert short_date(date(2025, 11, 24)) == "lun. 24/11/2025"
    # 11:04 UTC is 12:04 in Paris in November.
    assert instant("2025-11-24T11:04:00+00:00") == "24/11/2025 à 12:04"
    assert instant("2025-11-24T11:04:00+00:00", "Europe/London") == "24/11/2025 à 11:04"


def test_service_codes_read_as_words() -> None:
    assert service_label("dejeuner") == "Déjeuner"
    assert service_label("petit_dejeuner") == "Petit-déjeuner"
    assert service_label("gouter_special") == "Gouter special"
