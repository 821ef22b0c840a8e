"""Numbered schema migrations of the station database, recorded in ``migrations``.

A migration is never edited once released: add a new one. Each runs in the same write
transaction as its bookkeeping row, so a crash leaves the schema at a whole version.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import sqlite_utils

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE children (
    id TEXT PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    class_name TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    regime TEXT NOT NULL DEFAULT 'ticket',
    forfait_days TEXT NOT NULL DEFAULT '',
    tariff TEXT NOT NULL DEFAULT '',
    diet TEXT NOT NULL DEFAULT '[]',
    allergies TEXT NOT NULL DEFAULT '[]',
    family_id TEXT NOT NULL DEFAULT '',
    photo TEXT
);
CREATE INDEX children_class ON children (class_name, last_name, first_name);
CREATE INDEX children_name ON children (last_name, first_name);

CREATE TABLE cards (
    code TEXT PRIMARY KEY,
    child_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active'
);
CREATE INDEX cards_child ON cards (child_id);

CREATE TABLE reservations (
    child_id TEXT NOT NULL,
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    prepaid INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (child_id, day, service)
) WITHOUT ROWID;
CREATE INDEX reservations_day ON reservations (day, service);

CREATE TABLE balances (
    family_id TEXT PRIMARY KEY,
    balance_cents INTEGER NOT NULL,
    as_of_seq INTEGER NOT NULL
);

CREATE TABLE tariffs (
    tariff TEXT NOT NULL,
    service TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (tariff, service)
);

CREATE TABLE services (code TEXT PRIMARY KEY, start TEXT NOT NULL, "end" TEXT NOT NULL);

CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE meals (
    id TEXT PRIMARY KEY,
    jpos INTEGER NOT NULL,
    child_id TEXT NOT NULL,
    card TEXT,
    source TEXT NOT NULL,
    service TEXT NOT NULL,
    business_date TEXT NOT NULL,
    served_at TEXT NOT NULL,
    station TEXT NOT NULL,
    reason TEXT NOT NULL,
    charged_cents INTEGER NOT NULL,
    family_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    applied_seq INTEGER,
    duplicate_pass INTEGER NOT NULL DEFAULT 0,
    clock_skew INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX meals_child_day ON meals (child_id, business_date, service);
CREATE INDEX meals_family ON meals (family_id, applied_seq);

CREATE TABLE voids (
    id TEXT PRIMARY KEY,
    jpos INTEGER NOT NULL,
    meal_id TEXT NOT NULL UNIQUE REFERENCES meals (id),
    voided_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    refund_cents INTEGER NOT NULL,
    station TEXT NOT NULL,
    family_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    applied_seq INTEGER
);
CREATE INDEX voids_family ON voids (family_id, applied_seq);

CREATE TABLE remote_meals (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL,
    station TEXT NOT NULL,
    service TEXT NOT NULL,
    business_date TEXT NOT NULL,
    served_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    charged_cents INTEGER NOT NULL DEFAULT 0,
    voided INTEGER NOT NULL DEFAULT 0,
    duplicate_pass INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX remote_meals_child ON remote_meals (child_id, business_date, service);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    rejected_reason TEXT,
    done_at TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL AND rejected_reason IS NULL;

CREATE TABLE scan_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    business_date TEXT NOT NULL,
    source TEXT NOT NULL,
    raw TEXT NOT NULL,
    card TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    service TEXT,
    child_id TEXT,
    meal_id TEXT
);
"""

# Which reader read a scan, and when it read it (the decision time is ``at``).
_V2 = """
ALTER TABLE scan_log ADD COLUMN reader TEXT;
ALTER TABLE scan_log ADD COLUMN read_at TEXT
"""

# The public key of each school's day passes (feed kind ``pass_key``). The pull cursor
# goes back to 0: a station of an earlier version skipped that kind, so it reads the whole
# feed once more (the feed holds one state per key: applying it again changes nothing else).
_V3 = """
CREATE TABLE pass_keys (
    school TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    as_of_seq INTEGER NOT NULL
);
UPDATE meta SET value = '0' WHERE key = 'pull_cursor'
"""

# The photo the portal announces for each child (feed kind ``photo``, by SHA-256); the
# bytes are fetched after the pull into a folder beside the database, and
# ``children.photo`` points at the local file once it is there. The pull cursor goes back
# to 0, as in version 3: an earlier version skipped that kind.
_V4 = """
CREATE TABLE photos (
    child_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    as_of_seq INTEGER NOT NULL
);
UPDATE meta SET value = '0' WHERE key = 'pull_cursor'
"""

# A meal of this line voided at the portal (the intendance's correction) comes back in the
# feed as voided; the flag keeps it out of the "already served" check and the day's counts
# as a local void would. It is not part of the journal's content: the meal as served is
# unchanged, and the void is the portal's record.
_V5 = """
ALTER TABLE meals ADD COLUMN voided_remotely INTEGER NOT NULL DEFAULT 0;
"""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "initial schema", _V1),
    (2, "scan log: reader and read time", _V2),
    (3, "day pass public keys", _V3),
    (4, "children's photos announced by the portal", _V4),
    (5, "meals voided at the portal", _V5),
)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    """Versions already recorded in the ``migrations`` table."""
    db = sqlite_utils.Database(conn)
    if "migrations" not in db.table_names():
        return set()
    return {int(row["version"]) for row in db["migrations"].rows}


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration inside the caller's write transaction."""
    db = sqlite_utils.Database(conn)
    if "migrations" not in db.table_names():
        db.execute(
            "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
        )
    done = applied_versions(conn)
    ran = []
    for version, name, script in MIGRATIONS:
        if version in done:
            continue
        for statement in _statements(script):
            conn.execute(statement)
        db.table("migrations").insert(
            {"version": version, "name": name, "applied_at": datetime.now(UTC).isoformat()}
        )
        ran.append(version)
    return ran


def latest_version() -> int:
    return MIGRATIONS[-1][0]
