"""Balance notices on the meal ingest path (docs/design.md §8): the notice check runs in the
transaction of every balance change, so it rides on each station batch. The time spent
inside the check beside the whole batch's ingest, in the same run: on a usual day (no
family crosses the threshold), and when the meals take many families under it and below
zero (every family has a parent login, so notices and relances are rendered and queued).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import table, write_section
from cantine_harness.portal import create_station_token, migrate
from cantine_harness.school import build_school
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud import ledger, notices
from portal_sync_api.crud.accounts import create_user
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.meals import ingest, parse_item
from portal_sync_api.crud.schools import require_school
from portal_sync_api.mail.models import OutboxMail
from portal_sync_api.models import Family, Station

PUPILS = 600
BATCH = 500
BATCHES = 12
START = date(2026, 9, 1)
#: The name ``crud.ledger.put_balances`` calls the check by.
HOOK = "after_balance_change"


def _items(children: list[str], count: int) -> list[dict[str, Any]]:
    items = []
    for n in range(count):
        day = START + timedelta(days=n // len(children))
        items.append(
            {
                "kind": "meal",
                "id": f"b-{n:07d}",
                "child_id": children[n % len(children)],
                "card": None,
                "source": "wedge",
                "service": "dejeuner",
                "business_date": day.isoformat(),
                "served_at": f"{day.isoformat()}T12:04:00+02:00",
                "reason": "reserved",
                "charged_cents": 415,
            }
        )
    return items


def _prepare(url: str, *, rich: bool = False) -> list[str]:
    """The school, a parent login per family and a station; ``rich``: every family gets
    1 000 € more, so no meal takes one under the threshold (the usual day)."""
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            school = build_school(
                session, pupils=PUPILS, start=START, end=START + timedelta(days=30)
            )
            children = school.children
            for n, family in enumerate(session.scalars(select(Family.id)).all()):
                create_user(
                    session,
                    role="parent",
                    email=f"parent{n}@example.fr",
                    school_code=None,
                    family_key=family,
                )
            if rich:
                school_row = require_school(session, code="1849")
                refs = session.scalars(select(Family.ref)).all()
                add_credits(
                    session,
                    school=school_row,
                    credits=[CreditIn(ref, 100_000, f"RICH-{ref}") for ref in refs],
                )
    finally:
        engine.dispose()
    create_station_token(url)
    return children


def _ingest(url: str, items: list[dict[str, Any]]) -> tuple[float, float, int]:
    """Ingest ``items`` in batches: (seconds in all, seconds inside the notice check,
    notices queued)."""
    inside = [0.0]
    check = notices.after_balance_change

    def timed(session: Session, *, balances: Mapping[str, int], now: Any = None) -> None:
        started = time.perf_counter()
        try:
            check(session, balances=balances, now=now)
        finally:
            inside[0] += time.perf_counter() - started

    engine = make_engine(url)
    now = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
    setattr(ledger, HOOK, timed)  # put_balances calls it by this name
    try:
        started = time.perf_counter()
        for start in range(0, len(items), BATCH):
            with session_scope(engine) as session:
                station = session.execute(select(Station)).scalars().one()
                batch = [parse_item(i) for i in items[start : start + BATCH]]
                ingest(session, station=station, items=batch, now=now)
        elapsed = time.perf_counter() - started
        with session_scope(engine) as session:
            queued = int(session.scalar(select(func.count()).select_from(OutboxMail)) or 0)
        return elapsed, inside[0], queued
    finally:
        setattr(ledger, HOOK, check)
        engine.dispose()


def main() -> None:
    rows = []
    batches = BATCHES
    with tempfile.TemporaryDirectory() as tmp:
        for rich, what in ((True, "no family crosses"), (False, "many cross")):
            url = f"sqlite:///{Path(tmp) / ('rich' if rich else 'low')}.db"
            children = _prepare(url, rich=rich)
            elapsed, inside, mails = _ingest(url, _items(children, BATCH * batches))
            rows.append(
                (
                    f"sqlite: notice check per batch of {BATCH} meals ({what}; "
                    f"{mails} notices queued in {batches} batches)",
                    f"{inside / batches * 1000:.1f} ms",
                    f"{elapsed / batches * 1000:.0f} ms (the whole batch's ingest)",
                    f"{inside / elapsed:.1%}",
                    "≤ 10 % when no family crosses" if rich else "—",
                )
            )
    write_section("Balance notices on the ingest path", table(rows))


if __name__ == "__main__":
    main()
