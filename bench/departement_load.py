"""A département's lunch replayed against one portal on PostgreSQL (docs/design.md §5, §8).

A collectivité runs one portal for all its schools. This benchmark seeds a département
(``bench.departement_seed``: 100 schools, 100 000 pupils, a school year of reservations,
three stations per school), starts the real ``portal-sync-api serve --workers N`` on
loopback, and replays a lunch against it with 1, 2 and 4 workers, each on a fresh copy:

- **300 stations** behave as ``station/sync/runner.py`` does: a cycle pushes the outbox
  (batches of at most 500 items, ``X-Station-*`` telemetry, each item with its journal
  link) then pulls ``GET /v1/sync/changes`` page by page from the stored cursor, and the
  station waits ``sync_interval_seconds`` (10 s) before the next cycle. Each starts at
  the head of its school's feed, as a station that synced this morning.
- **Every pupil's card is served once** (« override » when the pupil had no
  reservation), at one of the school's three lines, at a moment drawn from a lunch-shaped
  curve (a peak 55 minutes after the service opens, 25 minutes wide, over two hours);
  0.5 % of meals are voided one to four minutes later, and 2 % of the pushes are sent
  twice (an acknowledgement lost on the way: the second answer must be « duplicate »
  with the same seqs).
- **Parents** browse at 50 requests/s in all: a visit logs in through ``/connexion``
  (the CSRF token from the page, cookies), opens the family's home, « Situation de mes
  comptes », a child's page, that child's bookings, and books (or cancels) a meal with
  the form's POST, then sees the page it is sent back to.
- **Two intendance users** reload their school's day page every 15 s.

Time compression. Two hours of lunch last ``7200 / K`` seconds (K = 24 by default:
5 minutes). K applies to the meals' arrival only: the portal ingests K times a real
lunch's meals per second (333/s on average instead of 14/s, about twice that at the
peak), which is what may break it. The stations' 10 s interval, the parents' 50
requests/s and the intendance's 15 s are not compressed: those are request rates people
and stations really produce, and compressing them too would replay a load that never
exists (300 stations pulling K times every 10 s). So each push carries the meals of
K × 10 s of real lunch, about 11 on average and 22 at the peak.

A window (``--window 45-65``) replays only that part of the lunch, in minutes after the
service opens: the meals served and the voids made within it. With ``--compression 1``
it is the peak of a real lunch at its real rate (26 to 31 meals/s, pushes of one or two
meals), the load the targets are about; the whole lunch compressed is the stress beyond it.

Why a client of our own rather than Locust: the stations must speak the sync protocol
(cursor kept per station, pages followed while ``more``, a hash-chained journal link per
item, telemetry headers, retried pushes), and at the end every meal and void the
generator pushed is counted in the ``meals`` and ``voids`` tables by its station-side id,
which needs the generator's own record of each id and the seq the portal answered.
asyncio and ``httpx.AsyncClient`` (already a test dependency) do this in one process; its
CPU is measured so that a saturated generator is seen rather than read as portal latency.

Bounded: loopback only, a request timeout, a cap on the requests sent (three times the
plan), and a deadline after which every task is cancelled.

Figures per endpoint group: requests, throughput, p50/p99, errors (non-2xx/3xx answers,
timeouts, transport errors), wrong answers (a login refused, a push result that does not
match); the database's transactions/s and connections (``pg_stat_database``,
``pg_stat_activity``), and the CPU of the generator, of the portal's processes, of the
database's backends and of the whole machine (``/proc``), sampled every second. The
reference, measured in the same run against the same portal with no other load: one
station's pull and push, one parent's visits, one intendance's day page.

Run: ``flock /tmp/bench-quiet.lock .venv/bin/python -m bench.departement_load``
(``--workers 1,2,4``, ``--scale 0.1`` for a quick run, ``--compression``, ``--window``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import math
import os
import random
import re
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg

from bench.common import percentile, postgres_url, table, write_section
from bench.departement_seed import (
    CardToday,
    Departement,
    ParentLogin,
    StationSeat,
    admin_url,
    departement,
)
from cantine_contract.journal import GENESIS, link_hash
from cantine_harness.portal import free_port, stop_process, wait_healthy
from portal_sync_api.core.config import Settings
from portal_sync_api.core.pool_budget import connections_needed
from portal_sync_api.web.render import FLASH_COOKIE
from station import __version__ as STATION_VERSION
from station.core.ids import uuid7

SECTION = "Département load"
PULL, PUSH, PAGES, BOOKING, LOGINS, DAY_PAGE = (
    "sync pull",
    "sync push",
    "parents pages",
    "parents booking",
    "logins",
    "intendance day page",
)
GROUPS = (PULL, PUSH, PAGES, BOOKING, LOGINS, DAY_PAGE)
#: p99 targets in ms, which hold with 2 workers.
TARGETS = {PULL: 100.0, PUSH: 100.0, PAGES: 300.0}
TARGET_WORKERS = 2
#: Requests of one parent's visit: the login form and its POST, home, accounts, child,
#: bookings, the booking POST and the page it redirects to.
VISIT_REQUESTS = 8
LUNCH_SECONDS = 7200.0
#: The lunch's arrival curve: a peak 55 minutes after the service opens, σ 25 minutes.
PEAK, SPREAD = 55 * 60.0, 25 * 60.0
PAGE_SIZE = 5000
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM = re.compile(
    r'<form method="post" action="(/famille/reservations/(?:reserver|annuler))"[^>]*>(.*?)</form>',
    re.S,
)
_INPUT = re.compile(r'name="([a-z_]+)" value="([^"]*)"')
_NEXT_WEEK = re.compile(r'href="(/famille/reservations\?[^"]+)">Semaine suivante')


# -- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What one run replays; :meth:`scaled` shrinks it for quick runs and the test."""

    schools: int = 100
    pupils: int = 100_000
    #: Lunch seconds per wall second (meal arrivals only, see the module docstring).
    compression: float = 24.0
    #: The part of the lunch replayed, in seconds after the service opens: the whole two
    #: hours, or a window around the peak (``--window 45-65``) at a real lunch's rate.
    window: tuple[float, float] = (0.0, LUNCH_SECONDS)
    #: A station's ``sync_interval_seconds``, in wall seconds.
    pull_interval: float = 10.0
    #: Parents' requests per wall second, all visits together.
    parent_rate: float = 50.0
    intendance_users: int = 2
    intendance_interval: float = 15.0
    void_rate: float = 0.005
    retry_rate: float = 0.02
    batch_size: int = 500
    timeout: float = 30.0
    #: Parents' visits at most in flight (browser sessions the generator holds).
    max_visits: int = 400
    #: Reference samples: station cycles, parents' visits, day pages (one at a time).
    reference_samples: int = 30
    reference_visits: int = 6
    seed: int = 1849

    @classmethod
    def scaled(cls, scale: float, **overrides: Any) -> Plan:
        """``scale`` of the schools, pupils and parents' rate (at least one school)."""
        base = cls()
        values: dict[str, Any] = {
            "schools": max(1, round(base.schools * scale)),
            "pupils": max(50, round(base.pupils * scale)),
            "parent_rate": max(1.0, base.parent_rate * scale),
        }
        values.update(overrides)
        return cls(**values)

    @property
    def lunch_wall(self) -> float:
        """Wall seconds of the lunch replayed (the window)."""
        return (self.window[1] - self.window[0]) / self.compression

    @property
    def whole_lunch(self) -> bool:
        return self.window == (0.0, LUNCH_SECONDS)

    def window_share(self) -> float:
        """The share of the lunch's meals served within the window (the arrival curve
        of :func:`lunch_moment`, truncated to the two hours)."""

        def below(second: float) -> float:
            return 0.5 * (1 + math.erf((second - PEAK) / (SPREAD * math.sqrt(2))))

        start, end = self.window
        return (below(end) - below(start)) / (below(LUNCH_SECONDS) - below(0.0))

    @property
    def drain_wall(self) -> float:
        """Wall seconds left after lunch for the last pushes (then everything stops)."""
        return 3 * self.pull_interval + 2 * self.timeout


# -- recording -------------------------------------------------------------------------------


