"""HMAC-SHA256 signatures between the portal and the sandbox bank (a shared secret).

Both sides import this module: the bank signs its notifications and answers, the portal
signs its requests; each checks the other's signature in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

#: The header carrying the hex signature of the body (or of the query, for a GET).
SIGNATURE_HEADER = "X-Signature"


def sign(secret: str, data: bytes) -> str:
    """Hex HMAC-SHA256 of ``data`` with ``secret``."""
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def verify(secret: str, data: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is ``data``'s, compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(sign(secret, data), signature.strip().lower())
