"""Formatting cents for people, and station-made ids."""

from __future__ import annotations

import uuid

from station.core.ids import uuid7
from station.core.money import format_decimal, format_euros


def test_cents_display_the_french_way() -> None:
    assert format_euros(415) == "4,15 €"
    assert format_euros(-320) == "\u22123,20 €"
    assert format_euros(123456) == "1\u202f234,56 €"
    assert format_decimal(-5) == "-0,05"


def test_uuid7_is_version_7_and_sorts_by_time() -> None:
    first, second = uuid7(1_700_000_000_000), uuid7(1_700_000_000_001)
    assert uuid.UUID(first).version == 7
    assert first < second
