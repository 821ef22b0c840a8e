"""The intendance's daily consumption report and the kitchen's forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from portal_sync_api.api.deps import CurrentUser, SessionDep, check_path_id
from portal_sync_api.api.errors import ERROR_RESPONSES, ApiError, not_found
from portal_sync_api.crud.accounts import visible_school
from portal_sync_api.crud.forecast import forecast
from portal_sync_api.crud.reads import consumption, consumption_csv
from portal_sync_api.schemas import ConsumptionPublic, ForecastPublic, IsoDay

router = APIRouter(prefix="/v1/schools", tags=["schools"], responses=ERROR_RESPONSES)


@router.get(
    "/{code}/consumption",
    response_model=ConsumptionPublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def read_consumption(
    code: str,
    session: SessionDep,
    user: CurrentUser,
    day: Annotated[IsoDay, Query(description="Jour, AAAA-MM-JJ")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> ConsumptionPublic | Response:
    """Per service and per class: reserved, served with/without reservation, no-shows,
    voids, duplicate passes, amount charged. ``format=csv`` gives a file for Excel."""
    check_path_id(code, "code", "école")
    school = visible_school(session, user, code=code)
    if school is None:
        raise not_found("école", "code")
    report = consumption(session, school=school, day=day)
    if format == "csv":
        return Response(
            consumption_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="consommation-{code}-{day}.csv"'
            },
        )
    return report


@router.get("/{code}/forecast", response_model=ForecastPublic)
def read_forecast(
    code: str,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDay, Query(alias="from", description="Premier jour, AAAA-MM-JJ")],
    end: Annotated[IsoDay, Query(alias="to", description="Dernier jour, AAAA-MM-JJ")],
) -> ForecastPublic:
    """Per school day and service: booked, expected (after the usual no-show rate, plus
    the usual unreserved passes), per class; days already past carry what was served."""
    check_path_id(code, "code", "école")
    if end < start or (end - start).days > 62:
        raise ApiError(422, "période de 1 à 63 jours attendue", field="to")
    school = visible_school(session, user, code=code)
    if school is None:
        raise not_found("école", "code")
    today = datetime.now(ZoneInfo(school.timezone)).date()
    return forecast(session, school=school, start=start, end=end, today=today)
