"""The local cache of the school: reads for the engine, and applying pulled changes.

Changes follow docs/sync-protocol.md: ``{"seq", "kind", "key", "data"}`` with
``data = None`` for a deletion. A page of changes and the new cursor are written in the
caller's single transaction, so a cut connection leaves the cache at a whole page.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date, time
from typing import Any

from station.core import names
from station.core.models import (
    Card,
    CardStatus,
    Child,
    Regime,
    Reservation,
    Service,
    Settings,
)


def _json_list(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    value = json.loads(text)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def child_from_row(row: sqlite3.Row) -> Child:
    return Child(
        id=row["id"],
        last_name=row["last_name"],
        first_name=row["first_name"],
        class_name=row["class_name"],
        regime=Regime(row["regime"]) if row["regime"] in ("ticket", "forfait") else Regime.TICKET,
        forfait_days=frozenset(int(d) for d in row["forfait_days"] if d.isdigit()),
        tariff=row["tariff"],
        diet=_json_list(row["diet"]),
        allergies=_json_list(row["allergies"]),
        family_id=row["family_id"],
        photo=row["photo"],
    )


def get_child(conn: sqlite3.Connection, child_id: str) -> Child | None:
    row = conn.execute("SELECT * FROM children WHERE id = ?", (child_id,)).fetchone()
    return child_from_row(row) if row else None


def get_card(conn: sqlite3.Connection, code: str) -> Card | None:
    row = conn.execute("SELECT * FROM cards WHERE code = ?", (code,)).fetchone()
    if row is None:
        return None
    status = row["status"] if row["status"] in ("active", "lost", "blocked") else "blocked"
    return Card(code=row["code"], child_id=row["child_id"], status=CardStatus(status))


def card_of_child(conn: sqlite3.Connection, child_id: str) -> Card | None:
    row = conn.execute(
        "SELECT code FROM cards WHERE child_id = ? ORDER BY status = 'active' DESC, code LIMIT 1",
        (child_id,),
    ).fetchone()
    return get_card(conn, row["code"]) if row else None


def prepaid_after(conn: sqlite3.Connection, child_id: str, day: date) -> int:
    """The child's prepaid meals booked after ``day`` (what is left to eat)."""
    row = conn.execute(
        "SELECT COUNT(*) FROM reservations WHERE child_id = ? AND day > ? AND prepaid = 1",
        (child_id, day.isoformat()),
    ).fetchone()
    return int(row[0])


def get_reservation(
    conn: sqlite3.Connection, child_id: str, day: date, service: str
) -> Reservation | None:
    row = conn.execute(
        "SELECT prepaid FROM reservations WHERE child_id = ? AND day = ? AND service = ?",
        (child_id, day.isoformat(), service),
    ).fetchone()
    if row is None:
        return None
    return Reservation(child_id, day, service, bool(row["prepaid"]))


def get_price(conn: sqlite3.Connection, tariff: str, service: str) -> int | None:
    row = conn.execute(
        "SELECT price_cents FROM tariffs WHERE tariff = ? AND service = ?", (tariff, service)
    ).fetchone()
    return int(row["price_cents"]) if row else None


def services(conn: sqlite3.Connection) -> list[Service]:
    return [
        Service(row["code"], time.fromisoformat(row["start"]), time.fromisoformat(row["end"]))
        for row in conn.execute('SELECT code, start, "end" FROM services ORDER BY start')
    ]


def settings(conn: sqlite3.Connection) -> Settings:
    values = {
        row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT * FROM settings")
    }
    return Settings.from_mapping(values)


def meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row["value"]) if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def pass_key(conn: sqlite3.Connection, school: str) -> str | None:
    """Hex of the public key that verifies ``school``'s day passes, once received."""
    row = conn.execute("SELECT public_key FROM pass_keys WHERE school = ?", (school,)).fetchone()
    return str(row["public_key"]) if row else None


def children_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM children").fetchone()[0])


