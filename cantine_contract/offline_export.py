"""Offline export of pending meals and voids: the signed file format (pure, no I/O).

For a line with no network, ``station export`` writes the outbox to a file carried to
the portal, where ``portal-sync-api import meals`` applies it through the same ingest as
``POST /v1/sync/meals`` (each id once: importing twice, or syncing later, gives
``duplicate``).

Format (JSON, UTF-8), version 2::

    {"format": "cantine-offline-meals", "version": 2,
     "station": "ligne-1", "school": "1849", "created_at": "2026-11-24T14:02:11+01:00",
     "items": [<outbox payloads, oldest first: a void always after its meal>],
     "signature": {"alg": "Ed25519", "key": "hmac-sha256(token, 'cantine-offline-export-v2')",
                   "value": "<hex, 64 bytes>"}}

The signature is Ed25519 over the canonical JSON of every field but ``signature`` (keys
sorted, no spaces, UTF-8). The private key's 32-byte seed is HMAC-SHA256 keyed by the
station token over ``cantine-offline-export-v2``: only the token's holder can sign. The
portal keeps the matching public key (``stations.export_key``, hex), learnt when the
token is issued or first used, never the seed: its database alone cannot make a file
that verifies.

Version 1 files were signed with HMAC keyed by the token's SHA-256 digest — what the
portal's database stores — so a copy of the database could forge them: they are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "cantine-offline-meals"
VERSION = 2
ALGORITHM = "Ed25519"
SEED_LABEL = b"cantine-offline-export-v2"
KEY_DERIVATION = "hmac-sha256(token, 'cantine-offline-export-v2')"


class ExportFormatError(ValueError):
    """The file is not a readable offline export (French message)."""


def _private_key(token: str) -> Ed25519PrivateKey:
    seed = hmac.new(token.encode("utf-8"), SEED_LABEL, hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(token: str) -> str:
    """Hex of the raw Ed25519 public key that verifies exports signed with ``token``."""
    raw = _private_key(token).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw.hex()


def canonical(body: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: ``body`` without ``signature``, canonical JSON."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(body: Mapping[str, Any], token: str) -> str:
    """Hex Ed25519 signature of ``body`` with the key derived from ``token``."""
    return _private_key(token).sign(canonical(body)).hex()


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
    body["signature"] = {"alg": ALGORITHM, "key": KEY_DERIVATION, "value": sign(body, token)}
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
    if document.get("version") == 1:
        raise ExportFormatError(
            "export de version 1 refusé : sa signature pouvait être imitée à partir de la "
            "base du portail. Mettez le poste à jour et refaites l'export (version 2)"
        )
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
        raise ExportFormatError(
            f"signature absente ou d'un autre type que {ALGORITHM} : fichier refusé"
        )
    return document


def verify(document: Mapping[str, Any], public_key_hex: str) -> bool:
    """True when ``document``'s signature was made with the token of that public key."""
    signature = document.get("signature")
    value = signature.get("value") if isinstance(signature, Mapping) else None
    if not isinstance(value, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(value.strip()), canonical(document))
    except (ValueError, InvalidSignature):
        return False
    return True
