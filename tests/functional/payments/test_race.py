"""Proofs of one payment racing each other — a duplicated notification, the return page's
status query — on real databases (an SQLite file, and PostgreSQL when
``PORTAL_TEST_POSTGRES_URL`` is set): one ledger credit, whoever wins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cantine_harness.portal import portal_database, postgres_server_url, seed_school
from portal_sync_api.core.db import make_engine
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.payments import Settled, record_counter, settle
from portal_sync_api.models import Family, LedgerEntry, Payment, School
from portal_sync_api.payments.provider import Notice

RACERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A seeded portal database of either kind."""
    postgres = request.param == "postgresql"
    if postgres and postgres_server_url() is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    with portal_database(postgres=postgres) as url:
        seed_school(url, tokens=False)
        engine = make_engine(url)
        yield engine
        engine.dispose()


def _pending(engine: Engine, amount: int) -> str:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Session(engine) as session, session.begin():
        family = session.execute(select(Family).where(Family.ref == "F18491")).scalar_one()
        school = session.execute(select(School).where(School.code == "1849")).scalar_one()
        session.add(
            Payment(
                ref="PAY-RACE",
                school_id=school.id,
                family_id=family.id,
                amount_cents=amount,
                method="online",
                state="pending",
                provider="sandbox",
                provider_txn="SBX-RACE",
                created_at=now,
                updated_at=now,
                expires_at=now,
                created_by="parent@example.fr",
            )
        )
        return family.id


def test_racing_proofs_of_one_payment_credit_it_once(engine: Engine) -> None:
    family_id = _pending(engine, 2000)
    notice = Notice(payment_ref="PAY-RACE", txn_id="SBX-RACE", outcome="paid", amount_cents=2000)
    start = threading.Barrier(RACERS)
    results: list[Settled | None] = []
    errors: list[BaseException] = []

    def prove() -> None:
        try:
            start.wait()
            with Session(engine) as session, session.begin():
                results.append(
                    settle(session, notice=notice, provider_kind="sandbox", now=datetime.now(UTC))
                )
        except BaseException as exc:  # a failed racer must fail the test, not vanish
            errors.append(exc)

    threads = [threading.Thread(target=prove) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [r.state for r in results if r is not None] == ["paid"] * RACERS
    assert sum(1 for r in results if r is not None and r.credited) == 1
    with Session(engine) as session:
        credits = session.execute(
            select(func.count(), func.sum(LedgerEntry.amount_cents)).where(
                LedgerEntry.reference == "payment:SBX-RACE"
            )
        ).one()
        assert tuple(credits) == (1, 2000)
        assert (
            session.execute(
                select(LedgerEntry.family_id).where(LedgerEntry.reference == "payment:SBX-RACE")
            ).scalar_one()
            == family_id
        )


def test_one_cheque_recorded_at_once_from_two_desks_is_one_payment(engine: Engine) -> None:
    with Session(engine) as session:
        school_id = session.execute(select(School.id).where(School.code == "1849")).scalar_one()
    intendance = Principal(
        kind="intendance", school_id=school_id, family_id=None, email="intendance@example.fr"
    )
    start = threading.Barrier(RACERS)
    changed: list[bool] = []
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start.wait()
            with Session(engine) as session, session.begin():
                _line, new = record_counter(
                    session,
                    intendance,
                    family_ref="F18491",
                    amount_cents=4500,
                    method="cheque",
                    reference="CHQ-RACE",
                    now=datetime.now(UTC),
                )
                changed.append(new)
        except BaseException as exc:  # a failed racer must fail the test, not vanish
            errors.append(exc)

    threads = [threading.Thread(target=record) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(changed) == [False] * (RACERS - 1) + [True]
    with Session(engine) as session:
        payments = session.execute(
            select(func.count()).where(Payment.counter_reference == "CHQ-RACE")
        ).scalar_one()
        credits = session.execute(
            select(func.count()).where(
                LedgerEntry.reference.like("payment:PAY-%"), LedgerEntry.amount_cents == 4500
            )
        ).scalar_one()
    assert (payments, credits) == (1, 1)
