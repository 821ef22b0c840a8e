"""A département-size portal on PostgreSQL: 100 schools, 100 000 pupils, a school year.

One school is built with the real loaders (:func:`cantine_harness.school.build_school`:
roster, credits, a year of reservations, and the changes feed they write), then cloned
in SQL into the other schools with every internal key, school id, card number and feed
text remapped, so the clones are what the same loaders would have written for those
schools. Stations (tokens derived from school, name and seed), one intendance login per
school and parents' web logins are added for every school.

The result is kept as a TEMPLATE database on the server, named from the parameters, the
seeder's version and the Alembic head; :func:`departement` hands out a throwaway copy
(``CREATE DATABASE … TEMPLATE …``, seconds) and drops it on exit. A template is built
under a temporary name and renamed only once complete, so a build that died half-way is
never reused.

``python -m bench.departement_seed`` builds (or reuses) the full-size template and prints
its build time and size.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import psycopg
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from cantine_contract.offline_export import public_key as export_public_key
from cantine_harness.calendar import school_days
from cantine_harness.portal import migrate
from cantine_harness.school import build_school
from portal_sync_api.core.config import normalize_database_url
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.core.security import hash_token
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.meals import BatchItem, ingest
from portal_sync_api.crud.payments import record_counter
from portal_sync_api.migrate import alembic_config
from portal_sync_api.models import (
    Card,
    Child,
    Family,
    FamilyBalance,
    Reservation,
    School,
    Station,
    Tariff,
)
from portal_sync_api.schemas import MealIn, VoidIn

#: Bumped whenever what a template holds changes, so older templates are not reused.
SEED_VERSION = 3
#: The school year of the generated reservations (cantine_harness/calendar.py days).
YEAR_START = date(2026, 9, 1)
YEAR_END = date(2027, 7, 3)
#: The Tuesday whose lunch a load replays: inside the year, already past (no clock skew).
DAY = date(2026, 11, 24)
#: The first school's code (its cards read ``1849-00042``); the others follow it.
FIRST_CODE = 1849
STATIONS_PER_SCHOOL = 3
#: Everyone's password (parents and intendance): one argon2 hash serves every login.
PASSWORD_TEMPLATE = "departement-{seed}-mot-de-passe"

_TEMPLATE_PREFIX = "cantine_departement"
_BUILD_PREFIX = "cantine_departement_build"
_COPY_PREFIX = "cantine_departement_copy"


@dataclass(frozen=True)
class StationSeat:
    """A station of a school and its plaintext token (for the Bearer header)."""

    school: str
    name: str
    token: str


@dataclass(frozen=True)
class ParentLogin:
    """A parent who logs in on the web pages, and the school's ids of their children."""

    school: str
    family: str
    email: str
    password: str
    children: tuple[str, ...]


@dataclass(frozen=True)
class IntendanceLogin:
    """The intendance login of a school."""

    school: str
    email: str
    password: str


@dataclass(frozen=True)
class CardToday:
    """An active card (``1849-00042``), its child, and whether the child is reserved
    for lunch on :attr:`Departement.day`."""

    school: str
    card: str
    child: str
    reserved: bool


@dataclass(frozen=True)
class Departement:
    """A seeded copy and what a load needs to drive it."""

    #: SQLAlchemy URL of a database holding the seeded data (a fresh copy).
    url: str
    #: The school day whose lunch is replayed (a Tuesday inside the year).
    day: date
    #: School codes.
    schools: tuple[str, ...]
    #: :data:`STATIONS_PER_SCHOOL` per school.
    stations: tuple[StationSeat, ...]
    #: Parents with a web login.
    parents: tuple[ParentLogin, ...]
    #: One per school.
    intendance: tuple[IntendanceLogin, ...]
    #: Every active card of every school, reserved on ``day`` or not.
    cards: tuple[CardToday, ...]
    #: The template the copy was made from.
    template: str = ""


