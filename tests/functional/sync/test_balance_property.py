"""Property: under any interleaving of scans, pushes (some with lost answers), pulls, voids
and portal credits across two stations, each station shows the portal's balance minus
its own charges the pulled balance does not reflect yet (plus unreflected refunds); after
a quiet full sync both show exactly the portal's balance."""

from __future__ import annotations

import itertools
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from cantine_harness.portal import (
    PortalProcess,
    clear_database,
    create_station_token,
    seed_school,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.schools import set_school
from station.core.errors import StationError, SyncError
from station.store import outbox
from station.sync.client import PortalClient
from station.sync.exchange import pull_changes, push_outbox
from tests.support.sync import NOON, Station, credit, make_station, portal_balance

FAMILY = "F18491"
CARDS = ("1849-01234", "1849-01235")  # Hervé (ticket, 4,15 €) and Léa (forfait Mon/Tue/Thu/Fri)
DAYS = [NOON + timedelta(days=d) for d in range(7)]
_references = itertools.count()


OPS = st.one_of(
    st.tuples(st.just("scan"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 6)),
    st.tuples(st.just("push"), st.integers(0, 1)),
    st.tuples(st.just("push_lost"), st.integers(0, 1)),
    st.tuples(st.just("pull"), st.integers(0, 1)),
    st.tuples(st.just("void"), st.integers(0, 1)),
    st.tuples(st.just("credit"), st.integers(1, 30).map(lambda n: n * 100)),
)


def truth(portal: PortalProcess) -> dict[str, int | None]:
    """Meal and void ids (the stations') the portal applied, with the seq it acknowledged."""
    engine = make_engine(portal.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT ref, ack_seq FROM meals UNION ALL SELECT ref, ack_seq FROM voids")
            ).all()
    finally:
        engine.dispose()
    return {row[0]: row[1] for row in rows}


def expected_shown(station: Station, applied: dict[str, int | None]) -> tuple[int, int]:
    """(shown, what the pulled balance and the portal's truth say it should be)."""
    with station.line.store.read() as conn:
        row = conn.execute(
            "SELECT balance_cents, as_of_seq FROM balances WHERE family_id = ?", (FAMILY,)
        ).fetchone()
        pulled, as_of = (row[0], row[1]) if row else (0, -1)
        meals = conn.execute(
            "SELECT id, charged_cents FROM meals WHERE family_id = ?", (FAMILY,)
        ).fetchall()
        voids = conn.execute(
            "SELECT id, refund_cents FROM voids WHERE family_id = ?", (FAMILY,)
        ).fetchall()

    def unreflected(record_id: str) -> bool:
        seq = applied.get(record_id)
        return seq is None or seq > as_of

    expected = (
        pulled
        - sum(c for mid, c in meals if unreflected(mid))
        + sum(r for vid, r in voids if unreflected(vid))
    )
    return station.balance(FAMILY), expected


def lose_answer(station: Station, client: PortalClient) -> None:
    """The portal gets and applies the batch; the station never hears the answer."""
    with station.line.store.read() as conn:
        entries = outbox.pending(conn, 500)
    if entries:
        client.push([e.payload for e in entries])


def void_last(station: Station) -> None:
    with station.line.store.read() as conn:
        row = conn.execute(
            "SELECT m.id, m.served_at FROM meals m LEFT JOIN voids v ON v.meal_id = m.id"
            " WHERE v.id IS NULL ORDER BY m.jpos DESC LIMIT 1"
        ).fetchone()
    if row:
        from datetime import datetime

        station.line.void(row[0], at=datetime.fromisoformat(row[1]) + timedelta(minutes=1))


@settings(
    max_examples=int(os.environ.get("BALANCE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=1, max_size=18))
def test_shown_balance_is_portal_balance_minus_unreflected_local_charges(
    portal: PortalProcess,
    ops: list[tuple],  # type: ignore[type-arg]
) -> None:
    clear_database(portal.database_url)
    school = seed_school(portal.database_url)
    engine = make_engine(portal.database_url)
    with session_scope(engine) as session:  # every scan charges: policy allow, many passes
        set_school(
            session,
            code="1849",
            settings={
                "unreserved_policy": "allow",
                "max_meals_per_service": 99,
                "overdraft_limit_cents": 1_000_000,
            },
        )
    engine.dispose()
    tokens = [
        school.station_token,
        create_station_token(portal.database_url, school="1849", name="ligne-2"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        stations = [
            make_station(Path(tmp), portal.url, token, name=f"ligne-{n + 1}")
            for n, token in enumerate(tokens)
        ]
        clients = [PortalClient(portal.url, token) for token in tokens]
        try:
            for s, c in zip(stations, clients, strict=True):
                pull_changes(
                    s.line.store, c, station=s.config.station.name, page_size=1000, now=NOON
                )
            for op in ops:
                kind = op[0]
                if kind == "scan":
                    _, who, card, day = op
                    stations[who].line.scan(CARDS[card], at=DAYS[day])
                elif kind == "push":
                    push_outbox(stations[op[1]].line.store, clients[op[1]], batch_size=3, now=NOON)
                elif kind == "push_lost":
                    lose_answer(stations[op[1]], clients[op[1]])
                elif kind == "pull":
                    s = stations[op[1]]
                    pull_changes(
                        s.line.store,
                        clients[op[1]],
                        station=s.config.station.name,
                        page_size=4,
                        now=NOON,
                    )
                elif kind == "void":
                    void_last(stations[op[1]])
                else:
                    credit(portal.database_url, FAMILY, op[1], f"REF-{next(_references)}")
                applied = truth(portal)
                for s in stations:
                    shown, expected = expected_shown(s, applied)
                    assert shown == expected, (op, s.config.station.name)
            for s, c in [*zip(stations, clients, strict=True), (stations[0], clients[0])]:
                push_outbox(s.line.store, c, batch_size=500, now=NOON)
                pull_changes(
                    s.line.store, c, station=s.config.station.name, page_size=1000, now=NOON
                )
            final = portal_balance(portal, school, FAMILY)
            assert [s.balance(FAMILY) for s in stations] == [final, final]
        except (SyncError, StationError) as e:  # pragma: no cover - shows the portal's words
            raise AssertionError(e.message) from e
        finally:
            for s, c in zip(stations, clients, strict=True):
                c.close()
                s.close()
