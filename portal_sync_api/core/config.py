"""Portal settings, read from the environment (no configuration file needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///portal.db"

#: Largest accepted request body (DESIGN §5: a meal batch is at most 1 MiB).
MAX_BODY_BYTES = 1024 * 1024
#: Largest meal batch accepted by ``POST /v1/sync/meals``.
MAX_BATCH_ITEMS = 1000
#: Page size bounds of ``GET /v1/sync/changes``.
DEFAULT_PAGE = 1000
MAX_PAGE = 5000
#: A meal served further ahead of the server clock than this is flagged ``clock_skew``.
CLOCK_SKEW_SECONDS = 5 * 60


def normalize_database_url(url: str) -> str:
    """Accept the URLs people type and return the one SQLAlchemy needs.

    ``postgresql://`` and ``postgres://`` select the psycopg 3 driver, which is the one
    installed; every other URL is returned unchanged.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    """What the portal process needs to know."""

    #: SQLAlchemy URL of the portal database (``PORTAL_DATABASE_URL``).
    database_url: str = DEFAULT_DATABASE_URL

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Settings from an explicit URL, else ``PORTAL_DATABASE_URL``, else the default."""
        url = database_url or os.environ.get("PORTAL_DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(database_url=normalize_database_url(url))
