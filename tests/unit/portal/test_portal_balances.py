"""``family_balances`` (migration 0002) is the ledger sum, whoever writes the ledger."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text

from cantine_harness.portal import POSTGRES_ENV, meal, postgres_throwaway, seed_school, void
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits, balances, running_balances
from portal_sync_api.crud.meals import ingest, parse_item
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.crud.schools import require_school
from portal_sync_api.migrate import upgrade
from portal_sync_api.models import Family, FamilyBalance, LedgerEntry, Station

NOW = datetime(2025, 11, 24, 13, 0, tzinfo=UTC)


def _all_consistent(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        ref_of = dict(session.execute(select(Family.id, Family.ref)).all())
        summed = balances(session, family_ids=list(ref_of))
        running = running_balances(session, family_ids=list(ref_of))
        stored = dict(
            session.execute(select(FamilyBalance.family_id, FamilyBalance.balance_cents)).all()
        )
    assert running == summed
    assert stored == {f: v for f, v in summed.items() if f in stored}
    return {ref_of[key]: total for key, total in summed.items()}


def test_running_balance_follows_meals_voids_and_credits(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db)
    before = _all_consistent(engine)
    items = [
        meal("a", seed.children[0]),
        meal("b", seed.children[2], charged_cents=250),
        meal("c", seed.children[1]),
        void("va", "a"),
    ]
    with session_scope(engine) as session:
        station = session.execute(select(Station)).scalars().first()
        assert station is not None
        ingest(session, station=station, items=[parse_item(i) for i in items], now=NOW)
    with session_scope(engine) as session:
        add_credits(
            session,
            school=require_school(session, code="1849"),
            credits=[CreditIn(family_id=seed.families[2], amount_cents=1234, reference="R-1")],
        )
    after = _all_consistent(engine)
    assert after[seed.families[0]] == before[seed.families[0]] - 415
    assert after[seed.families[1]] == before[seed.families[1]] - 250
    assert after[seed.families[2]] == before[seed.families[2]] + 1234


def test_direct_ledger_inserts_and_rollbacks_keep_running_balances_exact(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    fam = seed.families[1]
    with session_scope(engine) as session:
        key = family_by_ref(session, ref=fam, school_code="1849").id
    with engine.begin() as conn:  # a writer that bypasses the crud functions
        conn.execute(
            insert(LedgerEntry),
            [
                {"family_id": key, "kind": "adjustment", "amount_cents": n, "reference": f"x{n}"}
                | {"at": "2025-11-24T00:00:00+00:00"}
                for n in (7, -3, 100)
            ],
        )
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(
            insert(LedgerEntry).values(
                family_id=key, kind="adjustment", amount_cents=5, reference="gone", at="x"
            )
        )
        raise RuntimeError("rolled back")
    assert _all_consistent(engine)[fam] == 500 + 7 - 3 + 100


@contextmanager
def _fresh_database(postgres: bool) -> Iterator[str]:
    if postgres:
        server = os.environ.get(POSTGRES_ENV)
        if not server:
            pytest.skip(f"{POSTGRES_ENV} not set")
        with postgres_throwaway(server) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'portal.db'}"


@pytest.mark.parametrize("postgres", [False, True], ids=["sqlite", "postgres"])
def test_migration_0002_backfills_from_the_ledger_and_downgrades(postgres: bool) -> None:
    with _fresh_database(postgres) as url:
        upgrade(url, "0001")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(insert(Family), [{"id": "F1"}, {"id": "F2"}, {"id": "F3"}])
                conn.execute(
                    insert(LedgerEntry),
                    [
                        {"family_id": f, "kind": "credit", "amount_cents": a, "reference": r}
                        | {"at": "2025-11-24T00:00:00+00:00"}
                        for f, a, r in (("F1", 500, "a"), ("F1", -415, "b"), ("F2", 90, "c"))
                    ],
                )
            upgrade(url, "head")
            with engine.connect() as conn:
                rows = dict(
                    conn.execute(select(FamilyBalance.family_id, FamilyBalance.balance_cents)).all()
                )
            assert rows == {"F1": 85, "F2": 90}
            with engine.begin() as conn:  # families of no school: written directly
                conn.execute(
                    insert(LedgerEntry).values(
                        family_id="F3", kind="credit", amount_cents=1, reference="d", at="x"
                    )
                )
            _all_consistent(engine)
            from alembic import command

            from portal_sync_api.migrate import alembic_config

            with engine.begin() as conn:
                config = alembic_config(url)
                config.attributes["connection"] = conn
                command.downgrade(config, "0001")
            with engine.connect() as conn:
                total = conn.execute(select(func.sum(LedgerEntry.amount_cents))).scalar_one()
                assert total == 500 - 415 + 90 + 1
                tables = conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_name = 'family_balances'"
                    )
                    if postgres
                    else text("SELECT count(*) FROM sqlite_master WHERE name = 'family_balances'")
                ).scalar_one()
            assert tables == 0
        finally:
            engine.dispose()
