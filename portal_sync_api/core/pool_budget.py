"""How many PostgreSQL connections the portal's processes may open, checked against what
the server accepts before ``serve`` starts (docs/operations.md §13)."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from portal_sync_api.core.config import PoolSettings, Settings
from portal_sync_api.errors import DataError

log = logging.getLogger(__name__)

#: Connections of the background work in the supervising process of ``serve --workers``:
#: the mail sender, the notice pass and the payment expiry hold at most one each.
BACKGROUND_CONNECTIONS = 3
#: Connections kept free for administrators, backups, migrations and monitoring.
MARGIN = 5


def background_pool(settings: Settings) -> PoolSettings:
    """The pool of the supervising process, which serves no request."""
    return replace(settings.pool, size=BACKGROUND_CONNECTIONS, max_overflow=0)


def connections_needed(settings: Settings, workers: int) -> int:
    """The most connections ``serve --workers workers`` ever opens."""
    background = BACKGROUND_CONNECTIONS if workers > 1 else 0
    return workers * settings.pool.limit + background


def check_connection_budget(settings: Settings, workers: int) -> None:
    """Refuse to start when the pools may open more connections than the server accepts
    (a lunch rush would then end in « too many clients » errors).

    Nothing to check on SQLite, or behind PgBouncer (which has its own limits); a server
    that does not answer is left to the workers, whose health check reports it.
    """
    if not settings.database_url.startswith("postgresql") or settings.pool.pgbouncer:
        return
    try:
        engine = create_engine(settings.database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                maximum = int(conn.execute(text("SHOW max_connections")).scalar_one())
                reserved = int(
                    conn.execute(text("SHOW superuser_reserved_connections")).scalar_one()
                )
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        log.warning("connection budget not checked: %s", type(exc).__name__)
        return
    available = maximum - reserved - MARGIN
    needed = connections_needed(settings, workers)
    if needed > available:
        raise DataError(
            "--workers",
            f"{workers} processus × {settings.pool.limit} connexions "
            "(PORTAL_DB_POOL_SIZE + PORTAL_DB_MAX_OVERFLOW)"
            + (f" + {BACKGROUND_CONNECTIONS} pour les tâches de fond" if workers > 1 else "")
            + f" = {needed} connexions, mais le serveur PostgreSQL n'en laisse que {available}"
            f" au portail (max_connections {maximum}, moins {reserved} réservées et {MARGIN}"
            " pour l'administration) : réduisez --workers ou le pool, ou passez par PgBouncer"
            " (docs/operations.md §13)",
        )
