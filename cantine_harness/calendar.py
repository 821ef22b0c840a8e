"""The school days of the demo and test data (one rule for every generated school)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

#: ISO weekdays without a canteen in the generated schools: Wednesday, Saturday, Sunday
#: (the usual French collège; the portal's ``closed_weekdays`` default is the same).
CLOSED_WEEKDAYS = frozenset({3, 6, 7})


def school_days(
    start: date,
    *,
    count: int | None = None,
    until: date | None = None,
    closed: Collection[int] = CLOSED_WEEKDAYS,
) -> list[date]:
    """School days from ``start``: the first ``count`` of them, or all up to ``until``
    (inclusive). Exactly one of ``count`` and ``until`` is given."""
    if (count is None) == (until is None):
        raise ValueError("give exactly one of count and until")
    days: list[date] = []
    day = start
    while (count is not None and len(days) < count) or (until is not None and day <= until):
        if day.isoweekday() not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days