@dataclass
class GroupStats:
    """One endpoint group: latencies of the answered requests, errors by kind (an HTTP
    status of 400 or more, a timeout, a transport error), wrong answers (an answer that
    came back fine but says the wrong thing)."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    unanswered: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.unanswered.values())

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) + sum(self.unanswered.values())

    def ms(self, pct: float) -> float:
        """The ``pct`` percentile of the answered requests, in milliseconds."""
        return percentile(self.latencies, pct) * 1000


class RequestCapReached(RuntimeError):
    """The run sent as many requests as its bound allows."""


class Recorder:
    """Sends requests, timing them into their group; the bound on requests lives here."""

    def __init__(self, cap: int) -> None:
        self.groups = {group: GroupStats() for group in GROUPS}
        self.cap = cap
        self.sent = 0
        #: Meals and voids in the pushes answered (retries included).
        self.pushed_items = 0

    async def send(
        self, group: str, client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        """The answer, or ``None`` for a timeout or a transport error; an answer other
        than 2xx/3xx is returned and counted as an error of its status."""
        if self.sent >= self.cap:
            raise RequestCapReached(f"{self.cap} requests sent")
        self.sent += 1
        stats = self.groups[group]
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            stats.unanswered["timeout"] += 1
            return None
        except httpx.TransportError as e:
            stats.unanswered[type(e).__name__] += 1
            return None
        stats.latencies.append(time.perf_counter() - started)
        if response.status_code >= 400:
            stats.statuses[f"HTTP {response.status_code}"] += 1
        return response

    def wrong(self, group: str, what: str) -> None:
        """An answer that came back fine but says the wrong thing."""
        self.groups[group].wrong[what] += 1


def ok(response: httpx.Response | None, status: int = 200) -> bool:
    return response is not None and response.status_code == status


# -- the stations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    """What a station's cache knows of a pupil, for its meal and journal record."""

    family: str
    charge_cents: int
    reason: str


@dataclass(frozen=True)
class Lunch:
    """A school's lunch: the service, when it opens (school time), its time zone."""

    service: str
    opens: str
    timezone: str


@dataclass(frozen=True)
class Due:
    """A meal or void the line records at ``at`` seconds into lunch."""

    at: float
    body: dict[str, Any]
    family: str


@dataclass
class Registry:
    """What the generator did to the portal's data, for the checks at the end: every
    meal and void made and acknowledged (by school and station-side id, with the seq the
    portal answered), the batches sent twice, the families whose parents visited."""

    meals: dict[tuple[str, str], int] = field(default_factory=dict)
    voids: dict[tuple[str, str], int] = field(default_factory=dict)
    generated_meals: int = 0
    generated_voids: int = 0
    retries: int = 0
    retried_items: int = 0
    #: Items of a batch sent twice not answered « duplicate » with their first seq.
    retry_mismatches: int = 0
    families: set[tuple[str, str]] = field(default_factory=set)


class Station:
    """One line: its schedule of meals and voids, outbox, journal, cursor and client."""

    def __init__(
        self, seat: StationSeat, client: httpx.AsyncClient, cursor: int, interval: float
    ) -> None:
        self.seat = seat
        self.interval = str(max(1, round(interval)))
        self.client = client
        self.cursor = cursor
        self.schedule: deque[Due] = deque()
        self.outbox: deque[dict[str, Any]] = deque()
        self.journal_pos = 0
        self.journal_hash = GENESIS
        self.changes = 0
        self.cycles = 0

    @property
    def drained(self) -> bool:
        return not self.schedule and not self.outbox

    def headers(self) -> dict[str, str]:
        """The station's telemetry (docs/sync-protocol.md), sent with every request."""
        return {
            "X-Station-Version": STATION_VERSION,
            "X-Station-Clock": datetime.now().astimezone().isoformat(timespec="seconds"),
            "X-Station-Pending": str(len(self.outbox)),
            "X-Station-Interval": self.interval,
        }

    def serve_until(self, lunch_second: float) -> None:
        """Record every meal and void due by ``lunch_second``: journal, then outbox."""
        while self.schedule and self.schedule[0].at <= lunch_second:
            due = self.schedule.popleft()
            self.outbox.append(self._linked(due))

    def _linked(self, due: Due) -> dict[str, Any]:
        """The item with its journal link, as the station reads it back when pushing."""
        kind = due.body["kind"]
        entry = {"station": self.seat.name, "family_id": due.family}
        content = {k: v for k, v in due.body.items() if k != "kind"} | entry
        digest = link_hash(self.journal_hash, kind, content)
        self.journal_pos += 1
        link = {"pos": self.journal_pos, "prev": self.journal_hash, "hash": digest}
        self.journal_hash = digest
        return due.body | {"journal": link | {"entry": entry}}


@dataclass
class Sync:
    """What stations share: the recorder, the registry of pushed items, the plan."""

    recorder: Recorder
    registry: Registry
    plan: Plan
    rng: random.Random


async def push_outbox(station: Station, sync: Sync) -> bool:
    """Push the outbox in batches, oldest first; ``False`` when a batch failed (the
    station keeps it and tries again next cycle, as the real one does)."""
    while station.outbox:
        batch = [station.outbox[i] for i in range(min(sync.plan.batch_size, len(station.outbox)))]
        answer = await _push(station, sync, batch)
        if answer is None:
            return False
        _record_push(station, sync, batch, answer)
        for _ in batch:
            station.outbox.popleft()
        if sync.rng.random() < sync.plan.retry_rate:
            await _retry(station, sync, batch, answer)
    return True


async def _push(
    station: Station, sync: Sync, batch: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    response = await sync.recorder.send(
        PUSH,
        station.client,
        "POST",
        "/v1/sync/meals",
        json={"meals": batch},
        headers=station.headers(),
    )
    if not ok(response):
        return None
    assert response is not None
    results = response.json().get("results")
    if not isinstance(results, list) or len(results) != len(batch):
        sync.recorder.wrong(PUSH, "results do not match the batch")
        return None
    sync.recorder.pushed_items += len(batch)
    return results


def _record_push(
    station: Station, sync: Sync, batch: list[dict[str, Any]], results: list[dict[str, Any]]
) -> None:
    """Keep each item's seq; ``applied`` is expected, ``duplicate`` only for an item a
    failed request may have applied, never ``rejected``."""
    school = station.seat.school
    for item, result in zip(batch, results, strict=True):
        registry = sync.registry.meals if item["kind"] == "meal" else sync.registry.voids
        status = result.get("status")
        if result.get("id") != item["id"] or status not in ("applied", "duplicate"):
            sync.recorder.wrong(PUSH, f"{item['kind']} {status}: {result.get('reason')}")
            continue
        registry[(school, item["id"])] = int(result["seq"])


async def _retry(
    station: Station, sync: Sync, batch: list[dict[str, Any]], first: list[dict[str, Any]]
) -> None:
    """The same batch again (its acknowledgement lost): every item ``duplicate``, same seq."""
    sync.registry.retries += 1
    sync.registry.retried_items += len(batch)
    again = await _push(station, sync, batch)
    if again is None:
        return
    for before, after in zip(first, again, strict=True):
        if after.get("status") != "duplicate" or after.get("seq") != before.get("seq"):
            sync.registry.retry_mismatches += 1
            sync.recorder.wrong(PUSH, "retried item not answered duplicate with its seq")


async def pull_feed(station: Station, sync: Sync) -> bool:
    """Every page after the cursor; the cursor moves only forward."""
    while True:
        response = await sync.recorder.send(
            PULL,
            station.client,
            "GET",
            "/v1/sync/changes",
            params={"since": station.cursor, "limit": PAGE_SIZE},
            headers=station.headers(),
        )
        if not ok(response):
            return False
        assert response is not None
        page = response.json()
        if not isinstance(page.get("next"), int) or page["next"] < station.cursor:
            sync.recorder.wrong(PULL, "cursor missing or moving back")
            return False
        station.cursor = page["next"]
        station.changes += len(page["changes"])
        if not page["more"]:
            return True


async def cycle(station: Station, sync: Sync, lunch_second: float) -> None:
    """One sync cycle: serve what is due, push the whole outbox, then pull (only after a
    complete push, as ``Synchronizer.run_once``)."""
    station.serve_until(lunch_second)
    station.cycles += 1
    if await push_outbox(station, sync):
        await pull_feed(station, sync)


@dataclass
class Clock:
    """Wall time since the load started, and the lunch time it stands for."""

    start: float
    compression: float
    #: The lunch second the load starts at (the window's start).
    offset: float = 0.0

    def wall(self) -> float:
        return time.monotonic() - self.start

    def lunch(self) -> float:
        return self.offset + self.wall() * self.compression


async def run_station(
    station: Station, sync: Sync, clock: Clock, phase: float, deadline: float
) -> None:
    """Cycles every interval (after each cycle ends) until lunch is over and the outbox
    drained, or the deadline passes."""
    await asyncio.sleep(phase)
    while clock.wall() < deadline:
        await cycle(station, sync, clock.lunch())
        if clock.lunch() >= sync.plan.window[1] and station.drained:
            return
        await asyncio.sleep(sync.plan.pull_interval)


def lunch_moment(rng: random.Random) -> float:
    """Seconds into lunch at which a pupil is served: a peak 55 min after the service
    opens, 25 min wide, within the two hours."""
    while True:
        at = rng.gauss(PEAK, SPREAD)
        if 0 <= at < LUNCH_SECONDS:
            return at


def meal_body(card: CardToday, child: Child, lunch: Lunch, day: date, at: float) -> dict[str, Any]:
    """The push item of a meal served ``at`` seconds after the service opened."""
    hour, minute = (int(x) for x in lunch.opens.split(":"))
    opened = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(lunch.timezone))
    served = opened + timedelta(seconds=at)
    return {
        "kind": "meal",
        "id": uuid7(int(served.timestamp() * 1000)),
        "child_id": card.child,
        "card": card.card,
        "source": "wedge",
        "service": lunch.service,
        "business_date": day.isoformat(),
        "served_at": served.isoformat(timespec="seconds"),
        "reason": child.reason,
        "charged_cents": child.charge_cents,
    }


