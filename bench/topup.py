"""Online top-up → the new balance at the station (docs/design.md §8).

A parent's top-up through the sandbox bank (a real process): the portal creates the
payment, the parent presses « Payer » on the bank's page, the bank sends the parent back
and notifies the portal, which credits the wallet; a station whose runner syncs every
10 s (a real uvicorn portal on loopback, SQLite) then shows the new balance. Measured from
« Payer » to the balance in the station's cache: worst and mean of a few samples at random
instants, beside the same path for a credit written by the credits-CSV import (the
intendance's other way in) and one bare ``sync_once`` round trip.
"""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from bench.common import mean, table, write_section
from cantine_harness.portal import (
    free_port,
    portal_database,
    running_portal,
    seed_school,
)
from cantine_harness.sandbox_bank import SandboxBank, running_sandbox_bank
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.imports import load_credits
from station.core.config import StationConfig, load_config
from station.store import Store, ledger
from station.sync.runner import SyncRunner, sync_once

#: The station's sync interval (the demo's and the installation's default).
INTERVAL = 10
#: Samples of each path (each waits up to one interval plus a random delay).
SAMPLES = 6
AMOUNT = 2000

Row = tuple[str, str, str, str, str]


def _config(directory: Path, url: str, token: str) -> StationConfig:
    path = directory / "ligne-1.toml"
    path.write_text(
        f'[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "{directory / "ligne-1"}.db"\n'
        f'[portal]\nurl = "{url}"\ntoken = "{token}"\nsync_interval_seconds = {INTERVAL}\n',
        encoding="utf-8",
    )
    return load_config(path)


@contextlib.contextmanager
def _setup(directory: Path) -> Iterator[tuple[str, SandboxBank, str, str, str]]:
    """The bank, the seeded database and the portal paying through the bank."""
    with contextlib.ExitStack() as stack:
        bank = stack.enter_context(running_sandbox_bank())
        url = stack.enter_context(portal_database(directory=directory))
        school = seed_school(url)
        port = free_port()
        portal = stack.enter_context(
            running_portal(
                url, port=port, env=bank.portal_env(f"http://127.0.0.1:{port}"), migrate_first=False
            )
        )
        yield portal.url, bank, url, school.station_token, school.parent_token


def _until_seen(store: Store, family: str, expected: int) -> None:
    while True:
        with store.read() as conn:
            if ledger.displayed_balance(conn, family) >= expected:
                return
        time.sleep(0.02)


def _series(
    store: Store, family: str, start_balance: int, act: Callable[[int], None]
) -> tuple[list[float], int]:
    rng = random.Random(11)
    latencies, balance = [], start_balance
    for n in range(SAMPLES):
        time.sleep(rng.uniform(0.0, INTERVAL))
        started = time.perf_counter()
        act(n)
        balance += AMOUNT
        _until_seen(store, family, balance)
        latencies.append(time.perf_counter() - started)
    return latencies, balance


def run(directory: Path) -> list[Row]:
    family = "F18491"
    with _setup(directory) as (portal_url, bank, database_url, station_token, parent_token):
        config = _config(directory, portal_url, station_token)
        sync_once(config)
        started = time.perf_counter()
        sync_once(config)
        bare = time.perf_counter() - started
        store = Store(config.station.database)
        with store.read() as conn:
            balance = ledger.displayed_balance(conn, family)
        runner = SyncRunner(config, on_status=lambda _s: None)
        runner.start()
        client = httpx.Client(
            base_url=portal_url, headers={"Authorization": f"Bearer {parent_token}"}, timeout=30
        )
        redirects: list[str] = []

        def prepare() -> None:
            answer = client.post(f"/v1/families/{family}/payments", json={"amount_cents": AMOUNT})
            assert answer.status_code == 201, answer.text
            redirects.append(answer.json()["redirect_url"])

        def pay(_n: int) -> None:
            back = bank.act(redirects.pop(0), "payer")
            assert back.status_code == 303

        engine = make_engine(database_url)

        def import_credit(n: int) -> None:
            data = f"family_id,amount_cents,reference\n{family},{AMOUNT},BENCH-{n}\n".encode()
            with session_scope(engine) as session:
                assert load_credits(session, data, "1849") == 1

        try:
            for _ in range(SAMPLES):
                prepare()  # the parent reached the bank's page before pressing « Payer »
            topups, balance = _series(store, family, balance, pay)
            imports, balance = _series(store, family, balance, import_credit)
        finally:
            runner.stop()
            store.close()
            client.close()
            engine.dispose()
    return [
        (
            f"top-up (« Payer » at the sandbox bank) → station balance, worst of {SAMPLES}",
            f"{max(topups):.1f} s",
            f"{max(imports):.1f} s (credits-CSV import → station, worst of {SAMPLES})",
            f"{max(topups) / max(imports):.2f}×",
            f"≤ 15 s at {INTERVAL} s interval",
        ),
        (
            "top-up → station balance, mean",
            f"{mean(topups):.1f} s",
            f"{mean(imports):.1f} s (credits-CSV import, mean)",
            f"{mean(topups) / mean(imports):.2f}×",
            "—",
        ),
        (
            "one bare sync_once round trip (no change)",
            f"{bare * 1000:.0f} ms",
            "—",
            "—",
            "—",
        ),
    ]


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(Path(tmp))
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after the run"
    write_section(
        "Online top-up",
        "Seeded school 1849 (cantine_harness.portal.seed_school); the sandbox bank, the "
        "portal (uvicorn, SQLite) and a station runner at 10 s on loopback, sharing the "
        f"cores; samples at random instants; {load} ({os.cpu_count()} cores).\n\n" + table(rows),
    )


if __name__ == "__main__":
    main()
