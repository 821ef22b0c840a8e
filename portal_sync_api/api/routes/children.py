"""A child's last meals and reservations, for its parents and its school's intendance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from portal_sync_api.api.deps import CurrentUser, SessionDep, check_path_id
from portal_sync_api.api.errors import ERROR_RESPONSES, ApiError, not_found
from portal_sync_api.crud.accounts import Principal, visible_child
from portal_sync_api.crud.bookings import BookingDone, BookingRefused, book, cancel, child_week
from portal_sync_api.crud.reads import child_meals
from portal_sync_api.schemas import (
    BookingPublic,
    ChildMealsPublic,
    IsoDay,
    ReservationSlotPublic,
    ReservationsPublic,
)

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


#: The longest range one reservations read may cover.
MAX_RANGE_DAYS = 62


@router.get("/{child_id}/reservations", response_model=ReservationsPublic)
def read_reservations(
    child_id: str,
    session: SessionDep,
    user: CurrentUser,
    start: Annotated[IsoDay, Query(alias="from", description="Premier jour, AAAA-MM-JJ")],
    end: Annotated[IsoDay, Query(alias="to", description="Dernier jour, AAAA-MM-JJ")],
) -> ReservationsPublic:
    """Each school day and service of the period: reserved, prepaid, still bookable, the
    cutoff and, when not bookable, why."""
    check_path_id(child_id, "child_id", "enfant")
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise ApiError(422, f"période de 1 à {MAX_RANGE_DAYS + 1} jours attendue", field="to")
    week = child_week(session, user, child_id=child_id, start=start, end=end)
    if week is None:
        raise not_found("enfant", "child_id")
    child, slots = week
    return ReservationsPublic(
        child_id=child.ref,
        reservations=[
            ReservationSlotPublic(
                date=s.day,
                service=s.service,
                reserved=s.reserved,
                prepaid=s.prepaid,
                bookable=s.bookable or (user.kind == "intendance" and s.cutoff_at is not None),
                cutoff_at=s.cutoff_at,
                reason=s.reason,
                price_cents=s.price_cents,
            )
            for s in slots
        ],
    )


@router.put("/{child_id}/reservations/{day}/{service}", response_model=BookingPublic)
def put_reservation(
    child_id: str, day: IsoDay, service: str, session: SessionDep, user: CurrentUser
) -> BookingPublic:
    """Book the meal (idempotent). 409 ``cutoff_passed`` (with ``cutoff_at``) after the
    cutoff, ``insufficient_balance`` for a prepaid booking the wallet cannot pay."""
    return _booking(book, session, user, child_id, day, service)


@router.delete("/{child_id}/reservations/{day}/{service}", response_model=BookingPublic)
def delete_reservation(
    child_id: str, day: IsoDay, service: str, session: SessionDep, user: CurrentUser
) -> BookingPublic:
    """Cancel the meal (idempotent); a prepaid booking is refunded. Same cutoff rule (the
    school's ``cancel_cutoff`` when it has one)."""
    return _booking(cancel, session, user, child_id, day, service)


def _booking(
    action: Callable[..., BookingDone],
    session: Session,
    user: Principal,
    child_id: str,
    day: date,
    service: str,
) -> BookingPublic:
    """Run ``book`` or ``cancel`` in one transaction and answer the meal's state."""
    check_path_id(child_id, "child_id", "enfant")
    try:
        with session.begin():
            done = action(
                session, user, child_id=child_id, day=day, service=service, actor=_actor(user)
            )
    except BookingRefused as refusal:
        raise _refused(refusal) from None
    return BookingPublic(
        child_id=child_id,
        date=day,
        service=service,
        reserved=action is book,
        prepaid=done.prepaid,
        changed=done.changed,
    )


def _actor(user: Principal) -> str:
    return user.email or user.kind


def _refused(refusal: BookingRefused) -> ApiError:
    if refusal.error == "not_found":
        return not_found("enfant", "child_id")
    extra: dict[str, Any] = {"error": refusal.error}
    if refusal.cutoff_at is not None:
        extra["cutoff_at"] = refusal.cutoff_at
    field = "service" if refusal.error == "not_bookable" else "date"
    return ApiError(409, refusal.message, field=field, extra=extra)
