"""The changes feed: seqs, latest state per key, deletions, balances as ledger sums."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from cantine_harness.portal import SEED_DAY, seed_school
from portal_sync_api.core.config import normalize_database_url
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud import changes as feed
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.roster import ReservationRow, cancel_reservation, import_reservations
from portal_sync_api.crud.schools import get_school, parse_setting, require_school, set_school
from portal_sync_api.errors import DataError
from portal_sync_api.models import Change, Child, Family, LedgerEntry, Reservation


def _feed(engine: Engine, code: str = "1849") -> dict[tuple[str, str], tuple[int, object]]:
    with session_scope(engine) as session:
        school = get_school(session, code=code)
        assert school is not None
        rows, _ = feed.page(session, school_id=school.id, since=0, limit=5000)
    return {(k, key): (seq, json.loads(d) if d else None) for seq, k, key, d in rows}


def test_seeded_school_feed_holds_every_kind_with_unique_increasing_seqs(
    portal_db: str, engine: Engine
) -> None:
    seed_school(portal_db, tokens=False)
    with session_scope(engine) as session:
        school = get_school(session, code="1849")
        assert school is not None
        rows, more = feed.page(session, school_id=school.id, since=0, limit=5000)
        assert feed.last_seq(session, school_id=school.id) == rows[-1][0]
    seqs = [r[0] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and not more
    kinds = {r[1] for r in rows}
    assert kinds == {
        "school",
        "settings",
        "service",
        "tariff",
        "child",
        "card",
        "reservation",
        "balance",
    }


def test_changing_a_setting_moves_the_settings_row_to_a_higher_seq(
    portal_db: str, engine: Engine
) -> None:
    seed_school(portal_db, tokens=False)
    before = _feed(engine)[("settings", "1849")]
    with session_scope(engine) as session:
        set_school(session, code="1849", settings={"max_meals_per_service": 2})
    seq, data = _feed(engine)[("settings", "1849")]
    assert seq > max(s for s, _ in _feed(engine).values() if s != seq)
    assert seq > before[0]
    assert isinstance(data, dict) and data["max_meals_per_service"] == 2


def test_new_school_has_design_default_settings(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_school(session, code="1900")
    _, data = _feed(engine, "1900")[("settings", "1900")]
    assert data == {
        "unreserved_policy": "refuse",
        "unreserved_surcharge_cents": 0,
        "overdraft_limit_cents": 0,
        "low_balance_threshold_cents": 3000,
        "max_meals_per_service": 1,
        "undo_window_minutes": 10,
        "max_manual_serves_per_child_per_month": 3,
        "max_overrides_per_child_per_month": 3,
        "allergy_ack_required": False,
    }


def test_cancelled_reservation_is_published_as_null_data(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db, tokens=False)
    key = f"{seed.children[0]}/{SEED_DAY.isoformat()}/dejeuner"
    assert _feed(engine)[("reservation", key)][1] is not None
    with session_scope(engine) as session:
        school = get_school(session, code="1849")
        assert school is not None
        assert cancel_reservation(
            session, school=school, child_id=seed.children[0], day=SEED_DAY, service="dejeuner"
        )
        assert not cancel_reservation(
            session,
            school=school,
            child_id=seed.children[0],
            day=date(2030, 1, 1),
            service="dejeuner",
        )
    assert _feed(engine)[("reservation", key)][1] is None


def test_credit_with_known_reference_is_not_counted_twice(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db, tokens=False)
    credit = CreditIn(family_id=seed.families[2], amount_cents=1200, reference="VIR-77")
    with session_scope(engine) as session:
        assert (
            add_credits(session, school=require_school(session, code="1849"), credits=[credit]) == 1
        )
    first_seq, _ = _feed(engine)[("balance", seed.families[2])]
    with session_scope(engine) as session:
        assert (
            add_credits(session, school=require_school(session, code="1849"), credits=[credit]) == 0
        )
        total = session.execute(
            select(func.sum(LedgerEntry.amount_cents))
            .join(Family, Family.id == LedgerEntry.family_id)
            .where(Family.ref == seed.families[2])
        ).scalar_one()
    seq, data = _feed(engine)[("balance", seed.families[2])]
    assert total == 1200 and seq == first_seq
    assert data == {"family_id": seed.families[2], "balance_cents": 1200}


def test_balance_row_equals_ledger_sum_after_each_credit(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db, tokens=False)
    for n, amount in enumerate((300, 700, 50)):
        with session_scope(engine) as session:
            add_credits(
                session,
                school=require_school(session, code="1849"),
                credits=[CreditIn(seed.families[1], amount, f"R{n}")],
            )
    _, data = _feed(engine)[("balance", seed.families[1])]
    assert data == {"family_id": seed.families[1], "balance_cents": 500 + 300 + 700 + 50}


def test_feed_rows_are_unique_per_kind_and_key(portal_db: str, engine: Engine) -> None:
    seed_school(portal_db, tokens=False)
    with session_scope(engine) as session:
        set_school(session, code="1849", name="Autre nom")
        set_school(session, code="1849", name="Encore")
        count = session.execute(
            select(func.count()).select_from(Change).where(Change.kind == "school")
        ).scalar_one()
    assert count == 1
    assert _feed(engine)[("school", "1849")][1] == {
        "code": "1849",
        "name": "Encore",
        "timezone": "Europe/Paris",
    }


def test_postgresql_urls_select_the_psycopg_driver() -> None:
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///portal.db") == "sqlite:///portal.db"


def test_flush_gives_balances_higher_seqs_than_every_other_change_of_the_transaction(
    portal_db: str, engine: Engine
) -> None:
    """A station that saw a meal at seq M trusts any balance of seq ≥ M to include it."""
    seed_school(portal_db, tokens=False)
    with session_scope(engine) as session:
        school = get_school(session, code="1849")
        assert school is not None
        before = feed.last_seq(session, school_id=school.id)
        buffer = feed.ChangeBuffer()
        put = buffer.put
        put(school_id=school.id, kind="balance", key="F1", data={"balance_cents": 1})
        put(school_id=school.id, kind="meal", key="m1", data={"meal_id": "m1"})
        put(school_id=school.id, kind="balance", key="F2", data={"balance_cents": 2})
        put(school_id=school.id, kind="meal", key="m2", data={"meal_id": "m2"})
        put(school_id=school.id, kind="balance", key="F1", data={"balance_cents": 3})
        put(school_id=school.id, kind="card", key="K1", data=None)
        seqs = buffer.flush(session)
        assert feed.last_seq(session, school_id=school.id) == before + 5
    order = sorted(seqs, key=seqs.__getitem__)
    assert [(kind, key) for _school, kind, key in order] == [
        ("meal", "m1"),
        ("meal", "m2"),
        ("card", "K1"),
        ("balance", "F2"),
        ("balance", "F1"),
    ]
    assert sorted(seqs.values()) == list(range(before + 1, before + 6))
    stored = _feed(engine)
    assert {(kind, key): stored[(kind, key)][0] for _s, kind, key in seqs} == {
        (kind, key): seq for (_s, kind, key), seq in seqs.items()
    }
    assert stored[("balance", "F1")][1] == {"balance_cents": 3}


def test_reservation_added_then_changed_or_cancelled_in_one_file_ends_as_its_last_line(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=False)
    child = seed.children[1]
    kept, dropped = date(2030, 1, 7), date(2030, 1, 8)
    rows = [
        ReservationRow(child_id=child, day=kept, service="dejeuner", prepaid=False),
        ReservationRow(child_id=child, day=kept, service="dejeuner", prepaid=True),
        ReservationRow(child_id=child, day=dropped, service="dejeuner", prepaid=False),
        ReservationRow(
            child_id=child, day=dropped, service="dejeuner", prepaid=False, cancelled=True
        ),
    ]
    with session_scope(engine) as session:
        school = get_school(session, code="1849")
        assert school is not None
        import_reservations(session, school=school, rows=rows)
    with session_scope(engine) as session:
        stored = {
            (r.day, r.prepaid)
            for r in session.scalars(
                select(Reservation)
                .join(Child, Child.id == Reservation.child_id)
                .where(Child.ref == child)
            )
        }
    assert stored == {(kept, True)}
    feed_now = _feed(engine)
    assert feed_now[("reservation", f"{child}/{kept}/dejeuner")][1] == {
        "child_id": child,
        "date": kept.isoformat(),
        "service": "dejeuner",
        "prepaid": True,
    }
    assert feed_now[("reservation", f"{child}/{dropped}/dejeuner")][1] is None


def test_line_settings_reach_the_feed_with_their_types(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_school(
            session,
            code="1901",
            settings={"allergy_ack_required": "oui", "max_overrides_per_child_per_month": "1"},
        )
    _, data = _feed(engine, "1901")[("settings", "1901")]
    assert data["allergy_ack_required"] is True
    assert data["max_overrides_per_child_per_month"] == 1


def test_a_yes_no_setting_refuses_anything_else() -> None:
    assert parse_setting("allergy_ack_required", "non") is False
    with pytest.raises(DataError) as refused:
        parse_setting("allergy_ack_required", "peut-être")
    assert refused.value.field == "allergy_ack_required"
