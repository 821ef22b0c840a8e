"""The notice check inside the transaction that moves a balance (crud/notices.py): a
rolled-back change leaves neither a notice nor a state behind, and a parent address the
outbox refuses never refuses the meals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from cantine_harness.portal import meal, seed_school
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.accounts import create_user
from portal_sync_api.crud.meals import ingest, parse_item
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.mail.models import OutboxMail
from portal_sync_api.models import FamilyNoticeState, Station, User

NOW = datetime(2025, 11, 24, 13, 0, tzinfo=UTC)


def _meals(child: str, count: int) -> list[dict[str, object]]:
    days = [NOW.date() - timedelta(days=n) for n in range(count)]
    return [meal(f"n-{n}", child, day=day) for n, day in enumerate(days)]


def test_a_rolled_back_crossing_leaves_no_notice_and_no_state(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=True)
    with session_scope(engine) as session:
        family = family_by_ref(session, ref=seed.families[0], school_code="1849").id
        create_user(session, role="parent", email="papa@example.fr", family_key=family)
    with engine.connect() as conn, conn.begin() as transaction:
        session = Session(bind=conn)
        station = session.execute(select(Station)).scalars().first()
        assert station is not None
        items = [parse_item(i) for i in _meals(seed.children[0], 6)]
        ingest(session, station=station, items=items, now=NOW)
        # To the seeded parent login and to papa@.
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 2
        transaction.rollback()
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMail)) == 0
        assert session.get(FamilyNoticeState, family) is None


def test_a_refused_parent_address_never_refuses_the_meals(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db, tokens=True)
    with session_scope(engine) as session:
        family = family_by_ref(session, ref=seed.families[0], school_code="1849").id
        create_user(session, role="parent", email="maman@example.fr", family_key=family)
        create_user(session, role="parent", email="papa@example.fr", family_key=family)
        session.execute(
            update(User).where(User.email == "papa@example.fr").values(email="pas une adresse")
        )
    with session_scope(engine) as session:
        station = session.execute(select(Station)).scalars().first()
        assert station is not None
        items = [parse_item(i) for i in _meals(seed.children[0], 6)]
        results = ingest(session, station=station, items=items, now=NOW)
    assert [r.status for r in results] == ["applied"] * 6
    with session_scope(engine) as session:
        sent_to = session.scalars(select(OutboxMail.to_address)).all()
    # The seeded parent login and maman@; the broken address is skipped, the rest is sent.
    assert len(sent_to) == 2
    assert "maman@example.fr" in sent_to
    assert "pas une adresse" not in sent_to
