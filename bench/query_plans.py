"""Query plans at département size: every SQL statement of the stations' sync requests and
of the parents' and the intendance's pages, EXPLAINed on a copy of the département
(``bench/departement_seed.py``: 100 schools, 100 000 pupils, a school year).

The portal runs in process (``create_app`` behind a TestClient, logged in through the real
``/connexion`` form). A ``before_cursor_execute`` listener sees each statement with its
parameters and, before it runs, runs ``EXPLAIN (ANALYZE, BUFFERS)`` of it in JSON and in
text inside a transaction (or savepoint) rolled back, so a write is measured in the very
state it runs in and leaves nothing behind. Each distinct statement of a route is
explained once (its first execution); the report flags every plan that scans a hot table
sequentially.

Writes docs/query-plans.md (the tables and the five heaviest plans) and the section
« Query plans at département size » of bench/RESULTS.md (the heaviest statement beside a
primary-key lookup measured in the same run).

``python -m bench.query_plans [SCHOOLS PUPILS]`` (default 100 100000).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from bench.common import postgres_url, table, write_section
from bench.departement_seed import Departement, admin_url, departement, web_login
from cantine_harness.calendar import school_days

DOC = Path(__file__).resolve().parents[1] / "docs" / "query-plans.md"
#: The tables that grow with the département: a sequential scan of one is a finding.
HOT_TABLES = frozenset(
    {
        "families",
        "users",
        "meals",
        "ledger",
        "reservations",
        "changes",
        "family_balances",
        "cards",
        "children",
        "voids",
        "audit_log",
        "payments",
    }
)
#: Statements EXPLAIN accepts (others, such as SAVEPOINT, are left alone).
_EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b", re.I)
_PARIS = ZoneInfo("Europe/Paris")
#: A statement slower than this (ms) on a request path is reported as slow.
SLOW_MS = 50.0
HEAVIEST = 5
HEAVIEST_NOTE = (
    "Each heading gives the time of the first EXPLAIN ANALYZE, the JSON one the tables "
    "use; the text plan below is a second execution of the same statement, so the two "
    "times differ by what the first one brought into the cache and by the machine's "
    "other work."
)


@dataclass
class Plan:
    """One distinct statement of a route and what EXPLAIN ANALYZE said of it."""

    route: str
    sql: str
    executions: int = 1
    execution_ms: float = 0.0
    planning_ms: float = 0.0
    scans: dict[str, set[str]] = field(default_factory=dict)  # hot table -> node types
    text: str = ""
    error: str | None = None

    @property
    def seq_scans(self) -> list[str]:
        return sorted(t for t, kinds in self.scans.items() if "Seq Scan" in kinds)

    @property
    def scan_kind(self) -> str:
        """``meals: Index Scan; ledger: Seq Scan`` for the hot tables the plan reads."""
        if self.error:
            return f"not explained ({self.error})"
        parts = [f"{t}: {', '.join(sorted(k))}" for t, k in sorted(self.scans.items())]
        return "; ".join(parts) or "no hot table"


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def hot_scans(plan: dict[str, Any]) -> dict[str, set[str]]:
    """The scan node types of each hot table in a JSON plan (CTEs and subplans too)."""
    found: dict[str, set[str]] = {}
    for node in _walk(plan["Plan"]):
        relation = node.get("Relation Name")
        if relation in HOT_TABLES and "Scan" in node["Node Type"]:
            found.setdefault(relation, set()).add(node["Node Type"])
    return found


class PlanRecorder:
    """EXPLAINs each distinct statement of the current route before it runs."""

    def __init__(self, engine: Engine) -> None:
        self.route = ""
        self.plans: dict[tuple[str, str], Plan] = {}
        event.listen(engine, "before_cursor_execute", self._before)

    @contextmanager
    def recording(self, route: str) -> Iterator[None]:
        self.route = route
        try:
            yield
        finally:
            self.route = ""

    def _before(
        self,
        _conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if not self.route or not _EXPLAINABLE.match(statement):
            return
        key = (self.route, statement)
        if key in self.plans:
            self.plans[key].executions += 1
            return
        params = parameters[0] if executemany and parameters else parameters
        self.plans[key] = explain(cursor.connection, self.route, statement, params)


def explain(raw: psycopg.Connection, route: str, statement: str, params: Any) -> Plan:
    """EXPLAIN ANALYZE ``statement`` in JSON, then in text, each in a transaction (or a
    savepoint of the request's) rolled back."""
    plan = Plan(route=route, sql=statement)
    try:
        document = _explained(raw, "FORMAT JSON", statement, params)[0][0]
        top = document[0] if isinstance(document, list) else json.loads(document)[0]
        plan.execution_ms = float(top["Execution Time"])
        plan.planning_ms = float(top["Planning Time"])
        plan.scans = hot_scans(top)
        plan.text = "\n".join(r[0] for r in _explained(raw, "FORMAT TEXT", statement, params))
    except psycopg.Error as error:
        plan.error = type(error).__name__
    return plan


def _explained(
    raw: psycopg.Connection, options: str, statement: str, params: Any
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    try:
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, {options}) {statement}", params or None)
            rows = cursor.fetchall()
            raise psycopg.Rollback()
    except psycopg.Rollback:
        pass
    return rows


# -- the requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Diner:
    """A pupil of the driven school reserved on the replayed day."""

    child: str
    card: str
    charge: int


def diners(conn: psycopg.Connection, school: str, day: date) -> list[Diner]:
    """The school's pupils reserved on ``day`` and what their lunch costs them."""
    rows = conn.execute(
        "SELECT c.ref, k.code, CASE WHEN r.prepaid OR c.regime = 'forfait' THEN 0 "
        "ELSE t.price_cents END FROM reservations r JOIN children c ON c.id = r.child_id "
        "JOIN schools s ON s.id = c.school_id JOIN cards k ON k.child_id = c.id "
        "AND k.status = 'active' JOIN tariffs t ON t.school_id = s.id "
        "AND t.tariff = c.tariff AND t.service = 'dejeuner' "
        "WHERE s.code = %s AND r.day = %s ORDER BY c.ref",
        (school, day),
    ).fetchall()
    return [Diner(str(a), str(b), int(c)) for a, b, c in rows]


def free_day(conn: psycopg.Connection, child: str, school: str, after: date) -> date:
    """A school day after ``after`` (past the booking cutoff) the child has no lunch on."""
    booked = {
        r[0]
        for r in conn.execute(
            "SELECT r.day FROM reservations r JOIN children c ON c.id = r.child_id "
            "JOIN schools s ON s.id = c.school_id WHERE s.code = %s AND c.ref = %s",
            (school, child),
        )
    }
    return next(d for d in school_days(after, count=200) if d not in booked)


def head_seq(conn: psycopg.Connection, school: str) -> int:
    row = conn.execute(
        "SELECT c.last_seq FROM school_counters c JOIN schools s ON s.id = c.school_id "
        "WHERE s.code = %s",
        (school,),
    ).fetchone()
    assert row is not None
    return int(row[0])


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def jpeg() -> bytes:
    """A small JPEG, as a parent's phone would send."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (320, 320), (200, 120, 80)).save(buffer, "JPEG")
    return buffer.getvalue()


class Driver:
    """Drives each route once (or as a station would) under its recorder label."""

    def __init__(self, seeded: Departement, client: TestClient, recorder: PlanRecorder) -> None:
        self.seeded = seeded
        self.client = client
        self.recorder = recorder
        self.school = seeded.schools[len(seeded.schools) // 2]
        self.station = next(s for s in seeded.stations if s.school == self.school)
        self.auth = {"Authorization": f"Bearer {self.station.token}"}

    def call(self, route: str, method: str, path: str, **kwargs: Any) -> Any:
        with self.recorder.recording(route):
            answer = self.client.request(method, path, follow_redirects=False, **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{route}: {answer.status_code} {answer.text[:300]}")
        return answer

    def sync(self, conn: psycopg.Connection) -> None:
        """A station's pulls (first page, near the head), a batch of meals, voids and a
        photo."""
        day = self.seeded.day
        self.call(
            "GET /v1/sync/changes since=0", "GET", "/v1/sync/changes?since=0", headers=self.auth
        )
        near = max(head_seq(conn, self.school) - 200, 0)
        self.call(
            "GET /v1/sync/changes since=head-200",
            "GET",
            f"/v1/sync/changes?since={near}",
            headers=self.auth,
        )
        lunch = diners(conn, self.school, day)[:200]
        opening = datetime.combine(day, datetime.min.time(), _PARIS).replace(hour=12)
        meals = [
            {
                "kind": "meal",
                "id": str(uuid.uuid4()),
                "child_id": d.child,
                "card": d.card,
                "source": "wedge",
                "service": "dejeuner",
                "business_date": day.isoformat(),
                "served_at": (opening + timedelta(seconds=6 * n)).isoformat(),
                "reason": "reserved",
                "charged_cents": d.charge,
            }
            for n, d in enumerate(lunch)
        ]
        self.call(
            "POST /v1/sync/meals (200 meals)",
            "POST",
            "/v1/sync/meals",
            json={"meals": meals},
            headers=self.auth,
        )
        voids = [
            {
                "kind": "void",
                "id": str(uuid.uuid4()),
                "meal_id": m["id"],
                "voided_at": (opening + timedelta(seconds=6 * n, minutes=1)).isoformat(),
                "reason": "erreur de carte",
            }
            for n, m in enumerate(meals[:5])
        ]
        self.call(
            "POST /v1/sync/meals (5 voids)",
            "POST",
            "/v1/sync/meals",
            json={"meals": voids},
            headers=self.auth,
        )

    def photo(self, conn: psycopg.Connection) -> None:
        """The station fetches the photo a parent just gave (see :meth:`parent`)."""
        since = max(head_seq(conn, self.school) - 50, 0)
        page = self.client.get(f"/v1/sync/changes?since={since}", headers=self.auth).json()
        photos = [
            c["data"]["sha256"] for c in page["changes"] if c["kind"] == "photo" and c["data"]
        ]
        if not photos:
            raise RuntimeError("the parent's photo is not in the station's feed")
        self.call(
            "GET /v1/sync/photos/{sha256}",
            "GET",
            f"/v1/sync/photos/{photos[-1]}",
            headers=self.auth,
        )

    def parent(self, conn: psycopg.Connection) -> None:
        """A parent's pages: home, accounts, a child's page and week, a booking, a photo,
        statements."""
        parent = next(
            p for p in self.seeded.parents if p.school == self.school and len(p.children) > 1
        )
        child = parent.children[0]
        with self.recorder.recording("POST /connexion (parent)"):
            answer = web_login(self.client, parent.email, parent.password)
        assert answer.status_code == 303, answer.text[:300]
        self.call("GET /famille", "GET", "/famille")
        self.call("GET /famille/comptes", "GET", "/famille/comptes")
        page = self.call("GET /famille/enfants/{child}", "GET", f"/famille/enfants/{child}")
        token = csrf(page.text)
        day = free_day(conn, child, self.school, self.seeded.day + timedelta(days=3))
        week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
        self.call(
            "GET /famille/reservations",
            "GET",
            f"/famille/reservations?enfant={child}&semaine={week}",
        )
        self.call(
            "POST /famille/reservations/reserver",
            "POST",
            "/famille/reservations/reserver",
            data={
                "csrf_token": token,
                "enfant": child,
                "jour": day.isoformat(),
                "service": "dejeuner",
                "semaine": week,
            },
        )
        self.call(
            "POST /famille/enfants/{child}/photo",
            "POST",
            f"/famille/enfants/{child}/photo",
            data={"csrf_token": token, "consent": "oui"},
            files={"photo": ("photo.jpg", jpeg(), "image/jpeg")},
        )
        self.call("GET /famille/releves", "GET", "/famille/releves")
        month = (self.seeded.day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        self.call("GET /famille/releves/{month}.csv", "GET", f"/famille/releves/{month}.csv")
        self.client.cookies.clear()

    def intendance(self, conn: psycopg.Connection) -> None:
        """The intendance's pages of its school."""
        login = next(i for i in self.seeded.intendance if i.school == self.school)
        with self.recorder.recording("POST /connexion (intendance)"):
            answer = web_login(self.client, login.email, login.password)
        assert answer.status_code == 303, answer.text[:300]
        served = self.seeded.day - timedelta(days=1)
        while served.isoweekday() in (3, 6, 7):
            served -= timedelta(days=1)
        self.call("GET /intendance (today)", "GET", "/intendance")
        self.call("GET /intendance?jour= (a served day)", "GET", f"/intendance?jour={served}")
        self.call("GET /intendance/familles", "GET", "/intendance/familles")
        self.call("GET /intendance/familles?q=", "GET", "/intendance/familles?q=MARTIN")
        family = next(p.family for p in self.seeded.parents if p.school == self.school)
        self.call("GET /intendance/familles/{ref}", "GET", f"/intendance/familles/{family}")
        self.call("GET /intendance/cartes", "GET", "/intendance/cartes")
        self.call("GET /intendance/postes", "GET", "/intendance/postes")
        self.call("GET /intendance/journal", "GET", "/intendance/journal")
        self.call("GET /intendance/releves", "GET", "/intendance/releves")
        self.client.cookies.clear()


# -- the run --------------------------------------------------------------------------------


@dataclass
class Run:
    plans: list[Plan]
    reference_ms: float
    round_trip_ms: float
    seeded: Departement
    seconds: float


def reference(url: str, school: str) -> tuple[float, float]:
    """A primary-key lookup's EXPLAIN ANALYZE time (ms, best of 5) and a ``SELECT 1``
    round trip from Python (ms, best of 20), on the same copy."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        key = conn.execute(
            "SELECT c.id FROM children c JOIN schools s ON s.id = c.school_id "
            "WHERE s.code = %s LIMIT 1",
            (school,),
        ).fetchone()
        assert key is not None
        lookups = []
        for _ in range(5):
            row = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM children WHERE id = %s",
                (key[0],),
            ).fetchone()
            assert row is not None
            lookups.append(float(row[0][0]["Execution Time"]))
        trips = []
        for _ in range(20):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            trips.append((time.perf_counter() - started) * 1000)
    return min(lookups), min(trips)


def planner_settings() -> dict[str, str]:
    """The planner settings docs/operations.md (§13.2) gives a server dedicated to the
    portal, for this machine's memory (``shared_buffers`` needs a restart: left as is)."""
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return {
        "random_page_cost": "1.1",
        "effective_cache_size": f"{memory_mb * 7 // 10}MB",
        "work_mem": "16MB",
    }


def configure(server: str, url: str) -> None:
    """Give the copy the planner settings of :func:`planner_settings` (every later
    connection to it, the portal's included, plans with them)."""
    name = url.rpartition("/")[2]
    with psycopg.connect(admin_url(server), autocommit=True) as conn:
        for setting, value in planner_settings().items():
            conn.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")


def run(server: str, *, schools: int, pupils: int) -> Run:
    """Drive every route on a fresh copy and EXPLAIN what it ran."""
    os.environ["PORTAL_BACKGROUND_TASKS"] = "off"  # only the requests' statements
    from portal_sync_api.api.main import create_app

    started = time.perf_counter()
    with departement(server, schools=schools, pupils=pupils) as seeded:
        configure(server, seeded.url)
        app = create_app(seeded.url)
        # The pages' clock: the replayed day, before lunch.
        morning = datetime.combine(seeded.day, datetime.min.time(), UTC).replace(hour=9)
        app.state.clock = lambda: morning
        recorder = PlanRecorder(app.state.engine)
        libpq = seeded.url.replace("postgresql+psycopg://", "postgresql://")
        with TestClient(app) as client, psycopg.connect(libpq, autocommit=True) as conn:
            driver = Driver(seeded, client, recorder)
            driver.sync(conn)
            driver.parent(conn)
            driver.photo(conn)
            driver.intendance(conn)
        app.state.engine.dispose()
        lookup, trip = reference(seeded.url, driver.school)
    return Run(list(recorder.plans.values()), lookup, trip, seeded, time.perf_counter() - started)


# -- the report -----------------------------------------------------------------------------


def abridged(sql: str, width: int = 110) -> str:
    """One line of the statement for a table cell."""
    flat = " ".join(sql.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def route_table(plans: list[Plan]) -> str:
    lines = [
        "| route | statement | runs | execution (ms) | planning (ms) | hot tables read |",
        "|---|---|---|---|---|---|",
    ]
    for p in plans:
        scan = p.scan_kind
        if p.seq_scans or p.execution_ms > SLOW_MS:
            scan = f"**{scan}**"
        lines.append(
            f"| {p.route} | `{abridged(p.sql)}` | {p.executions} | {p.execution_ms:.2f} "
            f"| {p.planning_ms:.2f} | {scan} |"
        )
    return "\n".join(lines)


def findings(plans: list[Plan]) -> list[Plan]:
    """Plans that scan a hot table sequentially or run slower than :data:`SLOW_MS`."""
    return [p for p in plans if p.seq_scans or p.execution_ms > SLOW_MS]


def shape_line(result: Run) -> str:
    s = result.seeded
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{len(s.schools)} schools, {len(s.cards)} active cards, {len(s.parents)} parents' "
        f"logins; replayed day {s.day}; driven school {s.schools[len(s.schools) // 2]}; "
        f"template `{s.template}`; load average {load}"
    )


def document(result: Run) -> str:
    plans = result.plans
    settings = ", ".join(f"`{k} = {v}`" for k, v in planner_settings().items())
    heavy = sorted(plans, key=lambda p: p.execution_ms, reverse=True)[:HEAVIEST]
    found = findings(plans)
    parts = [
        "# Query plans at département size",
        "",
        "Every SQL statement that the stations' sync requests and the parents' and the "
        "intendance's pages run, EXPLAINed (`ANALYZE, BUFFERS`) on PostgreSQL against a "
        "département-size copy: 100 schools, 100 000 pupils, a school year of "
        "reservations and an autumn of meals (`bench/departement_seed.py`).",
        "",
        "## Regenerate",
        "",
        "```",
        "flock /tmp/bench-quiet.lock .venv/bin/python -m bench.query_plans",
        "```",
        "",
        "The first run on a server builds the département's template database (about ten "
        "minutes; again whenever the Alembic head changes); later runs copy it and take a "
        "few minutes. `bench/query_plans.py` drives each route in process through the real "
        "login form, EXPLAINs each distinct statement once, just before it runs, inside a "
        "transaction or savepoint rolled back (so writes are measured in the state they run "
        "in and leave nothing), and rewrites this file and its section of bench/RESULTS.md.",
        "",
        f"Run: {shape_line(result)}; {len(plans)} distinct statements in {result.seconds:.0f} s.",
        "",
        f"Reference in the same run: a primary-key lookup of `children` executes in "
        f"{result.reference_ms:.3f} ms; a `SELECT 1` round trip from Python takes "
        f"{result.round_trip_ms:.3f} ms.",
        "",
        "The copy plans with the settings docs/operations.md §13.2 gives a server dedicated "
        f"to the portal ({settings}); the portal itself turns `jit` off. Times are each "
        "statement's first execution on a machine shared with other work: compare them with "
        "the reference of the same run, not across runs.",
        "",
        fixed_section(),
        "",
        "## Findings",
        "",
        f"Hot tables: {', '.join(sorted(HOT_TABLES))}. A statement is flagged (bold) when "
        f"its plan reads one of them with a Seq Scan or it executes in more than "
        f"{SLOW_MS:.0f} ms.",
        "",
    ]
    if found:
        parts += [
            f"- {p.route}: {p.execution_ms:.1f} ms, {p.scan_kind} — `{abridged(p.sql, 160)}`"
            for p in found
        ]
    else:
        parts.append("No statement scans a hot table sequentially or runs slow.")
    parts += ["", "## Every route's statements", "", route_table(plans), ""]
    parts += [
        f"## The {HEAVIEST} heaviest statements",
        "",
        HEAVIEST_NOTE,
        "",
    ]
    for n, p in enumerate(heavy, start=1):
        parts += [
            f"### {n}. {p.route} — {p.execution_ms:.2f} ms",
            "",
            "```sql",
            p.sql.strip(),
            "```",
            "",
            "```",
            p.text.strip() or f"(not explained: {p.error})",
            "```",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


#: What the first run at département size flagged and what changed: (route, statement,
#: then, change). Kept as written: the figures are that run's (2026-11-29, migration 0016,
#: the server's default planner settings, load average 15 to 25).
FIXED_ROWS = (
    (
        "GET /intendance/journal",
        "count, page, actors and actions of the school's `audit_log` rows",
        "16 to 18 ms each, Seq Scan on audit_log",
        "index `ix_audit_log_school_at` (school_id, at, id), migration 0017",
    ),
    (
        "GET /intendance/postes",
        "meals each station sent today (by `received_at`)",
        "10.9 ms, every meal of the school's year read",
        "index `ix_meals_school_received` (school_id, received_at), migration 0017",
    ),
    (
        "GET /intendance/familles/{ref}",
        "the family by the school's id (`families.ref`)",
        "5.7 ms, Seq Scan on families",
        "index `ix_families_ref`, migration 0017",
    ),
    (
        "GET /intendance/familles",
        "the school's families: imported by it `OR` with a child in it",
        "8.3 ms, Seq Scan on families",
        "a `UNION` of two indexed reads (crud/family_admin.py)",
    ),
    (
        "GET /intendance",
        "the kitchen forecast's last four weeks of meals not voided",
        "35 to 40 ms: `LEFT JOIN voids … WHERE voids.id IS NULL` estimated at 1 row, "
        "13 000 nested-loop lookups of children",
        "`NOT EXISTS`, an anti join whose rows are counted right (crud/reads.py "
        "`not_voided()`, also for the passes per slice and a child's booked days)",
    ),
)


def fixed_section() -> str:
    lines = [
        "## What the first run found, and what changed",
        "",
        "The first run (2026-11-29, migration 0016, the server's default planner settings, "
        "load average 15 to 25) flagged these, now fixed:",
        "",
        "| route | statement | then | change |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in FIXED_ROWS]
    lines += [
        "",
        "That run had 2 000 parents' logins; the seed now gives every family one (60 000), "
        "as most families use the portal, and migration 0017 also indexes a login by "
        "`lower(email)` and a family's parents (`users.family_id`), which would otherwise "
        "read every user at each login and each balance notice.",
    ]
    return "\n".join(lines)


def results_section(result: Run) -> str:
    heavy = max(result.plans, key=lambda p: p.execution_ms)
    ref = result.reference_ms
    rows = [
        (
            f"heaviest statement ({heavy.route}), execution",
            f"{heavy.execution_ms:.2f} ms",
            f"{ref:.3f} ms (primary-key lookup)",
            f"{heavy.execution_ms / ref:.0f}×",
            f"< {SLOW_MS:.0f} ms",
        ),
        (
            "statements reading a hot table with a Seq Scan",
            str(sum(1 for p in result.plans if p.seq_scans)),
            f"{len(result.plans)} distinct statements",
            f"{sum(1 for p in result.plans if p.seq_scans) / len(result.plans):.2f}",
            "0",
        ),
        (
            f"statements slower than {SLOW_MS:.0f} ms",
            str(sum(1 for p in result.plans if p.execution_ms > SLOW_MS)),
            f"{len(result.plans)} distinct statements",
            f"{sum(1 for p in result.plans if p.execution_ms > SLOW_MS) / len(result.plans):.2f}",
            "0",
        ),
    ]
    return (
        f"PostgreSQL, {shape_line(result)}. Each statement's first execution as EXPLAIN "
        f"ANALYZE measured it; the details are in docs/query-plans.md.\n\n{table(rows)}\n"
    )


def main() -> None:
    server = postgres_url()
    if server is None:
        print("query_plans: no PostgreSQL server answers; skipped")
        return
    args = [int(a) for a in sys.argv[1:3]] if __name__ == "__main__" else []
    schools, pupils = (args + [100, 100_000][len(args) :])[:2]
    result = run(server, schools=schools, pupils=pupils)
    if (schools, pupils) == (100, 100_000):
        DOC.write_text(document(result), encoding="utf-8")
        write_section("Query plans at département size", results_section(result))
    else:
        print(document(result))


if __name__ == "__main__":
    main()