def search_children(conn: sqlite3.Connection, text: str, limit: int = 20) -> list[Child]:
    """Children whose names match ``text`` (case, accents and word order ignored), in
    French alphabetical order (:mod:`station.core.names`)."""
    conn.create_function("name_matches", 3, names.name_matches, deterministic=True)
    rows = conn.execute(
        "SELECT * FROM children WHERE name_matches(?1, last_name, first_name)", (text,)
    ).fetchall()
    rows.sort(key=lambda r: names.sort_key(r["last_name"], r["first_name"]))
    return [child_from_row(r) for r in rows[:limit]]


# --- applying pulled changes -------------------------------------------------------------


def _child_row(data: Mapping[str, Any]) -> dict[str, Any]:
    days = data.get("forfait_days") or []
    if isinstance(days, str):
        days = [d for d in days if d.isdigit()]
    return {
        "id": str(data["id"]),
        "last_name": str(data.get("last_name", "")),
        "first_name": str(data.get("first_name", "")),
        "class_name": str(data.get("class") or data.get("class_name") or ""),
        "birth_date": data.get("birth_date"),
        "regime": str(data.get("regime") or "ticket"),
        "forfait_days": "".join(str(int(d)) for d in days),
        "tariff": str(data.get("tariff") or ""),
        "diet": json.dumps(list(data.get("diet") or []), ensure_ascii=False),
        "allergies": json.dumps(list(data.get("allergies") or []), ensure_ascii=False),
        "family_id": str(data.get("family_id") or ""),
        "photo": data.get("photo") or None,
    }


def _split(key: str, parts: int) -> list[str]:
    pieces = key.split("/")
    if len(pieces) != parts:
        raise ValueError(f"clé de changement invalide : {key!r}")
    return pieces


def _apply_one(conn: sqlite3.Connection, change: Mapping[str, Any]) -> None:
    """Apply one change that ``apply_changes`` does not batch (inside its transaction)."""
    kind = change["kind"]
    key = str(change["key"])
    data = change.get("data")
    seq = int(change["seq"])
    if kind == "child":
        if data is None:
            conn.execute("DELETE FROM children WHERE id = ?", (key,))
        else:
            row = _child_row(data)
            cols = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            updates = ", ".join(
                _KEEP_FETCHED_PHOTO if c == "photo" else f"{c} = excluded.{c}"
                for c in row
                if c != "id"
            )
            conn.execute(
                f"INSERT INTO children ({cols}) VALUES ({marks}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                tuple(row.values()),
            )
    elif kind == "card" and data is None:
        conn.execute("DELETE FROM cards WHERE code = ?", (key,))
    elif kind == "balance":
        if data is None:
            conn.execute("DELETE FROM balances WHERE family_id = ?", (key,))
        else:
            conn.execute(
                "INSERT INTO balances (family_id, balance_cents, as_of_seq) VALUES (?, ?, ?) "
                "ON CONFLICT (family_id) DO UPDATE SET balance_cents = excluded.balance_cents, "
                "as_of_seq = excluded.as_of_seq",
                (key, int(data["balance_cents"]), seq),
            )
    elif kind == "tariff":
        tariff, service = _split(key, 2)
        if data is None:
            conn.execute("DELETE FROM tariffs WHERE tariff = ? AND service = ?", (tariff, service))
        else:
            conn.execute(
                "INSERT INTO tariffs (tariff, service, price_cents) VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET price_cents = excluded.price_cents",
                (tariff, service, int(data["price_cents"])),
            )
    elif kind == "service":
        if data is None:
            conn.execute("DELETE FROM services WHERE code = ?", (key,))
        else:
            start = time.fromisoformat(str(data["start"])).isoformat("minutes")
            end = time.fromisoformat(str(data["end"])).isoformat("minutes")
            conn.execute(
                'INSERT INTO services (code, start, "end") VALUES (?, ?, ?) ON CONFLICT (code) '
                'DO UPDATE SET start = excluded.start, "end" = excluded."end"',
                (key, start, end),
            )
    elif kind == "settings":
        if data is not None:
            Settings.from_mapping(dict(data))  # refuse a page with unusable settings
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in data.items()],
            )
    elif kind == "school":
        if data is not None:
            set_meta(conn, "school_name", str(data.get("name") or ""))
            if data.get("timezone"):
                set_meta(conn, "school_timezone", str(data["timezone"]))
    elif kind == "meal":
        _apply_meal(conn, key, data, seq)
    elif kind == "pass_key":
        _apply_pass_key(conn, key, data, seq)
    elif kind == "photo":
        _apply_photo(conn, key, data, seq)
    # Unknown kinds are skipped: a newer portal may send more than this station uses.


