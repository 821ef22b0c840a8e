"""API tokens: random, shown once, stored as a SHA-256 digest.

Tokens carry 256 bits of randomness, so a fast unsalted digest is enough: there is no
dictionary to attack, and the lookup by digest stays a single indexed query.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str) -> str:
    """A fresh bearer token such as ``st_…`` (station) or ``us_…`` (user)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    """The digest stored in the database for ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
