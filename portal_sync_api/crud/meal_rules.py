"""What a pushed meal or void must make sense of before it touches money (sync protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.core.config import EARLIEST_BUSINESS_DATE, UNDO_TOLERANCE_SECONDS
from portal_sync_api.models import School, Service
from portal_sync_api.schemas import MealIn


@dataclass(frozen=True)
class MealRules:
    """A school's calendar and services, against which a batch's meals are checked."""

    tz: ZoneInfo
    services: frozenset[str]
    latest_day: date  # the latest plausible business date
    undo_window_minutes: int

    @classmethod
    def of(cls, session: Session, *, school: School, skew_limit: datetime) -> MealRules:
        """The rules of ``school``; ``skew_limit`` is the latest plausible ``served_at``."""
        tz = ZoneInfo(school.timezone)
        services = session.execute(select(Service.code).where(Service.school_id == school.id))
        return cls(
            tz=tz,
            services=frozenset(services.scalars()),
            # A station's clock a little ahead may already be on tomorrow (flagged clock_skew).
            latest_day=(skew_limit.astimezone(tz) + timedelta(days=1)).date(),
            undo_window_minutes=school.undo_window_minutes,
        )

    def meal_problem(self, item: MealIn) -> str | None:
        """The rejection reason of a meal this school cannot have served, if any."""
        if not EARLIEST_BUSINESS_DATE <= item.business_date <= self.latest_day:
            return "implausible_date"
        try:
            served_day = item.served_at.astimezone(self.tz).date()
        except OverflowError:  # year 9999 with an offset
            return "implausible_date"
        if served_day != item.business_date:
            return "business_date_mismatch"
        if item.service not in self.services:
            return "unknown_service"
        return None

    def void_in_time(self, *, served_at: str | datetime, voided_at: datetime) -> bool:
        """Whether a void falls in the school's undo window after its meal, by the
        station's clock, give or take ``UNDO_TOLERANCE_SECONDS``.

        Both moments come from the station, so a station offline for days still has its
        timely voids applied when it comes back.
        """
        served = served_at if isinstance(served_at, datetime) else datetime.fromisoformat(served_at)
        tolerance = timedelta(seconds=UNDO_TOLERANCE_SECONDS)
        try:
            elapsed = voided_at - served
        except OverflowError:
            return False
        return -tolerance <= elapsed <= timedelta(minutes=self.undo_window_minutes) + tolerance