#: A child change keeps the local photo file the fetch set (``station/sync/photos.py``)
#: while the portal announces a photo for that child.
_KEEP_FETCHED_PHOTO = (
    "photo = CASE WHEN EXISTS (SELECT 1 FROM photos WHERE photos.child_id = excluded.id) "
    "THEN children.photo ELSE excluded.photo END"
)


def _apply_photo(
    conn: sqlite3.Connection, child_id: str, data: Mapping[str, Any] | None, seq: int
) -> None:
    """Record (or forget) the photo announced for a child. A new or removed photo unsets
    the child's local file at once; the fetch after the pull brings the new one."""
    old = conn.execute("SELECT sha256 FROM photos WHERE child_id = ?", (child_id,)).fetchone()
    if data is None:
        conn.execute("DELETE FROM photos WHERE child_id = ?", (child_id,))
        conn.execute("UPDATE children SET photo = NULL WHERE id = ?", (child_id,))
        return
    sha256 = str(data["sha256"]).lower()
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError(f"photo : empreinte SHA-256 invalide {sha256!r}")
    conn.execute(
        "INSERT INTO photos (child_id, sha256, as_of_seq) VALUES (?, ?, ?) "
        "ON CONFLICT (child_id) DO UPDATE SET sha256 = excluded.sha256, "
        "as_of_seq = excluded.as_of_seq",
        (child_id, sha256, seq),
    )
    if old is None or old["sha256"] != sha256:
        conn.execute("UPDATE children SET photo = NULL WHERE id = ?", (child_id,))


def announced_photos(conn: sqlite3.Connection) -> dict[str, str]:
    """``child id → SHA-256`` of every announced photo of a child on the roster."""
    rows = conn.execute(
        "SELECT p.child_id, p.sha256 FROM photos p JOIN children c ON c.id = p.child_id"
    )
    return {row["child_id"]: row["sha256"] for row in rows}


def photo_files(conn: sqlite3.Connection) -> dict[str, str | None]:
    """``child id → children.photo`` of every child with an announced photo."""
    rows = conn.execute("SELECT c.id, c.photo FROM children c JOIN photos p ON p.child_id = c.id")
    return {row["id"]: row["photo"] for row in rows}


def set_photo_files(conn: sqlite3.Connection, files: Mapping[str, str | None]) -> int:
    """Point each child of ``files`` at its local photo file (``None``: none); returns how
    many rows changed."""
    changed = 0
    for child_id, path in files.items():
        cursor = conn.execute(
            "UPDATE children SET photo = ? WHERE id = ? AND photo IS NOT ?",
            (path, child_id, path),
        )
        changed += cursor.rowcount
    return changed


def _apply_pass_key(
    conn: sqlite3.Connection, school: str, data: Mapping[str, Any] | None, seq: int
) -> None:
    """Store (or forget) a school's day-pass public key; refuse a page with an unusable one."""
    if data is None:
        conn.execute("DELETE FROM pass_keys WHERE school = ?", (school,))
        return
    if data.get("alg") != "Ed25519":
        raise ValueError(f"clé de passe : algorithme inconnu {data.get('alg')!r}")
    public_key = str(data["public_key"])
    if len(bytes.fromhex(public_key)) != 32:
        raise ValueError("clé de passe : 32 octets attendus")
    conn.execute(
        "INSERT INTO pass_keys (school, public_key, as_of_seq) VALUES (?, ?, ?) "
        "ON CONFLICT (school) DO UPDATE SET public_key = excluded.public_key, "
        "as_of_seq = excluded.as_of_seq",
        (school, public_key, seq),
    )