@dataclass(frozen=True)
class Shape:
    """The parameters of a département, and the names they give."""

    schools: int
    pupils: int
    seed: int

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(str(FIRST_CODE + n) for n in range(self.schools))

    @property
    def pupils_per_school(self) -> int:
        return self.pupils // self.schools

    @property
    def password(self) -> str:
        return PASSWORD_TEMPLATE.format(seed=self.seed)

    def template_name(self, head: str) -> str:
        """Parameters, seeder version and Alembic head: a new head builds a new template."""
        return (
            f"{_TEMPLATE_PREFIX}_v{SEED_VERSION}_r{head}_{self.schools}_{self.pupils}_{self.seed}"
        )


# -- names and connections ------------------------------------------------------------------


def admin_url(server_url: str) -> str:
    """A libpq URL (psycopg's) of the server's maintenance database."""
    return normalize_database_url(server_url).replace("postgresql+psycopg://", "postgresql://")


def _database_url(server_url: str, name: str) -> str:
    """The libpq URL of database ``name`` on ``server_url``'s server."""
    base, _, _db = admin_url(server_url).rpartition("/")
    return f"{base}/{name}"


def alembic_head() -> str:
    """The revision the migrations end at (part of the template's name)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def station_token(*, school: str, name: str, seed: int) -> str:
    """The plaintext token of a station: derived from school, name and seed, so the
    manifest is rebuilt from the parameters without storing any plaintext."""
    digest = hmac.new(f"departement-{seed}".encode(), f"{school}/{name}".encode(), "sha256")
    return "st_" + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def parent_email(school: str, family: str) -> str:
    return f"parent.{family.lower()}.{school}@example.fr"


def intendance_email(school: str) -> str:
    return f"intendance.{school}@example.fr"


# -- the build ------------------------------------------------------------------------------


def build_first_school(url: str, shape: Shape) -> None:
    """The first school through the real code: roster, credits and a year of reservations
    (the loaders), its stations, then every school day before :data:`DAY` served at its
    lines (``crud.meals.ingest``, as a push does) and the counter payments of families
    running low (``crud.payments.record_counter``, as the intendance's page does)."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            build_school(
                session,
                code=shape.codes[0],
                pupils=shape.pupils_per_school,
                start=YEAR_START,
                end=YEAR_END,
                seed=shape.seed,
            )
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            add_stations(conn, shape, codes=shape.codes[:1])
        rng = random.Random(shape.seed)
        for day in school_days(YEAR_START, until=DAY - timedelta(days=1)):
            with session_scope(engine) as session:
                if day.isoweekday() == 1:
                    top_up(session, shape, day, rng)
                serve(session, shape, day, rng)
    finally:
        engine.dispose()


#: Of the reserved pupils, those who come to lunch; of the meals, those voided at once.
TURNOUT = 0.95
VOIDED = 0.003
#: Monday's counter payments: families under the floor bring a cheque.
TOPUP_FLOOR_CENTS = 1500
TOPUP_CENTS = 5000
_PARIS = ZoneInfo("Europe/Paris")


