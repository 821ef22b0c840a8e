"""Reading a pushed item's journal link (``crud/journal_proof.parse_link``): the content
rebuilt from the item and its entry hashes as the station's chain does, and a malformed
link names its field."""

from __future__ import annotations

from typing import Any

import pytest

from cantine_contract.journal import GENESIS, MEAL_CONTENT, VOID_CONTENT, link_hash
from portal_sync_api.crud.journal_proof import BadLink, parse_link

MEAL: dict[str, Any] = {
    "kind": "meal",
    "id": "m1",
    "child_id": "C0042",
    "card": "1849-01234",
    "source": "wedge",
    "service": "dejeuner",
    "business_date": "2026-11-24",
    "served_at": "2026-11-24T12:04:00+01:00",
    "reason": "reserved",
    "charged_cents": 415,
}
ENTRY = {"station": "ligne-1", "family_id": "F1"}


def linked(item: dict[str, Any], **link: Any) -> dict[str, Any]:
    """``item`` with the link the station would send at position 1."""
    content = {k: {**item, **ENTRY}[k] for k in MEAL_CONTENT}
    journal = {"pos": 1, "prev": GENESIS, "hash": link_hash(GENESIS, "meal", content)}
    journal["entry"] = dict(ENTRY)
    journal.update(link)
    return {**item, "journal": journal}


def test_an_item_without_a_link_has_none() -> None:
    assert parse_link(MEAL) is None


def test_the_rebuilt_content_hashes_as_the_station_chained_it() -> None:
    link = parse_link(linked(MEAL))
    assert link is not None
    assert link_hash(link.prev, link.kind, link.content) == link.hash
    assert link.differs == () and link.at == MEAL["served_at"] and link.ref == "m1"


def test_an_entry_field_that_differs_from_the_item_is_named() -> None:
    item = linked(MEAL)
    item["journal"]["entry"]["charged_cents"] = 0
    link = parse_link(item)
    assert link is not None and link.differs == ("charged_cents",)
    assert link.content["charged_cents"] == 0  # the hash is checked on the journal's content


def test_a_void_link_uses_the_void_content() -> None:
    void = {
        "kind": "void",
        "id": "v1",
        "meal_id": "m1",
        "voided_at": "2026-11-24T12:06:00+01:00",
        "reason": "mauvais élève",
        "refund_cents": 415,
    }
    content = {k: {**void, **ENTRY}[k] for k in VOID_CONTENT}
    digest = link_hash(GENESIS, "void", content)
    link = parse_link(
        {**void, "journal": {"pos": 2, "prev": GENESIS, "hash": digest, "entry": ENTRY}}
    )
    assert link is not None and link.kind == "void" and link.at == void["voided_at"]
    assert link_hash(link.prev, "void", link.content) == digest


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pos": 0}, "journal.pos"),
        ({"pos": True}, "journal.pos"),
        ({"pos": "3"}, "journal.pos"),
        ({"prev": "ABC"}, "journal.prev"),
        ({"hash": "F" * 64}, "journal.hash"),
        ({"entry": []}, "journal.entry"),
        ({"entry": {"station": "ligne-1"}}, "journal.entry.family_id"),
        ({"entry": {**ENTRY, "colour": "red"}}, "journal.entry"),
        ({"entry": {**ENTRY, "charged_cents": 4.15}}, "journal.entry"),
    ],
)
def test_a_malformed_link_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(BadLink) as refused:
        parse_link(linked(MEAL, **change))
    assert refused.value.field == field


def test_a_link_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(BadLink) as refused:
        parse_link({**MEAL, "journal": "57"})
    assert refused.value.field == "journal"