def void_body(meal: dict[str, Any], after: float) -> dict[str, Any]:
    """The push item undoing ``meal`` ``after`` seconds later."""
    voided = datetime.fromisoformat(meal["served_at"]) + timedelta(seconds=after)
    return {
        "kind": "void",
        "id": uuid7(int(voided.timestamp() * 1000)),
        "meal_id": meal["id"],
        "voided_at": voided.isoformat(timespec="seconds"),
        "reason": "mauvais élève",
        "refund_cents": meal["charged_cents"],
    }


def card_dues(
    card: CardToday, child: Child, lunch: Lunch, day: date, plan: Plan, rng: random.Random
) -> list[Due]:
    """The meal of a card (« override » when its pupil had no reservation: every pupil
    eats), and now and then its void a few minutes later."""
    at = lunch_moment(rng)
    meal = meal_body(card, child, lunch, day, at)
    if not card.reserved and child.reason == "reserved":
        meal["reason"] = "override"
    dues = [Due(at, meal, child.family)]
    if rng.random() < plan.void_rate:
        after = rng.uniform(60, 240)
        dues.append(Due(at + after, void_body(meal, after), child.family))
    return dues


def schedule_lunch(
    lines: dict[str, list[Station]],
    cards: Sequence[CardToday],
    facts: Facts,
    registry: Registry,
    plan: Plan,
    day: date,
) -> None:
    """Give each card's meal (and its rare void) to one of its school's lines, each
    line's items in the order they happen (the same for every run of a plan)."""
    rng = random.Random(plan.seed)
    given: dict[int, list[Due]] = {}
    start, end = plan.window
    for card in cards:
        child = facts.children.get((card.school, card.child))
        if child is None or not lines.get(card.school):
            continue
        line = rng.choice(lines[card.school])
        dues = card_dues(card, child, facts.lunches[card.school], day, plan, rng)
        # A window replays the meals served within it, and their voids made within it.
        dues = [due for due in dues if start <= due.at < end]
        if not dues or dues[0].body["kind"] != "meal":
            continue
        given.setdefault(id(line), []).extend(dues)
        registry.generated_meals += 1
        registry.generated_voids += len(dues) - 1
    for school_lines in lines.values():
        for line in school_lines:
            line.schedule.extend(sorted(given.get(id(line), []), key=lambda due: due.at))


# -- parents and intendance ------------------------------------------------------------------


@dataclass
class Browsing:
    """What the parents' and intendance's tasks share."""

    recorder: Recorder
    rng: random.Random
    #: Seconds a parent waits before each page (drawn uniformly between the two).
    think: tuple[float, float]
    #: The registry's set of the families whose parents visited.
    families: set[tuple[str, str]]
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: int = 0


async def log_in(
    client: httpx.AsyncClient, recorder: Recorder, email: str, password: str, page_group: str
) -> bool:
    """The login form (its CSRF token, its cookie), then its POST: a 303 and a session."""
    form = await recorder.send(page_group, client, "GET", "/connexion")
    token = _CSRF.search(form.text) if ok(form) and form is not None else None
    if token is None:
        recorder.wrong(page_group, "login form without CSRF token")
        return False
    data = {"csrf_token": token.group(1), "email": email, "password": password}
    answer = await recorder.send(LOGINS, client, "POST", "/connexion", data=data)
    if not ok(answer, 303):
        recorder.wrong(LOGINS, f"login answered {answer.status_code if answer else 'nothing'}")
        return False
    return True


def booking_form(page: str, rng: random.Random) -> tuple[str, dict[str, str]] | None:
    """A « Je réserve » form of the page (else an « Annuler » one): action and fields."""
    forms = [(action, body) for action, body in _FORM.findall(page)]
    if not forms:
        return None
    booking = [f for f in forms if f[0].endswith("reserver")]
    action, body = rng.choice(booking or forms)
    return action, {name: html.unescape(value) for name, value in _INPUT.findall(body)}


async def visit(client: httpx.AsyncClient, parent: ParentLogin, browsing: Browsing) -> None:
    """One parent's visit, page after page with a think time between them."""
    recorder, rng = browsing.recorder, browsing.rng
    browsing.families.add((parent.school, parent.family))

    async def page(path: str, **params: str) -> httpx.Response | None:
        await asyncio.sleep(rng.uniform(*browsing.think))
        answer = await recorder.send(PAGES, client, "GET", path, params=params or None)
        return answer if ok(answer) else None

    if not await log_in(client, recorder, parent.email, parent.password, PAGES):
        return
    child = rng.choice(parent.children)
    for path in ("/famille", "/famille/comptes", f"/famille/enfants/{child}"):
        if await page(path) is None:
            return
    week = await page("/famille/reservations", enfant=child)
    form = booking_form(week.text, rng) if week is not None else None
    if form is None and week is not None and (more := _NEXT_WEEK.search(week.text)):
        week = await page(html.unescape(more.group(1)))
        form = booking_form(week.text, rng) if week is not None else None
    if form is None:
        browsing.outcomes["nothing bookable"] += 1
        return
    await book(client, form, browsing, page)


async def book(
    client: httpx.AsyncClient,
    form: tuple[str, dict[str, str]],
    browsing: Browsing,
    page: Callable[..., Awaitable[httpx.Response | None]],
) -> None:
    """POST the booking form (a 303 and its message), then open the page it points to."""
    action, fields = form
    answer = await browsing.recorder.send(BOOKING, client, "POST", action, data=fields)
    if not ok(answer, 303):
        browsing.recorder.wrong(BOOKING, "booking not answered 303")
        return
    assert answer is not None
    # The message travels percent-encoded in a quoted cookie value.
    message = unquote((answer.cookies.get(FLASH_COOKIE) or "").strip('"'))
    browsing.outcomes[_outcome(message)] += 1
    await page(answer.headers["location"])


def _outcome(message: str) -> str:
    """The booking's outcome from the message the portal flashes."""
    if message.endswith(("réservé.", "annulé.")):
        return "booked" if message.endswith("réservé.") else "cancelled"
    return "refused by a rule"


async def run_parents(
    url: str,
    parents: Sequence[ParentLogin],
    browsing: Browsing,
    rate: float,
    until: float,
    clock: Clock,
    sessions: int,
) -> None:
    """Visits starting at random (Poisson) instants, ``rate`` requests/s in all; a visit
    finding no free session is counted as skipped (the generator's bound)."""
    free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(sessions):
            free.put_nowait(await stack.enter_async_context(http_client(url)))
        running: set[asyncio.Task[None]] = set()
        start_at = 0.0
        while True:
            start_at += browsing.rng.expovariate(rate / VISIT_REQUESTS)
            if start_at >= until:
                break
            await asyncio.sleep(max(0.0, start_at - clock.wall()))
            if free.empty():
                browsing.skipped += 1
                continue
            client = free.get_nowait()
            task = asyncio.create_task(
                _one_visit(client, browsing.rng.choice(parents), browsing, free)
            )
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)


