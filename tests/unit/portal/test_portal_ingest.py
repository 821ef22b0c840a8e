"""Meal ingest rules: exactly once, duplicate_pass, clock_skew, void refunds once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from cantine_harness.portal import meal, seed_school, void
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.ledger import balances
from portal_sync_api.crud.meals import ingest, parse_item
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.models import Change, LedgerEntry, Meal, Station
from portal_sync_api.schemas import ItemResult

NOW = datetime(2025, 11, 24, 13, 0, tzinfo=UTC)


def _push(engine: Engine, items: list[dict[str, object]]) -> list[ItemResult]:
    with session_scope(engine) as session:
        station = session.execute(select(Station)).scalars().first()
        assert station is not None
        return ingest(session, station=station, items=[parse_item(i) for i in items], now=NOW)


def _balance(engine: Engine, family: str) -> int:
    with session_scope(engine) as session:
        key = family_by_ref(session, ref=family, school_code=None).id
        return balances(session, family_ids=[key])[key]


def test_same_batch_twice_debits_once_and_answers_duplicate_with_same_seq(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    batch = [meal("m1", seed.children[0]), meal("m2", seed.children[2], charged_cents=250)]
    first = _push(engine, batch)
    second = _push(engine, batch)
    assert [r.status for r in first] == ["applied", "applied"]
    assert [r.status for r in second] == ["duplicate", "duplicate"]
    assert [r.seq for r in second] == [r.seq for r in first]
    assert _balance(engine, seed.families[0]) == 5000 - 415
    assert _balance(engine, seed.families[1]) == 500 - 250


def test_second_meal_same_service_is_recorded_with_duplicate_pass(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    results = _push(engine, [meal("a", seed.children[0]), meal("b", seed.children[0])])
    assert [(r.status, r.duplicate_pass) for r in results] == [
        ("applied", False),
        ("applied", True),
    ]
    assert _balance(engine, seed.families[0]) == 5000 - 2 * 415


def test_meal_after_void_of_first_is_not_a_duplicate_pass(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db)
    results = _push(
        engine, [meal("a", seed.children[0]), void("v", "a"), meal("b", seed.children[0])]
    )
    assert results[2].duplicate_pass is False


def test_served_at_over_five_minutes_ahead_is_flagged_clock_skew_not_rejected(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    results = _push(
        engine,
        [
            meal("late", seed.children[0], served_at="2025-11-24T14:04:00+01:00"),  # 13:04Z
            meal("ok", seed.children[2], served_at="2025-11-24T14:06:00+01:00"),  # 13:06Z
        ],
    )
    assert [(r.status, r.clock_skew) for r in results] == [("applied", False), ("applied", True)]


def test_void_refunds_once_and_second_void_is_already_voided(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    _push(engine, [meal("m", seed.children[0])])
    first = _push(engine, [void("v1", "m")])
    again = _push(engine, [void("v1", "m"), void("v2", "m"), void("v3", "nope")])
    assert first[0].status == "applied"
    assert [(r.status, r.reason) for r in again] == [
        ("duplicate", None),
        ("rejected", "already_voided"),
        ("rejected", "unknown_meal"),
    ]
    assert _balance(engine, seed.families[0]) == 5000
    with session_scope(engine) as session:
        refunds = session.execute(
            select(func.count()).where(LedgerEntry.kind == "void_refund")
        ).scalar_one()
    assert refunds == 1


def test_invalid_items_are_rejected_naming_the_field_and_change_nothing(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    bad_date = meal("x1", seed.children[0]) | {"business_date": "24/11/2025"}
    results = _push(
        engine,
        [
            bad_date,
            meal("x2", "C-nobody"),
            {"kind": "soup", "id": "x3"},
            meal("x4", seed.children[0]) | {"charged_cents": -5},
        ],
    )
    assert [r.reason for r in results] == [
        "invalid: business_date",
        "unknown_child",
        "invalid: kind",
        "invalid: charged_cents",
    ]
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(Meal)).scalar_one() == 0


def test_applied_seq_is_the_balance_change_that_reflects_the_charge(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    charged, free = _push(
        engine, [meal("c", seed.children[0]), meal("f", seed.children[1], charged_cents=0)]
    )
    with session_scope(engine) as session:
        balance_seq = session.execute(
            select(Change.seq).where(Change.kind == "balance", Change.key == seed.families[0])
        ).scalar_one()
        meal_seq = session.execute(
            select(Change.seq).where(Change.kind == "meal", Change.key == "f")
        ).scalar_one()
    assert charged.seq == balance_seq and free.seq == meal_seq


def _changes(engine: Engine, kind: str) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.execute(select(Change.key, Change.seq).where(Change.kind == kind))
        return {key: seq for key, seq in rows}


def test_balances_of_a_batch_get_higher_seqs_than_its_meal_changes(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    _push(engine, [meal("early", seed.children[2])])
    results = _push(
        engine,
        [
            meal("a", seed.children[0]),
            meal("b", seed.children[2], charged_cents=250),
            void("va", "a"),
            meal("free", seed.children[4], charged_cents=0),
            void("ve", "early"),
            meal("c", seed.children[1]),
        ],
    )
    assert [r.status for r in results] == ["applied"] * 6
    meals, balances_ = _changes(engine, "meal"), _changes(engine, "balance")
    batch_meals = [meals[k] for k in ("a", "b", "free", "early", "c")]
    batch_balances = [balances_[f] for f in seed.families[:2]]
    assert max(batch_meals) < min(batch_balances)
    # Every charged or refunded item is acknowledged at its family's balance seq.
    by_id = {r.id: r.seq for r in results}
    assert by_id["a"] == by_id["va"] == by_id["c"] == balances_[seed.families[0]]
    assert by_id["b"] == by_id["ve"] == balances_[seed.families[1]]
    assert by_id["free"] == meals["free"]
    assert _balance(engine, seed.families[0]) == 5000 - 415
    assert _balance(engine, seed.families[1]) == 500 - 250


def test_a_full_batch_of_1000_is_applied_once_and_answered_duplicate_with_same_seqs(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db)
    batch = [
        meal(f"m{n:04d}", seed.children[n % 5], charged_cents=n % 3, card=None) for n in range(1000)
    ]
    first = _push(engine, batch)
    again = _push(engine, batch)
    assert {r.status for r in first} == {"applied"}
    assert {r.status for r in again} == {"duplicate"}
    assert [r.seq for r in again] == [r.seq for r in first]
    assert sum(r.duplicate_pass is True for r in first) == 1000 - 5
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(Meal)).scalar_one() == 1000
        charged = session.execute(
            select(func.count()).where(LedgerEntry.kind == "meal_charge")
        ).scalar_one()
    assert charged == sum(1 for n in range(1000) if n % 3)
