"""A voided meal was not eaten: the kitchen's forecast counts it neither as served, nor
its child as present when it learns the no-show rate, nor as an unreserved pass of its
class (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from cantine_harness.portal import SEED_DAY, meal, seed_school, void
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.forecast import forecast
from portal_sync_api.crud.meals import BatchItem, ingest
from portal_sync_api.models import School, Station
from portal_sync_api.schemas import ForecastClass, MealIn, VoidIn


def voided(void_id: str, meal_id: str) -> VoidIn:
    """A void a minute after a meal of :func:`meal` (served 12:04)."""
    return VoidIn.model_validate(
        {**void(void_id, meal_id), "voided_at": "2025-11-24T12:05:00+01:00"}
    )


def test_a_voided_meal_is_neither_served_nor_a_presence_nor_an_unreserved_pass(
    portal_db: str, engine: Engine
) -> None:
    # C1849-42, -44 and -46 are reserved on SEED_DAY; -43 (5A) and -45 (4C) are not.
    seed_school(portal_db)
    items: list[BatchItem] = [
        MealIn.model_validate(meal("m-42", "C1849-42")),
        MealIn.model_validate(meal("m-46", "C1849-46")),
        voided("v-46", "m-46"),
        MealIn.model_validate(meal("m-43", "C1849-43")),
        MealIn.model_validate(meal("m-45", "C1849-45")),
        voided("v-45", "m-45"),
    ]
    with session_scope(engine) as session:
        station = session.execute(select(Station)).scalar_one()
        results = ingest(session, station=station, items=items)
        assert [r.status for r in results] == ["applied"] * len(items)
    tomorrow = SEED_DAY + timedelta(days=1)
    next_monday = SEED_DAY + timedelta(days=7)
    with session_scope(engine) as session:
        school = session.execute(select(School)).scalar_one()
        past = forecast(session, school=school, start=SEED_DAY, end=SEED_DAY, today=tomorrow)
        coming = forecast(
            session, school=school, start=next_monday, end=next_monday, today=tomorrow
        )
    assert [d.served for d in past.days] == [2]  # -42 and -43; -45's and -46's undone
    assert past.no_show_rate == round(2 / 3, 3)  # -44 did not come, -46's meal undone
    # Nothing booked next Monday: the usual unreserved passes only, -45's (4C) undone.
    assert [d.classes for d in coming.days] == [{"5A": ForecastClass(booked=0, expected=1.0)}]
