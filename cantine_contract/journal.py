"""The meal journal's hash chain, as the station writes it and the portal checks it.

A station keeps its meals and voids in one append-only chain: the record at position
``pos`` stores ``prev`` (the previous record's hash, :data:`GENESIS` for the first) and
``hash = sha256(prev + "\\n" + canonical JSON of its content)``. A push carries each item's
link (docs/sync-protocol.md, « Journal link »), so the portal recomputes the same hash
from the item and the journal entry the station read back (:func:`link_hash`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64

#: The content of a meal record, in no particular order (the JSON keys are sorted).
MEAL_CONTENT = (
    "id",
    "child_id",
    "card",
    "source",
    "service",
    "business_date",
    "served_at",
    "station",
    "reason",
    "charged_cents",
    "family_id",
)
#: The content of a void record.
VOID_CONTENT = ("id", "meal_id", "voided_at", "reason", "refund_cents", "station", "family_id")


def content_fields(kind: str) -> tuple[str, ...]:
    """The content keys of a record of ``kind`` (``meal`` or ``void``)."""
    return VOID_CONTENT if kind == "void" else MEAL_CONTENT


def canonical(kind: str, content: dict[str, Any]) -> str:
    """Stable JSON of a record's content (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        {"kind": kind, **content}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def link_hash(prev_hash: str, kind: str, content: dict[str, Any]) -> str:
    """The hash a record at the end of a chain whose head is ``prev_hash`` must carry."""
    data = f"{prev_hash}\n{canonical(kind, content)}".encode()
    return hashlib.sha256(data).hexdigest()