async def _one_visit(
    client: httpx.AsyncClient,
    parent: ParentLogin,
    browsing: Browsing,
    free: asyncio.Queue[httpx.AsyncClient],
) -> None:
    """A visit on a session of the pool (its cookies cleared: a new browser), given back
    after."""
    client.cookies.clear()
    try:
        await visit(client, parent, browsing)
    finally:
        free.put_nowait(client)


async def run_intendance(
    client: httpx.AsyncClient,
    recorder: Recorder,
    day: date,
    interval: float,
    phase: float,
    until: float,
    clock: Clock,
) -> None:
    """The day page of ``day`` every ``interval`` seconds (a logged-in client)."""
    await asyncio.sleep(phase)
    while clock.wall() < until:
        await recorder.send(
            DAY_PAGE, client, "GET", "/intendance", params={"jour": day.isoformat()}
        )
        await asyncio.sleep(interval)


_SSL = ssl.create_default_context()


def http_client(url: str, token: str | None = None, timeout: float = 30.0) -> httpx.AsyncClient:
    """A client of the portal (one connection kept alive), with a station's token."""
    headers = {"User-Agent": "cantine-station/1"} if token else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(
        base_url=url,
        headers=headers,
        timeout=timeout,
        verify=_SSL,
        # An idle connection is dropped 2 s before uvicorn's 5 s keep-alive timeout closes
        # it from the other end: a request sent on a connection the server is closing fails
        # on the client's side (a loaded machine may delay the client's reading of an
        # answer by a second or more), which is no measure of the portal. A parent's next
        # page (0.5 to 1.5 s later) still comes on the same connection, as in a browser; a
        # station opens one per cycle, as a real one does once the server closed it.
        limits=httpx.Limits(max_connections=2, max_keepalive_connections=1, keepalive_expiry=3),
    )


