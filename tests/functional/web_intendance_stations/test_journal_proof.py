"""The journal proof at the portal: each push carries its items' links in the station's
hash chain; the stations page says how far the journal checked out, or where it broke."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from portal_sync_api.core.db import session_scope
from portal_sync_api.models import StationState
from station.store import outbox
from tests.support.stations_page import StationsPage, tamper
from tests.support.sync import NOON, Station, make_station

#: Léa (forfait, 0 €), Tom (prepaid, 0 €), Hervé (4,15 €).
CARDS = ("1849-01235", "1849-01236", "1849-01234")


def serve_some(page: StationsPage, station: Station) -> list[str]:
    """Three meals (12:00 to 12:02) and the void of the second (12:05), not pushed yet."""
    assert page.sync(station).ok  # the cache first
    ids = []
    for minute, card in enumerate(CARDS):
        verdict = station.line.scan(card, at=NOON + timedelta(minutes=minute))
        assert verdict.served and verdict.meal_id, verdict.reason
        ids.append(verdict.meal_id)
    station.line.void(ids[1], at=NOON + timedelta(minutes=5), reason="mauvais élève")
    return ids


def journal_cell(page: StationsPage, name: str = "ligne-1") -> str:
    row = page.row(name)
    return row.split("Journal des repas: ", 1)[1].split(" |", 1)[0]


def test_an_untouched_journal_is_verified_up_to_its_last_record(page: StationsPage) -> None:
    station = page.station()
    serve_some(page, station)
    assert page.sync(station).ok
    assert journal_cell(page) == "Journal vérifié jusqu'au 24/11/2025 à 12:05 (n° 4)"


def test_a_meal_edited_in_the_station_file_is_flagged_at_that_meal(page: StationsPage) -> None:
    station = page.station()
    ids = serve_some(page, station)
    tamper(station.db, f"UPDATE meals SET charged_cents = 0 WHERE id = '{ids[2]}'")
    assert page.sync(station).ok  # the meals still arrive: they were eaten
    cell = journal_cell(page)
    assert cell.startswith(f"Journal rompu au repas {ids[2]} (n° 3)"), cell
    assert "enregistrement modifié" in cell


def test_an_edit_whose_hash_is_recomputed_is_flagged_as_differing(page: StationsPage) -> None:
    """Someone who knows the hash rule fixes the edited record's hash (not the rest of
    the chain): the record no longer matches the meal the outbox sends."""
    station = page.station()
    ids = serve_some(page, station)
    tamper(station.db, f"UPDATE meals SET charged_cents = 0 WHERE id = '{ids[2]}'")
    with sqlite3.connect(station.db) as conn:
        conn.row_factory = sqlite3.Row
        prev, content = _record(conn, ids[2])
        digest = _hash(prev, "meal", content)
        conn.execute("UPDATE meals SET hash = ? WHERE id = ?", (digest, ids[2]))
    assert page.sync(station).ok
    cell = journal_cell(page)
    assert cell.startswith(f"Journal rompu au repas {ids[2]} (n° 3)"), cell
    assert "repas envoyé différent de son journal (charged_cents)" in cell


def test_a_chain_rebuilt_after_a_push_is_detected_at_the_next_push(page: StationsPage) -> None:
    """After meals were pushed, someone edits one and recomputes the whole chain and its
    head, so the station's own ``verify`` passes; the portal kept the pushed head."""
    station = page.station()
    assert page.sync(station).ok
    first = station.line.scan(CARDS[0], at=NOON)
    assert first.served and station.line.scan(CARDS[1], at=NOON + timedelta(minutes=1)).served
    assert page.sync(station).ok
    assert journal_cell(page).endswith("(n° 2)")
    station.close()
    with sqlite3.connect(station.db) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute(
            "UPDATE meals SET charged_cents = charged_cents + 100 WHERE id = ?", (first.meal_id,)
        )
        prev = "0" * 64
        for row in conn.execute("SELECT id FROM meals ORDER BY jpos").fetchall():
            _old_prev, content = _record(conn, row["id"])
            digest = _hash(prev, "meal", content)
            conn.execute(
                "UPDATE meals SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row["id"])
            )
            prev = digest
        conn.execute("UPDATE meta SET value = ? WHERE key = 'journal_head'", (prev,))
    station = page.station()  # the station starts again on its edited file
    assert station.line.store.verify_journal().ok  # locally, nothing shows
    third = station.line.scan(CARDS[2], at=NOON + timedelta(minutes=2))
    assert third.served
    assert page.sync(station).ok
    cell = journal_cell(page)
    assert cell.startswith(f"Journal rompu au repas {third.meal_id} (n° 3)"), cell
    assert "lien rompu" in cell


