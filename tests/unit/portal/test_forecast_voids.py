"""A voided meal was not eaten: the kitchen's forecast counts neither it as served nor
its child as present when it learns the no-show rate (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from cantine_harness.portal import SEED_DAY, meal, seed_school, void
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.forecast import forecast
from portal_sync_api.crud.meals import BatchItem, ingest
from portal_sync_api.models import School, Station
from portal_sync_api.schemas import MealIn, VoidIn


def test_a_voided_meal_is_neither_served_nor_a_presence_in_the_forecast(
    portal_db: str, engine: Engine
) -> None:
    seed_school(portal_db)  # C1849-42, -44 and -46 reserved on SEED_DAY
    items: list[BatchItem] = [
        MealIn.model_validate(meal("m-42", "C1849-42")),
        MealIn.model_validate(meal("m-46", "C1849-46")),
        VoidIn.model_validate({**void("v-46", "m-46"), "voided_at": "2025-11-24T12:05:00+01:00"}),
    ]
    with session_scope(engine) as session:
        station = session.execute(select(Station)).scalar_one()
        results = ingest(session, station=station, items=items)
        assert [r.status for r in results] == ["applied"] * 3
    with session_scope(engine) as session:
        school = session.execute(select(School)).scalar_one()
        seen = forecast(
            session,
            school=school,
            start=SEED_DAY,
            end=SEED_DAY,
            today=SEED_DAY + timedelta(days=1),
        )
    assert [d.served for d in seen.days] == [1]  # -46's meal was voided
    assert seen.no_show_rate == round(2 / 3, 3)  # -44 did not come, -46's meal undone
