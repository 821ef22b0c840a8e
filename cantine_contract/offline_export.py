"""Offline export of pending meals and voids: the signed file format (pure, no I/O).

For a line with no network, ``station export`` writes the outbox to a file carried to
the portal, where ``portal-sync-api import meals`` applies it through the same ingest as
``POST /v1/sync/meals`` (each id once: importing twice, or syncing later, gives
``duplicate``).

Format (JSON, UTF-8)::

    {"format": "cantine-offline-meals", "version": 1,
     "station": "ligne-1", "school": "1849", "created_at": "2026-11-24T14:02:11+01:00",
     "items": [<outbox payloads, oldest first: a void always after its meal>],
     "signature": {"alg": "HMAC-SHA256", "key": "sha256-hex(token)", "value": "<hex>"}}

The signature is HMAC-SHA256 over the canonical JSON of every field but ``signature``
(keys sorted, no spaces, UTF-8). Its key is the ASCII hex SHA-256 digest of the station
token — exactly what the portal stores for the station (tokens are kept hashed there), so
the portal can verify without ever knowing the token, and nobody without the token can
make or edit a file that verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

FORMAT = "cantine-offline-meals"
VERSION = 1
ALGORITHM = "HMAC-SHA256"
KEY_DERIVATION = "sha256-hex(token)"


class ExportFormatError(ValueError):
    """The file is not a readable offline export (French message)."""


def signing_key(token_digest_hex: str) -> bytes:
    """The HMAC key from the token's SHA-256 hex digest (as the portal stores it)."""
    return token_digest_hex.strip().lower().encode("ascii")


def token_digest(token: str) -> str:
    """SHA-256 hex digest of a station token (same as the portal's ``hash_token``)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def canonical(body: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: ``body`` without ``signature``, canonical JSON."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(body: Mapping[str, Any], token_digest_hex: str) -> str:
    """Hex HMAC-SHA256 of ``body`` keyed with the token digest."""
    return hmac.new(signing_key(token_digest_hex), canonical(body), hashlib.sha256).hexdigest()


def build(
    *,
    station: str,
    school: str,
    created_at: str,
    items: Sequence[Mapping[str, Any]],
    token: str,
) -> dict[str, Any]:
    """A signed export document for ``items`` (outbox payloads, in outbox order)."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "station": station,
        "school": school,
        "created_at": created_at,
        "items": [dict(item) for item in items],
    }
    body["signature"] = {
        "alg": ALGORITHM,
        "key": KEY_DERIVATION,
        "value": sign(body, token_digest(token)),
    }
    return body


def dumps(document: Mapping[str, Any]) -> str:
    """The file text (readable indentation; the signature does not depend on it)."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def parse(text: str) -> dict[str, Any]:
    """Check the envelope of an export file (not its signature); French errors."""
    try:
        document = json.loads(text)
    except ValueError as e:
        raise ExportFormatError(f"fichier illisible (JSON invalide : {e})") from e
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ExportFormatError("ce n'est pas un export de passages d'un poste (format inconnu)")
    if document.get("version") != VERSION:
        raise ExportFormatError(
            f"version d'export non prise en charge : {document.get('version')!r}"
        )
    for key in ("station", "school", "created_at"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise ExportFormatError(f"champ « {key} » absent ou vide")
    if not isinstance(document.get("items"), list):
        raise ExportFormatError("champ « items » absent : liste attendue")
    signature = document.get("signature")
    if (
        not isinstance(signature, dict)
        or signature.get("alg") != ALGORITHM
        or not isinstance(signature.get("value"), str)
    ):
        raise ExportFormatError(f"signature absente ou d'un autre type que {ALGORITHM}")
    return document


def verify(document: Mapping[str, Any], token_digest_hex: str) -> bool:
    """True when ``document``'s signature was made with the token of that digest."""
    signature = document.get("signature")
    value = signature.get("value") if isinstance(signature, Mapping) else None
    if not isinstance(value, str):
        return False
    return hmac.compare_digest(sign(document, token_digest_hex), value.strip().lower())
