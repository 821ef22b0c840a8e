"""Read-only queries for printing card sheets (``station cards print``); no UI.

Kept apart from the serving queries of ``cache.py``: printing is an office task.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from station.core.cards import parse_card_code
from station.core.models import Child
from station.store.cache import child_from_row


@dataclass(frozen=True)
class PrintableCard:
    """A child and the normalised code (``1849-01234``) of their active card."""

    child: Child
    code: str


def printable_cards(
    conn: sqlite3.Connection,
    *,
    class_name: str | None = None,
    child_ids: Sequence[str] | None = None,
) -> list[PrintableCard]:
    """Active cards of every child, of one class, or of the given children.

    Sorted by class then name, so a class's sheets come out together. Lost or blocked
    cards are never printed; a stored code that does not parse is skipped.
    """
    sql = (
        "SELECT children.*, cards.code AS card_code FROM cards "
        "JOIN children ON children.id = cards.child_id WHERE cards.status = 'active'"
    )
    params: list[str] = []
    if class_name is not None:
        sql += " AND children.class_name = ?"
        params.append(class_name)
    if child_ids is not None:
        sql += f" AND children.id IN ({', '.join('?' for _ in child_ids)})"
        params.extend(child_ids)
    sql += " ORDER BY children.class_name, children.last_name, children.first_name, cards.code"
    out: list[PrintableCard] = []
    for row in conn.execute(sql, params):
        card = parse_card_code(row["card_code"])
        if card is not None:
            out.append(PrintableCard(child=child_from_row(row), code=str(card)))
    return out