def serve(session: Session, shape: Shape, day: date, rng: random.Random) -> None:
    """The lunch of ``day`` at the first school: most reserved pupils pass at one of the
    school's lines and pay their tariff (nothing when prepaid or on a forfait); a few
    meals are voided at once. One ``ingest`` a station, as its push would apply it."""
    school = session.execute(select(School).where(School.code == shape.codes[0])).scalar_one()
    prices = dict(
        session.execute(
            select(Tariff.tariff, Tariff.price_cents).where(
                Tariff.school_id == school.id, Tariff.service == "dejeuner"
            )
        ).all()
    )
    diners = session.execute(
        select(Child.ref, Child.tariff, Child.regime, Reservation.prepaid, Card.code)
        .join(Reservation, Reservation.child_id == Child.id)
        .outerjoin(Card, (Card.child_id == Child.id) & (Card.status == "active"))
        .where(Child.school_id == school.id, Reservation.day == day)
        .order_by(Child.ref)
    ).all()
    stations = (
        session.execute(
            select(Station).where(Station.school_id == school.id).order_by(Station.name)
        )
        .scalars()
        .all()
    )
    batches: list[list[BatchItem]] = [[] for _ in stations]
    opening = datetime.combine(day, datetime.min.time(), _PARIS).replace(hour=11, minute=20)
    for n, (ref, tariff, regime, prepaid, card) in enumerate(diners):
        if rng.random() >= TURNOUT:
            continue
        served = opening + timedelta(seconds=n * 7 + rng.randint(0, 6))
        meal_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        charge = 0 if prepaid or regime == "forfait" else prices[tariff]
        batch = batches[n % len(stations)]
        batch.append(
            MealIn.model_validate(
                {
                    "id": meal_id,
                    "child_id": ref,
                    "card": card,
                    "source": "wedge" if card else "manual",
                    "service": "dejeuner",
                    "business_date": day.isoformat(),
                    "served_at": served.isoformat(),
                    "reason": "reserved",
                    "charged_cents": charge,
                }
            )
        )
        if rng.random() < VOIDED:
            batch.append(
                VoidIn.model_validate(
                    {
                        "kind": "void",
                        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "meal_id": meal_id,
                        "voided_at": (served + timedelta(minutes=1)).isoformat(),
                        "reason": "erreur de carte",
                    }
                )
            )
    received = datetime.combine(day, datetime.min.time(), UTC).replace(hour=14)
    for station, batch in zip(stations, batches, strict=True):
        ingest(session, station=station, items=batch, now=received)


def top_up(session: Session, shape: Shape, day: date, rng: random.Random) -> None:
    """Monday at the counter: each family of the first school whose balance is under
    :data:`TOPUP_FLOOR_CENTS` brings a cheque (most of them; a few stay low)."""
    school = session.execute(select(School).where(School.code == shape.codes[0])).scalar_one()
    low = session.execute(
        select(Family.ref)
        .join(FamilyBalance, FamilyBalance.family_id == Family.id)
        .where(Family.school_id == school.id, FamilyBalance.balance_cents < TOPUP_FLOOR_CENTS)
        .order_by(Family.ref)
    ).scalars()
    principal = Principal(
        kind="intendance", school_id=school.id, family_id=None, email=intendance_email(school.code)
    )
    at = datetime.combine(day, datetime.min.time(), UTC).replace(hour=8)
    for n, ref in enumerate(low):
        if rng.random() < 0.9:
            record_counter(
                session,
                principal,
                family_ref=ref,
                amount_cents=TOPUP_CENTS,
                method="cheque",
                reference=f"CHQ-{day:%Y%m%d}-{n:04d}",
                now=at + timedelta(minutes=n),
            )


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _clone(
    conn: psycopg.Connection,
    table: str,
    *,
    where: str,
    overrides: dict[str, str],
    skip: tuple[str, ...] = ("id",),
    joins: str = "",
) -> int:
    """Copy the first school's rows of ``table`` into every other school: one
    INSERT … SELECT over ``clone_map`` (``m``: n, code, school_id) joined to the source
    rows (``src``) and ``joins``. Columns named in ``overrides`` take that SQL expression;
    the others (including columns added by later migrations) are copied as they are."""
    columns = [c for c in _columns(conn, table) if c not in skip]
    values = ", ".join(overrides.get(c, f'src."{c}"') for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {values} "
        f"FROM {table} AS src CROSS JOIN clone_map AS m {joins} WHERE {where}"
    )
    return cursor.rowcount


def _key(column: str) -> str:
    """The clone's internal key for the first school's key ``column`` (NULL stays NULL):
    a 32-hex digest, the shape of :func:`portal_sync_api.models.new_key`."""
    return f"md5(m.code || src.{column})"


