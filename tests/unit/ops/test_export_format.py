"""The signed offline-export format: only the holder of the station token can make a file
that verifies (not the portal's database), and any edit breaks the signature."""

from __future__ import annotations

import copy
import json

import pytest

from cantine_contract import offline_export as export
from portal_sync_api.core.security import hash_token

TOKEN = "st_secret-token-of-ligne-1"
ITEMS: list[dict[str, object]] = [
    {"kind": "meal", "id": "M1", "child_id": "C42", "charged_cents": 415, "service": "dejeuner"},
    {"kind": "void", "id": "V1", "meal_id": "M1", "voided_at": "2026-11-24T12:06:00+01:00"},
]


def _document() -> dict[str, object]:
    return export.build(
        station="ligne-1",
        school="1849",
        created_at="2026-11-24T14:00:00+01:00",
        items=ITEMS,
        token=TOKEN,
    )


def test_the_stored_digest_is_not_a_verification_key() -> None:
    assert export.public_key(TOKEN) != hash_token(TOKEN)
    assert not export.verify(_document(), hash_token(TOKEN))


def test_a_written_file_verifies_with_the_stations_public_key() -> None:
    document = export.parse(export.dumps(_document()))
    assert document["items"] == ITEMS
    assert export.verify(document, export.public_key(TOKEN))


def test_the_signature_does_not_depend_on_indentation_or_key_order() -> None:
    document = _document()
    reordered = json.loads(json.dumps(document, sort_keys=True))
    assert export.verify(reordered, export.public_key(TOKEN))


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["items"][0].__setitem__("charged_cents", 0),
        lambda d: d["items"].pop(),
        lambda d: d["items"].reverse(),
        lambda d: d.__setitem__("station", "ligne-2"),
        lambda d: d.__setitem__("created_at", "2026-11-25T14:00:00+01:00"),
    ],
    ids=["amount", "dropped item", "order", "station", "date"],
)
def test_any_edit_breaks_the_signature(edit: object) -> None:
    document = copy.deepcopy(_document())
    edit(document)  # type: ignore[operator]
    assert not export.verify(document, export.public_key(TOKEN))


def test_another_token_does_not_verify() -> None:
    assert not export.verify(_document(), export.public_key("st_another"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "JSON invalide"),
        ('{"format": "other"}', "format inconnu"),
        (json.dumps({"format": export.FORMAT, "version": 9}), "version"),
        (json.dumps({"format": export.FORMAT, "version": 1}), "version 1 refusé"),
    ],
)
def test_unreadable_files_are_refused_in_french(text: str, message: str) -> None:
    with pytest.raises(export.ExportFormatError, match=message):
        export.parse(text)


def test_a_file_without_signature_is_refused() -> None:
    document = _document()
    del document["signature"]
    with pytest.raises(export.ExportFormatError, match="signature"):
        export.parse(json.dumps(document))
