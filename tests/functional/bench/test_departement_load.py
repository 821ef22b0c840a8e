"""The département load generator (bench/departement_load.py) at a tiny scale against a
real ``portal-sync-api serve --workers 2`` on PostgreSQL: every meal and void it made is
acknowledged and at the portal exactly once, retried batches come back « duplicate »,
the touched families' ledgers add up, and the report has a row for each endpoint group.
No timing is asserted. The checks themselves are shown to see a missing meal and a
ledger that does not add up, and the portal log's summary to name each traceback's
exception."""

from __future__ import annotations

import psycopg
import pytest

from bench.departement_load import (
    GROUPS,
    PUSH,
    Plan,
    Run,
    ledgers,
    libpq,
    problems_in,
    render,
    run_workers,
    tally,
)
from cantine_harness.portal import postgres_server_url, seed_school

#: Two schools of 60 pupils, a lunch of 5 s, stations and intendance every second, voids
#: and retried pushes far more frequent than in a real lunch so that the run has some.
TINY = Plan(
    schools=2,
    pupils=120,
    compression=1440.0,
    pull_interval=1.0,
    parent_rate=6.0,
    intendance_interval=1.0,
    void_rate=0.1,
    retry_rate=0.3,
    timeout=20.0,
    max_visits=20,
    reference_samples=3,
    reference_visits=2,
)


@pytest.fixture(scope="module")
def tiny_run() -> Run:
    """One replay of the tiny plan with 2 portal workers."""
    server = postgres_server_url()
    if server is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    return run_workers(server, TINY, workers=2)


@pytest.mark.postgres
def test_every_meal_made_is_at_the_portal_exactly_once(tiny_run: Run) -> None:
    meals = tiny_run.checks.meals
    assert meals.generated >= 120  # every card's lunch, and the reference's late meals
    assert meals.acknowledged == meals.generated
    assert meals.once == meals.generated
    assert (meals.lost, meals.doubled, meals.unsent) == (0, 0, 0)


@pytest.mark.postgres
def test_every_void_made_is_at_the_portal_exactly_once(tiny_run: Run) -> None:
    voids = tiny_run.checks.voids
    assert voids.generated > 0
    assert voids.once == voids.acknowledged == voids.generated
    assert (voids.lost, voids.doubled, voids.unsent) == (0, 0, 0)


@pytest.mark.postgres
def test_retried_batches_are_answered_duplicate_with_the_same_seqs(tiny_run: Run) -> None:
    assert tiny_run.outcome.registry.retries > 0
    assert tiny_run.outcome.load.recorder.groups[PUSH].wrong.total() == 0


@pytest.mark.postgres
def test_touched_families_ledgers_add_up_and_journals_hold(tiny_run: Run) -> None:
    checks = tiny_run.checks
    assert checks.families > 0
    assert checks.ledger_mismatches == 0
    assert (checks.journal_breaks, checks.unlinked_meals) == (0, 0)


@pytest.mark.postgres
def test_the_report_has_a_row_per_endpoint_group_each_exercised(tiny_run: Run) -> None:
    body = render([tiny_run])
    assert "### 2 worker(s)" in body
    for group in GROUPS:
        assert f"\n| {group}: " in body
        assert tiny_run.outcome.load.recorder.groups[group].requests > 0
        assert tiny_run.outcome.reference.recorder.groups[group].requests > 0


@pytest.mark.postgres
def test_the_exactly_once_check_sees_a_meal_missing_at_the_portal(postgres_db: str) -> None:
    seed_school(postgres_db, tokens=False)
    with psycopg.connect(libpq(postgres_db)) as conn:
        counted = tally(conn, "meals", {("1849", "never-pushed"): 7}, generated=1, unsent=0)
    assert (counted.lost, counted.once, counted.doubled) == (1, 0, 0)


@pytest.mark.postgres
def test_the_ledger_check_sees_a_balance_that_does_not_add_up(postgres_db: str) -> None:
    seeded = seed_school(postgres_db, tokens=False)
    families = {("1849", ref) for ref in seeded.families}
    with psycopg.connect(libpq(postgres_db)) as conn:
        assert ledgers(conn, {}, families) == (3, 0)
        conn.execute(
            "UPDATE family_balances SET balance_cents = balance_cents + 1 WHERE family_id = "
            "(SELECT id FROM families WHERE ref = %s)",
            (seeded.families[0],),
        )
        conn.commit()
        assert ledgers(conn, {}, families) == (3, 1)


def test_the_portal_log_summary_names_each_traceback_by_its_exception() -> None:
    log = "\n".join(
        [
            "INFO:     Application startup complete.",
            "ERROR:    unexpected error on /v1/sync/meals",
            "Traceback (most recent call last):",
            '  File "starlette/requests.py", line 242, in stream',
            "    raise ClientDisconnect()",
            "starlette.requests.ClientDisconnect",
            "During handling of the above exception, another exception occurred:",
            "Traceback (most recent call last):",
            '  File "uvicorn/protocols/http/httptools_impl.py", line 409, in run_asgi',
            "starlette.requests.ClientDisconnect",
            "WARNING:  database pool exhausted: request answered 503",
        ]
    )
    assert problems_in(log) == {
        "ERROR:    unexpected error on /v1/sync/meals": 1,
        "raised starlette.requests.ClientDisconnect": 2,
        "WARNING:  database pool exhausted: request answered 503": 1,
    }