def _feed_text(column: str, first: str) -> str:
    """A feed key or JSON text of the first school, with its ids made the clone's:
    child ``C1849…``, family ``F1849…`` and card ``1849-…`` become the clone's; school
    and settings rows name the code itself."""
    ids = (
        f"replace(replace(replace(src.{column}, 'C{first}', 'C' || m.code), "
        f"'F{first}', 'F' || m.code), '{first}-', m.code || '-')"
    )
    return (
        f"CASE WHEN src.kind IN ('school', 'settings') "
        f"THEN replace(src.{column}, '{first}', m.code) ELSE {ids} END"
    )


def _payment_ref(expression: str) -> str:
    """The clone's payment reference (``PAY-`` and 16 hex digits, as ``new_ref``) for
    the first school's reference ``expression``."""
    return f"'PAY-' || upper(substr(md5(m.code || {expression}), 1, 16))"


def _ledger_reference(first: str) -> str:
    """The clone's ledger reference: meal, void and payment entries name the clone's
    keys; credits name the clone's family."""
    tail = "substr(src.reference, strpos(src.reference, ':') + 1)"
    return (
        "CASE split_part(src.reference, ':', 1) "
        f"WHEN 'meal' THEN 'meal:' || md5(m.code || {tail}) "
        f"WHEN 'void' THEN 'void:' || md5(m.code || {tail}) "
        f"WHEN 'payment' THEN 'payment:' || {_payment_ref(tail)} "
        f"ELSE replace(src.reference, 'F{first}', 'F' || m.code) END"
    )


def _audit_detail() -> str:
    """An audit entry's JSON with the payment it names made the clone's."""
    paid = "(src.detail::json -> 'after' ->> 'payment')"
    return f"coalesce(replace(src.detail, {paid}, {_payment_ref(paid)}), src.detail)"