def test_a_station_database_started_again_is_a_break_at_its_first_record(
    page: StationsPage,
) -> None:
    """The same token on an empty database (the file deleted, or a new machine given the
    old token): the portal cannot tell it from a journal wiped to hide meals."""
    station = page.station()
    serve_some(page, station)
    assert page.sync(station).ok
    (page.tmp_path / "neuf").mkdir()
    fresh = make_station(page.tmp_path / "neuf", page.portal.url, page.school.station_token)
    page.stations.append(fresh)
    assert page.sync(fresh).ok
    again = fresh.line.scan(CARDS[0], at=NOON + timedelta(days=1))  # Léa's forfait day
    assert again.served and again.meal_id
    assert page.sync(fresh).ok
    cell = journal_cell(page)
    assert cell.startswith(f"Journal rompu au repas {again.meal_id} (n° 1)"), cell
    assert "journal recommencé au n° 1" in cell


def test_a_retried_push_is_not_a_break(page: StationsPage) -> None:
    station = page.station()
    serve_some(page, station)
    with station.line.store.read() as conn:
        items = outbox.with_journal(conn, outbox.pending(conn, 100))
    assert all("journal" in item for item in items)
    for _attempt in range(2):  # the same batch twice, as after a lost answer
        answer = _push(page, items)
        assert answer.status_code == 200
    assert [r["status"] for r in answer.json()["results"]] == ["duplicate"] * 4
    assert page.sync(station).ok  # and the station's own retry of what it never saw acked
    assert journal_cell(page) == "Journal vérifié jusqu'au 24/11/2025 à 12:05 (n° 4)"


def test_meals_of_an_older_station_without_the_field_are_not_transmitted(
    page: StationsPage,
) -> None:
    station = page.station()
    serve_some(page, station)
    with station.line.store.read() as conn:
        items = [e.payload for e in outbox.pending(conn, 100)]
    assert all("journal" not in item for item in items)
    for _attempt in range(2):  # a retry counts nothing twice
        assert _push(page, items).status_code == 200
    assert journal_cell(page) == "Journal non transmis (version du poste trop ancienne)"
    with session_scope(page.engine) as session:
        state = session.execute(select(StationState)).scalar_one()
        assert state.unlinked_meals == 3 and state.journal_pos is None


def test_a_malformed_link_rejects_its_item_naming_the_field(page: StationsPage) -> None:
    station = page.station()
    serve_some(page, station)
    with station.line.store.read() as conn:
        items = outbox.with_journal(conn, outbox.pending(conn, 1))
    items[0]["journal"]["hash"] = "pas un hash"
    answer = _push(page, items)
    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result == {"id": items[0]["id"], "status": "rejected", "reason": "invalid: journal.hash"}


def _push(page: StationsPage, items: list[dict[str, Any]]) -> Any:
    with page.portal.client(page.school.station_token) as client:
        return client.post("/v1/sync/meals", json={"meals": items})


def _record(conn: sqlite3.Connection, meal_id: str) -> tuple[str, dict[str, Any]]:
    """A meal record's previous hash and content as stored (the journal's columns)."""
    row = conn.execute(
        "SELECT prev_hash, json_object('id', id, 'child_id', child_id, 'card', card,"
        " 'source', source, 'service', service, 'business_date', business_date,"
        " 'served_at', served_at, 'station', station, 'reason', reason,"
        " 'charged_cents', charged_cents, 'family_id', family_id) AS content"
        " FROM meals WHERE id = ?",
        (meal_id,),
    ).fetchone()
    return str(row["prev_hash"]), json.loads(row["content"])


def _hash(prev: str, kind: str, content: dict[str, Any]) -> str:
    """The station's hash rule, written out as someone editing the file would."""
    text = json.dumps(
        {"kind": kind, **content}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
