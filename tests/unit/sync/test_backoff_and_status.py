"""Retry delays and the sync status line staff read."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from station.sync.backoff import retry_delay
from station.sync.status import SyncStatus

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def test_retry_delay_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(1)
    ceilings = [
        max(retry_delay(n, base=1.0, cap=60.0, rng=rng) for _ in range(200))
        for n in (1, 2, 3, 4, 10)
    ]
    assert ceilings[0] <= 1.0 and 1.0 < ceilings[1] <= 2.0 and 2.0 < ceilings[2] <= 4.0
    assert ceilings[3] <= 8.0 and 30.0 < ceilings[4] <= 60.0


def test_retry_delays_are_jittered_so_stations_do_not_retry_together() -> None:
    rng = random.Random(2)
    delays = {round(retry_delay(5, rng=rng), 3) for _ in range(50)}
    assert len(delays) > 40 and min(delays) >= 0.5


def status(**overrides: object) -> SyncStatus:
    values: dict[str, object] = {
        "online": True,
        "pending": 0,
        "rejected": 0,
        "last_success": NOW,
        "pulled_at": NOW - timedelta(seconds=12),
        "last_error": None,
        "now": NOW,
    }
    values.update(overrides)
    return SyncStatus(**values)  # type: ignore[arg-type]


def test_fresh_online_status_reads_in_french() -> None:
    assert status(pending=3).describe() == "En ligne — 3 en attente — données de 12 s"
    assert not status().stale


def test_cache_older_than_the_threshold_is_stale_and_says_so() -> None:
    old = status(online=False, pulled_at=NOW - timedelta(hours=30))
    assert old.stale
    assert old.describe() == "Hors ligne — 0 en attente — données de 30 h — DONNÉES ANCIENNES"


def test_never_pulled_cache_is_stale() -> None:
    never = status(pulled_at=None)
    assert never.stale and "jamais synchronisé" in never.describe()


def test_rejected_entries_are_shown() -> None:
    assert "2 rejeté(s)" in status(rejected=2).describe()


def test_a_cycle_is_told_in_french_with_plurals_and_failures() -> None:
    from station.sync.status import cycle_line

    assert cycle_line(ok=True, sent=12, rejected=0, received=3, error=None) == (
        "12 envoyés, 3 changements reçus"
    )
    assert cycle_line(ok=True, sent=1, rejected=1, received=0, error=None) == (
        "1 envoyé, 1 rejeté, 0 changement reçu"
    )
    assert cycle_line(ok=False, sent=0, rejected=0, received=0, error="délai dépassé") == (
        "échec : délai dépassé"
    )