def clone_schools(conn: psycopg.Connection, shape: Shape) -> None:
    """Every other school as a copy of the first, set-based, table by table."""
    first = shape.codes[0]
    found = conn.execute("SELECT id FROM schools WHERE code = %s", (first,)).fetchone()
    assert found is not None
    first_id = int(found[0])
    # The rows are consistent by construction: no foreign-key check per row, and no
    # ledger trigger (family_balances is cloned with the ledger it sums).
    conn.execute("SET LOCAL session_replication_role = replica")
    conn.execute("CREATE TEMP TABLE clone_map (n integer, code text, school_id integer)")
    with conn.cursor().copy("COPY clone_map (n, code) FROM STDIN") as copy:
        for n, code in enumerate(shape.codes[1:], start=1):
            copy.write_row((n, code))
    _clone(
        conn,
        "schools",
        where=f"src.id = {first_id}",
        overrides={"code": "m.code", "name": f"replace(src.name, '{first}', m.code)"},
    )
    conn.execute(
        "UPDATE clone_map SET school_id = schools.id FROM schools "
        "WHERE schools.code = clone_map.code"
    )
    add_stations(conn, shape, codes=shape.codes[1:])
    # Each first-school station and the same-named station of every clone.
    conn.execute(
        "CREATE TEMP TABLE station_map AS SELECT a.id AS old_id, b.school_id, b.id AS new_id "
        "FROM stations a JOIN stations b ON b.name = a.name AND b.school_id <> a.school_id "
        f"WHERE a.school_id = {first_id}"
    )
    by_station = "JOIN station_map sm ON sm.old_id = src.station_id AND sm.school_id = m.school_id"
    src_school = f"src.school_id = {first_id}"
    first_school = f"school_id = {first_id}"
    of_first_child = f"src.child_id IN (SELECT id FROM children WHERE {first_school})"
    of_first_family = f"src.family_id IN (SELECT id FROM families WHERE {first_school})"
    school = {"school_id": "m.school_id"}
    actor = f"replace(src.{{}}, '.{first}@', '.' || m.code || '@')"
    _clone(conn, "school_counters", where=src_school, overrides=school, skip=())
    _clone(conn, "services", where=src_school, overrides=school)
    _clone(conn, "tariffs", where=src_school, overrides=school)
    _clone(
        conn,
        "families",
        where=src_school,
        overrides={
            **school,
            "id": _key("id"),
            "ref": f"replace(src.ref, 'F{first}', 'F' || m.code)",
            "email": "replace(src.email, '@', '.' || m.code || '@')",
        },
        skip=(),
    )
    _clone(
        conn,
        "children",
        where=src_school,
        overrides={
            **school,
            "id": _key("id"),
            "ref": f"replace(src.ref, 'C{first}', 'C' || m.code)",
            "family_id": _key("family_id"),
        },
        skip=(),
    )
    card = f"m.code || substr(src.card, {len(first) + 1})"
    _clone(
        conn,
        "cards",
        where=of_first_child,
        overrides={"code": card.replace("src.card", "src.code"), "child_id": _key("child_id")},
        skip=(),
    )
    _clone(conn, "reservations", where=of_first_child, overrides={"child_id": _key("child_id")})
    _clone(
        conn,
        "meals",
        where=src_school,
        overrides={
            **school,
            "id": _key("id"),
            "station_id": "sm.new_id",
            "child_id": _key("child_id"),
            "card": card,
        },
        skip=(),
        joins=by_station,
    )
    _clone(
        conn,
        "voids",
        where=src_school,
        overrides={
            **school,
            "id": _key("id"),
            "meal_id": _key("meal_id"),
            "station_id": "sm.new_id",
        },
        skip=(),
        joins=by_station,
    )
    _clone(
        conn,
        "payments",
        where=src_school,
        overrides={
            **school,
            "ref": _payment_ref("src.ref"),
            "family_id": _key("family_id"),
            "created_by": actor.format("created_by"),
        },
    )
    _clone(
        conn,
        "ledger",
        where=of_first_family,
        overrides={"family_id": _key("family_id"), "reference": _ledger_reference(first)},
    )
    _clone(
        conn,
        "family_balances",
        where=of_first_family,
        overrides={"family_id": _key("family_id")},
        skip=(),
    )
    _clone(
        conn,
        "family_notice_states",
        where=of_first_family,
        overrides={"family_id": _key("family_id")},
        skip=(),
    )
    _clone(
        conn,
        "audit_log",
        where=src_school,
        overrides={
            **school,
            "actor": actor.format("actor"),
            "subject": f"replace(src.subject, 'F{first}', 'F' || m.code)",
            "detail": _audit_detail(),
        },
    )
    _clone(
        conn,
        "changes",
        where=src_school,
        overrides={**school, "key": _feed_text("key", first), "data": _feed_text("data", first)},
        skip=(),
    )
    conn.execute("DROP TABLE clone_map, station_map")


