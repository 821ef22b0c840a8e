"""Crash runs: a portal (or a station's sync) SIGKILLed at random instants while two
stations scan, void, push and pull and credits are imported; then everything is checked
(:mod:`tests.support.crash_checks`). Used by ``tests/functional/crash/`` and, with 1 000
kills, by ``bench/portal_crash.py``.

- :func:`run_portal_crash`: a real ``portal-sync-api serve`` (optionally ``--workers N``)
  on SQLite or PostgreSQL, killed (its whole process group) and restarted on the same port
  and database ``rounds`` times while the stations keep working and retrying.
- :func:`run_station_crash`: the portal stays up; each round one station's sync runs in a
  subprocess (``tests/support/station_sync_worker.py``) killed mid-push, mid-pull or
  between; the station's database is reopened and syncs again.

Every run draws its instants from ``random.Random(seed)`` and prints the seed; the threads
make a run depend on timing too, so a seed replays the same kind of run, not the same run.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests

from cantine_harness.portal import (
    create_station_token,
    free_port,
    portal_database,
    running_portal,
    seed_school,
)
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.schools import set_school
from portal_sync_api.imports import load_credits
from station.core.config import StationConfig, load_config
from station.engine import ServingLine
from station.store import Store
from station.sync.runner import Synchronizer
from tests.support.crash_checks import (
    RunCheck,
    check_run,
    portal_holdings,
    station_balances,
    station_holdings,
)
from tests.support.page_log import RecordingStore
from tests.support.station import PARIS

ROUNDS_ENV = "PORTAL_CRASH_ROUNDS"
SEED_ENV = "PORTAL_CRASH_SEED"
CARDS = ("1849-01234", "1849-01235", "1849-01236", "1849-01238")
FAMILIES = ("F18491", "F18492", "F18493")
FIRST_DAY = datetime(2025, 11, 24, 11, 20, tzinfo=PARIS)
SCANS_PER_DAY = 40  # three minutes apart, all inside the 11:15-13:45 service
WORKER = "tests.support.station_sync_worker"
ROOT = Path(__file__).resolve().parents[2]


def crash_rounds(default: int) -> int:
    """``PORTAL_CRASH_ROUNDS`` when set, else ``default``."""
    return int(os.environ.get(ROUNDS_ENV) or default)


def crash_seed() -> int:
    """``PORTAL_CRASH_SEED`` when set, else a fresh seed (printed by the runs)."""
    value = os.environ.get(SEED_ENV)
    return int(value) if value else random.SystemRandom().randrange(1, 2**31)


@dataclass
class CrashFigures:
    """What a crash run did and what its checks found."""

    database: str
    variant: str
    seed: int
    kills: int = 0
    seconds: float = 0.0
    credits: int = 0
    failed_syncs: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    check: RunCheck = field(default_factory=RunCheck)

    def summary(self) -> str:
        """One line of figures, the seed first (to replay the kind of run)."""
        c = self.check
        return (
            f"{self.database} {self.variant} seed={self.seed}: {self.kills} kills, "
            f"{c.meals} meals, {c.voids} voids, {self.credits} credits, "
            f"{self.failed_syncs} syncs cut, lost {len(c.lost)}, "
            f"doubled {len(c.doubled)}, cursor gaps {len(c.gaps)}, other problems "
            f"{len(c.invented) + len(c.ledger) + len(c.balances) + len(c.other)}, "
            f"{self.seconds:.1f} s"
        ) + (f", killed during {dict(self.phases)}" if self.phases else "")


# --- the portal, killed and restarted -------------------------------------------------


class PortalLauncher:
    """``portal-sync-api serve`` on one loopback port and database, killed and restarted at
    will, forked from a warm launcher (``tests/support/portal_launcher.py``)."""

    def __init__(self, database_url: str, log: Path, *, workers: int = 1) -> None:
        self.database_url = database_url
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pid: int | None = None
        self._launcher = subprocess.Popen(
            [sys.executable, "-m", "tests.support.portal_launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def start(self, timeout: float = 60.0) -> None:
        """Start a portal and wait until ``/healthz`` answers (a second try if the port
        was still held by the one just killed)."""
        deadline = time.monotonic() + timeout
        while True:
            self.pid = self._fork()
            while time.monotonic() < deadline and _alive(self.pid):
                with contextlib.suppress(requests.RequestException):
                    if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return
                time.sleep(0.02)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"portal not healthy:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.1)  # exited at start: try again

    def _fork(self) -> int:
        assert self._launcher.stdin is not None and self._launcher.stdout is not None
        line = f"start {self.port} {self.workers} {self.log} {self.database_url}\n"
        self._launcher.stdin.write(line)
        self._launcher.stdin.flush()
        return int(self._launcher.stdout.readline())

    def kill(self) -> None:
        """SIGKILL the portal's whole process group and wait until none of it is left."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        while _group_alive(self.pid):
            time.sleep(0.005)
        self.pid = None

    def close(self) -> None:
        """Kill the portal and stop the launcher."""
        self.kill()
        assert self._launcher.stdin is not None
        self._launcher.stdin.close()
        self._launcher.wait(timeout=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the school, its stations and the credits ------------------------------------------


def prepare_school(database_url: str) -> list[str]:
    """Seed school 1849 so that every scan serves and charges (any number of passes, deep
    overdraft, unreserved meals allowed); return the tokens of ``ligne-1`` and ``ligne-2``."""
    school = seed_school(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            set_school(
                session,
                code="1849",
                settings={
                    "unreserved_policy": "allow",
                    "max_meals_per_service": 99,
                    "overdraft_limit_cents": 1_000_000,
                },
            )
    finally:
        engine.dispose()
    return [school.station_token, create_station_token(database_url, name="ligne-2")]


@dataclass
class CrashStation:
    """One station: its config (small batches and pages, so a sync is many requests), its
    serving line and the log of the pages it applied."""

    name: str
    config: StationConfig
    log: Path
    line: ServingLine | None = None
    scans: int = 0

    @property
    def db(self) -> Path:
        return self.config.station.database

    def open(self) -> ServingLine:
        """The serving line, opened on the station's database if it is not."""
        if self.line is None:
            store = Store(self.db)
            self.line = ServingLine(store, station=self.name, school="1849", timezone=PARIS)
        return self.line

    def close(self) -> None:
        if self.line is not None:
            self.line.store.close()
            self.line = None

    def synchronizer(self) -> Synchronizer:
        """The station's real synchronizer, pulling through a :class:`RecordingStore`."""
        sync = Synchronizer(self.config)
        sync.store.close()
        sync.store = RecordingStore(self.db, self.log)
        return sync

    def scan(self, rng: random.Random) -> None:
        """Scan a card at the next scan moment (the day moves on every 40 scans)."""
        n = self.scans
        self.scans += 1
        day, slot = divmod(n, SCANS_PER_DAY)
        at = FIRST_DAY + timedelta(days=day % 300, minutes=3 * slot)
        self.open().scan(rng.choice(CARDS), at=at)

    def void_last(self) -> None:
        """Void the last meal served here, a minute after it was served, if not voided."""
        line = self.open()
        with line.store.read() as conn:
            row = conn.execute(
                "SELECT m.id, m.served_at FROM meals m LEFT JOIN voids v ON v.meal_id = m.id"
                " WHERE v.id IS NULL ORDER BY m.jpos DESC LIMIT 1"
            ).fetchone()
        if row is not None:
            moment = datetime.fromisoformat(row[1]) + timedelta(minutes=1)
            line.void(row[0], at=moment)


def make_crash_station(directory: Path, url: str, token: str, name: str) -> CrashStation:
    """Station ``name`` of school 1849 in ``directory``: batches of 3, pages of 5."""
    path = directory / f"{name}.toml"
    path.write_text(
        f'[station]\nname = "{name}"\nschool = "1849"\ndatabase = "{directory / name}.db"\n'
        f'[portal]\nurl = "{url}"\ntoken = "{token}"\ntimeout_seconds = 5\n'
        "batch_size = 3\npage_size = 5\nsync_interval_seconds = 10\n",
        encoding="utf-8",
    )
    return CrashStation(name, load_config(path), directory / f"{name}.pages.jsonl")


class CreditImports(threading.Thread):
    """Imports a small credits file every few tens of milliseconds (the import's own code,
    in its own transaction) until stopped; remembers every credit it tried."""

    def __init__(self, database_url: str, directory: Path, rng: random.Random) -> None:
        super().__init__(name="credits", daemon=True)
        self.database_url = database_url
        self.directory = directory
        self.rng = rng
        self.tried: dict[str, tuple[str, int]] = {}
        self.stop = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        engine = make_engine(self.database_url)
        try:
            n = 0
            while not self.stop.wait(self.rng.uniform(0.02, 0.12)):
                n += 1
                lines = {
                    f"CRASH-{n}-{k}": (self.rng.choice(FAMILIES), self.rng.randint(1, 40) * 100)
                    for k in range(self.rng.randint(1, 3))
                }
                self.tried.update(lines)
                path = self.write(f"credits-{n}.csv", lines)
                try:
                    with session_scope(engine) as session:
                        load_credits(session, path, "1849")
                except Exception as e:  # retried at the end by the command line
                    self.failures.append(f"{path.name}: {e!r}")
        finally:
            engine.dispose()

    def write(self, name: str, lines: dict[str, tuple[str, int]]) -> Path:
        path = self.directory / name
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["family_id", "amount_cents", "reference"])
            for reference, (family, amount) in lines.items():
                writer.writerow([family, amount, reference])
        return path

    def finish(self) -> None:
        """Stop, then import every credit tried once more with ``portal-sync-api import
        credits`` (a no-op for those already in: a reference is imported once)."""
        self.stop.set()
        self.join()
        path = self.write("credits-all.csv", self.tried)
        done = subprocess.run(
            [
                *(sys.executable, "-m", "portal_sync_api", "--db", self.database_url),
                *("import", "--school", "1849", "credits", str(path)),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"credits import failed: {done.stderr}")


class StationActor(threading.Thread):
    """A station at work: scans, sometimes a void, then a sync (push + pull), again and
    again until stopped; sync failures are the station's normal retry path."""

    def __init__(self, station: CrashStation, rng: random.Random) -> None:
        super().__init__(name=station.name, daemon=True)
        self.station = station
        self.rng = rng
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.failed = 0

    def run(self) -> None:
        sync = self.station.synchronizer()
        try:
            while not self.stop.is_set():
                for _ in range(self.rng.randint(1, 3)):
                    self.station.scan(self.rng)
                if self.rng.random() < 0.25:
                    self.station.void_last()
                ok = sync.run_once().ok
                self.failed += not ok
                # A failed sync waits a little, as the station's runner backs off: the
                # portal restarting is not starved of the machine's two cores.
                self.stop.wait(self.rng.uniform(0.0, 0.02) if ok else self.rng.uniform(0.05, 0.2))
        except BaseException as e:  # surfaced by the run
            self.error = e
        finally:
            sync.close()


def settle(stations: list[CrashStation], attempts: int = 20) -> None:
    """Sync every station until its outbox is empty, then once more each, so that each has
    pulled every other's last push."""
    for station in stations:
        sync = station.synchronizer()
        try:
            for _ in range(attempts):
                result = sync.run_once()
                if result.ok and sync.status().pending == 0:
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError(f"{station.name} never synced: {result.error}")
        finally:
            sync.close()
    for station in stations:
        sync = station.synchronizer()
        try:
            if not sync.run_once().ok:
                raise RuntimeError(f"{station.name}: last pull failed")
        finally:
            sync.close()


def final_check(
    database_url: str, stations: list[CrashStation], credits: dict[str, tuple[str, int]]
) -> RunCheck:
    """Every check of :func:`tests.support.crash_checks.check_run` on a settled run."""
    for station in stations:
        station.close()
    held = [station_holdings(s.name, s.db) for s in stations]
    shown = {s.name: station_balances(s.db, FAMILIES) for s in stations}
    logs = {s.name: s.log for s in stations}
    return check_run(held, logs, shown, portal_holdings(database_url), credits)


@contextlib.contextmanager
def crash_database(database: str) -> Iterator[str]:
    """A migrated throwaway portal database: ``sqlite`` or ``postgres``."""
    with portal_database(postgres=database == "postgres") as url:
        yield url


# --- the runs --------------------------------------------------------------------------


def run_portal_crash(
    database: str, directory: Path, *, rounds: int, seed: int, workers: int = 1
) -> CrashFigures:
    """Kill the portal ``rounds`` times at random instants while two stations work and
    credits are imported; settle, then check everything."""
    variant = f"portal killed, {workers} worker(s)"
    figures = CrashFigures(database, variant, seed)
    print(f"portal crash run: {database}, {workers} worker(s), seed {seed}", flush=True)
    rng = random.Random(seed)
    started = time.monotonic()
    with crash_database(database) as url:
        tokens = prepare_school(url)
        portal = PortalLauncher(url, directory / "portal.log", workers=workers)
        try:
            portal.start()
            stations = [
                make_crash_station(directory, portal.url, token, f"ligne-{n}")
                for n, token in enumerate(tokens, 1)
            ]
            settle(stations)
            credits = CreditImports(url, directory, random.Random(rng.random()))
            actors = [StationActor(s, random.Random(rng.random())) for s in stations]
            try:
                for thread in [credits, *actors]:
                    thread.start()
                for _ in range(rounds):
                    time.sleep(rng.uniform(0.01, 0.25))
                    portal.kill()
                    figures.kills += 1
                    time.sleep(rng.uniform(0.0, 0.05))
                    portal.start()
            finally:
                for thread in [credits, *actors]:
                    thread.stop.set()
                for actor in actors:
                    actor.join()
            for actor in actors:
                if actor.error is not None:
                    raise actor.error
            figures.failed_syncs = sum(actor.failed for actor in actors)
            credits.finish()
            settle(stations)
        finally:
            portal.close()
        figures.credits = len(credits.tried)
        figures.check = final_check(url, stations, credits.tried)
    figures.seconds = time.monotonic() - started
    print(figures.summary(), flush=True)
    return figures


def run_station_crash(database: str, directory: Path, *, rounds: int, seed: int) -> CrashFigures:
    """Kill a station's sync subprocess ``rounds`` times (mid-push, mid-pull or between)
    while the other station scans and syncs and credits are imported; reopen, settle,
    check everything."""
    figures = CrashFigures(database, "station sync killed", seed)
    print(f"station crash run: {database}, seed {seed}", flush=True)
    rng = random.Random(seed)
    started = time.monotonic()
    with crash_database(database) as url:
        tokens = prepare_school(url)
        with running_portal(url, migrate_first=False, log=directory / "portal.log") as portal:
            stations = [
                make_crash_station(directory, portal.url, token, f"ligne-{n}")
                for n, token in enumerate(tokens, 1)
            ]
            settle(stations)
            credits = CreditImports(url, directory, random.Random(rng.random()))
            credits.start()
            workers = SyncWorkers(directory)
            try:
                for _ in range(rounds):
                    killed, other = rng.sample(stations, 2)
                    for station in (killed, other):
                        for _ in range(rng.randint(1, 6)):
                            station.scan(rng)
                        if rng.random() < 0.3:
                            station.void_last()
                    killed.close()  # the worker is the station now; reopened after the kill
                    phase, failed = kill_sync_worker(workers, killed, other, rng)
                    figures.phases[phase] += 1
                    figures.failed_syncs += failed
                    figures.kills += 1
            finally:
                workers.close()
                credits.stop.set()
            credits.finish()
            settle(stations)
        figures.credits = len(credits.tried)
        figures.check = final_check(url, stations, credits.tried)
    figures.seconds = time.monotonic() - started
    print(figures.summary(), flush=True)
    return figures


class SyncWorkers:
    """Forks station sync workers from a warm server
    (``tests/support/station_sync_worker.py``) and kills them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self._server = subprocess.Popen(
            [sys.executable, "-m", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def start(self, station: CrashStation) -> tuple[int, Path]:
        """A worker syncing ``station`` (its pid and marks file), once it is ready."""
        assert self._server.stdin is not None and self._server.stdout is not None
        self.count += 1
        marks = self.directory / f"marks-{self.count}.txt"
        self._server.stdin.write(f"{station.config.path} {station.log} {marks}\n")
        self._server.stdin.flush()
        pid = int(self._server.stdout.readline())
        deadline = time.monotonic() + 30
        while not (marks.exists() and marks.read_text().startswith("READY")):
            if time.monotonic() > deadline or not _alive(pid):
                raise RuntimeError("sync worker did not start")
            time.sleep(0.002)
        return pid, marks

    @staticmethod
    def kill(pid: int, marks: Path) -> str:
        """SIGKILL the worker; what it was doing (its last mark)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.002)
        lines = [line for line in marks.read_text().splitlines() if line]
        return lines[-1] if len(lines) > 1 else "start"

    def close(self) -> None:
        assert self._server.stdin is not None
        self._server.stdin.close()
        self._server.wait(timeout=10)


def kill_sync_worker(
    workers: SyncWorkers, killed: CrashStation, other: CrashStation, rng: random.Random
) -> tuple[str, int]:
    """Run ``killed``'s sync in a worker process while ``other`` syncs here, SIGKILL the
    worker at a random instant; return what it was doing (``check``: asking its school,
    ``push``, ``pull``, ``between``: after a whole cycle, ``start``: before any request)
    and whether ``other``'s sync failed (0 or 1)."""
    outcome: list[bool] = []
    beside = threading.Thread(target=lambda: outcome.append(sync_once(other)), daemon=True)
    pid, marks = workers.start(killed)
    try:
        beside.start()
        time.sleep(rng.uniform(0.0, 0.15))
    finally:
        phase = workers.kill(pid, marks)
    beside.join()
    return phase, 0 if all(outcome) else 1


def sync_once(station: CrashStation) -> bool:
    """One sync of ``station`` by its real synchronizer; whether it succeeded."""
    sync = station.synchronizer()
    try:
        return sync.run_once().ok
    finally:
        sync.close()
