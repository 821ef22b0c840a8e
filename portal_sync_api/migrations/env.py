"""Alembic environment: runs on the connection handed over by ``portal_sync_api.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from portal_sync_api.core.db import make_engine
from portal_sync_api.mail import models as _mail_models  # noqa: F401  (its tables in Base)
from portal_sync_api.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER via copy
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///portal.db")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `portal-sync-api migrate`")
run_migrations_online()
