"""Exponential backoff with full jitter, as a pure function of the attempt number."""

from __future__ import annotations

import random


def retry_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 60.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = first retry).

    Full jitter (uniform in [base/2, min(cap, base·2^(attempt-1))]) spreads the stations of
    a school so they do not all hit the portal at the same instant when it comes back.
    """
    if attempt < 1:
        return 0.0
    ceiling = min(cap, base * (2 ** min(attempt - 1, 30)))
    low = min(base / 2, ceiling)
    return (rng or random).uniform(low, ceiling)
