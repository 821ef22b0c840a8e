"""Station-made record ids; works without a UI.

UUIDv7 (RFC 9562): 48-bit Unix milliseconds then random bits, so ids sort by creation
time, which keeps the portal's unique index append-friendly. Python gets ``uuid.uuid7``
only in 3.14, hence these few lines.
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7(unix_ms: int | None = None) -> str:
    """A new UUIDv7 as text, e.g. ``0193b5c2-7f3a-7c4e-9a1b-2f0e8d6c5b4a``."""
    ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    value = (ms & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))