def add_stations(conn: psycopg.Connection, shape: Shape, *, codes: tuple[str, ...]) -> None:
    """:data:`STATIONS_PER_SCHOOL` stations for each school of ``codes``, ``ligne-1``…,
    with hashed tokens."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ids: dict[str, int] = dict(conn.execute("SELECT code, id FROM schools").fetchall())
    with conn.cursor().copy(
        "COPY stations (school_id, name, token_hash, created_at, export_key) FROM STDIN"
    ) as copy:
        for code in codes:
            for n in range(1, STATIONS_PER_SCHOOL + 1):
                name = f"ligne-{n}"
                token = station_token(school=code, name=name, seed=shape.seed)
                copy.write_row((ids[code], name, hash_token(token), now, export_public_key(token)))


def add_logins(conn: psycopg.Connection, shape: Shape) -> None:
    """One intendance login a school and a parent's login for every family (most families
    use the portal), all with the same password and so one argon2 hash."""
    now = datetime.now(UTC)
    created = now.isoformat(timespec="seconds")
    expires = (now + timedelta(days=365)).isoformat(timespec="seconds")
    password_hash = PasswordHasher().hash(shape.password)
    families = conn.execute(
        "SELECT s.code, f.id, f.ref FROM families f JOIN schools s ON s.id = f.school_id "
        "ORDER BY s.code, f.ref"
    ).fetchall()
    rows: list[tuple[object, ...]] = [
        (parent_email(code, ref), "parent", None, family_key) for code, family_key, ref in families
    ]
    schools = conn.execute("SELECT code, id FROM schools ORDER BY code").fetchall()
    rows += [(intendance_email(code), "intendance", school_id, None) for code, school_id in schools]
    with conn.cursor().copy(
        "COPY users (email, role, school_id, family_id, token_hash, created_at, "
        "password_hash, password_changed_at, disabled, token_expires_at) FROM STDIN"
    ) as copy:
        for email, role, school_id, family_key in rows:
            token_digest = hash_token(f"us_departement_{uuid.uuid4().hex}")
            copy.write_row(
                (
                    email,
                    role,
                    school_id,
                    family_key,
                    token_digest,
                    created,
                    password_hash,
                    created,
                    False,
                    expires,
                )
            )


def build(server_url: str, shape: Shape, name: str) -> float:
    """Build the template ``name`` (under a temporary name, renamed when complete);
    returns the build's seconds."""
    started = time.perf_counter()
    admin = admin_url(server_url)
    building = f"{_build_prefix(name)}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{building}"')
    try:
        url = normalize_database_url(_database_url(server_url, building))
        migrate(url)
        build_first_school(url, shape)
        with psycopg.connect(_database_url(server_url, building)) as conn:
            if shape.schools > 1:
                clone_schools(conn, shape)
            add_logins(conn, shape)
            conn.commit()
        with psycopg.connect(_database_url(server_url, building), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except BaseException:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        raise
    return time.perf_counter() - started


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


def ensure_template(server_url: str, shape: Shape) -> tuple[str, float | None]:
    """The template's name, built first when missing (``None`` seconds: it existed).

    Builders of the same template wait for each other on an advisory lock, so it is
    built once; a build database left by a builder that died is dropped.
    """
    name = shape.template_name(alembic_head())
    with psycopg.connect(admin_url(server_url), autocommit=True) as conn:
        if _exists(conn, name):
            return name, None
        lock = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.execute("SELECT pg_advisory_lock(%s)", (lock,))
        try:
            if _exists(conn, name):
                return name, None
            _drop_dead_builds(conn, name)
            seconds = build(server_url, shape, name)
            _drop_older_templates(conn, shape, name)
            return name, seconds
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock,))


def _drop_older_templates(conn: psycopg.Connection, shape: Shape, name: str) -> None:
    """Drop the templates of the same shape that an older seeder or Alembic head built
    (a dozen gigabytes each at full size); one being copied right now stays."""
    pattern = f"{_TEMPLATE_PREFIX}_v%_r%_{shape.schools}_{shape.pupils}_{shape.seed}"
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
        (pattern, name),
    ).fetchall()
    for (old,) in rows:
        with contextlib.suppress(psycopg.errors.ObjectInUse):
            conn.execute(f'DROP DATABASE IF EXISTS "{old}"')


def _build_prefix(name: str) -> str:
    """The name every build of template ``name`` starts with (63 characters at most)."""
    return f"{_BUILD_PREFIX}_{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def _drop_dead_builds(conn: psycopg.Connection, name: str) -> None:
    """Drop what earlier builds of template ``name`` left: the caller holds the build
    lock, so their builders are gone (builds of other templates are left alone)."""
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{_build_prefix(name)}_%",)
    ).fetchall()
    for (dead,) in rows:
        conn.execute(f'DROP DATABASE IF EXISTS "{dead}" WITH (FORCE)')


# -- the manifest ---------------------------------------------------------------------------


