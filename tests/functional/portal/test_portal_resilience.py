"""Exactly-once under lost answers, and a gap-free cursor under concurrent writers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from cantine_harness.portal import PortalProcess, meal, running_portal, seed_school
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.ledger import CreditIn, add_credits
from portal_sync_api.crud.schools import require_school


@contextmanager
def answer_eating_proxy(upstream_port: int) -> Iterator[int]:
    """A loopback proxy that forwards one request, waits for the portal's answer (so the
    batch is committed), then closes the client connection without relaying it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        client, _ = listener.accept()
        with client, socket.create_connection(("127.0.0.1", upstream_port)) as upstream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += client.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            while len(body) < length:
                body += client.recv(65536)
            upstream.sendall(head + b"\r\n\r\n" + body)
            assert upstream.recv(65536)  # the answer exists: the batch was committed
        # leaving the block closes the client socket: the answer is lost on the way

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(timeout=10)


def _balance(portal: PortalProcess, token: str, family: str) -> int:
    with portal.client(token) as client:
        return int(client.get(f"/v1/families/{family}/balance").json()["balance_cents"])


def test_batch_retried_after_answer_lost_post_commit_debits_once_and_reports_duplicate(
    portal_db: str,
) -> None:
    seeded = seed_school(portal_db)
    batch = {
        "meals": [
            meal("cut-1", seeded.children[0]),
            meal("cut-2", seeded.children[2], charged_cents=250),
        ]
    }
    with running_portal(portal_db, migrate_first=False) as portal:
        port = int(portal.url.rsplit(":", 1)[1])
        with answer_eating_proxy(port) as proxy_port, pytest.raises(httpx.HTTPError):
            httpx.post(
                f"http://127.0.0.1:{proxy_port}/v1/sync/meals",
                json=batch,
                timeout=10,
                headers={"Authorization": f"Bearer {seeded.station_token}"},
            )
        with portal.client(seeded.station_token) as client:
            retry = client.post("/v1/sync/meals", json=batch).json()["results"]
            again = client.post("/v1/sync/meals", json=batch).json()["results"]
        assert [r["status"] for r in retry] == ["duplicate", "duplicate"]
        assert retry == again and all(isinstance(r["seq"], int) for r in retry)
        assert _balance(portal, seeded.parent_token, seeded.families[0]) == 5000 - 415


@pytest.mark.postgres
def test_reader_looping_on_cursor_during_concurrent_writes_misses_no_change(
    postgres_db: str,
) -> None:
    seeded = seed_school(postgres_db)
    writers, rounds = 4, 15

    def write(n: int) -> None:
        engine = make_engine(postgres_db)
        try:
            for r in range(rounds):
                with session_scope(engine) as session:
                    add_credits(
                        session,
                        school=require_school(session, code="1849"),
                        credits=[CreditIn(seeded.families[n % 3], 10, f"W{n}-{r}")],
                    )
        finally:
            engine.dispose()

    state: dict[tuple[str, str], int] = {}
    with (
        running_portal(postgres_db, migrate_first=False) as portal,
        portal.client(seeded.station_token) as client,
    ):
        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        cursor, last_seen = 0, 0

        def pull() -> None:
            nonlocal cursor, last_seen
            more = True
            while more:
                page = client.get(f"/v1/sync/changes?since={cursor}&limit=3").json()
                for change in page["changes"]:
                    assert change["seq"] > last_seen
                    last_seen = change["seq"]
                    state[(change["kind"], change["key"])] = change["seq"]
                    if change["kind"] == "balance":
                        state[("balance-value", change["key"])] = change["data"]["balance_cents"]
                cursor, more = page["next"], page["more"]

        while any(t.is_alive() for t in threads):
            pull()
        for t in threads:
            t.join()
        pull()
        full = client.get("/v1/sync/changes?since=0&limit=5000").json()["changes"]
        balances = {f: _balance(portal, seeded.intendance_token, f) for f in seeded.families}
    expected = {(c["kind"], c["key"]): c["seq"] for c in full}
    assert {k: v for k, v in state.items() if k[0] != "balance-value"} == expected
    for family, total in balances.items():
        assert state[("balance-value", family)] == total
    assert json.dumps(full)  # the feed stayed valid JSON throughout