# -- what the portal and the database use ----------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_stat(pid: int) -> tuple[int, float] | None:
    """A process's parent pid and CPU seconds (user + system), from /proc/PID/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def descendants(root: int) -> set[int]:
    """``root`` and every process below it (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := process_stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (every core, every user) since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS


class CpuCount:
    """CPU seconds a changing set of processes used since the first update: a process
    seen then counts from that moment, one appearing later from its start."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.total = 0.0
        self.first = True

    def update(self, pids: set[int]) -> float:
        for pid in pids:
            stat = process_stat(pid)
            if stat is None:
                continue
            before = self.seen.get(pid, stat[1] if self.first else 0.0)
            self.total += stat[1] - before
            self.seen[pid] = stat[1]
        self.first = False
        return self.total


@dataclass(frozen=True)
class Sample:
    """One second's reading: the database's counters and everyone's CPU seconds so far."""

    wall: float
    xacts: int
    connections: int
    active: int
    generator: float
    portal: float
    database: float
    machine: float


_ACTIVITY = """
SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %(db)s),
       array(SELECT pid FROM pg_stat_activity
             WHERE datname = %(db)s AND backend_type = 'client backend'),
       (SELECT count(*) FROM pg_stat_activity
        WHERE datname = %(db)s AND backend_type = 'client backend' AND state = 'active')
"""


class Sampler:
    """Reads the database's statistics (from the server's maintenance database, so the
    sampler is not among what it counts) and /proc every ``every`` seconds."""

    def __init__(self, admin: str, database: str, portal_pid: int, every: float = 1.0) -> None:
        self.admin, self.database, self.portal_pid, self.every = admin, database, portal_pid, every
        self.portal, self.backends = CpuCount(), CpuCount()
        self.samples: list[Sample] = []

    async def run(self) -> None:
        """Sample until cancelled."""
        async with await psycopg.AsyncConnection.connect(self.admin, autocommit=True) as conn:
            while True:
                row = await (await conn.execute(_ACTIVITY, {"db": self.database})).fetchone()
                assert row is not None
                self.samples.append(await asyncio.to_thread(self._read, row))
                await asyncio.sleep(self.every)

    def _read(self, row: tuple[Any, ...]) -> Sample:
        xacts, pids, active = row
        return Sample(
            wall=time.monotonic(),
            xacts=int(xacts or 0),
            connections=len(pids),
            active=int(active),
            generator=time.process_time(),
            portal=self.portal.update(descendants(self.portal_pid)),
            database=self.backends.update(set(pids)),
            machine=machine_busy(),
        )

    def take(self) -> list[Sample]:
        """The samples so far, forgotten here (the next phase starts afresh)."""
        samples, self.samples = self.samples, []
        return samples


@dataclass(frozen=True)
class Resources:
    """A phase's database and CPU figures: means over the phase, peaks over 5 s."""

    seconds: float
    tps: float
    tps_peak: float
    connections_max: int
    connections_mean: float
    active_max: int
    active_mean: float
    #: Cores used (CPU seconds per wall second), mean and 5 s peak.
    cpu: dict[str, tuple[float, float]]


CPU_USERS = ("generator", "portal", "database", "machine")


def resources(samples: Sequence[Sample], window: int = 5) -> Resources:
    """Figures of consecutive samples (at least two)."""
    first, last = samples[0], samples[-1]
    seconds = max(last.wall - first.wall, 1e-9)

    def rate(name: str) -> tuple[float, float]:
        total = (getattr(last, name) - getattr(first, name)) / seconds
        peaks = [
            (getattr(b, name) - getattr(a, name)) / max(b.wall - a.wall, 1e-9)
            for a, b in zip(samples, samples[window:], strict=False)
        ]
        return total, max(peaks, default=total)

    return Resources(
        seconds=seconds,
        tps=rate("xacts")[0],
        tps_peak=rate("xacts")[1],
        connections_max=max(s.connections for s in samples),
        connections_mean=sum(s.connections for s in samples) / len(samples),
        active_max=max(s.active for s in samples),
        active_mean=sum(s.active for s in samples) / len(samples),
        cpu={name: rate(name) for name in CPU_USERS},
    )


# -- the seeded database and the portal process ---------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the generator reads from the seeded copy before the portal starts: each
    school's feed head and lunch, what each line's cache knows of each pupil."""

    heads: dict[str, int]
    lunches: dict[str, Lunch]
    children: dict[tuple[str, str], Child]


def libpq(url: str) -> str:
    """psycopg's spelling of a SQLAlchemy PostgreSQL URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def read_facts(dep: Departement) -> Facts:
    """Heads, lunches and pupils (family, price, regime, prepaid booking) of the copy."""
    with psycopg.connect(libpq(dep.url)) as conn:
        heads = {
            code: int(seq or 0)
            for code, seq in conn.execute(
                "SELECT s.code, c.last_seq FROM schools s "
                "LEFT JOIN school_counters c ON c.school_id = s.id"
            )
        }
        lunches: dict[str, Lunch] = {}
        for code, zone, service, opens in conn.execute(
            "SELECT s.code, s.timezone, v.code, v.start FROM schools s "
            "JOIN services v ON v.school_id = s.id ORDER BY v.code <> 'dejeuner', v.start"
        ):
            lunches.setdefault(code, Lunch(service, opens, zone))
        prepaid = set(
            conn.execute(
                "SELECT s.code, c.ref FROM reservations r JOIN children c ON c.id = r.child_id "
                "JOIN schools s ON s.id = c.school_id WHERE r.day = %s AND r.prepaid",
                (dep.day,),
            ).fetchall()
        )
        rows = conn.execute(
            "SELECT s.code, c.ref, f.ref, c.regime, t.service, t.price_cents FROM children c "
            "JOIN schools s ON s.id = c.school_id LEFT JOIN families f ON f.id = c.family_id "
            "LEFT JOIN tariffs t ON t.school_id = c.school_id "
            "AND t.tariff = coalesce(c.qf_tariff, c.tariff)"
        ).fetchall()
    children: dict[tuple[str, str], Child] = {}
    for code, ref, family, regime, service, price in rows:
        lunch_price = service == lunches[code].service
        if lunch_price or (code, ref) not in children:
            children[(code, ref)] = pupil(
                family, regime, (code, ref) in prepaid, price, lunch_price
            )
    return Facts(heads, lunches, children)


def pupil(family: str | None, regime: str, prepaid: bool, price: int | None, priced: bool) -> Child:
    """A pupil as the station charges it: nothing on a forfait or a prepaid booking,
    else the tariff's price of the lunch (``priced``: ``price`` is that one)."""
    reason = "forfait" if regime == "forfait" else "prepaid" if prepaid else "reserved"
    charge = int(price or 0) if priced and reason == "reserved" else 0
    return Child(family or "", charge, reason)


#: What each uvicorn worker logs once it serves.
_STARTED = "Application startup complete."


@contextlib.contextmanager
def running_portal(database_url: str, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """``portal-sync-api serve --workers N`` on a free loopback port, healthy and with
    its workers started; yields its address and the supervisor's pid."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("portal-sync-api")),
        *("--db", database_url, "serve", "--host", "127.0.0.1", "--port", str(port)),
        *("--workers", str(workers)),
    ]
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_healthy("portal", url, process, log, 60)
            deadline = time.monotonic() + 60
            while log.read_text(errors="replace").count(_STARTED) < workers:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{workers} workers not started: {log.read_text()}")
                time.sleep(0.2)
            yield url, process.pid
        finally:
            stop_process(process)


# -- one run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSetup:
    """What one replay starts from."""

    server: str
    dep: Departement
    facts: Facts
    plan: Plan
    workers: int
    cards_by_school: dict[str, list[CardToday]]
    #: Meals a station pushes per cycle on average during the lunch (the reference's).
    batch: int


@dataclass
class Fleet:
    """The clients of one replay: every station, and the intendance's logged-in sessions."""

    lines: dict[str, list[Station]]
    intendants: list[httpx.AsyncClient]

    @property
    def stations(self) -> list[Station]:
        return [line for school_lines in self.lines.values() for line in school_lines]


@dataclass
class Phase:
    """A measured phase: its requests, the parents' doings, the resources sampled."""

    recorder: Recorder
    browsing: Browsing
    resources: Resources | None = None
    wall: float = 0.0
    failures: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """Everything one replay measured, before the database checks."""

    reference: Phase
    load: Phase
    registry: Registry
    #: Meals per wall second during the lunch: mean, and peak over a station's interval.
    meal_rates: tuple[float, float]
    unsent_meals: int
    unsent_voids: int
    changes_pulled: int


async def open_fleet(stack: contextlib.AsyncExitStack, url: str, setup: RunSetup) -> Fleet:
    """A client per station (its token, its school's feed head as cursor) and per
    intendance user, closed with ``stack``."""
    plan = setup.plan
    lines: dict[str, list[Station]] = {}
    for seat in setup.dep.stations:
        client = await stack.enter_async_context(http_client(url, seat.token, plan.timeout))
        head = setup.facts.heads.get(seat.school, 0)
        lines.setdefault(seat.school, []).append(Station(seat, client, head, plan.pull_interval))
    intendants = [
        await stack.enter_async_context(http_client(url, timeout=plan.timeout))
        for _ in setup.dep.intendance[: plan.intendance_users]
    ]
    return Fleet(lines, intendants)


def yesterday(line: Station, setup: RunSetup, registry: Registry) -> None:
    """A batch of yesterday's meals of the line's school, pushed late: the reference's
    pushes, which touch neither the day replayed nor its lunch."""
    cards = setup.cards_by_school[line.seat.school]
    before = setup.dep.day - timedelta(days=1)
    for n in range(setup.batch):
        card = cards[(registry.generated_meals + n) % len(cards)]
        child = setup.facts.children[(card.school, card.child)]
        body = meal_body(card, child, setup.facts.lunches[card.school], before, 3600.0 + n)
        line.schedule.append(Due(-1.0, body, child.family))
    registry.generated_meals += setup.batch


async def late_cycle(line: Station, sync: Sync, setup: RunSetup) -> None:
    """A cycle pushing a batch of yesterday's meals, then pulling."""
    yesterday(line, setup, sync.registry)
    await cycle(line, sync, 0.0)


async def warm_up(fleet: Fleet, sync: Sync, url: str, setup: RunSetup) -> None:
    """Every worker's first requests (templates, pool connections) before any
    measurement: a few of everything at once on fresh connections; the intendance logs in."""
    dep, n = setup.dep, 2 * setup.workers
    browsing = Browsing(sync.recorder, sync.rng, (0.0, 0.0), sync.registry.families)
    for client, who in zip(fleet.intendants, dep.intendance, strict=False):
        if not await log_in(client, sync.recorder, who.email, who.password, DAY_PAGE):
            raise RuntimeError(f"intendance {who.email} cannot log in")

    async def fresh_visit(parent: ParentLogin) -> None:
        async with http_client(url) as client:
            await visit(client, parent, browsing)

    firsts = [school_lines[0] for school_lines in list(fleet.lines.values())[:n]]
    await asyncio.gather(
        *(late_cycle(line, sync, setup) for line in firsts),
        *(fresh_visit(dep.parents[k % len(dep.parents)]) for k in range(n)),
        *(sync.recorder.send(DAY_PAGE, c, "GET", "/intendance") for c in fleet.intendants),
    )


async def reference_pass(
    fleet: Fleet, sync: Sync, browsing: Browsing, url: str, setup: RunSetup
) -> None:
    """Each group alone, one request at a time: one station's cycles, one parent's
    visits after another (no think time), one intendance's day pages."""
    plan = sync.plan
    line = fleet.stations[0]
    for _ in range(plan.reference_samples):
        await late_cycle(line, sync, setup)
    async with http_client(url) as client:
        for n in range(plan.reference_visits):
            client.cookies.clear()
            await visit(client, setup.dep.parents[n % len(setup.dep.parents)], browsing)
    day = {"jour": setup.dep.day.isoformat()}
    for _ in range(plan.reference_samples):
        await sync.recorder.send(DAY_PAGE, fleet.intendants[0], "GET", "/intendance", params=day)


def request_cap(plan: Plan, stations: int) -> int:
    """Three times the requests the lunch should take (stations, parents, intendance)."""
    cycles = (plan.lunch_wall + plan.drain_wall) / plan.pull_interval + 2
    sync = stations * cycles * (2 + plan.retry_rate)
    people = plan.parent_rate * plan.lunch_wall + plan.intendance_users * (
        plan.lunch_wall / plan.intendance_interval + 1
    )
    return int(3 * (sync + people)) + 1000


async def enough_samples(sampler: Sampler, count: int = 2) -> None:
    """Wait until the sampler holds ``count`` samples (a short phase may have fewer)."""
    while len(sampler.samples) < count:
        await asyncio.sleep(0.1)


async def measure_reference(
    fleet: Fleet, registry: Registry, url: str, setup: RunSetup, sampler: Sampler
) -> Phase:
    """The reference pass, with the resources sampled meanwhile."""
    rng = random.Random(setup.plan.seed + 1)
    recorder = Recorder(100 * setup.plan.reference_samples)
    phase = Phase(recorder, Browsing(recorder, rng, (0.0, 0.0), registry.families))
    sampler.take()
    started = time.monotonic()
    await reference_pass(
        fleet, Sync(recorder, registry, setup.plan, rng), phase.browsing, url, setup
    )
    await enough_samples(sampler)
    phase.wall = time.monotonic() - started
    phase.resources = resources(sampler.take())
    return phase


def lunch_tasks(
    fleet: Fleet, phase: Phase, sync: Sync, url: str, setup: RunSetup, clock: Clock
) -> list[Awaitable[None]]:
    """The stations (each from a random phase of its interval), the parents, the
    intendance (each from a random phase of theirs)."""
    plan, rng = setup.plan, sync.rng
    deadline = plan.lunch_wall + plan.drain_wall
    day, until = setup.dep.day, plan.lunch_wall
    return [
        *(
            run_station(line, sync, clock, rng.uniform(0, plan.pull_interval), deadline)
            for line in fleet.stations
        ),
        run_parents(
            url, setup.dep.parents, phase.browsing, plan.parent_rate, until, clock, plan.max_visits
        ),
        *(
            run_intendance(
                client,
                phase.recorder,
                day,
                plan.intendance_interval,
                rng.uniform(0, plan.intendance_interval),
                until,
                clock,
            )
            for client in fleet.intendants
        ),
    ]


async def measure_lunch(
    fleet: Fleet, registry: Registry, url: str, setup: RunSetup, sampler: Sampler
) -> Phase:
    """The lunch, everything at once, bounded by its deadline and its request cap."""
    plan = setup.plan
    rng = random.Random(plan.seed + 2)
    recorder = Recorder(request_cap(plan, len(fleet.stations)))
    phase = Phase(recorder, Browsing(recorder, rng, (0.5, 1.5), registry.families))
    sync = Sync(recorder, registry, plan, rng)
    sampler.take()  # the scheduling above is not the lunch
    clock = Clock(time.monotonic(), plan.compression, plan.window[0])
    bound = plan.lunch_wall + plan.drain_wall + plan.timeout
    gathered = asyncio.gather(
        *lunch_tasks(fleet, phase, sync, url, setup, clock), return_exceptions=True
    )
    try:
        results = await asyncio.wait_for(gathered, bound)
        phase.failures = [repr(r) for r in results if isinstance(r, BaseException)]
    except TimeoutError:
        phase.failures.append(f"deadline of {bound:.0f} s passed")
    phase.wall = clock.wall()
    await enough_samples(sampler)
    phase.resources = resources(sampler.take())
    return phase


async def replay(url: str, portal_pid: int, setup: RunSetup) -> Outcome:
    """Warm-up, the reference (each group alone), then the lunch with everything at once."""
    registry = Registry()
    database = urlsplit(setup.dep.url).path.lstrip("/")
    sampler = Sampler(admin_url(setup.server), database, portal_pid)
    async with contextlib.AsyncExitStack() as stack:
        fleet = await open_fleet(stack, url, setup)
        warm = Sync(Recorder(10_000), registry, setup.plan, random.Random(setup.plan.seed))
        await warm_up(fleet, warm, url, setup)
        sampling = asyncio.create_task(sampler.run())
        try:
            reference = await measure_reference(fleet, registry, url, setup, sampler)
            schedule_lunch(
                fleet.lines, setup.dep.cards, setup.facts, registry, setup.plan, setup.dep.day
            )
            rates = arrival_rates(fleet, setup.plan)
            load = await measure_lunch(fleet, registry, url, setup, sampler)
        finally:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
    stations = fleet.stations
    return Outcome(
        reference=reference,
        load=load,
        registry=registry,
        meal_rates=rates,
        unsent_meals=sum(_left(line, "meal") for line in stations),
        unsent_voids=sum(_left(line, "void") for line in stations),
        changes_pulled=sum(line.changes for line in stations),
    )


def arrival_rates(fleet: Fleet, plan: Plan) -> tuple[float, float]:
    """Meals per wall second the lunch brings: mean, and peak over a station interval."""
    interval = plan.pull_interval * plan.compression
    bins = Counter(
        int(due.at // interval)
        for line in fleet.stations
        for due in line.schedule
        if due.body["kind"] == "meal"
    )
    return sum(bins.values()) / plan.lunch_wall, max(bins.values(), default=0) / plan.pull_interval


def _left(line: Station, kind: str) -> int:
    """Items of ``kind`` the line still holds (not served yet, or not acknowledged)."""
    kinds = [due.body["kind"] for due in line.schedule] + [i["kind"] for i in line.outbox]
    return kinds.count(kind)


# -- the checks at the end -------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Items of one kind: made by the lines, acknowledged, at the portal once or more."""

    generated: int
    acknowledged: int
    once: int
    lost: int
    doubled: int
    unsent: int


@dataclass(frozen=True)
class Checks:
    meals: Tally
    voids: Tally
    families: int
    ledger_mismatches: int
    journal_breaks: int
    unlinked_meals: int


def tally(
    conn: psycopg.Connection[Any],
    table_name: str,
    pushed: dict[tuple[str, str], int],
    generated: int,
    unsent: int,
) -> Tally:
    """How many times each acknowledged id is in ``table_name``, by its station-side id."""
    conn.execute("CREATE TEMP TABLE pushed (code text, ref text) ON COMMIT DROP")
    with conn.cursor().copy("COPY pushed (code, ref) FROM STDIN") as copy:
        for key in pushed:
            copy.write_row(key)
    counts = Counter(
        int(n)
        for (n,) in conn.execute(
            f"SELECT count(x.ref) FROM pushed p LEFT JOIN schools s ON s.code = p.code "
            f"LEFT JOIN {table_name} x ON x.school_id = s.id AND x.ref = p.ref "
            "GROUP BY p.code, p.ref"
        )
    )
    conn.commit()
    doubled = sum(ids for times, ids in counts.items() if times > 1)
    return Tally(generated, len(pushed), counts[1], counts[0], doubled, unsent)


_LEDGER = """
CREATE TEMP TABLE touched ON COMMIT DROP AS
    SELECT c.family_id AS id FROM pushed p JOIN schools s ON s.code = p.code
    JOIN meals m ON m.school_id = s.id AND m.ref = p.ref JOIN children c ON c.id = m.child_id
    WHERE c.family_id IS NOT NULL
    UNION
    SELECT f.id FROM visited v JOIN schools s ON s.code = v.code
    JOIN families f ON f.school_id = s.id AND f.ref = v.ref;
"""
_LEDGER_SUMS = """
SELECT count(*), count(*) FILTER (WHERE coalesce(l.total, 0) <> coalesce(b.balance_cents, 0))
FROM touched t
LEFT JOIN (SELECT family_id, sum(amount_cents) AS total FROM ledger
           WHERE family_id IN (SELECT id FROM touched) GROUP BY family_id) l ON l.family_id = t.id
LEFT JOIN family_balances b ON b.family_id = t.id
"""


def ledgers(
    conn: psycopg.Connection[Any], meals: dict[tuple[str, str], int], families: set[tuple[str, str]]
) -> tuple[int, int]:
    """Families touched (a meal charged or refunded, a parent's visit) and how many of
    them have a ledger sum other than their ``family_balances`` row."""
    conn.execute("CREATE TEMP TABLE pushed (code text, ref text) ON COMMIT DROP")
    conn.execute("CREATE TEMP TABLE visited (code text, ref text) ON COMMIT DROP")
    for name, keys in (("pushed", meals.keys()), ("visited", families)):
        with conn.cursor().copy(f"COPY {name} (code, ref) FROM STDIN") as copy:
            for key in keys:
                copy.write_row(key)
    conn.execute(_LEDGER)
    row = conn.execute(_LEDGER_SUMS).fetchone()
    conn.commit()
    assert row is not None
    return int(row[0]), int(row[1])


def check(dep: Departement, outcome: Outcome) -> Checks:
    """Every acknowledged meal and void at the portal exactly once; the touched families'
    ledgers adding up; no station's journal chain broken."""
    registry = outcome.registry
    with psycopg.connect(libpq(dep.url)) as conn:
        meals = tally(conn, "meals", registry.meals, registry.generated_meals, outcome.unsent_meals)
        voids = tally(conn, "voids", registry.voids, registry.generated_voids, outcome.unsent_voids)
        families, mismatches = ledgers(conn, registry.meals, outcome.registry.families)
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE break_pos IS NOT NULL), "
            "coalesce(sum(unlinked_meals), 0) FROM station_states"
        ).fetchone()
    assert row is not None
    return Checks(meals, voids, families, mismatches, int(row[0]), int(row[1]))


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One worker count's replay and checks."""

    workers: int
    setup: RunSetup
    outcome: Outcome
    checks: Checks
    load_before: float
    load_after: float
    pool_ceiling: int
    #: Workers uvicorn's supervisor killed and restarted (no answer to its 5 s health check).
    worker_restarts: int
    #: The portal log's warnings, errors and tracebacks, by message.
    log_problems: Counter[str]


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _ratio(figure: float, reference: float) -> str:
    if math.isnan(figure) or math.isnan(reference) or reference <= 0:
        return "—"
    return f"{figure / reference:.1f}×"


def _errors(stats: GroupStats) -> str:
    parts = [f"{stats.errors} errors"]
    kinds = stats.statuses + stats.unanswered
    if kinds:
        parts[0] += " (" + ", ".join(f"{k} {v}" for k, v in kinds.most_common()) + ")"
    if stats.wrong:
        parts.append(", ".join(f"{v} {k}" for k, v in stats.wrong.most_common()))
    return "; ".join(parts)


def group_row(name: str, run: Run) -> tuple[str, str, str, str, str]:
    """A group's requests, throughput, p50, errors; its p99 beside the reference's."""
    stats = run.outcome.load.recorder.groups[name]
    alone = run.outcome.reference.recorder.groups[name]
    rate = stats.requests / run.outcome.load.wall
    measure = (
        f"{name}: {stats.requests:,} requests, {rate:.1f}/s, p50 {_ms(stats.ms(50))}, "
        f"{_errors(stats)}"
    )
    reference = f"p99 {_ms(alone.ms(99))} (p50 {_ms(alone.ms(50))}, {len(alone.latencies)} alone)"
    target = (
        f"< {TARGETS[name]:.0f} ms p99 (2 workers), 0 errors" if name in TARGETS else "0 errors"
    )
    return (
        measure,
        f"p99 {_ms(stats.ms(99))}",
        reference,
        _ratio(stats.ms(99), alone.ms(99)),
        target,
    )


def _cores(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f} (peak {pair[1]:.2f})"


def resource_rows(run: Run) -> list[tuple[str, str, str, str, str]]:
    """The database's and the CPU's figures during the lunch beside the reference's."""
    load, alone = run.outcome.load.resources, run.outcome.reference.resources
    assert load is not None and alone is not None
    cores = os.cpu_count() or 1
    rows = [
        (
            "database: transactions/s, mean (peak over 5 s)",
            f"{load.tps:.0f} (peak {load.tps_peak:.0f})",
            f"{alone.tps:.0f} (peak {alone.tps_peak:.0f})",
            _ratio(load.tps, alone.tps),
            "—",
        ),
        (
            "database: connections open, max / mean (active: max / mean)",
            f"{load.connections_max} / {load.connections_mean:.1f} "
            f"({load.active_max} / {load.active_mean:.1f})",
            f"{alone.connections_max} / {alone.connections_mean:.1f} "
            f"({alone.active_max} / {alone.active_mean:.1f})",
            _ratio(load.connections_max, alone.connections_max),
            f"≤ {run.pool_ceiling} (the pools' ceiling)",
        ),
    ]
    names = {
        "portal": f"portal's {run.workers + (run.workers > 1)} process(es)",
        "database": "database backends",
        "generator": "load generator (one process)",
        "machine": f"whole machine ({cores} cores, every user)",
    }
    for key, label in names.items():
        rows.append(
            (
                f"CPU, cores: {label}, mean (peak over 5 s)",
                _cores(load.cpu[key]),
                _cores(alone.cpu[key]),
                _ratio(load.cpu[key][0], alone.cpu[key][0]),
                "< 0.9 (else the latencies are the generator's)" if key == "generator" else "—",
            )
        )
    return rows


def check_rows(run: Run) -> list[tuple[str, str, str, str, str]]:
    """Exactly once, ledgers, journal links: counts, no reference."""
    checks, registry = run.checks, run.outcome.registry
    rows = []
    for kind, count in (("meals", checks.meals), ("voids", checks.voids)):
        rows.append(
            (
                f"{kind}: made {count.generated:,}, acknowledged {count.acknowledged:,}, "
                f"left unsent {count.unsent}",
                f"{count.once:,} at the portal exactly once; lost {count.lost}, "
                f"doubled {count.doubled}",
                "—",
                "—",
                "0 lost, 0 doubled, 0 unsent",
            )
        )
    rows += [
        (
            f"pushes sent twice (acknowledgement lost): {registry.retries} batches, "
            f"{registry.retried_items} items",
            f"{registry.retry_mismatches} items not answered « duplicate » with their first seq",
            "—",
            "—",
            "0",
        ),
        (
            f"families touched (meals, parents' visits): {checks.families:,}",
            f"{checks.ledger_mismatches} whose ledger sum ≠ family_balances",
            "—",
            "—",
            "0",
        ),
        (
            "stations' journal links",
            f"{checks.journal_breaks} chains broken, {checks.unlinked_meals} meals without link",
            "—",
            "—",
            "0",
        ),
    ]
    return rows


def bottleneck(run: Run) -> str:
    """Which resource ran out during the lunch, from the samples."""
    load = run.outcome.load.resources
    assert load is not None
    cores = os.cpu_count() or 1
    cpu = {name: load.cpu[name][0] for name in CPU_USERS}
    if load.cpu["generator"][1] >= 0.9:
        return (
            f"the generator's CPU (peak {load.cpu['generator'][1]:.2f} of its one core): "
            "its latencies include its own queueing"
        )
    if cpu["machine"] >= 0.85 * cores:
        users = {
            "portal CPU": cpu["portal"],
            "database CPU": cpu["database"],
            "generator CPU": cpu["generator"],
            "other people's processes": cpu["machine"]
            - cpu["portal"]
            - cpu["database"]
            - cpu["generator"],
        }
        top = max(users, key=lambda k: users[k])
        spread = ", ".join(f"{k} {v:.2f}" for k, v in users.items())
        return f"the machine's {cores} cores (busy {cpu['machine']:.2f}: {spread}), {top} first"
    if load.cpu["portal"][1] >= 0.9 * min(run.workers, cores):
        return f"portal CPU (peak {load.cpu['portal'][1]:.2f} cores for {run.workers} worker(s))"
    if load.connections_max >= run.pool_ceiling:
        return f"the database connections (all {run.pool_ceiling} the pools may open)"
    return (
        f"none of them saturated (portal {cpu['portal']:.2f} cores, database "
        f"{cpu['database']:.2f}, generator {cpu['generator']:.2f}, machine {cpu['machine']:.2f} "
        f"of {cores})"
    )


def misses(run: Run) -> list[str]:
    """Each target the run missed: latency, errors, wrong answers, lost items, ledgers."""
    missed = []
    for name, stats in run.outcome.load.recorder.groups.items():
        limit = TARGETS.get(name)
        if limit is not None and stats.ms(99) >= limit:
            missed.append(f"{name} p99 {_ms(stats.ms(99))} ≥ {limit:.0f} ms")
        if stats.errors or stats.wrong:
            missed.append(f"{name}: {_errors(stats)}")
    checks = run.checks
    for kind, count in (("meals", checks.meals), ("voids", checks.voids)):
        if count.lost or count.doubled or count.unsent:
            missed.append(
                f"{kind}: {count.lost} lost, {count.doubled} doubled, {count.unsent} unsent"
            )
    if checks.ledger_mismatches:
        missed.append(f"{checks.ledger_mismatches} families' ledgers do not add up")
    if run.outcome.load.failures:
        missed.append("generator: " + "; ".join(run.outcome.load.failures[:3]))
    return missed


def service_times(runs: Sequence[Run]) -> dict[str, float]:
    """Seconds a request takes alone: the fastest reference p50 of the runs (one worker
    has no Nagle stall, see :func:`render`); for pushes, per item of the reference batch."""
    times = {}
    for name in GROUPS:
        fastest = min(run.outcome.reference.recorder.groups[name].ms(50) for run in runs) / 1000
        times[name] = fastest / runs[0].setup.batch if name == PUSH else fastest
    return times


def demand(run: Run, times: dict[str, float]) -> dict[str, float]:
    """Seconds of work per second the lunch brought each group at its time alone (for
    pushes, per item: an upper bound, since part of a push's time does not grow with it)."""
    load = run.outcome.load.recorder
    work = {name: load.groups[name].requests * times[name] for name in GROUPS}
    work[PUSH] = load.pushed_items * times[PUSH]
    return {name: seconds / run.outcome.load.wall for name, seconds in work.items()}


def demand_line(run: Run, times: dict[str, float]) -> str:
    """The work each group brought, largest first, against the machine's cores."""
    work = demand(run, times)
    load = run.outcome.load.recorder
    size = f" ({load.pushed_items / max(1, len(load.groups[PUSH].latencies)):.0f} items a push)"
    parts = ", ".join(
        f"{name} {seconds:.2f}" + (size if name == PUSH else "")
        for name, seconds in sorted(work.items(), key=lambda kv: -kv[1])
    )
    return (
        "Work the lunch brought, in seconds per second at each request's fastest time alone: "
        f"{parts}; {sum(work.values()):.2f} in all, for {os.cpu_count()} cores that the portal "
        "shares with the database, the generator and other work."
    )


def verdict(run: Run, times: dict[str, float]) -> str:
    """Targets met, or which were missed and what ran out."""
    missed = misses(run)
    restarts = (
        f" uvicorn's supervisor killed and replaced {run.worker_restarts} worker(s) that did "
        "not answer its 5 s health check (their connections cut: the transport errors)."
        if run.worker_restarts
        else ""
    )
    if not missed:
        return "Every target met." + restarts
    word = "Missed" if run.workers == TARGET_WORKERS else "Beyond the 2-worker targets"
    return (
        f"{word}: {'; '.join(missed)}. What ran out: {bottleneck(run)}.{restarts} "
        + demand_line(run, times)
    )


def _problems(problems: Counter[str]) -> str:
    if not problems:
        return "no warning or error"
    return "; ".join(f"{count} × « {line} »" for line, count in problems.most_common(4))


def run_section(run: Run, times: dict[str, float]) -> str:
    """A worker count's table and its verdict."""
    outcome = run.outcome
    rows = [group_row(name, run) for name in GROUPS]
    rows += resource_rows(run) + check_rows(run)
    bookings = ", ".join(f"{k} {v}" for k, v in outcome.load.browsing.outcomes.most_common())
    return (
        f"### {run.workers} worker(s)\n\n"
        f"Lunch and last pushes {outcome.load.wall:.0f} s; load average {run.load_before:.1f} "
        f"before, {run.load_after:.1f} after ({os.cpu_count()} cores shared with other work); "
        f"{outcome.changes_pulled:,} changes pulled; parents' bookings: {bookings or 'none'}; "
        f"visits skipped for want of a free session: {outcome.load.browsing.skipped}; "
        f"portal log: {_problems(run.log_problems)}.\n\n"
        + table(rows)
        + "\n\n"
        + verdict(run, times)
    )


#: Extra milliseconds alone with several workers that betray Nagle's algorithm left on
#: (an answer's second send waiting for the client's delayed acknowledgement, ~40 ms).
NAGLE_MS = 30.0


def nagle(runs: Sequence[Run]) -> list[str]:
    """A paragraph when a request alone costs some 40 ms more with several workers than
    with one: the sign of Nagle's algorithm left on the workers' connections."""
    single = [run for run in runs if run.workers == 1]
    several = [run for run in runs if run.workers > 1]

    def p50(run: Run, name: str) -> float:
        return run.outcome.reference.recorder.groups[name].ms(50)

    if not single or not any(p50(r, PULL) - p50(single[0], PULL) > NAGLE_MS for r in several):
        return []

    def p50s(name: str) -> str:
        return ", ".join(
            f"{_ms(p50(run, name))} with {run.workers}" for run in (single[0], *several)
        )

    return [
        "Alone, a request cost about 40 ms more with several workers (one station's pull "
        f"p50: {p50s(PULL)}; a parent's page: {p50s(PAGES)}): Nagle's algorithm was on for "
        "the connections the workers accepted, so an answer written in two sends waited "
        "for the client's delayed acknowledgement."
    ]


def replayed(plan: Plan) -> str:
    """Which part of the lunch a run replays, in words."""
    if plan.whole_lunch:
        return "the whole lunch replayed"
    start, end = (round(second / 60) for second in plan.window)
    return (
        f"minutes {start} to {end} replayed (the peak: {plan.window_share():.0%} of the "
        "meals; the others are not served)"
    )


def section(plan: Plan) -> str:
    """The results' section of a plan: the whole lunch compressed, or a window."""
    name = SECTION if plan.whole_lunch else f"{SECTION}, peak at ×{plan.compression:g}"
    return (
        name if plan.parent_rate == Plan.parent_rate else f"{name}, parents {plan.parent_rate:g}/s"
    )


def render(runs: Sequence[Run]) -> str:
    """The whole section: the plan, then a table per worker count."""
    first = runs[0]
    plan, dep = first.setup.plan, first.setup.dep
    mean, peak = first.outcome.meal_rates
    head = (
        "One portal (`portal-sync-api serve --workers N`, uvicorn on loopback) on a fresh "
        f"PostgreSQL copy of the département seed for each N: {len(dep.schools)} schools, "
        f"{len(dep.cards):,} active cards, {len(dep.stations)} stations, "
        f"{len(dep.parents):,} parents' logins, the lunch of {dep.day}. Every card is "
        "served once at one of its school's lines, arrivals peaking 55 min after the "
        f"service opens (σ 25 min) over 2 h; {replayed(plan)}, compressed "
        f"×{plan.compression:g} into {plan.lunch_wall:.0f} s: {mean:.0f} meals/s on average, "
        f"{peak:.0f}/s at the peak (a real lunch: {mean / plan.compression:.0f} and "
        f"{peak / plan.compression:.0f}); {plan.void_rate:.1%} voided, {plan.retry_rate:.0%} of "
        "pushes sent twice. Stations cycle (push the outbox, then pull every page) every "
        f"{plan.pull_interval:g} s of wall time, not compressed; parents "
        f"{plan.parent_rate:g} requests/s (visits of {VISIT_REQUESTS} requests: login form "
        "and POST, home, accounts, child, bookings, booking POST and its page, 0.5–1.5 s "
        f"apart; the login form counts among the pages); {plan.intendance_users} intendance "
        f"users reload their day page every {plan.intendance_interval:g} s. Latencies include "
        "the generator's own queueing (asyncio, httpx). Reference: the same portal just "
        "before the lunch, each group alone, one request at a time "
        f"({plan.reference_samples} station cycles of {first.setup.batch} meals, "
        f"{plan.reference_visits} parents' visits, {plan.reference_samples} day pages). "
        "Ratios: lunch ÷ reference. Targets hold for 2 workers."
    )
    times = service_times(runs)
    sections = [run_section(run, times) for run in runs]
    return "\n\n".join([head, *nagle(runs), *sections])


# -- entry point -----------------------------------------------------------------------------


#: What uvicorn's supervisor logs when it replaces a worker that did not answer in time.
_RESTARTED = re.compile(r"Child process \[\d+\] died")


def run_setup(server: str, dep: Departement, plan: Plan, workers: int) -> RunSetup:
    """The facts of the copy, its cards by school, the mean batch of a cycle."""
    cards_by_school: dict[str, list[CardToday]] = {}
    for card in dep.cards:
        cards_by_school.setdefault(card.school, []).append(card)
    meals = len(dep.cards) * plan.window_share()
    per_cycle = meals / len(dep.stations) * plan.pull_interval / plan.lunch_wall
    batch = max(1, round(per_cycle))
    return RunSetup(server, dep, read_facts(dep), plan, workers, cards_by_school, batch)


def run_workers(server: str, plan: Plan, workers: int) -> Run:
    """One replay on a fresh copy with ``workers`` portal processes, and its checks."""
    with (
        departement(server, schools=plan.schools, pupils=plan.pupils, seed=plan.seed) as dep,
        tempfile.TemporaryDirectory(prefix="departement-load-") as tmp,
    ):
        setup = run_setup(server, dep, plan, workers)
        log = Path(tmp) / "portal.log"
        with running_portal(dep.url, workers, log) as (url, pid):
            load_before = os.getloadavg()[0]
            outcome = asyncio.run(replay(url, pid, setup))
            load_after = os.getloadavg()[0]
        text = log.read_text(errors="replace")
        checks = check(dep, outcome)
    pool_ceiling = connections_needed(Settings.from_env(dep.url), workers)
    restarts = len(_RESTARTED.findall(text))
    return Run(
        workers,
        setup,
        outcome,
        checks,
        load_before,
        load_after,
        pool_ceiling,
        restarts,
        problems_in(text),
    )


def problems_in(text: str) -> Counter[str]:
    """The portal log's warnings and errors, and the exception each traceback ends with,
    by message."""
    problems: Counter[str] = Counter()
    in_traceback = False
    for line in text.splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line[:1].strip() and not line.startswith(_CHAINED):
            problems[f"raised {line.strip()[:110]}"] += 1
            in_traceback = False
        elif line.startswith(("WARNING:", "ERROR:", "CRITICAL:")):
            problems[line.strip()[:120]] += 1
    return problems


#: Lines between the tracebacks of chained exceptions.
_CHAINED = ("During handling", "The above exception")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", default="1,2,4", help="portal processes per run, e.g. 1,2,4")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="share of schools, pupils, parents"
    )
    parser.add_argument("--compression", type=float, default=Plan.compression)
    parser.add_argument(
        "--parents",
        type=float,
        default=None,
        help=f"parents' requests per second (default {Plan.parent_rate:g} × scale)",
    )
    parser.add_argument(
        "--window",
        type=_minutes,
        default=None,
        help="minutes after the service opens to replay, e.g. 45-65 (default: all 120)",
    )
    return parser.parse_args(argv)


def _minutes(text: str) -> tuple[float, float]:
    start, _, end = text.partition("-")
    try:
        window = (float(start) * 60, float(end) * 60)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected START-END in minutes") from None
    if not 0 <= window[0] < window[1] <= LUNCH_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r}: not within the 120 minutes of lunch")
    return window


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv if argv is not None else [])
    server = postgres_url()
    if server is None:
        print("departement_load: no PostgreSQL server answers; nothing measured")
        return
    overrides: dict[str, Any] = {"compression": args.compression}
    if args.window:
        overrides["window"] = args.window
    if args.parents is not None:
        overrides["parent_rate"] = args.parents
    plan = Plan.scaled(args.scale, **overrides)
    runs = [run_workers(server, plan, int(n)) for n in args.workers.split(",")]
    write_section(section(plan), render(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
