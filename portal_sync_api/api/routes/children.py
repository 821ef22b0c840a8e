"""A child's last meals, for its parents and its school's intendance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from portal_sync_api.api.deps import CurrentUser, SessionDep, check_path_id
from portal_sync_api.api.errors import ERROR_RESPONSES, not_found
from portal_sync_api.crud.accounts import visible_child
from portal_sync_api.crud.reads import child_meals
from portal_sync_api.schemas import ChildMealsPublic

router = APIRouter(prefix="/v1/children", tags=["children"], responses=ERROR_RESPONSES)


@router.get("/{child_id}/meals", response_model=ChildMealsPublic)
def read_child_meals(
    child_id: str,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> ChildMealsPublic:
    """Last consumed meals of the child, newest first (voided ones flagged)."""
    check_path_id(child_id, "child_id", "enfant")
    child = visible_child(session, user, child_id=child_id)
    if child is None:
        raise not_found("enfant", "child_id")
    return ChildMealsPublic(
        child_id=child.ref, meals=child_meals(session, child_id=child.id, limit=limit)
    )