def _apply_meal(
    conn: sqlite3.Connection, meal_id: str, data: Mapping[str, Any] | None, seq: int
) -> None:
    if data is None:
        conn.execute("DELETE FROM remote_meals WHERE id = ?", (meal_id,))
        return
    local = conn.execute("SELECT 1 FROM meals WHERE id = ?", (meal_id,)).fetchone()
    if local is not None:
        # Our own meal seen in the feed: the portal applied it. When its answer was lost,
        # this is how the station learns it; the meal's change and its family's balance
        # change were numbered in one transaction, so a pulled balance at or after ``seq``
        # includes the charge (docs/sync-protocol.md, balance validity).
        # ``voided`` also covers a void made at the portal (the intendance's correction),
        # which this line has no row of in ``voids``.
        conn.execute(
            "UPDATE meals SET duplicate_pass = ?, applied_seq = COALESCE(applied_seq, ?),"
            " voided_remotely = ? WHERE id = ?",
            (
                1 if data.get("duplicate_pass") else 0,
                seq,
                1 if data.get("voided") else 0,
                meal_id,
            ),
        )
        if data.get("voided"):
            conn.execute(
                "UPDATE voids SET applied_seq = COALESCE(applied_seq, ?) WHERE meal_id = ?",
                (seq, meal_id),
            )
        return
    conn.execute(
        "INSERT INTO remote_meals (id, child_id, station, service, business_date, served_at, "
        "source, charged_cents, voided, duplicate_pass) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET voided = excluded.voided, "
        "duplicate_pass = excluded.duplicate_pass",
        (
            meal_id,
            str(data["child_id"]),
            str(data.get("station") or ""),
            str(data["service"]),
            str(data["business_date"]),
            str(data["served_at"]),
            str(data.get("source") or ""),
            int(data.get("charged_cents") or 0),
            1 if data.get("voided") else 0,
            1 if data.get("duplicate_pass") else 0,
        ),
    )


def apply_changes(
    conn: sqlite3.Connection, changes: Iterable[Mapping[str, Any]], own_station: str
) -> int:
    """Apply a page of changes; returns how many were applied.

    The feed holds one state per key, so within a page the order between different keys
    does not matter: reservations and cards, the bulk of a first pull, are written with
    one ``executemany`` each; everything else goes through ``_apply_one``.
    """
    upserts: list[tuple[str, str, str, int]] = []
    deletes: list[tuple[str, str, str]] = []
    cards: list[tuple[str, str, str]] = []
    count = 0
    for change in changes:
        count += 1
        kind = change["kind"]
        if kind == "reservation":
            child_id, day, service = _split(str(change["key"]), 3)
            data = change.get("data")
            if data is None:
                deletes.append((child_id, day, service))
            else:
                upserts.append((child_id, day, service, 1 if data.get("prepaid") else 0))
        elif kind == "card" and change.get("data") is not None:
            data = change["data"]
            cards.append(
                (str(change["key"]), str(data["child_id"]), str(data.get("status") or "active"))
            )
        else:
            _apply_one(conn, change)
    if upserts:
        conn.executemany(
            "INSERT INTO reservations (child_id, day, service, prepaid) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO UPDATE SET prepaid = excluded.prepaid",
            upserts,
        )
    if deletes:
        conn.executemany(
            "DELETE FROM reservations WHERE child_id = ? AND day = ? AND service = ?", deletes
        )
    if cards:
        conn.executemany(
            "INSERT INTO cards (code, child_id, status) VALUES (?, ?, ?) ON CONFLICT (code) "
            "DO UPDATE SET child_id = excluded.child_id, status = excluded.status",
            cards,
        )
    return count


def apply_page(
    conn: sqlite3.Connection,
    changes: Iterable[Mapping[str, Any]],
    cursor: int,
    own_station: str,
    pulled_at: str,
) -> int:
    """Apply a page and move the pull cursor to ``cursor`` (same transaction)."""
    count = apply_changes(conn, changes, own_station)
    set_meta(conn, "pull_cursor", str(cursor))
    set_meta(conn, "pulled_at", pulled_at)
    return count


def pull_cursor(conn: sqlite3.Connection) -> int:
    return int(meta(conn, "pull_cursor", "0") or 0)