def manifest(conn: psycopg.Connection, shape: Shape, url: str, template: str) -> Departement:
    """What a load needs, read back from a copy (tokens derived again from the seed)."""
    codes = tuple(str(r[0]) for r in conn.execute("SELECT code FROM schools ORDER BY code"))
    stations = tuple(
        StationSeat(code, name, station_token(school=code, name=name, seed=shape.seed))
        for code, name in conn.execute(
            "SELECT s.code, st.name FROM stations st JOIN schools s ON s.id = st.school_id "
            "WHERE st.revoked_at IS NULL ORDER BY s.code, st.name"
        )
    )
    parents = tuple(
        ParentLogin(code, ref, email, shape.password, tuple(children))
        for code, ref, email, children in conn.execute(
            "SELECT s.code, f.ref, u.email, array_agg(c.ref ORDER BY c.ref) "
            "FROM users u JOIN families f ON f.id = u.family_id "
            "JOIN schools s ON s.id = f.school_id JOIN children c ON c.family_id = f.id "
            "WHERE u.role = 'parent' GROUP BY s.code, f.ref, u.email ORDER BY s.code, f.ref"
        )
    )
    intendance = tuple(
        IntendanceLogin(code, email, shape.password)
        for code, email in conn.execute(
            "SELECT s.code, u.email FROM users u JOIN schools s ON s.id = u.school_id "
            "WHERE u.role = 'intendance' ORDER BY s.code"
        )
    )
    cards = tuple(
        CardToday(code, card, child, bool(reserved))
        for code, card, child, reserved in conn.execute(
            "SELECT s.code, k.code, c.ref, r.id IS NOT NULL FROM cards k "
            "JOIN children c ON c.id = k.child_id JOIN schools s ON s.id = c.school_id "
            "LEFT JOIN reservations r ON r.child_id = c.id AND r.day = %s "
            "AND r.service = 'dejeuner' WHERE k.status = 'active' ORDER BY k.code",
            (DAY,),
        )
    )
    return Departement(
        url=url,
        day=DAY,
        schools=codes,
        stations=stations,
        parents=parents,
        intendance=intendance,
        cards=cards,
        template=template,
    )


@contextmanager
def departement(
    server_url: str, *, schools: int = 100, pupils: int = 100_000, seed: int = 1849
) -> Iterator[Departement]:
    """A throwaway copy of the seeded database, dropped on exit."""
    if schools < 1 or pupils < schools:
        raise ValueError("at least one school and one pupil a school")
    shape = Shape(schools=schools, pupils=pupils, seed=seed)
    template, seconds = ensure_template(server_url, shape)
    if seconds is not None:
        print(f"departement template {template} built in {seconds:.0f} s", flush=True)
    copy = f"{_COPY_PREFIX}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = admin_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
    try:
        libpq = _database_url(server_url, copy)
        with psycopg.connect(libpq) as conn:
            seeded = manifest(conn, shape, normalize_database_url(libpq), template)
        yield seeded
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def web_login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    """Log ``client`` (an httpx client or a TestClient) in through the real ``/connexion``
    form and its CSRF token; the answer is the form's redirect (303) when it worked."""
    form = client.get("/connexion")
    token = _CSRF.search(form.text)
    if token is None:
        raise RuntimeError(f"/connexion sans jeton CSRF ({form.status_code})")
    return client.post(
        "/connexion",
        data={"csrf_token": token.group(1), "email": email, "password": password},
        follow_redirects=False,
    )


def database_size(server_url: str, name: str) -> int:
    """Bytes on disk of database ``name``."""
    with psycopg.connect(admin_url(server_url), autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def main() -> None:
    """Build (or find) the full-size template; print its build time and size."""
    from bench.common import postgres_url

    server = postgres_url()
    if server is None:
        print("departement_seed: no PostgreSQL server answers; nothing built")
        return
    shape = Shape(schools=100, pupils=100_000, seed=1849)
    name, seconds = ensure_template(server, shape)
    built = f"built in {seconds:.0f} s" if seconds is not None else "already built"
    size = database_size(server, name) / 2**30
    print(f"{name}: {built}, {size:.1f} GiB")


if __name__ == "__main__":
    main()
